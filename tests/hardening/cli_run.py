"""Run the dronewall CLI in this process and capture what a user would see.

``run_cli(args)`` calls the console entry point :func:`dronewall.cli.main.run` with ``args``,
returns (exit status, stdout, stderr). A SIGALRM watchdog turns a hang into status 124 (the
coreutils ``timeout`` convention), so a property test fails on it instead of stalling; an
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


@contextlib.contextmanager
def _watchdog(seconds: float) -> Iterator[None]:
    def fire(signum: int, frame: object) -> None:
        raise Hang(f"command ran past {seconds} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


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

    124: the command ran past ``timeout_s``. ``max_address_bytes`` caps the virtual address
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
