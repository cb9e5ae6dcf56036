"""Stories: what clustering reads of an archived item, and the clusters already in the archive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

# Title + this much lead: enough to tell "Grok 4.6 on Vertex AI" from "... on Amazon Bedrock",
# short enough to stay inside MiniLM's 256-token window.
LEAD_CHARS = 400


@dataclass(frozen=True)
class StoryText:
    """What clustering needs to know of an archived item."""

    id: str
    source: str
    title: str
    lead: str
    published: datetime | None
    canonical_url: str
    content_hash: str


@dataclass(frozen=True)
class KnownCluster:
    """A cluster already in the archive: its id, its items (leader first), optional cached vectors.

    `vectors`, when given, are the rows `story_vectors` produced for `items` with the same
    embedder; passing them spares re-embedding the archive on every run.
    """

    id: str
    items: tuple[StoryText, ...]
    vectors: np.ndarray | None = None
