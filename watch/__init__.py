"""techwatch: a self-hosted technology-watch pipeline (feeds -> SQLite archive -> weekly digest)."""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _package_version

from .config import load_config
from .errors import (
    ConfigError,
    DeliveryError,
    DiscoveryError,
    FetchError,
    ModelError,
    ParseError,
    StoreError,
    WatchError,
)
from .pipeline import build_digest, load_models, process_pending, refresh_all, refresh_source, run_cycle
from .store import Archive, open_archive

try:
    __version__ = _package_version("techwatch")  # pyproject.toml's, as installed
except PackageNotFoundError:  # a source tree run without being installed
    __version__ = "unknown (not installed)"

__all__ = [
    "Archive",
    "ConfigError",
    "DeliveryError",
    "DiscoveryError",
    "FetchError",
    "ModelError",
    "ParseError",
    "StoreError",
    "WatchError",
    "build_digest",
    "load_config",
    "load_models",
    "open_archive",
    "process_pending",
    "refresh_all",
    "refresh_source",
    "run_cycle",
]
