"""The order of the stages, and nothing else: refresh sources, process pending items, cluster, digest.

Each stage lives in its package (sources/, extract/, nlp/, stories/, digest/); this module chains
them (docs/architecture.md, rule 1) and is the one entry point the CLI and the jobs call.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from watch.config.stack import STACK_TAG, is_stack_source
from watch.digest.deliver import deliver_digest, full_digest_link
from watch.digest.publish import (
    FEED_FILE,
    WrittenDigest,
    build_digest,
    email_digest,
    produce_digest,
    profile_digests,
    profile_link,
    profile_scorers,
    selected_profiles,
    write_digest,
)
from watch.errors import ModelError
from watch.extract.fulltext import PageFetcher, article_for
from watch.nlp.backlog import summarize_backlog
from watch.nlp.enrich import Models, enrich
from watch.nlp.interests import refresh_relevance
from watch.nlp.learning import learn_tags, unmatched_examples
from watch.nlp.loading import ModelLoader, load_models, load_once
from watch.progress import Meter, ProgressCallback
from watch.records import (
    DEFAULT_PROFILE,
    Article,
    Config,
    ModelOutput,
    PendingItem,
    ProcessReport,
    RunReport,
    SourceReport,
    Summary,
    TagLearning,
)
from watch.sources.check import check_all, check_source
from watch.sources.kinds import kind_of
from watch.sources.refresh import refresh_all, refresh_source
from watch.sources.release_notes import summarize_release
from watch.sources.releases import notes_text
from watch.store import Archive
from watch.stories.assign import cluster_new

__all__ = ["DEFAULT_PROFILE", "FEED_FILE", "ModelLoader", "Models", "PageFetcher", "WrittenDigest", "build_digest",
           "check_all", "check_source", "cluster_new", "deliver_digest", "email_digest", "full_digest_link",
           "learn_tags", "load_models", "load_once", "process_pending", "produce_digest", "profile_digests",
           "profile_link", "profile_scorers", "refresh_all", "refresh_relevance", "refresh_source",
           "release_output", "run_cycle", "selected_profiles", "summarize_backlog", "unmatched_examples",
           "write_digest"]

log = logging.getLogger(__name__)

def process_pending(config: Config, archive: Archive, client: httpx.Client | None,
                    models: ModelLoader, batch_size: int = 32, deadline: float | None = None,
                    stop: threading.Event | None = None, progress: ProgressCallback | None = None) -> ProcessReport:
    """Extract, summarize and tag every pending item, committing one item at a time.

    A ModelError (the model itself is broken) stops processing and leaves items pending; any
    other error fails only the item it happened on. `deadline` (time.monotonic()) bounds the
    generative summarizer: past it, items get the extractive summary and wait for the next run.
    Once `stop` is set, the items not yet saved stay pending (the batch being extracted is dropped).
    `progress` gets an "extract" event per item extracted and a "model" event per item through the model.
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

    def save(item: PendingItem, article: Article, output: ModelOutput) -> None:
        nonlocal processed, generated
        if item.source in release_sources:
            output = release_output(item, output)
        if item.source in stack_sources:  # `search --tag stack` and `stats` count them like any tag
            output = dataclasses.replace(output, source_tags=(STACK_TAG,))
        own = kinds[item.source].own_summary(item.feed_html) if item.source in kinds else None
        if own is not None:  # the kind says best what its item is (kind: watch: what changed on the page)
            output = dataclasses.replace(output, summary=own, summary_key=None)
        try:
            archive.save_processed(item.id, article, output, datetime.now(UTC))
            processed += 1
            generated += output.summary.model == generative_name
        except Exception as exc:
            fail(item, exc)

    pages = PageFetcher(client, config, archive) if client is not None else None
    modes = {s.name: s.extract for s in config.sources}
    release_sources = {s.name for s in config.sources if kind_of(s).releases}
    stack_sources = {s.name for s in config.sources if is_stack_source(s)}
    archive.give_source_tag(sorted(stack_sources), STACK_TAG)  # items archived before they were stack sources
    kinds = {s.name: kind_of(s) for s in config.sources}
    # A snapshot of ids: an item failing now is retried by a later run, not again in this loop.
    pending = archive.pending_ids()
    extracted, modelled = Meter("extract", len(pending), progress), Meter("model", len(pending), progress)
    extracted.start()
    modelled.start()
    for start in range(0, len(pending), batch_size):
        ready: list[tuple[PendingItem, Article]] = []
        ids = pending[start:start + batch_size]
        batch = archive.pending_items(ids)
        for item in batch:
            if stop is not None and stop.is_set():
                break
            try:
                ready.append((item, article_for(item, pages, modes.get(item.source, "auto"), archive)))
            except Exception as exc:  # one bad item never stops the run (house rule 5)
                fail(item, exc)
            extracted.advance()
        if stop is not None and stop.is_set():
            break
        # items gone from the batch (no longer pending) or failed in extraction never reach the model
        extracted.drop(len(ids) - len(batch))
        modelled.drop(len(ids) - len(ready))
        if not ready:
            continue
        if loaded is None:
            loaded = models()  # the model loads only when there is something to process
            if loaded.summarizer.generative:
                generative_name = loaded.summarizer.name
        for (item, article), output in zip(ready, enrich(ready, loaded, archive, deadline), strict=True):
            if isinstance(output, Exception):
                fail(item, output)
            else:
                save(item, article, output)
            modelled.advance()
    return ProcessReport(processed, failed, tuple(errors), generated=generated,
                         refused=tuple(pages.refused) if pages else (),
                         outage=loaded.summarizer.outage() if loaded is not None else None)


RELEASE_SUMMARIZER = "release-notes"  # the summaries made of a release's own note lines


def release_output(item: PendingItem, output: ModelOutput) -> ModelOutput:
    """A release's summary is its notes' own breaking changes, security fixes and features, when it has notes."""
    text = summarize_release(notes_text(item.feed_html)) if item.feed_html.strip() else ""
    if not text:
        return output
    return dataclasses.replace(output, summary=Summary(text, RELEASE_SUMMARIZER), summary_key=None)



def run_cycle(config: Config, archive: Archive, client: httpx.Client, models: ModelLoader,
              on_source: Callable[[SourceReport], None] | None = None, *, force: bool = False,
              stop: threading.Event | None = None, progress: ProgressCallback | None = None) -> RunReport:
    """One full cycle: refresh the sources that are due (all with `force`), then process what is new.

    Setting `stop` (from a signal handler) ends the cycle at the next item or source; the run is
    recorded as interrupted and what was not done stays for the next run. `progress` gets a
    "refresh" event per source, then process_pending's "extract" and "model" events.
    """
    stop = stop or threading.Event()
    run_id = archive.start_run(datetime.now(UTC))
    polled = Meter("refresh", len(config.sources), progress)
    polled.start()

    def source_done(report: SourceReport) -> None:
        if on_source is not None:
            on_source(report)
        polled.advance()

    sources = refresh_all(config, archive, client, source_done, force=force, stop=stop)
    models = load_once(models)
    deadline = None
    if config.settings.summarizer.generative:
        deadline = time.monotonic() + config.settings.summarizer.time_budget_seconds
    learning = TagLearning()
    try:
        learning = learn_tags(config, archive, models)  # corrections, examples: new items use what they teach
        processed = process_pending(config, archive, client, models, deadline=deadline, stop=stop, progress=progress)
        if not stop.is_set():  # clustering and relevance catch up in the next run
            cluster_new(archive, models)
            refresh_relevance(config, archive, models)
        if deadline is not None and not stop.is_set():
            processed = summarize_backlog(archive, models, deadline, processed)
    except ModelError as exc:
        processed = ProcessReport(errors=(f"model: {exc}",))
    report = RunReport(run_id=run_id, sources=tuple(sources), processed=processed, interrupted=stop.is_set(),
                       learning=learning)
    archive.finish_run(run_id, report, datetime.now(UTC))
    return report

