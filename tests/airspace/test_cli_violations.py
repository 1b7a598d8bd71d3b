"""``violations_command``: CSV + GeoJSON in, JSON lines out; bad files raise DataFormatError."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from air_helpers import DLON_20KM, LAT0, LON0, dist_m

from dronewall.cli.violations import violations_command
from dronewall.errors import DataFormatError


def _zones(tmp_path: Path) -> Path:
    ring = [[LON0, LAT0 - 0.09], [LON0 + DLON_20KM, LAT0 - 0.09], [LON0 + DLON_20KM, LAT0 + 0.09],
            [LON0, LAT0 + 0.09], [LON0, LAT0 - 0.09]]
    fc = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"id": "POL", "kind": "sovereign", "country": "POL", "name": "Poland"}}]}
    p = tmp_path / "zones.geojson"
    p.write_text(json.dumps(fc))
    return p


def _tracks(tmp_path: Path, iso: bool) -> Path:
    start = datetime(2025, 9, 10, 0, 30, tzinfo=UTC)
    lines = ["time,track_id,lat,lon,alt_m,sigma_m"]
    dlon = 100.0 / (111_320.0 * np.cos(np.radians(LAT0)))
    rows = []
    for k in range(150):
        lon = LON0 - 0.05 + k * dlon
        t = (start + timedelta(seconds=2 * k)).isoformat().replace("+00:00", "Z") if iso \
            else f"{2.0 * k}"
        rows.append(f"{t},T1,{LAT0},{lon},300,40")
        rows.append(f"{t},T2,{LAT0 + 0.5},{lon},300,")   # far north: never inside
    lines += rows[::-1]   # unsorted on purpose: the command sorts by time
    p = tmp_path / "tracks.csv"
    p.write_text("\n".join(lines) + "\n")
    return p


@pytest.mark.parametrize("iso", [True, False])
def test_violations_command_end_to_end(tmp_path: Path, iso: bool) -> None:
    out = tmp_path / "out" / "events.jsonl"
    stats = violations_command(_zones(tmp_path), _tracks(tmp_path, iso), out,
                               epoch=None if iso else "2025-09-10T00:30:00Z")
    ev = [json.loads(x) for x in out.read_text().splitlines()]
    assert stats["scans"] == 150 and stats["tracks"] == 2 and stats["events"]["entry"] == 1
    kinds = [e["event"] for e in ev]
    assert kinds == ["warning", "entry", "violation"]  # still inside at the end
    en, vi = ev[1], ev[2]
    assert en["track_id"] == "T1" and dist_m(en["lat"], en["lon"], LAT0, LON0) < 50.0
    assert en["time"].startswith("2025-09-10T00:3") and vi["ongoing"]
    assert vi["country"] == "POL" and vi["zone_name"] == "Poland"
    ts = [e["t_s"] for e in ev]
    assert ts == sorted(ts)


def _csv(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "bad.csv"
    p.write_text("time,track_id,lat,lon,alt_m\n" + body)
    return p


@pytest.mark.parametrize("body,pattern", [
    ("0,a,52,20,100\n2,a,52,20,100\n0,a,52.1,20,100\n", r"line 4.*duplicate.*first at line 2"),
    ("0,a,95,20,100\n", r"line 2, column 'lat'.*expected a number in \[-90, 90\]"),
    ("0,a,52,20,high\n", r"line 2, column 'alt_m'"),
    ("0,a,52,20,100\n2025-09-10T00:00:00Z,a,52,20,100\n", r"line 3, column 'time'"),
    ("2025-09-10T00:00:00,a,52,20,100\n", r"line 2, column 'time'.*UTC offset"),
])
def test_bad_track_files_name_line_and_column(tmp_path: Path, body: str, pattern: str) -> None:
    with pytest.raises(DataFormatError, match=pattern):
        violations_command(_zones(tmp_path), _csv(tmp_path, body), tmp_path / "e.jsonl")


def test_missing_column_and_bad_zone_file(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_text("time,track_id,lat,lon\n0,a,52,20\n")
    with pytest.raises(DataFormatError, match=r"line 1: missing column 'alt_m'"):
        violations_command(_zones(tmp_path), p, tmp_path / "e.jsonl")
    z = tmp_path / "z.geojson"
    z.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "x", "kind": "sovereign"},
         "geometry": {"type": "Polygon", "coordinates": [[[20, 52], [21, 52], [21, 53]]]}}]}))
    with pytest.raises(DataFormatError, match=r"feature 0: field 'country'"):
        violations_command(z, _csv(tmp_path, "0,a,52,20,1\n"), tmp_path / "e.jsonl")


def test_an_altitude_error_column_weighs_the_zones_altitude_band(tmp_path: Path) -> None:
    """``sigma_alt_m``: a track 100 m under a 1,500 m ceiling with a 300 m altitude error is
    inside with p ~ 0.63; without the column (or with the cell empty) the estimate decides."""
    zp = _zones(tmp_path)
    fc = json.loads(zp.read_text())
    fc["features"][0]["properties"].update(kind="airport", ceiling_m=1500.0)
    fc["features"][0]["properties"].pop("country")
    zp.write_text(json.dumps(fc))
    dlon = 100.0 / (111_320.0 * np.cos(np.radians(LAT0)))
    for col, cell in (("", ""), (",sigma_alt_m", ",300"), (",sigma_alt_m", ",")):
        rows = [f"time,track_id,lat,lon,alt_m,sigma_m{col}"]
        rows += [f"{2.0 * k},T1,{LAT0},{LON0 - 0.05 + k * dlon},1400,40{cell}"
                 for k in range(150)]
        (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
        violations_command(zp, tmp_path / "t.csv", tmp_path / "e.jsonl")
        (vi,) = [e for e in map(json.loads, (tmp_path / "e.jsonl").read_text().splitlines())
                 if e["event"] == "violation"]
        if cell == ",300":
            assert vi["p_episode"] == pytest.approx(0.63, abs=0.01)
            assert vi["sigma_alt_m"] == 300.0 and vi["confidence"] == "uncertain"
        else:
            assert vi["p_episode"] == 1.0 and vi["sigma_alt_m"] is None
    (tmp_path / "t.csv").write_text("time,track_id,lat,lon,alt_m,sigma_alt_m\n0,a,52,20,100,-3\n")
    with pytest.raises(DataFormatError, match=r"line 2, column 'sigma_alt_m'"):
        violations_command(zp, tmp_path / "t.csv", tmp_path / "e.jsonl")
    (tmp_path / "t.csv").write_text("time,track_id,lat,lon,alt_m,sigma_m\n0,a,52,20,100,0\n")
    with pytest.raises(DataFormatError, match=r"line 2, column 'sigma_m': got '?0'?; expected a "
                                              r"positive"):
        violations_command(zp, tmp_path / "t.csv", tmp_path / "e.jsonl")


def test_simulates_own_tracks_file_is_read_with_its_names_and_start(tmp_path: Path) -> None:
    """A ``simulate`` tracks.csv (t_s, lat_deg, lon_deg, pos_sd_m, alt_sd_m) is accepted: its
    radial pos_sd_m becomes the 1-sigma per axis (/ sqrt 2), alt_sd_m the altitude error, and
    t = 0 is the run's start from the summary.json beside it."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "summary.json").write_text(json.dumps({"start_utc": "2025-09-10T00:30:00Z"}))
    dlon = 100.0 / (111_320.0 * np.cos(np.radians(LAT0)))
    rows = ['"t_s","track_id","lat_deg","lon_deg","alt_m","x_m","pos_sd_m","alt_sd_m"']
    rows += [f"{2.0 * k},7,{LAT0},{LON0 - 0.05 + k * dlon},300,0,{40 * np.sqrt(2)},90"
             for k in range(150)]
    (run / "tracks.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "e.jsonl"
    violations_command(_zones(tmp_path), run / "tracks.csv", out)
    ev = [json.loads(x) for x in out.read_text().splitlines()]
    (en,) = [e for e in ev if e["event"] == "entry"]
    (vi,) = [e for e in ev if e["event"] == "violation"]
    assert en["time"].startswith("2025-09-10T00:3")       # not 1970: the run's start
    assert vi["sigma_at_max_depth_m"] == pytest.approx(40.0, abs=0.1)
    assert vi["sigma_alt_m"] == 90.0
    # without the summary the times count from 1970, as for any file in seconds
    (run / "summary.json").unlink()
    violations_command(_zones(tmp_path), run / "tracks.csv", out)
    assert '"time":"1970-01-01T' in out.read_text()
