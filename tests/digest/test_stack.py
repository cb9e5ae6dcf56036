"""The digest's Your stack section: advisories on pinned versions, major/breaking releases, stories naming a
dependency — from a real archive, with OSV answers recorded and served from 127.0.0.1."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from digest_archive import WEEK
from digest_archive import build as build_fixed
from httpserver import FeedServer
from testkit import FIXTURES, TAXONOMY, write_config

from watch.config import load_config
from watch.digest.build import parse_period
from watch.digest.chat import build_chat
from watch.digest.render import render
from watch.digest.stack import common_word, major_bump, mentioned, severity, upgrade_target
from watch.http.client import make_client
from watch.pipeline import build_digest
from watch.records import (
    Article,
    Dependency,
    Entry,
    FetchResult,
    ModelOutput,
    ParsedFeed,
    Release,
    Summary,
    TagScore,
)
from watch.sources.refresh import refresh_all
from watch.sources.versions import level, parse_version
from watch.store import open_archive

OSV = FIXTURES / "stack" / "osv"
LODASH = "GHSA-35jh-r3h4-6jhm"


def _pypi(name: str) -> Dependency:
    return Dependency("PyPI", name, None, "", "requirements.txt")


# -- names in text -------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "name", "ecosystem", "expected"), [
    ("Click here to read the full story", "click", "PyPI", False),
    ("Click here for more Python news", "click", "PyPI", False),  # Python nearby, but "Click here" is no software
    ("Google shows rich results for Python tutorials", "rich", "PyPI", False),
    ("rich results in search", "rich", "PyPI", False),
    ("Python black friday deals", "black", "PyPI", False),
    ("RICH PYTHON TERMINALS", "rich", "PyPI", False),  # a common word in capitals is a heading's shouting
    ("the requests library for Python gets HTTP/3", "requests", "PyPI", True),
    ("Rich 14 for Python draws tables faster", "rich", "PyPI", True),
    ("The Black formatter for Python drops 3.8", "black", "PyPI", True),
    ("Install it with pip install rich and go", "rich", "PyPI", True),  # an install command is context enough
    ("Express.js 5 finally ships on npm", "express", "npm", True),
    ("An express train for Node.js fans", "express", "npm", False),  # "train" is not software
    ("HTTPX 1.0 is out", "httpx", "PyPI", True),  # a name that is no word: any case, no context needed
    ("httpx-cache 0.2 released", "httpx", "PyPI", False),  # another package
    ("Inside myhttpx", "httpx", "PyPI", False),
    ("lodash prototype pollution, again", "lodash", "npm", True),
    ("Gin 2.0 for Go released", "github.com/gin-gonic/gin", "Go", True),  # a Go module by its last part
    ("Gin and tonic, the summer drink", "github.com/gin-gonic/gin", "Go", False),
    ("Flask 3.1 for Python is out", "Flask", "PyPI", True),  # the manifest's spelling does not matter
    ("flask 3.1 for Python is out", "Flask", "PyPI", True),
])
def test_a_story_names_a_dependency_only_as_a_whole_word_and_a_common_word_only_in_context(text, name, ecosystem,
                                                                                              expected):
    assert mentioned(text, Dependency(ecosystem, name, None, "", "m")) is expected


@pytest.mark.parametrize(("name", "common"), [("click", True), ("rich", True), ("requests", True), ("black", True),
                                              ("six", True), ("gin", True), ("httpx", False), ("lodash", False),
                                              ("pydantic", False), ("numpy", False), ("attrs", False)])
def test_which_names_are_common_words(name, common):
    assert common_word(name) is common  # dictionary words and their plurals, and names shorter than 4


def test_severity_upgrade_target_and_major_bump():
    assert severity(["CVSS_V3 CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H"]) == "7.2 high (CVSS 3.1)"
    assert severity(["CVSS_V3 CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H",
                     "CVSS_V4 CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"]) == \
        "9.3 critical (CVSS 4.0)"  # the worst of them
    assert severity(["Ubuntu high"]) == "Ubuntu high" and severity([]) == ""
    assert upgrade_target("PyPI", "1.0", ["2.0", "1.2"]) == "1.2"  # the smallest upgrade that fixes it
    assert upgrade_target("npm", "1.5.0", ["1.2.0", "2.0.1"]) == "2.0.1"  # 1.2.0 fixes another branch
    assert major_bump("0.28.1", "1.0.0") and major_bump("0.11.2", "0.12.0") and major_bump("5.9", "6.0.0")
    assert not major_bump("8.1.0", "8.1.1") and not major_bump("1.2", "2.0.0rc1") and not major_bump(None, "1.4.0")


# -- the digest of a real archive ----------------------------------------------------------------

@pytest.fixture
def osv():
    server = FeedServer().start()
    yield server
    server.stop()


def _record(osv_id: str) -> dict:
    return json.loads((OSV / f"{osv_id}.json").read_text())


# (source, id, title, summary, hours ago, release (project, version, notes) or None)
NEWS = [
    ("News", "n-httpx", "HTTPX 1.0 ships with HTTP/2 by default", "The async HTTP client reaches 1.0.", 5, None),
    ("News", "n-requests", "Async at last in the requests library for Python", "A new major version.", 6, None),
    ("News", "n-click", "Click here: the ten best GPU deals", "Rich results and cheap GPU rentals.", 7, None),
    ("News", "n-other", "A new open-weights LLM model", "Weights on the hubs.", 8, None),
]
RELEASES = [
    ("httpx", "r-httpx-0", "0.28.1", "", 24 * 20),
    ("httpx", "r-httpx-1", "1.0.0", "<ul><li>HTTP/2 by default</li></ul>", 3),
    ("rich", "r-rich-0", "13.0.0", "", 24 * 20),
    ("rich", "r-rich-1", "13.1.0", "<h2>Breaking changes</h2><ul><li>Drop support for Python 3.7</li></ul>", 4),
    ("click", "r-click-0", "8.1.0", "", 24 * 20),
    ("click", "r-click-1", "8.1.1", "<ul><li>Fix a typo</li></ul>", 2),
]


def _stack_archive(tmp_path: Path, osv: FeedServer, lodash: str):
    """A config whose manifests pin lodash at `lodash`; OSV polled from 127.0.0.1; news and releases filed."""
    (tmp_path / "package.json").write_text(json.dumps({"dependencies": {"lodash": lodash}}))
    (tmp_path / "requirements.txt").write_text("httpx==0.28.1\nrich==13.0.0\nclick==8.1.0\nrequests==2.31.0\n")
    path = write_config(tmp_path, [{"name": "News", "url": "https://news.example/feed"}],
                        fetch=f"{{timeout: 5, osv_api: '{osv.base}/osv'}}",
                        extra="stack: {manifests: [package.json, requirements.txt]}",
                        taxonomy=TAXONOMY + "  - name: stack\n    description: Your stack\n")
    config = load_config(path, environ={})
    [advisories] = [s for s in config.sources if s.kind == "advisories"]
    results = [{"vulns": [{"id": LODASH, "modified": _record(LODASH)["modified"]}] if p.name == "lodash" else []}
               for p in advisories.packages]
    osv.add("/osv/v1/querybatch", json.dumps({"results": results}), content_type="application/json")
    osv.add(f"/osv/v1/vulns/{LODASH}", json.dumps(_record(LODASH)), content_type="application/json")
    archive = open_archive(config.settings.database)
    only = type(config)(path=config.path, settings=config.settings, tags=config.tags, sources=(advisories,))
    with make_client(config.settings.fetch) as client:
        [report] = refresh_all(only, archive, client, force=True)
    assert report.error is None and report.new_items == 1, report
    now = datetime.now(UTC)
    archive.sync_sources(config.sources, now)
    by_source: dict[str, list[tuple[Entry, str]]] = {}
    for source, item_id, title, summary, hours, _ in NEWS:
        by_source.setdefault(source, []).append((Entry(
            id=item_id, source=source, guid=item_id, url=f"https://news.example/{item_id}",
            canonical_url=f"https://news.example/{item_id}", title=title, author=None,
            published=now - timedelta(hours=hours), feed_html=f"<p>{summary}</p>"), summary))
    for project, item_id, version, notes, hours in RELEASES:
        release = Release(project, version, False, level(parse_version(version)))
        by_source.setdefault(project, []).append((Entry(
            id=item_id, source=project, guid=item_id, url=f"https://pypi.org/project/{project}/{version}/",
            canonical_url=f"https://pypi.org/project/{project}/{version}/", title=version, author=None,
            published=now - timedelta(hours=hours), feed_html=notes, release=release), f"{project} {version}"))
    for source, entries in by_source.items():
        feed = ParsedFeed(source, "", "en", tuple(e for e, _ in entries))
        archive.save_refresh(source, FetchResult(url="u", final_url="u", status=200), feed, source, now, now)
        for entry, summary in entries:
            tags = (TagScore("llm", 0.8),) if "LLM" in entry.title else ()
            archive.save_processed(entry.id, Article(text=summary), ModelOutput(Summary(summary, "test"), tags, "test"),
                                   now)
    return config, archive, parse_period(since="2d", now=now + timedelta(minutes=1))


@pytest.mark.parametrize(("pinned", "shown"), [("4.17.20", True), ("4.17.21", False), ("4.17.22", False)])
def test_the_digest_opens_with_your_stack(tmp_path, osv, pinned, shown):
    config, archive, period = _stack_archive(tmp_path, osv, pinned)
    try:
        digest = build_digest(config, archive, period)
    finally:
        archive.close()
    stack = digest.stack
    assert [a.id for a in stack.advisories] == ([LODASH] if shown else [])
    if shown:
        [advisory] = stack.advisories
        assert (advisory.package, advisory.pinned, advisory.fixed) == ("lodash", "4.17.20", "4.17.21")
        assert advisory.aliases == ("CVE-2021-23337",) and advisory.severity == "7.2 high (CVSS 3.1)"
        assert advisory.manifest == "package.json"
        assert advisory.url == f"https://osv.dev/vulnerability/{LODASH}"
    # httpx 0.28.1 -> 1.0.0 is a major; rich 13.1.0 announces breaking changes; click 8.1.1 is neither
    assert [(r.release.project, r.release.previous, r.release.version, r.change) for r in stack.releases] == [
        ("httpx", "0.28.1", "1.0.0", "major"), ("rich", "13.0.0", "13.1.0", "breaking")]
    assert all(r.manifest == "requirements.txt" for r in stack.releases)
    assert [(m.story.title, m.dependency) for m in stack.mentions] == [
        ("HTTPX 1.0 ships with HTTP/2 by default", "httpx"),
        ("Async at last in the requests library for Python", "requests")]  # "Click here", "Rich results": no
    # what Your stack shows is not repeated below
    below = [i.title for s in digest.sections for i in s.items] + [i.title for i in digest.also]
    assert "A new open-weights LLM model" in below and "Click here: the ten best GPU deals" in below
    assert not any("HTTPX" in t or "requests" in t for t in below)
    assert [r.project for r in digest.releases] == ["click"]
    assert not any(i.source == "Security advisories" for s in digest.sections for i in s.items)
    md = render(digest, "md")
    order = [md.find(h) for h in ("## Your stack", "## The week", "## llm", "## Releases")]
    assert order[0] > 0 and all(i == -1 or i > order[0] for i in order[1:]), md
    assert ("**lodash 4.17.20** → upgrade to **4.17.21** — "
            f"[{LODASH}](https://osv.dev/vulnerability/{LODASH}) (CVE-2021-23337) · 7.2 high (CVSS 3.1)") in md \
        if shown else LODASH not in md
    assert "**httpx** 0.28.1 → [1.0.0](https://pypi.org/project/httpx/1.0.0/) — new major version" in md
    assert ("**rich** 13.0.0 → [13.1.0](https://pypi.org/project/rich/13.1.0/) — "
            "breaking: Drop support for Python 3.7 · ") in md
    assert "names **requests** · from `requirements.txt`" in md  # relative to feeds.yaml's folder
    html = render(digest, "html")
    assert html.index("Your stack") < html.index("A new open-weights LLM model") < html.index(">Releases<")
    assert ("upgrade to <strong>4.17.21</strong>" in html) is shown
    text = render(digest, "text")
    assert text.index("Your stack\n----------") < text.index("Releases\n--------")
    chat = build_chat(digest)
    items = [line.text for line in chat.lines if line.kind == "item"]
    if shown:  # advisories go first in the chat lead
        assert chat.lines[1].text.startswith("Your stack: security advisories")
        assert items[0].startswith("- lodash 4.17.20 → upgrade to 4.17.21 — GHSA-35jh-r3h4-6jhm (CVE-2021-23337)")
    assert "- httpx 1.0.0: new major version (was 0.28.1) https://pypi.org/project/httpx/1.0.0/" in items


def test_the_atom_feed_carries_your_stack(tmp_path, osv):
    config, archive, period = _stack_archive(tmp_path, osv, "4.17.20")
    try:
        from watch.pipeline import produce_digest

        written = produce_digest(config, archive, period, formats=["html", "atom"], publish=False)
    finally:
        archive.close()
    feed = next(p for p in written.paths if p.suffix == ".atom").read_text()
    assert "Your stack" in feed and "upgrade to &lt;strong&gt;4.17.21&lt;/strong&gt;" in feed


def test_no_stack_no_section(tmp_path):
    config, archive = build_fixed(tmp_path)
    try:
        digest = build_digest(config, archive, parse_period(week=WEEK))
    finally:
        archive.close()
    assert digest.stack.empty
    for fmt in ("md", "html", "text"):
        assert "Your stack" not in render(digest, fmt)
    assert "Your stack" not in build_chat(digest).text
