"""Structured logging: one line per event, logfmt (key=value), so job logs can be grepped and parsed."""

from __future__ import annotations

import logging
import re
import sys
from datetime import UTC, datetime
from typing import TextIO

from .text.redact import redact_text

_BARE = re.compile(r"^[\w.:/@+-]+$")
# Logged text may come from feeds: controls and bidi overrides are written as escapes, never raw.
_RAW = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
# Attributes every LogRecord has; anything else was passed with `extra=` and is logged as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def _value(value: object) -> str:
    text = redact_text(str(value))  # a URL's password or token never reaches a log
    if text and _BARE.match(text):
        return text
    return '"' + _RAW.sub(_escape, text.replace("\\", "\\\\").replace('"', '\\"')) + '"'


class LogfmtFormatter(logging.Formatter):
    """`time=... level=... logger=... msg="..." key=value...`, one line per record; credentials in URLs masked."""

    def format(self, record: logging.LogRecord) -> str:
        """Render one record as a single logfmt line (exceptions folded into `error=`)."""
        fields: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            fields["error"] = self.formatException(record.exc_info)
        return " ".join(f"{key}={_value(value)}" for key, value in fields.items())


def setup_logging(verbose: bool = False, quiet: bool = False, stream: TextIO | None = None) -> None:
    """Log to stderr in logfmt: warnings by default, info with `verbose`, errors only with `quiet`."""
    level = logging.ERROR if quiet else logging.INFO if verbose else logging.WARNING
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(LogfmtFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
