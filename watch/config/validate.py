"""A line-numbered validator for YAML files: read and parse with positions, walk mappings, collect every problem.

Nothing here knows a schema. A `Block` wraps one mapping (its field path, its label, where its keys
are) and offers typed getters that report a bad value at its line and return a default, so a schema
built on them carries on after each problem and `Problems.to_error` reports all of them at once,
sorted by line, in one `ConfigError`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from watch.errors import ConfigError
from watch.text.values import describe, is_bool, is_int

__all__ = ["MISSING", "Block", "Problem", "Problems", "describe", "is_bool", "is_int", "key_line", "key_list",
           "node_line", "parse_yaml", "read_text", "yaml_error"]

# What `Block.get` returns for an absent key (None is YAML's null, a value the user wrote).
MISSING: Any = object()


# --------------------------------------------------------------------------------------------------
# Reading and parsing


def read_text(file: Path, shown: str) -> str:
    """The file's text, or a ConfigError that says why it could not be read."""
    try:
        return file.read_text(encoding="utf-8-sig")  # -sig: some Windows editors prepend a BOM
    except FileNotFoundError:
        raise ConfigError("configuration file not found", path=shown) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not valid UTF-8 text (byte {exc.start})", path=shown) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror or exc}", path=shown) from exc


def parse_yaml(text: str, shown: str) -> Any:
    """Parse with the round-trip loader, which keeps line numbers (`.lc`) for the messages."""
    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        raise yaml_error(exc, shown) from exc
    except YAMLError as exc:  # e.g. ReaderError (control characters): no line mark to give
        raise ConfigError(f"YAML error: {exc}", path=shown) from exc


def yaml_error(exc: MarkedYAMLError, shown: str) -> ConfigError:
    """Turn ruamel's multi-line report into one line that names where the problem is."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    if isinstance(exc, DuplicateKeyError) and exc.context_mark is not None:
        # ruamel's own text ends with advice on loader flags, which is no help to someone editing the file.
        key = re.search(r'duplicate key "([^"]*)"', exc.problem or "")
        name = repr(key[1]) if key else "a key"
        return ConfigError(f"duplicate key {name}: the mapping that starts at line "
                           f"{exc.context_mark.line + 1} already has it", path=shown, line=line)
    problem = exc.problem or exc.context or "invalid YAML"
    message = f"YAML syntax error: {problem}"
    if exc.context and exc.problem:
        message += f" ({exc.context}"
        if exc.context_mark is not None and exc.context_mark.line + 1 != line:
            message += f" started at line {exc.context_mark.line + 1}"
        message += ")"
    if "'\\t'" in problem:
        message += "; indent with spaces, YAML does not allow tabs"
    return ConfigError(message, path=shown, line=line)


# --------------------------------------------------------------------------------------------------
# Problem collection and typed access to YAML mappings


@dataclass(frozen=True)
class Problem:
    """One problem: the 1-based line, the field path (settings.fetch.timeout) and the message."""

    line: int
    field: str
    text: str


@dataclass
class Problems:
    """Every problem found so far; validation carries on after each so all are reported at once."""

    items: list[Problem] = field(default_factory=list)
    shown: str = ""  # the file as the user named it, for messages that point at a second line

    def add(self, line: int, field_name: str, text: str) -> None:
        """Record a problem at `line` for the field `field_name`."""
        self.items.append(Problem(line, field_name, text))

    def __bool__(self) -> bool:
        return bool(self.items)

    def to_error(self, shown: str) -> ConfigError:
        """One ConfigError holding every problem, the first one's line and field, the others one per line."""
        # Sorted by line so the report reads top to bottom, like the file.
        ordered = sorted(self.items, key=lambda p: p.line)
        first = ordered[0]
        rest = "".join(f"\n{shown}:{p.line}: {p.text}" for p in ordered[1:])
        return ConfigError(first.text + rest, path=shown, line=first.line, field=first.field or None)


def node_line(node: Any, default: int = 1) -> int:
    """1-based line where a YAML mapping or list starts."""
    lc = getattr(node, "lc", None)
    return lc.line + 1 if lc is not None and lc.line is not None else default


def key_line(node: CommentedMap, key: Any, *, value: bool) -> int:
    """1-based line of a key (or of its value); keys merged in with `<<:` have none: use the mapping's."""
    try:
        key_line = node.lc.key(key)[0] + 1
        # For an alias (*name) ruamel records the anchor's position; a value never precedes its key.
        return max(key_line, node.lc.value(key)[0] + 1) if value else key_line
    except (KeyError, TypeError):
        return node_line(node)


def key_list(keys: tuple[str, ...]) -> str:
    """Allowed keys or values as shown in messages: 'a, b, c'."""
    return ", ".join(keys)


class Block:
    """One YAML mapping under validation: knows its field path, its label and where lines are."""

    def __init__(self, node: CommentedMap, field_path: str, label: str, problems: Problems) -> None:
        self.node, self.field_path, self.label, self.problems = node, field_path, label, problems

    def field_of(self, key: str) -> str:
        """The dotted field path of `key` in this mapping (settings.fetch.timeout)."""
        return f"{self.field_path}.{key}" if self.field_path else key

    def line_of(self, key: Any) -> int:
        """Line of the key's value if present (where a bad value is), else of the mapping itself."""
        if key not in self.node:
            return node_line(self.node)
        # ruamel places an empty (null) value on the line after its key: point at the key instead.
        return key_line(self.node, key, value=self.node[key] is not None)

    def report(self, key: str, text: str, line: int | None = None) -> None:
        """Record a problem with `key`, at `line` or the key's value, prefixed with this mapping's label."""
        self.problems.add(line or self.line_of(key), self.field_of(key), f"{self.label}: {text}")

    def check_keys(self, allowed: tuple[str, ...]) -> None:
        """Report every key not in `allowed`, at the key's own line, with a suggestion for typos."""
        for key in self.node:
            if isinstance(key, str) and key in allowed:
                continue
            text = f"unknown key {key!r} (allowed: {key_list(allowed)})"
            close = difflib.get_close_matches(str(key), allowed, n=1)
            if close:
                text += f"; did you mean {close[0]!r}?"
            self.problems.add(key_line(self.node, key, value=False), self.field_of(str(key)),
                              f"{self.label}: {text}")

    def get(self, key: str) -> Any:
        """The raw value of `key`, or MISSING when the key is absent."""
        return self.node.get(key, MISSING)

    def text(self, key: str, default: str | None = None, *, required: bool = False,
             one_line: bool = True, nullable: bool = False) -> str | None:
        """A non-empty string value (stripped), or `default` when absent or invalid."""
        value = self.get(key)
        if value is MISSING or (value is None and nullable):
            if required:
                self.report(key, f"missing required key {key!r}")
            return default
        if not isinstance(value, str):
            self.report(key, f"{key} must be text, got {describe(value)}")
            return default
        value = value.strip()
        if not value:
            self.report(key, f"{key} must not be empty")
            return default
        if one_line and "\n" in value:
            self.report(key, f"{key} must fit on one line")
            return default
        return str(value)

    def integer(self, key: str, default: int, low: int, high: int | None = None) -> int:
        """An integer within [low, high], or `default` when absent or invalid."""
        value = self.get(key)
        if value is MISSING:
            return default
        if not is_int(value):
            self.report(key, f"{key} must be a whole number, got {describe(value)}")
            return default
        if value < low or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            self.report(key, f"{key} must be {bounds}, got {value}")
            return default
        return int(value)

    def positive_number(self, key: str, default: float) -> float:
        """A number > 0 (int or float, never a boolean), or `default` when absent or invalid."""
        value = self.get(key)
        if value is MISSING:
            return default
        if not (is_int(value) or isinstance(value, float)):
            self.report(key, f"{key} must be a number of seconds, got {describe(value)}")
            return default
        if not 0 < value < float("inf"):  # also rejects .nan
            self.report(key, f"{key} must be a number greater than 0, got {value}")
            return default
        return float(value)

    def boolean(self, key: str, default: bool) -> bool:
        """true or false (YAML 1.2: 'yes', 'on' and quoted strings are text, not booleans)."""
        value = self.get(key)
        if value is MISSING:
            return default
        if not is_bool(value):
            self.report(key, f"{key} must be true or false, got {describe(value)}")
            return default
        return bool(value)

    def choice(self, key: str, default: str, allowed: tuple[str, ...]) -> str:
        """One of `allowed` (compared in lower case), or `default` when absent or invalid."""
        value = self.text(key)
        if value is None:
            return default
        if value.lower() not in allowed:
            self.report(key, f"{key} {value!r} is not one of: {key_list(allowed)}")
            return default
        return value.lower()

    def items(self, key: str, what: str) -> list[tuple[Any, int, int]] | None:
        """The (value, line, index) entries of a list value; None when absent, null or invalid."""
        value = self.get(key)
        if value is MISSING or value is None:
            return None
        if not isinstance(value, CommentedSeq):
            self.report(key, f"{key} must be a list of {what}, got {describe(value)}")
            return None
        return [(item, value.lc.item(i)[0] + 1, i) for i, item in enumerate(value)]

    def text_list(self, key: str, what: str) -> tuple[tuple[str, int], ...] | None:
        """A list of non-empty strings, each with its line; bad entries are reported and skipped."""
        entries = self.items(key, what)
        if entries is None:
            return None
        good: list[tuple[str, int]] = []
        for item, line, index in entries:
            if isinstance(item, str) and item.strip():
                good.append((str(item).strip(), line))
            elif is_int(item) or isinstance(item, float):
                self.report(key, f"{key}[{index}] must be text, got {describe(item)} (quote it: '{item}')",
                            line)
            else:
                self.report(key, f"{key}[{index}] must be non-empty text, got {describe(item)}", line)
        return tuple(good)

    def child(self, key: str) -> Block:
        """A nested mapping; absent, empty (all keys commented out) or invalid give an empty one."""
        value = self.get(key)
        if value is not MISSING and value is not None and not isinstance(value, CommentedMap):
            self.report(key, f"{key} must be a mapping of keys (key: value), got {describe(value)}")
        if not isinstance(value, CommentedMap):
            value = CommentedMap()
            # An empty mapping has no position of its own; borrow the parent's so messages have a line.
            value.lc.line = self.line_of(key) - 1
        return Block(value, self.field_of(key), self.field_of(key), self.problems)


def mapping_entries(top: Block, key: str, what: str, entry: str = "entry") -> list[tuple[Block, int, int]]:
    """The mapping entries of a top-level list such as `tags:`, `sources:` or `digests:`, each as a Block with
    its line and index; an entry that is not a mapping is reported and left out."""
    blocks: list[tuple[Block, int, int]] = []
    for item, line, index in top.items(key, what) or []:
        label = f"{key}[{index}]"
        if not isinstance(item, CommentedMap):
            top.problems.add(line, label, f"{label}: each {entry} must be a mapping (name: ..., ...), "
                                          f"got {describe(item)}")
            continue
        name = item.get("name")
        if isinstance(name, str) and name.strip():
            label += f" (name {name.strip()!r})"
        blocks.append((Block(item, f"{key}[{index}]", label, top.problems), node_line(item, line), index))
    return blocks
