"""The only place that chains stages: refresh sources, process pending items, build digests."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import multiprocessing
import os
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import httpx
import numpy as np

from .digest import build as digest_mod
from .errors import DeliveryError, EgressRefused, FetchError, ModelError, ParseError
from .extract.article import EXCERPT_CHARS, article_from_feed, extract_article
from .http.client import HostLimiter, fetch, host_of
from .http.robots import RobotsPolicy
from .nlp.embedder import Embedder
from .nlp.enrich import Models, Summarizer, enrich, summary_key
from .records import (
    Article,
    CachedPage,
    Config,
    Digest,
    DigestRecord,
    FetchResult,
    ModelOutput,
    ParsedFeed,
    PendingItem,
    Period,
    ProcessReport,
    RefusedLink,
    RunReport,
    Source,
    SourceCheck,
    SourceReport,
    SourceState,
    Summary,
)
from .sources import policy as schedule
from .sources.parse import parse_feed
from .sources.release_notes import summarize_release
from .sources.releases import github_api_request, notes_text, parse_source
from .store import Archive
from .stories import cluster
from .text.redact import redact_text
from .text.textsafe import one_line

log = logging.getLogger(__name__)
T = TypeVar("T")


ModelLoader = Callable[[], Models]


def load_once(loader: ModelLoader) -> ModelLoader:
    """A loader that loads on its first call only, so every stage of a run shares one model."""
    loaded: list[Models] = []

    def once() -> Models:
        if not loaded:
            loaded.append(loader())
        return loaded[0]

    return once


def load_models(config: Config) -> Models:
    """Build the configured summarizer, tagger, clustering embedder and relevance scorer; models
    are shared when two stages name the same one, and weights load on first use."""
    from .nlp import EmbeddingTagger, ExtractiveSummarizer, load_embedder  # heavy: only when needed
    from .nlp.relevance import RelevanceScorer
    from .nlp.tagger import DEFAULT_MODEL

    summarizing, tagging = config.settings.summarizer, config.settings.tagger
    sentence_model = summarizing.model if summarizing.backend == "extractive" else None
    embedder = load_embedder(sentence_model)
    extractive = ExtractiveSummarizer(embedder, sentences=summarizing.sentences, max_chars=summarizing.max_chars)
    tag_model = tagging.model or DEFAULT_MODEL
    same = tag_model == (sentence_model or None) or tag_model == embedder.name
    documents = embedder if same else load_embedder(tag_model)
    options = {"threshold": tagging.threshold} if tagging.threshold is not None else {}
    tagger = EmbeddingTagger(documents, config.tags, max_tags=tagging.max_tags, **options)
    summarizer: Summarizer = extractive
    if summarizing.backend == "generative":
        from .nlp.generative import GenerativeSummarizer

        summarizer = GenerativeSummarizer(summarizing.model or "", sentences=summarizing.sentences,
                                          max_chars=summarizing.max_chars, fallback=extractive)
    return Models(
        summarizer=summarizer, tagger=tagger, embedder=embedder,
        relevance=RelevanceScorer(documents, config.interests) if config.interests.strip() else None,
    )


@dataclass(frozen=True)
class Fetched:
    """What a worker thread brings back for one source: a parsed feed, an unchanged answer, or an error."""

    source: Source
    state: SourceState | None
    result: FetchResult | None = None
    feed: ParsedFeed | None = None
    body_hash: str | None = None
    error: Exception | None = None


FeedParser = Callable[..., ParsedFeed]
# Below this many sources, starting parser processes costs more than it saves.
PARALLEL_PARSE_MIN_SOURCES = 16


@contextlib.contextmanager
def feed_parser(sources: int) -> Iterator[FeedParser]:
    """parse_feed, run in a pool of processes when there are enough sources and cores.

    feedparser is pure Python: in threads, parsing holds the GIL and one core does all of it.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if sources < PARALLEL_PARSE_MIN_SOURCES or cores < 2:
        yield parse_feed
        return
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    pools: list[ProcessPoolExecutor] = []
    lock = threading.Lock()

    def parse_in_pool(*args: object, **kwargs: object) -> ParsedFeed:
        with lock:  # started on first use: a poll where nothing changed starts no process
            if not pools:
                pools.append(ProcessPoolExecutor(max_workers=cores, mp_context=multiprocessing.get_context(method)))
        return pools[0].submit(parse_feed, *args, **kwargs).result()

    try:
        yield parse_in_pool
    finally:
        for pool in pools:
            pool.shutdown()


def fetch_source(client: httpx.Client, source: Source, state: SourceState | None, config: Config,
                 limiter: HostLimiter | None = None, now: datetime | None = None,
                 parser: FeedParser = parse_feed) -> Fetched:
    """Fetch and parse one source; touches no database, so it can run in a worker thread."""
    try:
        return _fetch_and_parse(client, source, state, config, limiter, now, parser)
    except Exception as exc:  # one broken source must never stop a run (house rule 5)
        log.exception("unexpected error refreshing %s", source.name)
        return Fetched(source, state, error=RuntimeError(f"internal error: {type(exc).__name__}: {exc}"))


def _fetch_and_parse(client: httpx.Client, source: Source, state: SourceState | None, config: Config,
                     limiter: HostLimiter | None, now: datetime | None, parser: FeedParser) -> Fetched:
    settings = config.settings.fetch
    api = github_api_request(source, settings)
    url, headers = api or (state.url if state else source.url, None)
    try:
        result = fetch(client, url, max_bytes=settings.max_bytes,
                       etag=state.etag if state else None, last_modified=state.last_modified if state else None,
                       total_timeout=settings.total_timeout_seconds, limiter=limiter, headers=headers)
    except FetchError as exc:
        if api and exc.status in (401, 403):
            exc = FetchError(f"{exc} from the GitHub API: check the token (settings.fetch.github_token_env) "
                             "or the rate limit", url=exc.url, status=exc.status, retry_after=exc.retry_after)
        return Fetched(source, state, error=exc)
    body_hash = hashlib.sha256(result.content).hexdigest()
    if result.not_modified or (state and state.content_hash == body_hash):
        return Fetched(source, state, result)
    try:
        if source.kind == "feed":
            feed = parser(result.content, source_name=source.name, base_url=result.final_url,
                          content_type=result.content_type, now=now)
        else:  # release sources are small documents: parsed here, not in the pool
            feed = parse_source(source, result.content, base_url=result.final_url,
                                content_type=result.content_type, now=now)
    except ParseError as exc:
        return Fetched(source, state, result, error=exc)
    return Fetched(source, state, result, feed, body_hash)


def store_fetched(archive: Archive, fetched: Fetched, config: Config, now: datetime,
                  rng: random.Random | None = None) -> SourceReport:
    """Record one source's outcome (items, validators, schedule, health) and report it."""
    source, state, result = fetched.source, fetched.state, fetched.result
    if fetched.error is not None or result is None:
        return _record_failure(archive, source, state, fetched.error, result.status if result else None, now, rng)
    notes: list[str] = []
    if result.permanent_redirect and state and result.permanent_redirect != state.url:
        archive.record_moved(source.name, result.permanent_redirect)
        notes.append(f"moved permanently to {result.permanent_redirect}: polling it from now on "
                     f"(update the url in feeds.yaml)")
    interval = source.interval_seconds or config.settings.fetch.default_interval_seconds
    ttl = fetched.feed.ttl_seconds if fetched.feed else None
    next_check = schedule.next_check_after_success(now, interval, ttl_seconds=ttl,
                                                   max_age_seconds=result.max_age_seconds, rng=rng)
    if fetched.feed is None:
        archive.record_unchanged(source.name, result, now, next_check)
        new = updated = 0
    else:
        new, updated = archive.save_refresh(source.name, result, fetched.feed, fetched.body_hash or "", now,
                                            next_check)
    notes += _update_staleness(archive, source.name, config, now)
    if fetched.feed is not None and not fetched.feed.entries:
        # A well-formed document with no entries (a new blog, a wiped feed) is a success, polled as usual.
        return SourceReport(source.name, "empty", notes=tuple(notes))
    return SourceReport(source.name, "new" if new or updated else "unchanged", new, updated, notes=tuple(notes))


def _record_failure(archive: Archive, source: Source, state: SourceState | None, error: Exception | None,
                    http_status: int | None, now: datetime, rng: random.Random | None) -> SourceReport:
    # Stored and shown: an HTTP reason phrase is the server's text, a URL in a message may hold a password.
    cause = one_line(redact_text(str(error))) if error else "unknown error"
    status = getattr(error, "status", None) or http_status
    if status == 410:
        reason = f"gone (HTTP 410) since {now:%Y-%m-%d}"
        archive.record_gone(source.name, reason, now)
        return SourceReport(source.name, "gone", error=cause,
                            notes=("the server says this feed is gone for good: no longer polled; "
                                   "remove it from feeds.yaml or give it a new url",))
    count = (state.error_count if state else 0) + 1
    next_check = schedule.next_check_after_failure(now, count, retry_after_seconds=getattr(error, "retry_after", None),
                                                   rng=rng)
    archive.record_failure(source.name, cause, status, now, next_check)
    return SourceReport(source.name, "failed", error=cause,
                        notes=(f"failure #{count} in a row; next attempt after {next_check:%Y-%m-%d %H:%M} UTC",))


def _update_staleness(archive: Archive, name: str, config: Config, now: datetime) -> list[str]:
    dates = archive.recent_published(name)
    gap = schedule.usual_gap(dates)
    since = schedule.stale_since(dates, now, config.settings.fetch.stale_factor)
    archive.set_staleness(name, since, int(gap.total_seconds()) if gap else None)
    if since is None or gap is None:
        return []
    return [f"stale: no new item since {max(dates):%Y-%m-%d} although it usually publishes every "
            f"{_human(gap.total_seconds())}"]


def _human(seconds: float) -> str:
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} seconds"


def refresh_source(archive: Archive, client: httpx.Client, source: Source, config: Config,
                   now: datetime | None = None) -> SourceReport:
    """Fetch, parse and store one source now; failures are recorded on the source, never raised."""
    now = now or datetime.now(UTC)
    archive.sync_sources([source], now)
    fetched = fetch_source(client, source, archive.source_state(source.name), config, now=now)
    return store_fetched(archive, fetched, config, now)


def check_source(client: httpx.Client, source: Source, config: Config) -> SourceCheck:
    """Fetch and parse a source without storing anything, and describe how it behaves (`feeds check`)."""
    settings = config.settings.fetch
    try:
        result = fetch(client, source.url, max_bytes=settings.max_bytes, total_timeout=settings.total_timeout_seconds)
        feed = parse_source(source, result.content, base_url=result.final_url, content_type=result.content_type)
    except (FetchError, ParseError) as exc:
        return SourceCheck(source.name, False, getattr(exc, "status", None), error=str(exc))
    lengths = sorted(len(article_from_feed(e.feed_html, e.language).text) for e in feed.entries)
    median = lengths[len(lengths) // 2] if lengths else 0
    dates = [e.published for e in feed.entries if e.published]
    return SourceCheck(
        source.name, True, result.status, result.elapsed_seconds, len(feed.entries), feed.format,
        validators=_validators(client, source.url, result, settings.max_bytes),
        full_text=median >= EXCERPT_CHARS if lengths else None, median_chars=median,
        last_item=max(dates) if dates else None,
        final_url=result.final_url, moved=result.permanent_redirect is not None,
    )


def check_all(config: Config, client: httpx.Client) -> dict[str, SourceCheck]:
    """check_source for every enabled source, concurrently within the politeness limits."""
    limiter = HostLimiter(config.settings.fetch.per_host)
    enabled = [s for s in config.sources if s.enabled]

    def one(source: Source) -> SourceCheck:
        with limiter.slot(source.url):
            return check_source(client, source, config)

    with ThreadPoolExecutor(max_workers=config.settings.fetch.concurrency, thread_name_prefix="check") as pool:
        return {check.source: check for check in pool.map(one, enabled)}


def _validators(client: httpx.Client, url: str, first: FetchResult, max_bytes: int) -> str:
    sent = [name for name, value in (("ETag", first.etag), ("Last-Modified", first.last_modified)) if value]
    if not sent:
        return "none (every poll downloads the whole feed)"
    try:
        again = fetch(client, url, max_bytes=max_bytes, etag=first.etag, last_modified=first.last_modified)
    except FetchError as exc:
        return f"{' + '.join(sent)}, conditional GET failed ({exc})"
    answer = "304 honoured" if again.not_modified else f"ignored (answered {again.status})"
    return f"{' + '.join(sent)}, {answer}"


def _interleave_by_host(sources: Sequence[Source], states: dict[str, SourceState | None]) -> list[Source]:
    """Round-robin over hosts, so that workers waiting on one busy host never starve the others."""
    by_host: dict[str, list[Source]] = defaultdict(list)
    for source in sources:
        state = states.get(source.name)
        by_host[host_of(state.url if state else source.url)].append(source)
    queues = list(by_host.values())
    out: list[Source] = []
    while queues:
        out += [q.pop(0) for q in queues]
        queues = [q for q in queues if q]
    return out


def refresh_all(config: Config, archive: Archive, client: httpx.Client,
                on_source: Callable[[SourceReport], None] | None = None, *, force: bool = False,
                now: datetime | None = None, rng: random.Random | None = None,
                stop: threading.Event | None = None) -> list[SourceReport]:
    """Poll every enabled source that is due (all of them with `force`), concurrently and politely.

    Fetching and parsing run in worker threads (global limit `concurrency`, per-host limit
    `per_host`); all database writes happen here, one transaction per source. Once `stop` is set,
    no new fetch starts; those under way are stored, the others stay due for the next run.
    """
    now = now or datetime.now(UTC)
    archive.sync_sources(config.sources, now)
    states = {s.name: archive.source_state(s.name) for s in config.sources}
    reports: dict[str, SourceReport] = {}
    due: list[Source] = []
    for source in config.sources:
        state = states[source.name]
        if not source.enabled:
            reports[source.name] = SourceReport(source.name, "disabled")
        elif state and state.gone_reason:
            reports[source.name] = SourceReport(source.name, "gone", notes=(state.gone_reason,))
        elif not force and state and state.next_check_at and state.next_check_at > now:
            reports[source.name] = SourceReport(source.name, "not due",
                                                notes=(f"next check {state.next_check_at:%Y-%m-%d %H:%M} UTC",))
        else:
            due.append(source)
    if on_source:
        for report in reports.values():
            on_source(report)
    settings = config.settings.fetch
    limiter = HostLimiter(settings.per_host)
    with feed_parser(len(due)) as parser, \
            ThreadPoolExecutor(max_workers=settings.concurrency, thread_name_prefix="fetch") as pool:
        futures = {pool.submit(fetch_source, client, s, states[s.name], config, limiter, now, parser)
                   for s in _interleave_by_host(due, states)}
        for future in as_completed(futures):
            futures.discard(future)  # a stored feed's body and entries can be freed at once
            if stop is not None and stop.is_set():
                for waiting in futures:
                    waiting.cancel()
            if future.cancelled():
                continue
            fetched = future.result()
            report = store_fetched(archive, fetched, config, now, rng)
            reports[fetched.source.name] = report
            if on_source:
                on_source(report)
    return [reports.get(s.name) or SourceReport(s.name, "stopped") for s in config.sources]


def process_pending(config: Config, archive: Archive, client: httpx.Client | None,
                    models: ModelLoader, batch_size: int = 32, deadline: float | None = None,
                    stop: threading.Event | None = None) -> ProcessReport:
    """Extract, summarize and tag every pending item, committing one item at a time.

    A ModelError (the model itself is broken) stops processing and leaves items pending; any
    other error fails only the item it happened on. `deadline` (time.monotonic()) bounds the
    generative summarizer: past it, items get the extractive summary and wait for the next run.
    Once `stop` is set, the items not yet saved stay pending (the batch being extracted is dropped).
    """
    processed = failed = generated = 0
    errors: list[str] = []
    loaded: Models | None = None
    generative_name: str | None = None

    def fail(item: PendingItem, exc: Exception) -> None:
        nonlocal failed
        log.warning("item %s of %s failed: %s", item.id, item.source, exc)
        archive.mark_failed(item.id, f"{type(exc).__name__}: {exc}")
        failed += 1
        errors.append(f"{item.source}: item {item.url or item.id}: {exc}")

    pages = PageFetcher(client, config, archive) if client is not None else None
    modes = {s.name: s.extract for s in config.sources}
    release_sources = {s.name for s in config.sources if s.kind != "feed"}
    # A snapshot of ids: an item failing now is retried by a later run, not again in this loop.
    pending = archive.pending_ids()
    for start in range(0, len(pending), batch_size):
        ready: list[tuple[PendingItem, Article]] = []
        for item in archive.pending_items(pending[start:start + batch_size]):
            if stop is not None and stop.is_set():
                break
            try:
                ready.append((item, _article_for(item, pages, modes.get(item.source, "auto"), archive)))
            except Exception as exc:  # one bad item never stops the run (house rule 5)
                fail(item, exc)
        if stop is not None and stop.is_set():
            break
        if not ready:
            continue
        if loaded is None:
            loaded = models()  # the model loads only when there is something to process
            if hasattr(loaded.summarizer, "generated"):
                generative_name = loaded.summarizer.name
        for (item, article), output in zip(ready, enrich(ready, loaded, archive, deadline), strict=True):
            if isinstance(output, Exception):
                fail(item, output)
                continue
            if item.source in release_sources:
                output = release_output(item, output)
            try:
                archive.save_processed(item.id, article, output, datetime.now(UTC))
                processed += 1
                generated += output.summary.model == generative_name
            except Exception as exc:
                fail(item, exc)
    return ProcessReport(processed, failed, tuple(errors), generated=generated,
                         refused=tuple(pages.refused) if pages else ())


RELEASE_SUMMARIZER = "release-notes"  # the summaries made of a release's own note lines


def release_output(item: PendingItem, output: ModelOutput) -> ModelOutput:
    """A release's summary is its notes' own breaking changes, security fixes and features, when it has notes."""
    text = summarize_release(notes_text(item.feed_html)) if item.feed_html.strip() else ""
    if not text:
        return output
    return dataclasses.replace(output, summary=Summary(text, RELEASE_SUMMARIZER), summary_key=None)


# An `extract: auto` source is judged on this many items; a sample votes "excerpt" when the
# feed gives less than this share of the page's text.
EXTRACT_SAMPLES = 3
EXCERPT_RATIO = 0.6
FULL_TEXT_CHARS = 2000  # feed text this long is an article, not an excerpt


class PageFetcher:
    """Article pages, fetched politely (robots.txt, per-host limit, caps) and once: cached by URL."""

    def __init__(self, client: httpx.Client, config: Config, archive: Archive) -> None:
        self.client = client
        self.archive = archive
        self.settings = config.settings.fetch
        self.limiter = HostLimiter(self.settings.per_host)
        self.robots = RobotsPolicy(client, self.settings, self.limiter)
        self.refused: list[RefusedLink] = []  # links refused by the egress policy in this run

    def get(self, url: str) -> FetchResult:
        """Fetch a page, or raise FetchError (also when robots.txt forbids it)."""
        if not self.robots.allowed(url):
            raise FetchError("disallowed by robots.txt", url=url)
        return fetch(self.client, url, max_bytes=self.settings.max_bytes,
                     total_timeout=self.settings.total_timeout_seconds, limiter=self.limiter)

    def article(self, url: str, source: str = "") -> Article | None:
        """The page's extracted article (from the cache when fetched before), or None."""
        cached = self.archive.cached_page(url)
        if cached is not None:
            return cached.article
        try:
            page = self.get(url)
        except EgressRefused as exc:
            # A link to a non-public address: the item keeps its feed text, and the refusal is data.
            self.archive.save_page(CachedPage(url, None, None, f"refused: {exc}"), url, datetime.now(UTC))
            self.refused.append(RefusedLink(source, url, str(exc)))
            log.warning("page %s refused: %s", url, exc)
            return None
        except FetchError as exc:
            # Lasting answers (4xx, robots.txt) are remembered; network trouble is tried again later.
            if (exc.status is not None and 400 <= exc.status < 500) or "robots.txt" in str(exc):
                self.archive.save_page(CachedPage(url, exc.status, None, str(exc)), url, datetime.now(UTC))
            log.info("page %s not fetched: %s", url, exc)
            return None
        article = extract_article(page.content, page.final_url)
        error = None if article else "no article text found"
        self.archive.save_page(CachedPage(url, page.status, article, error), page.final_url, datetime.now(UTC))
        return article


def _article_for(item: PendingItem, pages: PageFetcher | None, mode: str, archive: Archive) -> Article:
    """The feed's own text, or the page's when the source only gives excerpts (per `extract`)."""
    from_feed = article_from_feed(item.feed_html, item.language)
    if pages is None or mode == "never" or not item.url.startswith(("http://", "https://")):
        return from_feed
    decision = "excerpt" if mode == "always" else archive.extract_decision(item.source)
    if decision == "full":
        return from_feed
    if decision is None and len(from_feed.text) >= FULL_TEXT_CHARS:
        # Clearly a whole article: a vote for "full" that costs no request.
        archive.record_extract_sample(item.source, False, EXTRACT_SAMPLES)
        return from_feed
    page = pages.article(item.url, item.source)
    if page is None:
        return from_feed
    if decision is None:
        excerpt = len(from_feed.text) < EXCERPT_RATIO * len(page.text)
        learned = archive.record_extract_sample(item.source, excerpt, EXTRACT_SAMPLES)
        if learned:
            log.info("%s: feed gives %s; %s", item.source, "excerpts" if learned == "excerpt" else "full text",
                     "fetching pages from now on" if learned == "excerpt" else "pages no longer fetched")
    if len(page.text) <= len(from_feed.text):
        return dataclasses.replace(from_feed, canonical_url=page.canonical_url)
    return dataclasses.replace(page, language=item.language or page.language)


def run_cycle(config: Config, archive: Archive, client: httpx.Client, models: ModelLoader,
              on_source: Callable[[SourceReport], None] | None = None, *, force: bool = False,
              stop: threading.Event | None = None) -> RunReport:
    """One full cycle: refresh the sources that are due (all with `force`), then process what is new.

    Setting `stop` (from a signal handler) ends the cycle at the next item or source; the run is
    recorded as interrupted and what was not done stays for the next run.
    """
    stop = stop or threading.Event()
    run_id = archive.start_run(datetime.now(UTC))
    sources = refresh_all(config, archive, client, on_source, force=force, stop=stop)
    models = load_once(models)
    deadline = None
    if config.settings.summarizer.backend == "generative":
        deadline = time.monotonic() + config.settings.summarizer.time_budget_seconds
    try:
        processed = process_pending(config, archive, client, models, deadline=deadline, stop=stop)
        if not stop.is_set():  # clustering and relevance catch up in the next run
            cluster_new(archive, models)
            refresh_relevance(config, archive, models)
        if deadline is not None and not stop.is_set():
            processed = summarize_backlog(archive, models, deadline, processed)
    except ModelError as exc:
        processed = ProcessReport(errors=(f"model: {exc}",))
    report = RunReport(run_id=run_id, sources=tuple(sources), processed=processed, interrupted=stop.is_set())
    archive.finish_run(run_id, report, datetime.now(UTC))
    return report


# A generative summarizer works back through this many days of items that only have the
# extractive summary; older ones keep it (switching backends must not start a months-long job).
BACKLOG_DAYS = 14


def summarize_backlog(archive: Archive, models: ModelLoader, deadline: float, report: ProcessReport,
                      batch_size: int = 8) -> ProcessReport:
    """Give recent items that only have a fallback summary their generative one, newest first,
    until `deadline` (time.monotonic()); return `report` with the counts of this work added."""
    summarizer = models().summarizer
    generated = getattr(summarizer, "generated", None)
    if generated is None:
        return report
    since = datetime.now(UTC) - timedelta(days=BACKLOG_DAYS)
    done = 0
    while time.monotonic() < deadline:
        batch = archive.items_without_summary(summarizer.name, since, limit=batch_size)
        if not batch:
            break
        summaries = summarizer.summarize_many([(title, text, language) for _, title, text, language in batch],
                                              deadline=deadline)
        rejections: dict[int, str] = getattr(summarizer, "rejections", {})
        for n, ((item_id, title, text, language), summary) in enumerate(zip(batch, summaries, strict=True)):
            if generated(summary):
                archive.replace_summary(item_id, summary, summary_key(summarizer, title, text, language),
                                        datetime.now(UTC))
                done += 1
            elif n in rejections or time.monotonic() < deadline:
                # It keeps its extractive summary: greedy decoding would give the same rejected output again.
                reason = rejections.get(n, "no generative summary (e.g. no article text)")
                archive.record_rejection(item_id, summarizer.name, reason, datetime.now(UTC))
    waiting = archive.count_without_summary(summarizer.name, since)
    return dataclasses.replace(report, generated=report.generated + done, waiting=waiting)


RELEVANCE_KEY = "relevance_key"


def relevance_key(config: Config) -> str | None:
    """What stored relevance scores depend on (interests and embedding model), known without loading a model."""
    from .nlp.relevance import interest_topics

    topics = interest_topics(config.interests)
    if not topics:
        return None
    from .nlp.tagger import DEFAULT_MODEL

    model = config.settings.tagger.model or DEFAULT_MODEL
    return hashlib.sha256("\n".join([model, *topics]).encode()).hexdigest()[:16]


def refresh_relevance(config: Config, archive: Archive, models: ModelLoader) -> int:
    """Recompute stored relevance when `interests` (or the model) changed since it was computed; return
    how many items were rescored. Uses the stored document vectors: no item is embedded again."""
    key = relevance_key(config)
    if archive.meta(RELEVANCE_KEY) == key:
        return 0
    scorer = models().relevance if key else None
    if scorer is None:
        count = archive.clear_relevance()
    else:
        count = 0
        for ids, vectors in archive.vectors_for_relevance(scorer.embedder.name):
            archive.set_relevance(dict(zip(ids, scorer.score(vectors), strict=True)))
            count += len(ids)
    archive.set_meta(RELEVANCE_KEY, key)
    return count


class _RecordingEmbedder:
    """Passes encode() through and keeps each text's vector, to store what clustering computed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.seen: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self.inner.encode(texts)
        self.seen.update(zip(texts, vectors, strict=True))
        return vectors


def cluster_new(archive: Archive, models: ModelLoader, now: datetime | None = None) -> int:
    """Put every processed, unclustered item into a story cluster (joining archived ones); return the count."""
    new = archive.unclustered()
    if not new:
        return 0
    embedder = models().embedder
    recorder = _RecordingEmbedder(embedder) if embedder is not None else None
    dates = [s.published for s in new if s.published] or [now or datetime.now(UTC)]
    window = timedelta(days=cluster.DEFAULT_WINDOW_DAYS)
    known = archive.clusters_between(min(dates) - window, max(dates) + window, recorder.name if recorder else None)
    assignment = cluster.assign_to_existing(new, known, recorder)
    vectors = {s.id: recorder.seen[cluster.story_text(s)] for s in new
               if recorder and cluster.story_text(s) in recorder.seen}
    archive.save_clusters(assignment, vectors, recorder.name if recorder else None, now or datetime.now(UTC))
    return len(assignment)


def build_digest(config: Config, archive: Archive, period: Period) -> Digest:
    """Select the period's processed items (and the period before, for trends) and arrange them into a Digest."""
    items = archive.items_between(period.start, period.end)
    previous = archive.items_between(period.start - (period.end - period.start), period.start)
    releases = archive.releases_between(period.start, period.end)
    earlier = archive.versions_before(sorted({r.project for r in releases}), period.start)
    return digest_mod.make_digest(items, config.tags, period, sources=config.sources,
                                  max_items=config.settings.digest.max_items, previous=previous,
                                  health=digest_mod.health_lines(archive.source_health()),
                                  releases=releases, earlier_versions=earlier)


FORMAT_SUFFIXES = {"md": ".md", "html": ".html", "text": ".txt", "atom": ".atom"}
FEED_FILE = "feed.atom"


@dataclass(frozen=True)
class WrittenDigest:
    """What produce_digest did: the files written, the digest as rendered, and whether it went into the feed."""

    paths: list[Path]
    record: DigestRecord
    published: bool
    # a one-off digest left the feed of past digests (digests/feed.atom) alone, although the formats name it
    feed_left: bool = False
    # the archive keeps this rendering as the period's digest (not so for a one-off of a published period)
    kept: bool = True


def write_digest(config: Config, archive: Archive, period: Period, out: Path | None = None,
                 formats: Sequence[str] | None = None, *, publish: bool = True) -> list[Path]:
    """produce_digest, returning only the files written."""
    return produce_digest(config, archive, period, out, formats, publish=publish).paths


def produce_digest(config: Config, archive: Archive, period: Period, out: Path | None = None,
                   formats: Sequence[str] | None = None, *, publish: bool = True) -> WrittenDigest:
    """Build the period's digest, keep it in the archive, and write it in each format (default:
    settings.digest.formats); `out` names the file when a single format is written.

    A published digest (the weekly one) goes into the feed of past digests; "atom" rewrites that
    feed. A one-off (`publish=False`: a rolling window, an unfinished week, a file of its own) never
    changes the feed: it does not replace the period's published digest, an "atom" from the settings
    leaves digests/feed.atom alone, and an explicit "atom" is a feed of this digest alone.
    """
    from .digest.render import render, render_atom

    settings = config.settings.digest
    explicit = bool(formats)
    formats = list(dict.fromkeys(formats or settings.formats))
    digest = build_digest(config, archive, period)
    html = render(digest, "html", settings.templates)
    text = render(digest, "text", settings.templates)
    record = DigestRecord(period.label, period.start, period.end, datetime.now(UTC), digest.title, html, text)
    kept = archive.save_digest(record, published=publish)
    feed_id = "urn:techwatch:" + hashlib.sha256(str(settings.directory).encode()).hexdigest()[:16]
    single = out if out and len(formats) == 1 else None
    written: list[Path] = []
    feed_left = False
    for fmt in formats:
        if fmt == "atom" and publish:
            content = render_atom(archive.digest_records(published=True), feed_id=feed_id)
            path = single or settings.directory / FEED_FILE
        elif fmt == "atom" and not explicit:
            feed_left = True
            continue
        elif fmt == "atom":
            content = render_atom([record], feed_id=f"{feed_id}:one-off:{period.label}",
                                  title=f"techwatch digest {period.label}")
            path = single or settings.directory / f"{period.label}{FORMAT_SUFFIXES[fmt]}"
        else:
            content = {"html": html, "text": text}.get(fmt) or render(digest, fmt, settings.templates)
            path = single or settings.directory / f"{period.label}{FORMAT_SUFFIXES[fmt]}"
        written.append(digest_mod.write_text(path, content))
    return WrittenDigest(written, record, publish, feed_left, kept)


def email_digest(config: Config, archive: Archive, period: Period, environ: Mapping[str, str], *,
                 force: bool = False, record: DigestRecord | None = None) -> str:
    """E-mail the period's digest (`record`, else the one kept by write_digest) as text + HTML; return its
    Message-ID. The archive records the sending per period label, whichever digest of the period was sent.

    Raises DeliveryError when e-mail is not configured, when this period was already sent (unless
    `force`), or when sending fails; the rendered digest stays on disk and in the archive.
    """
    from .digest.mail import send_digest

    settings = config.settings.email
    if settings is None:
        raise DeliveryError("no e-mail settings: add an 'email:' block under 'settings:' in feeds.yaml "
                            "(host, from, to; the password comes from an environment variable)")
    sent = archive.digest_sent(period.label)
    if sent and not force:
        raise DeliveryError(f"the digest {period.label} was already sent on {sent[0]:%Y-%m-%d %H:%M} UTC to "
                            f"{sent[1]}; use --force to send it again")
    record = record or next(iter(archive.digest_records(label=period.label)), None)
    if record is None:
        raise DeliveryError(f"the digest {period.label} has not been written yet")
    message_id = send_digest(settings, label=period.label, text=record.text, html=record.html, environ=environ)
    archive.mark_digest_sent(period.label, message_id, settings.recipients, datetime.now(UTC))
    return message_id
