"""What every command shares: the --config/--db options, errors turned into a message and an exit code, output."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

import click

from ..config import load_config
from ..errors import WatchError
from ..files import PRIVATE, atomic_open
from ..records import Config
from ..text.redact import redact_text
from ..text.textsafe import strip_controls

__all__ = ["EXIT_CONFIG", "EXIT_PARTIAL", "config_option", "config_options", "handle_errors", "load", "private_output",
           "say", "shown"]

EXIT_PARTIAL = 1  # the run finished but some sources or items failed
EXIT_CONFIG = 2


def shown(text: str) -> str:
    """Text fit for a terminal: credentials in URLs masked, escape sequences and control characters dropped."""
    return strip_controls(redact_text(text))


def say(text: str, err: bool = False) -> None:
    """click.echo of a message that holds values from feeds, feeds.yaml or the archive (see `shown`)."""
    click.echo(shown(text), err=err)


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A command whose WatchError becomes `error: ...` on stderr and the error's exit code."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except WatchError as exc:
            say(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
    return wrapper


def config_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The --config option (feeds.yaml, or $TECHWATCH_CONFIG)."""
    return click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                        default="feeds.yaml", show_default=True, envvar="TECHWATCH_CONFIG",
                        help="The feeds.yaml to use.")(fn)


def config_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The --config and --db options."""
    fn = click.option("--db", "db", type=click.Path(dir_okay=False, path_type=Path),
                      help="Archive file (default: settings.database in the config).")(fn)
    return config_option(fn)


@contextlib.contextmanager
def private_output(path: Path) -> Iterator[TextIO]:
    """An --out file written atomically; a new one is 0600 (less the umask), an existing one keeps its mode."""
    try:
        with atomic_open(path, PRIVATE) as handle:
            yield handle
    except OSError as exc:
        raise click.FileError(str(path), hint=exc.strerror or str(exc)) from exc


def load(config_path: Path, db: Path | None) -> Config:
    """The config, its database replaced by --db when given."""
    config = load_config(config_path)
    if db is not None:
        config = dataclasses.replace(config, settings=dataclasses.replace(config.settings, database=db))
    return config
