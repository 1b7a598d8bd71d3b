"""bench/id_sources.py and bench/merge_check.py: ids per class by the gap they began after;
duplicate merges labelled with the platform each member followed."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

_BENCH = Path(__file__).resolve().parents[2] / "bench"


def _write(run: Path, tracks: list[str]) -> None:
    """Platforms a (a bird flock) and b (a decoy), 11 km apart, 0-999 s; ``tracks`` rows
    ``t,track_id,lat,lon,alt,last_update_t_s``."""
    tr = ['"t_s","platform_id","lat_deg","lon_deg","alt_m"']
    for t in range(1000):
        tr += [f'{t},"a",50.0,20.0,100', f'{t},"b",50.1,20.0,100']
    (run / "truth.csv").write_text("\n".join(tr) + "\n")
    (run / "tracks.csv").write_text(
        '"t_s","track_id","lat_deg","lon_deg","alt_m","last_update_t_s"\n'
        + "\n".join(tracks) + "\n")
    (run / "platforms.csv").write_text('"platform_id","class"\n"a","bird"\n"b","decoy"\n')


def test_ids_are_counted_per_class_by_the_gap_they_began_after(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(_BENCH))
    ids = importlib.import_module("id_sources")
    rows = []
    # flock a: track 1 (0-100 s), track 2 from 130 s (30 s gap), track 3 from 600 s (>300 s
    # after track 2's last report at 200 s), track 4 at 150-160 s beside track 2 (overlap),
    # located once only
    for t in range(0, 101):
        rows.append(f"{t},1,50.0,20.0,100,{t}")
    for t in range(130, 201):
        rows.append(f"{t},2,50.0,20.0005,100,{t}")
    for t in range(600, 700):
        rows.append(f"{t},3,50.0,19.9995,100,{t}")
    for t in range(150, 161):
        rows.append(f"{t},4,50.0,20.0,100,150")
    # decoy b: track 5 (0-500 s), track 6 from 700 s: a 60-300 s gap
    for t in range(0, 501):
        rows.append(f"{t},5,50.1,20.0,100,{t}")
    for t in range(700, 800):
        rows.append(f"{t},6,50.1,20.0,100,{t}")
    # track 7 never near a platform
    for t in range(0, 50):
        rows.append(f"{t},7,49.5,20.0,100,{t}")
    _write(tmp_path, rows)
    res = ids.id_sources(tmp_path)
    assert res["bird"] == {"ids": 4, "few_updates": 1, "platforms": 1, "<=60 s": 1,
                           "overlap": 1, ">300 s": 1}
    assert res["decoy"] == {"ids": 2, "few_updates": 0, "platforms": 1, "60-300 s": 1}
    assert res["none"] == {"ids": 1, "few_updates": 0}
    assert ids.main([str(tmp_path)]) == 0
    # not a simulate output folder: a clear message, exit 2
    assert ids.main([str(tmp_path / "nope")]) == 2


def test_duplicate_merges_are_labelled_with_each_members_platform(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(_BENCH))
    mc = importlib.import_module("merge_check")
    rows = []
    # merge at 100 s: tracks 1 (on a) and 2 (located on b until 80 s, then coasting predictions
    # drawn onto a: not used) -> two platforms; tracks 3 and 4 both on a -> one platform;
    # track 5 never located -> unknown
    for t in range(0, 100):
        rows.append(f"{t},1,50.0,20.0,100,{t}")
        rows.append(f"{t},2,{50.1 if t <= 80 else 50.0},20.0,100,{min(t, 80)}")
        rows.append(f"{t},3,50.0,20.0005,100,{t}")
        rows.append(f"{t},4,50.0,19.9995,100,{t}")
        rows.append(f"{t},5,50.0,20.0,100,nan")
    _write(tmp_path, rows)
    log = [{"t_s": 100.0, "a": a, "b": b, "a_unlocated_s": ua, "b_unlocated_s": 1.0,
            "a_sd_m": 300.0, "b_sd_m": 200.0, "distance_m": 400.0}
           for a, b, ua in ((2, 1, 20.0), (4, 3, 1.0), (5, 1, 1.0))]
    out = mc.label(tmp_path, log)
    assert [(s["platform_a"], s["platform_b"], s["same"]) for s in out] == [
        ("b", "a", False), ("a", "a", True), (None, "a", None)]
    assert mc.summary(out) == {"merges": 3, "two_platforms": 1, "two_platforms_stale": 1,
                               "one_platform": 1, "one_platform_stale": 0, "unknown": 1,
                               "unknown_stale": 0}
