"""Symbol terms: the words whose symbols the full-text tokenizer drops (C++, C#, .NET), in a searchable form.

unicode61 keeps only letters and digits, so `C++` and `C#` both index as `c` and `.NET` as `net`. The
symbols that change what a word names are a `+`/`#` right after it and a `.` right before it (at the
start of a word). A `.` or `-` between letters and digits (`GPT-4o`, `Node.js`) loses nothing: the
tokenizer keeps the parts in order, so the phrase of the parts ("gpt 4o") already finds exactly them.
Each symbol word is indexed a second time as one token: `C++` -> `cplusplus`, `C#` -> `csharp`,
`F#` -> `fsharp`, `.NET` -> `dotnet`, `Notepad++` -> `notepadplusplus`, in the *_terms columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Letters/digits followed by + or #; possessive (++) so a hostile 100 kB word is one linear pass.
_SUFFIXED = re.compile(r"(?<![^\W_])([^\W_]++)([+#]++)")
# A dot at the start of a word (after a space, an opening bracket or quote), then letters/digits.
_DOTTED = re.compile(r"(?<![^\s(\[{<\"'“‘«/])\.([^\W_]++)")
_SYMBOLS_AT = re.compile(r"[+#]*")
_LETTER = re.compile(r"[^\W\d_]")
_SPELLED = {"+": "plus", "#": "sharp"}

# Each searched column and the column holding its symbol terms (same bm25 weight: a C++ in the title
# counts as a title match).
TERM_COLUMNS = {"title": "title_terms", "summary": "summary_terms", "content": "content_terms"}


@dataclass(frozen=True)
class SymbolTerm:
    """One symbol word found in a text: its indexed form and where it ends (for a prefix search)."""

    term: str
    start: int
    end: int


def symbol_terms(text: str | None) -> list[SymbolTerm]:
    """Every symbol word of `text` in order, as its one-token form (`C++` -> `cplusplus`); words need a letter."""
    if not text or not any(c in text for c in "+#."):
        return []
    found: list[tuple[int, SymbolTerm]] = []
    for match in _SUFFIXED.finditer(text):
        word, symbols = match.groups()
        if _LETTER.search(word):
            spelled = word.lower() + "".join(_SPELLED[c] for c in symbols)
            found.append((match.start(), SymbolTerm(spelled, match.start(), match.end())))
    for match in _DOTTED.finditer(text):
        word = match.group(1)
        if _LETTER.search(word):
            # .NET# is rare, but one rule for both symbols: each is spelled.
            symbols = _SYMBOLS_AT.match(text, match.end()).group(0)
            spelled = "dot" + word.lower() + "".join(_SPELLED[c] for c in symbols)
            found.append((match.start(), SymbolTerm(spelled, match.start(), match.end() + len(symbols))))
    found.sort(key=lambda pair: pair[0])
    # `.NET#` was found twice (suffixed `NET#` and dotted `.NET#`): keep the dotted one, which starts first.
    terms: list[SymbolTerm] = []
    for _start, term in found:
        if terms and terms[-1].end == term.end:
            continue
        terms.append(term)
    return terms


def index_terms(text: str | None) -> str:
    """The symbol terms of `text` as the space-separated value of a *_terms column ('' when none)."""
    return " ".join(t.term for t in symbol_terms(text))
