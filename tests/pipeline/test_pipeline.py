"""pipeline.py in-process over a real HTTP server and a real SQLite file (fake models: plumbing only)."""

from __future__ import annotations

import pytest
from fakes import fake_models
from fixture_dates import FIXTURE_MONDAY, week_label, weeks_back
from testkit import fixture_bytes, write_config

from watch.config import load_config
from watch.digest.build import parse_period
from watch.errors import ModelError
from watch.http.client import make_client
from watch.pipeline import build_digest, process_pending, run_cycle
from watch.store import open_archive

# run_cycle judges dates by the real clock: the fixtures' week becomes the last complete week.
SHIFT = weeks_back()


@pytest.fixture
def setup(tmp_path, server, closed_port_url):
    server.add("/lab.xml", fixture_bytes("ai_lab.rss.xml", SHIFT), etag=True)
    server.add("/fr.atom", fixture_bytes("regulation_fr.atom", SHIFT), content_type="application/atom+xml")
    server.add("/page.html", fixture_bytes("not_a_feed.html"), content_type="text/html")
    server.add("/broken.xml", "oops", status=500)
    path = write_config(tmp_path, [
        {"name": "Lab", "url": server.url("/lab.xml"), "tags": "[llm]"},
        {"name": "Veille", "url": server.url("/fr.atom")},
        {"name": "Missing", "url": server.url("/missing.xml")},
        {"name": "Page", "url": server.url("/page.html")},
        {"name": "Broken", "url": server.url("/broken.xml")},
        {"name": "Down", "url": closed_port_url},
        {"name": "Off", "url": server.url("/lab.xml"), "enabled": "false"},
    ], digest="{directory: digests, per_source: 10}")  # one lab tells most stories; the share is tested in tests/digest
    config = load_config(path)
    archive = open_archive(config.settings.database)
    with make_client(config.settings.fetch) as client:
        yield config, archive, client
    archive.close()


def test_cycle_reports_each_source_and_goes_on_after_failures(setup):
    config, archive, client = setup
    loads = []
    report = run_cycle(config, archive, client, lambda: loads.append(1) or fake_models())
    by_name = {s.source: s for s in report.sources}
    assert (by_name["Lab"].status, by_name["Lab"].new_items) == ("new", 4)
    assert (by_name["Veille"].status, by_name["Veille"].new_items) == ("new", 3)
    assert by_name["Missing"].status == "failed" and "404" in by_name["Missing"].error
    assert by_name["Page"].status == "failed" and "not a feed" in by_name["Page"].error
    assert by_name["Broken"].status == "failed" and "500" in by_name["Broken"].error
    assert by_name["Down"].status == "failed" and "ConnectError" in by_name["Down"].error
    assert by_name["Off"].status == "disabled"
    assert report.processed.processed == 7 and loads == [1]
    health = {h["name"]: h for h in archive.source_health()}
    assert health["Broken"]["error_count"] == 1 and "500" in health["Broken"]["last_error"]
    run = archive.db.execute("SELECT status, sources_failed, new_items, processed FROM runs").fetchone()
    assert run == ("partial", 4, 7, 7)


def test_second_cycle_adds_nothing_and_loads_no_model(setup, server):
    config, archive, client = setup
    run_cycle(config, archive, client, fake_models)
    before = archive.counts()
    report = run_cycle(config, archive, client, lambda: pytest.fail("model loaded with nothing to do"), force=True)
    assert report.new_items == 0 and report.processed.processed == 0
    after = archive.counts()
    assert {k: v for k, v in after.items() if k != "runs"} == {k: v for k, v in before.items() if k != "runs"}
    # the ETag'd feed answered 304 the second time
    lab_requests = [h for p, h in server.requests if p == "/lab.xml"]
    assert "If-None-Match" in lab_requests[-1]


def test_changed_item_is_processed_again(setup, server):
    config, archive, client = setup
    run_cycle(config, archive, client, fake_models)
    body = fixture_bytes("ai_lab.rss.xml", SHIFT).replace(b"seven billion parameters", b"eight billion parameters")
    server.add("/lab.xml", body, etag=True)
    report = run_cycle(config, archive, client, fake_models, force=True)
    lab = next(s for s in report.sources if s.source == "Lab")
    assert (lab.new_items, lab.updated_items) == (0, 1)
    assert report.processed.processed == 1
    content = archive.db.execute("SELECT content FROM items WHERE title LIKE 'Open-weights%'").fetchone()[0]
    assert "eight billion" in content


def test_model_load_failure_keeps_items_pending(setup):
    config, archive, client = setup

    def broken():
        raise ModelError("weights missing")

    report = run_cycle(config, archive, client, broken)
    assert any("weights missing" in e for e in report.processed.errors)
    assert len(archive.pending_items()) == 7
    assert process_pending(config, archive, client, fake_models).processed == 7


def test_one_failing_item_does_not_stop_the_others(setup):
    config, archive, client = setup
    models = fake_models()
    original = models.summarizer.summarize

    def flaky(title, text, language=None):
        if "GPU" in title:
            raise RuntimeError("summarizer exploded")
        return original(title, text, language)

    models.summarizer.summarize = flaky
    report = run_cycle(config, archive, client, lambda: models)
    assert report.processed.processed == 6 and report.processed.failed == 1
    assert any("summarizer exploded" in e for e in report.processed.errors)


def test_digest_from_archive(setup):
    config, archive, client = setup
    run_cycle(config, archive, client, fake_models)
    digest = build_digest(config, archive, parse_period(week=week_label(FIXTURE_MONDAY + SHIFT)))
    assert digest.item_count == 7
    tags = [s.tag for s in digest.sections]
    assert tags == sorted(tags, key=[t.name for t in config.tags].index)
    titles = [i.title for s in digest.sections for i in s.items]
    assert "Open-weights model Nimbus-7B released under Apache 2.0" in titles


def test_item_whose_extraction_crashes_fails_alone(setup, monkeypatch):
    config, archive, client = setup
    import watch.extract.fulltext as pl

    real = pl.article_from_feed

    def crashing(fragment, language):
        if "GPU rental" in fragment:
            raise ValueError("lxml choked")
        return real(fragment, language)

    monkeypatch.setattr(pl, "article_from_feed", crashing)
    report = run_cycle(config, archive, client, fake_models)
    assert (report.processed.processed, report.processed.failed) == (6, 1)
    assert any("lxml choked" in e and "Lab" in e for e in report.processed.errors)


def test_model_error_during_inference_leaves_items_pending_not_failed(setup):
    config, archive, client = setup
    models = fake_models()

    def broken(docs):
        raise ModelError("weights corrupt")

    models.tagger.tag_many = broken
    report = run_cycle(config, archive, client, lambda: models)
    assert any("weights corrupt" in e for e in report.processed.errors)
    assert report.processed.failed == 0
    assert len(archive.pending_items()) == 7
    assert archive.db.execute("SELECT MAX(attempts) FROM items").fetchone()[0] == 0


def test_second_cycle_polls_only_due_sources(setup, server):
    config, archive, client = setup
    run_cycle(config, archive, client, fake_models)
    hits = len(server.requests)
    report = run_cycle(config, archive, client, fake_models)
    assert len(server.requests) == hits  # nothing due: successes wait an interval, failures a backoff
    statuses = {s.source: s.status for s in report.sources}
    assert statuses["Lab"] == statuses["Broken"] == "not due" and statuses["Off"] == "disabled"


def test_batch_summarizing_is_used_and_falls_back_item_by_item(setup):
    config, archive, client = setup
    models = fake_models()
    batches = []

    def many(docs, deadline=None):
        batches.append(len(docs))
        raise RuntimeError("batch exploded")

    models.summarizer.summarize_many = many
    report = run_cycle(config, archive, client, lambda: models)
    assert batches == [7]  # one call for the whole batch...
    assert report.processed.processed == 7 and report.processed.failed == 0  # ...then one by one
    assert models.summarizer.calls == 7
