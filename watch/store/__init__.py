"""The SQLite archive: every SQL statement of techwatch lives in this package (via sqlite-utils)."""

from .archive import Archive, entry_hash, open_archive
from .connect import open_reader
from .reader import ArchiveReader, iso

__all__ = ["Archive", "ArchiveReader", "entry_hash", "iso", "open_archive", "open_reader"]
