"""The digest's "why it matters" lines: one under each lead story, from the profile's interests (nlp/why.py).

Lines are kept in the archive by item, interests and model, so a digest written again (another format,
`--force`, the scheduler after a restart) asks the server only for stories it has no answer for yet.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from watch.nlp.server import ServerSummarizer
from watch.nlp.why import interests_key, why_server, write_why_lines
from watch.records import Digest, DigestItem, SummarizerSettings
from watch.store import Archive

log = logging.getLogger(__name__)


def with_why_lines(digest: Digest, archive: Archive, settings: SummarizerSettings, interests: str,
                   server: Callable[[SummarizerSettings], ServerSummarizer | None] = why_server,
                   now: datetime | None = None) -> Digest:
    """`digest` with a "why it matters" line on each lead story that has one (unchanged unless
    settings.why_it_matters is on, which config allows with backend 'server' only, and the profile has interests)."""
    if not (settings.why_it_matters and digest.lead and interests.strip()):
        return digest
    ids = [story.id for story in digest.lead]
    key, model = interests_key(interests), f"server/{settings.model}"
    lines = archive.why_lines(ids, key, model)
    missing = [item_id for item_id in ids if item_id not in lines]
    client = server(settings) if missing else None
    if client is not None:
        try:
            written = write_why_lines(client, archive.story_texts(missing), interests)
        finally:
            client.close()
        answered = {item_id: line for item_id, line in written.items() if line is not None}
        archive.save_why_lines(answered, key, model, now or datetime.now(UTC))
        lines.update(answered)
        if len(answered) < len(missing):
            log.warning("%d of %d lead stories have no why-it-matters line this time (%s): asked again at the "
                        "next digest", len(missing) - len(answered), len(missing), client.outage() or "out of time")
    return _with_lines(digest, {item_id: line for item_id, line in lines.items() if line})


def _with_lines(digest: Digest, lines: Mapping[str, str]) -> Digest:
    """The digest with `matters` set on its lead stories and on the same stories in their sections."""
    if not lines:
        return digest

    def mark(item: DigestItem) -> DigestItem:
        line = lines.get(item.id)
        return dataclasses.replace(item, matters=line) if line else item

    sections = tuple(dataclasses.replace(section, items=tuple(map(mark, section.items))) for section in digest.sections)
    return dataclasses.replace(digest, lead=tuple(map(mark, digest.lead)), sections=sections)
