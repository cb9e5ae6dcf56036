"""kind: advisories — OSV advisories on the stack's packages, filed once, pinned versions checked, revised in place."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from httpserver import FeedServer
from testkit import TAXONOMY, write_config

from watch.config import load_config
from watch.http.client import make_client
from watch.records import AffectedRange, Dependency, Source
from watch.sources.affected import affects, semver_key
from watch.sources.kinds import parse_source
from watch.sources.kinds.advisories import github_to_osv
from watch.sources.refresh import refresh_all
from watch.store import open_archive

OSV = Path(__file__).resolve().parents[1] / "fixtures" / "stack" / "osv"


def _record(osv_id: str) -> dict:
    return json.loads((OSV / f"{osv_id}.json").read_text())


def _document(packages: list[Dependency], ids: list[str], **changes: dict) -> bytes:
    vulns = [{**_record(i), **changes.get(i, {})} for i in ids]
    return json.dumps({"packages": [{"ecosystem": p.ecosystem, "name": p.name, "pinned": p.pinned,
                                     "manifest": p.manifest} for p in packages], "vulns": vulns}).encode()


SOURCE = Source(name="Security advisories", url="https://api.osv.dev/v1/querybatch", kind="advisories")


@pytest.mark.parametrize(("pinned", "affected"), [("4.17.20", True), ("4.17.21", False), ("4.17.22", False),
                                                  (None, None)])
def test_the_pinned_version_below_at_or_above_the_fix(pinned, affected):
    lodash = Dependency("npm", "lodash", pinned, "", "web/package.json")
    [entry] = parse_source(SOURCE, _document([lodash], ["GHSA-35jh-r3h4-6jhm"]), base_url="").entries
    advisory = entry.advisory
    assert advisory.affects_pinned is affected and advisory.pinned == pinned
    assert advisory.fixed == ("4.17.21",) and advisory.aliases == ("CVE-2021-23337",)
    assert advisory.ranges == (AffectedRange("0", "4.17.21"),)
    assert advisory.severity == ("CVSS_V3 CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H",)
    assert advisory.references == ("https://nvd.nist.gov/vuln/detail/CVE-2021-23337", "https://github.com/lodash/lodash")
    assert advisory.manifest == "web/package.json"
    assert entry.url == "https://osv.dev/vulnerability/GHSA-35jh-r3h4-6jhm"
    assert entry.title == "lodash: Command Injection in lodash" and "javascript:" not in entry.feed_html


def test_advisories_that_alias_each_other_are_one_item_keyed_by_the_github_id():
    httpx = Dependency("PyPI", "HTTPX", "0.22.0", "", "requirements.txt")
    feed = parse_source(SOURCE, _document([httpx], ["PYSEC-2022-183", "GHSA-h8pj-cxx2-jfg2"]), base_url="")
    [entry] = feed.entries
    advisory = entry.advisory
    assert advisory.id == "GHSA-h8pj-cxx2-jfg2" and advisory.aliases == ("CVE-2021-41945", "PYSEC-2022-183")
    assert advisory.affects_pinned is True  # 0.22.0 is listed, and below the fix
    assert advisory.fixed == ("0.23.0",)  # the GIT range names a commit: left out
    assert set(advisory.references) == {"https://github.com/encode/httpx/issues/2184",
                                        "https://github.com/encode/httpx/pull/2185"}
    assert json.loads(feed.state) == {"ids": ["GHSA-h8pj-cxx2-jfg2", "PYSEC-2022-183"]}


def test_an_advisory_on_a_package_not_in_the_stack_is_no_item_and_withdrawn_ones_affect_nothing():
    gin = Dependency("Go", "github.com/gin-gonic/gin", "v1.9.0", "", "go.mod")
    assert parse_source(SOURCE, _document([gin], ["GHSA-35jh-r3h4-6jhm"]), base_url="").entries == ()
    [entry] = parse_source(SOURCE, _document([gin], ["GO-2023-1737"]), base_url="").entries
    assert entry.advisory.affects_pinned is True  # a pseudo-version introduced it; v1.9.0 < 1.9.1
    withdrawn = {"GO-2023-1737": {"withdrawn": "2024-06-01T00:00:00Z", "modified": "2024-06-01T00:00:00Z"}}
    [gone] = parse_source(SOURCE, _document([gin], ["GO-2023-1737"], **withdrawn), base_url="").entries
    assert gone.id == entry.id and gone.advisory.affects_pinned is False
    assert gone.title.startswith("Withdrawn: ") and gone.feed_html != entry.feed_html


@pytest.mark.parametrize(("ecosystem", "pinned", "ranges", "versions", "expected"), [
    ("PyPI", "2.0.0rc1", [AffectedRange("1.0", "2.0.0")], [], True),  # PEP 440: rc before the release
    ("PyPI", "2.0.0", [AffectedRange("1.0", "2.0.0")], [], False),
    ("PyPI", "0.9", [AffectedRange("1.0", "2.0.0")], [], False),
    ("npm", "1.0.0-beta.2", [AffectedRange("1.0.0-beta.1", "1.0.0")], [], True),
    ("npm", "1.2.3", [AffectedRange("1.0.0", None, "1.2.3")], [], True),  # last_affected is inclusive
    ("crates.io", "1.2.4", [AffectedRange("1.0.0", None, "1.2.3")], [], False),
    ("crates.io", "3.0.0", [AffectedRange("2.0.0", None)], [], True),  # no fix yet
    ("Go", "v0.5.0", [], ["0.5.0"], True),  # listed one by one, Go's leading v aside
])
def test_affects(ecosystem, pinned, ranges, versions, expected):
    assert affects(ecosystem, pinned, ranges, versions) is expected


def test_semver_precedence():
    order = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
             "1.0.0-rc.1", "1.0.0", "v1.0.1", "1.10.0"]
    assert sorted(order, key=semver_key) == order and semver_key("not-a-version") is None


# -- through the poll, with OSV answers served from 127.0.0.1 ---------------------------------------

@pytest.fixture
def osv():
    server = FeedServer().start()
    yield server
    server.stop()


def _serve(server: FeedServer, config, ids_by_package: dict[str, list[str]], **changes: dict) -> None:
    source = next(s for s in config.sources if s.kind == "advisories")  # all have the stack's packages
    results = [{"vulns": [{"id": i, "modified": _record(i)["modified"]} for i in ids_by_package.get(p.name, [])]}
               for p in source.packages]
    server.add("/osv/v1/querybatch", json.dumps({"results": results}), content_type="application/json")
    for osv_id in ("GHSA-35jh-r3h4-6jhm", "GHSA-h8pj-cxx2-jfg2", "PYSEC-2022-183", "GO-2023-1737"):
        server.add(f"/osv/v1/vulns/{osv_id}", json.dumps({**_record(osv_id), **changes.get(osv_id, {})}),
                   content_type="application/json")


def _stack(tmp_path: Path, base: str, extra_sources: list[dict] = ()) -> Path:
    (tmp_path / "package.json").write_text('{"dependencies": {"lodash": "4.17.20", "express": "^4.18.2"}}')
    (tmp_path / "requirements.txt").write_text("httpx==0.28.1\n")
    (tmp_path / "go.mod").write_text("module x\n\nrequire github.com/gin-gonic/gin v1.9.1\n")
    return write_config(tmp_path, [{"name": "news", "url": "https://example.org/feed"}, *extra_sources],
                        fetch=f"{{timeout: 5, osv_api: '{base}/osv'}}",
                        extra="stack: {manifests: [package.json, requirements.txt, go.mod]}",
                        taxonomy=TAXONOMY + "  - name: stack\n    description: Your stack\n")


def _poll(config) -> list:
    """Poll the advisories sources only (the news source is not served); return their reports."""
    only = type(config)(path=config.path, settings=config.settings, tags=config.tags,
                        sources=tuple(s for s in config.sources if s.kind == "advisories"))
    archive = open_archive(config.settings.database)
    try:
        with make_client(config.settings.fetch) as client:
            return refresh_all(only, archive, client, force=True)
    finally:
        archive.close()


def _read(config, query):
    archive = open_archive(config.settings.database)
    try:
        return query(archive)
    finally:
        archive.close()


def test_a_poll_files_each_advisory_once_and_a_revision_updates_it_in_place(tmp_path, osv):
    config = load_config(_stack(tmp_path, osv.base), environ={})
    ids = {"lodash": ["GHSA-35jh-r3h4-6jhm"], "httpx": ["GHSA-h8pj-cxx2-jfg2", "PYSEC-2022-183"],
           "github.com/gin-gonic/gin": ["GO-2023-1737"]}
    _serve(osv, config, ids)
    [report] = _poll(config)
    assert (report.status, report.new_items) == ("new", 3), report
    [(_, body)] = osv.bodies
    queries = {q["package"]["name"]: q.get("version") for q in json.loads(body)["queries"]}
    assert queries == {"lodash": "4.17.20", "express": None, "httpx": "0.28.1", "github.com/gin-gonic/gin": "1.9.1"}
    since, until = datetime.now(UTC) - timedelta(days=1), datetime.now(UTC) + timedelta(days=1)
    filed = {a.advisory.id: a.advisory for a in _read(config, lambda a: a.advisories_between(since, until))}
    affecting = [a.advisory.id for a in _read(config, lambda a: a.advisories_between(since, until, affecting=True))]
    items = _read(config, lambda a: a.db.execute("SELECT COUNT(*) FROM items").fetchone()[0])
    assert set(filed) == {"GHSA-35jh-r3h4-6jhm", "GHSA-h8pj-cxx2-jfg2", "GO-2023-1737"} and items == 3
    assert affecting == ["GHSA-35jh-r3h4-6jhm"]  # lodash 4.17.20 < 4.17.21; httpx 0.28.1 and gin v1.9.1 are fixed
    assert filed["GHSA-35jh-r3h4-6jhm"].manifest == str(tmp_path / "package.json")
    # OSV withdraws the lodash advisory and no longer lists it: the poll reads it again, by its id.
    revised = {"GHSA-35jh-r3h4-6jhm": {"withdrawn": "2026-12-01T00:00:00Z", "modified": "2026-12-01T00:00:00Z"}}
    _serve(osv, config, {**ids, "lodash": []}, **revised)
    [report] = _poll(config)
    assert (report.status, report.new_items, report.updated_items) == ("new", 0, 1), report
    assert osv.hits("/osv/v1/vulns/GHSA-35jh-r3h4-6jhm") == 2
    again = {a.advisory.id: a.advisory for a in _read(config, lambda a: a.advisories_between(since, until))}
    assert _read(config, lambda a: a.db.execute("SELECT COUNT(*) FROM items").fetchone()[0]) == 3
    assert _read(config, lambda a: a.advisories_between(since, until, affecting=True)) == []
    assert again["GHSA-35jh-r3h4-6jhm"].withdrawn == "2026-12-01T00:00:00Z"


def test_two_advisories_sources_never_file_an_advisory_twice(tmp_path, osv):
    path = _stack(tmp_path, osv.base, [{"name": "OSV", "kind": "advisories", "url": f"{osv.base}/osv/v1/querybatch"},
                                       {"name": "OSV mirror", "kind": "advisories",
                                        "url": f"{osv.base}/osv/v1/querybatch"}])
    with pytest.raises(Exception, match="already polled"):
        load_config(path, environ={})  # the same address twice is refused outright
    path = _stack(tmp_path, osv.base, [{"name": "OSV", "kind": "advisories", "url": f"{osv.base}/osv/v1/querybatch"},
                                       {"name": "OSV mirror", "kind": "advisories", "url": f"{osv.base}/osv"}])
    config = load_config(path, environ={})
    assert [s.name for s in config.sources if s.kind == "advisories"] == ["OSV", "OSV mirror"]  # none derived
    _serve(osv, config, {"lodash": ["GHSA-35jh-r3h4-6jhm"]})
    reports = _poll(config)
    assert sorted(r.new_items for r in reports) == [0, 1] and all(r.error is None for r in reports), reports
    assert _read(config, lambda a: a.db.execute("SELECT COUNT(*) FROM advisories").fetchone()[0]) == 1


def test_an_advisory_filed_under_an_alias_keeps_its_item_when_osv_links_a_github_id(tmp_path, osv):
    config = load_config(_stack(tmp_path, osv.base), environ={})
    _serve(osv, config, {"httpx": ["PYSEC-2022-183"]},
           **{"PYSEC-2022-183": {"aliases": ["CVE-2021-41945"]}})  # before OSV linked the GHSA record
    _poll(config)
    first = _read(config, lambda a: a.db.execute("SELECT item_id, osv_id FROM advisories").fetchall())
    _serve(osv, config, {"httpx": ["GHSA-h8pj-cxx2-jfg2", "PYSEC-2022-183"]})
    _poll(config)
    then = _read(config, lambda a: a.db.execute("SELECT item_id, osv_id FROM advisories").fetchall())
    assert first == [(first[0][0], "PYSEC-2022-183")] and then == [(first[0][0], "GHSA-h8pj-cxx2-jfg2")]
    assert _read(config, lambda a: a.db.execute("SELECT COUNT(*) FROM items").fetchone()[0]) == 1


# -- GitHub Security Advisories, the alternative when a token is set -----------------------------

GITHUB = Path(__file__).resolve().parents[1] / "fixtures" / "stack" / "github"


def _github(ghsa_id: str) -> dict:
    return json.loads((GITHUB / f"{ghsa_id}.json").read_text())


@pytest.mark.parametrize(("pinned", "affected"), [("4.17.20", True), ("4.17.21", False), ("4.17.22", False)])
def test_a_github_advisory_reads_as_its_osv_record_does(pinned, affected):
    lodash = Dependency("npm", "lodash", pinned, "", "web/package.json")
    document = json.dumps({"packages": [{"ecosystem": "npm", "name": "lodash", "pinned": pinned,
                                         "manifest": "web/package.json"}],
                           "vulns": [github_to_osv(_github("GHSA-35jh-r3h4-6jhm"))]}).encode()
    [entry] = parse_source(SOURCE, document, base_url="").entries
    [from_osv] = parse_source(SOURCE, _document([lodash], ["GHSA-35jh-r3h4-6jhm"]), base_url="").entries
    advisory = entry.advisory
    assert entry.id == from_osv.id  # keyed by the GHSA id: the same item whichever database told it
    assert advisory.affects_pinned is affected and advisory.fixed == ("4.17.21",)
    assert advisory.aliases == ("CVE-2021-23337",) and advisory.ranges == (AffectedRange("0", "4.17.21"),)
    assert advisory.severity == ("CVSS_V3 CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H",)
    assert "javascript:alert(1)" not in advisory.references
    assert "https://github.com/advisories/GHSA-35jh-r3h4-6jhm" in advisory.references


@pytest.mark.parametrize(("text", "patched", "events", "versions"), [
    (">= 4.0.0, < 4.17.21", "4.17.21", [{"introduced": "4.0.0"}, {"fixed": "4.17.21"}], []),
    ("<= 4.5.1", None, [{"introduced": "0"}, {"last_affected": "4.5.1"}], []),
    ("< 2.0.0", {"identifier": "2.0.0"}, [{"introduced": "0"}, {"fixed": "2.0.0"}], []),
    ("= 1.2.3", None, [], ["1.2.3"]),
    (">= 3.0.0", None, [{"introduced": "3.0.0"}], []),  # no fix yet
])
def test_github_version_ranges_as_osv_events(text, patched, events, versions):
    record = {"ghsa_id": "GHSA-x", "vulnerabilities": [{"package": {"ecosystem": "pip", "name": "p"},
                                                        "vulnerable_version_range": text,
                                                        "first_patched_version": patched}]}
    [affected] = github_to_osv(record)["affected"]
    assert affected["package"] == {"ecosystem": "PyPI", "name": "p"}
    assert (affected["ranges"][0]["events"] if affected["ranges"] else []) == events
    assert affected["versions"] == versions


def test_with_a_token_the_stack_asks_github_and_an_advisory_told_by_both_is_filed_once(tmp_path, osv):
    path = _stack(tmp_path, osv.base)
    text = path.read_text().replace("osv_api:", f"github_api: '{osv.base}/github', osv_api:")
    path.write_text(text)
    config = load_config(path, environ={"GITHUB_TOKEN": "test-token"})
    [github] = [s for s in config.sources if s.kind == "advisories"]
    assert github.url == f"{osv.base}/github/advisories"  # the derived source takes GitHub with a token
    assert load_config(path, environ={}).sources[-1].url == f"{osv.base}/osv/v1/querybatch"
    answers = {"npm&affects=lodash%404.17.20": ["GHSA-35jh-r3h4-6jhm"], "pip&affects=httpx%400.28.1": [],
               "npm&affects=express": [], "go&affects=github.com%2Fgin-gonic%2Fgin%401.9.1": []}
    for query, ids in answers.items():
        osv.add(f"/github/advisories?ecosystem={query}&per_page=100&page=1",
                json.dumps([_github(i) for i in ids]), content_type="application/json")
    [report] = _poll(config)
    assert (report.status, report.new_items, report.error) == ("new", 1, None), report
    asked = [(p, h) for p, h in osv.requests if p.startswith("/github/advisories?")]
    assert len(asked) == 4 and all(h.get("Authorization") == "Bearer test-token" for _, h in asked)
    since, until = datetime.now(UTC) - timedelta(days=1), datetime.now(UTC) + timedelta(days=1)
    [hit] = _read(config, lambda a: a.advisories_between(since, until, affecting=True))
    assert (hit.advisory.id, hit.advisory.pinned, hit.advisory.fixed) == ("GHSA-35jh-r3h4-6jhm", "4.17.20",
                                                                        ("4.17.21",))
    # OSV tells the same advisory: still one item, one advisory
    osv_only = type(config)(path=config.path, settings=config.settings, tags=config.tags,
                            sources=(Source(name="OSV", url=f"{osv.base}/osv/v1/querybatch", kind="advisories",
                                            packages=github.packages),))
    _serve(osv, osv_only, {"lodash": ["GHSA-35jh-r3h4-6jhm"]})
    archive = open_archive(config.settings.database)
    try:
        archive.sync_sources(osv_only.sources, datetime.now(UTC))
        with make_client(config.settings.fetch) as client:
            [again] = refresh_all(osv_only, archive, client, force=True)
        assert again.error is None and again.new_items == 0, again
        assert archive.db.execute("SELECT COUNT(*) FROM advisories").fetchone()[0] == 1
        assert archive.db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 1
    finally:
        archive.close()
