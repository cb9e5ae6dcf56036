"""Progress of a run as typed events (done, total, rate, ETA), and the plain lines logs and pipes get of them.

The pipeline counts with a `Meter` per phase and sends each `ProgressEvent` to the callback its caller
passed in; how the events are shown is the caller's business (a live bar in cli/, log lines in jobs/).
`PlainProgress` thins the events out for places where a line stays once written: a phase's first and
last event, and one every `every_items` items or `every_seconds` seconds, whichever comes first.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .records import Phase, ProgressEvent

__all__ = ["Meter", "PlainProgress", "ProgressCallback", "progress_fields", "progress_line"]

ProgressCallback = Callable[[ProgressEvent], None]
Clock = Callable[[], float]

UNITS: dict[Phase, str] = {"refresh": "sources", "extract": "items", "model": "items"}
VERBS: dict[Phase, str] = {"refresh": "polled", "extract": "extracted", "model": "summarized and tagged"}


class Meter:
    """One phase's counter: each step sends the callback a ProgressEvent with the rate and ETA so far."""

    def __init__(self, phase: Phase, total: int, callback: ProgressCallback | None,
                 clock: Clock = time.monotonic) -> None:
        self.phase = phase
        self.total = total
        self.done = 0
        self.callback = callback
        self.clock = clock
        self.started = clock()

    def start(self) -> None:
        """Announce the phase (done 0), when it has anything to do."""
        if self.total:
            self._send()

    def advance(self, count: int = 1) -> None:
        """`count` more sources or items done (succeeded or failed)."""
        self.done += count
        self._send()

    def drop(self, count: int = 1) -> None:
        """`count` items that will never reach this phase (they failed in an earlier one)."""
        if count:
            self.total = max(self.done, self.total - count)
            self._send()

    def event(self) -> ProgressEvent:
        """Where the phase is now."""
        elapsed = self.clock() - self.started
        rate = self.done / elapsed if self.done and elapsed > 0 else None
        left = max(self.total - self.done, 0)
        eta = 0.0 if not left else left / rate if rate else None
        return ProgressEvent(self.phase, self.done, self.total, rate, eta)

    def _send(self) -> None:
        if self.callback is not None:
            self.callback(self.event())


class PlainProgress:
    """A ProgressCallback passing on a phase's first and last event, and one per `every_items` or `every_seconds`."""

    def __init__(self, emit: ProgressCallback, *, every_items: int = 100, every_seconds: float = 30.0,
                 clock: Clock = time.monotonic) -> None:
        self.emit = emit
        self.every_items = every_items
        self.every_seconds = every_seconds
        self.clock = clock
        self.last: dict[Phase, tuple[int, float]] = {}  # per phase: done and time at the last line

    def __call__(self, event: ProgressEvent) -> None:
        """Emit `event` if it starts or ends its phase, or if enough items or seconds passed since the last one."""
        now = self.clock()
        last = self.last.get(event.phase)
        if last is not None:
            done, at = last
            if event.done == done or not (event.finished or event.done - done >= self.every_items
                                          or now - at >= self.every_seconds):
                return
        self.last[event.phase] = (event.done, now)
        self.emit(event)


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{max(seconds, 1)} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def progress_line(event: ProgressEvent) -> str:
    """The event as a line: `extract: 100/523 items extracted, 3.2/s, about 2 min 12 s left`."""
    unit = UNITS[event.phase]
    text = f"{event.phase}: {event.done}/{event.total} {unit} {VERBS[event.phase]}"
    if event.rate is not None:
        text += f", {event.rate:.1f}/s"
    if event.finished:
        return text + ", done"
    if event.eta is not None:
        text += f", about {_duration(event.eta)} left"
    return text


def progress_fields(event: ProgressEvent) -> dict[str, object]:
    """The event as log fields (`extra=`): phase, done, total, and rate (per second) and eta (seconds) when known."""
    fields: dict[str, object] = {"phase": event.phase, "done": event.done, "total": event.total}
    if event.rate is not None:
        fields["rate"] = round(event.rate, 2)
    if event.eta is not None:
        fields["eta"] = round(event.eta)
    return fields
