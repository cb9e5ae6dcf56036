"""Rule-based sentence splitter for English and French (pure Python, no downloads)."""

from __future__ import annotations

import re

# Titles before a name: the next word is capitalised, yet the period never ends a sentence.
_TITLES = frozenset({
    "mr", "mrs", "ms", "mx", "dr", "prof", "rev", "gen", "sen", "rep", "gov", "lt", "col", "capt",
    "sgt", "cmdr", "hon", "pres", "st", "mt", "ft", "mm", "mme", "mmes", "mlle", "mlles", "pr",
    "ste", "sts",
})
# Abbreviations that are followed by more of the same sentence, whatever comes next.
_NEVER_FINAL = frozenset({"e.g", "i.e", "cf", "vs", "viz", "approx", "ca", "ex", "resp", "dept", "cit", "op"})
# Abbreviations that go before a number ("No. 5", "art. 3"); elsewhere "no." can end a sentence.
_BEFORE_NUMBER = frozenset({
    "no", "nos", "nr", "n", "art", "arts", "pp", "fig", "figs", "eq", "eqs", "vol", "vols", "ch",
    "chap", "sec", "tel", "env", "ref",
})
# Abbreviations that may end a sentence: a capitalised next word decides.
_MAYBE_FINAL = frozenset({"etc", "inc", "ltd", "corp", "co", "jr", "sr", "bros", "plc", "llc", "cie", "al"})
# Words that usually open a sentence; they decide after dotted acronyms ("the U.S. The ...").
_STARTERS = frozenset({
    "the", "a", "an", "it", "its", "he", "she", "they", "we", "i", "in", "on", "at", "but", "and",
    "this", "that", "these", "those", "there", "his", "her", "their", "our", "so", "yet", "if",
    "when", "while", "after", "before", "as", "however", "meanwhile", "still", "also", "then", "le",
    "la", "les", "l", "il", "elle", "ils", "elles", "nous", "vous", "je", "un", "une", "des",
    "ce", "cette", "ces", "mais", "et", "en", "au", "aux", "dans", "pour", "selon", "depuis",
    "lors", "ainsi",
})

_SPACE = " \t\u00a0\u202f\u2009"
# A terminator, then closing quotes/brackets; French puts a (no-break) space before ».
_BOUNDARY = re.compile(
    r"(?:\.{2,}|…|[.!?‽]+)"
    r"(?:[)\]\"'”’»]|[ \u00a0\u202f\u2009]»)*"
    r"(?=[\s\u00a0\u202f\u2009]|$|[^\W\d_])"
)
# Paragraphs glued by extraction ("(Inrae).Pour mieux"): a word, then a capitalised word.
_GLUED_BEFORE = re.compile(r"(?:[^\W\d_]{2}|[)\]\"'”’»%€\d])$")
_OPENERS = "\"'“‘«([¿¡" + _SPACE
_TOKEN_BEFORE = re.compile(r"(\S*)$")
_DOTTED = re.compile(r"^(?:[^\W\d_]\.)+[^\W\d_]$")
_WORD = re.compile(r"[\w'’-]+")
_HAS_ALNUM = re.compile(r"\w")
# A wire-story dateline opening a paragraph: "SAN FRANCISCO, Nov 3 (Reuters) -", "(CNN) --",
# "BUFFALO, N.Y. —", "Canberra, Australia (CNN) --", "PARIS (AFP) -". It names where and who, and is no
# part of the sentence it precedes, so it is a piece of its own (which the summarizer then drops as
# too short). Either an agency in brackets before the dash, or a place in capitals: a capitalised
# word alone before a dash is prose ("Nadal — who else? — won").
_AGENCY = r"\((?:[A-Z][^\W\d_]*(?:[ /&.-]+[A-Za-z]+){0,3})\)"
_MONTHS = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
_PLACE_WORD = rf"(?:[A-Z][\w.'’-]*|\d{{1,2}}|de|of|du|{_MONTHS})"
_DATELINE = re.compile(
    r"^[\s\u00a0]*(?:"
    rf"(?:{_PLACE_WORD}(?:[ ,]+{_PLACE_WORD}){{0,6}}[ ,]*)?{_AGENCY}"
    r"|[A-Z][A-Z.'’-]{2,}(?: [A-Z][A-Z.'’-]+){0,3}(?:,(?: [A-Z][\w.'’-]*| \d{1,2}){1,4})?"
    r")[ \u00a0]*(?:--?|–|—)[ \u00a0]+(?=[\"'“‘«]?[A-Z0-9])"
)


def split_sentences(text: str, language: str | None = None, *, datelines: bool = True) -> list[str]:
    """Split `text` into sentences; each one is a stripped substring of `text`.

    A paragraph's opening dateline ("WASHINGTON (Reuters) -") is a piece of its own; with
    `datelines=False` it stays in its sentence, as it did before (kept for benchmarks/summary_junk.py).
    """
    lang = (language or "").lower()[:2]
    out: list[str] = []
    for line in text.splitlines(keepends=True):
        # A line break always ends a sentence: extracted text has one paragraph per line.
        spans = _split_line(line, lang)
        dateline = _DATELINE.match(line) if datelines else None
        if dateline is not None and dateline.end() < spans[0][1]:
            spans = [(0, dateline.end()), (dateline.end(), spans[0][1]), *spans[1:]]
        for start, end in spans:
            piece = line[start:end].strip(_SPACE + "\r\n\f\v")
            if piece and _HAS_ALNUM.search(piece):
                out.append(piece)
    return out


def _split_line(line: str, lang: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(line):
        if _is_boundary(line, start, match, lang):
            end = _opening_quote_start(line, start, match)
            spans.append((start, end))
            start = end
    spans.append((start, len(line)))
    return spans


def _is_boundary(line: str, start: int, match: re.Match[str], lang: str) -> bool:
    terminator = match.group(0).rstrip(")]\"'”’»" + _SPACE)
    following = line[match.end():].lstrip(_OPENERS)
    if not following.strip():
        return True
    first = following[0]
    glued = not line[match.end()].isspace()
    if glued and not _is_glued_boundary(line, start, match, following):
        return False
    # "Yahoo! is", "« Quoi ? » demanda-t-il", "p. ex. les": lower case continues the sentence.
    if first.islower():
        return False
    if terminator != ".":
        return True
    token = _TOKEN_BEFORE.search(line, start, match.start())
    word = token.group(1).lstrip("\"'“‘«([") if token else ""
    word = re.split(r"['’]", word)[-1]  # French elision: "l'art." is "art."
    if not word:
        return True  # a detached period ("By . Associated Press .")
    lower = word.lower()
    next_word = _WORD.match(following)
    next_lower = next_word.group(0).lower() if next_word else ""
    if lower in _TITLES or lower in _NEVER_FINAL:
        return False
    if lower in _BEFORE_NUMBER and first.isdigit():
        return False
    if lang == "fr" and lower == "me":  # Maître, as in "Me Dupont"
        return False
    if len(word) == 1 and word.isalpha():
        # Initials and "M. Macron"; a lone English "I" does end sentences.
        return word == "I" and lang != "fr"
    if word.isdigit() and len(word) <= 3 and not line[start:token.start(1)].strip():
        return False  # a numbered list item: "1. First step"
    if _DOTTED.match(word):
        return next_lower in _STARTERS  # "the U.S. President" vs "in the U.S. The ..."
    if lower in _MAYBE_FINAL:
        return first.isupper()
    return True


def _opening_quote_start(line: str, start: int, match: re.Match[str]) -> int:
    """Where the next sentence starts: a straight quote glued to both sentences may open the next one.

    Extraction glues paragraphs: 'a-t-il dit à l'AFP."L'hypothèse est...' When the sentence so far
    holds an even number of straight quotes, all of them are paired and this one opens the next
    sentence; with an odd number ('He said "Stop."Then') it closes the quotation.
    """
    end = match.end()
    if end > match.start() + 1 and line[end - 1] == '"' and end < len(line) and line[end].isalpha() \
            and line.count('"', start, end - 1) % 2 == 0:
        return end - 1
    return end


def _is_glued_boundary(line: str, start: int, match: re.Match[str], following: str) -> bool:
    """A period with no space after it ends a sentence only between two real words."""
    if not (following[0].isupper() and len(following) > 1 and (following[1].islower() or following[1] in "'’")):
        return False  # "3.5", "v1.2.3", "example.com", ".NET"
    token = _TOKEN_BEFORE.search(line, start, match.start())
    word = token.group(1) if token else ""
    if any(mark in word for mark in "/@:") or word.lower().startswith("www"):
        return False  # URLs and e-mail addresses
    return _GLUED_BEFORE.search(word) is not None
