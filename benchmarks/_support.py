"""The test suite's helpers (tests/support), for the benchmarks that serve feeds on 127.0.0.1.

The benchmarks run as scripts (`python benchmarks/x.py`), so this directory is on sys.path and
`from _support import FeedServer` works; tests/support is added here, once, for its modules.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

SUPPORT = Path(__file__).resolve().parent.parent / "tests" / "support"
if str(SUPPORT) not in sys.path:
    sys.path.insert(0, str(SUPPORT))

_httpserver = importlib.import_module("httpserver")
_testkit = importlib.import_module("testkit")

FeedServer = _httpserver.FeedServer
rss = _testkit.rss
shipped_taxonomy = _testkit.shipped_taxonomy

__all__ = ["FeedServer", "rss", "shipped_taxonomy"]
