"""Progress of a long job, on a terminal and in logs.

One helper for every job that takes more than a few seconds (Monte-Carlo studies, single
``simulate`` runs, ...). On a terminal it draws a ``rich`` progress bar on stderr; when stderr is
not a terminal (a log file, a pipe, CI) it writes one plain line at least every ``interval_s``
seconds, whether or not anything finished in between::

    study: 3/8 runs done, 1 failed, 2 min 10 s elapsed, ~3 min left

API
---

``Progress(total, label, unit="runs", *, enabled=True, stream=None, interval_s=10.0,
min_gap_s=2.0, tty=None, clock=time.monotonic)`` is a context manager:

- ``total``: amount of work (runs, simulated seconds, ...); ``label``: the line's prefix;
  ``unit``: what is counted, in the plural ("runs", "s simulated").
- ``enabled=False``: prints nothing at all (tests, library callers that report themselves).
- ``stream``: where the plain lines go (default ``sys.stderr``); ``tty``: force the bar (True)
  or plain lines (False); default ``stream.isatty()``.
- ``interval_s``: the longest gap between two plain lines while the job runs (a heartbeat
  thread writes one when nothing else did); ``min_gap_s``: the shortest gap between lines
  written because work advanced (a study of 1000 quick runs does not print 1000 lines).

Methods (thread-safe):

- ``advance(n=1, *, failed=0)``: ``n`` more units done, ``failed`` of them failed (count-based
  jobs: runs finished in any order).
- ``update(done, *, failed=None)``: set the amount done (time-based jobs: a simulation reports
  the simulated time reached, ``update(t_s)``).
- ``note(text)``: a short free text shown after the counts (e.g. the current phase).
- ``close()`` (called by ``__exit__``): stops the heartbeat and writes the final line.

A single ``simulate`` run::

    with Progress(duration_s, "simulate", "s simulated") as p:
        for t in times:
            ...
            p.update(t)

Remaining time is estimated from the pace up to the latest progress (time until then / done x
what is left, less the time since): runs that finish in batches on parallel workers do not make
the estimate grow with the wait between batches, as the mean rate over the whole elapsed time
did ("2/4 runs done, 5 min elapsed, ~5 min left" five minutes into a six-minute study). Past
that estimate the line says ``finishing``; until something is done, ``estimating``.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import IO, Any

#: Longest gap between two plain progress lines, s (the issue asks for at least one line per 10 s).
DEFAULT_INTERVAL_S = 10.0
#: Shortest gap between lines written because work advanced, s.
DEFAULT_MIN_GAP_S = 2.0


def format_duration(seconds: float) -> str:
    """A duration for people: ``45 s``, ``2 min 10 s``, ``1 h 05 min``; ``?`` if not finite."""
    if not math.isfinite(seconds):
        return "?"
    s = max(0, int(round(seconds)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        m, r = divmod(s, 60)
        return f"{m} min {r} s" if r else f"{m} min"
    h, r = divmod(s, 3600)
    return f"{h} h {r // 60:02d} min"


def _amount(x: float) -> str:
    """Counts as integers, fractional amounts (simulated seconds) rounded."""
    return f"{x:.0f}" if float(x).is_integer() or abs(x) >= 10 else f"{x:.1f}"


class Progress:
    """Progress bar on a terminal, plain lines at least every ``interval_s`` elsewhere (see the
    module docstring for the API)."""

    def __init__(self, total: float, label: str, unit: str = "runs", *, enabled: bool = True,
                 stream: IO[str] | None = None, interval_s: float = DEFAULT_INTERVAL_S,
                 min_gap_s: float = DEFAULT_MIN_GAP_S, tty: bool | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s: got {interval_s}; expected > 0")
        self.total = float(total)
        self.label, self.unit = label, unit
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.interval_s, self.min_gap_s = float(interval_s), float(min_gap_s)
        self.clock = clock
        if tty is None:
            isatty = getattr(self.stream, "isatty", None)
            tty = bool(isatty()) if callable(isatty) else False
        self.tty = tty
        self.done = 0.0
        self.failed = 0
        self._note = ""
        self._lock = threading.Lock()
        self._t0 = clock()
        self._t_done = self._t0      # when the amount done last grew
        self._last_line = -math.inf
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._bar: Any = None
        self._task: Any = None
        self._closed = False

    # ------------------------------------------------------------------ context manager

    def __enter__(self) -> Progress:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def start(self) -> None:
        """Show the bar / write the first line and start the heartbeat (``__enter__`` does)."""
        if not self.enabled:
            return
        self._t0 = self._t_done = self.clock()
        if self.tty:
            self._start_bar()
            return
        self._emit(force=True)
        self._thread = threading.Thread(target=self._heartbeat, name=f"progress-{self.label}",
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the heartbeat and write the final line (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if not self.enabled:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        if self._bar is not None:
            self._bar.stop()
        else:
            self._emit(force=True, final=True)

    # ------------------------------------------------------------------ reporting

    def advance(self, n: float = 1, *, failed: int = 0) -> None:
        """``n`` more units done, ``failed`` of them failed."""
        with self._lock:
            self.done += n
            self.failed += int(failed)
            if n > 0:
                self._t_done = self.clock()
        self._changed()

    def update(self, done: float, *, failed: int | None = None) -> None:
        """Set the amount done (e.g. the simulated time reached) and optionally the failures."""
        with self._lock:
            if float(done) > self.done:
                self._t_done = self.clock()
            self.done = float(done)
            if failed is not None:
                self.failed = int(failed)
        self._changed()

    def note(self, text: str) -> None:
        """A short free text shown after the counts (empty to clear)."""
        with self._lock:
            self._note = text
        self._changed()

    def elapsed_s(self) -> float:
        return self.clock() - self._t0

    def remaining_s(self) -> float:
        """Estimated time left, s: the pace up to the latest progress applied to what is left,
        less the time since that progress (<= 0: overdue); NaN until something is done."""
        with self._lock:
            done, t_done = min(self.done, self.total), self._t_done
        if done <= 0:
            return math.nan
        return (t_done - self._t0) / done * (self.total - done) - (self.clock() - t_done)

    def line(self, final: bool = False) -> str:
        """The plain progress line (what a log gets)."""
        with self._lock:
            done, failed, note = self.done, self.failed, self._note
        parts = [f"{self.label}: {_amount(done)}/{_amount(self.total)} {self.unit} done"]
        if failed:
            parts.append(f"{failed} failed")
        parts.append(f"{format_duration(self.elapsed_s())} elapsed")
        if not final:
            rem = self.remaining_s()
            parts.append("estimating time left" if math.isnan(rem)
                         else "finishing" if rem < 0.5 else f"~{format_duration(rem)} left")
        if note:
            parts.append(note)
        return ", ".join(parts)

    # ------------------------------------------------------------------ internals

    def _changed(self) -> None:
        if not self.enabled or self._closed:
            return
        if self._bar is not None:
            with self._lock:
                done, failed, note = self.done, self.failed, self._note
            extra = ", ".join(x for x in (f"{failed} failed" if failed else "", note) if x)
            self._bar.update(self._task, completed=done, note=extra)
            return
        if self.done < self.total:  # the final line says when all is done
            self._emit(force=False)

    def _emit(self, force: bool, final: bool = False) -> None:
        now = self.clock()
        with self._lock:
            if not force and now - self._last_line < self.min_gap_s:
                return
            self._last_line = now
        try:
            self.stream.write(self.line(final) + "\n")
            self.stream.flush()
        except (OSError, ValueError):  # a closed pipe must not take the job down
            pass

    def _heartbeat(self) -> None:
        # Wake often enough that a line is never more than interval_s after the previous one.
        tick = min(self.interval_s / 4, 1.0)
        while not self._stop.wait(tick):
            with self._lock:
                due = self.clock() - self._last_line >= self.interval_s
            if due:
                self._emit(force=True)

    def _start_bar(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        console = Console(file=self.stream, force_terminal=True)
        self._bar = RichProgress(TextColumn("[bold]{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TextColumn(self.unit),
                                 TimeElapsedColumn(), TimeRemainingColumn(),
                                 TextColumn("{task.fields[note]}"), console=console,
                                 transient=False)
        self._task = self._bar.add_task(self.label, total=self.total, completed=self.done,
                                        note="")
        self._bar.start()
