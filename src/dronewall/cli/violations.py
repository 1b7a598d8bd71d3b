"""``dronewall violations``: zone analytics on a neutral track file.

``violations_command(zones, tracks, out, epoch)`` reads a zone file (GeoJSON or KML, see
``docs/airspace.md``) and a tracks CSV with columns ``time,track_id,lat,lon,alt_m`` and optional
``sigma_m`` (1-sigma horizontal error) and ``sigma_alt_m`` (1-sigma altitude error: with it a
zone's altitude band counts with the probability that the true altitude is in it); runs
:class:`dronewall.airspace.AirspaceMonitor` one ``step`` per distinct time (rows sorted by
time); writes one JSON event per line to ``out``, sorted by (t_s, track, zone,
event rank). Velocities for warnings are estimated from consecutive positions of each track.

``time`` is either seconds (any real number; ``epoch`` or 1970-01-01T00:00:00Z is t = 0) or
ISO-8601 with a UTC offset (``Z`` or ``+00:00``); the kind is detected from the first data row
and must hold for the whole file. For ISO times, t = 0 is ``epoch`` or the earliest time.
"""

from __future__ import annotations

import json
import time as _time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from dronewall.airspace import AirspaceConfig, AirspaceMonitor, ZoneSet, sort_events
from dronewall.airspace.events import AirspaceEvent
from dronewall.errors import DataFormatError
from dronewall.inputs import (
    atomic_output,
    check_output_file,
    csv_rows,
    excerpt,
    finite_number,
    parse_iso_datetime,
)
from dronewall.inputs.limits import ALT_MAX_M, ALT_MIN_M, MAX_ABS_TIME_S, MAX_DOCUMENT_BYTES

REQUIRED_COLUMNS = ("time", "track_id", "lat", "lon", "alt_m")
#: ``simulate``'s tracks.csv names for the same columns (``docs/outputs.md``).
SIMULATE_NAMES = {"t_s": "time", "lat_deg": "lat", "lon_deg": "lon", "alt_sd_m": "sigma_alt_m"}
#: 1-sigma horizontal error assumed when the file has no ``sigma_m`` column: a typical fused
#: radar track at 10-30 km (15 m range, 0.5 deg azimuth noise, after filtering).
DEFAULT_SIGMA_M = 50.0
#: A track absent for longer than this is deleted (its open episodes close at its last time).
#: Files interleave tracks at different times, so absence from one time group means nothing.
TRACK_TIMEOUT_S = 60.0
#: Largest 1-sigma accepted, m (a track that vague says nothing about a zone).
MAX_SIGMA_M = 1.0e6


def _parse_epoch(epoch: str | None) -> datetime | None:
    if epoch is None:
        return None
    return parse_iso_datetime(epoch, "--epoch")


def _run_start(tracks: Path) -> datetime | None:
    """The start (t = 0) of the ``simulate`` run a tracks.csv belongs to, from the
    ``summary.json`` beside it (None when there is none or it has no valid ``start_utc``)."""
    try:
        start = json.loads((tracks.parent / "summary.json").read_text())["start_utc"]
        dt = datetime.fromisoformat(str(start).replace("Z", "+00:00"))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return dt if dt.tzinfo is not None else None


def _sigma(row: list[str], i: int | None, where: str, default: float) -> float:
    """A 1-sigma error cell (column index ``i``; None or empty: ``default``), m, > 0."""
    if i is None or not row[i].strip():
        return default
    v = finite_number(row[i], where, lo=0.0, hi=MAX_SIGMA_M,
                      what="a positive number of metres (1-sigma)")
    if v <= 0:
        raise DataFormatError(f"{where}: got {excerpt(row[i])}; expected a positive number of "
                              "metres (1-sigma)")
    return v


def read_tracks(path: Path) -> dict[str, Any]:
    """Parse and validate a tracks CSV. Returns columns as arrays (file order) plus
    ``iso`` (bool), ``times`` (float seconds, or datetimes when iso) and ``lines``."""
    rows = csv_rows(path, "tracks file", max_bytes=MAX_DOCUMENT_BYTES)
    try:
        _, header = next(rows)
    except StopIteration:
        raise DataFormatError(f"{path}: line 1: empty file; expected a header with columns "
                              f"{', '.join(REQUIRED_COLUMNS)}[, sigma_m]") from None
    header = [h.strip() for h in header]
    raw_header = list(header)
    radial = False
    if "time" not in header and "t_s" in header:
        # simulate's tracks.csv: the same quantities under its names; its pos_sd_m is the
        # horizontal RMS radius sqrt(Pxx + Pyy), i.e. sqrt(2) x the 1-sigma per axis
        header = [SIMULATE_NAMES.get(h, h) for h in header]
        radial = "pos_sd_m" in header and "sigma_m" not in header
        header = ["sigma_m" if radial and h == "pos_sd_m" else h for h in header]
    for c in REQUIRED_COLUMNS:
        if c not in header:
            raise DataFormatError(f"{path}: line 1: missing column '{c}' (header has "
                                  f"{excerpt(', '.join(header))}; expected "
                                  f"{', '.join(REQUIRED_COLUMNS)}[, sigma_m])")
    idx = {c: header.index(c) for c in REQUIRED_COLUMNS}
    i_sig = header.index("sigma_m") if "sigma_m" in header else None
    i_sv = header.index("sigma_alt_m") if "sigma_alt_m" in header else None
    times: list[Any] = []
    ids: list[str] = []
    vals: list[tuple[float, float, float, float, float]] = []
    lines: list[int] = []
    iso: bool | None = None
    for line, row in rows:
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) < len(header):
            raise DataFormatError(f"{path}: line {line}: expected {len(header)} columns, "
                                  f"got {len(row)}")
        where = f"{path}: line {line}, column"
        tt = row[idx["time"]].strip()
        if iso is None:
            try:
                float(tt)
                iso = False
            except ValueError:
                iso = True
        if iso:
            times.append(parse_iso_datetime(tt, f"{where} 'time'"))
        else:
            times.append(finite_number(tt, f"{where} 'time'", lo=-MAX_ABS_TIME_S,
                                       hi=MAX_ABS_TIME_S, what="seconds like the first row's"))
        tid = row[idx["track_id"]].strip()
        if not tid:
            raise DataFormatError(f"{where} 'track_id': empty; expected a track identifier")
        nums = [finite_number(row[idx[c]], f"{where} '{c}'", lo=lo, hi=hi, what="a number")
                for c, lo, hi in (("lat", -90.0, 90.0), ("lon", -180.0, 180.0),
                                  ("alt_m", ALT_MIN_M, ALT_MAX_M))]
        sg = _sigma(row, i_sig, f"{where} '{'pos_sd_m' if radial else 'sigma_m'}'",
                    DEFAULT_SIGMA_M * (np.sqrt(2.0) if radial else 1.0))
        sg = sg / np.sqrt(2.0) if radial else sg
        # altitude error: empty = not known (zone altitude bands are tested on the estimate)
        sv = _sigma(row, i_sv, f"{where} 'sigma_alt_m'", np.nan)
        ids.append(tid)
        vals.append((nums[0], nums[1], nums[2], sg, sv))
        lines.append(line)
    arr = np.array(vals, dtype=np.float64).reshape(-1, 5)
    return {"times": times, "iso": bool(iso), "ids": ids, "lat": arr[:, 0], "lon": arr[:, 1],
            "alt": arr[:, 2], "sigma": arr[:, 3], "sigma_alt": arr[:, 4], "lines": lines,
            "simulate": "t_s" in raw_header}


def violations_command(zones: Path | list[Path], tracks: Path, out: Path,
                       epoch: str | None = None) -> dict[str, Any]:
    """Run zone analytics on a tracks CSV; write events as JSON lines; return statistics.

    Raises :class:`DataFormatError` for a bad zone file, tracks file or epoch (exit 2).
    """
    ep = _parse_epoch(epoch)
    check_output_file(out)          # before any work: a bad --out fails in milliseconds
    zone_files = [zones] if isinstance(zones, (str, Path)) else list(zones)
    zs = ZoneSet.concat([ZoneSet.from_file(z) for z in zone_files])
    data = read_tracks(tracks)
    n = len(data["ids"])
    if data["iso"]:
        t0 = ep if ep is not None else (min(data["times"]) if n else
                                        datetime(1970, 1, 1, tzinfo=UTC))
        t = np.array([(x - t0).total_seconds() for x in data["times"]], dtype=np.float64)
        ep = t0
    else:
        t = np.array(data["times"], dtype=np.float64)
        if ep is None and data["simulate"]:
            ep = _run_start(tracks)
    cfg = AirspaceConfig(epoch=ep or datetime(1970, 1, 1, tzinfo=UTC),
                         track_timeout_s=TRACK_TIMEOUT_S)
    mon = AirspaceMonitor(zs, cfg)
    order = np.argsort(t, kind="stable")
    ids = np.array(data["ids"], dtype=object)
    # duplicate (time, track) rows: an error naming both lines
    seen: dict[tuple[float, str], int] = {}
    for k in order.tolist():
        key = (float(t[k]), ids[k])
        if key in seen:
            raise DataFormatError(f"{tracks}: line {data['lines'][k]}, columns 'time', "
                                  f"'track_id': duplicate row for track {ids[k]!r} at time "
                                  f"{data['times'][k]!s} (first at line {seen[key]}); expected "
                                  f"one row per track and time")
        seen[key] = data["lines"][k]
    events: list[AirspaceEvent] = []
    ts = t[order]
    bounds = np.flatnonzero(np.diff(ts)) + 1 if n else np.zeros(0, np.int64)
    groups = np.split(order, bounds) if n else []
    wall = 0.0
    for g in groups:
        a = _time.perf_counter()
        events += mon.step(float(t[g[0]]), ids[g].tolist(), data["lat"][g], data["lon"][g],
                           data["alt"][g], data["sigma"][g], None,
                           sigma_alt_m=data["sigma_alt"][g])
        wall += _time.perf_counter() - a
    events += mon.finish(float(ts[-1]) if n else 0.0)
    events = sort_events(events)
    with atomic_output(out) as f:
        for e in events:
            f.write(json.dumps(e.to_dict(), separators=(",", ":")) + "\n")
    counts = Counter(e.kind for e in events)
    return {"zones": len(zs), "zone_repairs": list(zs.repairs), "rows": n,
            "tracks": len(set(data["ids"])), "scans": len(groups),
            "events": {k: counts.get(k, 0) for k in ("warning", "entry", "exit", "violation")},
            "epoch": cfg.epoch.isoformat().replace("+00:00", "Z"),
            "monitor_wall_s": wall, "ms_per_scan": 1e3 * wall / max(len(groups), 1),
            "quarantined_rows": mon.stats["quarantined_rows"], "out": str(out)}
