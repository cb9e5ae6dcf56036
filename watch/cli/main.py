"""The `techwatch` command: thin click commands over pipeline.py; WatchError -> message + exit code."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .. import __version__, pipeline
from ..config import load_config
from ..feeds import subscribe
from ..feeds.discover import DiscoveredPage
from ..feeds.stack.follow import follow_stack
from ..http.client import make_client, trusting
from ..logs import setup_logging
from ..nlp.learning import RETAG_DAYS
from ..records import Config, RefusedLink, SourceCheck
from ..sources.listing import METHOD_NAMES
from ..store import open_archive
from ..store.lock import archive_lock, describe_holder
from ..text.redact import redact_text, redact_url
from ..text.textsafe import one_line
from .browse import browse
from .digest import digest
from .options import EXIT_PARTIAL, config_option, config_options, handle_errors, load, private_output, say
from .progress import RunProgress
from .query import export, search, show, stats
from .schedule import schedule
from .tag import tag


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(f"techwatch {__version__}")
    ctx.exit(0)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_show_version,
              help="Print the version of techwatch and exit.")
@click.option("-v", "--verbose", is_flag=True, help="Log every event (one logfmt line each) to stderr.")
@click.option("-q", "--quiet", is_flag=True, help="Log errors only.")
def cli(verbose: bool, quiet: bool) -> None:
    """techwatch: poll AI news and release feeds, summarize and tag them, write weekly digests."""
    if verbose and quiet:
        raise click.UsageError("--verbose and --quiet exclude each other")
    setup_logging(verbose=verbose, quiet=quiet)


@cli.command()
@click.option("--all", "poll_all", is_flag=True, help="Poll every enabled source now, even those not yet due.")
@click.option("--wait", "wait_seconds", type=click.FloatRange(min=0), default=0, show_default=True,
              metavar="SECONDS", help="If another techwatch process uses the archive, wait this long for it.")
@config_options
@handle_errors
def run(poll_all: bool, wait_seconds: float, config_path: Path, db: Path | None) -> None:
    """Run one full cycle: poll the sources that are due, then extract, summarize and tag what is new.

    SIGTERM or Ctrl-C finishes the current source or batch of items and stops; the rest stays for
    the next run (exit code 143 or 130).
    """
    config = load(config_path, db)
    database = config.settings.database
    with archive_lock(database, "techwatch run", wait_seconds, on_wait=_waiting(database, wait_seconds)), \
            _StopOnSignal() as stop:
        archive = open_archive(database)
        quiet = bool(click.get_current_context().find_root().params.get("quiet"))
        with make_client(config.settings.fetch) as client, RunProgress(quiet=quiet) as progress:
            report = pipeline.run_cycle(config, archive, client, lambda: pipeline.load_models(config),
                                        on_source=progress.source, progress=progress.progress, force=poll_all,
                                        stop=stop.event)
        left = len(archive.pending_ids())
        archive.close()
    counts = Counter(s.status for s in report.sources)
    click.echo(
        f"Total: {len(report.sources)} sources ({counts['new']} with news, {counts['unchanged']} unchanged, "
        f"{counts['empty']} empty, {report.failed_sources} failed, {counts['not due']} not due, "
        f"{counts['disabled'] + counts['gone']} disabled); {report.new_items} new items; "
        f"{report.processed.processed} processed, {report.processed.failed} failed."
    )
    if report.processed.outage:
        click.echo(f"{report.processed.outage}: {report.processed.waiting} items keep their extractive summary, "
                   f"retried next run ({report.processed.generated} generative summaries written).")
    elif report.processed.generated or report.processed.waiting:
        click.echo(f"Generative summaries: {report.processed.generated} written, {report.processed.waiting} items "
                   "still have the extractive one (time budget spent; they are done in the next runs).")
    learned = report.learning
    if learned.refitted:
        say(f"Tags: learned from {learned.labelled} labelled items ({', '.join(learned.tags) or 'no tag yet'}); "
            f"{learned.retagged} items of the last {RETAG_DAYS} days re-tagged (corrected items keep their tags).")
    for line in _refused_lines(report.processed.refused):
        say(line)
    for error in report.processed.errors:
        say(f"  error: {one_line(error)}", err=True)
    if report.interrupted:
        click.echo(f"stopped by {stop.name}: {left} items left pending for the next run "
                   f"({report.processed.processed} processed in this one)", err=True)
        sys.exit(128 + stop.signum)
    if report.failed_sources or report.processed.failed or report.processed.errors:
        sys.exit(EXIT_PARTIAL)


REFUSED_SHOWN = 5  # per source: a hostile feed may carry thousands of such links


def _refused_lines(refused: tuple[RefusedLink, ...]) -> list[str]:
    """Links the egress policy refused, grouped by source (each is reported in the run that met it)."""
    by_source: dict[str, list[RefusedLink]] = {}
    for link in refused:
        by_source.setdefault(link.source, []).append(link)
    lines = []
    for source, links in by_source.items():
        lines.append(f"  refused    {one_line(source)}: {len(links)} item link(s) not fetched; the items keep the "
                     "feed's text")
        lines += [f"             {redact_url(one_line(link.url))}: {one_line(link.reason)}"
                  for link in links[:REFUSED_SHOWN]]
        if len(links) > REFUSED_SHOWN:
            lines.append(f"             ... and {len(links) - REFUSED_SHOWN} more")
    return lines


def _waiting(database: Path, wait_seconds: float) -> Callable[[dict], None]:
    def tell(holder: dict) -> None:
        say(f"waiting for {describe_holder(holder)} to release the archive {database} "
            f"(up to {wait_seconds:g} s)", err=True)
    return tell


class _StopOnSignal:
    """SIGTERM and SIGINT set a stop flag instead of killing the process; a second signal acts as usual."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signum = 0
        self.name = ""
        self.saved: dict[int, Any] = {}

    def __enter__(self) -> _StopOnSignal:
        for signum in (signal.SIGTERM, signal.SIGINT):
            self.saved[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self.saved.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame: object) -> None:
        self.signum, self.name = signum, signal.Signals(signum).name
        self.event.set()
        # os.write, not click.echo: a signal handler may interrupt a write to the same stream
        os.write(2, f"{self.name}: finishing the current work, then stopping (again to stop at once)\n".encode())
        for other, handler in self.saved.items():
            signal.signal(other, handler)


@cli.group()
def feeds() -> None:
    """Manage the sources in feeds.yaml: list, check, add (with autodiscovery), import and export OPML."""


@feeds.command("list")
@config_options
@handle_errors
def feeds_list(config_path: Path, db: Path | None) -> None:
    """List configured sources with their tags, interval and last known health."""
    config = load(config_path, db)
    health = _health(config)
    for source in config.sources:
        state = "disabled" if not source.enabled else health.get(source.name, "never fetched")
        tags = ",".join(source.tags) or "-"
        every = _human_interval(source.interval_seconds) if source.interval_seconds else "every run"
        fields = (source.name, redact_url(source.url), source.kind, f"tags={tags}", every, redact_text(state))
        click.echo("\t".join(one_line(field) for field in fields))  # one_line: no tab inside a field


def _human_interval(seconds: int) -> str:
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "every " + "".join(parts)


def _say_found(check: SourceCheck) -> None:
    """How a detecting kind (kind: page) found its entries, how many, and the first ones with their dates."""
    if check.method is None:
        return
    say(f"             found by: {one_line(METHOD_NAMES.get(check.method, check.method))}, {check.entries} entries")
    for entry in check.sample:
        when = f"{entry.published:%Y-%m-%d}" if entry.published else "undated   "
        say(f"               {when}  {one_line(entry.title)}  {redact_url(one_line(entry.url))}")


@feeds.command("check")
@config_options
@handle_errors
def feeds_check(config_path: Path, db: Path | None) -> None:
    """Validate feeds.yaml, then fetch every enabled source and describe how it behaves."""
    config = load(config_path, db)
    say(f"{config_path}: valid ({len(config.sources)} sources, {len(config.tags)} tags)")
    if config.settings.database.exists() and any(t.examples for t in config.tags):
        archive = open_archive(config.settings.database)
        for warning in pipeline.unmatched_examples(config, archive):
            say(f"  warning: {warning}")
        archive.close()
    health = _health(config)
    baselines = _baselines(config)
    with make_client(config.settings.fetch) as client:
        checks = pipeline.check_all(config, client)
    failures = 0
    for source in config.sources:
        check = checks.get(source.name)
        name = one_line(source.name)
        if check is None:
            say(f"  disabled   {name}")
            continue
        if check.ok:
            content = ("full text" if check.full_text else "excerpts only") if check.full_text is not None else "-"
            last = f"{check.last_item:%Y-%m-%d}" if check.last_item else "undated"
            if check.watched_chars is not None:
                say(f"  ok         {name}: HTTP {check.http_status}, {check.elapsed_seconds * 1000:.0f} ms, "
                    f"{one_line(check.format)}")
            elif check.empty:
                say(f"  empty      {name}: HTTP {check.http_status}, {check.elapsed_seconds * 1000:.0f} ms, "
                    f"{one_line(check.format)}, no entries (a well-formed feed; polled as usual)")
            else:
                say(f"  ok         {name}: HTTP {check.http_status}, {check.elapsed_seconds * 1000:.0f} ms, "
                    f"{one_line(check.format)}, {check.entries} entries ({content}, median {check.median_chars} "
                    f"chars), last item {last}")
            say(f"             validators: {one_line(check.validators)}")
            _say_found(check)
            _say_watched(check, baselines.get(source.name))
            if check.final_url and check.final_url != source.url:
                how = "permanently: update the url in feeds.yaml" if check.moved else "temporarily"
                say(f"             redirected to {redact_url(check.final_url)} ({how})")
        else:
            failures += 1
            say(f"  FAILED     {name}: {one_line(check.error)}")
        if source.name in health:
            say(f"             health: {one_line(health[source.name])}")
    if failures:
        sys.exit(EXIT_PARTIAL)


def _say_watched(check: SourceCheck, baseline: str | None) -> None:
    """What a watched page (kind: watch) compares between polls, and whether a baseline is recorded."""
    if check.watched_chars is None:
        return
    recorded = f"baseline recorded {baseline}" if baseline else "no baseline yet: the first run records it"
    say(f"             watching the main text: {check.watched_chars:,} characters, {recorded}")
    say(f"             text: {one_line(check.watched_sample)}")


def _baselines(config: Config) -> dict[str, str]:
    """When the compared text of each watched source was last recorded (empty when there is no archive yet)."""
    if not config.settings.database.exists():
        return {}
    archive = open_archive(config.settings.database)
    try:
        when = {h["name"]: h["last_success_at"] for h in archive.source_health()}
        return {s.name: _day_minute(when.get(s.name)) for s in config.sources
                if (state := archive.source_state(s.name)) is not None and state.watch_text is not None}
    finally:
        archive.close()


def _day_minute(value: str | None) -> str:
    """An ISO timestamp as 2026-12-07 00:31 UTC ("at an unknown time" when absent)."""
    return f"{value[:10]} {value[11:16]} UTC" if value else "at an unknown time"


def _health(config: Config) -> dict[str, str]:
    """A sentence per source on its recorded health (empty when there is no archive yet)."""
    if not config.settings.database.exists():
        return {}
    archive = open_archive(config.settings.database)
    rows = archive.source_health()
    archive.close()
    out = {}
    for h in rows:
        if h["gone_reason"]:
            out[h["name"]] = f"disabled: {h['gone_reason']}"
        elif h["error_count"]:
            out[h["name"]] = f"failing x{h['error_count']}: {h['last_error']} (next try {h['next_check_at']})"
        elif h["stale_since"]:
            out[h["name"]] = f"stale since {h['stale_since'][:10]} (last item {str(h['last_item_at'])[:10]})"
        elif h["last_success_at"] and not h["items"]:
            out[h["name"]] = f"empty (the feed has no entries yet), last checked {h['last_checked_at']}"
        elif h["last_success_at"]:
            out[h["name"]] = f"ok, {h['items']} items, last checked {h['last_checked_at']}"
        if h["config_url"] and h["url"] != h["config_url"]:
            moved = f"moved permanently to {h['url']} (update the url in feeds.yaml)"
            out[h["name"]] = f"{moved}; {out[h['name']]}" if h["name"] in out else moved
    return out




@feeds.command("add")
@click.argument("url")
@click.option("--name", help="Source name (default: the feed's title, made unique).")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="A tag from the taxonomy; repeatable.")
@click.option("--interval", help="Polling interval, e.g. 30m, 6h, 1d (default: settings.fetch.default_interval).")
@click.option("--dry-run", is_flag=True,
              help="Find and check the feed (or the page's articles), show what would be added, write nothing.")
@config_option
@handle_errors
def feeds_add(url: str, name: str | None, tags: tuple[str, ...], interval: str | None, dry_run: bool,
              config_path: Path) -> None:
    """Find the feed of URL (a feed, or a site's page that links to one) and add it to feeds.yaml.

    A page with no feed at or behind it is added as `kind: page` when its article list is found.
    """
    config = load_config(config_path)
    with make_client(trusting(config.settings.fetch, [url])) as client:
        report = subscribe.add_feed(config_path, config, client, url, name=name, tags=tags, interval=interval,
                                    dry_run=dry_run)
    feed = report.feed
    if isinstance(feed, DiscoveredPage):
        _show_page(feed)
    else:
        origin = {"direct": "the URL is the feed", "link": f"advertised by {feed.page_url}",
                  "guess": f"at a usual feed address of {feed.page_url}"}[feed.via]
        say(f"Feed: {feed.url} ({origin})")
        for attempt in feed.tried:
            say(f"  not used: {one_line(attempt)}")
        say(f"Title: {one_line(feed.title) or '(none)'}; format {one_line(feed.format)}; {feed.entries} entries")
    verb = "Would add" if dry_run else "Added"
    tagged = f" with tags {', '.join(report.source.tags)}" if report.source.tags else ""
    kind = f" as kind: {report.source.kind}" if report.source.kind != "feed" else ""
    say(f"{verb} {report.source.name!r}{kind}{tagged} to {config_path} at line {report.line}"
        + (" (dry run: nothing written)" if dry_run else ""))


def _show_page(page: DiscoveredPage, shown: int = 5) -> None:
    """What `feeds add` prints for a page without a feed: the attempts, the detection method, the first entries."""
    say(f"No feed at or behind {page.url}:")
    for attempt in page.tried:
        say(f"  not used: {one_line(attempt)}")
    say(f"Page: {page.url}, read as kind: page (each article it links to becomes an item)")
    say(f"Title: {one_line(page.title) or '(none)'}; articles found by {page.method}; {len(page.entries)} articles")
    for entry in page.entries[:shown]:
        when = f"{entry.published:%Y-%m-%d}" if entry.published else "undated   "
        say(f"  {when}  {one_line(entry.title) or '(untitled)'}  {redact_url(entry.url)}")
    if len(page.entries) > shown:
        say(f"  ... and {len(page.entries) - shown} more")


@feeds.command("stack")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...",
                type=click.Path(exists=True, path_type=Path))
@click.option("--tag", "--tags", "tags", multiple=True, metavar="TAG",
              help="A tag from the taxonomy for every new source, besides 'stack'; repeatable.")
@click.option("--only", multiple=True, metavar="NAME", help="Only this dependency; repeatable.")
@click.option("--exclude", multiple=True, metavar="NAME", help="Not this dependency; repeatable.")
@click.option("--dry-run", is_flag=True, help="Resolve and show what would be added, write nothing.")
@config_option
@handle_errors
def feeds_stack(paths: tuple[Path, ...], tags: tuple[str, ...], only: tuple[str, ...], exclude: tuple[str, ...],
                dry_run: bool, config_path: Path) -> None:
    """Follow the releases of the dependencies your manifests name (pyproject.toml, requirements*.txt,
    package.json, go.mod, Cargo.toml, CycloneDX/SPDX JSON; a directory is searched for them)."""
    config = load_config(config_path)
    with make_client(config.settings.fetch) as client:
        plan = follow_stack(config_path, config, client, paths, tags=tags, only=only, exclude=exclude,
                            dry_run=dry_run)
    for registry, why in plan.failures.items():
        say(f"error: {registry} could not be asked: {one_line(why)}", err=True)
    verb = "would add" if dry_run or plan.failures else "added"
    for (source, resolution), line in zip(plan.added, plan.lines or [0] * len(plan.added), strict=True):
        target = dict(source.fields).get("repo") or dict(source.fields).get("package")
        where = f" (line {line})" if line else ""
        say(f"  {verb:9}  {resolution.dependency.name}: kind {source.kind} {target}{where}")
    if plan.advisories is not None:
        where = f" (line {plan.advisories_line})" if plan.advisories_line else ""
        say(f"  {verb:9}  {plan.advisories.name}: kind advisories {plan.advisories.url}{where}")
    for resolution, name in plan.present:
        say(f"  present    {resolution.dependency.name}: followed by {name!r}")
    for resolution, why in plan.skipped:
        say(f"  skipped    {resolution.dependency.name}: {one_line(why)}")
    resolved = sum(1 for _, r in plan.added if r.repo) + sum(1 for r, _ in plan.present if r.repo)
    total = len(plan.added) + len(plan.present) + len(plan.skipped)
    summary = (f"{total} dependencies, {resolved} traced to a GitHub repository; {len(plan.added)} "
               f"{'would be ' if dry_run or plan.failures else ''}added, {len(plan.present)} already followed, "
               f"{len(plan.skipped)} skipped")
    if plan.failures:
        click.echo(f"{summary}; nothing written: {', '.join(plan.failures)} could not be asked", err=True)
        sys.exit(EXIT_PARTIAL)
    click.echo(summary + (" (dry run: nothing written)" if dry_run else f"; {config_path} updated"
                          if plan.written else ""))


@feeds.command("import")
@click.argument("opml_file", metavar="FILE.opml", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="A tag for every imported feed; repeatable.")
@click.option("--dry-run", is_flag=True, help="Show what would be added and skipped, write nothing.")
@config_option
@handle_errors
def feeds_import(opml_file: Path, tags: tuple[str, ...], dry_run: bool, config_path: Path) -> None:
    """Add the feeds of an OPML file (a feed reader's export) to feeds.yaml; no network needed."""
    config = load_config(config_path)
    report = subscribe.import_opml(config_path, config, opml_file.read_bytes(), tags=tags, dry_run=dry_run)
    for source, line in report.added:
        tagged = f", tags {', '.join(source.tags)}" if source.tags else ""
        say(f"  {'would add' if dry_run else 'added'}  {source.name}: {source.url} (line {line}{tagged})")
    for feed, reason in report.skipped:
        say(f"  skipped    {one_line(feed.title or feed.url)}: {one_line(reason)}")
    click.echo(f"{len(report.added)} {'would be ' if dry_run else ''}added, {len(report.skipped)} skipped"
               + (" (dry run: nothing written)" if dry_run else f"; {config_path} updated" if report.added else ""))


@feeds.command("export")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the OPML to this file, created 0600 (default: standard output).")
@config_option
@handle_errors
def feeds_export(out: Path | None, config_path: Path) -> None:
    """Write the configured sources as OPML 2.0 (tags as categories), for a feed reader to import.

    Credentials in feed URLs (user:password@, ?token=, ?key=...) are masked as "…": add them again
    in the feed reader.
    """
    config = load_config(config_path)
    document = subscribe.export_opml(config)
    if out is None:
        click.echo(document, nl=False)
    else:
        with private_output(out) as handle:
            handle.write(document)
        click.echo(f"Exported {len(config.sources)} sources to {out}", err=True)

def main() -> None:
    """Console-script entry point."""
    cli(prog_name="techwatch")



cli.add_command(schedule)
cli.add_command(digest)
for _command in (search, show, stats, export):
    cli.add_command(_command)
cli.add_command(browse)
cli.add_command(tag)
