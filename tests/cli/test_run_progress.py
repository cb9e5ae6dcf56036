"""`techwatch run` while it works: plain progress lines on stderr when not on a terminal, live bars on one.

The command runs in-process (click's CliRunner, whose output is not a terminal) against a real HTTP
server on 127.0.0.1, with the fake models in place of the configured ones.
"""

from __future__ import annotations

import io

from click.testing import CliRunner
from fakes import fake_models
from rich.console import Console
from testkit import rss, write_config

from watch import pipeline
from watch.cli.main import cli
from watch.cli.progress import RunProgress
from watch.records import ProgressEvent, SourceReport


def test_run_prints_plain_progress_lines_when_not_on_a_terminal(tmp_path, server, monkeypatch):
    items = [{"title": f"Agent framework {n}", "link": f"http://lab.example/{n}", "guid": f"g{n}",
              "description": "<p>An agent framework got tools. It is an LLM agent.</p>"} for n in range(5)]
    server.add("/lab.xml", rss("Lab", items))
    path = write_config(tmp_path, [{"name": "Lab", "url": server.url("/lab.xml"), "extract": "never"}])
    monkeypatch.setattr(pipeline, "load_models", lambda config: fake_models())
    result = CliRunner().invoke(cli, ["run", "--config", str(path)])
    assert result.exit_code == 0, result.output
    err = result.stderr.splitlines()
    assert "refresh: 0/1 sources polled" in err
    assert "extract: 0/5 items extracted" in err and "model: 0/5 items summarized and tagged" in err
    assert any(line.startswith("extract: 5/5 items extracted, ") and line.endswith(", done") for line in err)
    assert any(line.startswith("model: 5/5 items summarized and tagged, ") for line in err)
    # stdout keeps the run's report alone
    assert "progress" not in result.stdout and "items extracted" not in result.stdout
    assert "  new        Lab: 5 new, 0 updated" in result.stdout and "5 processed, 0 failed" in result.stdout
    server.add("/lab.xml", rss("Lab", [*items, {**items[0], "guid": "g5", "title": "Agent framework 5"}]))
    quiet = CliRunner().invoke(cli, ["--quiet", "run", "--all", "--config", str(path)])
    assert quiet.exit_code == 0, quiet.output
    assert "1 new items; 1 processed" in quiet.stdout and quiet.stderr == ""  # cron's --quiet: no progress lines


def test_on_a_terminal_each_phase_is_a_bar_with_rate_and_time_left():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100, color_system=None)
    with RunProgress(console=console) as progress:
        progress.progress(ProgressEvent("refresh", 1, 1, rate=2.0, eta=0.0))
        progress.source(SourceReport("Lab", "new", new_items=3))
        progress.progress(ProgressEvent("extract", 30, 120, rate=3.0, eta=90.0))
        progress.progress(ProgressEvent("model", 10, 120, rate=1.5, eta=73.0))
        progress.bar.refresh()
        shown = out.getvalue()
    assert "new        Lab: 3 new, 0 updated" in shown
    assert "polling" in shown and "extracting" in shown and "summarizing" in shown
    assert "30/120" in shown and "3.0/s" in shown and "~1:30 left" in shown and "~1:13 left" in shown
