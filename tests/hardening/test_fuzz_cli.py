"""Property-based fuzzing of every file format the CLI reads (issue 14).

Each test generates files with the strategies of ``strategies.py`` (structured documents with
edge values, plus byte-level mutations), runs the real command in-process and checks the
contract of ``fuzz_harness.cli_oracle``: exit 0 with sane output, or exit 2 with a short message
naming the file -- never an internal error, a hang or runaway memory. The normal suite runs a
few dozen inputs per format; ``make fuzz`` runs 100,000+ (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import strategies as S
from fuzz_harness import TOTAL_WEIGHT, WEIGHTS, Stats, cli_oracle, fuzz_settings, peak_rss_mib
from hypothesis import given
from hypothesis import strategies as st

VALID_ZONE = json.dumps({"type": "FeatureCollection", "features": [{
    "type": "Feature", "properties": {"id": "Z", "kind": "sovereign", "country": "POL"},
    "geometry": {"type": "Polygon", "coordinates": [[[23.0, 52.0], [23.2, 52.0], [23.2, 52.1],
                                                     [23.0, 52.1], [23.0, 52.0]]]}}]})
VALID_TRACKS = "time,track_id,lat,lon,alt_m\n" + "".join(
    f"{k},a,52.05,{22.9 + 0.01 * k:.3f},100\n" for k in range(40))
#: --out choices: a normal path, a directory, a full device, a path under a file.
OUT_KINDS = ["file", "file", "file", "file", "dir", "full", "under_file"]


@pytest.fixture(scope="session")  # once per worker, whatever the test order
def work() -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="dronewall-fuzz-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``chunk``: one hypothesis run per chunk of a test's share (``fuzz_harness.chunks``)."""
    if "chunk" in metafunc.fixturenames:
        metafunc.parametrize("chunk", range(getattr(metafunc.function, "fuzz_chunks", 1)))


@pytest.fixture
def stats(request: pytest.FixtureRequest, chunk: int) -> Iterator[Stats]:
    s = Stats(request.node.name)
    yield s
    rec = s.report()
    assert rec["peak_rss_mib"] < 2048, rec


def _write(d: Path, name: str, data: bytes | str) -> Path:
    p = d / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return p


def _out(d: Path, kind: str, name: str) -> Path:
    if kind == "dir":
        return d
    if kind == "full":
        return Path("/dev/full")
    if kind == "under_file":
        return d / "blocker" / name
    return d / "out" / name


def _setup(work: Path) -> Path:
    d = work / "case"
    if d.exists():
        shutil.rmtree(d)
    d.mkdir()
    (d / "blocker").write_text("a file, not a folder\n")
    return d


@fuzz_settings(weight=18)
@given(det=S.text_or_mutated(S.detections_csv()), sj=S.text_or_mutated(S.scenario_json()),
       out=st.sampled_from(OUT_KINDS), assoc=st.sampled_from(["gnn", "jpda"]))
def test_track(work: Path, stats: Stats, det: bytes, sj: bytes, out: str, assoc: str) -> None:
    d = _setup(work)
    o = _out(d, out, "tracks.csv")
    code, _, _ = cli_oracle(["track", _write(d, "det.csv", det), "--scenario-json",
                             _write(d, "sc.json", sj), "--out", o, "--assoc", assoc],
                            ["det.csv", "sc.json", "--out"], stats)
    if code == 0 and out == "file":
        lines = o.read_text().splitlines()
        assert lines[0] == "scan,time,track_id,x,y"
        for ln in lines[1:]:
            assert all(abs(float(v)) < 1e12 for v in ln.split(","))


@fuzz_settings(weight=10)
@given(zones=S.text_or_mutated(S.zones_geojson()), epoch=st.sampled_from(
    [None, None, None, "2025-09-10T00:00:00Z", "9999-12-31T23:59:59Z", "yesterday",
     "2025-09-10T00:00:00", "0001-01-01T00:00:00+14:00"]), out=st.sampled_from(OUT_KINDS))
def test_violations_zone_geojson(work: Path, stats: Stats, zones: bytes, epoch: str | None,
                                 out: str) -> None:
    _violations(work, stats, ("z.geojson", zones), VALID_TRACKS.encode(), epoch, out)


@fuzz_settings(weight=4)
@given(zones=S.text_or_mutated(S.zones_kml()))
def test_violations_zone_kml(work: Path, stats: Stats, zones: bytes) -> None:
    _violations(work, stats, ("z.kml", zones), VALID_TRACKS.encode(), None, "file")


@fuzz_settings(weight=8)
@given(tracks=S.text_or_mutated(S.tracks_csv()), epoch=st.sampled_from(
    [None, None, "2025-09-10T00:00:00Z", "9999-12-31T23:59:59Z"]))
def test_violations_tracks_csv(work: Path, stats: Stats, tracks: bytes, epoch: str | None) -> None:
    _violations(work, stats, ("z.geojson", VALID_ZONE.encode()), tracks, epoch, "file")


def _violations(work: Path, stats: Stats, zone: tuple[str, bytes], tracks: bytes,
                epoch: str | None, out: str) -> None:
    d = _setup(work)
    o = _out(d, out, "events.jsonl")
    args = ["violations", "--zones", _write(d, *zone), "--tracks",
            _write(d, "tracks.csv", tracks), "--out", o]
    if epoch is not None:
        args += ["--epoch", epoch]
    code, _, _ = cli_oracle(args, [zone[0], "tracks.csv", "--epoch", "--out"], stats)
    if code == 0 and out == "file":
        for ln in o.read_text().splitlines():
            assert json.loads(ln)["event"] in ("warning", "entry", "exit", "violation")


@fuzz_settings(weight=12)
@given(rep=S.text_or_mutated(S.adsb_csv()), out=st.sampled_from(OUT_KINDS + [None]))
def test_adsb_check_csv(work: Path, stats: Stats, rep: bytes, out: str | None) -> None:
    d = _setup(work)
    args = ["adsb-check", _write(d, "reports.csv", rep)]
    o = _out(d, out, "adsb.jsonl") if out else None
    if o is not None:
        args += ["--out", o]
    code, stdout, _ = cli_oracle(args, ["reports.csv", "--out"], stats)
    if code == 0 and out in (None, "file"):
        text = stdout if o is None else o.read_text()
        for ln in text.splitlines():
            assert "icao24" in json.loads(ln)


@fuzz_settings(weight=2)
@given(table=S.adsb_csv(), mutate=st.booleans(), data=st.data())
def test_adsb_check_parquet(work: Path, stats: Stats, table: str, mutate: bool,
                            data: st.DataObject) -> None:
    import io

    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    d = _setup(work)
    try:
        tbl = pacsv.read_csv(io.BytesIO(table.encode()))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        tbl = pa.table({"time": [1.0], "icao24": ["abc123"]})
    buf = io.BytesIO()
    pq.write_table(tbl, buf)
    raw = buf.getvalue()
    if mutate:
        raw = data.draw(S.mutated(raw, 2))
    cli_oracle(["adsb-check", _write(d, "reports.parquet", raw)], ["reports.parquet"], stats)


@fuzz_settings(weight=12)
@given(inst=S.text_or_mutated(S.wta_json()), exact=st.booleans(),
       limit=st.sampled_from(["0.2", "0.2", "inf", "-1", "nan", "1e9"]),
       out=st.sampled_from(OUT_KINDS + [None]))
def test_wta_json(work: Path, stats: Stats, inst: bytes, exact: bool, limit: str,
                  out: str | None) -> None:
    _wta(work, stats, "inst.json", inst, exact, limit, out, None)


@fuzz_settings(weight=8)
@given(inst=S.text_or_mutated(S.wta_toffolo()), exact=st.booleans())
def test_wta_toffolo(work: Path, stats: Stats, inst: bytes, exact: bool) -> None:
    _wta(work, stats, "inst.txt", inst, exact, "0.2", "file", "toffolo")


def _wta(work: Path, stats: Stats, name: str, inst: bytes, exact: bool, limit: str,
         out: str | None, fmt: str | None) -> None:
    d = _setup(work)
    args = ["wta", _write(d, name, inst), "--time-limit", limit]
    if exact:
        args.append("--exact")
    if fmt:
        args += ["--format", fmt]
    o = _out(d, out, "plan.json") if out else None
    if o is not None:
        args += ["--out", o]
    code, stdout, _ = cli_oracle(args, [name, "--time-limit", "--out"], stats)
    if code == 0 and out in (None, "file"):
        res = json.loads(stdout if o is None else o.read_text())
        assert res["objective"] == res["objective"] and res["objective"] >= -1e-6


@fuzz_settings(weight=6)
@given(events=S.text_or_mutated(S.events_jsonl()), tracks=S.text_or_mutated(S.tracks_csv()),
       zones=st.one_of(st.none(), S.text_or_mutated(S.zones_geojson())),
       scope=st.sampled_from(["violations", "all"]), out=st.sampled_from(OUT_KINDS))
def test_report_incident(work: Path, stats: Stats, events: bytes, tracks: bytes,
                         zones: bytes | None, scope: str, out: str) -> None:
    d = _setup(work)
    o = _out(d, out, "report.html")
    args = ["report", "incident", "--events", _write(d, "events.jsonl", events), "--tracks",
            _write(d, "tracks.csv", tracks), "--out", o, "--scope", scope]
    if zones is not None:
        args += ["--zones", _write(d, "zones.geojson", zones)]
    code, _, _ = cli_oracle(args, ["events.jsonl", "tracks.csv", "zones.geojson", "--out"],
                            stats)
    if code == 0 and out == "file":
        assert "<html" in o.read_text() and json.loads(o.with_suffix(".json").read_text())


@fuzz_settings(weight=10)
@given(sc=S.text_or_mutated(S.scenario_yaml()),
       zone=st.one_of(st.none(), S.text_or_mutated(S.zones_geojson())))
def test_validate_scenario(work: Path, stats: Stats, sc: bytes, zone: bytes | None) -> None:
    d = _setup(work)
    if zone is not None:
        _write(d, "extra.geojson", zone)
        marker = b"zones:\n"
        if marker in sc:
            sc = sc.replace(marker, marker + b"  - {file: extra.geojson}\n", 1)
    cli_oracle(["validate", _write(d, "scenario.yaml", sc)], ["scenario.yaml", "extra.geojson"],
               stats)


#: Files of a study folder the report reads (relative paths).
STUDY_FILES = ["summary.json", "runs.csv", "sensors.json", "scenario.json",
               "runs/run-0000/tracks.csv", "runs/run-0000/truth.csv",
               "runs/run-0000/engagements.csv", "runs/run-0000/events.jsonl",
               "runs/run-0000/zones.geojson", "runs/run-0000/platforms.csv",
               "runs/run-0000/summary.json"]


@pytest.fixture(scope="session")  # once per worker, whatever the test order
def base_study(work: Path) -> Path:
    """A real (tiny) study: 2 runs of mc-small cut to 30 s."""
    from dronewall.pipeline.study.runner import run_study

    d = work / "base-study"
    run_study(Path(__file__).resolve().parents[1] / "data" / "mc-small.yaml", d, 2, workers=1,
              duration_s=30.0, progress=False)
    return d


@fuzz_settings(weight=1)
@given(data=st.data(), which=st.sampled_from(STUDY_FILES), how=st.sampled_from(
    ["mutate", "mutate", "mutate", "delete", "json_edge"]), out=st.sampled_from(
    ["default", "default", "existing_other", "existing_report"]))
def test_report_study(work: Path, base_study: Path, stats: Stats, data: st.DataObject,
                      which: str, how: str, out: str) -> None:
    d = work / "study"
    if d.exists():
        shutil.rmtree(d)
    shutil.copytree(base_study, d)
    p = d / which
    if p.exists():
        if how == "delete":
            p.unlink()
        elif how == "json_edge" and p.suffix == ".json":
            p.write_text(S.json_text(data.draw(st.sampled_from(S.JSON_EDGES))))
        else:
            p.write_bytes(data.draw(S.mutated(p.read_bytes())))
    args = ["report", "study", d]
    target = d / "report.html"
    if out == "existing_other":
        target = d / "notes.html"
        target.write_text("<html>my notes</html>")
        args += ["--out", target]
    elif out == "existing_report":
        shutil.copy(base_study / "report.html", target) if (
            base_study / "report.html").exists() else None
    code, _, _ = cli_oracle(args, [str(d), d.name, "summary.json", "--out"], stats)
    if out == "existing_other":
        assert code == 2 and target.read_text() == "<html>my notes</html>"
    elif code == 0:
        assert "Monte-Carlo study report</title>" in target.read_text()


def test_weights_add_up() -> None:
    """``make fuzz`` splits DRONEWALL_FUZZ over the tests by weight: the shares add up to it."""
    assert sum(WEIGHTS) == TOTAL_WEIGHT, (sum(WEIGHTS), TOTAL_WEIGHT)


def test_peak_rss_under_2_gib() -> None:
    """Whatever ran in this worker so far stayed under the 2 GiB peak of the acceptance."""
    assert peak_rss_mib() < 2048
