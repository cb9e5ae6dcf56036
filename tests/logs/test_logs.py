"""Structured logging: one logfmt line per event, levels chosen by --verbose / --quiet."""

from __future__ import annotations

import io
import logging

from testkit import run_cli

from watch.logs import LogfmtFormatter, setup_logging


def test_one_line_per_event_with_fields_and_quoting():
    stream = io.StringIO()
    setup_logging(verbose=True, stream=stream)
    logging.getLogger("watch.test").info("fetched %s", "Lab blog", extra={"source": "Lab blog", "status": 200})
    try:
        raise ValueError("bad\nfeed")
    except ValueError:
        logging.getLogger("watch.test").exception("parse failed")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2  # the traceback is folded into the line, not spread over many
    assert "level=info logger=watch.test" in lines[0] and 'msg="fetched Lab blog"' in lines[0]
    assert 'source="Lab blog" status=200' in lines[0]
    assert "level=error" in lines[1] and "error=" in lines[1] and "ValueError: bad\\nfeed" in lines[1]
    setup_logging()  # back to the default for other tests


def test_levels():
    stream = io.StringIO()
    setup_logging(quiet=True, stream=stream)
    logging.getLogger("watch").warning("not shown")
    logging.getLogger("watch").error("shown")
    assert stream.getvalue().count("\n") == 1 and "shown" in stream.getvalue()
    setup_logging(stream=stream)
    assert logging.getLogger().level == logging.WARNING
    assert LogfmtFormatter().format(logging.makeLogRecord({"msg": "x", "levelname": "INFO"})).startswith("time=")
    setup_logging()


def test_verbose_and_quiet_exclude_each_other(tmp_path):
    done = run_cli("-v", "-q", "feeds", "list", cwd=tmp_path)
    assert done.returncode == 2 and "exclude each other" in done.stderr
