"""Simulated engagements in ``simulate``: ammunition, kills leave the truth and only hit the
platform a shot was aimed at, no kinetic intercept over no-fire zones, cooperative aircraft never
engaged, human approval, determinism, the oracle in the same-seed comparison, planner vs
missile-first cost, and no change at all for scenarios without effectors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.csv as pacsv
import pytest

from dronewall.pipeline.simulate import run_simulation
from dronewall.scenario import parse_scenario

# a long module-wide run: collected first (tests/conftest.py); `--dist loadfile` gives the
# whole module to one worker, and the session-scoped run is computed once there
pytestmark = pytest.mark.heavy

# A small defended plant: Shaheds and decoys from the east, a town (no-fire zone) on the
# approach, an ADS-B airliner crossing the raid, a layered effector set with catalogue costs.
RAID = """\
name: eng-small
seed: 3
time: {start: "2026-01-01T00:00:00Z", duration_s: 460, step_s: 1}
origin: {lat_deg: 51.5, lon_deg: 23.0}
zones:
  - {id: plant, kind: infrastructure, name: Plant, value_eur: 5000000,
     area: {center: [51.50, 23.00], radius_m: 2000}}
  - {id: town, kind: no_fire, name: Town, area: {center: [51.50, 23.10], radius_m: 3000}}
sensors:
  - {type: radar, id: r1, position: [51.50, 23.05], height_m: 30, scan_period_s: 1,
     micro_doppler: true}
  - {type: adsb, id: a1, position: [51.5, 23.0]}
effectors:
  - {id: icpt, type: interceptor_drone, position: [51.52, 23.15], count: 8, fire_units: 4,
     reaction_time_s: 30}
  - {id: hmg, type: hmg_fire_group, position: [51.48, 23.12]}
  - {id: gun, type: gun_35mm, position: [51.51, 23.06], count: 6}
  - {id: sam, type: sam_short, position: [51.49, 23.02], count: 4}
roe: {weapons: free, require_violation: false}
traffic:
  raids:
    - {id: s, platform: shahed136, count: 6, window_s: [0, 100], spacing_s: 15,
       launch: {center: [51.51, 23.36], radius_m: 1500},
       target: {center: [51.50, 23.00], radius_m: 500}}
    - {id: d, platform: gerbera, count: 4, window_s: [0, 100], spacing_s: 20,
       launch: {center: [51.49, 23.36], radius_m: 1500},
       target: {center: [51.50, 23.00], radius_m: 1500}}
  flows:
    - {id: f, platform: airliner, count: 1, window_s: [0, 0],
       entry: {center: [51.6, 22.8], radius_m: 1000}, exit: {center: [51.4, 23.3], radius_m: 1000}}
"""


def _digest(d: Path, names: tuple[str, ...]) -> dict[str, str]:
    return {n: hashlib.sha256((d / n).read_bytes()).hexdigest() for n in names}


def _rows(path: Path) -> list[dict]:
    return pacsv.read_csv(path).to_pylist()


@pytest.fixture(scope="session")  # once per worker, whatever the test order
def raid(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("raid")
    res = run_simulation(parse_scenario(RAID), out, compare_doctrines=True)
    return res, out


def test_engagements_happen_and_ammunition_holds(raid) -> None:
    res, out = raid
    eng = res.summary["engagement"]
    rows = _rows(out / "engagements.csv")
    assert rows and eng["engagements"] == len(rows)
    assert eng["neutralised"]["total"] >= 1
    for site, stocked in eng["ammunition_stocked"].items():
        # a "held" row is a planned shot whose target was assessed destroyed before launch:
        # its round went back to the magazine (docs/engagement.md)
        fired = sum(r["shots"] for r in rows if r["effector_id"] == site
                    and r["result"] != "held")
        assert 0 <= eng["ammunition_remaining"][site] == stocked - fired
    for name in ("missile_first", "nearest_capable", "oracle"):
        d = eng["doctrines"][name]
        for site, stocked in d["ammunition_stocked"].items():
            assert 0 <= d["ammunition_remaining"][site] <= stocked
        assert (out / f"engagements_{name}.csv").is_file()
    # human approval is the default ROE: proposals went to the (simulated) operator, and every
    # shot that left was covered by an approval given before it was committed
    assert eng["approval"] == "human"
    assert 0 < eng["human_approvals_required"] <= eng["proposals"]
    assert all(r["approval"] == "human" for r in rows)
    for r in rows:  # the operator took 15-30 s (ROE default), and no shot preceded approval
        assert 15.0 <= r["t_approved_s"] - r["t_proposed_s"] <= 30.0 + 1e-9, r
        assert r["t_plan_s"] >= r["t_approved_s"] and r["t_launch_s"] >= r["t_plan_s"], r
    s = json.loads((out / "summary.json").read_text())
    assert set(s["engagement"]["comparison"]) == {"planner", "missile_first", "nearest_capable",
                                                  "oracle"}
    for name, row in s["engagement"]["comparison"].items():
        assert row["one_way_flown"] == 10, name
        assert 0 <= row["one_way_neutralised_before_valued_zone"] <= row["one_way_flown"]


def test_killed_platforms_leave_the_truth(raid) -> None:
    _, out = raid
    kills = [r for r in _rows(out / "engagements.csv") if r["result"] == "kill"]
    assert kills
    truth = pacsv.read_csv(out / "truth.csv").to_pydict()
    last = {}
    for t, p in zip(truth["t_s"], truth["platform_id"], strict=True):
        last[p] = max(last.get(p, -1.0), t)
    for r in kills:
        assert last[r["true_platform"]] <= r["t_resolved_s"], r
    # a platform is killed at most once, and only by a shot aimed at it from within the basket
    assert len({r["true_platform"] for r in kills}) == len(kills)
    from dronewall.catalog import EFFECTORS

    for r in kills:
        assert r["acquired"] and r["miss_m"] <= EFFECTORS[r["effector_type"]].acquisition_basket_m


def test_no_kinetic_intercept_over_the_no_fire_zone(raid) -> None:
    res, out = raid
    rows = _rows(out / "engagements.csv")
    assert not any(r["debris_over_no_fire"] for r in rows if r["kinetic"])
    en = res.summary["engagement"]
    assert en["debris_over_populated"] == 0 and en["kills_over_no_kinetic_zone"] == 0
    for name in ("missile_first", "nearest_capable", "oracle"):
        d = en["doctrines"][name]
        assert d["debris_over_populated"] == 0 and d["kills_over_no_kinetic_zone"] == 0


def test_trusted_cooperative_tracks_never_engaged(raid) -> None:
    res, out = raid
    tracks = pacsv.read_csv(out / "tracks.csv").to_pydict()
    trust = {(t, k): c for t, k, c in zip(tracks["t_s"], tracks["track_id"],
                                          tracks["coop_trust"], strict=True)}
    assert "trusted" in set(tracks["coop_trust"])  # the airliner was tracked and trusted
    names = ["engagements.csv", "engagements_missile_first.csv",
             "engagements_nearest_capable.csv", "engagements_oracle.csv"]
    for name in names:
        for r in _rows(out / name):
            if name == "engagements.csv":
                assert trust.get((r["t_plan_s"], r["track_id"])) != "trusted", r
            assert r["class"] != "manned_aircraft", r
    assert "manned_aircraft" not in res.summary["engagement"]["non_threat_kills"]


def test_same_seed_same_engagements(raid, tmp_path: Path) -> None:
    _, out = raid
    run_simulation(parse_scenario(RAID), tmp_path, compare_doctrines=False)
    names = ("engagements.csv", "truth.csv", "tracks.csv")
    assert _digest(tmp_path, names) == _digest(out, names)
    a = json.loads((tmp_path / "summary.json").read_text())["engagement"]
    b = json.loads((out / "summary.json").read_text())["engagement"]
    b = {k: v for k, v in b.items() if k not in ("doctrines", "comparison")}
    assert a == b


def test_planner_never_worse_than_missile_first(raid) -> None:
    # Same seed, same raid: the planner lets no more threats through, loses no more value and
    # spends at most one dearest round more. On one seed a single kill draw decides whether a
    # follow-up SAM (EUR 400 k) is needed, so "spends no more" holds on average, not per seed:
    # the 8-seed paired comparisons are in docs/benchmarks.md section 7.
    res, _ = raid
    cmp = res.summary["engagement"]["comparison"]
    assert cmp["planner"]["neutralised"] >= 1 and cmp["missile_first"]["neutralised"] >= 1
    assert cmp["planner"]["leakers"] <= cmp["missile_first"]["leakers"]
    assert cmp["planner"]["value_lost_eur"] <= cmp["missile_first"]["value_lost_eur"]
    dearest = max(r["cost_eur"] for r in _rows(raid[1] / "engagements.csv"))
    assert cmp["planner"]["spend_eur"] <= cmp["missile_first"]["spend_eur"] + dearest


def test_no_effectors_outputs_unchanged(tmp_path: Path) -> None:
    """Without effectors nothing changes; with effectors but the stage disabled neither."""
    sc = parse_scenario(RAID)
    bare = sc.model_copy(update={"effectors": []})
    run_simulation(bare, tmp_path / "bare", duration_s=120)
    run_simulation(sc, tmp_path / "off", duration_s=120, engage=False)
    run_simulation(bare, tmp_path / "bare-off", duration_s=120, engage=False)
    names = ("truth.csv", "detections.csv", "tracks.csv", "platforms.csv")
    ref = _digest(tmp_path / "bare", names)
    assert _digest(tmp_path / "off", names) == ref
    assert _digest(tmp_path / "bare-off", names) == ref
    assert not (tmp_path / "bare" / "engagements.csv").exists()
    s = json.loads((tmp_path / "bare" / "summary.json").read_text())
    assert "engagement" not in s


def test_bad_doctrine(tmp_path: Path) -> None:
    from dronewall.errors import InputError

    with pytest.raises(InputError, match="doctrine"):
        run_simulation(parse_scenario(RAID), tmp_path, duration_s=5, doctrine="yolo")


def test_cli_no_engage(tmp_path: Path) -> None:
    """--no-engage: the air picture only, no engagement stage, no engagements table."""
    import subprocess
    import sys

    scen = tmp_path / "raid.yaml"
    scen.write_text(RAID)
    r = subprocess.run([sys.executable, "-m", "dronewall.cli.main", "simulate", str(scen),
                        "--no-engage", "--duration", "60", "--out", str(tmp_path / "o")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    s = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert "engagement" not in s and s["duration_s"] == 60
    assert not (tmp_path / "o" / "engagements.csv").exists()

