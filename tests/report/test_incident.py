"""Incident report: offline HTML + JSON with map, profiles, timeline and sensors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dronewall.errors import DataFormatError
from dronewall.report.incident import incident_report


def _inputs(tmp: Path) -> tuple[Path, Path, Path]:
    zone = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
        "id": "EST", "kind": "sovereign", "country": "EST"}, "geometry": {"type": "Polygon",
        "coordinates": [[[26.0, 59.7], [26.8, 59.7], [26.8, 59.9], [26.0, 59.9], [26.0, 59.7]]]}}]}
    (tmp / "z.geojson").write_text(json.dumps(zone))
    rows = ["t_s,track_id,lat_deg,lon_deg,alt_m,pos_sd_m,seen_by"]
    for k in range(0, 121):
        lon = 27.2 - 0.01 * k
        rows.append(f"{k * 5},7,59.8,{lon:.4f},7500,150,{'radar;adsb' if k % 2 else 'radar'}")
    (tmp / "tracks.csv").write_text("\n".join(rows) + "\n")
    ev = [
        {"event": "warning", "track_id": 7, "zone_id": "EST", "t_s": 100.0, "time_to_crossing_s": 100.0},
        {"event": "entry", "track_id": 7, "zone_id": "EST", "t_s": 200.0, "p_inside": 0.9},
        {"event": "exit", "track_id": 7, "zone_id": "EST", "t_s": 600.0, "p_inside": 0.9},
        {"event": "violation", "track_id": 7, "zone_id": "EST", "zone_kind": "sovereign",
         "zone_name": "Estonia", "country": "EST", "from_country": "RUS", "entry_t_s": 200.0,
         "exit_t_s": 600.0, "entry_time": "2025-09-19T06:58:00Z", "exit_time": "2025-09-19T07:04:40Z",
         "entry_point": [59.8, 26.8], "exit_point": [59.8, 26.0], "max_depth_point": [59.8, 26.4],
         "duration_s": 400.0, "max_depth_m": 11000.0, "path_length_m": 44800.0, "min_alt_m": 7500,
         "max_alt_m": 7500, "p_inside": 0.999, "confidence": "confirmed", "ongoing": False},
    ]
    (tmp / "events.jsonl").write_text("\n".join(json.dumps(e) for e in ev) + "\n")
    return tmp / "events.jsonl", tmp / "tracks.csv", tmp / "z.geojson"


def test_report_html_is_offline_and_complete(tmp_path: Path) -> None:
    ev, tr, z = _inputs(tmp_path)
    rep = incident_report(ev, tr, tmp_path / "r.html", zones=[z], title="Estonia test")
    html = (tmp_path / "r.html").read_text()
    assert not re.search(r"(src|href)=[\"']?https?://", html)  # no network resources
    assert html.count("<svg") >= 3  # map + altitude + speed
    assert "6.7 min" in html and "11.00 km" in html and "confirmed" in html and "RUS" in html
    assert "<polygon" in html  # the zone is drawn
    data = json.loads((tmp_path / "r.json").read_text())
    assert data == json.loads(json.dumps(rep, default=str))
    item = data["items"][0]
    assert [e["event"] for e in item["timeline"]] == ["warning", "entry", "exit"]
    # 5-s samples at t = 200..600 inside: 81 rows; radar on all, adsb on the odd ones
    assert item["sensors_inside"]["radar"] == 81 and item["sensors_inside"]["adsb"] == 40


def test_filters_and_bad_input(tmp_path: Path) -> None:
    ev, tr, z = _inputs(tmp_path)
    assert incident_report(ev, tr, tmp_path / "a.html", track_id="8")["violations"] == 0
    assert incident_report(ev, tr, tmp_path / "a.html", non_cooperative=True)["violations"] == 1
    assert "none (non-cooperative)" in (tmp_path / "a.html").read_text()
    (tmp_path / "bad.jsonl").write_text('{"event": "entry"}\nnot json\n')
    with pytest.raises(DataFormatError, match=r"bad.jsonl, line 2"):
        incident_report(tmp_path / "bad.jsonl", tr, tmp_path / "b.html")
    (tmp_path / "notgeo.json").write_text('{"sigma": 1}')
    with pytest.raises(DataFormatError, match="FeatureCollection"):
        incident_report(ev, tr, tmp_path / "g.html", zones=[tmp_path / "notgeo.json"])
    (tmp_path / "t2.csv").write_text("a,b\n1,2\n")
    with pytest.raises(DataFormatError, match="expected columns"):
        incident_report(ev, tmp_path / "t2.csv", tmp_path / "c.html")
    r = subprocess.run([sys.executable, "-m", "dronewall.cli.main", "report", "incident",
                        "--events", str(tmp_path / "missing.jsonl"), "--tracks", str(tr),
                        "--out", str(tmp_path / "d.html")], capture_output=True, text=True)
    assert r.returncode == 2 and "events file not found" in r.stderr and "Traceback" not in r.stderr


def test_speed_profile_uses_tracker_velocity(tmp_path: Path) -> None:
    ev, tr, z = _inputs(tmp_path)
    lines = tr.read_text().splitlines()
    rows = [lines[0] + ",vx_mps,vy_mps"] + [r + ",-60,80" for r in lines[1:]]
    tr.write_text("\n".join(rows) + "\n")
    incident_report(ev, tr, tmp_path / "v.html", zones=[z])
    # |(-60, 80)| = 100 m/s exactly (a constant profile is drawn over [99, 101])
    assert "ground speed m/s: 99–101" in (tmp_path / "v.html").read_text()
