"""Release sources (GitHub releases, PyPI, Hugging Face, changelogs): config, parsing, filters, the digest."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fixture_dates import FIXTURE_MONDAY, FIXTURE_NOW, shift_text, week_label, weeks_back
from testkit import corpus_path, dedent, run_cli, write_config

from watch.config import load_config
from watch.errors import ConfigError, ParseError
from watch.records import Source
from watch.sources.kinds import CHANGELOG_RELEASES, parse_source
from watch.sources.release_notes import summarize_release
from watch.sources.releases import notes_text


def pypi_rss(package: str, versions: list[tuple[str, str]]) -> str:
    """A PyPI-style releases RSS (https://pypi.org/rss/project/<name>/releases.xml), newest first."""
    items = "".join(
        f"<item><title>{v}</title><link>https://pypi.org/project/{package}/{v}/</link>"
        f"<description>State-of-the-art ML</description><author>x@example.org</author>"
        f"<pubDate>{day}</pubDate></item>" for v, day in versions)
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>PyPI recent updates for '
            f"{package}</title><link>https://pypi.org/project/{package}/</link><description>Recent updates"
            f"</description>{items}</channel></rss>")


PYPI_VERSIONS = [("5.25.0rc1", "Thu, 26 Nov 2026 10:00:00 GMT"), ("5.24.1", "Wed, 25 Nov 2026 10:00:00 GMT"),
                 ("5.24.0", "Thu, 19 Nov 2026 10:00:00 GMT"), ("5.23.0", "Thu, 12 Nov 2026 10:00:00 GMT"),
                 ("6.0.0.dev1", "Tue, 10 Nov 2026 10:00:00 GMT"), ("5.0.0", "Mon, 2 Nov 2026 10:00:00 GMT")]


def _source(kind: str, **kw) -> Source:
    return Source(name=kw.pop("name", "src"), url="https://example.org/x", kind=kind, **kw)


# -- config ----------------------------------------------------------------------------------------

def test_release_kinds_derive_their_urls(tmp_path: Path) -> None:
    path = write_config(tmp_path, [
        {"name": "vLLM", "kind": "github-releases", "repo": "vllm-project/vllm"},
        {"name": "transformers", "kind": "pypi", "package": "transformers", "releases": "minor"},
        {"name": "Mistral models", "kind": "huggingface", "author": "mistralai", "project": "Mistral"},
        {"name": "openai-python", "kind": "changelog", "prereleases": "true",
         "url": "https://raw.githubusercontent.com/openai/openai-python/main/CHANGELOG.md"},
    ])
    sources = {s.name: s for s in load_config(path, environ={}).sources}
    assert sources["vLLM"].url == "https://github.com/vllm-project/vllm/releases.atom"
    assert sources["vLLM"].project == "vllm" and not sources["vLLM"].prereleases
    assert sources["transformers"].url == "https://pypi.org/rss/project/transformers/releases.xml"
    assert sources["transformers"].releases == "minor"
    assert sources["Mistral models"].url.startswith("https://huggingface.co/api/models?author=mistralai")
    assert sources["Mistral models"].project == "Mistral"
    assert sources["openai-python"].project == "openai-python" and sources["openai-python"].prereleases
    assert all(s.extract == "never" for s in sources.values())


@pytest.mark.parametrize(("source", "message"), [
    ({"kind": "github-releases"}, "kind github-releases needs 'repo'"),
    ({"kind": "github-releases", "repo": "not a repo"}, "repo 'not a repo' must be owner/name"),
    ({"kind": "pypi", "package": "-bad"}, "package '-bad' must be"),
    ({"kind": "pypi", "package": "x", "releases": "some"}, "releases"),
    ({"url": "https://example.org/feed", "repo": "a/b"}, "'repo' is only for release sources"),
])
def test_bad_release_sources_name_the_line_and_the_field(tmp_path: Path, source: dict, message: str) -> None:
    path = write_config(tmp_path, [{"name": "good", "url": "https://example.org/ok"}, {"name": "bad", **source}])
    with pytest.raises(ConfigError) as error:
        load_config(path, environ={})
    assert message in str(error.value) and "feeds.yaml:" in str(error.value)


# -- parsing ---------------------------------------------------------------------------------------

def test_pypi_filters_prereleases_patches_and_minors() -> None:
    body = pypi_rss("transformers", PYPI_VERSIONS).encode()

    def versions(**kw) -> list[str]:
        feed = parse_source(_source("pypi", project="transformers", **kw), body, base_url="https://pypi.org/rss",
                            now=FIXTURE_NOW)
        return [e.release.version for e in feed.entries]

    assert versions() == ["5.24.1", "5.24.0", "5.23.0", "5.0.0"]  # pre-releases skipped by default
    assert versions(prereleases=True) == ["5.25.0rc1", "5.24.1", "5.24.0", "5.23.0", "6.0.0.dev1", "5.0.0"]
    assert versions(releases="minor") == ["5.24.0", "5.23.0", "5.0.0"]
    assert versions(releases="major") == ["5.0.0"]
    entry = parse_source(_source("pypi", project="transformers"), body, base_url="https://pypi.org/rss",
                         now=FIXTURE_NOW).entries[0]
    assert entry.title == "transformers 5.24.1" and entry.published == datetime(2026, 11, 25, 10, tzinfo=UTC)
    assert entry.release.level == "patch" and not entry.release.prerelease


def test_github_releases_atom_from_the_corpus() -> None:
    body = corpus_path("feeds", "github_releases_gulp.atom").read_bytes()
    feed = parse_source(_source("github-releases", project="gulp"), body, base_url="https://github.com/x")
    assert [e.release.version for e in feed.entries][:3] == ["3.9.0", "3.8.11", "3.8.10"]
    assert all(e.title.startswith("gulp ") and e.release.project == "gulp" for e in feed.entries)
    assert all("/releases/tag/" in e.url for e in feed.entries)
    only_minor = parse_source(_source("github-releases", project="gulp", releases="minor"), body,
                              base_url="https://github.com/x")
    assert [e.release.version for e in only_minor.entries] == ["3.9.0"]


def test_a_commits_feed_is_not_taken_for_releases() -> None:
    body = corpus_path("feeds", "github_commits_miniflux.atom").read_bytes()
    with pytest.raises(ParseError, match=r"not a releases feed.*kind: feed"):
        parse_source(_source("github-releases", project="miniflux"), body, base_url="https://github.com/x")


CHANGELOGS = {
    "openai-python_CHANGELOG.md": "openai-python",
    "anthropic-sdk-python_CHANGELOG.md": "anthropic",
    "netnewswire_ReleaseNotes-Mac.md": "NetNewsWire",
    "trafilatura_HISTORY.md": "trafilatura",
    "feedparser_NEWS.txt": "feedparser",
}


@pytest.mark.parametrize("name", sorted(CHANGELOGS))
def test_changelog_pages_from_the_corpus(name: str) -> None:
    text = corpus_path("pages", "changelogs", name).read_bytes()
    source = _source("changelog", project=CHANGELOGS[name], prereleases=True)
    feed = parse_source(source, text, base_url=f"https://example.org/{name}", content_type="text/plain")
    undated = name == "trafilatura_HISTORY.md"  # no dates at all: only the version on top is news
    assert len(feed.entries) == (1 if undated else CHANGELOG_RELEASES)
    assert len({e.id for e in feed.entries}) == len(feed.entries)  # one stable id per version
    assert all(e.published is not None for e in feed.entries) != undated
    assert all(e.title == f"{CHANGELOGS[name]} {e.release.version}" for e in feed.entries)
    assert all(e.url.startswith(f"https://example.org/{name}#") for e in feed.entries)
    again = parse_source(source, text, base_url=f"https://example.org/{name}", content_type="text/plain")
    assert [e.id for e in again.entries] == [e.id for e in feed.entries]
    notes = notes_text(feed.entries[0].feed_html)
    assert notes and notes in text.decode("utf-8")  # the notes come back verbatim
    summary = summarize_release(notes)
    words = {w for w in re.findall(r"\w{4,}", summary.lower()) if w not in ("breaking", "security")}
    assert summary and words <= set(re.findall(r"\w{4,}", notes.lower()))  # extractive: the notes' own words


def test_changelog_keep_a_changelog_and_html() -> None:
    markdown = dedent("""\
        # Changelog
        ## [Unreleased]
        - nothing yet
        ## [2.0.0] - 2026-11-20
        ### Removed
        - Python 3.9 support
        ### Security
        - Fix CVE-2026-1234 in the URL parser
        ## [1.9.1] - 2026-11-02
        ### Fixed
        - A crash
        [2.0.0]: https://example.org/compare/1.9.1...2.0.0
        """).encode()
    feed = parse_source(_source("changelog", project="lib"), markdown, base_url="https://example.org/CHANGELOG.md")
    assert [(e.release.version, e.published.date().isoformat()) for e in feed.entries] == [
        ("2.0.0", "2026-11-20"), ("1.9.1", "2026-11-02")]
    assert "CVE-2026-1234" in feed.entries[0].feed_html and "compare" not in feed.entries[0].feed_html
    html = (b"<html><body><h1>Release notes</h1><h2>v3.1.0 (2026-11-18)</h2><ul><li>New: streaming</li></ul>"
            b"<h2>v3.0.0 (2026-10-01)</h2><p>Big one.</p></body></html>")
    page = parse_source(_source("changelog", project="web"), html, base_url="https://example.org/notes",
                        content_type="text/html")
    assert [e.release.version for e in page.entries] == ["3.1.0", "3.0.0"]
    undated = parse_source(_source("changelog", project="lib"), b"## 1.2.0\n- a\n## 1.1.0\n- b\n",
                           base_url="https://example.org/HISTORY.md")
    assert [(e.release.version, e.published) for e in undated.entries] == [("1.2.0", None)]
    with pytest.raises(ParseError, match="no version headings"):
        parse_source(_source("changelog"), b"# Just a README\nHello", base_url="https://example.org/r")


def test_huggingface_model_list() -> None:
    models = [{"id": "mistralai/Ministral-8B-Instruct-2410", "createdAt": "2026-11-20T10:00:00.000Z"},
              {"id": "mistralai/Mistral-Small-3.2", "createdAt": "2026-11-01T10:00:00.000Z"}, {"bad": 1}]
    feed = parse_source(_source("huggingface", project="Mistral"), json.dumps(models).encode(),
                        base_url="https://huggingface.co/api/models")
    assert [e.title for e in feed.entries] == ["New model: mistralai/Ministral-8B-Instruct-2410",
                                               "New model: mistralai/Mistral-Small-3.2"]
    assert feed.entries[0].url == "https://huggingface.co/mistralai/Ministral-8B-Instruct-2410"
    assert feed.entries[0].published == datetime(2026, 11, 20, 10, tzinfo=UTC)
    with pytest.raises(ParseError, match="not a Hugging Face model list"):
        parse_source(_source("huggingface"), b"<html>", base_url="https://huggingface.co/api/models")


# -- end to end: local server, real run, real digest -----------------------------------------------

GITHUB_ATOM = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><id>tag:github.com,2008:https://github.com/acme/engine/releases</id>
<title>Release notes from engine</title><updated>2026-11-19T10:00:00Z</updated>
<link rel="alternate" type="text/html" href="https://github.com/acme/engine/releases"/>
<entry><id>tag:github.com,2008:Repository/1/v0.12.0</id><updated>2026-11-18T10:00:00Z</updated>
<link rel="alternate" type="text/html" href="https://github.com/acme/engine/releases/tag/v0.12.0"/>
<title>v0.12.0</title><content type="html">&lt;h2&gt;Highlights&lt;/h2&gt;&lt;ul&gt;&lt;li&gt;Speculative decoding
for every model&lt;/li&gt;&lt;/ul&gt;&lt;h2&gt;Breaking changes&lt;/h2&gt;&lt;ul&gt;&lt;li&gt;Drop Python 3.9 support
by @dev in https://github.com/acme/engine/pull/12&lt;/li&gt;&lt;/ul&gt;</content><author><name>dev</name></author></entry>
<entry><id>tag:github.com,2008:Repository/1/v0.12.0rc1</id><updated>2026-11-17T10:00:00Z</updated>
<link rel="alternate" type="text/html" href="https://github.com/acme/engine/releases/tag/v0.12.0rc1"/>
<title>v0.12.0rc1</title><content type="html">Release candidate</content><author><name>dev</name></author></entry>
<entry><id>tag:github.com,2008:Repository/1/v0.11.0</id><updated>2026-11-04T10:00:00Z</updated>
<link rel="alternate" type="text/html" href="https://github.com/acme/engine/releases/tag/v0.11.0"/>
<title>v0.11.0</title><content type="html">&lt;ul&gt;&lt;li&gt;Faster startup&lt;/li&gt;&lt;/ul&gt;</content>
<author><name>dev</name></author></entry>
</feed>"""


@pytest.mark.model
def test_release_sources_end_to_end(tmp_path: Path, server) -> None:
    # A real run judges dates by today: W48 (the data's last week) becomes the last complete week.
    shift = weeks_back()
    w47, w48 = (week_label(FIXTURE_MONDAY + shift - timedelta(weeks=n)) for n in (1, 0))
    server.add("/engine.atom", shift_text(GITHUB_ATOM, shift))
    server.add("/pypi.xml", shift_text(pypi_rss("transformers", PYPI_VERSIONS), shift))
    server.add("/CHANGELOG.md", shift_text("# Changelog\n## 2.0.0 (2026-11-20)\n### ⚠ BREAKING CHANGES\n"
                                           "* **client:** remove the legacy `Completion` API\n### Features\n"
                                           "* add retries\n## 1.9.0 (2026-11-05)\n### Features\n* add timeouts\n",
                                           shift, dates=True),
               content_type="text/markdown; charset=utf-8")
    server.add("/broken.md", "no versions here", content_type="text/markdown")
    path = write_config(tmp_path, [
        {"name": "Engine releases", "kind": "github-releases", "repo": "acme/engine",
         "url": server.url("/engine.atom")},
        {"name": "transformers on PyPI", "kind": "pypi", "package": "transformers", "url": server.url("/pypi.xml")},
        {"name": "SDK changelog", "kind": "changelog", "project": "sdk", "url": server.url("/CHANGELOG.md")},
        {"name": "Broken changelog", "kind": "changelog", "url": server.url("/broken.md")},
    ])
    run = run_cli("run", "--config", str(path), cwd=tmp_path)
    assert run.returncode == 1, run.stderr  # one source failed, the others went on
    assert "Broken changelog" in run.stdout + run.stderr and "no version headings" in run.stdout + run.stderr
    with sqlite3.connect(tmp_path / "watch.db") as db:
        rows = db.execute("SELECT project, version, prerelease, level FROM releases").fetchall()
        summary = db.execute("SELECT s.text FROM summaries s JOIN releases r ON r.item_id = s.item_id "
                             "WHERE r.project = 'engine' AND r.version = '0.12.0'").fetchone()[0]
    assert ("engine", "0.12.0rc1", 1, "major") not in rows and ("engine", "0.12.0", 0, "major") in rows
    assert ("sdk", "2.0.0", 0, "major") in rows and ("transformers", "5.24.1", 0, "patch") in rows
    assert "Drop Python 3.9 support" in summary and "@dev" not in summary
    digest = run_cli("digest", "--config", str(path), "--week", w47, "--format", "md", "--out",
                     str(tmp_path / "d.md"), cwd=tmp_path)
    assert digest.returncode == 0, digest.stderr
    text = (tmp_path / "d.md").read_text(encoding="utf-8")
    releases = text[text.index("## Releases"):]
    assert "**engine** 0.11.0 → [0.12.0](https://github.com/acme/engine/releases/tag/v0.12.0) " \
           "(breaking: Drop Python 3.9 support)" in releases
    anchor = f"#200-{datetime(2026, 11, 20, tzinfo=UTC) + shift:%Y-%m-%d}"  # the heading "2.0.0 (2026-11-20)"
    assert f"**sdk** 1.9.0 → [2.0.0]({server.url('/CHANGELOG.md')}{anchor}) (breaking: client: remove the " \
           "legacy \\`Completion\\` API)" in releases  # the notes' own line, Markdown emphasis dropped
    assert "Breaking: Drop Python 3.9 support. New: Speculative decoding for every model." in releases
    assert "**transformers** 5.23.0 → [5.24.0]" in releases and "releases)" not in releases
    assert "0.12.0rc1" not in text
    # the next week: the patch release, from the version before it
    run_cli("digest", "--config", str(path), "--week", w48, "--format", "md", "--out",
            str(tmp_path / "w48.md"), cwd=tmp_path)
    assert "**transformers** 5.24.0 → [5.24.1]" in (tmp_path / "w48.md").read_text(encoding="utf-8")


# -- GitHub REST API with a token ------------------------------------------------------------------

API_RELEASES = [
    {"id": 3, "tag_name": "v0.13.0", "name": "v0.13.0", "draft": False, "prerelease": True,
     "html_url": "https://github.com/acme/engine/releases/tag/v0.13.0", "published_at": "2026-11-21T10:00:00Z",
     "body": "Preview of the next release", "author": {"login": "dev"}},
    {"id": 2, "tag_name": "v0.12.0", "name": "Engine 0.12 — faster", "draft": False, "prerelease": False,
     "html_url": "https://github.com/acme/engine/releases/tag/v0.12.0", "published_at": "2026-11-18T10:00:00Z",
     "body": "## Security\n- Fix CVE-2026-4242 in the tokenizer\n## Features\n- Faster startup",
     "author": {"login": "dev"}},
    {"id": 1, "tag_name": "v0.12.1", "name": "", "draft": True, "prerelease": False, "body": "unpublished"},
]


def _api_setup(tmp_path: Path, server, status: int = 200):
    from watch.http.client import make_client
    from watch.pipeline import refresh_source
    from watch.store import open_archive

    server.add("/repos/acme/engine/releases", json.dumps(API_RELEASES), content_type="application/json",
               status=status)
    path = write_config(tmp_path, [{"name": "Engine", "kind": "github-releases", "repo": "acme/engine"}],
                        fetch=f"{{timeout: 5, github_api: '{server.base}'}}")
    config = load_config(path, environ={"GITHUB_TOKEN": "s3cret-token"})
    archive = open_archive(config.settings.database)
    archive.sync_sources(config.sources, datetime.now(UTC))
    with make_client(config.settings.fetch) as client:
        report = refresh_source(archive, client, config.sources[0], config)
    return archive, report


def test_github_api_with_a_token(tmp_path: Path, server) -> None:
    archive, report = _api_setup(tmp_path, server)
    try:
        assert report.status == "new" and report.new_items == 1, report
        path, headers = next(r for r in server.requests if r[0].startswith("/repos/acme/engine/releases"))
        assert path == "/repos/acme/engine/releases?per_page=30"
        assert headers["Authorization"] == "Bearer s3cret-token" and "github" in headers["Accept"]
        rows = archive.db.execute("SELECT i.title, r.version, r.prerelease, i.feed_html, i.guid FROM releases r "
                                  "JOIN items i ON i.id = r.item_id").fetchall()
        # the API's own pre-release flag is kept (and filtered by default); drafts never appear
        assert [(r[0], r[1], r[2]) for r in rows] == [("Engine 0.12 — faster", "0.12.0", 0)]
        assert "CVE-2026-4242" in rows[0][3] and rows[0][4] == "release:v0.12.0"
    finally:
        archive.close()
    same = [e for e in parse_source(_source("github-releases", name="Engine", project="engine"), GITHUB_ATOM.encode(),
                             base_url="https://github.com/acme/engine/releases.atom").entries
            if e.release.version == "0.12.0"]
    assert same and same[0].guid == "release:v0.12.0"  # the Atom feed gives the same item id


def test_github_api_refusal_names_the_token_but_never_shows_it(tmp_path: Path, server) -> None:
    archive, report = _api_setup(tmp_path, server, status=401)
    archive.close()
    assert report.status == "failed" and "HTTP 401" in report.error and "github_token_env" in report.error
    assert "s3cret" not in report.error
    assert "s3cret" not in repr(load_config(tmp_path / "feeds.yaml", environ={"GITHUB_TOKEN": "s3cret"}))


def test_releases_archived_by_an_older_feed_source_are_updated_not_duplicated(tmp_path: Path) -> None:
    from watch.records import FetchResult
    from watch.sources.parse import parse_feed
    from watch.store import open_archive

    archive = open_archive(tmp_path / "watch.db")
    now = datetime(2026, 11, 20, tzinfo=UTC)
    archive.sync_sources([Source(name="Engine", url="https://github.com/acme/engine/releases.atom")], now)
    result = FetchResult(url="u", final_url="u", status=200)
    as_feed = parse_feed(GITHUB_ATOM.encode(), source_name="Engine", base_url="https://github.com/acme/engine")
    archive.save_refresh("Engine", result, as_feed, "a", now, now)
    before = {r[0] for r in archive.db.execute("SELECT id FROM items").fetchall()}
    as_releases = parse_source(_source("github-releases", name="Engine", project="engine", prereleases=True),
                               GITHUB_ATOM.encode(), base_url="https://github.com/acme/engine")
    assert {e.id for e in as_releases.entries}.isdisjoint(before)  # the ids changed with the kind
    new, updated = archive.save_refresh("Engine", result, as_releases, "b", now, now)
    assert (new, updated) == (0, 3)
    assert {r[0] for r in archive.db.execute("SELECT id FROM items").fetchall()} == before
    assert archive.db.execute("SELECT count(*) FROM releases").fetchone()[0] == 3
    archive.close()
