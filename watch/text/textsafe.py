"""Untrusted text made harmless: no terminal escape sequences, control characters or bidi overrides.

Feeds, pages and release notes are written by strangers. Text from them is cleaned when it comes in
(parse, extract, discovery, OPML) and again wherever it goes out to a terminal, since an archive
written by an older version may still hold it raw.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["UNSAFE_CHARACTERS", "one_line", "strip_controls", "to_json"]

# Whole sequences go, not just their ESC byte, so that no "[2J" is left behind. A string sequence
# (OSC, DCS, SOS, PM, APC) runs to its terminator, BEL or ST; an unterminated one to the end of the line.
# OSC 8 hyperlinks are two such sequences around the visible text, so the text stays.
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"  # CSI: parameters, intermediates, final byte
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"  # string sequences
    r"|\x1b[ -/]*[0-~]"  # any other escape: ESC c (reset), ESC 7, ESC ( B ...
)
# C0 and C1 controls, DEL, bidi embeddings/overrides/isolates (they make text read as it is not),
# BOM and non-characters (lxml and XML refuse them). Letters of every script, emoji and ZWJ stay.
UNSAFE_CHARACTERS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff"
_CONTROLS = re.compile(f"[{UNSAFE_CHARACTERS}]")  # \r among them: it becomes a newline (or a space) first
_BREAKS = re.compile(r"[\t\n]")
# JSON escapes C0 itself; these it leaves raw with ensure_ascii=False (and U+2028/9 break JavaScript).
_JSON_RAW = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff\ufffe\uffff]")


def strip_controls(text: str, keep_newlines: bool = True) -> str:
    """`text` without escape sequences and control characters; newlines and tabs kept, or made spaces."""
    if not text:
        return text or ""
    if _CONTROLS.search(text) is None:
        return text if keep_newlines or not _BREAKS.search(text) else _BREAKS.sub(" ", text)
    text = _SEQUENCE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    if not keep_newlines:
        text = _BREAKS.sub(" ", text)
    return _CONTROLS.sub("", text)


def one_line(text: str | None) -> str:
    """A one-line field (title, name, author): controls dropped, whitespace runs made one space, trimmed."""
    return " ".join(strip_controls(text or "", keep_newlines=False).split())


def to_json(value: Any, **options: Any) -> str:
    """json.dumps that keeps text readable (non-ASCII as is) but escapes every control and bidi character."""
    # Outside strings JSON is ASCII, so each of these characters is inside a string: \\uXXXX is exact.
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False, **options))
