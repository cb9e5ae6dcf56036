"""kind: pypi — a project's release feed on PyPI."""

from __future__ import annotations

import re
from datetime import datetime

from ...records import ParsedFeed, Source
from ..releases import releases_feed
from ..versions import find_version
from .base import SourceKind


class PyPI(SourceKind):
    """PyPI's RSS of a project's releases: each entry's title names its version."""

    name = "pypi"
    target = "package"
    address = "https://pypi.org/rss/project/{}/releases.xml"
    example = "transformers"

    def identity(self, value: str) -> str:
        """PEP 503: Foo_Bar, foo-bar and foo.bar are one project."""
        return re.sub(r"[-_.]+", "-", value.strip().casefold())

    def read(self, source: Source, content: bytes, base_url: str, content_type: str,
             now: datetime | None) -> ParsedFeed:
        """The releases whose title names a version."""
        return releases_feed(source, content, base_url, content_type, now,
                             version_of=lambda entry: find_version(entry.title or "", source.project),
                             missing="names a version")
