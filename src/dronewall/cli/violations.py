"""``dronewall violations``: zone analytics on a neutral track file.

``violations_command(zones, tracks, out, epoch)`` reads a zone file (GeoJSON or KML, see
``docs/airspace.md``) and a tracks CSV with columns ``time,track_id,lat,lon,alt_m`` and optional
``sigma_m``; runs :class:`dronewall.airspace.AirspaceMonitor` one ``step`` per distinct time
(rows sorted by time); writes one JSON event per line to ``out``, sorted by (t_s, track, zone,
event rank). Velocities for warnings are estimated from consecutive positions of each track.

``time`` is either seconds (any real number; ``epoch`` or 1970-01-01T00:00:00Z is t = 0) or
ISO-8601 with a UTC offset (``Z`` or ``+00:00``); the kind is detected from the first data row
and must hold for the whole file. For ISO times, t = 0 is ``epoch`` or the earliest time.
"""

from __future__ import annotations

import csv
import json
import math
import time as _time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from dronewall.airspace import AirspaceConfig, AirspaceMonitor, ZoneSet, sort_events
from dronewall.airspace.events import AirspaceEvent
from dronewall.errors import DataFormatError

REQUIRED_COLUMNS = ("time", "track_id", "lat", "lon", "alt_m")
#: 1-sigma horizontal error assumed when the file has no ``sigma_m`` column: a typical fused
#: radar track at 10-30 km (15 m range, 0.5 deg azimuth noise, after filtering).
DEFAULT_SIGMA_M = 50.0
#: A track absent for longer than this is deleted (its open episodes close at its last time).
#: Files interleave tracks at different times, so absence from one time group means nothing.
TRACK_TIMEOUT_S = 60.0


def _parse_epoch(epoch: str | None) -> datetime | None:
    if epoch is None:
        return None
    try:
        dt = datetime.fromisoformat(epoch)
    except ValueError:
        raise DataFormatError(f"--epoch: got {epoch!r}; expected ISO-8601 with a UTC offset, "
                              f"e.g. 2025-09-10T00:00:00Z") from None
    if dt.tzinfo is None:
        raise DataFormatError(f"--epoch: got {epoch!r}; needs a time zone, e.g. a trailing Z")
    return dt.astimezone(UTC)


def _iso(text: str, path: Path, line: int) -> datetime:
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise DataFormatError(f"{path}: line {line}, column 'time': got {text!r}; expected "
                              f"ISO-8601 UTC like the first row's (e.g. 2025-09-10T00:30:00Z)"
                              ) from None
    if dt.tzinfo is None:
        raise DataFormatError(f"{path}: line {line}, column 'time': got {text!r}; ISO times "
                              f"need a UTC offset (append Z)")
    return dt.astimezone(UTC)


def read_tracks(path: Path) -> dict[str, Any]:
    """Parse and validate a tracks CSV. Returns columns as arrays (file order) plus
    ``iso`` (bool), ``times`` (float seconds, or datetimes when iso) and ``lines``."""
    try:
        f = path.open(newline="", encoding="utf-8")
    except OSError as e:
        raise DataFormatError(f"{path}: cannot read tracks file ({e.strerror})") from e
    with f:
        reader = csv.reader(f)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise DataFormatError(f"{path}: line 1: empty file; expected a header with columns "
                                  f"{', '.join(REQUIRED_COLUMNS)}[, sigma_m]") from None
        for c in REQUIRED_COLUMNS:
            if c not in header:
                raise DataFormatError(f"{path}: line 1: missing column '{c}' (header has "
                                      f"{', '.join(header)}; expected "
                                      f"{', '.join(REQUIRED_COLUMNS)}[, sigma_m])")
        idx = {c: header.index(c) for c in REQUIRED_COLUMNS}
        i_sig = header.index("sigma_m") if "sigma_m" in header else None
        times: list[Any] = []
        ids: list[str] = []
        vals: list[tuple[float, float, float, float]] = []
        lines: list[int] = []
        iso: bool | None = None
        for row in reader:
            line = reader.line_num
            if not row or all(not c.strip() for c in row):
                continue
            if len(row) < len(header):
                raise DataFormatError(f"{path}: line {line}: expected {len(header)} columns, "
                                      f"got {len(row)}")
            tt = row[idx["time"]].strip()
            if iso is None:
                try:
                    float(tt)
                    iso = False
                except ValueError:
                    iso = True
            if iso:
                times.append(_iso(tt, path, line))
            else:
                try:
                    tv = float(tt)
                except ValueError:
                    raise DataFormatError(f"{path}: line {line}, column 'time': got {tt!r}; "
                                          f"expected seconds like the first row's") from None
                if not math.isfinite(tv):
                    raise DataFormatError(f"{path}: line {line}, column 'time': got {tt!r}; "
                                          f"expected a finite number of seconds")
                times.append(tv)
            tid = row[idx["track_id"]].strip()
            if not tid:
                raise DataFormatError(f"{path}: line {line}, column 'track_id': empty; expected "
                                      f"a track identifier")
            nums = []
            for c, lo, hi in (("lat", -90.0, 90.0), ("lon", -180.0, 180.0),
                              ("alt_m", -1e4, 1e6)):
                txt = row[idx[c]].strip()
                try:
                    v = float(txt)
                except ValueError:
                    raise DataFormatError(f"{path}: line {line}, column '{c}': got {txt!r}; "
                                          f"expected a number in [{lo:g}, {hi:g}]") from None
                if not (math.isfinite(v) and lo <= v <= hi):
                    raise DataFormatError(f"{path}: line {line}, column '{c}': got {txt!r}; "
                                          f"expected a number in [{lo:g}, {hi:g}]")
                nums.append(v)
            sg = DEFAULT_SIGMA_M
            if i_sig is not None and row[i_sig].strip():
                txt = row[i_sig].strip()
                try:
                    sg = float(txt)
                except ValueError:
                    sg = float("nan")
                if not (math.isfinite(sg) and sg > 0):
                    raise DataFormatError(f"{path}: line {line}, column 'sigma_m': got {txt!r}; "
                                          f"expected a positive number of metres (1-sigma)")
            ids.append(tid)
            vals.append((nums[0], nums[1], nums[2], sg))
            lines.append(line)
    arr = np.array(vals, dtype=np.float64).reshape(-1, 4)
    return {"times": times, "iso": bool(iso), "ids": ids, "lat": arr[:, 0], "lon": arr[:, 1],
            "alt": arr[:, 2], "sigma": arr[:, 3], "lines": lines}


def violations_command(zones: Path | list[Path], tracks: Path, out: Path,
                       epoch: str | None = None) -> dict[str, Any]:
    """Run zone analytics on a tracks CSV; write events as JSON lines; return statistics.

    Raises :class:`DataFormatError` for a bad zone file, tracks file or epoch (exit 2).
    """
    ep = _parse_epoch(epoch)
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
                           data["alt"][g], data["sigma"][g], None)
        wall += _time.perf_counter() - a
    events += mon.finish(float(ts[-1]) if n else 0.0)
    events = sort_events(events)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as f:
            for e in events:
                f.write(json.dumps(e.to_dict(), separators=(",", ":")) + "\n")
    except OSError as e:
        raise DataFormatError(f"{out}: cannot write events ({e.strerror})") from e
    counts = Counter(e.kind for e in events)
    return {"zones": len(zs), "zone_repairs": list(zs.repairs), "rows": n,
            "tracks": len(set(data["ids"])), "scans": len(groups),
            "events": {k: counts.get(k, 0) for k in ("warning", "entry", "exit", "violation")},
            "epoch": cfg.epoch.isoformat().replace("+00:00", "Z"),
            "monitor_wall_s": wall, "ms_per_scan": 1e3 * wall / max(len(groups), 1),
            "quarantined_rows": mon.stats["quarantined_rows"], "out": str(out)}
