"""Inputs of the incident report, validated: events (JSON lines), a tracks table, zone GeoJSON.

Every value the report reads is checked here, once, with the file and line (or data row) in the
message: event fields have the types of the event schema (``docs/airspace.md``), times lie in
the date window, numbers are finite, positions are on the globe. The view layer can then format
whatever it is given. Unknown extra fields of an event are kept (newer writers may add some).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import shapely
import shapely.geometry

from dronewall.errors import DataFormatError
from dronewall.inputs import check_datetime, excerpt, iter_json_lines, load_json
from dronewall.inputs.limits import ALT_MAX_M, ALT_MIN_M, MAX_ABS_TIME_S, MAX_DOCUMENT_BYTES
from dronewall.inputs.text import check_input_file, text_lines


@dataclass
class TrackSeries:
    t_s: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    alt: np.ndarray
    sigma: np.ndarray
    seen_by: list[str]
    speed: np.ndarray | None = None  # m/s from the tracker's velocity estimate, when present
    alt_sd: np.ndarray | None = None  # 1-sigma altitude error, m (column alt_sd_m), when present


#: Largest magnitude of a distance, speed or other metric field of an event (m, m/s, ...):
#: beyond it the value is garbage (the Earth's circumference is 4e7 m).
MAX_ABS_METRIC = 1.0e9

# field kinds of the event schema (dronewall.airspace.events): what the report may read
_TIME = "time"          # seconds since the epoch of the record, or null
_NUM = "number"         # finite number, or null
_PROB = "probability"   # number in [0, 1], or null
_ISO = "iso"            # ISO-8601 UTC text in the date window, or null / ""
_STR = "text"           # string, or null
_STRBOOL = "text_bool"  # string, true / false (older writers), or null
_BOOL = "bool"          # true / false, or null
_POINT = "point"        # [lat, lon(, alt)] numbers (or nulls), or null
_ID = "id"              # string or integer (required)
_IDS = "ids"            # list of strings or integers, or null
_TIMES = "times"        # list of seconds (or nulls), or null
_ISOS = "isos"          # list of ISO texts (or nulls), or null
_STRS = "texts"         # list of strings, or null
_INT = "int"            # whole number >= 0, or null
_COUNTS = "counts"      # {text: whole number >= 0}, or null
_GAPS = "gaps"          # list of identity-gap objects (from/to s and UTC, gap s, where)
#: The fields of one identity gap (``dronewall.airspace.identity_gaps``) and their kinds.
_GAP_FIELDS = {"track_id": _ID, "from_t_s": _TIME, "to_t_s": _TIME, "gap_s": _NUM, "from_utc": _ISO,
               "to_utc": _ISO, "where": _STR}
_CHANGES = "changes"    # list of target-change objects (airspace.target_changes)
_CHANGE_FIELDS = {"track_id": _ID, "old_until_t_s": _TIME, "new_from_t_s": _TIME,
                  "old_until_utc": _ISO, "new_from_utc": _ISO, "old_class": _STR,
                  "new_class": _STR, "old_speed_mps": _NUM, "new_speed_mps": _NUM,
                  "speed_changed_t_s": _TIME, "speed_changed_utc": _ISO, "where": _STR}
_LINK = "link"          # one pilot-link object (airspace.pilot_link), or null
_LINK_FIELDS = {"protocol": _STR, "reports": _INT, "reach_m": _NUM, "least_depth_m": _NUM,
                "pilot_inside": _BOOL}
#: The object-list kinds: their fields, the fields an older file may lack, and what the list
#: holds (for the error message).
_OBJECT_LISTS = {_GAPS: (_GAP_FIELDS, frozenset(), "identity gaps"),
                 _CHANGES: (_CHANGE_FIELDS, frozenset({"speed_changed_t_s",
                                                       "speed_changed_utc"}),
                            "target changes")}

EVENT_FIELDS: dict[str, str] = {
    "track_id": _ID, "zone_id": _ID, "zone_kind": _STR, "zone_name": _STR, "country": _STR,
    "time": _ISO, "t_s": _TIME, "identity": _STR,
    "predicted_crossing_time": _ISO, "predicted_crossing_t_s": _TIME,
    "time_to_crossing_s": _NUM, "predicted_lat": _NUM, "predicted_lon": _NUM,
    "lat": _NUM, "lon": _NUM, "alt_m": _NUM, "p_inside": _PROB, "declared_t_s": _TIME,
    "interpolated": _BOOL, "from_country": _STR,
    "window_t_s": _TIMES, "window_utc": _ISOS, "point_95_m": _NUM, "predicted_for_s": _NUM,
    "after_start_s": _NUM,
    "entry_time": _ISO, "exit_time": _ISO, "entry_t_s": _TIME, "exit_t_s": _TIME,
    "entry_point": _POINT, "exit_point": _POINT, "entry_interpolated": _BOOL,
    "exit_interpolated": _BOOL, "duration_s": _NUM, "max_depth_m": _NUM,
    "max_depth_point": _POINT, "sigma_at_max_depth_m": _NUM, "path_length_m": _NUM,
    "min_alt_m": _NUM, "max_alt_m": _NUM, "sigma_alt_m": _NUM, "max_speed_mps": _NUM,
    "p_episode": _PROB,
    "confidence": _STR, "ongoing": _BOOL, "end_reason": _STR, "n_scans": _INT,
    "evidence": _STR, "entry_window_t_s": _TIMES, "entry_window_utc": _ISOS,
    "entry_point_95_m": _NUM, "exit_window_t_s": _TIMES, "exit_window_utc": _ISOS,
    "duration_bounds_s": _TIMES,
    "covered_before_s": _NUM, "cooperative": _STRBOOL, "authorised": _BOOL,
    "track_quality": _STR, "episode_id": _STR, "confidence_reasons": _STRS, "fragments": _IDS,
    "track_steps": _INT, "track_p_bird": _PROB, "track_body_from_t_s": _TIME,
    "track_hits": _INT, "sensor_kinds": _STRS,
    "sensor_updates": _COUNTS, "observed_inside": _BOOL, "identity_gaps": _GAPS,
    "target_changes": _CHANGES, "operator_point": _POINT, "operator_t_s": _TIME,
    "pilot_link": _LINK,
}
EVENT_KINDS = ("warning", "entry", "exit", "violation")
_REQUIRED = ("track_id", "zone_id")


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _check_object(g: Any, names: dict[str, str], optional: frozenset[str], where: str) -> None:
    """Raise DataFormatError unless ``g`` is an object with the fields ``names`` (those in
    ``optional``, added later, may be absent), none null: records merge and describe them by
    all of them."""
    if not isinstance(g, dict) or not set(names) - optional <= set(g) <= set(names):
        raise DataFormatError(f"{where}: got {excerpt(g)}; expected an object with the fields "
                              f"{', '.join(names)}")
    for f, x in g.items():
        if x is None:
            raise DataFormatError(f"{where}.{f}: got null; expected a value")
        _check_value(names[f], x, f"{where}.{f}")


def _check_value(kind: str, v: Any, where: str) -> None:
    """Raise DataFormatError unless ``v`` fits ``kind`` (see EVENT_FIELDS)."""
    if v is None:
        if kind == _ID:
            raise DataFormatError(f"{where}: got null; expected a string or integer id")
        return
    ok = True
    if kind == _ID:
        ok = (isinstance(v, str) and v != "") or (isinstance(v, int) and not isinstance(v, bool)
                                                  and abs(v) < 2**63)
        expected = "a non-empty string or an integer id"
    elif kind in (_TIME, _NUM, _PROB, _INT):
        lim = MAX_ABS_TIME_S if kind == _TIME else MAX_ABS_METRIC
        ok = _is_num(v) and math.isfinite(float(v)) and abs(float(v)) <= lim
        if kind == _PROB:
            ok = ok and 0.0 <= float(v) <= 1.0
        if kind == _INT:
            ok = ok and float(v).is_integer() and float(v) >= 0
        expected = {_TIME: f"seconds (a finite number, |t| <= {MAX_ABS_TIME_S:.3g}) or null",
                    _NUM: "a finite number or null", _PROB: "a probability in [0, 1] or null",
                    _INT: "a whole number >= 0 or null"}[kind]
    elif kind == _ISO:
        if isinstance(v, str) and v != "":
            _iso(v, where)
            return
        ok, expected = isinstance(v, str), "ISO-8601 UTC text or null"
    elif kind == _STR:
        ok, expected = isinstance(v, str), "text or null"
    elif kind == _STRBOOL:
        ok, expected = isinstance(v, (str, bool)), "text, true, false or null"
    elif kind == _BOOL:
        ok, expected = isinstance(v, bool), "true, false or null"
    elif kind == _POINT:
        ok = (isinstance(v, list) and 2 <= len(v) <= 3
              and all(x is None or (_is_num(x) and math.isfinite(float(x))) for x in v)
              and (v[0] is None or -90 <= v[0] <= 90) and (v[1] is None or -180 <= v[1] <= 180))
        expected = "[lat_deg, lon_deg(, alt_m)] on the globe, or null"
    elif kind == _COUNTS:
        if not isinstance(v, dict) or len(v) > 64:
            raise DataFormatError(f"{where}: got {excerpt(v)}; expected an object of counts "
                                  "(text: whole number >= 0) or null")
        for k, x in v.items():
            _check_value(_INT, x, f"{where}.{excerpt(k)}")
        return
    elif kind == _LINK:
        _check_object(v, _LINK_FIELDS, frozenset(), where)
        return
    elif kind in _OBJECT_LISTS:
        names, optional, what = _OBJECT_LISTS[kind]
        if not isinstance(v, list) or len(v) > 10_000:
            raise DataFormatError(f"{where}: got {excerpt(v)}; expected a list of {what} "
                                  "or null")
        for k, g in enumerate(v):
            _check_object(g, names, optional, f"{where}[{k}]")
        return
    else:  # lists
        item = {_IDS: _ID, _TIMES: _TIME, _ISOS: _ISO, _STRS: _STR}[kind]
        if not isinstance(v, list) or len(v) > 100_000:
            raise DataFormatError(f"{where}: got {excerpt(v)}; expected a list")
        for k, x in enumerate(v):
            _check_value(item, x, f"{where}[{k}]")
        return
    if not ok:
        raise DataFormatError(f"{where}: got {excerpt(v)}; expected {expected}")


def _iso(text: str, where: str) -> datetime:
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise DataFormatError(f"{where}: got {excerpt(text)}; expected ISO-8601 UTC text, e.g. "
                              "2025-09-10T00:30:00Z") from None
    return check_datetime(dt, where)


def check_event(ev: Any, where: str) -> dict[str, Any]:
    """``ev`` if it is an airspace event the report can use; else DataFormatError."""
    if not isinstance(ev, dict):
        raise DataFormatError(f"{where}: got {excerpt(ev)}; expected a JSON object (an event)")
    kind = ev.get("event")
    if kind not in EVENT_KINDS:
        raise DataFormatError(f"{where}, field 'event': got {excerpt(kind)}; expected one of "
                              f"{', '.join(EVENT_KINDS)}")
    for f in _REQUIRED:
        if f not in ev:
            raise DataFormatError(f"{where}: {kind} event without field '{f}' (expected a "
                                  "string or integer id)")
    for f, v in ev.items():
        k = EVENT_FIELDS.get(f)
        if k is not None:
            _check_value(k, v, f"{where}, field '{f}'")
    return ev


def load_events(path: Path) -> list[dict[str, Any]]:
    """Events of a JSON-lines file, each checked against the event schema."""
    return [check_event(ev, f"{path}: line {n}")
            for n, ev in iter_json_lines(path, "events file")]


def _column(tbl: pa.Table, name: str, path: Path, lo: float, hi: float,
            what: str) -> np.ndarray:
    """A numeric column as float64 (empty cells NaN); text or out-of-range values are errors
    naming the first bad data row."""
    col = tbl.column(name)
    if pa.types.is_null(col.type):
        return np.full(len(col), np.nan)
    if not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type)):
        bad = next((x for x in col.to_pylist() if x is not None), None)
        raise DataFormatError(f"{path}: column '{name}': got {excerpt(bad)}; expected {what}")
    a = np.asarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    out = np.isfinite(a) & ((a < lo) | (a > hi)) | np.isinf(a)
    if out.any():
        k = int(np.argmax(out))
        raise DataFormatError(f"{path}: column '{name}', data row {k + 1}: got {a[k]!r}; "
                              f"expected {what} in [{lo:g}, {hi:g}]")
    return a


def _times(tbl: pa.Table, name: str, path: Path) -> np.ndarray:
    """Seconds: numbers as they are, ISO-8601 text or timestamps as Unix seconds."""
    col = tbl.column(name)
    if pa.types.is_timestamp(col.type):
        try:    # microseconds as int64, divided here (arrow refuses int64 -> float64 > 2**53)
            us = pc.cast(pc.cast(col, pa.timestamp("us", "UTC")), pa.int64())
        except (pa.ArrowInvalid, OverflowError) as e:
            raise DataFormatError(f"{path}: column '{name}': {excerpt(str(e), 120)}; expected "
                                  "times from 1900 to 2200") from None
        t = np.asarray(us.to_numpy(zero_copy_only=False), dtype=np.float64) / 1e6
        lo, hi = -MAX_ABS_TIME_S, MAX_ABS_TIME_S
    elif pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        vals = col.to_pylist()
        t = np.full(len(vals), np.nan)
        for k, x in enumerate(vals):
            if x is not None and x.strip():
                t[k] = _iso(x.strip(), f"{path}: column '{name}', data row {k + 1}").timestamp()
        return t
    else:
        return _column(tbl, name, path, -MAX_ABS_TIME_S, MAX_ABS_TIME_S, "seconds")
    if np.any(np.abs(t) > hi) or np.any(t < lo):
        raise DataFormatError(f"{path}: column '{name}': times outside the date window; "
                              "expected times from 1900 to 2200 (UTC)")
    return t


def is_parquet(path: Path) -> bool:
    """A Parquet file (``simulate --format parquet``): by its suffix or its magic bytes."""
    if path.suffix.lower() == ".parquet":
        return True
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"PAR1"
    except OSError:
        return False


def read_parquet(path: Path, what: str, columns: list[str] | None = None) -> pa.Table:
    """A Parquet table (only ``columns`` that it has, when given); an unreadable file is a
    :class:`DataFormatError` naming it."""
    import pyarrow.parquet as pq

    check_input_file(path, what, MAX_DOCUMENT_BYTES)
    try:
        pf = pq.ParquetFile(str(path))
        have = pf.schema_arrow.names
        return pf.read(columns=None if columns is None else [c for c in columns if c in have])
    except Exception as e:  # noqa: BLE001 - any reader failure is a format error
        raise DataFormatError(f"{path}: not a readable Parquet table: {excerpt(str(e), 200)}"
                              ) from None


def load_tracks(path: Path) -> dict[str, TrackSeries]:
    """Tracks from ``tracks.csv`` / ``tracks.parquet`` (t_s, lat_deg, ...) or the neutral
    format (time, lat, ...)."""
    if is_parquet(path):
        tbl = read_parquet(path, "tracks file")
    else:
        check_input_file(path, "tracks file", MAX_DOCUMENT_BYTES)
        try:
            tbl = pacsv.read_csv(str(path))
        except Exception as e:  # noqa: BLE001 - pyarrow raises ArrowInvalid with the line
            raise DataFormatError(f"{path}: not a readable CSV table: {excerpt(str(e), 200)}"
                                  ) from None
    try:
        binary = [n for n, t in zip(tbl.column_names, tbl.schema.types, strict=True)
                  if pa.types.is_binary(t) or pa.types.is_large_binary(t)]
    except UnicodeDecodeError:   # a header name that is not UTF-8
        binary = ["(header)"]
    if binary:   # pyarrow reads a column with bytes that are not UTF-8 as binary
        for _ in text_lines(path, "tracks file"):   # names the line of the first such byte
            pass
        raise DataFormatError(f"{path}: column {binary[0]!r}: not UTF-8 text; expected a UTF-8 "
                              "encoded CSV file")
    dup = sorted({n for n in tbl.column_names if tbl.column_names.count(n) > 1})
    if dup:
        raise DataFormatError(f"{path}: line 1: column {excerpt(dup[0])} appears more than once; "
                              "expected each column once")
    cols = set(tbl.column_names)
    if {"t_s", "lat_deg", "lon_deg"} <= cols:
        tcol, la, lo = "t_s", "lat_deg", "lon_deg"
    elif {"time", "lat", "lon"} <= cols:
        tcol, la, lo = "time", "lat", "lon"
    else:
        raise DataFormatError(f"{path}: expected columns t_s,track_id,lat_deg,lon_deg,alt_m "
                              f"(dronewall tracks) or time,track_id,lat,lon,alt_m; got "
                              f"{excerpt(', '.join(tbl.column_names), 200)}")
    if "track_id" not in cols:
        raise DataFormatError(f"{path}: missing column track_id")
    t_a = _times(tbl, tcol, path)
    ids = np.asarray(["" if x is None else str(x) for x in tbl.column("track_id").to_pylist()])
    lat = _column(tbl, la, path, -90.0, 90.0, "latitudes in degrees")
    lon = _column(tbl, lo, path, -180.0, 180.0, "longitudes in degrees")
    alt = (_column(tbl, "alt_m", path, ALT_MIN_M, ALT_MAX_M, "altitudes in metres")
           if "alt_m" in cols else np.full(t_a.size, np.nan))
    sg = "pos_sd_m" if "pos_sd_m" in cols else ("sigma_m" if "sigma_m" in cols else None)
    sigma = (_column(tbl, sg, path, 0.0, MAX_ABS_METRIC, "1-sigma errors in metres") if sg
             else np.full(t_a.size, np.nan))
    seen = ([("" if x is None else str(x)) for x in tbl.column("seen_by").to_pylist()]
            if "seen_by" in cols else [""] * t_a.size)
    alt_sd = (_column(tbl, "alt_sd_m", path, 0.0, MAX_ABS_METRIC, "1-sigma errors in metres")
              if "alt_sd_m" in cols else None)
    speed = None
    if {"vx_mps", "vy_mps"} <= cols:
        vx = _column(tbl, "vx_mps", path, -MAX_ABS_METRIC, MAX_ABS_METRIC, "speeds in m/s")
        vy = _column(tbl, "vy_mps", path, -MAX_ABS_METRIC, MAX_ABS_METRIC, "speeds in m/s")
        speed = np.hypot(vx, vy)  # engine-frame horizontal: within cos(tilt) of ground speed
    out: dict[str, TrackSeries] = {}
    if t_a.size == 0:
        return out
    order = np.lexsort((t_a, ids))
    ids_s = ids[order]
    bounds = np.flatnonzero(np.r_[True, ids_s[1:] != ids_s[:-1], True])
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        sel = order[a:b]
        out[str(ids_s[a])] = TrackSeries(t_a[sel], lat[sel], lon[sel], alt[sel], sigma[sel],
                                         [seen[i] for i in sel],
                                         None if speed is None else speed[sel],
                                         None if alt_sd is None else alt_sd[sel])
    return out


def load_zone_shapes(paths: list[Path], simplify_deg: float) -> dict[str, shapely.Geometry]:
    """zone id -> (multi)polygon in (lon, lat), simplified by ``simplify_deg`` for drawing."""
    shapes: dict[str, shapely.Geometry] = {}
    for p in paths:
        gj = load_json(p, "zones GeoJSON file")
        if not isinstance(gj, dict) or gj.get("type") not in ("FeatureCollection", "Feature"):
            raise DataFormatError(f"{p}: expected a GeoJSON FeatureCollection or Feature")
        feats = gj.get("features", [gj]) if gj.get("type") == "FeatureCollection" else [gj]
        if not isinstance(feats, list):
            raise DataFormatError(f"{p}: field 'features': got {excerpt(feats)}; expected a "
                                  "list of features")
        for i, f in enumerate(feats):
            where = f"{p}: feature {i}"
            if not isinstance(f, dict):
                raise DataFormatError(f"{where}: got {excerpt(f)}; expected a GeoJSON Feature")
            props = f.get("properties") or {}
            g = f.get("geometry") or {}
            if not isinstance(props, dict) or not isinstance(g, dict):
                raise DataFormatError(f"{where}: 'properties' and 'geometry' must be objects")
            if g.get("type") not in ("Polygon", "MultiPolygon"):
                continue
            try:
                geom = shapely.geometry.shape(g)
                xy = shapely.get_coordinates(geom)
            except Exception as e:  # noqa: BLE001 - shapely/GEOS raise several kinds
                raise DataFormatError(f"{where}: zone {excerpt(props.get('id'))}: bad geometry: "
                                      f"{excerpt(str(e), 120)}") from None
            if xy.size and not (np.isfinite(xy).all() and np.abs(xy[:, 0]).max() <= 180
                                and np.abs(xy[:, 1]).max() <= 90):
                raise DataFormatError(f"{where}: zone {excerpt(props.get('id'))}: coordinates "
                                      "must be [lon, lat] in degrees on the globe")
            shapes[str(props.get("id", ""))] = shapely.simplify(geom, simplify_deg)
    return shapes
