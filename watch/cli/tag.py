"""`techwatch tag`: correct an archived item's tags (+tag, -tag), or many items' from a CSV file (see cli/main.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from ..nlp import corrections
from ..store import open_archive
from .options import config_options, handle_errors, load, say


@click.command("tag", context_settings={"ignore_unknown_options": True})
@click.argument("item", required=False)
@click.argument("changes", nargs=-1, type=click.UNPROCESSED)
@click.option("--from", "csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              metavar="FILE.csv", help="Corrections from a CSV file with the header item,tags "
                                       "(e.g. 3f2a9c,\"+security -llm\"); all or nothing.")
@config_options
@handle_errors
def tag(item: str | None, changes: tuple[str, ...], csv_file: Path | None, config_path: Path, db: Path | None) -> None:
    """Correct the tags of an archived item: `techwatch tag ITEM +security -llm`.

    ITEM is an item id (or an unambiguous start of it, as `search` shows) or its URL. A correction is
    applied at once, always wins over the tagger for that item, and teaches the tagger: the next run
    learns from it and re-tags the items of the last 30 days (corrected items keep their tags).
    """
    if (csv_file is None) == (item is None):
        raise click.UsageError("give ITEM and +TAG/-TAG changes, or --from FILE.csv")
    if csv_file is not None and changes:
        raise click.UsageError("--from FILE.csv takes no ITEM or changes")
    config = load(config_path, db)
    known = [t.name for t in config.tags]
    database = config.settings.database
    if not database.exists():
        raise click.UsageError(f"no archive at {database}: run `techwatch run` first")
    # No archive lock: a run may go on meanwhile (SQLite serialises the writes), and a correction made
    # while it processes the item still wins, since saving an item applies its corrections.
    archive = open_archive(database)
    try:
        found = (corrections.csv_corrections(archive, csv_file, known) if csv_file is not None
                 else corrections.item_corrections(archive, item or "", changes, known))
        corrections.record_corrections(archive, found, datetime.now(UTC))
        items = list(dict.fromkeys(c.item_id for c in found))
        for item_id in items[:20]:
            say(f"{item_id}: {', '.join(archive.item_tags_of(item_id)) or '(no tag)'}")
    finally:
        archive.close()
    more = f" ({len(items) - 20} more not shown)" if len(items) > 20 else ""
    say(f"{len(found)} correction(s) recorded for {len(items)} item(s){more}; the next run learns from them")
