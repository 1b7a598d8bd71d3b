"""bench/stitch_check.py: a stitch labelled with the platform before and after it."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

_BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_stitches_are_labelled_with_the_platform_before_and_after(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(_BENCH))
    sc = importlib.import_module("stitch_check")
    # platforms a and b 11 km apart; track 1 reports on a until 40 s and, after a stitch at
    # 60 s, on b (a wrong stitch); track 2 on a before and after (right); track 3 reports
    # nowhere near a platform after its stitch
    tr = ['"t_s","platform_id","lat_deg","lon_deg","alt_m"']
    tk = ['"t_s","track_id","lat_deg","lon_deg","alt_m"']
    for t in range(100):
        tr += [f'{t},"a",50.0,20.0,100', f'{t},"b",50.1,20.0,100']
    for t in list(range(0, 41)) + list(range(60, 100)):
        tk.append(f"{t},1,{50.0 if t <= 40 else 50.1},20.0005,100")
        tk.append(f"{t},2,50.0,19.9995,100")
        tk.append(f"{t},3,{50.1 if t <= 40 else 49.8},20.0,100")
    (tmp_path / "truth.csv").write_text("\n".join(tr) + "\n")
    (tmp_path / "tracks.csv").write_text("\n".join(tk) + "\n")
    log = [{"t_s": 60.0, "lost": i, "gap_s": 20.0, "sd_m": 500.0, "d2": 3.0,
            "rival_set_aside": False} for i in (1, 2, 3)]
    out = {int(s["lost"]): (s["platform_before"], s["platform_after"])  # type: ignore[call-overload]
           for s in sc.label(tmp_path, log)}
    assert out == {1: ("a", "b"), 2: ("a", "a"), 3: ("b", None)}
