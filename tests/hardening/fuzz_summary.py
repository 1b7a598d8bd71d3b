"""Summarise a ``make fuzz`` run: the JSON lines ``fuzz_harness.Stats.report`` appended.

    python tests/hardening/fuzz_summary.py out/fuzz/report.jsonl [PYTEST_EXIT_STATUS]

Prints one row per fuzz test (inputs, exit codes, slowest call, wall time, peak RSS) and the
totals the acceptance of issue 14 asks for: generated inputs, time, internal errors (exit 1),
hangs (watchdog, exit 124) and the peak RSS of the test process. Exits non-zero when the
pytest run failed (second argument), an internal error or hang was recorded, or the peak RSS
reached 2 GiB.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    path = Path(argv[0])
    status = int(argv[1]) if len(argv) > 1 else 0
    lines = [json.loads(ln) for ln in path.read_text().splitlines() if ln.strip()] \
        if path.is_file() else []
    # one record per test: its chunks (``test_x[3]``, one hypothesis run each) summed
    by_test: dict[str, dict[str, Any]] = {}
    for r in lines:
        name = r["test"].split("[")[0]
        g = by_test.setdefault(name, {"test": name, "inputs": 0, "exit_codes": {},
                                      "slowest_call_s": 0.0, "wall_s": 0.0,
                                      "peak_rss_mib": 0.0, "chunks": 0})
        g["inputs"] += r["inputs"]
        g["wall_s"] += r["wall_s"]
        g["chunks"] += 1
        for k, v in r["exit_codes"].items():
            g["exit_codes"][k] = g["exit_codes"].get(k, 0) + v
        g["slowest_call_s"] = max(g["slowest_call_s"], r["slowest_call_s"])
        g["peak_rss_mib"] = max(g["peak_rss_mib"], r["peak_rss_mib"])
    recs = list(by_test.values())
    total = wall = 0.0
    codes: dict[str, int] = {}
    slowest = peak = 0.0
    print(f"{'test':32s} {'runs':>5s} {'inputs':>8s} {'exit 0':>8s} {'exit 2':>8s} "
          f"{'other':>6s} {'slowest s':>9s} {'wall s':>8s} {'peak RSS MiB':>12s}")
    for r in recs:
        c = r["exit_codes"]
        other = sum(v for k, v in c.items() if k not in ("0", "2"))
        print(f"{r['test']:32s} {r['chunks']:5d} {r['inputs']:8d} {c.get('0', 0):8d} "
              f"{c.get('2', 0):8d} "
              f"{other:6d} {r['slowest_call_s']:9.2f} {r['wall_s']:8.1f} "
              f"{r['peak_rss_mib']:12.1f}")
        total += r["inputs"]
        wall += r["wall_s"]
        for k, v in c.items():
            codes[k] = codes.get(k, 0) + v
        slowest = max(slowest, r["slowest_call_s"])
        peak = max(peak, r["peak_rss_mib"])
    internal = codes.get("1", 0)
    hangs = codes.get("124", 0)
    rate = total / wall if wall else 0.0
    print(f"\ninputs {int(total):,} in {wall:,.0f} s ({rate:.1f}/s); exit codes "
          f"{dict(sorted(codes.items()))}; internal errors {internal}; hangs (> watchdog) "
          f"{hangs}; slowest call {slowest:.2f} s; peak RSS {peak:.0f} MiB; pytest exit {status}")
    bad = status != 0 or internal or hangs or peak >= 2048 or not recs
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
