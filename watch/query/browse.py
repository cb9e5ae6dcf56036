"""`techwatch browse`: the archive served read-only in Datasette, with the schema's descriptions and canned queries.

Datasette opens a database passed as a plain path with `?mode=ro` (never `immutable=1`, which would
assume nobody writes the file while a scheduler does), so it reads the live archive and never writes it.
"""

from __future__ import annotations

import importlib.util
import json
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..errors import BrowseError
from ..store import open_reader
from ..store.canned import CANNED_QUERIES
from ..store.schema import DOCUMENTED, FTS_TABLE

NOT_INSTALLED = 'Datasette is not installed: pip install "techwatch[browse]"'
# Views over a large archive compute per-item subqueries; Datasette's default limit is 1 s.
SQL_TIME_LIMIT_MS = 5000
# How long Datasette may take to stop after SIGTERM before it is killed.
STOP_GRACE_SECONDS = 10


# Sorting on big text columns (content, feed_html) would scan the archive for nothing useful.
SORTABLE = {
    "items": ["published", "fetched_at", "processed_at", "title", "source", "status", "language", "relevance",
              "attempts"],
    "items_with_tags": ["date", "fetched_at", "title", "source", "status", "language", "relevance"],
    "stories": ["first_seen", "last_seen", "item_count", "source_count", "relevance", "title"],
    "sources": ["name", "error_count", "last_checked_at", "last_success_at", "last_new_item_at", "next_check_at",
                "last_status", "stale_since", "gone_at", "last_elapsed_ms"],
    "runs": ["id", "started_at", "finished_at", "status", "job", "new_items", "processed", "failed_items"],
}
FACETS = {
    "items": ["source", "status", "language"],
    "items_with_tags": ["source", "status", "language"],
    "stories": ["source_count"],
    "item_tags": ["tag"],
    "releases": ["project", "level", "prerelease"],
    "runs": ["job", "status"],
    "sources": ["enabled", "last_status"],
}

# The end of the period a query looks back from: :as_of (a date or ISO time), blank for now.
def database_name(database: Path) -> str:
    """The name Datasette gives the archive (the file name without its suffix), used in URLs and metadata."""
    return Path(database).stem


def datasette_metadata(database: Path) -> dict:
    """Datasette metadata for the archive: descriptions, column notes, search on items, sorting, canned queries."""
    tables: dict[str, dict] = {}
    for name, doc in DOCUMENTED.items():
        if name == FTS_TABLE:
            continue  # Datasette hides FTS tables; items carries the search box
        entry: dict = {"description": doc.description, "columns": dict(doc.columns)}
        if name in SORTABLE:
            entry["sortable_columns"] = SORTABLE[name]
        if name in FACETS:
            entry["facets"] = FACETS[name]
        tables[name] = entry
    # items_fts is standalone (not external content), so Datasette cannot detect it: name it, and its key.
    tables["items"].update({"fts_table": FTS_TABLE, "fts_pk": "rowid", "searchmode": "raw"})
    tables["items_with_tags"]["sort_desc"] = "date"
    tables["items"]["sort_desc"] = "fetched_at"
    tables["sources"]["label_column"] = "name"
    return {
        "title": "techwatch archive",
        "description": "Feeds polled, summarized, tagged and clustered by techwatch, served read-only. Start with "
                       "the views items_with_tags and stories, the search box of items, or the canned queries.",
        "databases": {
            database_name(database): {
                "description": "The techwatch archive (see docs/schema.md).",
                "tables": tables,
                "queries": {name: dict(query) for name, query in CANNED_QUERIES.items()},
            },
        },
    }


def datasette_command(database: Path, metadata: Path, host: str = "127.0.0.1", port: int = 8001,
                      open_browser: bool = False) -> list[str]:
    """The `datasette serve` command line: the archive as a mutable (mode=ro) database, never immutable."""
    command = [sys.executable, "-m", "datasette", "serve", str(database), "--metadata", str(metadata),
               "--host", host, "--port", str(port), "--setting", "sql_time_limit_ms", str(SQL_TIME_LIMIT_MS)]
    if open_browser:
        command.append("--open")
    return command


class _Stop(Exception):
    """Raised by the signal handler to leave the wait for Datasette."""


class _StopSignals:
    """SIGTERM, SIGINT and SIGHUP end the wait for Datasette (instead of killing this process and leaving
    Datasette and the temporary folder behind); handlers are restored on exit."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)

    def __init__(self) -> None:
        self.signum = 0
        self.armed = False  # raise only while waiting; a signal during start-up or shutdown is just noted
        self.saved: dict[int, Any] = {}

    def __enter__(self) -> _StopSignals:
        for signum in self.SIGNALS:
            self.saved[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self.saved.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, _frame: object) -> None:
        self.signum = self.signum or signum
        if self.armed:
            self.armed = False
            raise _Stop

    def wait(self, process: subprocess.Popen) -> int | None:
        """Datasette's exit code, or None when a signal asked us to stop first."""
        self.armed = True
        try:
            if self.signum:
                return None
            return process.wait()
        except _Stop:
            return None
        finally:
            self.armed = False


def _shut_down(process: subprocess.Popen) -> None:
    """Stop Datasette (SIGTERM, then SIGKILL after STOP_GRACE_SECONDS) and reap it."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def browse(database: Path, host: str = "127.0.0.1", port: int = 8001, open_browser: bool = False) -> str | None:
    """Serve the archive read-only in Datasette until it stops or a signal (Ctrl-C, SIGTERM, SIGHUP) stops it.

    Datasette runs in its own process group, so a signal reaches this process only, which then stops
    Datasette and waits for it; the temporary folder of its metadata is removed either way. Return the
    name of the signal that stopped it (None if Datasette exited by itself); raise BrowseError if it failed.
    """
    if importlib.util.find_spec("datasette") is None:
        raise BrowseError(NOT_INSTALLED)
    database = Path(database)
    # Checks it is an archive, and brings an older one up to date so the views exist.
    open_reader(database).close()
    with _StopSignals() as stop, tempfile.TemporaryDirectory(prefix="techwatch-browse-") as tmp:
        metadata = Path(tmp) / "metadata.json"
        metadata.write_text(json.dumps(datasette_metadata(database), ensure_ascii=False, indent=1),
                            encoding="utf-8")
        try:
            process = subprocess.Popen(datasette_command(database, metadata, host, port, open_browser),
                                       start_new_session=True)
        except OSError as exc:
            raise BrowseError(f"cannot start Datasette: {exc}") from exc
        try:
            code = stop.wait(process)
        finally:
            _shut_down(process)
    if code is None:
        return signal.Signals(stop.signum).name
    if code not in (0, -2, -15, 130):
        raise BrowseError(f"Datasette exited with code {code} (is port {port} already in use, or is {host} not "
                          "an address of this machine?)")
    return None
