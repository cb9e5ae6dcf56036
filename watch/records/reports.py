"""What a run, a source refresh and a feed check report back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from .nlp import TagLearning

# The phases of a run that report progress: sources polled, items extracted, items through the model.
Phase = Literal["refresh", "extract", "model"]


@dataclass(frozen=True)
class SourceReport:
    """Outcome of refreshing one source, for the run summary."""

    source: str
    # "new" | "unchanged" | "empty" (the document has no entries) | "failed" | "disabled" | "gone" | "not due" |
    # "stopped"
    status: str
    new_items: int = 0
    updated_items: int = 0
    error: str | None = None
    notes: tuple[str, ...] = ()  # things the user should know: moved, gone, stale, next check


@dataclass(frozen=True)
class CheckedEntry:
    """One of the first entries a source check found: its title, date (None when undated) and address."""

    title: str
    published: datetime | None
    url: str


@dataclass(frozen=True)
class SourceCheck:
    """Result of checking that a source is reachable and parses (nothing stored)."""

    source: str
    ok: bool
    http_status: int | None = None
    elapsed_seconds: float = 0.0
    entries: int = 0
    format: str = ""
    error: str | None = None
    validators: str = ""  # which of ETag / Last-Modified the server sends, and whether it answers 304
    full_text: bool | None = None  # entries carry the article, or only an excerpt
    median_chars: int = 0
    last_item: datetime | None = None
    final_url: str = ""  # where the source really answered, after redirects
    moved: bool = False  # every redirect hop was permanent (301/308)
    method: str | None = None  # how the entries were found (ParsedFeed.method), None when the format says it
    sample: tuple[CheckedEntry, ...] = ()  # the first entries, in the document's order
    watched_chars: int | None = None  # kind watch: length of the main text compared between polls
    watched_sample: str = ""  # kind watch: the beginning of that text, on one line

    @property
    def empty(self) -> bool:
        """The source answered with a well-formed feed that has no entries (not a failure); a watched page is not."""
        return self.ok and self.entries == 0 and self.watched_chars is None


@dataclass(frozen=True)
class RefusedLink:
    """An item's link not fetched because of the egress policy (a non-public address): the item kept its feed text."""

    source: str
    url: str
    reason: str


@dataclass(frozen=True)
class ProcessReport:
    """Outcome of processing pending items."""

    processed: int = 0
    failed: int = 0
    errors: tuple[str, ...] = ()
    # generative summarizer: summaries generated this run, and items still waiting for one (they
    # have the extractive summary meanwhile, because the run's time budget ran out)
    generated: int = 0
    waiting: int = 0
    outage: str | None = None  # why the summarizer's model could not be asked (a summarizer server down...)
    refused: tuple[RefusedLink, ...] = ()  # links the egress policy kept techwatch from fetching


@dataclass(frozen=True)
class RunReport:
    """Outcome of one full cycle."""

    run_id: int
    sources: tuple[SourceReport, ...]
    processed: ProcessReport
    interrupted: bool = False  # stopped by a signal; what was not done stays for the next run
    learning: TagLearning = field(default_factory=TagLearning)  # what the tagger learned from corrections and examples

    @property
    def failed_sources(self) -> int:
        """Number of sources that failed this run (errors, and sources found gone this run)."""
        return sum(1 for s in self.sources if s.error)

    @property
    def new_items(self) -> int:
        """Number of items added this run."""
        return sum(s.new_items for s in self.sources)



@dataclass(frozen=True)
class ProgressEvent:
    """How far one phase of a run is: `done` of `total` (sources or items), its rate and what is left."""

    phase: Phase
    done: int
    total: int
    rate: float | None = None  # per second since the phase began; None before the first step
    eta: float | None = None  # seconds left at that rate; None while unknown

    @property
    def finished(self) -> bool:
        """Every source or item of the phase is done."""
        return self.done >= self.total
