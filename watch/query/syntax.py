"""The search query language: FTS5 syntax parsed, checked and rewritten so symbol words (C++, .NET) match as typed.

Supported as FTS5 defines it: words (all must match), "phrases", prefix*, AND/OR/NOT (words side
by side bind tightest, then NOT, then AND, then OR), parentheses, NEAR(a b, N), ^first, phrase + phrase, column filters
`title:word`, `{title summary}: word`, `-content: word`. A word FTS5 would refuse (GPT-4o, foo:bar)
is searched as the phrase of its parts, as the tokenizer splits it; a symbol word (see symbols.py)
also has to match its indexed form. A query that cannot be searched as written raises
QuerySyntaxError saying why and how to write it: nothing is ever searched in its place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..store.symbols import TERM_COLUMNS, symbol_terms

COLUMNS = tuple(TERM_COLUMNS)  # the columns a query names: title, summary, content
_NAMES = {**{c: c for c in COLUMNS}, **{t: t for t in TERM_COLUMNS.values()}}
MAX_DEPTH = 40
# A quoted string (unterminated: to the end), a bracket, or a run of anything else.
_LEX = re.compile(r'"(?:[^"]|"")*"?|[(){}]|[^\s(){}"]+')
_QUOTED = re.compile(r'"(?:[^"]|"")*"')
_COLSPEC = re.compile(r"^(-?)([A-Za-z_]+):(.*)$", re.DOTALL)
_WORDY = re.compile(r"[^\W_]")
_OPERATORS = ("AND", "OR", "NOT")
LITERAL_HINT = "or add --literal to search the text as plain words"


class QuerySyntaxError(ValueError):
    """The query cannot be searched as written; the message says why and how to write it."""


class EmptyQueryError(QuerySyntaxError):
    """The query holds no word to search for (only punctuation)."""


@dataclass(frozen=True)
class Phrase:
    """One phrase: its quoted parts (joined by FTS5's +), ^ (first token of a column), * (prefix)."""

    parts: tuple[str, ...]
    prefix: bool = False
    initial: bool = False
    columns: frozenset[str] | None = None  # None: every column
    starred: tuple[int, ...] = ()  # parts before the last that are prefixes too (`quant* + model`)


@dataclass(frozen=True)
class Near:
    """NEAR(phrase phrase ..., distance)."""

    phrases: tuple[Phrase, ...]
    distance: int | None
    columns: frozenset[str] | None = None


@dataclass(frozen=True)
class Boolean:
    """AND / OR over two or more operands, or NOT (left NOT right, exactly two)."""

    op: str
    operands: tuple[Node, ...]


Node = Phrase | Near | Boolean


@dataclass
class Parsed:
    """A parsed query: the expression tree and notes for the user (lowercase `or`/`not` searched as words)."""

    tree: Node
    notes: list[str] = field(default_factory=list)


def parse(text: str) -> Parsed:
    """The expression tree of `text` in FTS5 syntax; QuerySyntaxError when it cannot be searched as written."""
    return _Parser(_no_nul(text)).parse()


def parse_literal(text: str) -> Node | None:
    """Every whitespace-separated word of `text` as a plain word, all required (None when there is no word)."""
    words = [Phrase((w,)) for w in _no_nul(text).split() if _WORDY.search(w)]
    if not words:
        return None
    return words[0] if len(words) == 1 else Boolean("AND", tuple(words))


def _no_nul(text: str) -> str:
    # SQLite ends an FTS5 string at NUL ("unterminated string"); the tokenizer takes it as a space anyway.
    return text.replace("\x00", " ")


def render(node: Node, highlight: bool = False) -> str:
    """The FTS5 expression of a tree. `highlight` also asks for the parts of symbol words (`C++`: "c"), so
    that snippet() marks them in the text: the same rows match, as the parts are always there with the term."""
    if isinstance(node, Boolean):
        return "(" + f" {node.op} ".join(render(o, highlight) for o in node.operands) + ")"
    if isinstance(node, Near):
        inner = " ".join(_phrase_text(p) for p in node.phrases)
        distance = f", {node.distance}" if node.distance is not None else ""
        near = _colspec(node.columns) + f"NEAR({inner}{distance})"
        terms = [t for p in node.phrases for t in _terms_of(p, node.columns)]
        return near if not terms else "(" + " AND ".join([near, *terms]) + ")"
    base = _colspec(node.columns) + _phrase_text(node)
    terms = _terms_of(node, node.columns)
    if not terms:
        return base
    # A lone symbol word (`C++`) needs only its term: the parts ("c") are always there with it.
    text = " ".join(node.parts)
    found = symbol_terms(text)
    alone = not node.initial and len(found) == 1 and found[0].start == 0 and found[0].end == len(text)
    return "(" + " AND ".join(terms + ([base] if highlight or not alone else [])) + ")"


def _phrase_text(phrase: Phrase) -> str:
    text = " + ".join('"' + part.replace('"', '""') + '"' + ("*" if k in phrase.starred else "")
                      for k, part in enumerate(phrase.parts))
    return ("^" if phrase.initial else "") + text + ("*" if phrase.prefix else "")


def _colspec(columns: frozenset[str] | None) -> str:
    if columns is None:
        return ""
    names = sorted(columns, key=list(_NAMES).index)
    return (names[0] if len(names) == 1 else "{" + " ".join(names) + "}") + " : "


def _terms_of(phrase: Phrase, columns: frozenset[str] | None) -> list[str]:
    """The symbol terms a phrase must also match, each in the terms columns of the phrase's columns."""
    where = frozenset(TERM_COLUMNS.get(c, c) for c in (columns or COLUMNS))
    terms = []
    text = " ".join(phrase.parts)
    for term in symbol_terms(text):
        prefix = phrase.prefix and term.end == len(text)
        terms.append(_colspec(where) + '"' + term.term + '"' + ("*" if prefix else ""))
    return terms


class _Parser:
    """Recursive descent over FTS5's grammar: or := and (OR and)*; and := not (AND? not)*; not := unit (NOT unit)*."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _LEX.findall(text)
        self.pos = 0
        self.depth = 0
        self.notes: list[str] = []

    def fail(self, why: str) -> QuerySyntaxError:
        return QuerySyntaxError(f"{why}; {LITERAL_HINT}")

    def peek(self, ahead: int = 0) -> str | None:
        index = self.pos + ahead
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self) -> str:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def parse(self) -> Parsed:
        self.skip_noise()
        if self.peek() is None:
            raise EmptyQueryError(f"nothing to search for in {self.text!r}: give at least one word")
        tree = self.or_expr()
        if self.peek() == ")":
            raise self.fail("unmatched ): there is no ( before it")
        if self.peek() == "}":
            raise self.fail("unmatched }: column lists are written {title summary}: word")
        assert self.peek() is None, self.peek()
        return Parsed(tree, self.notes)

    def skip_noise(self) -> None:
        """Drop tokens that hold no letter or digit and mean nothing (`;`, `--`, `&`), refusing lookalike operators."""
        while (token := self.peek()) is not None and not token.startswith('"') and token not in "(){}" \
                and not _WORDY.search(token) and token not in ("*", "+", "^"):
            if token in ("-", "!"):
                raise self.fail(f"{token} does not exclude words here: put NOT between what you want and what you "
                                "do not, e.g. `llm NOT mistral`")
            if token in ("|", "||"):
                raise self.fail(f"{token} is not an operator here: write OR, e.g. `llama OR mistral`")
            self.take()

    def or_expr(self) -> Node:
        operands = [self.and_expr()]
        while self.peek() == "OR":
            self.take()
            self.expect_operand("OR")
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else Boolean("OR", tuple(operands))

    def and_expr(self) -> Node:
        operands = [self.not_expr()]
        while True:
            self.skip_noise()
            if self.peek() != "AND":
                break
            self.take()
            self.expect_operand("AND")
            operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else Boolean("AND", tuple(operands))

    def not_expr(self) -> Node:
        left = self.sequence()
        while True:
            self.skip_noise()
            if self.peek() != "NOT":
                return left
            self.take()
            self.expect_operand("NOT")
            left = Boolean("NOT", (left, self.sequence()))

    def sequence(self) -> Node:
        """Units side by side: an implicit AND, which in FTS5 binds tighter than NOT (`a NOT b c` = a NOT (b c))."""
        operands = [self.unit(None)]
        while True:
            self.skip_noise()
            token = self.peek()
            if token is None or token in (")", "}", *_OPERATORS):
                break
            operands.append(self.unit(None))
        return operands[0] if len(operands) == 1 else Boolean("AND", tuple(operands))

    def expect_operand(self, op: str) -> None:
        """After an operator: something to combine, not the end, a ) or another operator."""
        self.skip_noise()
        token = self.peek()
        if token is None:
            raise self.fail(f"{op} at the end needs something after it, e.g. `llm {op} mistral`")
        if token == ")":
            raise self.fail(f"{op} right before ) needs something after it")
        if token in _OPERATORS:
            raise self.fail(f"{token} right after {op}: put a word between them")

    def unit(self, columns: frozenset[str] | None) -> Node:
        """A phrase, a NEAR group or a parenthesised query, with the column filter in force."""
        self.skip_noise()
        token = self.peek()
        if token is None:
            raise self.fail("the query ends where a word was expected")
        if token in _OPERATORS:
            if token == "NOT":
                raise self.fail("NOT needs something before it: it removes matches from what comes before, "
                                "e.g. `llm NOT mistral` (FTS5 cannot search for everything but a word)")
            raise self.fail(f"{token} needs something before it, e.g. `llama {token} mistral`")
        if token == ")":
            raise self.fail("empty parentheses: put words inside them, or remove them")
        if token == "}":
            raise self.fail("unmatched }: column lists are written {title summary}: word")
        if token == "(":
            return self.group(columns)
        if token == "{":
            return self.column_list(columns)
        if token == "NEAR" and self.peek(1) == "(":
            return self.near(columns)
        if token.startswith('"'):
            return self.phrase(columns)
        spec = _COLSPEC.match(token)
        if spec and spec.group(2).lower() in _NAMES:
            self.take()
            named = frozenset({_NAMES[spec.group(2).lower()]})
            return self.filtered(columns, named, negated=bool(spec.group(1)), rest=spec.group(3),
                                 label=token[:len(token) - len(spec.group(3))])
        return self.phrase(columns)

    def filtered(self, outer: frozenset[str] | None, named: frozenset[str], negated: bool, rest: str,
                 label: str) -> Node:
        """What follows a column filter (`title:` or `{title summary}:`), in the columns it leaves."""
        everything = frozenset(COLUMNS) | frozenset(TERM_COLUMNS.values())
        base = frozenset(COLUMNS) if not named & frozenset(TERM_COLUMNS.values()) else everything
        columns = (base - named) if negated else named
        if outer is not None:
            columns &= outer
        if not columns:
            raise self.fail(f"{label} leaves no column to search in (nested column filters must overlap)")
        if rest:  # title:word, one token
            self.tokens.insert(self.pos, rest)
        elif self.peek() is None or self.peek() in (")", *_OPERATORS):
            raise self.fail(f"{label} needs a word, a \"phrase\" or a (group) after it, e.g. `{label}grok`")
        return self.unit(columns)

    def column_list(self, outer: frozenset[str] | None) -> Node:
        self.take()  # {
        names = []
        while (token := self.peek()) not in ("}", None):
            self.take()
            for name in token.split():
                if name.lower() not in _NAMES:
                    raise self.fail(f"no column {name!r} in {{…}}: the columns are {', '.join(COLUMNS)}")
                names.append(_NAMES[name.lower()])
        if self.peek() is None:
            raise self.fail("unclosed {: column lists are written {title summary}: word")
        self.take()  # }
        colon = self.peek()
        if not names:
            raise self.fail("empty {}: name columns in it, e.g. {title summary}: grok")
        if colon is None or not colon.startswith(":"):
            raise self.fail("a column list needs a : after it, e.g. {title summary}: grok")
        self.take()
        return self.filtered(outer, frozenset(names), negated=False, rest=colon[1:], label="{…}:")

    def group(self, columns: frozenset[str] | None) -> Node:
        self.take()  # (
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"parentheses nested more than {MAX_DEPTH} deep")
        self.skip_noise()
        if self.peek() == ")":
            raise self.fail("empty parentheses: put words inside them, or remove them")
        if self.peek() is None:
            raise self.fail("unclosed (: add a ) after what it groups")
        inner = self.or_expr_in(columns)
        if self.peek() != ")":
            raise self.fail("unclosed (: add a ) after what it groups")
        self.take()
        self.depth -= 1
        return inner

    def or_expr_in(self, columns: frozenset[str] | None) -> Node:
        """A query inside parentheses, every phrase of it restricted to `columns`."""
        tree = self.or_expr()
        return _restrict(tree, columns) if columns is not None else tree

    def near(self, columns: frozenset[str] | None) -> Node:
        self.take()
        self.take()  # NEAR (
        phrases: list[Phrase] = []
        distance = None
        while True:
            token = self.peek()
            if token is None:
                raise self.fail("unclosed NEAR(: write NEAR(word word, 10)")
            if token == ")":
                self.take()
                break
            if token.startswith('"'):
                phrases.append(self.phrase(None, near=True))
                continue
            self.take()
            word, comma, after = token.partition(",")
            if word and _WORDY.search(word):
                phrases.append(self.word_phrase(word, None))
            if comma:
                after = after or (self.take() if self.peek() not in (None, ")") else "")
                if not after.isdigit() or self.peek() != ")":
                    raise self.fail("NEAR(...) ends with a comma and a number of words, e.g. NEAR(gpu cost, 10)")
                distance = int(after)
        if any(p.initial for p in phrases):
            raise self.fail("^ (first word of a column) cannot be used inside NEAR(...)")
        if len(phrases) < 2:
            raise self.fail("NEAR(...) needs at least two words or phrases, e.g. NEAR(gpu cost, 10)")
        return Near(tuple(phrases), distance, columns)

    def phrase(self, columns: frozenset[str] | None, near: bool = False) -> Phrase:
        """A quoted phrase or a word, then any `+ phrase` joined to it."""
        parts: list[Phrase] = [self.one_phrase(columns)]
        while not near and self.peek() == "+" and self.pos + 1 < len(self.tokens):
            self.take()
            parts.append(self.one_phrase(columns))
        if len(parts) == 1:
            return parts[0]
        if any(p.initial for p in parts[1:]):
            raise self.fail("^ inside phrases joined by +: only the first may start with ^")
        joined: list[str] = []
        starred: list[int] = []
        for p in parts:
            starred.extend(len(joined) + k for k in p.starred)
            joined.extend(p.parts)
            if p.prefix and p is not parts[-1]:
                starred.append(len(joined) - 1)
        return Phrase(tuple(joined), parts[-1].prefix, parts[0].initial, columns, tuple(starred))

    def one_phrase(self, columns: frozenset[str] | None) -> Phrase:
        token = self.take()
        if token.startswith('"'):
            if not _QUOTED.fullmatch(token):
                raise self.fail("unclosed quote: add a \" at the end of the phrase")
            inner = token[1:-1].replace('""', '"')
            if not _WORDY.search(inner):
                raise self.fail("empty quotes: put the words of the phrase inside them")
            prefix = self.peek() == "*"
            if prefix:
                self.take()
            return Phrase((inner,), prefix=prefix, columns=columns)
        if token == "^":  # `^ word`: FTS5 lets the caret stand apart
            if self.peek() is None or self.peek() in ("(", ")", "{", "}", "^", "*", "+", *_OPERATORS):
                raise self.fail("^ needs a word or \"phrase\" right after it, e.g. ^nimbus")
            phrase = self.one_phrase(columns)
            if phrase.initial:
                raise self.fail("^ twice in a row")
            return Phrase(phrase.parts, phrase.prefix, True, phrase.columns, phrase.starred)
        if token == "*":
            raise self.fail("a lone * needs a word right before it, e.g. quantiz*")
        if token == "+":
            raise self.fail("a lone + joins two phrases (\"a\" + \"b\"); write C++ or words without a space")
        return self.word_phrase(token, columns)

    def word_phrase(self, token: str, columns: frozenset[str] | None) -> Phrase:
        """A bare word: its parts as the tokenizer splits them; trailing * is a prefix, leading ^ first token."""
        initial = token.startswith("^")
        word = token.lstrip("^")
        prefix = word.endswith("*")
        word = word.rstrip("*")
        if not prefix and self.peek() == "*":  # `llama *`: FTS5 lets the star stand apart
            self.take()
            prefix = True
        if re.match(r"-[^\W\d_]", word):
            raise self.fail(f"{token} does not exclude {word[1:]!r}: put NOT between what you want and what you do "
                            f"not, e.g. `llm NOT {word[1:]}`")
        if word in ("or", "not"):
            self.notes.append(f"lowercase {word!r} was searched as a word; write {word.upper()} for the operator")
        if not _WORDY.search(word):
            raise self.fail(f"{token!r} holds no letter or digit to search for")
        return Phrase((word,), prefix=prefix, initial=initial, columns=columns)


def _restrict(node: Node, columns: frozenset[str]) -> Node:
    """A column filter over a group: every phrase searched only in its columns (and the group's)."""
    if isinstance(node, Boolean):
        return Boolean(node.op, tuple(_restrict(o, columns) for o in node.operands))
    inner = columns if node.columns is None else node.columns & columns
    if not inner:
        raise QuerySyntaxError(f"nested column filters leave no column to search in; {LITERAL_HINT}")
    if isinstance(node, Near):
        return Near(node.phrases, node.distance, inner)
    return Phrase(node.parts, node.prefix, node.initial, inner, node.starred)
