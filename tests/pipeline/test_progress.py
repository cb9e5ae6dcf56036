"""Progress of a run: the pipeline's typed events over a real feed, and the plain lines drawn from them.

A feed of 250 items is served on 127.0.0.1 and run through run_cycle with the fake models; the plain
reporter gets a clock the test drives, so its 100-item and 30-second thresholds are checked without sleeping.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from email.utils import format_datetime

import pytest
from fakes import fake_models
from fixture_dates import FIXTURE_MONDAY, weeks_back
from testkit import rss, write_config

import jobs
from watch.config import load_config
from watch.http.client import make_client
from watch.pipeline import run_cycle
from watch.progress import Meter, PlainProgress, progress_fields, progress_line
from watch.records import ProgressEvent
from watch.store import open_archive

ITEMS = 250


def _feed(count: int) -> str:
    start = FIXTURE_MONDAY + weeks_back()  # the last complete week, whatever today is
    return rss("Lab", [
        {"title": f"Open-weights model number {n}", "link": f"http://lab.example/{n}", "guid": f"item-{n}",
         "pubDate": format_datetime(start + timedelta(minutes=n)),
         "description": f"<p>Model {n} is an LLM with open weights. It runs on one GPU.</p>"}
        for n in range(count)
    ])


class Clock:
    """A clock the test moves: `step` seconds further at every reading."""

    def __init__(self, step: float = 0.0) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.fixture
def config_path(tmp_path, server):
    server.add("/lab.xml", _feed(ITEMS))
    server.add("/other.xml", _feed(0))
    return write_config(tmp_path, [{"name": "Lab", "url": server.url("/lab.xml"), "extract": "never"},
                                   {"name": "Quiet", "url": server.url("/other.xml"), "extract": "never"},
                                   {"name": "Off", "url": server.url("/lab.xml"), "enabled": "false"}])


def test_a_run_reports_each_phase_with_counts_and_plain_lines_at_the_thresholds(config_path):
    config = load_config(config_path)
    events: list[ProgressEvent] = []
    by_items: list[ProgressEvent] = []  # a frozen clock: only the 100-item rule and the ends apply
    by_time: list[ProgressEvent] = []  # extraction only, one second per event: the 30-second rule comes first
    every_100 = PlainProgress(by_items.append, clock=Clock())
    every_30s = PlainProgress(by_time.append, clock=Clock(step=1.0))

    def progress(event: ProgressEvent) -> None:
        events.append(event)
        every_100(event)
        if event.phase == "extract":
            every_30s(event)

    archive = open_archive(config.settings.database)
    try:
        with make_client(config.settings.fetch) as client:
            report = run_cycle(config, archive, client, fake_models, progress=progress)
    finally:
        archive.close()
    assert report.processed.processed == ITEMS

    def done(phase: str, seen: list[ProgressEvent] = events) -> list[int]:
        return [e.done for e in seen if e.phase == phase]

    assert done("refresh") == [0, 1, 2, 3] and {e.total for e in events if e.phase == "refresh"} == {3}
    assert done("extract") == list(range(ITEMS + 1))
    assert done("model") == list(range(ITEMS + 1))
    assert {e.total for e in events if e.phase != "refresh"} == {ITEMS}
    # extraction and the model take turns, one batch of 32 items each
    phases = [e.phase for e in events if e.phase != "refresh"]
    assert phases[:2] == ["extract", "model"] and phases[2:34] == ["extract"] * 32 and phases[34:66] == ["model"] * 32
    last = events[-1]
    assert (last.phase, last.done, last.eta) == ("model", ITEMS, 0.0) and last.rate and last.rate > 0
    middle = next(e for e in events if e.phase == "extract" and e.done == 100)
    assert middle.rate and middle.eta == pytest.approx((ITEMS - 100) / middle.rate)

    assert done("extract", by_items) == [0, 100, 200, ITEMS]
    assert done("model", by_items) == [0, 100, 200, ITEMS]
    assert done("refresh", by_items) == [0, 3]
    # event k of extraction is read at second k + 1: a line at 0 s, then every 30 s, and the last one
    assert done("extract", by_time) == [*range(0, ITEMS, 30), ITEMS]


def test_plain_lines_say_done_total_rate_and_time_left():
    assert progress_line(ProgressEvent("extract", 0, 523)) == "extract: 0/523 items extracted"
    line = progress_line(ProgressEvent("model", 100, 523, rate=3.2, eta=132.2))
    assert line == "model: 100/523 items summarized and tagged, 3.2/s, about 2 min 12 s left"
    assert progress_line(ProgressEvent("refresh", 40, 40, rate=8.0, eta=0.0)) == \
        "refresh: 40/40 sources polled, 8.0/s, done"
    assert progress_line(ProgressEvent("extract", 5, 9000, rate=0.5, eta=17990)).endswith("about 4 h 59 min left")
    assert progress_fields(ProgressEvent("extract", 5, 10)) == {"phase": "extract", "done": 5, "total": 10}


def test_meter_rate_eta_and_items_that_never_reach_a_phase():
    clock = Clock()
    seen: list[ProgressEvent] = []
    meter = Meter("model", 10, seen.append, clock=clock)
    meter.start()
    assert seen[-1] == ProgressEvent("model", 0, 10, None, None)
    clock.now = 2.0
    meter.advance(4)
    assert seen[-1] == ProgressEvent("model", 4, 10, 2.0, 3.0)
    meter.drop(6)  # failed in extraction: the phase is over
    assert seen[-1].finished and (seen[-1].total, seen[-1].eta) == (4, 0.0)
    Meter("extract", 0, seen.append).start()  # nothing to do: nothing said
    assert len(seen) == 3


def test_the_poll_job_logs_progress_as_logfmt_fields(config_path, caplog):
    caplog.set_level(logging.INFO, logger="watch.jobs")
    report = jobs.poll(config_path, models=fake_models)
    assert report is not None and report.processed.processed == ITEMS
    lines = [r for r in caplog.records if getattr(r, "phase", None) == "model"]  # fields given with extra=
    assert [r.done for r in lines] == [0, 100, 200, ITEMS] and {r.total for r in lines} == {ITEMS}
    assert lines[-1].message.startswith(f"poll: model: {ITEMS}/{ITEMS} items summarized and tagged")
