"""bench/origin_changes.py: a track's origin moving from one platform to another, by kind."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np

_PATH = Path(__file__).resolve().parents[2] / "bench" / "origin_changes.py"


def _mod():  # type: ignore[no-untyped-def]
    if str(_PATH.parent) not in sys.path:     # its sibling module simrun
        sys.path.insert(0, str(_PATH.parent))
    spec = importlib.util.spec_from_file_location("origin_changes", _PATH)
    assert spec is not None and spec.loader is not None
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def _steps(plan: list[tuple[float, int, int]]) -> list[tuple[float, np.ndarray]]:
    return [(t, np.array([[k, j]], np.int64)) for t, k, j in plan]


def test_changes_are_found_with_their_gap_and_separation(tmp_path: Path) -> None:
    m = _mod()
    # track 1 follows platform 0 for 10 updates, then platform 1 right away (10 updates);
    # track 2 follows platform 0, nothing for 100 s, then platform 2 (a wrong re-acquisition)
    plan = [(float(t), 1, 0) for t in range(10)] + [(float(t), 1, 1) for t in range(10, 20)]
    plan += [(float(t), 2, 0) for t in range(5)] + [(float(t), 2, 2) for t in range(105, 115)]
    plan.sort()
    ch = m.origin_changes(_steps(plan))
    got = {(c["track"], c["old"], c["new"]) for c in ch}
    assert got == {(1, 0, 1), (2, 0, 2)}
    gap = {c["track"]: c["gap_s"] for c in ch}
    assert gap[1] <= 10 and gap[2] >= 100
    # platforms 0 and 1 500 m apart, platform 2 20 km away
    (tmp_path / "platforms.csv").write_text('"platform_id"\n"a"\n"b"\n"c"\n')
    rows = ['"t_s","platform_id","lat_deg","lon_deg"']
    for t in range(120):
        rows += [f'{t},"a",50.0,20.0', f'{t},"b",50.0045,20.0', f'{t},"c",50.18,20.0']
    (tmp_path / "truth.csv").write_text("\n".join(rows) + "\n")
    kinds = m.classify(ch, tmp_path / "truth.csv")
    assert kinds == {"near no gap": 1, "far after a gap": 1}
    sep = {c["track"]: c["separation_m"] for c in ch}
    assert 450 <= sep[1] <= 550 and sep[2] > 19_000
    assert {c["track"]: c["new_platform"] for c in ch} == {1: "b", 2: "c"}


def test_false_alarms_and_mixes_are_no_change() -> None:
    m = _mod()
    # a track fed by two platforms in turn never has an 80 % origin after its start: the mix
    # is not a change; false alarms (-1) are not platforms
    plan = [(float(t), 1, 0) for t in range(5)]
    plan += [(float(t), 1, t % 2) for t in range(5, 30)]
    plan += [(float(t), 1, -1) for t in range(30, 40)]
    assert m.origin_changes(_steps(plan)) == []
