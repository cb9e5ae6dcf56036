"""The only place that chains stages: refresh sources, process pending items, build digests."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import httpx

from . import digest as digest_mod
from .errors import ExtractError, FetchError, ModelError, ParseError
from .extract import EXCERPT_CHARS, article_from_feed, extract_article
from .fetch import fetch
from .models import (
    Article,
    Config,
    Digest,
    PendingItem,
    Period,
    ProcessReport,
    RunReport,
    Source,
    SourceCheck,
    SourceReport,
    Summary,
    TagScore,
)
from .parse import parse_feed
from .store import Archive

log = logging.getLogger(__name__)

# After a failure, wait 15 min, then 30, 60... never more than a day, never giving up.
BACKOFF_BASE = timedelta(minutes=15)
BACKOFF_CAP = timedelta(hours=24)


class Summarizer(Protocol):
    """Anything that turns an article into a capped Summary."""

    name: str

    def summarize(self, title: str, text: str, language: str | None = None) -> Summary:
        """Summarize one article."""
        ...


class Tagger(Protocol):
    """Anything that scores documents against the taxonomy."""

    name: str

    def tag_many(self, docs: Sequence[tuple[str, str]]) -> list[list[TagScore]]:
        """Tag (title, text) pairs."""
        ...


@dataclass(frozen=True)
class Models:
    """The model-backed stages, loaded together."""

    summarizer: Summarizer
    tagger: Tagger


ModelLoader = Callable[[], Models]


def load_models(config: Config) -> Models:
    """Load the configured embedding model once and build the summarizer and tagger on it."""
    from .nlp import EmbeddingTagger, ExtractiveSummarizer, load_embedder  # heavy: only when needed

    settings = config.settings.summarizer
    if settings.backend != "extractive":
        raise ModelError(f"summarizer backend {settings.backend!r} is not available yet")
    embedder = load_embedder(settings.model)
    return Models(
        summarizer=ExtractiveSummarizer(embedder, sentences=settings.sentences, max_chars=settings.max_chars),
        tagger=EmbeddingTagger(embedder, config.tags),
    )


def backoff(error_count: int) -> timedelta:
    """Delay before retrying a source that failed `error_count` times in a row."""
    return min(BACKOFF_CAP, BACKOFF_BASE * (2 ** min(max(0, error_count - 1), 16)))


def refresh_source(archive: Archive, client: httpx.Client, source: Source, config: Config,
                   now: datetime | None = None) -> SourceReport:
    """Fetch, parse and store one source; failures are recorded on the source, never raised."""
    now = now or datetime.now(UTC)
    state = archive.source_state(source.name)
    try:
        result = fetch(client, source.url, max_bytes=config.settings.fetch.max_bytes,
                       etag=state.etag if state else None,
                       last_modified=state.last_modified if state else None)
        body_hash = hashlib.sha256(result.content).hexdigest()
        if result.not_modified or (state and state.content_hash == body_hash):
            archive.record_unchanged(source.name, result, now)
            return SourceReport(source.name, "unchanged")
        feed = parse_feed(result.content, source_name=source.name, base_url=result.final_url,
                          content_type=result.content_type, now=now)
        new, updated = archive.save_refresh(source.name, result, feed, body_hash, now)
    except (FetchError, ParseError) as exc:
        return _record_source_failure(archive, source, str(exc), getattr(exc, "status", None), now)
    except Exception as exc:  # one broken source must never stop a run (house rule 5)
        log.exception("unexpected error refreshing %s", source.name)
        return _record_source_failure(archive, source, f"internal error: {type(exc).__name__}: {exc}", None, now)
    return SourceReport(source.name, "new" if new or updated else "unchanged", new, updated)


def _record_source_failure(archive: Archive, source: Source, cause: str, status: int | None,
                           now: datetime) -> SourceReport:
    state = archive.source_state(source.name)
    count = (state.error_count if state else 0) + 1
    archive.record_failure(source.name, cause, status, now, now + backoff(count))
    return SourceReport(source.name, "failed", error=cause)


def check_source(client: httpx.Client, source: Source, config: Config) -> SourceCheck:
    """Fetch and parse a source without storing anything (for `feeds check`)."""
    try:
        result = fetch(client, source.url, max_bytes=config.settings.fetch.max_bytes)
        feed = parse_feed(result.content, source_name=source.name, base_url=result.final_url,
                          content_type=result.content_type)
    except (FetchError, ParseError) as exc:
        return SourceCheck(source.name, False, getattr(exc, "status", None), error=str(exc))
    return SourceCheck(source.name, True, result.status, result.elapsed_seconds, len(feed.entries), feed.format)


def refresh_all(config: Config, archive: Archive, client: httpx.Client,
                on_source: Callable[[SourceReport], None] | None = None) -> list[SourceReport]:
    """Refresh every enabled source of the config; report each as it finishes."""
    archive.sync_sources(config.sources, datetime.now(UTC))
    reports = []
    for source in config.sources:
        report = (refresh_source(archive, client, source, config) if source.enabled
                  else SourceReport(source.name, "disabled"))
        reports.append(report)
        if on_source:
            on_source(report)
    return reports


def process_pending(config: Config, archive: Archive, client: httpx.Client | None,
                    models: ModelLoader, batch_size: int = 32) -> ProcessReport:
    """Extract, summarize and tag every pending item, committing one item at a time.

    A ModelError (the model itself is broken) stops processing and leaves items pending; any
    other error fails only the item it happened on.
    """
    processed = failed = 0
    errors: list[str] = []
    loaded: Models | None = None

    def fail(item: PendingItem, exc: Exception) -> None:
        nonlocal failed
        log.warning("item %s of %s failed: %s", item.id, item.source, exc)
        archive.mark_failed(item.id, f"{type(exc).__name__}: {exc}")
        failed += 1
        errors.append(f"{item.source}: item {item.url or item.id}: {exc}")

    # A snapshot of ids: an item failing now is retried by a later run, not again in this loop.
    pending = archive.pending_ids()
    for start in range(0, len(pending), batch_size):
        ready: list[tuple[PendingItem, Article]] = []
        for item in archive.pending_items(pending[start:start + batch_size]):
            try:
                ready.append((item, _article_for(item, client, config)))
            except Exception as exc:  # one bad item never stops the run (house rule 5)
                fail(item, exc)
        if not ready:
            continue
        if loaded is None:
            loaded = models()  # the model loads only when there is something to process
        tag_sets = _tag_batch(loaded.tagger, ready)
        for (item, article), tags in zip(ready, tag_sets, strict=True):
            try:
                if tags is None:  # the batch failed: find out whether this item is the culprit
                    tags = loaded.tagger.tag_many([(item.title, article.text)])[0]
                summary = loaded.summarizer.summarize(item.title, article.text, article.language)
                archive.save_processed(item.id, article, summary, tags, loaded.tagger.name, datetime.now(UTC))
                processed += 1
            except ModelError:
                raise
            except Exception as exc:
                fail(item, exc)
    return ProcessReport(processed, failed, tuple(errors))


def _tag_batch(tagger: Tagger, ready: Sequence[tuple[PendingItem, Article]]) -> Sequence[list[TagScore] | None]:
    try:
        return tagger.tag_many([(item.title, article.text) for item, article in ready])
    except ModelError:
        raise
    except Exception as exc:
        log.warning("batch tagging failed (%s); tagging items one by one", exc)
        return [None] * len(ready)


def _article_for(item: PendingItem, client: httpx.Client | None, config: Config) -> Article:
    """The feed's own text, or the extracted page when the feed only gives an excerpt."""
    from_feed = article_from_feed(item.feed_html, item.language)
    if client is None or len(from_feed.text) >= EXCERPT_CHARS or not item.url.startswith(("http://", "https://")):
        return from_feed
    try:
        page = fetch(client, item.url, max_bytes=config.settings.fetch.max_bytes)
        article = extract_article(page.content, page.final_url)
        if article is None:
            raise ExtractError("no article text found")
    except (FetchError, ExtractError) as exc:
        log.info("page of %s not used (%s); keeping the feed text", item.url, exc)
        return from_feed
    if len(article.text) <= len(from_feed.text):
        return from_feed
    return Article(text=article.text, title=article.title, author=article.author, published=article.published,
                   language=item.language or article.language, sitename=article.sitename, from_page=True)


def run_cycle(config: Config, archive: Archive, client: httpx.Client, models: ModelLoader,
              on_source: Callable[[SourceReport], None] | None = None) -> RunReport:
    """One full cycle: refresh every source, then process what is new; recorded in `runs`."""
    run_id = archive.start_run(datetime.now(UTC))
    sources = refresh_all(config, archive, client, on_source)
    try:
        processed = process_pending(config, archive, client, models)
    except ModelError as exc:
        processed = ProcessReport(errors=(f"model: {exc}",))
    report = RunReport(run_id=run_id, sources=tuple(sources), processed=processed)
    archive.finish_run(run_id, report, datetime.now(UTC))
    return report


def build_digest(config: Config, archive: Archive, period: Period) -> Digest:
    """Select the period's processed items and arrange them into a Digest."""
    items = archive.items_between(period.start, period.end)
    return digest_mod.make_digest(items, config.tags, period)


def write_digest(config: Config, archive: Archive, period: Period, out: Path | None = None) -> Path:
    """Build the period's digest and write it as Markdown; return the file written."""
    digest = build_digest(config, archive, period)
    path = out or config.settings.digest.directory / f"{period.label}.md"
    return digest_mod.write_text(path, digest_mod.render_markdown(digest))
