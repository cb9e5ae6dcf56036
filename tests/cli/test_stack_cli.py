"""`search --tag stack` and `stats` count the items of stack sources: a release source with `dependency:` and the
advisories source get the `stack` tag from their source, whatever the tagger says (feeds and OSV on 127.0.0.1)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from click.testing import CliRunner
from fakes import fake_models
from testkit import FIXTURES, TAXONOMY, rss, write_config

from watch import pipeline
from watch.cli.main import cli

OSV = FIXTURES / "stack" / "osv"
HTTPX = "GHSA-h8pj-cxx2-jfg2"


def test_search_tag_stack_and_stats_count_the_stack_items(tmp_path, server, monkeypatch):
    (tmp_path / "requirements.txt").write_text("httpx==0.22.0\n")
    hour_ago = format_datetime(datetime.now(UTC) - timedelta(hours=1))
    server.add("/news.xml", rss("News", [{"title": "An agent framework", "link": "http://news.example/1",
                                          "guid": "n1", "pubDate": hour_ago,
                                          "description": "<p>An agent got tools.</p>"}]))
    server.add("/httpx.xml", rss("httpx releases", [{"title": "httpx 0.23.0", "link": "http://httpx.example/0.23.0",
                                                     "guid": "r1", "pubDate": hour_ago,
                                                     "description": "<p>Fixes.</p>"}]))
    record = json.loads((OSV / f"{HTTPX}.json").read_text())
    answer = {"results": [{"vulns": [{"id": HTTPX, "modified": record["modified"]}]}]}
    server.add("/osv/v1/querybatch", json.dumps(answer), content_type="application/json")
    server.add(f"/osv/v1/vulns/{HTTPX}", json.dumps(record), content_type="application/json")
    path = write_config(tmp_path, [
        {"name": "News", "url": server.url("/news.xml"), "extract": "never"},
        {"name": "httpx releases", "url": server.url("/httpx.xml"), "extract": "never", "tags": "[stack]",
         "manifest": "requirements.txt", "dependency": "pkg:pypi/httpx"},
        {"name": "Advisories", "kind": "advisories", "url": server.url("/osv/v1/querybatch")},  # no tags: given
    ], taxonomy=TAXONOMY + "  - name: stack\n    description: Your stack\n")
    monkeypatch.setattr(pipeline, "load_models", lambda config: fake_models())
    run = CliRunner().invoke(cli, ["run", "--config", str(path)])
    assert run.exit_code == 0, run.output
    assert "3 processed, 0 failed" in run.stdout, run.stdout
    found = CliRunner().invoke(cli, ["search", "--tag", "stack", "--format", "json", "--config", str(path)])
    assert found.exit_code == 0, found.output
    hits = json.loads(found.stdout)
    assert sorted(h["source"] for h in hits) == ["Advisories", "httpx releases"], hits
    assert all("stack" in h["tags"] for h in hits)
    # the advisory is dated by OSV (2022): a window of years holds it
    stats = CliRunner().invoke(cli, ["stats", "--since", "6y", "--format", "json", "--config", str(path)])
    assert stats.exit_code == 0, stats.output
    tags = {row["tag"]: row["items"] for row in json.loads(stats.stdout)["tags"]}
    assert tags["stack"] == 2 and tags["agents"] == 1, stats.stdout
