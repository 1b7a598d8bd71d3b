"""Backends of a study: where the runs execute. One small interface, ``Backend.run(fn, tasks,
done)``; a task never raises, so a backend only transports tasks and records.

- :class:`InProcessBackend`: ``workers = 1``, one run after the other in this process;
- :class:`ProcessPoolBackend`: a local process pool (``forkserver`` start method);
- :class:`DaskBackend`: Dask distributed, a ``LocalCluster`` or a running scheduler (optional
  extra ``dronewall[dask]``, imported only when used).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from dronewall.errors import ConfigurationError, InputError
from dronewall.pipeline.lifetime import terminate_children, track_pool, worker_init
from dronewall.pipeline.study.task import RunTask, failed_record

#: Start method of the local pool: "forkserver" where available (a clean single-threaded server
#: process imports dronewall once and forks the workers, so a pool starts without re-importing
#: and never copies the caller's threads or locks), else "spawn".
MP_CONTEXT = "forkserver"
#: Modules the fork server imports once: first the guard that ends it with this process, then
#: what one run imports (pyarrow pulls in pandas); missing ones are skipped by multiprocessing.
FORKSERVER_PRELOAD = ["dronewall.pipeline.forkserver_guard", "dronewall.pipeline.study.task",
                      "dronewall.pipeline.simulate", "dronewall.sensors", "dronewall.sim.truth",
                      "dronewall.pipeline.tracking", "dronewall.pipeline.threat",
                      "dronewall.pipeline.engagement", "dronewall.pipeline.airspace",
                      "dronewall.pipeline.classification", "dronewall.pipeline.follow",
                      "dronewall.classify.tracks", "dronewall.data.zones", "pandas",
                      "pyarrow.csv", "dateutil.parser"]

class Backend(Protocol):
    """Runs tasks, calling ``done`` with each record as it completes (any order)."""

    name: str
    workers: int

    def run(self, fn: Callable[[RunTask], dict[str, Any]], tasks: Sequence[RunTask],
            done: Callable[[dict[str, Any]], None]) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...


def _lost(task: RunTask, reason: str) -> dict[str, Any]:
    return failed_record(task.run, task.point, task.index, task.seed, reason, math.nan)


class InProcessBackend:
    """workers = 1: runs one after the other in this process."""

    name, workers = "local", 1

    def run(self, fn: Callable[[RunTask], dict[str, Any]], tasks: Sequence[RunTask],
            done: Callable[[dict[str, Any]], None]) -> None:
        for t in tasks:
            done(fn(t))

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


class ProcessPoolBackend:
    """A local ``concurrent.futures.ProcessPoolExecutor`` of ``workers`` processes."""

    name = "local"

    def __init__(self, workers: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.workers = workers
        if MP_CONTEXT in multiprocessing.get_all_start_methods():
            ctx = multiprocessing.get_context(MP_CONTEXT)
            if MP_CONTEXT == "forkserver":
                ctx.set_forkserver_preload(FORKSERVER_PRELOAD)  # no-op once the server runs
        else:
            ctx = multiprocessing.get_context("spawn")
        # workers end with this process, however it ends (pipeline.lifetime)
        self.ex = track_pool(ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                                 initializer=worker_init,
                                                 initargs=(os.getpid(),)))

    def run(self, fn: Callable[[RunTask], dict[str, Any]], tasks: Sequence[RunTask],
            done: Callable[[dict[str, Any]], None]) -> None:
        from concurrent.futures import as_completed

        futs = {self.ex.submit(fn, t): t for t in tasks}
        for f in as_completed(futs):
            try:
                done(f.result())
            except Exception as e:  # noqa: BLE001 - the worker died (killed, out of memory)
                done(_lost(futs[f], f"worker process failed: {type(e).__name__}: {e}"))

    def close(self) -> None:
        self.ex.shutdown(wait=True, cancel_futures=True)

    def abort(self) -> None:
        """Stop now (Ctrl-C): cancel queued runs and terminate the running ones."""
        terminate_children()


class DaskBackend:
    """Dask distributed: ``address`` "local" starts a LocalCluster on 127.0.0.1 (``workers``
    single-threaded worker processes, no dashboard); otherwise ``tcp://host:port`` of an
    existing scheduler, whose workers must have dronewall installed and see ``out_dir``."""

    name = "dask"

    def __init__(self, address: str, workers: int | None) -> None:
        import logging

        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ConfigurationError(
                "the Dask backend needs the optional dependency dask[distributed]: "
                "pip install 'dronewall[dask]' (or use the local process pool: --workers K)"
            ) from None
        self.cluster = None
        if address == "local":
            n = workers or 1
            self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                        dashboard_address=None, host="127.0.0.1",
                                        silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(address, timeout="30s")
            except (OSError, TimeoutError) as e:
                raise InputError(f"--dask {address}: cannot reach the Dask scheduler ({e}); "
                                 "expected tcp://host:port of a running dask scheduler") from None
        info = self.client.scheduler_info().get("workers", {})
        self.workers = sum(int(w.get("nthreads", 1)) for w in info.values()) or (workers or 0)
        if self.cluster is not None:
            # the local cluster's workers and nannies end with this process (pipeline.lifetime)
            try:
                self.client.run(worker_init, os.getpid())
                self.client.run(worker_init, os.getpid(), nanny=True)
            except Exception:  # noqa: BLE001 - best effort: the cluster still closes normally
                pass

    def run(self, fn: Callable[[RunTask], dict[str, Any]], tasks: Sequence[RunTask],
            done: Callable[[dict[str, Any]], None]) -> None:
        from distributed import as_completed

        futs = self.client.map(fn, list(tasks), pure=False)
        by_key = {f.key: t for f, t in zip(futs, tasks, strict=True)}
        for f in as_completed(futs):
            try:
                done(f.result())
            except Exception as e:  # noqa: BLE001 - worker lost / task not deserialisable
                done(_lost(by_key[f.key], f"dask task failed: {type(e).__name__}: {e}"))
            f.release()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def abort(self) -> None:
        """Stop now (Ctrl-C): cancel the submitted runs and close the cluster."""
        try:
            self.client.cancel(list(self.client.futures), force=True)
        except Exception:  # noqa: BLE001 - closing anyway
            pass


def make_backend(runs_total: int, workers: int | None, dask_address: str | None) -> Backend:
    """The backend for these options: Dask when ``dask_address`` is set, else the local pool
    (``workers`` default min(cpu count, runs); 1 runs in this process)."""
    if workers is not None and workers < 1:
        raise InputError(f"--workers: got {workers}; expected a positive number of workers")
    n = workers if workers is not None else min(os.cpu_count() or 1, max(runs_total, 1))
    if dask_address is not None:
        return DaskBackend(dask_address, n)
    return InProcessBackend() if n <= 1 else ProcessPoolBackend(n)

