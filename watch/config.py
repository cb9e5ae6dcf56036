"""Read feeds.yaml once, validate all of it, and return the frozen `Config` the pipeline passes down.

This is the only module that reads YAML (house rule 6). Every problem found is reported with the
file, the line and the field, and all problems are reported together in one `ConfigError`, so a user
fixes the file in one go.

Environment (the only variable read, and only here; `load_config(..., environ=)` lets tests pass one):
    TECHWATCH_DATABASE  if set and non-empty, replaces `settings.database`; a relative value is taken
                        against the current directory (it comes from the shell, not from the file).

Relative `settings.database` and `settings.digest.directory` paths in the file are resolved against the
directory that holds the file, so the pipeline behaves the same whatever directory it is started from.
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarbool import ScalarBoolean

from watch.dedup import canonical_url
from watch.errors import ConfigError
from watch.http.egress import origin_of
from watch.http.loopback import is_loopback_host
from watch.records import (
    Config,
    DigestSettings,
    EmailSettings,
    FetchSettings,
    RetentionSettings,
    Settings,
    Source,
    SummarizerSettings,
    Tag,
    TaggerSettings,
)

__all__ = [
    "DATABASE_ENV",
    "DIGEST_FORMATS",
    "MAX_INTERVAL_SECONDS",
    "MIN_INTERVAL_SECONDS",
    "SOURCE_KINDS",
    "SUMMARIZER_BACKENDS",
    "load_config",
    "parse_interval",
    "parse_retention",
]

DATABASE_ENV = "TECHWATCH_DATABASE"

# Allowed values live in one place each, so adding a renderer or a source kind is a one-line change.
SOURCE_KINDS: tuple[str, ...] = ("feed", "github-releases", "pypi", "huggingface", "changelog")
RELEASE_KINDS: tuple[str, ...] = SOURCE_KINDS[1:]
RELEASE_FILTERS: tuple[str, ...] = ("all", "minor", "major")  # all | skip patch releases | only majors
DIGEST_FORMATS: tuple[str, ...] = ("md", "html", "text", "atom")  # atom: the feed of past digests
EMAIL_SECURITY: tuple[str, ...] = ("starttls", "tls", "none")
SUMMARIZER_BACKENDS: tuple[str, ...] = ("extractive", "generative")
WEEKDAYS: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

TOP_LEVEL_KEYS = ("settings", "interests", "tags", "sources")
SETTINGS_KEYS = ("database", "digest", "summarizer", "tagger", "fetch", "email", "retention")
EMAIL_KEYS = ("host", "port", "security", "user", "password_env", "from", "to", "subject", "timeout",
              "allow_plaintext_auth")
RETENTION_KEYS = ("items", "pages")
DIGEST_KEYS = ("day", "time", "max_items", "formats", "directory", "templates")
SUMMARIZER_KEYS = ("backend", "sentences", "max_chars", "model", "time_budget")
TAGGER_KEYS = ("model", "threshold", "max_tags")
FETCH_KEYS = ("timeout", "connect_timeout", "total_timeout", "max_bytes", "max_redirects", "user_agent", "github_api",
              "github_token_env",
              "concurrency", "per_host", "default_interval", "stale_factor", "allow_networks")
TAG_KEYS = ("name", "description", "keywords")
SOURCE_KEYS = ("name", "url", "kind", "tags", "enabled", "interval", "extract", "weight", "repo", "package", "author",
               "project", "prereleases", "releases")
EXTRACT_MODES = ("auto", "always", "never")

# Under a minute is impolite to servers; over a month means the source is effectively dead.
MIN_INTERVAL_SECONDS = 60
MAX_INTERVAL_SECONDS = 30 * 86400
_EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_UNIT_SECONDS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_UNIT_ORDER = "wdhms"

# Retention is counted in days: d, w (7 days), y (365 days). "forever" (the default for items) keeps everything.
FOREVER = "forever"
_RETENTION_DAYS = {"y": 365, "w": 7, "d": 1}
# The weekly digest reads the last complete week and compares it with the week before: up to 21 days back.
MIN_ITEM_RETENTION_DAYS = 30
MIN_PAGE_RETENTION_DAYS = 1

TAG_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_TIME_RE = re.compile(r"^([0-9]{1,2}):([0-9]{2})$")
_MISSING: Any = object()


# --------------------------------------------------------------------------------------------------
# Intervals


def parse_interval(text: str) -> int:
    """Turn '90s', '30m', '6h', '1d', '2w', '1h30m' into seconds; a number without a unit is an error."""
    if not isinstance(text, str) or isinstance(text, bool):
        raise ValueError(f"expected text such as '6h' or '1h30m', got {_describe(text)}")
    compact = "".join(text.split()).lower()
    if not compact:
        raise ValueError("the interval is empty; write e.g. 30m, 6h or 1d")
    if re.fullmatch(r"[0-9]+", compact):
        raise ValueError(_no_unit_message(compact))
    seconds = _sum_interval_parts(text, compact)
    if seconds == 0:
        raise ValueError(f"{text!r} is zero; to stop polling a source, set 'enabled: false'")
    if seconds < MIN_INTERVAL_SECONDS:
        raise ValueError(f"{text!r} is {seconds} seconds; the minimum is {MIN_INTERVAL_SECONDS} seconds (1m)")
    if seconds > MAX_INTERVAL_SECONDS:
        raise ValueError(f"{text!r} is longer than the maximum of 30 days (30d)")
    return seconds


def _no_unit_message(number: str) -> str:
    """Why a duration without a unit is refused: minutes or seconds? The readings that are allowed, spelled out."""
    n = int(number)
    readings = [f"{n}{unit} ({word}" + (f": {_spelled(n * size)})" if _spelled(n * size) != f"{n}{unit}" else ")")
                for unit, word, size in (("m", "minutes", 60), ("s", "seconds", 1))
                if MIN_INTERVAL_SECONDS <= n * size <= MAX_INTERVAL_SECONDS]
    suggestion = f"write {' or '.join(readings)}" if readings else "write a whole number and a unit"
    return f"{number!r} has no unit: {suggestion}; units: s, m, h, d, w (e.g. 30m, 6h, 1h30m)"


def _spelled(seconds: int) -> str:
    parts = []
    for unit in _UNIT_ORDER:
        size = _UNIT_SECONDS[unit]
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts)


def _sum_interval_parts(text: str, compact: str) -> int:
    """Add up '1h30m'-style parts; units must come largest first, each at most once."""
    if re.fullmatch(r"[0-9]*\.[0-9]+[a-z]*", compact):
        raise ValueError(f"{text!r}: use whole numbers, e.g. 1h30m rather than 1.5h")
    if not re.fullmatch(r"(?:[0-9]+[a-z]+)+", compact):
        raise ValueError(
            f"{text!r} is not an interval: write a whole number and a unit (s, m, h, d, w), "
            "e.g. 90s, 30m, 6h, 1d, 1h30m"
        )
    seconds, last_rank = 0, -1
    for number, unit in re.findall(r"([0-9]+)([a-z]+)", compact):
        if unit not in _UNIT_SECONDS:
            raise ValueError(f"{text!r} has an unknown unit {unit!r} (use s, m, h, d or w)")
        rank = _UNIT_ORDER.index(unit)
        # '30m1h' or '1h1h' are almost always typos; insisting on one spelling keeps files readable.
        if rank <= last_rank:
            raise ValueError(f"{text!r}: write units from largest to smallest, each once (e.g. 1h30m)")
        last_rank = rank
        seconds += int(number) * _UNIT_SECONDS[unit]
    return seconds


def parse_retention(text: str) -> int | None:
    """Turn '730d', '104w', '2y', '1y6w' into days; 'forever' into None (keep everything)."""
    if not isinstance(text, str) or isinstance(text, bool):
        raise ValueError(f"expected 'forever' or a duration such as 90d, 52w or 2y, got {_describe(text)}")
    compact = "".join(text.split()).lower()
    if compact == FOREVER:
        return None
    if re.fullmatch(r"[0-9]+", compact):
        raise ValueError(f"{text!r} has no unit: write e.g. {compact}d (days), or 'forever'")
    if not re.fullmatch(r"(?:[0-9]+[a-z]+)+", compact):
        raise ValueError(f"{text!r} is not a duration: write 'forever' or a whole number and a unit "
                         "(d = days, w = weeks, y = years of 365 days), e.g. 90d, 52w, 2y")
    days, last_rank = 0, -1
    for number, unit in re.findall(r"([0-9]+)([a-z]+)", compact):
        if unit not in _RETENTION_DAYS:
            hint = " (m would be minutes; write months as days, e.g. 180d)" if unit in ("m", "mo") else ""
            raise ValueError(f"{text!r} has an unknown unit {unit!r}: use d, w or y{hint}")
        rank = "ywd".index(unit)
        if rank <= last_rank:
            raise ValueError(f"{text!r}: write units from largest to smallest, each once (e.g. 1y6w)")
        last_rank = rank
        days += int(number) * _RETENTION_DAYS[unit]
    if days == 0:
        raise ValueError(f"{text!r} is zero; to keep everything, write 'forever'")
    return days


# --------------------------------------------------------------------------------------------------
# Loading


def load_config(path: str | Path, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate feeds.yaml once; raise one ConfigError listing every problem found."""
    shown = str(path)
    file = _absolute(Path(path).expanduser())
    document = _parse_yaml(_read_text(file, shown), shown)
    problems = _Problems(shown=shown)
    config = _build_config(document, file, problems, os.environ if environ is None else environ)
    if problems:
        raise problems.to_error(shown)
    return config


def _read_text(file: Path, shown: str) -> str:
    """The file's text, or a ConfigError that says why it could not be read."""
    try:
        return file.read_text(encoding="utf-8-sig")  # -sig: some Windows editors prepend a BOM
    except FileNotFoundError:
        raise ConfigError("configuration file not found", path=shown) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not valid UTF-8 text (byte {exc.start})", path=shown) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror or exc}", path=shown) from exc


def _parse_yaml(text: str, shown: str) -> Any:
    """Parse with the round-trip loader, which keeps line numbers (`.lc`) for the messages."""
    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        raise _yaml_error(exc, shown) from exc
    except YAMLError as exc:  # e.g. ReaderError (control characters): no line mark to give
        raise ConfigError(f"YAML error: {exc}", path=shown) from exc


def _yaml_error(exc: MarkedYAMLError, shown: str) -> ConfigError:
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
class _Problem:
    line: int
    field: str
    text: str


@dataclass
class _Problems:
    """Every problem found so far; validation carries on after each so all are reported at once."""

    items: list[_Problem] = field(default_factory=list)
    shown: str = ""  # the file as the user named it, for messages that point at a second line

    def add(self, line: int, field_name: str, text: str) -> None:
        self.items.append(_Problem(line, field_name, text))

    def __bool__(self) -> bool:
        return bool(self.items)

    def to_error(self, shown: str) -> ConfigError:
        # Sorted by line so the report reads top to bottom, like the file.
        ordered = sorted(self.items, key=lambda p: p.line)
        first = ordered[0]
        rest = "".join(f"\n{shown}:{p.line}: {p.text}" for p in ordered[1:])
        return ConfigError(first.text + rest, path=shown, line=first.line, field=first.field or None)


def _line(node: Any, default: int = 1) -> int:
    """1-based line where a YAML mapping or list starts."""
    lc = getattr(node, "lc", None)
    return lc.line + 1 if lc is not None and lc.line is not None else default


def _key_line(node: CommentedMap, key: Any, *, value: bool) -> int:
    """1-based line of a key (or of its value); keys merged in with `<<:` have none: use the mapping's."""
    try:
        key_line = node.lc.key(key)[0] + 1
        # For an alias (*name) ruamel records the anchor's position; a value never precedes its key.
        return max(key_line, node.lc.value(key)[0] + 1) if value else key_line
    except (KeyError, TypeError):
        return _line(node)


def _is_bool(value: Any) -> bool:
    # ruamel returns ScalarBoolean (an int subclass) for anchored booleans.
    return isinstance(value, bool | ScalarBoolean)


def _is_int(value: Any) -> bool:
    # YAML `true` is a bool, and bool is an int in Python: it must not pass as a number.
    return isinstance(value, int) and not _is_bool(value)


def _describe(value: Any) -> str:
    """A short, user-facing description of a YAML value, for 'expected X, got Y' messages."""
    if value is None:
        return "an empty value"
    if _is_bool(value):
        return "true" if value else "false"
    if _is_int(value) or isinstance(value, float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {shown!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    tag = getattr(value, "tag", None)
    return f"a value tagged {tag}" if tag is not None else f"a {type(value).__name__}"


def _key_list(keys: tuple[str, ...]) -> str:
    return ", ".join(keys)


class _Block:
    """One YAML mapping under validation: knows its field path, its label and where lines are."""

    def __init__(self, node: CommentedMap, field_path: str, label: str, problems: _Problems) -> None:
        self.node, self.field_path, self.label, self.problems = node, field_path, label, problems

    def field_of(self, key: str) -> str:
        return f"{self.field_path}.{key}" if self.field_path else key

    def line_of(self, key: Any) -> int:
        """Line of the key's value if present (where a bad value is), else of the mapping itself."""
        if key not in self.node:
            return _line(self.node)
        # ruamel places an empty (null) value on the line after its key: point at the key instead.
        return _key_line(self.node, key, value=self.node[key] is not None)

    def report(self, key: str, text: str, line: int | None = None) -> None:
        self.problems.add(line or self.line_of(key), self.field_of(key), f"{self.label}: {text}")

    def check_keys(self, allowed: tuple[str, ...]) -> None:
        """Report every key not in `allowed`, at the key's own line, with a suggestion for typos."""
        for key in self.node:
            if isinstance(key, str) and key in allowed:
                continue
            text = f"unknown key {key!r} (allowed: {_key_list(allowed)})"
            close = difflib.get_close_matches(str(key), allowed, n=1)
            if close:
                text += f"; did you mean {close[0]!r}?"
            self.problems.add(_key_line(self.node, key, value=False), self.field_of(str(key)),
                              f"{self.label}: {text}")

    def get(self, key: str) -> Any:
        return self.node.get(key, _MISSING)

    def text(self, key: str, default: str | None = None, *, required: bool = False,
             one_line: bool = True, nullable: bool = False) -> str | None:
        """A non-empty string value (stripped), or `default` when absent or invalid."""
        value = self.get(key)
        if value is _MISSING or (value is None and nullable):
            if required:
                self.report(key, f"missing required key {key!r}")
            return default
        if not isinstance(value, str):
            self.report(key, f"{key} must be text, got {_describe(value)}")
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
        if value is _MISSING:
            return default
        if not _is_int(value):
            self.report(key, f"{key} must be a whole number, got {_describe(value)}")
            return default
        if value < low or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            self.report(key, f"{key} must be {bounds}, got {value}")
            return default
        return int(value)

    def positive_number(self, key: str, default: float) -> float:
        """A number > 0 (int or float, never a boolean), or `default` when absent or invalid."""
        value = self.get(key)
        if value is _MISSING:
            return default
        if not (_is_int(value) or isinstance(value, float)):
            self.report(key, f"{key} must be a number of seconds, got {_describe(value)}")
            return default
        if not 0 < value < float("inf"):  # also rejects .nan
            self.report(key, f"{key} must be a number greater than 0, got {value}")
            return default
        return float(value)

    def boolean(self, key: str, default: bool) -> bool:
        """true or false (YAML 1.2: 'yes', 'on' and quoted strings are text, not booleans)."""
        value = self.get(key)
        if value is _MISSING:
            return default
        if not _is_bool(value):
            self.report(key, f"{key} must be true or false, got {_describe(value)}")
            return default
        return bool(value)

    def choice(self, key: str, default: str, allowed: tuple[str, ...]) -> str:
        """One of `allowed` (compared in lower case), or `default` when absent or invalid."""
        value = self.text(key)
        if value is None:
            return default
        if value.lower() not in allowed:
            self.report(key, f"{key} {value!r} is not one of: {_key_list(allowed)}")
            return default
        return value.lower()

    def items(self, key: str, what: str) -> list[tuple[Any, int, int]] | None:
        """The (value, line, index) entries of a list value; None when absent, null or invalid."""
        value = self.get(key)
        if value is _MISSING or value is None:
            return None
        if not isinstance(value, CommentedSeq):
            self.report(key, f"{key} must be a list of {what}, got {_describe(value)}")
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
            elif _is_int(item) or isinstance(item, float):
                self.report(key, f"{key}[{index}] must be text, got {_describe(item)} (quote it: '{item}')",
                            line)
            else:
                self.report(key, f"{key}[{index}] must be non-empty text, got {_describe(item)}", line)
        return tuple(good)

    def child(self, key: str) -> _Block:
        """A nested mapping; absent, empty (all keys commented out) or invalid give an empty one."""
        value = self.get(key)
        if value is not _MISSING and value is not None and not isinstance(value, CommentedMap):
            self.report(key, f"{key} must be a mapping of keys (key: value), got {_describe(value)}")
        if not isinstance(value, CommentedMap):
            value = CommentedMap()
            # An empty mapping has no position of its own; borrow the parent's so messages have a line.
            value.lc.line = self.line_of(key) - 1
        return _Block(value, self.field_of(key), self.field_of(key), self.problems)


# --------------------------------------------------------------------------------------------------
# Sections


def _build_config(document: Any, file: Path, problems: _Problems, environ: Mapping[str, str]) -> Config:
    """Validate the whole document; every section is checked even when another one is broken."""
    if not isinstance(document, CommentedMap):
        found = "the file is empty" if document is None else f"the file holds {_describe(document)}"
        problems.add(_line(document), "", f"top level: {found}; it must be a mapping with at least "
                                          "a 'sources:' list")
        return Config(path=file, settings=Settings(), tags=(), sources=())
    top = _Block(document, "", "top level", problems)
    top.check_keys(TOP_LEVEL_KEYS)
    settings = _settings(top.child("settings"), file.parent, environ)
    interests = top.text("interests", "", one_line=False, nullable=True) or ""
    tags, tag_names = _tags(top)
    sources = _sources(top, tag_names)
    settings = _trusting(settings, sources)
    return Config(path=file, settings=settings, tags=tags, sources=sources, interests=interests)


def _trusting(settings: Settings, sources: tuple[Source, ...]) -> Settings:
    """Settings whose egress policy trusts the origins the user wrote: sources' addresses and the GitHub API."""
    urls = [s.url for s in sources] + [settings.fetch.github_api]
    origins = frozenset(o for o in map(origin_of, urls) if o is not None)
    return dataclasses.replace(settings, fetch=dataclasses.replace(settings.fetch, trusted_origins=origins))


def _absolute(path: Path) -> Path:
    """Absolute and normalised ('a/../b' -> 'b') without following symlinks, like os.path.abspath."""
    return Path(os.path.abspath(path))


def _resolve(raw: str, base: Path) -> Path:
    """A path from the file: `~` expanded, relative ones taken against the file's directory."""
    return _absolute(base / Path(raw).expanduser())


def _settings(block: _Block, base: Path, environ: Mapping[str, str]) -> Settings:
    """The `settings:` block, with defaults, resolved paths and the environment override."""
    block.check_keys(SETTINGS_KEYS)
    database = _resolve(block.text("database") or str(Settings().database), base)
    override = environ.get(DATABASE_ENV, "").strip()
    if override:
        # The environment wins over the file (one database per deployment); relative to the shell's cwd.
        database = _absolute(Path(override).expanduser())
    return Settings(database=database, digest=_digest(block.child("digest"), base),
                    summarizer=_summarizer(block.child("summarizer")), tagger=_tagger(block.child("tagger")),
                    fetch=_fetch(block.child("fetch"), environ),
                    email=_email(block.child("email")) if block.get("email") not in (_MISSING, None) else None,
                    retention=_retention(block))


def _digest(block: _Block, base: Path) -> DigestSettings:
    """`settings.digest`: when the weekly digest is built and in which formats."""
    defaults = DigestSettings()
    block.check_keys(DIGEST_KEYS)
    return DigestSettings(
        day=block.choice("day", defaults.day, WEEKDAYS),
        time=_clock_time(block, defaults.time),
        max_items=block.integer("max_items", defaults.max_items, 1, 500),
        formats=_formats(block, defaults.formats),
        directory=_resolve(block.text("directory") or str(defaults.directory), base),
        templates=_templates(block, base),
    )


def _templates(block: _Block, base: Path) -> Path | None:
    """`digest.templates`: an existing folder of digest.<format>.j2 files that replace the built-in ones."""
    raw = block.text("templates", nullable=True)
    if raw is None:
        return None
    path = _resolve(raw, base)
    if not path.is_dir():
        block.report("templates", f"templates folder {raw!r} does not exist ({path})")
        return None
    return path


def _email(block: _Block) -> EmailSettings | None:
    """`settings.email`: SMTP delivery of the digest; the password is read from an environment variable."""
    block.check_keys(EMAIL_KEYS)
    host = block.text("host", required=True)
    sender = block.text("from", required=True)
    security = block.choice("security", "starttls", EMAIL_SECURITY)
    port = block.integer("port", 465 if security == "tls" else 587 if security == "starttls" else 25, 1, 65535)
    recipients: list[str] = []
    entries = block.text_list("to", "to (a list of addresses)")
    if block.get("to") is _MISSING:
        block.report("to", "missing required key 'to': a list of recipient addresses")
    for value, line in entries or ():
        if not _EMAIL_RE.match(value):
            block.report("to", f"{value!r} is not an e-mail address", line)
        elif not value.isascii():
            block.report("to", f"{value!r}: addresses with non-ASCII characters are not supported", line)
        else:
            recipients.append(value)
    if sender is not None and not _EMAIL_RE.match(sender.rsplit("<", 1)[-1].rstrip(">").strip()):
        block.report("from", f"{sender!r} is not an e-mail address (write name@example.org or Name <name@example.org>)")
        sender = None
    subject = block.text("subject", EmailSettings.subject) or EmailSettings.subject
    if "{" in subject.replace("{label}", ""):
        block.report("subject", "subject may only use the placeholder {label}")
    password_env = block.text("password_env", EmailSettings.password_env) or EmailSettings.password_env
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", password_env):
        block.report("password_env", f"password_env {password_env!r} is not an environment variable name")
    user = block.text("user", nullable=True)
    allow_plaintext = block.boolean("allow_plaintext_auth", False)
    if security == "none" and user and host is not None and not is_loopback_host(host) and not allow_plaintext:
        # Without TLS the login (AUTH PLAIN/LOGIN) carries the password as base64: readable on the wire.
        block.report("security", f"security 'none' with a user would send the SMTP password in clear text to "
                                 f"{host}, readable by anyone on the network path; use 'starttls' or 'tls', or, "
                                 "if that network is trusted, set 'allow_plaintext_auth: true'")
    if host is None or sender is None or not recipients:
        return None
    return EmailSettings(host=host, sender=sender, recipients=tuple(recipients), port=port, security=security,
                         user=user, password_env=password_env, subject=subject,
                         timeout_seconds=block.positive_number("timeout", EmailSettings.timeout_seconds),
                         allow_plaintext_auth=allow_plaintext)


def _retention(settings: _Block) -> RetentionSettings:
    """`settings.retention`: `{items: 2y, pages: 90d}`, or a single duration, short for `{items: ...}`."""
    defaults = RetentionSettings()
    value = settings.get("retention")
    if value is _MISSING or value is None:
        return defaults
    if not isinstance(value, CommentedMap):
        days = _retention_value(settings, "retention", defaults.items_days, MIN_ITEM_RETENTION_DAYS, "items")
        return RetentionSettings(items_days=days, pages_days=defaults.pages_days)
    block = settings.child("retention")
    block.check_keys(RETENTION_KEYS)
    return RetentionSettings(
        items_days=_retention_value(block, "items", defaults.items_days, MIN_ITEM_RETENTION_DAYS, "items"),
        pages_days=_retention_value(block, "pages", defaults.pages_days, MIN_PAGE_RETENTION_DAYS, "cached pages"))


def _retention_value(block: _Block, key: str, default: int | None, minimum: int, what: str) -> int | None:
    """A retention duration in days (None: forever), at least `minimum` days, or `default` when absent or invalid."""
    value = block.get(key)
    if value is _MISSING or value is None:
        return default
    if _is_int(value):
        block.report(key, f"{key} {value} has no unit: write e.g. {value}d (days), or 'forever'")
        return default
    try:
        days = parse_retention(value)
    except ValueError as exc:
        block.report(key, f"invalid retention: {exc}")
        return default
    if days is not None and days < minimum:
        why = " (the weekly digest compares a week with the one before)" if what == "items" else ""
        block.report(key, f"keeping {what} {days} days is too short: the minimum is {minimum} days{why}; "
                          "write 'forever' to keep everything")
        return default
    return days


def _clock_time(block: _Block, default: str) -> str:
    """HH:MM on a 24-hour clock, normalised to two-digit hours."""
    value = block.get("time")
    if value is _MISSING:
        return default
    if _is_int(value):
        # YAML 1.1 reads an unquoted 07:00 as sexagesimal minutes: say how to write it instead.
        block.report("time", f"time must be text like \"07:00\" (quote it), got {_describe(value)}")
        return default
    text = block.text("time")
    if text is None:
        return default
    match = _TIME_RE.match(text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        block.report("time", f"time {text!r} is not a 24-hour HH:MM time such as \"07:00\"")
        return default
    return f"{int(match[1]):02d}:{match[2]}"


def _formats(block: _Block, default: tuple[str, ...]) -> tuple[str, ...]:
    """A non-empty list of distinct formats from DIGEST_FORMATS."""
    entries = block.text_list("formats", "formats")
    if entries is None:
        if block.get("formats") is None:
            block.report("formats", f"formats must list at least one of: {_key_list(DIGEST_FORMATS)}")
        return default
    formats: list[str] = []
    for value, line in entries:
        name = value.lower()
        if name not in DIGEST_FORMATS:
            block.report("formats", f"unknown format {value!r} (allowed: {_key_list(DIGEST_FORMATS)})", line)
        elif name in formats:
            block.report("formats", f"format {value!r} is listed twice", line)
        else:
            formats.append(name)
    if not entries:
        block.report("formats", f"formats must list at least one of: {_key_list(DIGEST_FORMATS)}")
    return tuple(formats) or default


def _summarizer(block: _Block | None) -> SummarizerSettings:
    """`settings.summarizer`: extractive (default, bundled model) or generative (needs `model`)."""
    defaults = SummarizerSettings()
    block.check_keys(SUMMARIZER_KEYS)
    backend = block.choice("backend", defaults.backend, SUMMARIZER_BACKENDS)
    sentences = block.integer("sentences", defaults.sentences, 1, 10)
    max_chars = block.integer("max_chars", defaults.max_chars, 80, 4000)
    model = block.text("model", defaults.model, nullable=True)
    if backend == "generative" and block.get("model") in (_MISSING, None):
        # No generative model ships with techwatch (DESIGN.md): the user must name one.
        block.report("backend", "backend 'generative' needs 'model' (a Hugging Face model id or a local path)")
    budget = _interval(block, "time_budget") or defaults.time_budget_seconds
    return SummarizerSettings(backend=backend, sentences=sentences, max_chars=max_chars, model=model,
                              time_budget_seconds=budget)


def _tagger(block: _Block | None) -> TaggerSettings:
    """`settings.tagger`: the document embedding model, threshold and number of tags per item."""
    defaults = TaggerSettings()
    block.check_keys(TAGGER_KEYS)
    threshold = block.get("threshold")
    if threshold in (_MISSING, None):
        threshold = None
    elif not isinstance(threshold, (int, float)) or _is_bool(threshold) or not 0 < threshold < 1:
        block.report("threshold", f"threshold must be a number between 0 and 1, got {_describe(threshold)}")
        threshold = None
    return TaggerSettings(model=block.text("model", defaults.model, nullable=True),
                          threshold=None if threshold is None else float(threshold),
                          max_tags=block.integer("max_tags", defaults.max_tags, 1, 10))


def _fetch(block: _Block | None, environ: Mapping[str, str]) -> FetchSettings:
    """`settings.fetch`: HTTP client limits and polling policy shared by every source, the GitHub token."""
    defaults = FetchSettings()
    block.check_keys(FETCH_KEYS)
    token_env = block.text("github_token_env", "GITHUB_TOKEN") or "GITHUB_TOKEN"
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", token_env):
        block.report("github_token_env", f"github_token_env {token_env!r} is not an environment variable name")
    github_api = (block.text("github_api", defaults.github_api) or defaults.github_api).rstrip("/")
    if not re.match(r"^https?://[^/\s]+", github_api):
        block.report("github_api", f"github_api {github_api!r} must be an http(s) address")
    return FetchSettings(
        github_api=github_api, github_token=(environ.get(token_env) or "").strip() or None,
        timeout_seconds=block.positive_number("timeout", defaults.timeout_seconds),
        connect_timeout_seconds=block.positive_number("connect_timeout", defaults.connect_timeout_seconds),
        total_timeout_seconds=block.positive_number("total_timeout", defaults.total_timeout_seconds),
        max_bytes=block.integer("max_bytes", defaults.max_bytes, 1),
        max_redirects=block.integer("max_redirects", defaults.max_redirects, 0, 20),
        user_agent=block.text("user_agent", defaults.user_agent) or defaults.user_agent,
        concurrency=block.integer("concurrency", defaults.concurrency, 1, 256),
        per_host=block.integer("per_host", defaults.per_host, 1, 32),
        default_interval_seconds=_interval(block, "default_interval") or defaults.default_interval_seconds,
        stale_factor=block.positive_number("stale_factor", defaults.stale_factor),
        allow_networks=_networks(block, "allow_networks"),
    )


def _networks(block: _Block, key: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """A list of CIDR networks (10.0.0.0/8, fd00::/8; a bare address is one host)."""
    networks = []
    for value, line in block.text_list(key, "networks in CIDR notation, e.g. 10.0.0.0/8") or ():
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            block.report(key, f"{value!r} is not a network in CIDR notation (e.g. 10.0.0.0/8, 192.168.1.0/24, "
                              "fd00::/8)", line)
    return tuple(networks)


def _mapping_entries(top: _Block, key: str, what: str) -> list[tuple[_Block, int, int]]:
    """The mapping entries of a top-level list such as `tags:` or `sources:`, each as a _Block."""
    blocks: list[tuple[_Block, int, int]] = []
    for item, line, index in top.items(key, what) or []:
        label = f"{key}[{index}]"
        if not isinstance(item, CommentedMap):
            top.problems.add(line, label, f"{label}: each entry must be a mapping (name: ..., ...), "
                                          f"got {_describe(item)}")
            continue
        name = item.get("name")
        if isinstance(name, str) and name.strip():
            label += f" (name {name.strip()!r})"
        blocks.append((_Block(item, f"{key}[{index}]", label, top.problems), _line(item, line), index))
    return blocks


def _tags(top: _Block) -> tuple[tuple[Tag, ...], set[str]]:
    """The taxonomy (unique slug names, one-line description for the tagger, keywords) and its names.

    The names are returned apart so that a tag with a broken description does not also make every
    source that uses it fail with 'unknown tag'.
    """
    tags: list[Tag] = []
    seen: dict[str, int] = {}
    for block, line, _index in _mapping_entries(top, "tags", "tags (name, description, keywords)"):
        block.check_keys(TAG_KEYS)
        name = block.text("name", required=True)
        description = block.text("description", required=True)
        keywords = block.text_list("keywords", "keywords")
        if name is not None and not TAG_NAME_RE.match(name):
            block.report("name", f"tag name {name!r} must be lower-case letters, digits and '-' "
                                 "(e.g. cloud-ai)")
            name = None
        if name is not None and name in seen:
            block.report("name", f"duplicate tag name {name!r} (first defined at line {seen[name]})")
            name = None
        if name is None:
            continue
        seen[name] = line
        if description is not None:
            tags.append(Tag(name=name, description=description,
                            keywords=tuple(word for word, _ in keywords or ())))
    return tuple(tags), set(seen)


def _sources(top: _Block, known_tags: set[str]) -> tuple[Source, ...]:
    """The sources list; names are unique ignoring case, since they key the archive and the digest."""
    raw = top.get("sources")
    if raw is _MISSING:
        top.report("sources", "missing required key 'sources': list at least one source (name and url)")
        return ()
    if raw is None or (isinstance(raw, CommentedSeq) and not raw):
        top.report("sources", "sources is empty: list at least one source (name and url)")
        return ()
    entries = _mapping_entries(top, "sources", "sources (name, url, ...)")
    sources: list[Source] = []
    seen: dict[str, int] = {}
    followed: dict[tuple[str, str], tuple[str, int]] = {}  # what a source polls -> (its name, line)
    for block, line, _index in entries:
        block.check_keys(SOURCE_KEYS)
        name = block.text("name", required=True)
        if name is not None and name.casefold() in seen:
            block.report("name", f"duplicate source name {name!r}: already used at line "
                                 f"{seen[name.casefold()]} (names are compared ignoring case)")
            name = None
        elif name is not None:
            seen[name.casefold()] = line
        kind = block.choice("kind", "feed", SOURCE_KINDS)
        url, project, repo = _release_target(block, kind) if kind in RELEASE_KINDS else (_source_url(block), None, None)
        tags = _source_tags(block, known_tags)
        enabled = block.boolean("enabled", True)
        interval = _source_interval(block)
        # Release notes are in the feed or the page itself: fetching each release's web page adds nothing.
        extract = block.choice("extract", "never" if kind in RELEASE_KINDS else "auto", EXTRACT_MODES)
        weight = _weight(block)
        prereleases = block.boolean("prereleases", False)
        releases = block.choice("releases", "all", RELEASE_FILTERS)
        if kind not in RELEASE_KINDS:
            for key in ("repo", "package", "author", "project", "prereleases", "releases"):
                if block.get(key) is not _MISSING:
                    block.report(key, f"{key!r} is only for release sources (kind: {', '.join(RELEASE_KINDS)})")
        if name is not None and url is not None and not (enabled and _same_feed(block, name, kind, url, followed)):
            sources.append(Source(name=name, url=url, kind=kind, tags=tags, enabled=enabled,
                                  interval_seconds=interval, extract=extract, weight=weight, line=line,
                                  repo=repo, project=project or (name if kind in RELEASE_KINDS else None),
                                  prereleases=prereleases, releases=releases))
    return tuple(sources)


def _same_feed(block: _Block, name: str, kind: str, url: str, followed: dict[tuple[str, str], tuple[str, int]]) -> bool:
    """Report an enabled source that polls what an earlier enabled one polls (its items would be stored twice);
    record it otherwise. A disabled source polls nothing: it may keep the url of the source that replaced it.

    URLs are compared as `feeds add` compares them (dedup.canonical_url: scheme, www., host case, default
    port, trailing slash and tracking parameters aside); release sources also by their repo, package or author.
    """
    keys: list[tuple[tuple[str, str], str, str]] = []  # (identity, the key it comes from, as shown)
    target = _RELEASE_TARGETS.get(kind, ("", ""))[0]
    value = block.get(target) if target else _MISSING
    if isinstance(value, str) and value.strip():
        normal = value.strip().casefold()
        if kind == "pypi":  # PEP 503: Foo_Bar, foo-bar and foo.bar are one project
            normal = re.sub(r"[-_.]+", "-", normal)
        keys.append(((kind, normal), target, f"{target} {value.strip()}"))
    keys.append((("url", canonical_url(url)), "url" if block.get("url") is not _MISSING else target, f"url {url}"))
    for identity, key, shown in keys:
        if identity in followed:
            first, first_line = followed[identity]
            block.report(key, f"{shown} is already polled by source {first!r} at {block.problems.shown}:{first_line}; "
                              "remove one of the two (under two names every item would be fetched and stored twice)")
            return True
    for identity, key, _shown in keys:
        followed[identity] = (name, block.line_of(key))
    return False


_REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# kind -> (the key naming what to follow, the address it is read from)
_RELEASE_TARGETS = {
    "github-releases": ("repo", "https://github.com/{}/releases.atom"),
    "pypi": ("package", "https://pypi.org/rss/project/{}/releases.xml"),
    "huggingface": ("author", "https://huggingface.co/api/models?author={}&sort=createdAt&direction=-1&limit=50"),
}


def _release_target(block: _Block, kind: str) -> tuple[str | None, str | None, str | None]:
    """(url, project, repo) of a release source: from repo/package/author, or an explicit url (changelog, mirrors)."""
    project = block.text("project")
    if kind == "changelog":
        return _source_url(block), project, None
    key, template = _RELEASE_TARGETS[kind]
    value = block.text(key)
    has_url = block.get("url") is not _MISSING
    if value is None and not has_url:
        example = {"repo": "vllm-project/vllm", "package": "transformers", "author": "mistralai"}[key]
        block.report(key, f"kind {kind} needs {key!r} (e.g. {key}: {example})")
        return None, None, None
    if value is not None and not (_REPO_RE if key == "repo" else _NAME_RE).match(value):
        form = "owner/name" if key == "repo" else "a name of letters, digits, '.', '_' or '-'"
        block.report(key, f"{key} {value!r} must be {form}")
        return None, None, None
    url = _source_url(block) if has_url else template.format(value)
    default_project = value.split("/")[-1] if value else None
    return url, project or default_project, value if key == "repo" else None



def _weight(block: _Block) -> float:
    """A source's weight in the digest's ranking: a number from 0 to 10, 1 by default."""
    value = block.get("weight")
    if value is _MISSING or value is None:
        return 1.0
    if _is_bool(value) or not isinstance(value, (int, float)) or not 0 <= value <= 10:
        block.report("weight", f"weight must be a number from 0 to 10 (1 = normal), got {_describe(value)}")
        return 1.0
    return float(value)


def _source_url(block: _Block) -> str | None:
    """An absolute http(s) URL with a host: anything else cannot be fetched."""
    url = block.text("url", required=True)
    if url is None:
        return None
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. an unbalanced IPv6 bracket
        block.report("url", f"url {url!r} is not a valid address: {exc}")
        return None
    if parts.scheme.lower() not in ("http", "https"):
        block.report("url", f"url {url!r} must start with http:// or https://")
        return None
    if any(ch.isspace() for ch in url):
        block.report("url", f"url {url!r} contains spaces (write them as %20)")
        return None
    try:
        host = parts.hostname
        _ = parts.port  # a non-numeric port raises here, not at fetch time
    except ValueError as exc:
        block.report("url", f"url {url!r} is not a valid address: {exc}")
        return None
    if not host:
        block.report("url", f"url {url!r} has no host name")
        return None
    return url


def _source_tags(block: _Block, known_tags: set[str]) -> tuple[str, ...]:
    """Tags of a source; each must be defined in the `tags:` taxonomy."""
    tags: list[str] = []
    for tag, line in block.text_list("tags", "tag names") or ():
        if tag not in known_tags:
            known = _key_list(tuple(sorted(known_tags))) if known_tags else "none: define them under 'tags:'"
            close = difflib.get_close_matches(tag, sorted(known_tags), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            block.report("tags", f"unknown tag {tag!r} (known tags: {known}){hint}", line)
        elif tag in tags:
            block.report("tags", f"tag {tag!r} is listed twice", line)
        else:
            tags.append(tag)
    return tuple(tags)


def _source_interval(block: _Block) -> int | None:
    """Polling interval in seconds, or None for the default (settings.fetch.default_interval)."""
    return _interval(block, "interval")


def _interval(block: _Block, key: str) -> int | None:
    """An interval field (`30m`, `6h`, `1h30m`) in seconds, or None when absent; a bare number has no unit."""
    value = block.get(key)
    if value is _MISSING or value is None:
        return None
    if _is_int(value):
        value = str(int(value))  # 90 or "90": minutes or seconds? parse_interval asks for the unit
    try:
        return parse_interval(value)
    except ValueError as exc:
        block.report(key, f"invalid interval: {exc}")
        return None
