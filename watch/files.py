"""Modes of the files techwatch creates: private ones 0600, digests meant to be served 0644.

The archive, the scheduler's job store and exports hold everything read and every source followed:
they are created readable by their owner only. Digests in the digest directory (and feed.atom) are
made to be served or shared: 0644. A mode is given when the file is created, so a stricter umask
still narrows it; a file that already exists keeps the mode its owner gave it.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

__all__ = ["PRIVATE", "SHARED", "atomic_open", "create_private", "umask"]

PRIVATE = 0o600
SHARED = 0o644


def create_private(path: Path) -> bool:
    """Create `path` empty with mode 0600 (less the umask) unless it exists; return whether it was created."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux 4.7+)."""
    with contextlib.suppress(OSError):
        match = re.search(r"^Umask:\s*([0-7]+)$", Path("/proc/self/status").read_text(), re.MULTILINE)
        if match:
            return int(match[1], 8)
    current = os.umask(0o077)  # elsewhere: set and restore (a short window for other threads)
    os.umask(current)
    return current


@contextlib.contextmanager
def atomic_open(path: Path, mode: int) -> Iterator[TextIO]:
    """A text file written beside `path` and renamed over it on success, so a reader never sees half of it.

    A new file gets `mode` less the umask; a file replaced keeps its own mode.
    """
    path = Path(path)
    try:
        final_mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        final_mode = mode & ~umask()
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, final_mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            yield handle
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
