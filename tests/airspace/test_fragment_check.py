"""bench/fragment_check.py: episodes whose fragments followed different platforms."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

_BENCH = Path(__file__).resolve().parents[2] / "bench"


def _write_run(d: Path) -> None:
    # platforms a (lat 50.00) and b (lat 50.10, 11 km north), both still; tracks 1 and 2 sit
    # on a, track 3 on b, track 4 20 km from both
    tr = ['"t_s","platform_id","lat_deg","lon_deg","alt_m"']
    tk = ['"t_s","track_id","lat_deg","lon_deg","alt_m"']
    for t in range(0, 100):
        tr += [f'{t},"a",50.0,20.0,100', f'{t},"b",50.1,20.0,100']
    for t in range(0, 50):
        tk += [f"{t},1,50.0,20.0005,100", f"{t},3,50.1,20.0005,100",
               f"{t},4,49.8,20.0,100"]
    for t in range(50, 100):
        tk += [f"{t},2,50.0,19.9995,100"]
    (d / "truth.csv").write_text("\n".join(tr) + "\n")
    (d / "tracks.csv").write_text("\n".join(tk) + "\n")
    eps = [{"episode_id": "E1", "zone_id": "z", "track_id": 1, "fragments": [1, 2],
            "entry_t_s": 0.0, "exit_t_s": 99.0, "track_quality": "high"},
           {"episode_id": "E2", "zone_id": "z", "track_id": 1, "fragments": [1, 3],
            "entry_t_s": 0.0, "exit_t_s": 49.0, "track_quality": "low"},
           {"episode_id": "E3", "zone_id": "z", "track_id": 1, "fragments": [1, 4],
            "entry_t_s": 0.0, "exit_t_s": 49.0, "track_quality": "low"},
           {"episode_id": "E4", "zone_id": "z", "track_id": 3, "fragments": [3],
            "entry_t_s": 0.0, "exit_t_s": 49.0, "track_quality": "high"},
           {"episode_id": "E5", "zone_id": "z", "track_id": 1, "fragments": [1, 3],
            "entry_t_s": 0.0, "exit_t_s": 49.0, "track_quality": "high",
            "cooperative": "authorised"}]
    (d / "episodes.jsonl").write_text("".join(json.dumps(e) + "\n" for e in eps))


def test_joins_of_different_platforms_are_counted(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.syspath_prepend(str(_BENCH))
    fc = importlib.import_module("fragment_check")
    _write_run(tmp_path)
    rows, tot = fc.check(tmp_path)
    by = {r["episode"]: r for r in rows}
    # E1: two tracks on one platform; E2: a and b; E3: a and nothing near (not a mix);
    # E4 single-track and E5 authorised are not judged
    assert set(by) == {"E1", "E2", "E3"}
    assert by["E1"]["platforms"] == ["a", "a"] and not by["E1"]["mixed"]
    assert by["E2"]["platforms"] == ["a", "b"] and by["E2"]["mixed"]
    assert by["E3"]["platforms"] == ["a", None] and not by["E3"]["mixed"]
    assert tot["multi_fragment"] == 3 and tot["mixed"] == 1
    assert tot["mixed_low"] == 1 and tot["mixed_high"] == 0
    assert fc.main([str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["mixed"] == 1
    (tmp_path / "tracks.csv").unlink()
    assert fc.main([str(tmp_path)]) == 2
