"""Split a changelog, NEWS file or release-notes page into releases (version, date, notes)."""

from __future__ import annotations

import datetime
import re
import textwrap
from dataclasses import dataclass

import lxml.html
from lxml import etree

from watch.sources.versions import Version, parse_version


@dataclass(frozen=True)
class ChangelogRelease:
    """One release of a changelog: its version, heading as displayed, date if the heading has one, and notes."""

    version: Version
    heading: str
    date: datetime.date | None
    notes: str


_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_LINK_REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S+")
_RULE = re.compile(r"^\s*([=\-*_])(?:\s*\1){2,}\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")
# Version at the start of a heading: "[1.2.3]", "v1.2.3", "Version 1.2", "Release 1.2"; it ends at a space,
# bracket or colon ("0.0.5: last version compatible with Python 3.4").
_HEADING_VERSION = re.compile(r"^\[?\s*(?:(version|release)[\s:_-]*)?(v)?(\d[^\s\[\](),:;—–]*)", re.IGNORECASE)
# Plain-text NEWS: a version at column 0, then nothing or a separator ("6.0.14 - 30 July 2026",
# "3.0b3 - 1/23/2004 - MAP - ..."); "2.5 times faster" in running text does not match.
_PLAIN_VERSION = re.compile(r"^(?:(?:version|release)\s+)?(v?\d+(?:\.\d+)+[0-9A-Za-z.+-]*?)\.?(?=\s*$|\s+[-–—(\[]|:|,)",
                            re.IGNORECASE)
_INITIALS = re.compile(r"^[A-Z]{2,4}\s+[-–—]\s+")  # author initials in old NEWS files: "MAP - fixed ..."
_TAG = re.compile(r"\[[^\]]*\]")

_MONTH = (r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_DATE_PATTERNS = (
    ("ymd", re.compile(r"(?<![\d.])(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?![\d.])")),
    ("dmy", re.compile(rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+(\d{{4}})(?!\d)", re.IGNORECASE)),
    ("mdy", re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})(?!\d)", re.IGNORECASE)),
    ("numeric", re.compile(r"(?<![\d./])(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)")),
)


def _date_from(kind: str, groups: tuple[str, ...]) -> datetime.date:
    if kind == "ymd":
        year, month, day = (int(g) for g in groups)
    elif kind == "dmy":
        day, month, year = int(groups[0]), _MONTHS[groups[1][:3].lower()], int(groups[2])
    elif kind == "mdy":
        month, day, year = _MONTHS[groups[0][:3].lower()], int(groups[1]), int(groups[2])
    else:
        first, second, year = (int(g) for g in groups)
        # Month first, as in the US-written NEWS files that use slashes, unless that cannot be a month.
        month, day = (first, second) if first <= 12 else (second, first)
    return datetime.date(year, month, day)


def _first_date(text: str) -> tuple[int, int, datetime.date] | None:
    found: list[tuple[int, int, datetime.date]] = []
    for kind, pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            try:
                found.append((match.start(), match.end(), _date_from(kind, match.groups())))
            except ValueError:
                continue
            break
    return min(found) if found else None


def find_date(text: str) -> datetime.date | None:
    """The first date written in `text` ("2024-05-01", "May 1, 2024", "27 Nov 2023", "9/27/2002"), or None."""
    found = _first_date(text)
    return found[2] if found else None


def _clean_heading(text: str) -> str:
    return re.sub(r"\s+", " ", _LINK.sub(r"\1", text).replace("**", "")).strip()


def _heading_version(text: str) -> tuple[Version, str] | None:
    """The version a heading starts with and the rest of the heading; None for "Features", "Unreleased"..."""
    match = _HEADING_VERSION.match(text)
    if not match:
        return None
    token = match.group(3).rstrip(".-")
    version = parse_version(token)
    if version is None:
        return None
    # A bare year or number ("## 2023", "## 3 things") groups releases; "v3" or "Version 3" names one.
    if len(version.release) < 2 and not (match.group(1) or match.group(2)):
        return None
    return version, text[match.end():]


@dataclass
class _Heading:
    start: int  # first line of the heading
    body: int  # first line after it
    level: int
    text: str


def _headings(lines: list[str]) -> list[_Heading]:
    headings: list[_Heading] = []
    in_fence = False
    for index, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        atx = _ATX.match(line)
        if atx:
            headings.append(_Heading(index, index + 1, len(atx.group(1)), _clean_heading(atx.group(2))))
            continue
        underline = _SETEXT_UNDERLINE.match(lines[index + 1]) if index + 1 < len(lines) else None
        # Only a one-line paragraph counts: "---" under a running paragraph is far more often a rule.
        if (underline and line.strip() and not _LIST_ITEM.match(line) and not _RULE.match(line)
                and (index == 0 or not lines[index - 1].strip())):
            level = 1 if underline.group(1).startswith("=") else 2
            headings.append(_Heading(index, index + 2, level, _clean_heading(line)))
    return headings


def _clean_notes(lines: list[str]) -> str:
    kept = [line.rstrip() for line in lines if not _LINK_REFERENCE.match(line)]
    while kept and (not kept[-1].strip() or _RULE.match(kept[-1])):
        kept.pop()
    return "\n".join(kept).strip("\n").strip()


def _release(version: Version, heading: str, rest: str, notes: str) -> ChangelogRelease:
    return ChangelogRelease(version=version, heading=heading, date=find_date(rest), notes=notes)


def _from_headings(lines: list[str], headings: list[_Heading]) -> list[ChangelogRelease]:
    releases: list[ChangelogRelease] = []
    current: tuple[_Heading, Version, str] | None = None

    def close(end: int) -> None:
        if current:
            heading, version, rest = current
            releases.append(_release(version, heading.text, rest, _clean_notes(lines[heading.body:end])))

    for heading in headings:
        found = _heading_version(heading.text)
        if found:
            close(heading.start)
            current = (heading, found[0], found[1])
        elif current and heading.level <= current[0].level:
            # "## [Unreleased]", "## Links": a sibling heading that is no release ends the notes.
            close(heading.start)
            current = None
    close(len(lines))
    return releases


def _from_plain_text(lines: list[str]) -> list[ChangelogRelease]:
    starts: list[tuple[int, Version, str]] = []
    for index, line in enumerate(lines):
        match = _PLAIN_VERSION.match(line)
        version = parse_version(match.group(1)) if match else None
        if match and version:
            starts.append((index, version, line[match.end():]))
    releases: list[ChangelogRelease] = []
    for position, (index, version, rest) in enumerate(starts):
        end = starts[position + 1][0] if position + 1 < len(starts) else len(lines)
        # Old NEWS entries start on the version line itself ("1.0 - 9/27/2002 - MAP - fixed ...").
        lead = rest
        date = _first_date(lead)
        if date:
            lead = lead[date[1]:]
        lead = _TAG.sub("", lead).lstrip(" \t-–—:,").rstrip()
        lead = _INITIALS.sub("", lead).strip()
        # A "=====" rule at column 0 would stop dedent from removing the notes' indentation.
        body = textwrap.dedent("\n".join(line for line in lines[index + 1:end] if not _RULE.match(line)))
        body = body.splitlines()
        notes = _clean_notes(([lead] if lead else []) + body)
        releases.append(_release(version, lines[index].strip(), rest, notes))
    return releases


def parse_changelog(text: str) -> list[ChangelogRelease]:
    """Releases of a Markdown changelog (ATX or setext headings) or plain-text NEWS file, in document order."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    headings = _headings(lines)
    if any(_heading_version(heading.text) for heading in headings):
        return _from_headings(lines, headings)
    return _from_plain_text(lines)


_SKIP = {"script", "style", "noscript", "template", "head", "svg", "button", "form", "nav"}
_BLOCK = {"p", "div", "section", "article", "main", "body", "html", "header", "footer", "aside", "blockquote",
          "table", "tr", "dl", "dt", "dd", "details", "summary", "figure", "figcaption", "hr"}


class _MarkdownWriter:
    """Just enough HTML → Markdown for release notes: headings, lists as "- " lines, paragraphs."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.buffer: list[str] = []
        self.depth = 0
        self.bullet: str | None = None

    def flush(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self.buffer)).strip()
        self.buffer = []
        if not text:
            return
        indent = "  " * max(self.depth - 1, 0)
        if self.bullet is not None:
            self.lines.append(indent + self.bullet + text)
            self.bullet = None
        else:
            self.lines.append(indent + "  " + text if self.depth else text)

    def blank(self) -> None:
        self.flush()
        if self.lines and self.lines[-1]:
            self.lines.append("")

    def contents(self, element: etree._Element) -> None:
        if element.text:
            self.buffer.append(element.text)
        for child in element:
            self.element(child)
            if child.tail:
                self.buffer.append(child.tail)

    def element(self, element: etree._Element) -> None:
        if not isinstance(element.tag, str):
            return  # comments and processing instructions
        tag = element.tag.lower()
        if tag in _SKIP:
            return
        if re.fullmatch(r"h[1-6]", tag):
            self.blank()
            text = re.sub(r"\s+", " ", element.text_content()).strip()
            if text:
                self.lines.extend(["#" * int(tag[1]) + " " + text, ""])
        elif tag == "br":
            self.flush()
        elif tag in ("ul", "ol"):
            self.flush()
            self.depth += 1
            self.contents(element)
            self.flush()
            self.depth -= 1
            if not self.depth:
                self.blank()
        elif tag == "li":
            self.flush()
            self.bullet = "- "
            self.contents(element)
            self.flush()
        elif tag == "pre":
            self.blank()
            self.lines.extend(["```", *element.text_content().strip("\n").splitlines(), "```", ""])
        elif tag == "code":
            self.buffer.append(f"`{element.text_content()}`")
        elif tag in _BLOCK:
            if self.depth:
                self.flush()
            else:
                self.blank()
            self.contents(element)
            if self.depth:
                self.flush()
            else:
                self.blank()
        else:
            self.contents(element)


def html_to_markdown(html: str) -> str:
    """Headings, list items and paragraphs of an HTML page as Markdown text."""
    if not html.strip():
        return ""
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return ""
    writer = _MarkdownWriter()
    writer.element(root)
    writer.blank()
    return "\n".join(writer.lines).strip() + "\n"


def parse_changelog_html(html: str) -> list[ChangelogRelease]:
    """Releases of a rendered release-notes page: h1–h6 become Markdown headings, then `parse_changelog`."""
    return parse_changelog(html_to_markdown(html))
