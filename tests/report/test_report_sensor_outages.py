"""The incident report names the sensors that were down (``report/sensor_outages.py``, the
run's ``sensor_health.jsonl``): for the whole record and for each episode they overlap."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dronewall.errors import DataFormatError
from dronewall.report.incident import incident_report
from dronewall.report.sensor_outages import episode_outages, load_outages


def _lines(path: Path, recs: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return path


def _rec(t: float, sensor: str, up: bool, nodes: int = 1, kind: str = "radar") -> dict:
    return {"t_s": t, "time": f"2025-09-19T07:{int(t) // 60:02d}:{int(t) % 60:02d}.000Z",
            "sensor": sensor, "sensor_kind": kind, "nodes": nodes, "listening": up,
            "reason": "status or report" if up else "no status or report for 30 s"}


def test_outages_from_the_changes_a_grid_back_only_when_all_its_nodes_are(tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = _lines(tmp_path / "s.jsonl", [
        _rec(100, "r1", False), _rec(100, "belt", False, 30, "acoustic"),
        _rec(105, "belt", False, 20, "acoustic"), _rec(300, "r1", True),
        _rec(400, "belt", True, 45, "acoustic"), _rec(700, "rf1", False, kind="rf")])
    out = load_outages(p)
    assert [(o.sensor, o.t0_s, o.t1_s, o.nodes) for o in out] == [
        ("belt", 100.0, None, 50), ("r1", 100.0, 300.0, 1), ("rf1", 700.0, None, 1)]
    # an episode 250-350 s overlaps the radar's and the grid's outages, not the RF finder's
    ep = {"entry_t_s": 250.0, "exit_t_s": 350.0, "entry_window_t_s": [249.0, 250.0]}
    assert [o.sensor for o in episode_outages(out, ep)] == ["belt", "r1"]
    # first detected inside with no earliest bound: the path back LOOK_BACK_S before counts
    ep2 = {"entry_t_s": 1000.0, "exit_t_s": 1100.0, "entry_window_t_s": [None, 1000.0]}
    assert [o.sensor for o in episode_outages(out, ep2)] == ["belt", "rf1"]
    assert episode_outages(out, {"entry_t_s": 20.0, "exit_t_s": 40.0}) == []   # before any


@pytest.mark.parametrize("line, field", [
    ('{"t_s": "x", "sensor": "r1", "listening": false}', "t_s"),
    ('{"t_s": 1, "sensor": "", "listening": false}', "sensor"),
    ('{"t_s": 1, "sensor": "r1", "listening": 0}', "listening"),
    ('[1, 2]', "JSON object"),
])
def test_a_bad_line_names_the_file_line_and_field(tmp_path, line: str, field: str) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "s.jsonl"
    p.write_text('{"t_s": 0, "sensor": "r1", "listening": false}\n' + line + "\n")
    with pytest.raises(DataFormatError, match=rf"s.jsonl: line 2.*{field}"):
        load_outages(p)


def _run(tmp: Path) -> tuple[Path, Path, Path]:
    zone = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
        "id": "EST", "kind": "sovereign", "country": "EST"}, "geometry": {"type": "Polygon",
        "coordinates": [[[26.0, 59.7], [26.8, 59.7], [26.8, 59.9], [26.0, 59.9], [26.0, 59.7]]]}}]}
    (tmp / "z.geojson").write_text(json.dumps(zone))
    rows = ["t_s,track_id,lat_deg,lon_deg,alt_m,pos_sd_m,seen_by"]
    rows += [f"{k * 5},7,59.8,{27.2 - 0.01 * k:.4f},7500,150,radar" for k in range(121)]
    (tmp / "tracks.csv").write_text("\n".join(rows) + "\n")
    v = {"event": "violation", "track_id": 7, "zone_id": "EST", "zone_kind": "sovereign",
         "zone_name": "Estonia", "country": "EST", "from_country": "RUS", "entry_t_s": 200.0,
         "exit_t_s": 600.0, "entry_time": "2025-09-19T07:03:20Z",
         "exit_time": "2025-09-19T07:10:00Z", "entry_point": [59.8, 26.8],
         "exit_point": [59.8, 26.0], "max_depth_point": [59.8, 26.4], "duration_s": 400.0,
         "max_depth_m": 11000.0, "path_length_m": 44800.0, "p_inside": 0.999,
         "confidence": "confirmed", "ongoing": False}
    _lines(tmp / "events.jsonl", [v])
    _lines(tmp / "sensor_health.jsonl", [_rec(300, "radar-north", False),
                                          _rec(450, "radar-north", True),
                                          _rec(650, "rf1", False, kind="rf")])
    return tmp / "events.jsonl", tmp / "tracks.csv", tmp / "z.geojson"


def test_the_report_lists_the_outages_and_each_episode_s(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ev, tr, z = _run(tmp_path)
    rep = incident_report(ev, tr, tmp_path / "r.html", zones=[z])   # the file beside: found
    assert [o["sensor"] for o in rep["sensors_down"]] == ["radar-north", "rf1"]
    (item,) = rep["items"]
    assert [o["sensor"] for o in item["sensors_down"]] == ["radar-north"]
    html = (tmp_path / "r.html").read_text()
    assert "Sensors down during the record" in html
    assert "radar-north (radar) down 07:05:00 to 07:07:30 (no status or report for 30 s)" in html
    assert "rf1 (rf) down 07:10:50 to the end of the record" in html
    assert "sensors down meanwhile" in html and html.count("radar-north (radar) down") == 2
    # without the file: no section; a named file that is missing is an error (exit 2)
    (tmp_path / "sensor_health.jsonl").unlink()
    rep = incident_report(ev, tr, tmp_path / "r.html", zones=[z])
    assert rep["sensors_down"] == [] and "Sensors down" not in (tmp_path / "r.html").read_text()
    r = subprocess.run([sys.executable, "-m", "dronewall.cli.main", "report", "incident",
                        "--events", str(ev), "--tracks", str(tr), "--out",
                        str(tmp_path / "x.html"), "--sensors", str(tmp_path / "nope.jsonl")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "nope.jsonl" in r.stderr, r.stderr


def test_an_episode_lists_only_the_outages_of_sensors_that_could_see_its_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    near = {**_rec(100, "r-near", False), "lat_deg": 59.8, "lon_deg": 26.4, "reach_m": 20000}
    far = {**_rec(100, "r-far", False), "lat_deg": 58.0, "lon_deg": 24.0, "reach_m": 50000}
    # 8 km north of the path's middle, 5 km reach: within reach + the 5 km margin
    side = {**_rec(100, "rf-side", False, kind="rf"), "lat_deg": 59.872, "lon_deg": 26.5,
            "reach_m": 5000}
    bare = _rec(100, "old", False)                    # a record without its place: kept
    out = load_outages(_lines(tmp_path / "s.jsonl", [near, far, side, bare]))
    ep = {"entry_t_s": 200.0, "exit_t_s": 600.0, "entry_window_t_s": [199.0, 200.0],
          "evidence": "observed_crossing", "entry_point": [59.8, 26.8],
          "max_depth_point": [59.8, 26.4], "exit_point": [59.8, 26.0]}
    assert sorted(o.sensor for o in episode_outages(out, ep)) == ["old", "r-near", "rf-side"]
    side_far = {**side, "reach_m": 2000}                # 8 km off, 2 + 5 km: out
    out2 = load_outages(_lines(tmp_path / "s2.jsonl", [side_far]))
    assert episode_outages(out2, ep) == []
    # first detected inside: the path before is not recorded, every outage of its time counts
    pop = {**ep, "evidence": "first_detected_inside", "entry_window_t_s": [None, 200.0]}
    assert sorted(o.sensor for o in episode_outages(out, pop)) == [
        "old", "r-far", "r-near", "rf-side"]
