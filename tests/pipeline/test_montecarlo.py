"""Monte-Carlo studies: identical per-run metrics whatever the backend and worker count, seeds
that depend only on the run index, per-run failure reporting in sweeps, aggregates and a
deterministic summary.json."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from dronewall.errors import InputError
from dronewall.pipeline.study import (
    aggregate,
    apply_params,
    parse_sweep,
    run_seed,
    run_study,
    sensor_coverage,
)
from dronewall.scenario import parse_scenario
from dronewall.sensors.radar import pd_swerling, snr_for_pd

# a long module-wide run: collected first (tests/conftest.py); `--dist loadfile` gives the
# whole module to one worker, and the session-scoped run is computed once there
pytestmark = pytest.mark.heavy

# A small defended plant: Shaheds and decoys launched ~11 km east, a radar, an acoustic node,
# interceptor drones and a gun; a 150 s cut gives violations, engagements and leakers in ~2 s.
SMALL = (Path(__file__).resolve().parents[1] / "data" / "mc-small.yaml").read_text()
RUNS = 4
CUT_S = 150.0


@pytest.fixture(scope="session")  # once per worker, whatever the test order
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("sc") / "small.yaml"
    p.write_text(SMALL)
    return p


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return [{k: v for k, v in r.items() if k != "wall_s"} for r in csv.DictReader(f)]


@pytest.fixture(scope="session")  # once per worker, whatever the test order
def serial(scenario: Path, tmp_path_factory: pytest.TempPathFactory):
    return run_study(scenario, tmp_path_factory.mktemp("w1"), RUNS, workers=1,
                     duration_s=CUT_S, progress=False)


def test_pool_of_two_matches_serial(serial, scenario: Path, tmp_path: Path) -> None:
    res = run_study(scenario, tmp_path, RUNS, workers=2, duration_s=CUT_S, progress=False)
    assert res.summary["backend"] == "local" and res.summary["workers"] == 2
    a, b = _rows(serial.runs_csv), _rows(res.runs_csv)
    assert len(a) == RUNS and all(r["status"] == "ok" for r in a)
    assert a == b
    assert float(a[0]["violations_truth"]) >= 1  # the scenario exercises the metrics
    assert float(a[0]["shots"]) >= 1


def test_dask_local_cluster_matches_serial(serial, scenario: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    res = run_study(scenario, tmp_path, RUNS, workers=2, dask_address="local",
                    duration_s=CUT_S, progress=False)
    assert res.summary["backend"] == "dask"
    assert _rows(serial.runs_csv) == _rows(res.runs_csv)


def test_seeds_depend_only_on_run_index(serial) -> None:
    seeds = [int(r["seed"]) for r in _rows(serial.runs_csv)]
    assert seeds == [run_seed(3, i) for i in range(RUNS)]  # base seed = scenario seed
    assert seeds == serial.summary["seeds"] and len(set(seeds)) == RUNS
    assert run_seed(3, 2) == int(np.random.SeedSequence([3, 2]).generate_state(1)[0])


def test_outputs_kept_for_first_run_only(serial) -> None:
    runs = serial.out_dir / "runs"
    assert (runs / "run-0000" / "tracks.csv").is_file()
    for i in range(1, RUNS):
        assert sorted(p.name for p in (runs / f"run-{i:04d}").iterdir()) == ["summary.json"]


def test_aggregates(serial) -> None:
    aggs = serial.aggregates
    for name, a in aggs.items():
        if a["n"] >= 2:
            assert a["ci95_low"] <= a["mean"] <= a["ci95_high"], name
            assert all(math.isfinite(a[k]) for k in ("std", "ci95_low", "ci95_high")), name
            assert a["p10"] <= a["median"] <= a["p90"], name
    assert aggs["gospa_mean_m"]["n"] == RUNS
    vals = [float(r["gospa_mean_m"]) for r in _rows(serial.runs_csv)]
    assert aggs["gospa_mean_m"]["mean"] == pytest.approx(np.mean(vals))


def test_aggregate_reference() -> None:
    a = aggregate([1.0, 2.0, 3.0, 4.0, float("nan")], "leakers")
    assert a["n"] == 4 and a["mean"] == 2.5 and a["median"] == 2.5
    assert a["std"] == pytest.approx(1.290994, rel=1e-6)
    assert a["method"] == "bootstrap_percentile" and 1.0 <= a["ci95_low"] < 2.5 < a["ci95_high"]
    one = aggregate([5.0], "leakers")
    assert one["mean"] == 5.0 and one["std"] is None and one["ci95_low"] is None
    assert one["method"] == "none"
    assert aggregate([], "leakers")["n"] == 0
    # a proportion with its counts: pooled Wilson, mean = pooled share
    acc = aggregate([0.5, 1.0], "classification_accuracy", [1, 10], [2, 10])
    assert acc["method"] == "wilson_pooled" and acc["mean"] == pytest.approx(11 / 12)
    with pytest.raises(KeyError, match="not a per-run metric"):
        aggregate([1.0], "alert_latency_s_median")


def test_sweep_bad_value_fails_its_runs_only(scenario: Path, tmp_path: Path) -> None:
    res = run_study(scenario, tmp_path, 2, workers=1, duration_s=60.0, progress=False,
                    sweep=["effectors[icpt].count=4,-1", "traffic.raids[s].count=2"])
    s = json.loads(res.summary_json.read_text())
    assert s["runs_requested"] == 4 and s["runs_ok"] == 2
    assert [f["run"] for f in s["runs_failed"]] == [2, 3]
    for f in s["runs_failed"]:
        assert f["params"] == {"effectors[icpt].count": -1, "traffic.raids[s].count": 2}
        assert "effectors[0].count" in f["error"] and "-1" in f["error"]
    pts = s["sweep"]["points"]
    assert [p["runs_ok"] for p in pts] == [2, 0] and pts[1]["error"]
    assert pts[0]["aggregates"]["threats_flown"]["n"] == 2
    rows = _rows(res.runs_csv)
    assert [r["status"] for r in rows] == ["ok", "ok", "failed", "failed"]
    assert rows[0]["effectors[icpt].count"] == "4" and rows[2]["error"]
    assert rows[0]["seed"] == rows[2]["seed"]  # common random numbers across points


def test_doctrine_sweep_compares_doctrines_over_the_same_seeds(scenario: Path,
                                                               tmp_path: Path) -> None:
    res = run_study(scenario, tmp_path, 2, workers=1, duration_s=200.0, progress=False,
                    sweep=["doctrine=planner,missile_first,bogus"])
    s = json.loads(res.summary_json.read_text())
    pts = s["sweep"]["points"]
    assert [p["params"]["doctrine"] for p in pts] == ["planner", "missile_first", "bogus"]
    assert [p["runs_ok"] for p in pts] == [2, 2, 0] and "expected one of" in pts[2]["error"]
    rows = _rows(res.runs_csv)
    assert rows[0]["seed"] == rows[2]["seed"] and rows[1]["seed"] == rows[3]["seed"]
    # the doctrine really changed who fired: engagements differ or at least were recorded
    eng = [json.loads((tmp_path / "runs" / f"run-{k:04d}" / "summary.json").read_text())
           ["engagement"]["doctrine"] for k in (0, 2)]
    assert eng == ["planner", "missile_first"]


def test_sweep_paths() -> None:
    doc = {"sensors": [{"id": "belt", "spacing_m": 3000}], "traffic": {"raids": [{"id": "s",
                                                                                  "count": 2}]}}
    p = parse_sweep(["sensors[belt].spacing_m=2000,2500.5", "traffic.raids[0].count=5",
                     "sensors[belt].area.center=[51.5, 23.0],[52, 24]"])
    assert p[0].values == (2000, 2500.5) and p[2].values == ([51.5, 23.0], [52, 24])
    d = apply_params(doc, p[:2], (2000, 5))
    assert d["sensors"][0]["spacing_m"] == 2000 and d["traffic"]["raids"][0]["count"] == 5
    assert doc["sensors"][0]["spacing_m"] == 3000  # the input is not modified
    with pytest.raises(InputError, match="no item with id 'nope'"):
        apply_params(doc, parse_sweep(["sensors[nope].spacing_m=1"]), (1,))
    with pytest.raises(InputError, match="expected path"):
        parse_sweep(["sensors[belt].spacing_m"])


def test_summary_is_deterministic(scenario: Path, tmp_path: Path) -> None:
    def once(d: Path) -> dict:
        r = run_study(scenario, d, 2, workers=1, duration_s=60.0, progress=False,
                      keep_full_runs=0)
        s = json.loads(r.summary_json.read_text())
        assert set(s["timing"]) == {"wall_s", "run_wall_s"}
        s.pop("timing")
        return s

    a, b = once(tmp_path / "a"), once(tmp_path / "b")
    assert a == b
    assert a["runs_ok"] == 2 and a["runs_failed"] == [] and a["sweep"] is None
    assert (tmp_path / "a" / "scenario.json").is_file()


def test_sensor_coverage() -> None:
    sc = parse_scenario(SMALL)
    recs = {r["id"]: r for r in sensor_coverage(sc)}
    assert set(recs) == {"r1", "mic1", "a1"}
    # oracle: the radar equation at that range gives single-scan Pd 0.5 on 0.3 m2
    r = recs["r1"]["coverage_radius_m"]
    spec = sc.sensors[0]
    snr = snr_for_pd(spec.pd_ref, spec.pfa, spec.swerling) * 0.3 * (spec.range_ref_m / r) ** 4
    assert float(pd_swerling(snr, spec.pfa, spec.swerling)) == pytest.approx(0.5, abs=1e-4)
    assert r < spec.max_range_m
    capped = parse_scenario(SMALL.replace("scan_period_s: 1,", "scan_period_s: 1, "
                                          "max_range_m: 5000,"))
    assert sensor_coverage(capped)[0]["coverage_radius_m"] == 5000
    # the acoustic model is tuned so a 105 dB engine is heard (Pd 0.5) at ~3 km rural
    assert 2_000 < recs["mic1"]["coverage_radius_m"] < 4_500
    assert recs["a1"]["coverage_radius_m"] == 300_000
