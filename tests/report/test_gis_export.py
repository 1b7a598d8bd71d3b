"""``dronewall export RUN --out X.geojson|.kml``: the run's tracks, violation episodes, events
and zones as GIS layers that standard readers accept, with the same content as the run."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pyarrow.csv as pacsv
import pytest
import shapely.geometry

SCEN = Path(__file__).resolve().parents[1] / "server" / "data" / "border-pair.yaml"
KML = "{http://www.opengis.net/kml/2.2}"
GX = "{http://www.google.com/kml/ext/2.2}"


@pytest.fixture(scope="session")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dronewall.pipeline.simulate import run_simulation

    out = tmp_path_factory.mktemp("gis")
    run_simulation(SCEN, out, duration_s=240, engage=False, compare_doctrines=False)
    return out


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dronewall.cli.main", *args],
                          capture_output=True, text=True, timeout=120)


def test_geojson_layers_match_the_run(run: Path, tmp_path: Path) -> None:
    out = tmp_path / "run.geojson"
    res = _cli("export", str(run), "--out", str(out), "--decimate", "10")
    assert res.returncode == 0, res.stderr
    gj = json.loads(out.read_text())
    assert gj["type"] == "FeatureCollection"
    for f in gj["features"]:
        g = shapely.geometry.shape(f["geometry"])
        assert g.is_valid or f["properties"]["layer"] == "zone"
    by = {}
    for f in gj["features"]:
        by.setdefault(f["properties"]["layer"], []).append(f)
    tracks = pacsv.read_csv(run / "tracks.csv").to_pydict()
    ids = sorted({str(i) for i in tracks["track_id"]})
    assert sorted(f["properties"]["track_id"] for f in by["track"]) == ids
    # each track's vertices are the run's rows at >= 10 s spacing, first and last kept
    f = max(by["track"], key=lambda f: len(f["geometry"]["coordinates"]))
    tid = f["properties"]["track_id"]
    rows = [i for i, t in enumerate(tracks["track_id"]) if str(t) == tid]
    first, last = rows[0], rows[-1]
    c = f["geometry"]["coordinates"]
    assert c[0][:2] == [round(tracks["lon_deg"][first], 6), round(tracks["lat_deg"][first], 6)]
    assert c[-1][:2] == [round(tracks["lon_deg"][last], 6), round(tracks["lat_deg"][last], 6)]
    assert len(f["properties"]["times"]) == len(c)
    assert f["properties"]["t_start"].startswith("2026-03-01T01:")
    assert f["properties"]["label"]
    episodes = [json.loads(x) for x in (run / "episodes.jsonl").read_text().splitlines()]
    assert episodes, "the border pair crosses into Poland"
    assert len(by.get("violation", [])) == len(episodes)
    assert {z["properties"]["id"] for z in by["zone"]} >= {"POL", "wlodawa-town"}
    assert "entry" in by
    # how each violation and each entry is known travels with them
    events = [json.loads(x) for x in (run / "events.jsonl").read_text().splitlines()]
    by_ep = {f["properties"]["episode_id"]: f["properties"] for f in by["violation"]}
    for e in episodes:
        props = by_ep[e["episode_id"]]
        for k in ("evidence", "entry_window_utc", "confidence", "track_quality"):
            assert props[k] == e[k]
        assert props.get("entry_point_95_m") == e.get("entry_point_95_m")
    entries = [e for e in events if e["event"] == "entry"]
    assert [f["properties"]["window_utc"] for f in by["entry"]] == [
        e["window_utc"] for e in entries]
    assert [f["properties"]["evidence"] for f in by["entry"]] == [e["evidence"] for e in entries]


def test_kml_has_zones_animated_tracks_and_violations(run: Path, tmp_path: Path) -> None:
    out = tmp_path / "run.kml"
    res = _cli("export", str(run), "--out", str(out))
    assert res.returncode == 0, res.stderr
    root = ET.parse(out).getroot()
    assert root.tag == f"{KML}kml"
    folders = {f.findtext(f"{KML}name"): f for f in root.iter(f"{KML}Folder")}
    assert set(folders) == {"Zones", "Tracks", "Violations"}
    trk = folders["Tracks"].findall(f".//{GX}Track")
    assert trk
    for t in trk:   # gx:Track: one <when> per <gx:coord>, times increasing
        when = [w.text for w in t.findall(f"{KML}when")]
        coords = [c.text.split() for c in t.findall(f"{GX}coord")]
        assert len(when) == len(coords) >= 1 and when == sorted(when)
        assert all(len(c) == 3 for c in coords)
    assert folders["Violations"].findall(f"{KML}Placemark")
    assert folders["Zones"].findall(f".//{KML}Polygon")


@pytest.mark.parametrize("args,needle", [
    (["--out", "x.shp"], "expected geojson or kml"),
    (["--out", "x.kml", "--format", "gpx"], "expected geojson or kml"),
])
def test_export_bad_options_exit_2(run: Path, tmp_path: Path, args: list[str],
                                   needle: str) -> None:
    res = _cli("export", str(run), *[a if not a.startswith("x.") else str(tmp_path / a)
                                     for a in args])
    assert res.returncode == 2 and needle in res.stderr


def test_export_of_a_folder_that_is_not_a_run_exits_2(tmp_path: Path) -> None:
    res = _cli("export", str(tmp_path), "--out", str(tmp_path / "x.geojson"))
    assert res.returncode == 2 and "not the output folder" in res.stderr


def test_a_parquet_run_exports_and_reports_like_a_csv_one(run: Path, tmp_path: Path) -> None:
    """``simulate --format parquet`` writes tracks.parquet: export and the incident report read
    it and give what they give from tracks.csv (export used to write 0 tracks silently)."""
    from dronewall.pipeline.simulate import run_simulation

    pq_run = tmp_path / "pq"
    run_simulation(SCEN, pq_run, duration_s=240, engage=False, compare_doctrines=False,
                   fmt="parquet")
    assert (pq_run / "tracks.parquet").is_file() and not (pq_run / "tracks.csv").exists()
    layers = {}
    for name, r in (("csv", run), ("pq", pq_run)):
        out = tmp_path / f"{name}.geojson"
        res = _cli("export", str(r), "--out", str(out))
        assert res.returncode == 0, res.stderr
        feats = json.loads(out.read_text())["features"]
        layers[name] = sorted((f["properties"]["layer"], str(f["properties"].get("track_id")),
                               len(f["geometry"].get("coordinates") or []))
                              for f in feats if f["properties"]["layer"] == "track")
        rep = tmp_path / f"{name}.html"
        tracks = r / ("tracks.csv" if name == "csv" else "tracks.parquet")
        res = _cli("report", "incident", "--events", str(r / "events.jsonl"), "--tracks",
                   str(tracks), "--zones", str(r / "zones.geojson"), "--out", str(rep))
        assert res.returncode == 0, res.stderr
    assert layers["pq"] and layers["pq"] == layers["csv"]
    a, b = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("csv", "pq"))
    a.pop("generated_utc"), b.pop("generated_utc")
    assert a == b
    # a damaged Parquet file is a clear error, exit 2
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1" + b"\0" * 64)
    res = _cli("report", "incident", "--events", str(run / "events.jsonl"), "--tracks",
               str(bad), "--out", str(tmp_path / "x.html"))
    assert res.returncode == 2 and "not a readable Parquet table" in res.stderr


def test_a_remote_id_pilot_position_is_its_own_claimed_point() -> None:
    from datetime import UTC, datetime

    from dronewall.report.gis import RunLayers, to_geojson

    ep = {"episode_id": "E0001", "track_id": 5, "zone_id": "EKYT", "zone_kind": "airport",
          "identity": "1581F5XYZ", "cooperative": "identified",
          "max_depth_point": [57.10, 9.83], "operator_point": [57.098, 9.828],
          "operator_t_s": 640.0}
    gj = to_geojson(RunLayers(datetime(2025, 9, 24, tzinfo=UTC), {}, {}, [ep], [], []))
    by = {f["properties"]["layer"]: f for f in gj["features"]}
    assert by["violation"]["properties"]["operator_point"] == [57.098, 9.828]
    pilot = by["remote_id_pilot"]
    assert pilot["geometry"]["coordinates"] == [9.828, 57.098]
    assert pilot["properties"]["claimed"] is True
    assert pilot["properties"]["identity"] == "1581F5XYZ"
    # no operator position, no pilot point
    gj = to_geojson(RunLayers(datetime(2025, 9, 24, tzinfo=UTC), {}, {},
                              [{**ep, "operator_point": None}], [], []))
    assert "remote_id_pilot" not in {f["properties"]["layer"] for f in gj["features"]}


def test_an_episode_s_target_changes_go_with_it_to_geojson_and_kml() -> None:
    from datetime import UTC, datetime

    from dronewall.report.gis import RunLayers, to_geojson, to_kml

    change = {"track_id": 39, "old_until_t_s": 1999.0, "new_from_t_s": 2120.0,
              "old_until_utc": "2026-03-01T01:33:19.000Z",
              "new_from_utc": "2026-03-01T01:35:20.000Z", "old_class": "bird",
              "new_class": "decoy", "old_speed_mps": 13.0, "new_speed_mps": 39.0,
              "speed_changed_t_s": 2081.0, "speed_changed_utc": "2026-03-01T01:34:41.000Z",
              "where": "inside"}
    ep = {"episode_id": "E0075", "track_id": 39, "zone_id": "POL", "zone_kind": "sovereign",
          "max_depth_point": [51.5, 23.4], "target_changes": [change]}
    layers = RunLayers(datetime(2026, 3, 1, tzinfo=UTC), {}, {}, [ep], [], [])
    by = {f["properties"]["layer"]: f for f in to_geojson(layers)["features"]}
    assert by["violation"]["properties"]["target_changes"] == [change]
    kml = to_kml(layers, "run").decode()
    assert ("target_changes: bird until 2026-03-01T01:33:19.000Z, decoy from "
            "2026-03-01T01:35:20.000Z, speed changed 2026-03-01T01:34:41.000Z (inside)") in kml


def test_an_episode_s_pilot_link_goes_with_it_to_geojson_and_kml() -> None:
    from datetime import UTC, datetime

    from dronewall.report.gis import RunLayers, to_geojson, to_kml

    link = {"protocol": "DJI OcuSync link", "reports": 217, "reach_m": 15000.0,
            "least_depth_m": 73685.0, "pilot_inside": True}
    ep = {"episode_id": "E0001", "track_id": 1, "zone_id": "POL", "zone_kind": "sovereign",
          "max_depth_point": [51.25, 22.57], "pilot_link": link}
    layers = RunLayers(datetime(2026, 2, 1, tzinfo=UTC), {}, {}, [ep], [], [])
    by = {f["properties"]["layer"]: f for f in to_geojson(layers)["features"]}
    assert by["violation"]["properties"]["pilot_link"] == link
    assert ("pilot_link: DJI OcuSync link heard 217 times, reach 15000.0 m, at least 73685.0 m "
            "inside: pilot inside") in to_kml(layers, "run").decode()
