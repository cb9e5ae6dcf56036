"""What `techwatch run` shows while it works: a line per source, and live bars or plain progress lines.

On a terminal the phases (polling, extracting, summarizing) are rich progress bars with rate and ETA;
otherwise (cron, a pipe, a log file) a plain line goes to stderr at each phase's start and end, and
every 100 items or 30 seconds between (watch/progress.py), so that a long first run is never silent;
`techwatch --quiet` leaves those lines out.
"""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from ..progress import PlainProgress, progress_line
from ..records import Phase, ProgressEvent, SourceReport
from ..sources.layout import LAYOUT_CHANGED
from ..text.textsafe import one_line
from .options import shown

__all__ = ["RunProgress"]

LABELS: dict[Phase, str] = {"refresh": "polling", "extract": "extracting", "model": "summarizing"}


class RunProgress:
    """Source lines and phase progress for `techwatch run`: rich bars on a terminal, plain lines otherwise."""

    def __init__(self, console: Console | None = None, quiet: bool = False) -> None:
        self.bar: Progress | None = None
        self.tasks: dict[Phase, TaskID] = {}
        self.plain: PlainProgress | None = None
        if console is not None or sys.stdout.isatty():
            self.bar = Progress(TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("{task.fields[speed]}"), TextColumn("{task.fields[left]}"),
                                TimeElapsedColumn(), console=console, transient=True)
        elif not quiet:  # `techwatch --quiet run` from cron: errors only, no progress lines mailed every turn
            self.plain = PlainProgress(lambda event: click.echo(progress_line(event), err=True))

    def __enter__(self) -> RunProgress:
        if self.bar:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar:
            self.bar.stop()

    def source(self, report: SourceReport) -> None:
        """Print one source's outcome."""
        lines = [_source_line(report), *(f"             {one_line(note)}" for note in report.notes)]
        for line in map(shown, lines):
            if self.bar:
                self.bar.console.print(line, markup=False, highlight=False, emoji=False)
            else:
                click.echo(line)

    def progress(self, event: ProgressEvent) -> None:
        """Show where a phase is: move its bar, or hand the event to the plain-line reporter."""
        if self.plain is not None:
            self.plain(event)
            return
        if self.bar is None:
            return
        speed = f"{event.rate:.1f}/s" if event.rate is not None else ""
        left = "" if event.finished or event.eta is None else f"~{_short(event.eta)} left"
        if event.phase not in self.tasks:
            self.tasks[event.phase] = self.bar.add_task(LABELS[event.phase], total=event.total, speed="", left="")
        self.bar.update(self.tasks[event.phase], completed=event.done, total=event.total, speed=speed, left=left)


def _short(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else f"{seconds // 3600}h{seconds % 3600 // 60:02d}"


def _source_line(report: SourceReport) -> str:
    name = one_line(report.source)
    if report.error and report.status == LAYOUT_CHANGED:
        return f"  WARNING    {name}: {one_line(report.error)}"
    if report.error:
        return f"  FAILED     {name}: {one_line(report.error)}"
    if report.status == "new":
        return f"  new        {name}: {report.new_items} new, {report.updated_items} updated"
    return f"  {report.status:<10} {name}"
