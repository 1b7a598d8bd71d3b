"""No orphans: dronewall's worker processes end when the process that started them ends.

* Workers (doctrine comparison runs, study pools, Dask workers and nannies of a local
  cluster) run :func:`worker_init` with the parent's pid: on Linux the kernel sends them
  ``SIGKILL`` when their direct parent dies (``PR_SET_PDEATHSIG``), and on every platform a
  daemon thread checks twice a second that the dronewall parent is still running and kills its
  own process otherwise. Either way a worker outlives a killed parent (SIGINT, SIGTERM, SIGKILL)
  by at most :data:`WATCH_PERIOD_S` plus the time to exit.
* A study pool's fork server (the process that forks the workers, a child of the dronewall
  process) imports :mod:`dronewall.pipeline.forkserver_guard` first, which binds it to its
  parent the same way; the workers, bound to the fork server, then end with it at once -- the
  kernel's signals do not wait for a busy worker's watchdog thread to get the interpreter.
* The parent registers its process pools with :func:`track_pool`; :func:`terminate_children`
  (the CLI calls it on Ctrl-C / SIGTERM and on any error) terminates their processes at once
  instead of waiting for running tasks to finish.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import weakref
from typing import Any

#: Seconds between two checks of the parent by a worker's watchdog thread.
WATCH_PERIOD_S = 0.5
_PR_SET_PDEATHSIG = 1
_pools: weakref.WeakSet[Any] = weakref.WeakSet()
_watchdog_started = False


def pid_running(pid: int) -> bool:
    """True if process ``pid`` exists and is not a zombie (an exited process not yet reaped
    by its own parent counts as ended)."""
    if pid <= 0:
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X")
    except FileNotFoundError:
        return False
    except (OSError, IndexError):
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _set_pdeathsig() -> None:
    """Linux: ask the kernel for SIGKILL when the (direct) parent process exits."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _watch(parent_pid: int, ppid0: int) -> None:
    import time

    while True:
        time.sleep(WATCH_PERIOD_S)
        if os.getppid() != ppid0 or not pid_running(parent_pid):
            os.kill(os.getpid(), signal.SIGKILL)


def worker_init(parent_pid: int) -> None:
    """Initializer of a worker process: end it when ``parent_pid`` (the dronewall process that
    started the work) ends. Idempotent."""
    global _watchdog_started
    # bind to the direct parent only where that is the dronewall process itself or the fork
    # server bound to it: PDEATHSIG fires when the parent *thread* ends, and other parents
    # (a Dask nanny) may start workers from threads that end before the work does
    if parent_pid == os.getppid() or _parent_is_fork_server():
        _set_pdeathsig()
    if _watchdog_started:
        return
    _watchdog_started = True
    threading.Thread(target=_watch, args=(parent_pid, os.getppid()), daemon=True,
                     name="dronewall-parent-watchdog").start()
    if not pid_running(parent_pid):      # the parent died before we got here
        os.kill(os.getpid(), signal.SIGKILL)


def track_pool(pool: Any) -> Any:
    """Register a ``concurrent.futures.ProcessPoolExecutor`` whose processes
    :func:`terminate_children` may end; returns it."""
    _pools.add(pool)
    return pool


def terminate_children() -> int:
    """Terminate the processes of every registered pool now (SIGTERM, then SIGKILL after a
    second) and shut the pools down without waiting; returns how many were signalled."""
    procs = []
    for pool in list(_pools):
        procs += list((getattr(pool, "_processes", None) or {}).values())
        try:
            pool.shutdown(wait=False, cancel_futures=True)
        except Exception:  # noqa: BLE001 - a broken pool is what we are cleaning up
            pass
    for p in procs:
        try:
            p.terminate()
        except (OSError, ValueError, AttributeError):
            pass
    for p in procs:
        try:
            p.join(1.0)
            if p.is_alive():
                p.kill()
        except (OSError, ValueError, AttributeError, AssertionError):
            pass
    return len(procs)


def in_fork_server() -> bool:
    """True in multiprocessing's fork-server process (started as ``python -c "from
    multiprocessing.forkserver import main; ..."``); meant for code the server imports (the
    workers it forks get the parent's ``sys.argv`` back)."""
    return sys.argv[:1] == ["-c"] and "multiprocessing.forkserver" in sys.modules


def _parent_is_fork_server() -> bool:
    """Linux: the direct parent process is a multiprocessing fork server."""
    try:
        with open(f"/proc/{os.getppid()}/cmdline", "rb") as f:
            return b"multiprocessing.forkserver" in f.read()
    except OSError:
        return False


def bind_to_parent() -> None:
    """End this process (SIGKILL from the kernel, on Linux) when its parent process ends; if
    the parent is already gone (re-parented to init), end now."""
    ppid0 = os.getppid()
    _set_pdeathsig()
    if ppid0 == 1 or not pid_running(ppid0):
        os.kill(os.getpid(), signal.SIGKILL)
