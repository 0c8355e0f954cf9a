"""Progress of long work on standard error: a bar with rate and ETA on a terminal, plain lines otherwise.

On a terminal (stderr is a TTY) a rich progress bar: done/total, rate per second, elapsed and
time remaining (when the total is known). Anywhere else (a log file, CI, a pipe) one plain line
every ``every_seconds`` and a last one at the end, e.g.
``replay: 12000/48211 (24%), 4310/s, 0:00:02 elapsed, about 0:00:08 left``, so that a job log
shows it is alive without filling up. Standard output (the data) is never touched.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, TypeVar

T = TypeVar("T")

EVERY_SECONDS = 5.0


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class Progress:
    """``with Progress("replay", total) as progress: for item in progress.track(items): ...``"""

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        unit: str = "decisions",
        stream: IO[str] | None = None,
        terminal: bool | None = None,
        every_seconds: float = EVERY_SECONDS,
        every_items: int = 0,
        status: Callable[[], str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.label, self.total, self.unit = label, total, unit
        self.stream = stream if stream is not None else sys.stderr
        self.terminal = self.stream.isatty() if terminal is None else terminal
        self.every_seconds = every_seconds
        self.every_items = every_items  # also a line every N items (0: by time only)
        self.status = status  # appended to each line: e.g. how many replays were identical
        self.clock = clock
        self.done = 0
        self._started = self._last_line = 0.0
        self._bar: Any = None  # rich.progress.Progress, imported only for a terminal
        self._task: Any = None

    def __enter__(self) -> Progress:
        self._started = self._last_line = self.clock()
        if self.terminal:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as Bar

            self._bar = Bar(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[status]}"),
                console=Console(file=self.stream, force_terminal=True),
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=self.total, rate="", status="")
        return self

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = self.clock()
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, rate=self._rate(now), status=self._status())
        elif now - self._last_line >= self.every_seconds or (self.every_items and self.done % self.every_items == 0):
            self._last_line = now
            self._line(now)

    def track(self, items: Iterable[T]) -> Iterator[T]:
        for item in items:
            yield item
            self.advance()

    def __exit__(self, *exc) -> None:
        now = self.clock()
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, rate=self._rate(now), status=self._status())
            self._bar.stop()
        else:
            self._line(now, final=True)

    def _status(self) -> str:
        return self.status() if self.status is not None else ""

    def _rate(self, now: float) -> str:
        elapsed = now - self._started
        return f"{self.done / elapsed:,.0f} {self.unit}/s" if elapsed > 0 else ""

    def _line(self, now: float, final: bool = False) -> None:
        elapsed = now - self._started
        parts = [f"{self.label}: {self.done}" + (f"/{self.total}" if self.total is not None else "") + f" {self.unit}"]
        if self.total:
            parts[0] += f" ({100 * self.done // self.total}%)"
        if elapsed > 0:
            parts.append(f"{self.done / elapsed:,.0f}/s")
        parts.append(f"{_clock(elapsed)} elapsed")
        if not final and self.total and self.done and elapsed > 0:
            parts.append(f"about {_clock((self.total - self.done) * elapsed / self.done)} left")
        if final:
            parts.append("done")
        if self.status is not None:
            parts.append(self.status())
        self.stream.write(", ".join(parts) + "\n")
        self.stream.flush()


def tracked(label: str, total: int | None = None, **options) -> Callable[[Iterable[T]], Iterator[T]]:
    """A function that wraps an iterable in a ``Progress`` for as long as it is consumed."""

    def wrap(items: Iterable[T]) -> Iterator[T]:
        with Progress(label, total, **options) as progress:
            yield from progress.track(items)

    return wrap
