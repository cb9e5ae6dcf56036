"""kind: crates — a crate's versions on crates.io, each a release (yanked ones left out)."""

from __future__ import annotations

from datetime import datetime

from ...errors import ParseError
from ...records import ParsedFeed, Source
from .base import SourceKind
from .registry_json import registry_json, versions_feed


class Crates(SourceKind):
    """crates.io's API list of a crate's versions: `num` and `created_at` of each."""

    name = "crates"
    target = "package"
    address = "https://crates.io/api/v1/crates/{}/versions"
    example = "serde"

    def identity(self, value: str) -> str:
        """crates.io treats '-' and '_' as the same name, ignoring case."""
        return value.strip().casefold().replace("_", "-")

    def read(self, source: Source, content: bytes, base_url: str, content_type: str,
             now: datetime | None) -> ParsedFeed:
        """One release per version that was not yanked."""
        document = registry_json(content, "a crates.io versions list")
        if not isinstance(document, dict) or not isinstance(document.get("versions"), list):
            raise ParseError("not a crates.io versions list (no 'versions' list)")
        rows = [row for row in document["versions"] if isinstance(row, dict) and row.get("num")]
        name = str(rows[0].get("crate") if rows and rows[0].get("crate") else source.project or source.name)
        versions = [(str(row["num"]), str(row.get("created_at") or "") or None) for row in rows
                    if not row.get("yanked")]
        return versions_feed(source, versions, page=f"https://crates.io/crates/{name}/{{}}",
                             link=f"https://crates.io/crates/{name}", title=f"{name} on crates.io",
                             format="crates-json")
