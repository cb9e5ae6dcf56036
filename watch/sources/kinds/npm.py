"""kind: npm — a package's versions on the npm registry, each a release."""

from __future__ import annotations

import re
from datetime import datetime

from ...errors import ParseError
from ...records import ParsedFeed, Source
from .base import SourceKind
from .registry_json import registry_json, versions_feed


class Npm(SourceKind):
    """The registry's package document: `versions` names them, `time` dates them."""

    name = "npm"
    target = "package"
    address = "https://registry.npmjs.org/{}"
    example = "express"
    target_form = re.compile(r"^(?:@[A-Za-z0-9][A-Za-z0-9._-]*/)?[A-Za-z0-9][A-Za-z0-9._-]*$")
    target_form_text = "an npm package name (express, @scope/name)"

    def target_url(self, value: str) -> str:
        """The registry document of a package; a scope's slash is escaped, as the registry asks."""
        return self.address.format(value.replace("/", "%2F"))

    def default_project(self, value: str) -> str:
        """A scoped package keeps its scope: @angular/core, not core."""
        return value

    def read(self, source: Source, content: bytes, base_url: str, content_type: str,
             now: datetime | None) -> ParsedFeed:
        """One release per published version (unpublished ones have no entry in `versions`)."""
        document = registry_json(content, "an npm package document")
        if not isinstance(document, dict) or not isinstance(document.get("versions"), dict):
            raise ParseError("not an npm package document (no 'versions' mapping)")
        name = str(document.get("name") or source.project or source.name)
        times = document.get("time") if isinstance(document.get("time"), dict) else {}
        versions = [(str(number), str(times.get(number) or "") or None) for number in document["versions"]]
        return versions_feed(source, versions, page=f"https://www.npmjs.com/package/{name}/v/{{}}",
                             link=f"https://www.npmjs.com/package/{name}", title=f"{name} on npm", format="npm-json")
