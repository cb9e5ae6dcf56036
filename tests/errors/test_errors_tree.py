"""errors.py draws the whole exception tree in its docstring; the drawing must match the classes."""

from __future__ import annotations

import inspect
import re

import watch.errors as errors


def _drawn() -> dict[str, str | None]:
    """class name -> the parent the drawing puts it under (None for the root)."""
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in (errors.__doc__ or "").splitlines():
        found = re.match(r"^([\s│├└─]*?)([A-Z]\w+)\s", line + " ")
        if not found or not inspect.isclass(getattr(errors, found.group(2), None)):  # a drawn name, not prose
            continue
        depth = len(found.group(1))
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[found.group(2)] = stack[-1][1] if stack else None
        stack.append((depth, found.group(2)))
    return parents


def test_the_docstring_draws_every_error_class_under_its_parent() -> None:
    classes = {name: cls for name, cls in vars(errors).items()
               if inspect.isclass(cls) and issubclass(cls, errors.WatchError)}
    actual = {name: (None if cls is errors.WatchError else cls.__bases__[0].__name__) for name, cls in classes.items()}
    assert _drawn() == actual
