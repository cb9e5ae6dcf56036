"""techwatch: a self-hosted technology-watch pipeline (feeds -> SQLite archive -> weekly digest)."""

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

__version__ = "0.1.0"

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
