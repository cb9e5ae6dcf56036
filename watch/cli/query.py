"""Query commands over the archive, opened read-only: search, show, stats, export (registered by cli/main.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..config import load_config
from ..query import search as query_mod
from ..query.output import EXPORT_FORMATS, SEARCH_FORMATS, write_detail, write_export, write_search, write_stats
from ..query.plot import plot_stats
from ..records import SearchQuery
from ..store import ArchiveReader, open_reader
from .options import config_options, handle_errors, private_output, say


def _reader(config_path: Path, db: Path | None) -> ArchiveReader:
    """The archive read-only: --db if given (no feeds.yaml needed), else settings.database of the config."""
    return open_reader(db if db is not None else load_config(config_path).settings.database)


def _filter_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--tag", "tags", multiple=True, metavar="TAG", help="Only items with this tag; repeatable (any)."),
        click.option("--source", "sources", multiple=True, metavar="NAME",
                     help="Only items from this source; repeatable (any)."),
        click.option("--since", metavar="WHEN", help="From a duration ago (30d, 12h, 2w, 6mo, 1y, 1d12h; "
                     "m = minutes, mo = months), a date 2026-11-01 or 2026-W47."),
        click.option("--until", metavar="WHEN", help="Before this date (same forms as --since)."),
        click.option("--lang", "language", metavar="CODE", help="Only items in this language, e.g. fr."),
        click.option("--literal", is_flag=True, help="Search for the words as typed; no AND/OR/NOT, quotes or *."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _query(text: str | None, tags: tuple[str, ...], sources: tuple[str, ...], since: str | None, until: str | None,
           language: str | None, literal: bool, **more: Any) -> SearchQuery:
    return SearchQuery(text=text, tags=tags, sources=sources, language=language, literal=literal,
                       since=query_mod.parse_when(since) if since else None,
                       until=query_mod.parse_when(until) if until else None, **more)


@click.command("search")
@click.argument("text", metavar="[QUERY]", required=False)
@_filter_options
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1), help="Stories to show.")
@click.option("--sort", type=click.Choice(query_mod.SORTS), default="relevance", show_default=True,
              help="Best match (bm25: title, then summary, then text) or newest first.")
@click.option("--all-matches", is_flag=True,
              help=f"Rank every match; by default past {query_mod.RANK_NEWEST:,} matches the newest are ranked.")
@click.option("--format", "fmt", type=click.Choice(SEARCH_FORMATS), default="table", show_default=True)
@config_options
@handle_errors
def search(text: str | None, tags: tuple[str, ...], sources: tuple[str, ...], since: str | None, until: str | None,
           language: str | None, literal: bool, limit: int, sort: str, all_matches: bool, fmt: str,
           config_path: Path, db: Path | None) -> None:
    """Search the archive: one line per story, the match highlighted in context.

    QUERY uses SQLite FTS5 syntax: words (all must match), "a phrase", OR, NOT, prefix*, title:word,
    (groups), NEAR(a b, 10); C++, C# and .NET match as written. A query that cannot be searched as
    written is an error saying why (exit code 2); --literal takes the text as plain words.
    Without QUERY, the newest stories matching the filters are listed.
    """
    query = _query(text, tags, sources, since, until, language, literal, limit=limit, sort=sort,
                   all_matches=all_matches)
    reader = _reader(config_path, db)
    try:
        result = query_mod.search(reader, query)
    finally:
        reader.close()
    if result.note:
        say(f"note: {result.note}", err=True)
    if fmt == "table":
        if not result.hits:
            click.echo("No matching stories.", err=True)
            return
        if result.matches is not None:
            click.echo(f"{result.matches:,} items match the text; {len(result.hits)} stories shown.", err=True)
    write_search(result, fmt, sys.stdout)


@click.command("show")
@click.argument("item_id", metavar="ID")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@config_options
@handle_errors
def show(item_id: str, fmt: str, config_path: Path, db: Path | None) -> None:
    """Show one item (ID or a unique prefix of it): its sources, summary, tags and full text."""
    reader = _reader(config_path, db)
    try:
        detail = query_mod.show(reader, item_id)
    finally:
        reader.close()
    write_detail(detail, fmt, sys.stdout)


@click.command("stats")
@click.option("--since", default="12w", show_default=True, metavar="WHEN",
              help="From a duration ago (12w, 90d, 6mo, 1y; m = minutes, mo = months), a date, or 'all'.")
@click.option("--until", metavar="WHEN", help="Before this date (default: now).")
@click.option("--weeks", "trend_weeks", default=8, show_default=True, type=click.IntRange(min=1),
              help="Weeks shown in the tag trend table.")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path), metavar="PATH.png",
              help="Also draw items per week and the top tags as a PNG chart.")
@config_options
@handle_errors
def stats(since: str, until: str | None, trend_weeks: int, fmt: str, plot: Path | None, config_path: Path,
          db: Path | None) -> None:
    """Archive activity: items per week, per tag and per source, tag trends, sources needing attention."""
    start = None if since.strip().lower() == "all" else query_mod.parse_when(since)
    end = query_mod.parse_when(until) if until else None
    reader = _reader(config_path, db)
    try:
        result = query_mod.archive_stats(reader, start, end)
    finally:
        reader.close()
    write_stats(result, fmt, sys.stdout, trend_weeks=trend_weeks)
    if plot is not None:
        plot_stats(result, plot)
        click.echo(f"chart written to {plot}", err=True)


@click.command("export")
@click.option("--query", "text", metavar="QUERY", help="Only items matching this search (FTS5 syntax).")
@_filter_options
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="jsonl", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@click.option("--no-content", "no_content", is_flag=True, help="Leave out the full text (smaller files).")
@config_options
@handle_errors
def export(text: str | None, tags: tuple[str, ...], sources: tuple[str, ...], since: str | None, until: str | None,
           language: str | None, literal: bool, fmt: str, out: Path | None, no_content: bool, config_path: Path,
           db: Path | None) -> None:
    """Export items (the whole archive, or those matching --query and the filters) as JSON Lines or CSV."""
    query = _query(text, tags, sources, since, until, language, literal)
    reader = _reader(config_path, db)
    try:
        rows = query_mod.export(reader, query, content=not no_content)
        if out is None:
            count = write_export(rows, fmt, sys.stdout)
        else:
            # An export is a copy of the archive: private (0600) like it, unless the file exists already.
            with private_output(out) as handle:
                count = write_export(rows, fmt, handle)
    finally:
        reader.close()
    click.echo(f"{count} items exported" + (f" to {out}" if out else ""), err=True)
