"""Run the dronewall CLI in this process and capture what a user would see.

``run_cli(args)`` calls the console entry point :func:`dronewall.cli.main.run` with ``args``,
returns (exit status, stdout, stderr). A watchdog (CPU time, and a looser wall-clock limit)
turns a hang into status 124 (the coreutils ``timeout`` convention), so a property test fails on
it instead of stalling; an
optional address-space limit turns runaway memory into a ``MemoryError`` (status 1, an internal
error) instead of swapping the machine.
"""

from __future__ import annotations

import contextlib
import io
import resource
import signal
import sys
from collections.abc import Iterator, Sequence
from typing import Any


class Hang(BaseException):
    """Raised by the watchdog inside the command that ran past its time limit."""


#: Wall-clock limit of a command as a multiple of its CPU-time limit: on a shared machine
#: (``nice``, other jobs) a command gets a fraction of a core, so the hang criterion is CPU time;
#: the wall-clock limit only catches a command blocked without using the CPU.
WALL_FACTOR = 4.0


@contextlib.contextmanager
def _watchdog(seconds: float) -> Iterator[None]:
    """Hang: ``seconds`` of CPU time of this process (SIGPROF), or ``WALL_FACTOR`` times that of
    wall time (SIGALRM)."""
    def fire(signum: int, frame: Any) -> None:
        import traceback

        kind = "CPU" if signum == signal.SIGPROF else "wall-clock"
        where = "".join(traceback.format_stack(frame)[-6:])   # what it was doing: the culprit
        raise Hang(f"command ran past {seconds if kind == 'CPU' else seconds * WALL_FACTOR} s "
                   f"of {kind} time in:\n{where}")

    old = {sig: signal.signal(sig, fire) for sig in (signal.SIGALRM, signal.SIGPROF)}
    signal.setitimer(signal.ITIMER_PROF, seconds)
    signal.setitimer(signal.ITIMER_REAL, seconds * WALL_FACTOR)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.setitimer(signal.ITIMER_PROF, 0)
        for sig, h in old.items():
            signal.signal(sig, h)


@contextlib.contextmanager
def _address_limit(max_bytes: int | None) -> Iterator[None]:
    if max_bytes is None:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = max_bytes if hard == resource.RLIM_INFINITY else min(max_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


class _CachedApp:
    """Stands in for the typer app during :func:`run_cli`: the same click command, built once.
    (``Typer.__call__`` rebuilds the whole click command tree on every call, ~0.1 s: most of
    the time of a fuzz input.)"""

    commands: dict[int, Any] = {}

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        cmd = _CachedApp.commands.get(id(self.app))
        if cmd is None:
            import typer.main

            cmd = _CachedApp.commands[id(self.app)] = typer.main.get_command(self.app)
        return cmd(*args, **kwargs)


def run_cli(args: Sequence[str], timeout_s: float = 30.0,
            max_address_bytes: int | None = None) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``dronewall ARGS`` run in this process.

    124: the command ran past ``timeout_s`` of CPU time (or ``WALL_FACTOR`` times that of wall
    time). ``max_address_bytes`` caps the virtual address
    space for the call (allocations beyond it raise MemoryError inside the command)."""
    import dronewall.cli.main as cli_main

    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["dronewall", *map(str, args)]
    code = 0
    real_app = cli_main.app
    cli_main.app = _CachedApp(real_app)  # type: ignore[assignment]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                _address_limit(max_address_bytes), _watchdog(timeout_s):
            try:
                cli_main.run()
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except Hang as e:
        code = 124
        err.write(f"\n[watchdog] {e}\n")
    finally:
        sys.argv = argv
        cli_main.app = real_app
    return code, out.getvalue(), err.getvalue()
