"""The archive lock: one techwatch process at a time works on an archive (flock on `<database>.lock`)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from ..errors import LockHeld

POLL_SECONDS = 0.2


def lock_path(database: Path) -> Path:
    """The lock file of an archive: `<database>.lock`, next to it."""
    database = Path(database)
    return database.with_name(database.name + ".lock")


def describe_holder(holder: dict) -> str:
    """'pid 123 on host (techwatch run, since 2026-11-27 10:02 UTC)', from a lock file's JSON."""
    if not holder.get("pid"):
        return "another process"
    since = ""
    with contextlib.suppress(TypeError, ValueError):
        since = f", since {datetime.fromisoformat(holder['started_at']):%Y-%m-%d %H:%M} UTC"
    return f"pid {holder['pid']} on {holder.get('host', '?')} ({holder.get('command', '?')}{since})"


def _read(fd: int) -> dict:
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:  # the holder is between truncating and writing
        return {}
    return data if isinstance(data, dict) else {}


def lock_holder(database: Path) -> dict | None:
    """Who holds the archive lock now ({pid, host, command, started_at}), or None when nobody does."""
    try:
        fd = os.open(lock_path(database), os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            # A shared lock can be taken only when no process holds the exclusive one.
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


@contextlib.contextmanager
def archive_lock(database: Path, command: str, wait_seconds: float = 0.0,
                 on_wait: Callable[[dict], None] | None = None) -> Iterator[None]:
    """Hold the archive's lock for the block; wait up to `wait_seconds` for it, then raise LockHeld.

    The kernel releases a flock when its process dies (even by kill -9), so a crash never leaves
    the archive locked; the file itself stays, holding the last holder's description.
    `on_wait(holder)` is called once, when the lock is busy and the caller is going to wait.
    """
    path = lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_seconds
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _read(fd)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    # lock_holder()'s shared probe can make the lock look busy for an instant
                    if holder or lock_holder(database) is not None:
                        raise _held(Path(database), holder or lock_holder(database)) from None
                    remaining = POLL_SECONDS / 4
                elif not waited and on_wait is not None:
                    on_wait(holder)
                waited = True
                time.sleep(min(POLL_SECONDS, remaining))
        info = {"pid": os.getpid(), "host": socket.gethostname(), "command": command,
                "started_at": datetime.now(UTC).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the last descriptor releases the flock


def _held(database: Path, holder: dict) -> LockHeld:
    return LockHeld(f"the archive {database} is in use by {describe_holder(holder)}", database=database, holder=holder)
