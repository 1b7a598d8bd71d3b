"""Budget, oracle and accounting of the property / fuzz tests.

* ``examples(weight)``: hypothesis ``max_examples`` for a test. In the normal suite it is
  small (``CI_EXAMPLES`` x weight / 10, at least ``CI_MIN_EXAMPLES``: about 300 inputs, well
  under a minute for all formats on one core); ``make fuzz``
  sets ``DRONEWALL_FUZZ=N`` (total generated inputs over all formats) and each test gets its
  share ``N x weight / sum of weights``.
* ``cli_oracle(args, inputs)``: runs the command in-process under a watchdog (``HANG_S``) and an
  address-space cap (``MEMORY_CAP_BYTES`` above the process's current size), and asserts the
  contract of the README: exit 0, or exit 2 with a one-paragraph message naming one of the
  input files or options -- never exit 1 (internal error), never a traceback, never a hang,
  never unbounded memory.
* ``Stats``: per test, the number of inputs, exit codes, slowest call and peak RSS; with
  ``DRONEWALL_FUZZ_REPORT=path`` one JSON line per test is appended there (``make fuzz``
  aggregates them into docs/benchmarks.md).
"""

from __future__ import annotations

import json
import math
import os
import resource
import shutil
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from cli_run import run_cli
from hypothesis import HealthCheck, settings

#: Examples per 10 units of weight in the normal test suite, and the least any test gets.
CI_EXAMPLES = int(os.environ.get("DRONEWALL_CI_EXAMPLES", "24"))
CI_MIN_EXAMPLES = 20
#: Total generated inputs of a ``make fuzz`` run (0: normal suite).
FUZZ_TOTAL = int(os.environ.get("DRONEWALL_FUZZ", "0"))
#: Sum of the weights of all fuzz tests (keep in step with the @fuzz_settings calls;
#: ``test_fuzz_cli.test_weights_add_up`` checks it).
TOTAL_WEIGHT = 91.0
#: Weights passed to :func:`fuzz_settings` so far, in call order.
WEIGHTS: list[float] = []
#: A command using more CPU time than this is a hang, s (the acceptance criterion is 30 s; on
#: a shared machine wall time measures the other jobs: ``cli_run.WALL_FACTOR``).
HANG_S = float(os.environ.get("DRONEWALL_FUZZ_HANG_S", "30"))
#: Address space a single command may add, bytes (peak RSS must stay under 2 GiB).
MEMORY_CAP_BYTES = 2 * 2**30


#: Most examples of one hypothesis run. A run keeps what it learnt of every example (its
#: choice sequence, ~100-200 kB for these documents) until it ends, so 20,000 examples in one
#: run hold ~2 GB: ``make fuzz`` splits a test's share into runs of at most this many (the
#: test is parametrized by ``chunk``; ``test_fuzz_cli.pytest_generate_tests``).
CHUNK_EXAMPLES = int(os.environ.get("DRONEWALL_FUZZ_CHUNK", "1000"))

F = TypeVar("F", bound=Callable[..., Any])


def examples(weight: float) -> int:
    """Generated inputs of a test of this weight, all its chunks together."""
    if FUZZ_TOTAL > 0:
        return max(1, round(FUZZ_TOTAL * weight / TOTAL_WEIGHT))
    return max(min(CI_MIN_EXAMPLES, CI_EXAMPLES), round(CI_EXAMPLES * weight / 10.0))


def chunks(weight: float) -> int:
    """Separate hypothesis runs (``chunk`` parameters) of a test of this weight."""
    return max(1, math.ceil(examples(weight) / CHUNK_EXAMPLES))


def fuzz_settings(weight: float) -> Callable[[F], F]:
    """Hypothesis settings of one fuzz test (no deadline: the watchdog decides on hangs); the
    test's number of chunks is left on it as ``fuzz_chunks``."""
    WEIGHTS.append(weight)
    n = chunks(weight)
    s = settings(max_examples=math.ceil(examples(weight) / n), deadline=None, database=None,
                 derandomize=FUZZ_TOTAL == 0, print_blob=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.filter_too_much,
                                        HealthCheck.function_scoped_fixture,
                                        HealthCheck.large_base_example])

    def apply(fn: F) -> F:
        out = s(fn)
        out.fuzz_chunks = n  # type: ignore[attr-defined]
        return out

    return apply


def _vm_size() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@dataclass
class Stats:
    name: str
    inputs: int = 0
    codes: Counter[int] = field(default_factory=Counter)
    slowest_s: float = 0.0
    t0: float = field(default_factory=time.perf_counter)

    def record(self, code: int, wall_s: float) -> None:
        self.inputs += 1
        self.codes[code] += 1
        self.slowest_s = max(self.slowest_s, wall_s)

    def report(self) -> dict[str, object]:
        rec = {"test": self.name, "inputs": self.inputs,
               "exit_codes": {str(k): v for k, v in sorted(self.codes.items())},
               "slowest_call_s": round(self.slowest_s, 3),
               "wall_s": round(time.perf_counter() - self.t0, 1),
               "peak_rss_mib": round(peak_rss_mib(), 1), "pid": os.getpid()}
        path = os.environ.get("DRONEWALL_FUZZ_REPORT")
        if path:
            with open(path, "a", encoding="utf-8") as f:
                f.write(json.dumps(rec) + "\n")
        return rec


def _keep_inputs(args: Sequence[str | Path], code: int) -> None:
    """With DRONEWALL_FUZZ_KEEP=DIR, copy the input files of a failing call there (with the
    command line), to replay it outside hypothesis."""
    keep = os.environ.get("DRONEWALL_FUZZ_KEEP")
    if not keep:
        return
    d = Path(keep) / f"{time.strftime('%H%M%S')}-{os.getpid()}-{code}-{time.perf_counter_ns()}"
    d.mkdir(parents=True, exist_ok=True)
    for a in args:
        p = Path(str(a))
        if p.is_file() and not str(p).startswith("/dev/"):
            shutil.copy(p, d / p.name)
    (d / "args.json").write_text(json.dumps([str(a) for a in args]))


def cli_oracle(args: Sequence[str | Path], inputs: Sequence[str], stats: Stats | None = None,
               ok_check: object = None) -> tuple[int, str, str]:
    """Run ``dronewall ARGS`` and assert the error contract (module docstring). ``inputs``:
    names (file names, option names) of which an exit-2 message must mention one."""
    cap = _vm_size() + MEMORY_CAP_BYTES if _vm_size() else None
    t0 = time.perf_counter()
    code, out, err = run_cli([str(a) for a in args], timeout_s=HANG_S, max_address_bytes=cap)
    wall = time.perf_counter() - t0
    if stats is not None:
        stats.record(code, wall)
    if code not in (0, 2) or "Traceback" in err or len(err) >= 4000:
        _keep_inputs(args, code)
    assert code != 124, f"hang: {args} ran past {HANG_S} s\n{err[-1500:]}"
    assert code in (0, 2), f"exit {code} for {args}:\n{err[-3000:]}"
    assert "Traceback" not in err, err[-3000:]
    if code == 2:
        assert len(err) < 4000, f"message too long ({len(err)} chars): {err[:500]}"
        assert any(n in err for n in inputs), f"message names none of {inputs}: {err[-800:]}"
    return code, out, err
