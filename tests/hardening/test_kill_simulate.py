"""``kill -9`` of ``dronewall simulate`` (issue 14): outputs never lie, workers never outlive it.

The output folder starts with an earlier finished run's summary.json. ``simulate`` is killed
with SIGKILL at several moments (while Python starts, once it marked the folder, while its
doctrine-comparison worker processes run). After each kill:

* a ``summary.json`` in the folder can only be the untouched earlier one (the command died
  before it touched the folder) -- never beside a half-written new run;
* every process the command started has ended within 5 s of its death;

and a new run into the same folder is accepted and finishes with its own summary.json. The same
holds for the worker pool of a Monte-Carlo study (``--runs``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from dronewall.pipeline.lifetime import pid_running
from dronewall.pipeline.outdir import MARKER

REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "tests" / "data" / "mc-small.yaml"   # has effectors: doctrine workers start
OLD = {"scenario": "mc-small", "seed": 1, "steps": 3, "note": "an earlier, finished run"}
ORPHAN_S = 5.0


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for e in os.scandir("/proc"):
        if not e.name.isdigit():
            continue
        try:
            with open(f"/proc/{e.name}/stat", "rb") as f:
                ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(e.name))
    return kids


def _descendants(pid: int) -> set[int]:
    kids, out, todo = _children(), set(), [pid]
    while todo:
        for c in kids.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return {p for p in out if pid_running(p)}


def _simulate(out: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "dronewall.cli.main", "simulate",
                             str(SCENARIO), "--out", str(out), *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                            start_new_session=True)


def _wait_for(cond: Callable[[], bool], proc: subprocess.Popen[bytes], timeout_s: float,
              seen: set[int]) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s and proc.poll() is None:
        seen |= _descendants(proc.pid)
        if cond():
            return
        time.sleep(0.05)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_never_leaves_a_stale_summary_and_no_orphans(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "summary.json").write_text(json.dumps(OLD))
    sj = out / "summary.json"
    moments: dict[str, Callable[[subprocess.Popen[bytes], set[int]], None]] = {
        "starting": lambda p, s: time.sleep(0.3),
        "folder marked": lambda p, s: _wait_for(lambda: (out / MARKER).exists(), p, 60.0, s),
        "workers running": lambda p, s: _wait_for(lambda: len(s & _descendants(p.pid)) >= 3,
                                                  p, 60.0, s),
    }
    killed_with_workers = 0
    for moment, wait in moments.items():
        proc = _simulate(out, "--duration", "600")
        seen: set[int] = set()
        wait(proc, seen)
        if moment == "workers running":
            time.sleep(1.0)     # the workers are importing / simulating
        seen |= _descendants(proc.pid)
        assert proc.poll() is None, f"simulate ended before the kill ({moment})"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        t_kill = time.monotonic()
        while any(pid_running(p) for p in seen) and time.monotonic() - t_kill < ORPHAN_S:
            time.sleep(0.05)
        alive = [p for p in seen if pid_running(p)]
        for p in alive:                 # clean up before failing
            os.kill(p, signal.SIGKILL)
        assert not alive, f"{moment}: processes alive {ORPHAN_S} s after the kill: {alive}"
        killed_with_workers += moment == "workers running" and len(seen) >= 3
        if sj.exists():   # only the untouched earlier summary: the command died before it began
            assert json.loads(sj.read_text()) == OLD, moment
            assert not (out / MARKER).exists(), moment
            assert sorted(p.name for p in out.iterdir()) == ["summary.json"], moment
    assert killed_with_workers == 1
    assert not sj.exists()      # the later kills came after the folder was taken over

    # the killed run's folder is taken by the next run, which finishes with its own summary
    done = subprocess.run([sys.executable, "-m", "dronewall.cli.main", "simulate", str(SCENARIO),
                           "--out", str(out), "--duration", "5", "--no-compare-doctrines"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(sj.read_text())
    assert summary != OLD and summary["scenario"] == "mc-small"
    assert not (out / MARKER).exists()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc, PDEATHSIG")
def test_kill_9_of_a_study_ends_its_pool_workers(tmp_path: Path) -> None:
    """The same for a Monte-Carlo study's worker pool: killed with its workers busy, no worker
    outlives the parent by 5 s and no summary.json appears. The workers are stopped (SIGSTOP)
    before the kill, so their own watchdog threads cannot run: only the kernel's parent-death
    signal -- the fork server bound to the dronewall process, the workers to the fork server --
    can end them (SIGKILL ends a stopped process)."""
    out = tmp_path / "study"
    proc = _simulate(out, "--runs", "8", "--workers", "2", "--duration", "3600")
    seen: set[int] = set()

    def server_and_workers() -> tuple[int, list[int]]:
        kids = _children()
        for p in kids.get(proc.pid, []):      # the server; the workers it forks share its cmdline
            if "multiprocessing.forkserver" in _cmdline(p):
                return p, [w for w in kids.get(p, []) if pid_running(w)]
        return 0, []

    _wait_for(lambda: len(server_and_workers()[1]) >= 2, proc, 60.0, seen)
    time.sleep(1.0)
    seen |= _descendants(proc.pid)
    server, workers = server_and_workers()
    assert proc.poll() is None and server and len(workers) >= 2, (seen, server, workers)
    for w in workers:
        os.kill(w, signal.SIGSTOP)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    t_kill = time.monotonic()
    while any(pid_running(p) for p in seen) and time.monotonic() - t_kill < ORPHAN_S:
        time.sleep(0.05)
    alive = [p for p in seen if pid_running(p)]
    for p in alive:
        os.kill(p, signal.SIGKILL)
        os.kill(p, signal.SIGCONT)
    assert not alive, f"processes alive {ORPHAN_S} s after the kill: {alive}"
    assert not (out / "summary.json").exists()
