"""Stage 1: poll sources (concurrently, politely), parse what changed, record each outcome and schedule."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import multiprocessing
import random
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from watch.errors import FetchError, LayoutChanged, ParseError
from watch.http.client import HostLimiter, fetch, host_of
from watch.http.render import render_result
from watch.machine import usable_cpus
from watch.records import (
    Config,
    FetchResult,
    ParsedFeed,
    Source,
    SourceReport,
    SourceState,
)
from watch.sources import layout
from watch.sources import policy as schedule
from watch.sources.kinds import kind_of
from watch.sources.parse import parse_feed
from watch.store import Archive
from watch.text.redact import redact_text
from watch.text.textsafe import one_line

log = logging.getLogger(__name__)


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
    cores = usable_cpus()
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
    kind = kind_of(source)
    api = kind.api_request(source, settings)
    url, headers = api or (state.url if state else source.url, None)
    # A rendered page's HTML is a shell that stays the same while its scripts show new things: no validators,
    # and the body hash is the rendered DOM's.
    conditional = state is not None and not source.render
    try:
        result = kind.assemble(client, source, settings, limiter, state.watch_text if state else None) or \
            fetch(client, url, max_bytes=settings.max_bytes,
                  etag=state.etag if conditional and state else None,
                  last_modified=state.last_modified if conditional and state else None,
                  total_timeout=settings.total_timeout_seconds, limiter=limiter, headers=headers)
        if source.render and not result.not_modified:
            result = render_result(result, settings)
    except FetchError as exc:
        if api:
            exc = kind.api_failure(exc)
        return Fetched(source, state, error=exc)
    body_hash = hashlib.sha256(result.content).hexdigest()
    if result.not_modified or (state and state.content_hash == body_hash):
        return Fetched(source, state, result)
    try:
        if kind.parse_in_pool:
            feed = parser(result.content, source_name=source.name, base_url=result.final_url,
                          content_type=result.content_type, now=now)
        else:  # release documents are small: parsed here, not in the pool
            feed = kind.parse(source, result.content, base_url=result.final_url,
                              content_type=result.content_type, now=now,
                              previous=state.watch_text if state else None)
    except ParseError as exc:
        gone = layout.vanished(state.listing_counts, str(exc)) if kind.listing_rules and state else None
        return Fetched(source, state, result, error=LayoutChanged(gone) if gone else exc)
    flooded = layout.flood(source, len(feed.entries), state.listing_counts) if kind.listing_rules and state else None
    if flooded:
        return Fetched(source, state, result, error=LayoutChanged(flooded))
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
        counts = (layout.remembered(state.listing_counts if state else (), len(fetched.feed.entries))
                  if kind_of(source).listing_rules else None)
        new, updated = archive.save_refresh(source.name, result, fetched.feed, fetched.body_hash or "", now,
                                            next_check, listing_counts=counts)
    notes += _update_staleness(archive, source.name, config, now)
    if fetched.feed is not None and fetched.feed.state is not None and not fetched.feed.entries:
        # A watched page read as before (its first poll, or only dates and counters moved): nothing new.
        first = state is None or state.watch_text is None
        return SourceReport(source.name, "unchanged", notes=tuple(notes) + (
            ("first poll: baseline recorded, changes from now on become items",) if first else ()))
    if fetched.feed is not None and not fetched.feed.entries:
        # A well-formed document with no entries (a new blog, a wiped feed) is a success, polled as usual.
        return SourceReport(source.name, "empty", notes=tuple(notes))
    return SourceReport(source.name, "new" if new or updated else "unchanged", new, updated, notes=tuple(notes))


def _record_failure(archive: Archive, source: Source, state: SourceState | None, error: Exception | None,
                    http_status: int | None, now: datetime, rng: random.Random | None) -> SourceReport:
    # Stored and shown: an HTTP reason phrase is the server's text, a URL in a message may hold a password.
    cause = one_line(redact_text(str(error))) if error else "unknown error"
    fetch_error = error if isinstance(error, FetchError) else None
    status = (fetch_error.status if fetch_error else None) or http_status
    if status == 410:
        reason = f"gone (HTTP 410) since {now:%Y-%m-%d}"
        archive.record_gone(source.name, reason, now)
        return SourceReport(source.name, "gone", error=cause,
                            notes=("the server says this feed is gone for good: no longer polled; "
                                   "remove it from feeds.yaml or give it a new url",))
    count = (state.error_count if state else 0) + 1
    retry_after = fetch_error.retry_after if fetch_error else None
    next_check = schedule.next_check_after_failure(now, count, retry_after_seconds=retry_after, rng=rng)
    archive.record_failure(source.name, cause, status, now, next_check)
    if isinstance(error, LayoutChanged):
        # Not the server's fault, but nothing was taken from the page: kept as a failure until it reads as usual.
        return SourceReport(source.name, layout.LAYOUT_CHANGED, error=cause,
                            notes=(f"warning #{count} in a row; the archive keeps what it had; next attempt after "
                                   f"{next_check:%Y-%m-%d %H:%M} UTC",))
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
