"""The `techwatch` command: thin click commands over pipeline.py; WatchError -> message + exit code."""

from __future__ import annotations

import dataclasses
import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import pipeline
from .config import load_config
from .digest import parse_period
from .errors import WatchError
from .fetch import make_client
from .models import Config, SourceReport
from .store import open_archive

EXIT_PARTIAL = 1  # the run finished but some sources or items failed
EXIT_CONFIG = 2


def _handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except WatchError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
    return wrapper


def _config_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--db", "db", type=click.Path(dir_okay=False, path_type=Path),
                      help="Archive file (default: settings.database in the config).")(fn)
    return click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                        default="feeds.yaml", show_default=True, envvar="TECHWATCH_CONFIG",
                        help="The feeds.yaml to read.")(fn)


def _load(config_path: Path, db: Path | None) -> Config:
    config = load_config(config_path)
    if db is not None:
        config = dataclasses.replace(config, settings=dataclasses.replace(config.settings, database=db))
    return config


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log details to stderr.")
def cli(verbose: bool) -> None:
    """techwatch: poll AI news and release feeds, summarize and tag them, write weekly digests."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@cli.command()
@_config_options
@_handle_errors
def run(config_path: Path, db: Path | None) -> None:
    """Run one full cycle: poll every source, then extract, summarize and tag what is new."""
    config = _load(config_path, db)
    archive = open_archive(config.settings.database)
    with make_client(config.settings.fetch) as client:
        report = pipeline.run_cycle(config, archive, client, lambda: pipeline.load_models(config),
                                    on_source=_print_source)
    archive.close()
    counts = {k: sum(1 for s in report.sources if s.status == k)
              for k in ("new", "unchanged", "failed", "disabled")}
    click.echo(
        f"Total: {len(report.sources)} sources ({counts['new']} with news, {counts['unchanged']} unchanged, "
        f"{counts['failed']} failed, {counts['disabled']} disabled); {report.new_items} new items; "
        f"{report.processed.processed} processed, {report.processed.failed} failed."
    )
    for error in report.processed.errors:
        click.echo(f"  error: {error}", err=True)
    if report.failed_sources or report.processed.failed or report.processed.errors:
        sys.exit(EXIT_PARTIAL)


def _print_source(report: SourceReport) -> None:
    if report.status == "failed":
        click.echo(f"  FAILED     {report.source}: {report.error}")
    elif report.status == "new":
        click.echo(f"  new        {report.source}: {report.new_items} new, {report.updated_items} updated")
    else:
        click.echo(f"  {report.status:<10} {report.source}")


@cli.command()
@click.option("--week", help="ISO week, e.g. 2026-W48, or 'current' / 'last' (default: current week).")
@click.option("--since", help="A rolling window ending now instead of a week, e.g. 7d, 48h.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Output file (default: <digest directory>/<period>.md).")
@_config_options
@_handle_errors
def digest(week: str | None, since: str | None, out: Path | None, config_path: Path, db: Path | None) -> None:
    """Write the Markdown digest of a period: items grouped by tag, newest first."""
    try:
        period = parse_period(week=week, since=since)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    config = _load(config_path, db)
    archive = open_archive(config.settings.database)
    path = pipeline.write_digest(config, archive, period, out)
    archive.close()
    click.echo(f"Digest {period.label} written to {path}")


@cli.group()
def feeds() -> None:
    """List and check the sources in feeds.yaml."""


@feeds.command("list")
@_config_options
@_handle_errors
def feeds_list(config_path: Path, db: Path | None) -> None:
    """List configured sources with their tags, interval and last known health."""
    config = _load(config_path, db)
    health = {}
    if config.settings.database.exists():
        archive = open_archive(config.settings.database)
        health = {h["name"]: h for h in archive.source_health()}
        archive.close()
    for source in config.sources:
        h = health.get(source.name, {})
        state = "disabled" if not source.enabled else (
            f"failing x{h['error_count']}: {h['last_error']}" if h.get("error_count")
            else f"ok, {h['items']} items" if h.get("last_success_at") else "never fetched")
        tags = ",".join(source.tags) or "-"
        every = _human_interval(source.interval_seconds) if source.interval_seconds else "every run"
        click.echo(f"{source.name}\t{source.url}\t{source.kind}\ttags={tags}\t{every}\t{state}")


def _human_interval(seconds: int) -> str:
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "every " + "".join(parts)


@feeds.command("check")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              default="feeds.yaml", show_default=True, envvar="TECHWATCH_CONFIG", help="The feeds.yaml to read.")
@_handle_errors
def feeds_check(config_path: Path) -> None:
    """Validate feeds.yaml, then fetch every enabled source and say whether it parses."""
    config = load_config(config_path)
    click.echo(f"{config_path}: valid ({len(config.sources)} sources, {len(config.tags)} tags)")
    failures = 0
    with make_client(config.settings.fetch) as client:
        for source in config.sources:
            if not source.enabled:
                click.echo(f"  disabled   {source.name}")
                continue
            check = pipeline.check_source(client, source, config)
            if check.ok:
                click.echo(f"  ok         {source.name}: HTTP {check.http_status}, {check.format}, "
                           f"{check.entries} entries, {check.elapsed_seconds * 1000:.0f} ms")
            else:
                failures += 1
                click.echo(f"  FAILED     {source.name}: {check.error}")
    if failures:
        sys.exit(EXIT_PARTIAL)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="techwatch")
