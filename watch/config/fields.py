"""Field values more than one section of feeds.yaml has: clock times, digest formats, relevance floors, tag names,
e-mail recipients."""

from __future__ import annotations

import difflib
import re

from .validate import MISSING, Block, describe, is_bool, is_int, key_list

DIGEST_FORMATS: tuple[str, ...] = ("md", "html", "text", "atom")  # atom: the feed of past digests
WEEKDAYS: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_TIME_RE = re.compile(r"^([0-9]{1,2}):([0-9]{2})$")


def recipients(block: Block, key: str) -> tuple[str, ...] | None:
    """A list of e-mail addresses under `key`, each checked; None when the key is absent or not a list."""
    entries = block.text_list(key, f"{key} (a list of addresses)")
    if entries is None:
        return None
    found: list[str] = []
    for value, line in entries:
        if not _EMAIL_RE.match(value):
            block.report(key, f"{value!r} is not an e-mail address", line)
        elif not value.isascii():
            block.report(key, f"{value!r}: addresses with non-ASCII characters are not supported", line)
        elif value in found:
            block.report(key, f"{value!r} is listed twice", line)
        else:
            found.append(value)
    return tuple(found)


def relevance_floor(block: Block) -> float | None:
    """`digest.relevance_floor`: a number from 0 to 1, or absent for the embedding model's measured floor."""
    value = block.get("relevance_floor")
    if value in (MISSING, None):
        return None
    if not isinstance(value, (int, float)) or is_bool(value) or not 0 <= value <= 1:
        block.report("relevance_floor", f"relevance_floor must be a number from 0 to 1, got {describe(value)}")
        return None
    return float(value)


def clock_time(block: Block, default: str) -> str:
    """HH:MM on a 24-hour clock, normalised to two-digit hours."""
    value = block.get("time")
    if value is MISSING:
        return default
    if is_int(value):
        # YAML 1.1 reads an unquoted 07:00 as sexagesimal minutes: say how to write it instead.
        block.report("time", f"time must be text like \"07:00\" (quote it), got {describe(value)}")
        return default
    text = block.text("time")
    if text is None:
        return default
    match = _TIME_RE.match(text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        block.report("time", f"time {text!r} is not a 24-hour HH:MM time such as \"07:00\"")
        return default
    return f"{int(match[1]):02d}:{match[2]}"


def digest_formats(block: Block, default: tuple[str, ...]) -> tuple[str, ...]:
    """A non-empty list of distinct formats from DIGEST_FORMATS."""
    entries = block.text_list("formats", "formats")
    if entries is None:
        if block.get("formats") is None:
            block.report("formats", f"formats must list at least one of: {key_list(DIGEST_FORMATS)}")
        return default
    formats: list[str] = []
    for value, line in entries:
        name = value.lower()
        if name not in DIGEST_FORMATS:
            block.report("formats", f"unknown format {value!r} (allowed: {key_list(DIGEST_FORMATS)})", line)
        elif name in formats:
            block.report("formats", f"format {value!r} is listed twice", line)
        else:
            formats.append(name)
    if not entries:
        block.report("formats", f"formats must list at least one of: {key_list(DIGEST_FORMATS)}")
    return tuple(formats) or default


def tag_names(block: Block, key: str, known_tags: set[str]) -> tuple[str, ...]:
    """A list of tag names under `key`; each must be defined in the `tags:` taxonomy, none twice."""
    tags: list[str] = []
    for tag, line in block.text_list(key, "tag names") or ():
        if tag not in known_tags:
            known = key_list(tuple(sorted(known_tags))) if known_tags else "none: define them under 'tags:'"
            close = difflib.get_close_matches(tag, sorted(known_tags), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            block.report(key, f"unknown tag {tag!r} (known tags: {known}){hint}", line)
        elif tag in tags:
            block.report(key, f"tag {tag!r} is listed twice", line)
        else:
            tags.append(tag)
    return tuple(tags)


