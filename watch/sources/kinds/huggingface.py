"""kind: huggingface — an author's models on the Hugging Face Hub, each new one a release of the family."""

from __future__ import annotations

import json
from datetime import datetime

from ...dedup import canonical_url, entry_id
from ...errors import ParseError
from ...records import Entry, ParsedFeed, Release, Source
from ..parse import iso_datetime
from ..releases import decode
from ..versions import find_version
from .base import SourceKind


class HuggingFace(SourceKind):
    """The Hub's public model list of an author, newest first."""

    name = "huggingface"
    target = "author"
    address = "https://huggingface.co/api/models?author={}&sort=createdAt&direction=-1&limit=50"
    example = "mistralai"

    def read(self, source: Source, content: bytes, base_url: str, content_type: str,
             now: datetime | None) -> ParsedFeed:
        """One release entry per model of the list."""
        try:
            models = json.loads(decode(content))
        except json.JSONDecodeError as exc:
            raise ParseError(f"not a Hugging Face model list (invalid JSON: {exc})") from exc
        if not isinstance(models, list):
            raise ParseError("not a Hugging Face model list (expected a JSON array of models)")
        project = source.project or source.name
        entries = []
        for model in models:
            model_id = model.get("id") or model.get("modelId") if isinstance(model, dict) else None
            if not isinstance(model_id, str) or not model_id:
                continue
            name = model_id.split("/")[-1]
            when = iso_datetime(model.get("createdAt") or model.get("lastModified"))
            url = f"https://huggingface.co/{model_id}"
            found = find_version(name)
            entries.append(Entry(
                id=entry_id(source.name, f"model:{model_id}"), source=source.name, guid=f"model:{model_id}",
                url=url, canonical_url=canonical_url(url), title=f"New model: {model_id}",
                author=model_id.split("/")[0], published=when, feed_html="",
                release=Release(project=project, version=name, prerelease=bool(found and found.prerelease),
                                level="major")))
        return ParsedFeed(title=f"{project} on Hugging Face", link="https://huggingface.co/" + project,
                          language=None, entries=tuple(entries), format="huggingface-json")
