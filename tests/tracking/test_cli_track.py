"""Neutral-format CLI: accuracy vs the Stone Soup baseline, determinism, input errors."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dronewall.cli.track import track_command
from dronewall.errors import DataFormatError
from dronewall.metrics import ScanData, tracking_metrics

GEN = Path(__file__).resolve().parents[3] / "shared" / "bench" / "stonesoup" / "gen_scenario.py"
STONESOUP_GNN_GOSPA_N10 = 362.0   # RESULTS.md, run 2, gnn N = 10 (seed 1010)


@pytest.fixture(scope="session")  # once per worker, whatever the test order
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not GEN.exists():
        pytest.skip("shared gen_scenario.py not present")
    d = tmp_path_factory.mktemp("n10")
    subprocess.run([sys.executable, str(GEN), "--n-targets", "10", "--scans", "100",
                    "--seed", "1010", "--out", str(d)], check=True, capture_output=True)
    return d


def _load(path: Path) -> np.ndarray:
    return np.atleast_1d(np.genfromtxt(path, delimiter=",", names=True))


def _gospa_mean(truth: Path, tracks: Path) -> float:
    tr, tk = _load(truth), _load(tracks)
    scans = []
    for s in np.unique(tr["scan"]):
        a = tr[tr["scan"] == s]
        b = tk[tk["scan"] == s] if tk.size else tk
        scans.append(ScanData(float(s), a["target_id"], np.column_stack([a["x"], a["y"]]),
                              b["track_id"], np.column_stack([b["x"], b["y"]])))
    return tracking_metrics(scans).gospa_mean


@pytest.mark.parametrize("assoc", ["gnn", "jpda"])
def test_cli_beats_stonesoup_gnn_on_n10(scenario: Path, tmp_path: Path, assoc: str) -> None:
    out = tmp_path / "tracks.csv"
    stats = track_command(scenario / "detections.csv", scenario / "scenario.json", out, assoc)
    assert stats["scans_processed"] == 100
    g = _gospa_mean(scenario / "truth.csv", out)
    assert g <= STONESOUP_GNN_GOSPA_N10, g
    header = out.read_text().splitlines()[0]
    assert header == "scan,time,track_id,x,y"


def test_cli_is_deterministic(scenario: Path, tmp_path: Path) -> None:
    h = []
    for i in range(2):
        out = tmp_path / f"t{i}.csv"
        track_command(scenario / "detections.csv", scenario / "scenario.json", out)
        h.append(hashlib.sha256(out.read_bytes()).hexdigest())
    assert h[0] == h[1]


def _write(p: Path, text: str) -> Path:
    p.write_text(text)
    return p


def test_cli_bad_input_errors(tmp_path: Path) -> None:
    sc = _write(tmp_path / "s.json", '{"sigma": 50, "pd": 0.9, "clutter_density_per_m2": 1e-9,'
                                     ' "dt": 1.0}')
    out = tmp_path / "o.csv"
    with pytest.raises(DataFormatError, match="missing.csv"):
        track_command(tmp_path / "missing.csv", sc, out)
    det = _write(tmp_path / "d.csv", "scan,time,x\n0,0.0,1.0\n")
    with pytest.raises(DataFormatError, match=r"d\.csv: line 1: missing column 'y'"):
        track_command(det, sc, out)
    det = _write(tmp_path / "d2.csv", "scan,time,x,y\n0,0.0,1.0,2.0\n0,0.0,abc,2.0\n")
    with pytest.raises(DataFormatError,
                       match=r"d2\.csv: line 3, column 'x': got 'abc'; expected a number"):
        track_command(det, sc, out)
    det = _write(tmp_path / "d3.csv", "scan,time,x,y\n1,1.0,1.0,2.0\n0,0.0,1.0,2.0\n")
    with pytest.raises(DataFormatError, match="ascending"):
        track_command(det, sc, out)
    bad_sc = _write(tmp_path / "b.json", '{"sigma": 50, "pd": 0.9, "dt": 1.0}')
    with pytest.raises(DataFormatError, match="clutter_density_per_m2"):
        track_command(tmp_path / "d.csv", bad_sc, out)
    bad_json = _write(tmp_path / "c.json", '{"sigma": 50,\n "pd": }')
    with pytest.raises(DataFormatError, match=r"c\.json: line 2"):
        track_command(tmp_path / "d.csv", bad_json, out)
