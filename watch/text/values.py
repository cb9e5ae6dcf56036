"""User-facing descriptions of values a user typed (YAML scalars, option text), for "expected X, got Y" messages."""

from __future__ import annotations

from typing import Any

from ruamel.yaml.scalarbool import ScalarBoolean


def is_bool(value: Any) -> bool:
    """A YAML boolean, anchored or not."""
    # ruamel returns ScalarBoolean (an int subclass) for anchored booleans.
    return isinstance(value, bool | ScalarBoolean)


def is_int(value: Any) -> bool:
    """A YAML integer, never a boolean."""
    # YAML `true` is a bool, and bool is an int in Python: it must not pass as a number.
    return isinstance(value, int) and not is_bool(value)


def describe(value: Any) -> str:
    """A short, user-facing description of a YAML value, for 'expected X, got Y' messages."""
    if value is None:
        return "an empty value"
    if is_bool(value):
        return "true" if value else "false"
    if is_int(value) or isinstance(value, float):
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
