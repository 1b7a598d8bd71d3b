"""Regression tests for the 11 failure signatures of issue 14 ("Why", numbered as there).

Each CLI case runs the real command in this process (``cli_run.run_cli``, a watchdog turns a
hang into a failure) and asserts what a user must see: exit status 2, a short one-paragraph
message that names the file (or option) and says what was expected, no traceback, no "internal
error", within a few seconds. Signature 11 drives ``Engine.step`` / ``DetectionBatch`` directly.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from cli_run import run_cli
from strategies import ANCHOR_BOMB, SCENARIO_SEED

from dronewall.detections.batch import DetectionBatch, MeasKind, SensorKind, SensorTable
from dronewall.geo.frames import Frame
from dronewall.tracking import Engine, TrackerConfig

REPO = Path(__file__).resolve().parents[2]
#: A command that must fail fast: seconds before the watchdog calls it a hang.
FAST_S = 15.0

ZONE = {"type": "FeatureCollection", "features": [{
    "type": "Feature", "properties": {"id": "Z", "kind": "sovereign", "country": "POL"},
    "geometry": {"type": "Polygon", "coordinates": [[[23.0, 52.0], [23.2, 52.0], [23.2, 52.1],
                                                     [23.0, 52.1], [23.0, 52.0]]]}}]}
TRACKS = "time,track_id,lat,lon,alt_m\n" + "".join(
    f"{k},a,52.05,{22.9 + 0.01 * k:.3f},100\n" for k in range(40))
DETECTIONS = "scan,time,x,y\n" + "".join(
    f"{k},{float(k)},{100.0 * k:.1f},50.0\n" for k in range(10))
TRACK_SCENARIO = '{"sigma": 50, "pd": 0.9, "clutter_density_per_m2": 1e-9, "dt": 1.0}'
ADSB = "time,icao24,lat,lon,alt_m\n" + "".join(
    f"{1_757_460_000 + 10 * k},abc123,52.0,{23.0 + 0.01 * k:.3f},3000\n" for k in range(10))
EVENT = {"event": "violation", "track_id": "a", "zone_id": "Z", "zone_kind": "sovereign",
         "country": "POL", "entry_t_s": 10.0, "exit_t_s": 30.0, "duration_s": 20.0,
         "max_depth_m": 500.0, "p_inside": 0.99, "confidence": "confirmed", "ongoing": False}
WTA = {"weapons": [{"id": "gun", "count": 2}], "targets": [{"id": "d1", "value": 10},
                                                           {"id": "d2", "value": 5}],
       "pk": [[0.5, 0.4]]}
NEST = 20_000     # nesting levels of the "deeply nested" documents


def _bytes(d: Path, name: str, data: bytes | str) -> Path:
    p = d / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return p


def bad_input(args: list[str | Path], names: list[str], expected: str,
              timeout_s: float = FAST_S) -> str:
    """Run ``dronewall ARGS``; assert the exit-2 contract; return the message.

    ``names``: one of them (file name or option) is in the message; ``expected``: a regular
    expression (case-insensitive) for what the message says was expected or wrong."""
    t0 = time.perf_counter()
    code, out, err = run_cli([str(a) for a in args], timeout_s=timeout_s)
    wall = time.perf_counter() - t0
    assert code != 124, f"hang: {args}"
    assert code == 2, f"exit {code} for {args}:\nstdout {out[-500:]}\nstderr {err[-2000:]}"
    assert "Traceback" not in err and "internal error" not in err, err[-2000:]
    assert err.startswith("dronewall: error: "), err[-2000:]
    assert len(err) < 1200, f"message too long ({len(err)} chars): {err[:400]}"
    assert any(n in err for n in names), f"none of {names} in: {err}"
    assert re.search(expected, err, re.IGNORECASE), f"{expected!r} not in: {err}"
    assert wall < timeout_s, wall
    return err


def ok(args: list[str | Path], timeout_s: float = 60.0) -> tuple[str, str]:
    code, out, err = run_cli([str(a) for a in args], timeout_s=timeout_s)
    assert code == 0, f"exit {code} for {args}:\n{err[-2000:]}"
    return out, err


@pytest.fixture
def d(tmp_path: Path) -> Path:
    (tmp_path / "blocker").write_text("a file, not a folder\n")
    _bytes(tmp_path, "z.geojson", json.dumps(ZONE))
    _bytes(tmp_path, "tracks.csv", TRACKS)
    _bytes(tmp_path, "det.csv", DETECTIONS)
    _bytes(tmp_path, "sc.json", TRACK_SCENARIO)
    _bytes(tmp_path, "reports.csv", ADSB)
    _bytes(tmp_path, "events.jsonl", json.dumps(EVENT) + "\n")
    _bytes(tmp_path, "inst.json", json.dumps(WTA))
    return tmp_path


def _track(d: Path, det: Path | None = None, out: Path | None = None) -> list[str | Path]:
    return ["track", det or d / "det.csv", "--scenario-json", d / "sc.json", "--out",
            out or d / "out" / "tracks.csv"]


def _violations(d: Path, zones: Path | None = None, tracks: Path | None = None
                ) -> list[str | Path]:
    return ["violations", "--zones", zones or d / "z.geojson", "--tracks",
            tracks or d / "tracks.csv", "--out", d / "out" / "events.jsonl"]


def _incident(d: Path, events: Path | None = None, tracks: Path | None = None,
              zones: Path | None = None, out: Path | None = None) -> list[str | Path]:
    args: list[str | Path] = ["report", "incident", "--events", events or d / "events.jsonl",
                              "--tracks", tracks or d / "tracks.csv", "--out",
                              out or d / "out" / "report.html"]
    return args + (["--zones", zones] if zones else [])


def _scenario(d: Path, text: str, name: str = "scenario.yaml") -> Path:
    return _bytes(d, name, text)


def _with_zone_file(text: str, file: str) -> str:
    return text.replace("zones:\n", f"zones:\n  - {{file: {file}}}\n", 1)


def test_valid_inputs_pass(d: Path) -> None:
    """The seeds the cases below break are themselves accepted (exit 0)."""
    ok(_track(d))
    ok(_violations(d))
    ok(["adsb-check", d / "reports.csv", "--out", d / "out" / "adsb.jsonl"])
    ok(["wta", d / "inst.json", "--time-limit", "0.5"])
    ok(_incident(d, zones=d / "z.geojson"))
    ok(["validate", _scenario(d, SCENARIO_SEED)])


# ------------------------------------------------------------------ 1. non-UTF-8 bytes

BAD_UTF8 = re.escape("UTF-8")


def test_1_non_utf8_csv_in_track_and_violations(d: Path) -> None:
    det = _bytes(d, "bad-det.csv", DETECTIONS.encode() + b"10,10.0,\xff\xfe1.0,2.0\n")
    bad_input(_track(d, det), ["bad-det.csv"], BAD_UTF8)
    tr = _bytes(d, "bad-tracks.csv", TRACKS.encode().replace(b",a,", b",\xe9t\xe9,", 3))
    bad_input(_violations(d, tracks=tr), ["bad-tracks.csv"], BAD_UTF8)


def test_1_non_utf8_zones(d: Path) -> None:
    z = _bytes(d, "bad.geojson", json.dumps(ZONE).encode().replace(b"POL", b"P\xd3L"))
    bad_input(_violations(d, zones=z), ["bad.geojson"], BAD_UTF8)
    kml = _bytes(d, "bad.kml", b'<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.'
                 b'opengis.net/kml/2.2"><Document><Placemark><name>\xe9\xff</name><Polygon>'
                 b"<outerBoundaryIs><LinearRing><coordinates>23,52 23.2,52 23.2,52.1 23,52"
                 b"</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
                 b"</Document></kml>")
    bad_input(_violations(d, zones=kml), ["bad.kml"], r"UTF-8|encoding|not well-formed|KML")
    _bytes(d, "latin.geojson", json.dumps(ZONE).encode().replace(b"POL", b"P\xd3L"))
    sc = _scenario(d, _with_zone_file(SCENARIO_SEED, "latin.geojson"))
    bad_input(["validate", sc], ["latin.geojson"], BAD_UTF8)


def test_1_non_utf8_report_incident(d: Path) -> None:
    ev = _bytes(d, "bad-events.jsonl", json.dumps(EVENT).encode().replace(b'"a"', b'"\xff"'))
    bad_input(_incident(d, events=ev), ["bad-events.jsonl"], BAD_UTF8)
    tr = _bytes(d, "bad-tracks.csv", TRACKS.encode() + b"40,a,52.05,\xc3,100\n")
    bad_input(_incident(d, tracks=tr), ["bad-tracks.csv"], BAD_UTF8)
    z = _bytes(d, "bad.geojson", json.dumps(ZONE).encode().replace(b"POL", b"\xfe\xff"))
    bad_input(_incident(d, zones=z), ["bad.geojson"], BAD_UTF8)


# ------------------------------------------------------------------ 2. CSV field over the limit

LONG = "9" * 140_000
FIELD_LIMIT = r"131,072|field"


@pytest.mark.parametrize("quoted", [False, True], ids=["long-field", "unclosed-quote"])
def test_2_csv_field_over_limit(d: Path, quoted: bool) -> None:
    def spoil(text: str, col: int) -> str:
        lines = text.splitlines()
        cells = lines[3].split(",")
        cells[col] = ('"' + cells[col]) if quoted else LONG
        lines[3] = ",".join(cells)
        tail = "\n" + ("x" * 140_000 if quoted else "")
        return "\n".join(lines) + tail + "\n"

    det = _bytes(d, "long-det.csv", spoil(DETECTIONS, 2))
    bad_input(_track(d, det), ["long-det.csv"], FIELD_LIMIT)
    tr = _bytes(d, "long-tracks.csv", spoil(TRACKS, 1))
    bad_input(_violations(d, tracks=tr), ["long-tracks.csv"], FIELD_LIMIT)
    rep = _bytes(d, "long-reports.csv", spoil(ADSB, 1))
    bad_input(["adsb-check", rep], ["long-reports.csv"], FIELD_LIMIT)


# ------------------------------------------------------------------ 3. deep nesting

DEPTH = r"nest|deep|depth"


def _deep_json(n: int = NEST) -> str:
    return "[" * n + "]" * n


def test_3_deep_json_wta_and_events(d: Path) -> None:
    w = _bytes(d, "deep.json", '{"weapons": ' + _deep_json() + "}")
    bad_input(["wta", w], ["deep.json"], DEPTH)
    ev = _bytes(d, "deep-events.jsonl", json.dumps(EVENT) + "\n" + '{"event": "violation", '
                '"track_id": ' + _deep_json() + "}\n")
    bad_input(_incident(d, events=ev), ["deep-events.jsonl"], DEPTH)


def test_3_deep_zones(d: Path) -> None:
    deep = json.dumps(ZONE).replace('"coordinates": ', '"coordinates": ' + "[" * NEST, 1)
    deep = deep.replace("]]]}", "]]]" + "]" * NEST + "}", 1)
    z = _bytes(d, "deep.geojson", deep)
    bad_input(_violations(d, zones=z), ["deep.geojson"], DEPTH)
    sc = _scenario(d, _with_zone_file(SCENARIO_SEED, "deep.geojson"))
    bad_input(["validate", sc], ["deep.geojson"], DEPTH)


@pytest.mark.parametrize("style", ["flow", "block", "mixed"])
def test_3_deep_yaml_validate_and_simulate(d: Path, style: str) -> None:
    if style == "flow":
        extra = "jamming: " + "[" * NEST + "]" * NEST + "\n"
    elif style == "block":
        extra = "jamming:\n" + "".join("  " * k + "- \n" for k in range(1, 400)) + \
            "  " * 400 + "- x\n"
    else:
        extra = "jamming: " + "{a: [" * 2_000 + "1" + "]}" * 2_000 + "\n"
    sc = _scenario(d, SCENARIO_SEED + extra)
    bad_input(["validate", sc], ["scenario.yaml"], DEPTH)
    out = d / "sim"
    bad_input(["simulate", sc, "--out", out], ["scenario.yaml"], DEPTH)
    assert not (out / "summary.json").exists()


# ------------------------------------------------------------------ 4. integers too big for a float

HUGE = "9" * 400
RANGE = r"expected|range|limit|between|finite|too (large|big)"


def test_4_huge_integers_wta(d: Path) -> None:
    w = _bytes(d, "huge.json", json.dumps(WTA).replace('"value": 10', f'"value": {HUGE}'))
    bad_input(["wta", w], ["huge.json"], RANGE)
    w = _bytes(d, "huge-pk.json", json.dumps(WTA).replace("0.5", HUGE))
    bad_input(["wta", w], ["huge-pk.json"], RANGE)
    t = _bytes(d, "huge-mu.txt", f"1 2 {HUGE}\n5\n7\n0 0 0.5\n0 1 0.7\n")
    bad_input(["wta", t], ["huge-mu.txt"], RANGE)
    t = _bytes(d, "huge-value.txt", f"1 2 1\n{HUGE}\n7\n0 0 0.5\n0 1 0.7\n")
    bad_input(["wta", t], ["huge-value.txt"], RANGE)


def test_4_huge_integer_zone_floor(d: Path) -> None:
    zone = json.loads(json.dumps(ZONE))
    zone["features"][0]["properties"]["floor_m"] = 10**400
    z = _bytes(d, "floor.geojson", json.dumps(zone))
    bad_input(_violations(d, zones=z), ["floor.geojson"], RANGE + "|floor_m")
    sc = _scenario(d, _with_zone_file(SCENARIO_SEED, "floor.geojson"))
    bad_input(["validate", sc], ["floor.geojson"], RANGE + "|floor_m")
    sc = _scenario(d, SCENARIO_SEED.replace("value_eur: 5000000", f"value_eur: {HUGE}"),
                   "huge.yaml")
    bad_input(["validate", sc], ["huge.yaml"], RANGE + "|value_eur")


# ------------------------------------------------------------------ studies (4 and 8)

@pytest.fixture(scope="session")  # once per worker, whatever the test order
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real (tiny) finished study: 2 runs of mc-small cut to 20 s, with its report."""
    from dronewall.pipeline.study.runner import run_study
    from dronewall.report.study import write_study_report

    d = tmp_path_factory.mktemp("sig-study") / "study"
    run_study(REPO / "tests" / "data" / "mc-small.yaml", d, 2, workers=1, duration_s=20.0,
              progress=False)
    write_study_report(d)
    return d


@pytest.fixture
def study_copy(study: Path, tmp_path: Path) -> Iterator[Path]:
    d = tmp_path / "study"
    shutil.copytree(study, d)
    yield d


def test_4_huge_integer_in_study_summary(study_copy: Path) -> None:
    sj = study_copy / "summary.json"
    summary = json.loads(sj.read_text())
    summary["runs_requested"] = 10**400
    sj.write_text(json.dumps(summary))
    report = study_copy / "report.html"
    before = report.read_bytes()
    bad_input(["report", "study", study_copy], ["summary.json"], RANGE + "|integer|digits")
    assert report.read_bytes() == before


def test_8_study_whose_run0_has_no_engagements(study_copy: Path) -> None:
    eg = study_copy / "runs" / "run-0000" / "engagements.csv"
    eg.write_text(eg.read_text().splitlines()[0] + "\n")
    (study_copy / "report.html").unlink()
    ok(["report", "study", study_copy])
    html = (study_copy / "report.html").read_text()
    assert "Monte-Carlo study report</title>" in html and "engagement engagement-" not in html


def test_8_non_study_folder_is_refused_and_report_kept(d: Path) -> None:
    single = d / "single-run"
    single.mkdir()
    (single / "summary.json").write_text(json.dumps({"scenario": "x", "steps": 10}))
    (single / "report.html").write_text("<html>my own report</html>")
    bad_input(["report", "study", single], ["summary.json", "single-run"],
              r"not .*study|expected .*--runs")
    assert (single / "report.html").read_text() == "<html>my own report</html>"
    empty = d / "empty"
    empty.mkdir()
    bad_input(["report", "study", empty], ["empty"], r"no summary\.json")
    assert list(empty.iterdir()) == []
    bad_input(["report", "study", d / "tracks.csv"], ["tracks.csv"], "not a folder")


def test_8_report_study_never_overwrites_another_file(study_copy: Path) -> None:
    notes = study_copy / "notes.html"
    notes.write_text("<html>my notes</html>")
    bad_input(["report", "study", study_copy, "--out", notes], ["--out", "notes.html"],
              "refusing to overwrite")
    assert notes.read_text() == "<html>my notes</html>"


# ------------------------------------------------------------------ 5. dates out of range

DATE_WINDOW = r"1900|2200|date"


def test_5_scenario_start_in_year_1(d: Path) -> None:
    sc = _scenario(d, SCENARIO_SEED.replace('"2026-01-01T00:00:00Z"',
                                            '"0001-01-01T00:00:00+14:00"'))
    bad_input(["validate", sc], ["scenario.yaml"], DATE_WINDOW)
    bad_input(["simulate", sc, "--out", d / "sim"], ["scenario.yaml"], DATE_WINDOW)
    sc = _scenario(d, SCENARIO_SEED.replace('"2026-01-01T00:00:00Z"', '"9999-12-31T23:59:59Z"'),
                   "late.yaml")
    bad_input(["validate", sc], ["late.yaml"], DATE_WINDOW)


@pytest.mark.parametrize("epoch", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00",
                                   "yesterday", "2025-09-10T00:00:00"])
def test_5_violations_epoch(d: Path, epoch: str) -> None:
    bad_input([*_violations(d), "--epoch", epoch], ["--epoch"],
              DATE_WINDOW + "|ISO|UTC|offset")


@pytest.mark.parametrize("time_value", ["1e20", "-1e20", "9999-12-31T23:59:59-14:00", "inf"])
def test_5_adsb_times_out_of_range(d: Path, time_value: str) -> None:
    rows = ADSB.splitlines()
    bad = [rows[0]] + [f"{time_value},{r.split(',', 1)[1]}" for r in rows[1:]]
    rep = _bytes(d, "times.csv", "\n".join(bad) + "\n")
    bad_input(["adsb-check", rep], ["times.csv"], r"time")
    # one such row among good ones is skipped and counted, not fatal
    mixed = _bytes(d, "mixed.csv", ADSB + bad[1] + "\n")
    _, err = ok(["adsb-check", mixed])
    assert "skipped 1 of 11 rows" in err


# ------------------------------------------------------------------ 6. unwritable --out

def _outs(d: Path, name: str) -> dict[str, Path]:
    (d / "a-dir").mkdir(exist_ok=True)
    return {"dev-full": Path("/dev/full"), "directory": d / "a-dir",
            "under-a-file": d / "blocker" / name}


@pytest.mark.parametrize("kind", ["dev-full", "directory", "under-a-file"])
def test_6_unwritable_out(d: Path, kind: str) -> None:
    if kind == "dev-full" and not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    expected = r"--out"
    o = _outs(d, "adsb.jsonl")[kind]
    bad_input(["adsb-check", d / "reports.csv", "--out", o], ["--out"], expected)
    o = _outs(d, "tracks.csv")[kind]
    bad_input(_track(d, out=o), ["--out"], expected)
    o = _outs(d, "report.html")[kind]
    bad_input(_incident(d, out=o), ["--out"], expected)
    assert not any(p.name.startswith(".") for p in (d / "a-dir").iterdir())  # no temp files


# ------------------------------------------------------------------ 7. incident: wrong events

@pytest.mark.parametrize("event, expected", [
    ({"event": "violation"}, r"track_id|missing"),
    ({**EVENT, "entry_t_s": "soon"}, r"entry_t_s"),
    ({**EVENT, "entry_point": 5}, r"entry_point"),
    ({**EVENT, "entry_point": [1e400, 23.0]}, r"entry_point"),
    ({**EVENT, "track_id": [1, 2]}, r"track_id"),
    ({**EVENT, "duration_s": float("nan")}, r"duration_s"),
    ({**EVENT, "entry_time": "9999-12-31T23:59:59-14:00"}, r"entry_time"),
    ({**EVENT, "ongoing": "maybe"}, r"ongoing"),
    ("violation", r"object|expected"),
], ids=["bare", "str-time", "int-point", "huge-point", "list-id", "nan", "year-9999",
        "str-bool", "not-object"])
def test_7_incident_wrongly_typed_events(d: Path, event: object, expected: str) -> None:
    text = json.dumps(event, allow_nan=True).replace("Infinity", "1e400")
    ev = _bytes(d, "typed.jsonl", text + "\n")
    bad_input(_incident(d, events=ev), ["typed.jsonl"], expected)


def test_7_incident_empty_tracks_table(d: Path) -> None:
    tr = _bytes(d, "empty-tracks.csv", "time,track_id,lat,lon,alt_m\n")
    bad_input(_incident(d, tracks=tr), ["empty-tracks.csv"], r"no (track )?rows|empty")
    tr = _bytes(d, "blank.csv", "")
    bad_input(_incident(d, tracks=tr), ["blank.csv"], r"empty|header|column")


# ------------------------------------------------------------------ 9. hangs

def test_9_yaml_anchor_bomb(d: Path) -> None:
    sc = _scenario(d, ANCHOR_BOMB + SCENARIO_SEED.replace("name: fuzz", "name: *g", 1))
    t0 = time.perf_counter()
    bad_input(["validate", sc], ["scenario.yaml"], r"alias|anchor|nodes", timeout_s=10.0)
    bad_input(["simulate", sc, "--out", d / "sim"], ["scenario.yaml"], r"alias|anchor|nodes",
              timeout_s=10.0)
    assert time.perf_counter() - t0 < 10.0


@pytest.mark.parametrize("limit", ["inf", "nan", "-1", "1e9"])
def test_9_wta_time_limit(d: Path, limit: str) -> None:
    bad_input(["wta", d / "inst.json", "--time-limit", limit], ["--time-limit"],
              r"3,?600|seconds|positive")


@pytest.mark.parametrize("scan", ["999999999999", "10000001", "1e30"])
def test_9_track_huge_scan_index(d: Path, scan: str) -> None:
    det = _bytes(d, "scan.csv", DETECTIONS + f"{scan},10.0,1.0,2.0\n")
    bad_input(_track(d, det), ["scan.csv"], r"scan")


def test_9_track_sparse_scans_finish_fast(d: Path) -> None:
    """Far-apart valid scans: empty scans without tracks are skipped, not stepped one by one."""
    det = _bytes(d, "sparse.csv", "scan,time,x,y\n0,0.0,1.0,2.0\n9999999,9999999.0,5.0,5.0\n")
    t0 = time.perf_counter()
    ok(_track(d, det), timeout_s=FAST_S)
    # trailing empty scans up to scenario.json "scans": coasted while a track lives, then skipped
    _bytes(d, "sc.json", TRACK_SCENARIO.replace("}", ', "scans": 10000000}'))
    ok(_track(d), timeout_s=FAST_S)
    assert time.perf_counter() - t0 < FAST_S


# ------------------------------------------------------------------ 10. memory

def test_10_wta_sizes(d: Path) -> None:
    w = _bytes(d, "many.json", json.dumps(WTA).replace('"count": 2', '"count": 1000000000'))
    bad_input(["wta", w], ["many.json"], r"4,096|units|limit")
    t = _bytes(d, "mu.txt", "2 2 1000000\n5\n7\n0 0 0.5\n0 1 0.7\n1 0 0.5\n1 1 0.7\n")
    bad_input(["wta", t], ["mu.txt"], r"4,096|units|limit")
    t = _bytes(d, "big.txt", "1000000 1000000 1\n")
    bad_input(["wta", t], ["big.txt"], r"limit|types|targets|pairs")


@pytest.mark.parametrize("old, new, word", [
    ("step_s: 1}", "step_s: 1.0e-9}", r"step"),
    ("scan_period_s: 1}", "scan_period_s: 1, false_alarms_per_scan: 1e9}", r"false.alarm"),
    ("duration_s: 300", "duration_s: 1e300", r"duration|step"),
    ("count: 3,", "count: 1000000000,", r"platforms|count"),
    ("count: 6}", "count: 1000000000}", r"count"),
    ("spacing_m: 1000}", "spacing_m: 1}", r"sensors|nodes|spacing"),
], ids=["step_s", "false_alarms", "duration", "raid-count", "magazine", "grid-nodes"])
def test_10_scenario_resources_rejected_by_validate(d: Path, old: str, new: str,
                                                    word: str) -> None:
    assert old in SCENARIO_SEED
    sc = _scenario(d, SCENARIO_SEED.replace(old, new, 1))
    bad_input(["validate", sc], ["scenario.yaml"], word)
    out = d / "sim"
    bad_input(["simulate", sc, "--out", out], ["scenario.yaml"], word)
    assert not (out / "summary.json").exists()


# ------------------------------------------------------------------ 11. engine: absurd values

FRAME = Frame(52.0, 23.0, 0.0)


def _engine() -> Engine:
    sensors = SensorTable.build(["adsb", "radar"], [SensorKind.ADSB, SensorKind.RADAR],
                                [52.0, 52.0], [23.0, 23.0], [0.0, 0.0])
    return Engine(TrackerConfig(dims=3), FRAME, sensors)


def test_11_coordinates_1e300_are_quarantined() -> None:
    eng = _engine()
    R = np.diag([100.0, 100.0, 100.0, 0.0])
    for k, big in enumerate([1e300, -1e300, 1e155, 1e200]):
        good = FRAME.from_local([1000.0 + 40.0 * k, 2000.0, 300.0])     # ECEF, m
        z = np.array([[*good, np.nan], [big, big, good[2], np.nan],
                      [big, good[1], big, np.nan]])
        b = DetectionBatch.create(t=[float(k)] * 3, sensor=[0, 0, 0],
                                  meas_kind=[int(MeasKind.POSITION)] * 3, z=z, R=[R] * 3)
        res = eng.step(float(k), b)
        assert res.n_input == 3 and res.quarantined_rows.tolist() == [1, 2], res.quarantined
        assert res.n_accepted == 1
        assert set(res.quarantined) <= {"out_of_volume", "nonfinite_value", "out_of_domain"}
    rz = np.array([[1e300, 0.1, 0.01, 0.0], [5000.0, 0.1, 0.01, 1e300]])
    b = DetectionBatch.create(t=[4.0, 4.0], sensor=[1, 1], meas_kind=[int(MeasKind.RADAR)] * 2,
                              z=rz, R=[np.diag([100.0, 1e-4, 1e-4, 1.0])] * 2)
    res = eng.step(4.0, b)
    assert res.n_input == 2 and 0 in res.quarantined_rows.tolist()
    assert res.n_accepted + res.quarantined_rows.size == 2


def test_11_sensor_id_2_pow_40_is_quarantined() -> None:
    eng = _engine()
    sensor = [0, 2**40, -(2**40), 2**63 - 1, 2**31]
    z = FRAME.from_local(np.array([[1000.0 + 50 * k, 2000.0, 300.0] for k in range(5)]))
    b = DetectionBatch.create(t=[0.0] * 5, sensor=sensor,
                              meas_kind=[int(MeasKind.POSITION)] * 5, z=z,
                              R=[np.eye(3) * 100.0] * 5)
    assert b.sensor.tolist() == [0, -1, -1, -1, -1]
    res = eng.step(0.0, b)
    assert res.quarantined == {"unknown_sensor": 4} and res.n_accepted == 1
    b = DetectionBatch.create(t=[1.0], sensor=np.array([2**40], dtype=np.uint64),
                              meas_kind=[int(MeasKind.POSITION)], z=z[:1],
                              R=[np.eye(3) * 100.0])
    assert eng.step(1.0, b).quarantined == {"unknown_sensor": 1}
    b = DetectionBatch.create(t=[2.0], sensor=[float("nan")], meas_kind=[3],
                              z=z[:1], R=[np.eye(3) * 100.0])
    assert eng.step(2.0, b).quarantined == {"unknown_sensor": 1}
