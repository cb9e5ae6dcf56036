"""Tag corrections as a user writes them: `+security -llm` for one item, or a CSV file of them, checked whole.

The CSV file has a header line `item,tags`, then one line per item: the item (its id, an unambiguous
start of its id, or its URL) and its changes, `+tag` to add and `-tag` to remove, separated by spaces:

    item,tags
    3f2a9c,+security -llm
    https://example.org/post,+regulation

Every line is checked before anything is recorded: one bad line (with its number) and nothing is applied.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from ..errors import QueryError
from ..records import TagCorrection
from ..store import Archive

CSV_HEADER = ("item", "tags")


def parse_changes(words: Sequence[str], known: Sequence[str]) -> dict[str, bool]:
    """{tag: present} from words such as "+security" and "-llm" (a word may hold several, space-separated)."""
    changes: dict[str, bool] = {}
    for word in (part for text in words for part in text.split()):
        sign, tag = word[:1], word[1:]
        if sign not in "+-" or not sign or not tag:
            raise QueryError(f"{word!r}: write +TAG to add a tag or -TAG to remove one")
        if tag not in known:
            close = difflib.get_close_matches(tag, list(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise QueryError(f"unknown tag {tag!r} (known tags: {', '.join(known) or 'none'}){hint}")
        if changes.get(tag, sign == "+") != (sign == "+"):
            raise QueryError(f"tag {tag!r} is both added and removed")
        changes[tag] = sign == "+"
    if not changes:
        raise QueryError("no change given: write +TAG to add a tag or -TAG to remove one")
    return changes


def resolve_item(archive: Archive, ref: str) -> str:
    """The id of the archived item that `ref` names: its id, an unambiguous start of it, or its URL."""
    ref = ref.strip()
    if not ref:
        raise QueryError("no item given")
    matches = archive.ids_by_link(ref) if "://" in ref else archive.resolve_id(ref)
    if ref in matches:
        return ref
    if not matches:
        raise QueryError(f"no archived item has the {'URL' if '://' in ref else 'id'} {ref!r}")
    if len(matches) > 1:
        raise QueryError(f"{ref!r} names several items ({', '.join(matches)}{', ...' if len(matches) >= 5 else ''}); "
                         "give more of the id")
    return matches[0]


def item_corrections(archive: Archive, ref: str, words: Sequence[str], known: Sequence[str]) -> list[TagCorrection]:
    """The corrections of one item from the command line: its reference and its +tag/-tag words."""
    item_id = resolve_item(archive, ref)
    return [TagCorrection(item_id, tag, present) for tag, present in parse_changes(words, known).items()]


def csv_corrections(archive: Archive, path: Path, known: Sequence[str]) -> list[TagCorrection]:
    """Every correction of a CSV file (see the module doc); QueryError naming each bad line if any is bad."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryError(f"cannot read {path}: {exc}") from exc
    problems: list[str] = []
    found: list[TagCorrection] = []
    reader = csv.reader(io.StringIO(text))
    header_seen = False
    for row in reader:
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        if not header_seen:
            header_seen = True
            if tuple(cell.strip().lower() for cell in row) != CSV_HEADER:
                problems.append(f"{path}:{line}: the first line must be the header 'item,tags', got {','.join(row)!r}")
                break
            continue
        if len(row) != 2:
            problems.append(f"{path}:{line}: expected 2 columns (item,tags), got {len(row)}")
            continue
        try:
            found += item_corrections(archive, row[0], [row[1]], known)
        except QueryError as exc:
            problems.append(f"{path}:{line}: {exc}")
    if not header_seen:
        problems.append(f"{path}: empty; the first line must be the header 'item,tags'")
    if problems:
        raise QueryError("nothing recorded:\n  " + "\n  ".join(problems))
    return found


def record_corrections(archive: Archive, corrections: Sequence[TagCorrection], now: datetime) -> None:
    """Store corrections; the items' tags say what they say at once, and no later tagging overrides them."""
    archive.correct_tags(corrections, now)
