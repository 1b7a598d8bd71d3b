"""Synthetic ADS-B trust cases and CLI bad-input handling."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dronewall.classify import assess_reports
from dronewall.cli.adsb_check import adsb_check_command
from dronewall.errors import DataFormatError

T0 = 1_726_560_000.0
M_PER_DEG = 111_195.0


def _straight(n: int = 600, speed: float = 230.0) -> dict[str, np.ndarray]:
    t = T0 + np.arange(n, dtype=float)
    lat = 50.0 + speed * (t - T0) / M_PER_DEG
    return {"t": t, "lat": lat, "lon": np.full(n, 20.0), "alt": np.full(n, 11_000.0),
            "gs": np.full(n, speed), "trk": np.zeros(n)}


def _run(f: dict[str, np.ndarray], icao: str = "abc123"):
    n = len(f["t"])
    (r,) = assess_reports(f["t"], np.full(n, icao), f["lat"], f["lon"], f["alt"],
                          np.full(n, "TST1"), f["gs"], f["trk"])
    return r


def _has(r, prefix: str) -> bool:
    return any(x.startswith(prefix) for x in r.reasons)


def test_clean_straight_flight_trusted() -> None:
    r = _run(_straight())
    assert not r.spoofing_suspected and r.reasons == [] and r.score == 0.0
    assert r.callsign == "TST1" and r.reports == 600


def test_ghost_two_places_at_once() -> None:
    f = _straight()
    g = {k: v.copy() for k, v in f.items()}
    g["t"] = g["t"] + 0.5
    g["lon"] = g["lon"] + 1.0  # ~70 km east, same identity, half a second later
    both = {k: np.concatenate([f[k], g[k]]) for k in f}
    r = _run(both)
    assert r.spoofing_suspected and _has(r, "reports <= 2 s apart")


def test_offset_jump_flagged() -> None:
    f = _straight()
    f["lat"][300:] += 0.5  # 55 km displacement for the rest of the flight
    r = _run(f)
    assert r.spoofing_suspected and _has(r, "position jumps implying >400 m/s: 1")
    f = _straight()
    f["lat"][200:400] += 0.5  # displaced block: jump in and back out
    r = _run(f)
    assert r.spoofing_suspected and _has(r, "position jumps implying >400 m/s: 2")
    assert len(r.suspect_spans) == 1


def test_impossible_climb_reason() -> None:
    f = _straight()
    f["alt"][300:360] = 11_000.0 + 400.0 * np.arange(60)  # 400 m/s for a minute
    f["alt"][360:] = f["alt"][359]
    r = _run(f)
    assert _has(r, "altitude jumps implying >75 m/s")
    # altitude alone never flags (weight below the flag score); with a jump it does
    f["lat"][300:] += 0.5
    assert _run(f).spoofing_suspected


def test_reported_speed_mismatch() -> None:
    f = _straight()
    f["gs"][:] = 80.0  # claims 80 m/s while positions move at 230 m/s
    r = _run(f)
    assert _has(r, "position-derived speed inconsistent")


def _csv(path: Path, rows: list[str], header: str = "time,icao24,lat,lon,alt_m,callsign") -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def test_cli_missing_column(tmp_path: Path) -> None:
    p = _csv(tmp_path / "a.csv", ["0,abc,50,20"], header="time,icao24,lat,lon")
    with pytest.raises(DataFormatError, match=r"a\.csv.*alt_m"):
        adsb_check_command(p, None)
    with pytest.raises(DataFormatError, match="nope.csv: reports file not found"):
        adsb_check_command(tmp_path / "nope.csv", None)


def test_cli_garbage_and_unsorted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [f"{T0 + i},abc123,{50 + i * 0.002},20,11000,TST1" for i in range(100)]
    rows = rows[50:] + rows[:50]  # unsorted
    rows += ["x,abc123,50,20,11000,TST1", f"{T0},abc123,95,20,11000,TST1",
             f"{T0},abc123,50,nan,11000,TST1", f"{T0},abc123,50,20,,TST1",
             f"{T0},abc123,50,abc,11000,TST1"]
    out = tmp_path / "o.jsonl"
    stats = adsb_check_command(_csv(tmp_path / "g.csv", rows), out)
    assert stats["rows"] == 105 and stats["used"] == 100 and stats["skipped_total"] == 5
    assert stats["skipped"]["lon missing, non-numeric or outside [-180, 180]"] == 2
    assert stats["unsorted_time_steps"] == 1 and stats["sorted"]
    assert "skipped 5 of 105" in capsys.readouterr().err
    (rec,) = [json.loads(x) for x in out.read_text().splitlines()]
    assert rec["reports"] == 100 and not rec["spoofing_suspected"]


def test_cli_iso_time_and_parquet(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    rows = [f"2024-09-17T08:00:{i:02d}Z,abc123,{50 + i * 0.002},20,11000,TST1" for i in range(60)]
    stats = adsb_check_command(_csv(tmp_path / "i.csv", rows), tmp_path / "o.jsonl")
    assert stats["iso_time"] and stats["used"] == 60
    tbl = pa.table({"time": [T0 + i for i in range(10)], "icao24": ["abc123"] * 10,
                    "lat": [50 + i * 0.002 for i in range(10)], "lon": [20.0] * 10,
                    "alt_m": [11000.0] * 10})
    pq.write_table(tbl, tmp_path / "r.parquet")
    stats = adsb_check_command(tmp_path / "r.parquet", tmp_path / "p.jsonl")
    assert stats["used"] == 10 and stats["flagged"] == 0
