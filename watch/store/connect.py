"""Opening the archive read-only: queries never block a running job; an archive behind is migrated first."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from ..errors import StoreError
from .archive import open_archive
from .migrations import pending_migrations
from .reader import ArchiveReader


def open_reader(path: str | Path) -> ArchiveReader:
    """Open the archive read-only, so a query never blocks a running job (migrating first if it is behind)."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"no archive at {path}: run `techwatch run` first, or pass --db")
    try:
        db = _connect_read_only(path)
        if not db["_migrations"].exists():
            db.close()
            raise StoreError(f"{path} is not a techwatch archive (no _migrations table)")
        if pending_migrations(db):
            # An archive written by an older techwatch: bring it up to date once, then read.
            db.close()
            open_archive(path).close()
            db = _connect_read_only(path)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot read archive {path}: {exc}") from exc
    return ArchiveReader(db)


def _connect_read_only(path: Path) -> sqlite_utils.Database:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA query_only = ON")
    return sqlite_utils.Database(conn)
