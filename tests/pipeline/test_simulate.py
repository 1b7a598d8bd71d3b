"""End-to-end ``simulate``: outputs, determinism, summary semantics, CLI."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pytest

from dronewall.pipeline.simulate import run_simulation
from dronewall.scenario import parse_scenario

SMALL = """\
name: small
seed: 5
time: {start: "2026-01-01T00:00:00Z", duration_s: 240, step_s: 1}
origin: {lat_deg: 51.5, lon_deg: 23.0}
sensors:
  - {type: radar, id: r1, position: [51.50, 23.10], height_m: 20, scan_period_s: 2}
  - type: acoustic_grid
    id: g
    area: {center: [51.5, 23.35], radius_m: 6000}
    spacing_m: 2500
  - {type: adsb, id: a1, position: [51.5, 23.0]}
traffic:
  raids:
    - {id: s, platform: shahed136, count: 4, window_s: [0, 60], spacing_s: 10,
       launch: {center: [51.52, 23.55], radius_m: 1000},
       route: [[51.50, 23.30], [51.48, 22.90]], route_spread_m: 800}
  flows:
    - {id: f, platform: airliner, count: 1, window_s: [0, 0],
       entry: {center: [51.8, 22.8], radius_m: 1000}, exit: {center: [51.2, 23.4], radius_m: 1000}}
"""


def _digest(d: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.iterdir())}


@pytest.fixture(scope="session")  # once per worker, whatever the test order
def small_run(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("run1")
    res = run_simulation(parse_scenario(SMALL), out)
    return res, out


def test_outputs_and_summary(small_run) -> None:
    res, out = small_run
    for name in ("truth.csv", "detections.csv", "tracks.csv", "platforms.csv", "summary.json"):
        assert (out / name).is_file(), name
    s = json.loads((out / "summary.json").read_text())
    assert s["platforms"]["total"] == 5
    assert s["sensors"]["by_kind"]["radar"] == 1 and s["sensors"]["by_kind"]["acoustic"] > 10
    det = pacsv.read_csv(out / "detections.csv")
    # the per-kind counts in summary.json are the rows of detections.csv
    kinds = det.column("sensor_kind").to_pylist()
    for k, v in s["detections"]["by_sensor_kind"].items():
        assert kinds.count(k) == v["detections"]
    truth_ids = np.array(det.column("truth_id").to_pylist())
    assert s["detections"]["by_sensor_kind"]["radar"]["false_alarms"] == int(
        ((truth_ids == -1) & (np.array(kinds) == "radar")).sum())
    # ADS-B reports carry the airliner's ICAO address
    ident = [i for i, k in zip(det.column("identity").to_pylist(), kinds, strict=True)
             if k == "adsb"]
    plats = pacsv.read_csv(out / "platforms.csv")
    icao = [i for i in plats.column("icao24").to_pylist() if i]
    assert ident and set(ident) == set(icao)
    # seen fraction: the drones fly through radar + acoustic coverage most of the time
    drones = s["platforms"]["by_class"]["attack_drone"]
    assert 0.3 < drones["seen_fraction_of_flight_time"] <= 1.0
    assert drones["detected_ratio"] == 1.0
    # tracking ran and was scored
    tr = s["tracking"]
    assert tr["scans"] == 241 and tr["confirmed_tracks"] >= 5
    assert tr["mean_paired_error"] < 200
    # continuity per true class: the airliner has one track, every scored platform is counted
    byc = tr["continuity"]["by_class"]
    assert byc["manned_aircraft"]["fragments_per_truth_mean"] == 1.0
    assert sum(v["truths_scored"] for v in byc.values()) == tr["continuity"]["truths_scored"]
    for key in ("identity_switches", "identity_switches_close_pair",
                "identity_switches_after_gap"):
        assert sum(v[key] for v in byc.values()) == tr["continuity"][key], key
    # which sensors fed each track: the airliner's track carries its ICAO address and ADS-B
    tk = pacsv.read_csv(out / "tracks.csv")
    seen = tk.column("seen_by").to_pylist()
    assert any("radar" in x for x in seen) and any("acoustic" in x for x in seen)
    ids = tk.column("identity").to_pylist()
    assert all("adsb" in s_ for s_, i in zip(seen, ids, strict=True) if i)
    assert set(i for i in ids if i) == set(icao)
    # classification runs on every confirmed track and is scored against truth
    cl = tr["classification"]["per_track"]
    counts = np.array(cl["confusion_matrix"]["counts"])
    names = cl["confusion_matrix"]["rows_truth_cols_predicted"]
    assert tr["classification"]["by_true_class"]["manned_aircraft"]["label_correct"] >= 1
    assert counts.sum() == cl["scored_tracks"] > 0
    m = names.index("manned_aircraft")
    assert counts[m, m] >= 1 and counts[m].sum() == counts[m, m]  # the ADS-B airliner
    cls_col = tk.column("class").to_pylist()
    assert all(c == "manned_aircraft" for c, i in zip(cls_col, ids, strict=True) if i)
    p = np.array(tk.column("p_class").to_pylist())
    assert ((p > 1 / 7) & (p <= 1.0)).all()
    # radar RCS estimates reach the tracks (classification input)
    rcs = [x for x in tk.column("last_rcs_dbsm").to_pylist() if x is not None and x == x]
    assert rcs and all(-40 < x < 40 for x in rcs)


def test_same_seed_byte_identical_and_other_seed_differs(small_run, tmp_path: Path) -> None:
    _, out1 = small_run
    run_simulation(parse_scenario(SMALL), tmp_path / "a")
    assert _digest(out1) == _digest(tmp_path / "a")
    run_simulation(parse_scenario(SMALL), tmp_path / "b", seed=6)
    d1, d2 = _digest(out1), _digest(tmp_path / "b")
    assert d1["detections.csv"] != d2["detections.csv"]


def test_parquet_output(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    sc = parse_scenario(SMALL)
    run_simulation(sc, tmp_path / "p", fmt="parquet", track=False, duration_s=30)
    t = pq.read_table(tmp_path / "p" / "detections.parquet")
    assert t.num_rows > 0 and "z0" in t.column_names and "r00" in t.column_names
    assert not (tmp_path / "p" / "tracks.parquet").exists()


def test_cli_simulate_and_demo_smoke(tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(SMALL.replace("duration_s: 240", "duration_s: 20"))
    r = subprocess.run([sys.executable, "-m", "dronewall.cli.main", "simulate", str(p),
                        "--out", str(tmp_path / "o"), "--seed", "3"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Who was seen" in r.stdout and "summary.json" in r.stdout
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["seed"] == 3
    r = subprocess.run([sys.executable, "-m", "dronewall.cli.main", "simulate", str(p),
                        "--format", "xlsx"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "allowed: csv, parquet" in r.stderr


@pytest.mark.heavy
def test_demo_writes_report(tmp_path: Path) -> None:
    """The demo (shortened here: 1 run of 30 min) writes the study report and run 0's offline
    incident report."""
    import dronewall.pipeline.demo as demo

    res = demo.run_demo(tmp_path / "d", seed=1, runs=1, duration_s=1800.0, workers=1)
    study = (tmp_path / "d" / "report.html").read_text()
    assert "<svg" in study and "http://" not in study and "https://" not in study
    assert json.loads((tmp_path / "d" / "summary.json").read_text())["runs_ok"] == 1
    run0 = tmp_path / "d" / "runs" / "run-0000"
    html = (run0 / "report.html").read_text()
    assert res.files["report"].endswith("report.html") and "<svg" in html
    assert json.loads((run0 / "zones.geojson").read_text())["features"]
    s = res.summary["airspace"]
    assert s["crossings_truth_non_cooperative"] > 0
    ev = [json.loads(x) for x in (run0 / "events.jsonl").read_text().splitlines()]
    crossings = [e for e in ev if e["event"] == "violation" and not e["identity"]
                 and e["entry_interpolated"]]
    assert crossings
    # the report lists the episodes (fragments joined) an investigator needs first: every
    # observed crossing's, none of authorised traffic or low-quality tracks
    from dronewall.report.incident import select_episodes

    listed, _ = select_episodes(ev)
    assert json.loads((run0 / "report.json").read_text())["violations"] == len(listed)
    assert all(v.get("cooperative") != "authorised" and v.get("track_quality") != "low"
               for v in listed)
    assert {e["episode_id"] for e in crossings} <= {v["episode_id"] for v in listed}


RID_ZONE = """\
name: rid-zone
seed: 3
time: {start: "2026-01-01T00:00:00Z", duration_s: 300, step_s: 1}
origin: {lat_deg: 55.6, lon_deg: 12.6}
zones:
  - {id: APT, kind: airport, name: Airport, area: {center: [55.60, 12.60], radius_m: 2000}}
sensors:
  - {type: radar, id: r1, position: [55.60, 12.62], height_m: 20, scan_period_s: 1,
     rcs_ref_m2: 0.01, range_ref_m: 8000, max_range_m: 10000}
  - {type: remote_id, id: rid, position: [55.60, 12.60], height_m: 10, range_m: 5000}
traffic:
  multirotors:
    # both patrol across the airport zone's edge (2 km from its centre)
    - {id: hobby, platform: dji_multirotor, home: [55.618, 12.60], radius_m: 400,
       pattern: patrol, window_s: [0, 300], altitude_m: 60, remote_id: true}
    - {id: dark, platform: dji_multirotor, home: [55.582, 12.60], radius_m: 400,
       pattern: patrol, window_s: [0, 300], altitude_m: 60}
"""


def test_remote_id_drones_in_an_airport_zone_are_identified_and_listed(tmp_path) -> None:
    # A Remote ID drone is cooperative -- it says who it is -- but a broadcast is no permit
    # to fly in an airport's UAS zone: its visits there are true episodes the picture must
    # list (``identified``, with the serial), scored apart from the non-cooperative ones.
    out = tmp_path / "rid"
    res = run_simulation(parse_scenario(RID_ZONE), out)
    plats = {r["platform_id"]: r for r in
             pacsv.read_csv(out / "platforms.csv").to_pylist()}
    truth = [json.loads(x) for x in (out / "truth_events.jsonl").read_text().splitlines()]
    viol = [e for e in truth if e["event"] == "violation"]
    hobby = [e for e in viol if e["track_id"].startswith("hobby")]
    dark = [e for e in viol if e["track_id"].startswith("dark")]
    assert hobby and dark
    assert all(e["identity"] == plats[e["track_id"]]["rid_serial"] != "" for e in hobby)
    assert all(e["identity"] == "" for e in dark)
    ep = res.summary["airspace"]["episodes"]
    assert ep["true_non_cooperative"] == len(dark)
    assert ep["true_identified"] == len(hobby)
    assert ep["true_cooperative_unheard"] == 0
    # the picture lists the hobby drone's visits as identified, with its serial, and they
    # match the truth
    eps = [json.loads(x) for x in (out / "episodes.jsonl").read_text().splitlines()]
    named = [v for v in eps if v.get("cooperative") == "identified"]
    assert named and all(v["identity"] == hobby[0]["identity"] for v in named)
    # each carries where the broadcast says the pilot stands (operator_offset_m, 300 m, from
    # the drone's home at 55.618 N 12.60 E), heard up to the episode's end
    for v in named:
        la, lo = v["operator_point"]
        d = np.hypot((la - 55.618) * 111_320.0, (lo - 12.60) * 111_320.0 * np.cos(np.radians(la)))
        assert 200.0 <= d <= 400.0, d
        assert v["operator_t_s"] <= v["exit_t_s"] + 1e-6
    assert not any(v.get("cooperative") == "authorised" for v in eps)
    assert not [m for m in ep["missed_episodes"] if m[0].startswith("hobby")]
    assert ep["unmatched"] == 0


def test_a_remote_id_broadcast_nobody_hears_is_scored_apart(tmp_path) -> None:
    # The same drones with the Remote ID receiver 11 km away, out of range: the wall cannot
    # know the hobby drone is cooperative and rightly reports its visits as non-cooperative
    # violations -- real ones, so they are matched apart (matched_cooperative_unheard), not
    # "unmatched"; the true non-cooperative episodes stay the dark drone's.
    # (an EO/IR camera and an RF detector beside the radar tell the drones from birds)
    sc = RID_ZONE.replace("  - {type: remote_id, id: rid, position: [55.60, 12.60], height_m: 10, "
                          "range_m: 5000}",
                          "  - {type: eoir, id: eo, position: [55.60, 12.60], height_m: 30, "
                          "max_range_m: 6000}\n"
                          "  - {type: rf, id: rf, position: [55.60, 12.60], height_m: 15}\n"
                          "  - {type: remote_id, id: rid, position: [55.70, 12.60], height_m: 10, "
                          "range_m: 1000}")
    assert sc != RID_ZONE
    out = tmp_path / "rid-far"
    res = run_simulation(parse_scenario(sc), out)
    dets = pacsv.read_csv(out / "detections.csv").to_pylist()
    assert not any(d["identity"] for d in dets)
    truth = [json.loads(x) for x in (out / "truth_events.jsonl").read_text().splitlines()]
    viol = [e for e in truth if e["event"] == "violation"]
    hobby = [e for e in viol if e["track_id"].startswith("hobby")]
    dark = [e for e in viol if e["track_id"].startswith("dark")]
    assert hobby and dark
    ep = res.summary["airspace"]["episodes"]
    assert ep["true_non_cooperative"] == len(dark) and ep["true_identified"] == 0
    assert ep["true_cooperative_unheard"] == len(hobby)
    assert ep["matched_cooperative_unheard"] >= 1 and ep["unmatched"] == 0
    assert ep["reported"] == ep["matched"] + ep["unmatched"] + ep["matched_cooperative_unheard"]
    from dronewall.pipeline.summary import headline_lines

    assert any("on cooperative platforms no receiver heard" in x
               for x in headline_lines(res.summary))


def test_headline_gives_continuity_per_class() -> None:
    from dronewall.pipeline.summary import headline_lines

    co = {"identity_switches": 3, "identity_switches_close_pair": 2,
          "identity_switches_after_gap": 1,
          "confirm_latency_median_s": 30.0, "confirm_latency_p90_s": 200.0,
          "confirm_latency_after_third_fix_median_s": 1.0,
          "confirm_latency_after_third_fix_p90_s": 80.0,
          "third_fix_after_fixable_median_s": 20.0, "third_fix_after_fixable_p90_s": 150.0,
          "by_class": {
        "bird": {"truths_scored": 4, "truths_never_matched": 1, "fragments_per_truth_mean": 3.5,
                 "identity_switches": 3},
        "multirotor": {"truths_scored": 2, "truths_never_matched": 2,
                       "fragments_per_truth_mean": None, "identity_switches": 0}}}
    lines = headline_lines({"tracking": {"continuity": co}})
    assert any("3 identity switches (2 between platforms within 2 km, 1 after > 30 s "
               "unmatched)" in x for x in lines)
    assert any("median 30.0 s (p90 200.0 s; 1.0 s / 80.0 s after the sensors' third fix, which "
               "came 20.0 s / 150.0 s after the platform became trackable)" in x for x in lines)
    line = next(x for x in lines if x.startswith("By class"))
    assert "bird x4: 3.50 tracks, 3 switches, 1 never tracked" in line
    assert "multirotor x2: -, 0 switches, 2 never tracked" in line
    assert not any(x.startswith("Switches by") for x in lines)
    co.update(identity_switches_old_track_mixed=2, identity_switches_old_track_other=1,
              identity_switches_old_track_own=0, identity_switches_old_track_unknown=0,
              by_detection_origin={"identity_switches": 3, "false_track_steps_per_scan": 0.1})
    line = next(x for x in headline_lines({"tracking": {"continuity": co}})
                if x.startswith("Switches by"))
    assert line.startswith("Switches by what fed the old track: 2 a mix of two platforms' "
                           "detections (a pair the sensors did not resolve), 1 another")
    assert line.endswith("scored by detection origin: 3 switches, false tracks 0.10 per scan")


def test_switches_are_broken_down_by_detection_origin(small_run) -> None:
    # every switch has one kind of old track; the origin-scored figures sit beside them
    res, _ = small_run
    co = res.summary["tracking"]["continuity"]
    kinds = sum(co[f"identity_switches_old_track_{k}"]
                for k in ("own", "other", "mixed", "unknown"))
    assert kinds == co["identity_switches"]
    by = co["by_detection_origin"]
    assert 0.0 <= by["completeness"] <= 1.0 and by["false_track_steps_per_scan"] >= 0.0
    assert by["completeness"] >= co["completeness"] - 0.05


def test_switch_trace_replays_the_runs_switch_counts(small_run) -> None:
    """bench/switch_trace.py (the per-switch listing behind docs/benchmarks.md s.6) replays
    the continuity scorer over the run's CSV files and gets summary.json's counts."""
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "bench" / "switch_trace.py"
    spec = importlib.util.spec_from_file_location("switch_trace", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    _, out = small_run
    rows, totals = mod.trace(out)
    co = json.loads((out / "summary.json").read_text())["tracking"]["continuity"]
    assert totals == {k: co[k] for k in totals}
    assert len(rows) == co["identity_switches"]
    assert mod.main([str(out / "missing")]) == 2


def test_headline_says_when_a_missed_visit_lies_inside_a_longer_report() -> None:
    from dronewall.pipeline.summary import headline_lines

    ep = {"true_non_cooperative": 23, "reported": 22, "matched": 22, "missed": 1,
          "unmatched": 0, "missed_inside_reported": 1}
    line = headline_lines({"airspace": {"episodes": ep}})[0]
    assert "(22 matched, 1 missed (1 of them inside a longer reported episode of the same " \
           "platform), 0 unmatched)" in line
    ep["missed_inside_reported"] = 0
    assert "inside a longer" not in headline_lines({"airspace": {"episodes": ep}})[0]


def test_a_quiet_sky_runs_and_writes_every_table_with_its_header(small_run, tmp_path: Path
                                                                  ) -> None:
    """No platform at all (only the sensors' false alarms): the run completes (it raised an
    IndexError labelling detections), and the tables every later command reads exist,
    header-only, with the columns of a run that has rows; the incident report says none."""
    quiet = (SMALL.split("traffic:")[0].replace("duration_s: 240", "duration_s: 60")
             + "zones:\n  - {builtin: sovereign-maritime, only: [POL]}\n")
    p = tmp_path / "quiet.yaml"
    p.write_text(quiet)
    out = tmp_path / "q"
    r = subprocess.run([sys.executable, "-m", "dronewall.cli.main", "simulate", str(p),
                        "--out", str(out), "--no-engage"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    _, full = small_run
    for stem in ("tracks", "platforms", "threats", "truth"):
        got = (out / f"{stem}.csv").read_text().splitlines()
        assert len(got) == 1, stem
        assert got[0] == (full / f"{stem}.csv").read_text().splitlines()[0], stem
    det = pacsv.read_csv(out / "detections.csv")
    assert det.num_rows > 0 and set(det.column("truth_platform").to_pylist()) <= {None, ""}
    r = subprocess.run([sys.executable, "-m", "dronewall.cli.main", "report", "incident",
                        "--events", str(out / "events.jsonl"), "--tracks",
                        str(out / "tracks.csv"), "--out", str(tmp_path / "inc.html")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "0 violation episode(s)" in r.stdout and (tmp_path / "inc.html").is_file()


def test_the_incident_report_of_a_run_without_zones_says_why_there_are_no_events(
        small_run, tmp_path: Path) -> None:
    _, out = small_run      # its scenario defines no zones
    assert not (out / "events.jsonl").exists()
    r = subprocess.run([sys.executable, "-m", "dronewall.cli.main", "report", "incident",
                        "--events", str(out / "events.jsonl"), "--tracks",
                        str(out / "tracks.csv"), "--out", str(tmp_path / "inc.html")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "defines no zones" in r.stderr, r.stderr


def test_seen_by_keeps_its_window_past_the_coast_floor(small_run) -> None:
    # seen_by lists the kinds that updated a track within max(10 s, 3 scans), not within the
    # (shorter) coast floor: a row 4-10 s after the last update still says which sensor that was
    _, out = small_run
    tk = pacsv.read_csv(out / "tracks.csv")
    age = tk.column("t_s").to_numpy() - tk.column("last_update_t_s").to_numpy()
    seen = np.array(tk.column("seen_by").to_pylist(), dtype=object)
    window = (age > 4.0) & (age <= 10.0)
    assert window.sum() >= 10                          # not vacuous: coasting rows exist
    assert all(seen[window]), sorted(set(seen[window]))
