"""What a CTO wants from release notes: breaking changes, security fixes, new features (extractive)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ReleaseHighlights:
    """Cleaned lines of the notes, by what they mean for the reader; each tuple at most `limit` long."""

    breaking: tuple[str, ...]
    security: tuple[str, ...]
    features: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.breaking or self.security or self.features)


MAX_LINE = 160

# Section names, matched at the start of a heading or label. "Removed" is breaking (code using it stops
# working); "Deprecated" is not (it still works, the notes only announce a future break).
# "What's Changed" is GitHub's generic list and says nothing by itself.
_SECTIONS = (
    ("breaking", re.compile(r"^(?:⚠️?\s*)?(?:breaking|backwards?[- ]incompatible|incompatible|removed|removals?\b)",
                            re.IGNORECASE)),
    ("security", re.compile(r"^(?:security|vulnerabilit)", re.IGNORECASE)),
    ("features", re.compile(r"^(?:(?:new )?features?|added|new\b|highlights|major changes|enhancements|"
                            r"what'?s new)", re.IGNORECASE)),
    # Where "security" is a topic, not a fix: docs about a security policy, a SECURITY.md.
    ("docs", re.compile(r"^(?:documentation|docs)\b", re.IGNORECASE)),
)
_CONVENTIONAL = re.compile(
    r"^(feat|fix|perf|refactor|chore|docs|build|ci|style|test|revert|breaking)(\([^)]*\))?(!)?:\s*",
    re.IGNORECASE,
)
_BOLD_PREFIX = re.compile(r"^\*\*([^*]+?)(!)?:\*\*\s*")
_BREAKING_WORDS = re.compile(
    r"^breaking changes?\b\s*[:!-]|\*\*breaking changes?\*\*|\bbackwards?[- ]incompatible\b"
    r"|⚠️?\s*breaking",
    re.IGNORECASE,
)
_SECURITY_WORDS = re.compile(
    r"\bCVE-\d{4}-\d{4,}\b|\bGHSA(?:-[23456789cfghjmpqrvwx]{4}){3}\b|\bvulnerabilit(?:y|ies)\b"
    r"|\bsecurity (?:fix|fixes|issue|issues|patch|patches|update|updates|advisory|advisories|bug|bugs|release|flaw)\b"
    r"|\b(?:XSS|CSRF|SSRF|RCE)\b|\bremote code execution\b|\bpath traversal\b",
    re.IGNORECASE,
)
# The uppercase "BREAKING" is a marker; lowercase "breaking change detection" in a CI chore is not.
_BREAKING_MARKER = re.compile(r"\bBREAKING\b")
_BULLET = re.compile(r"^(\s*)(?:[-*+•]|\d+[.)])\s+")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_BOLD_LINE = re.compile(r"^\s*(?:\*\*|__)([^*_]+?)(?:\*\*|__):?\s*$")
_LABEL = re.compile(r"^\s*([A-Z⚠][^.!?:]{0,48}):\s*$")
_NOISE = re.compile(r"^(?:full changelog|new contributors|contributors|changes since\b|thanks\b|"
                    r"\*\*full changelog\*\*|\S+ made their first contribution)", re.IGNORECASE)


def _clean(line: str) -> str:
    """A bullet's message without its Markdown, commit and PR references, or attribution."""
    text = html.unescape(line.strip())
    text = _BULLET.sub("", text)
    text = re.sub(r"\s*\(\[[0-9a-f]{7,40}\]\([^)]*\)\)", "", text)  # ([abc1234](…/commit/…))
    text = re.sub(r"\s*\(\[#\d+\]\([^)]*\)\)", "", text)  # ([#1234](…/issues/1234))
    text = re.sub(r"\s*\[#\d+\]\([^)]*\)", "", text)
    text = re.sub(r"\s+(?:by|with) @[\w-]+(?:(?:,\s*|,?\s+and\s+)@[\w-]+)*(?:\s+in\s+(?:https?://\S+|#\d+))?", "", text)
    text = re.sub(r"\s+in #\d+\b", "", text)
    text = re.sub(r"\s*\((?:#\d+(?:,\s*)?)+\)", "", text)  # (#1234) and (#884, #898)
    text = re.sub(r"\s+(?:in\s+)?https?://github\.com/\S+/(?:pull|issues|commit)/\S+\s*$", "", text)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    bold = _BOLD_PREFIX.match(text)
    if bold:
        text = bold.group(1).strip() + ": " + text[bold.end():]
    # A type ("feat:", "**breaking!:**") repeats what the section says; a scope ("client:") names the area.
    conventional = _CONVENTIONAL.match(text)
    if conventional:
        scope = (conventional.group(2) or "").strip("()")
        text = (f"{scope}: " if scope else "") + text[conventional.end():]
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"\s+", " ", text).strip(" -–—:;,")
    return _shorten(text, MAX_LINE)


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if " " in cut:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ,;:-") + "…"


def _section(title: str) -> str | None:
    title = re.sub(r"[*_`#]", "", title).strip()
    for name, pattern in _SECTIONS:
        if pattern.match(title):
            return name
    return "other"


@dataclass
class _Item:
    raw: str
    section: str | None
    indent: int
    bullet: bool
    closed: bool = False  # a blank line followed: only an indented line can still continue this entry
    completed: bool = False  # sub-bullets were appended to a "parent:" entry


def _items(notes: str) -> list[_Item]:
    """Top-level entries of the notes with their section; wrapped lines joined, detail sub-bullets dropped."""
    items: list[_Item] = []
    section: str | None = None
    in_fence = False
    for line in notes.splitlines():
        if line.strip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if not line.strip():
            if items:
                items[-1].closed = True
            continue
        heading = _HEADING.match(line) or _BOLD_LINE.match(line) or _LABEL.match(line)
        if heading:
            section = _section(heading.group(1))
            items.append(_Item("", section, 0, False, closed=True))
            continue
        indent = len(line) - len(line.lstrip())
        last = items[-1] if items and items[-1].raw else None
        if _BULLET.match(line):
            if last and last.bullet and indent > last.indent:
                # A sub-list completes a parent that ends with ":"; under a full sentence it is only detail.
                if last.completed or last.raw.rstrip().endswith(":"):
                    joiner = "; " if last.completed else " "
                    last.raw = last.raw.rstrip() + joiner + _BULLET.sub("", line).strip()
                    last.completed = True
                continue
            items.append(_Item(line, section, indent, True))
        elif last and (
                # Markdown's lazy continuation: an unindented line right after a list item still belongs to it.
                (last.bullet and (indent > last.indent or not last.closed))
                or (not last.bullet and not last.closed and not re.search(r"[.!?:]$", last.raw.rstrip())
                    and line.lstrip()[:1].islower())):
            last.raw = last.raw.rstrip() + " " + line.strip()  # a wrapped line of the same entry
        else:
            items.append(_Item(line, section, indent, False))
    return [item for item in items if item.raw.strip()]


def _kind(item: _Item) -> str | None:
    text = item.raw.strip()
    message = _BULLET.sub("", text)
    bold = _BOLD_PREFIX.match(message)
    conventional = _CONVENTIONAL.match(message)
    if item.section == "breaking" or (bold and bold.group(2)) or (conventional and conventional.group(3)):
        return "breaking"
    if item.section != "docs" and (_BREAKING_MARKER.search(message) or _BREAKING_WORDS.search(message)):
        return "breaking"
    if item.section == "security":
        return "security"
    if item.section != "docs" and _SECURITY_WORDS.search(message):
        return "security"
    if item.section == "features" or (conventional and conventional.group(1).lower() == "feat"):
        return "features"
    return None


def highlights(notes: str, limit: int = 3) -> ReleaseHighlights:
    """Breaking changes, security fixes and features named in release notes, as cleaned lines of the notes."""
    found: dict[str, list[str]] = {"breaking": [], "security": [], "features": []}
    seen: set[str] = set()
    for item in _items(notes):
        kind = _kind(item)
        if kind is None:
            continue
        text = _clean(item.raw)
        # release-please lists a breaking change twice (under BREAKING CHANGES and under its type).
        if not text or text.lower() in seen or _NOISE.match(text):
            continue
        seen.add(text.lower())
        if len(found[kind]) < limit:
            found[kind].append(text)
    return ReleaseHighlights(tuple(found["breaking"]), tuple(found["security"]), tuple(found["features"]))


def _sentence(label: str, lines: tuple[str, ...]) -> str:
    body = "; ".join(line.removesuffix(".") for line in lines)
    end = "" if body.endswith("…") else "."
    return f"{label}: {body}{end}" if label else f"{body}{end}"


def _plain(text: str) -> str:
    return text.replace("`", "")


def summarize_release(notes: str, max_chars: int = 400) -> str:
    """A short plain-text summary: "Breaking: …. Security: …. New: …", else the notes' first entries."""
    found = highlights(notes)
    parts = [
        _sentence(label, lines)
        for label, lines in (("Breaking", found.breaking), ("Security", found.security), ("New", found.features))
        if lines
    ]
    if not parts:
        first = [text for item in _items(notes)
                 if (text := _clean(item.raw)) and not _NOISE.match(text) and not _LABEL.match(item.raw)][:3]
        if not first:
            return ""
        parts = [_sentence("", tuple(first))]
    return _shorten(_plain(" ".join(parts)), max_chars)
