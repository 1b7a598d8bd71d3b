"""Inputs of the study report: the files of a study directory, read defensively.

Every reader returns an empty value (never raises) for a missing or unreadable file, so the
report can leave out what depends on it with a note.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import shapely
import shapely.geometry

from dronewall.errors import DataFormatError
from dronewall.inputs import load_json, loads_json, read_text


def read_json(path: Path) -> Any:
    """The decoded file (size, encoding and nesting checked); None when it is missing or not
    valid JSON."""
    try:
        return load_json(path)
    except DataFormatError:
        return None


def to_float(x: Any) -> float:
    """A number from a JSON value or CSV cell; NaN for anything else (empty, text, None, an
    integer too large for a float)."""
    try:
        return float(x)
    except (TypeError, ValueError, OverflowError):
        return math.nan


def _csv_header(path: Path) -> list[str]:
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            return next(csv.reader(fh), [])
    except (OSError, UnicodeDecodeError, csv.Error):   # csv.Error: e.g. a 131,072+ char field
        return []


#: Columns read as numbers by their name (times, angles, lengths, money, speeds, counts).
NUMERIC_SUFFIXES = ("_s", "_deg", "_m", "_eur", "_mps", "shots")


def read_columns(path: Path, wanted: Iterable[str]) -> dict[str, np.ndarray] | None:
    """The wanted columns present in a CSV file as numpy arrays (strings as object arrays);
    None when the file or all the columns are missing. A header-only file gives empty arrays."""
    header = _csv_header(path)
    cols = [c for c in wanted if c in header]
    if not cols:
        return None
    try:
        tbl = pacsv.read_csv(str(path), convert_options=pacsv.ConvertOptions(include_columns=cols))
    except Exception:  # noqa: BLE001 - pyarrow raises ArrowInvalid & co. on malformed files
        return None
    out = {}
    for c in cols:
        col = tbl.column(c)
        if c.endswith(NUMERIC_SUFFIXES) and not (pa.types.is_integer(col.type)
                                                 or pa.types.is_floating(col.type)):
            # a column of numbers holding text (a damaged file): NaN where it is not a number
            out[c] = np.asarray([to_float(x) for x in col.to_pylist()], dtype=np.float64)
            continue
        try:
            out[c] = col.to_numpy(zero_copy_only=False)
        except Exception:  # noqa: BLE001 - mixed or null columns
            out[c] = np.asarray(col.to_pylist(), dtype=object)
    return out


def read_runs(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """runs.csv: (column names, rows as dicts of strings)."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rd = csv.DictReader(fh)
            rows = list(rd)
            return list(rd.fieldnames or []), rows
    except (OSError, UnicodeDecodeError, csv.Error):
        return [], []


def read_zones(path: Path) -> list[tuple[dict[str, Any], shapely.Geometry]]:
    """(properties, polygon) of each polygon feature of a GeoJSON file."""
    gj = read_json(path)
    out: list[tuple[dict[str, Any], shapely.Geometry]] = []
    if not isinstance(gj, dict):
        return out
    feats = gj.get("features", [gj] if gj.get("type") == "Feature" else [])
    for f in feats if isinstance(feats, list) else []:
        g = f.get("geometry") if isinstance(f, dict) else None
        props = f.get("properties") if isinstance(f, dict) else None
        if not isinstance(g, dict) or g.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        try:
            geom = shapely.geometry.shape(g)
            xy = shapely.get_coordinates(geom)
            if xy.size and np.isfinite(xy).all() and not geom.is_valid:
                # a self-intersecting ring (a damaged file): its valid polygonal part, as the
                # zone readers repair it; drawing an invalid one fails in GEOS
                fixed = shapely.make_valid(geom)
                parts = [p for p in getattr(fixed, "geoms", [fixed])
                         if p.geom_type in ("Polygon", "MultiPolygon")]
                geom = shapely.union_all(parts) if parts else shapely.Polygon()
        except Exception:  # noqa: BLE001 - shapely / GEOS raise several kinds; skip the feature
            continue
        if geom.is_empty:
            continue
        if xy.size and np.isfinite(xy).all() and np.abs(xy).max() <= 180:
            out.append((props if isinstance(props, dict) else {}, geom))
    return out


def read_events(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSON-lines file (bad lines skipped; none if the file is
    unreadable)."""
    out = []
    try:
        for line in read_text(path, "events file").splitlines():
            try:
                e = loads_json(line, str(path))
            except DataFormatError:
                continue
            if isinstance(e, dict):
                out.append(e)
    except DataFormatError:
        return []
    return out


@dataclass
class Paths:
    """Polylines grouped by id: id -> (lat, lon, t) arrays sorted by time, and a label (the
    last value of a label column, e.g. a track's final class)."""

    lat: dict[str, np.ndarray] = field(default_factory=dict)
    lon: dict[str, np.ndarray] = field(default_factory=dict)
    t: dict[str, np.ndarray] = field(default_factory=dict)
    label: dict[str, str] = field(default_factory=dict)


def group_paths(ids: np.ndarray, t: np.ndarray, lat: np.ndarray, lon: np.ndarray,
                label: np.ndarray | None) -> Paths:
    ids = np.asarray([str(x) for x in ids])
    p = Paths()
    if ids.size == 0:
        return p
    t = np.asarray(t, dtype=np.float64)
    order = np.lexsort((t, ids))
    ids_s = ids[order]
    b = np.flatnonzero(np.r_[True, ids_s[1:] != ids_s[:-1], True])
    for a, e in zip(b[:-1], b[1:], strict=True):
        sel = order[a:e]
        k = str(ids_s[a])
        p.lat[k] = np.asarray(lat[sel], dtype=np.float64)
        p.lon[k] = np.asarray(lon[sel], dtype=np.float64)
        p.t[k] = t[sel]
        if label is not None:
            last = label[sel[-1]]
            p.label[k] = "" if last is None else str(last)
    return p


def sensors_from_scenario(sc: dict[str, Any]) -> list[dict[str, Any]]:
    """Fallback when sensors.json is missing: the point sensors of scenario.json (acoustic
    grids not expanded), with their configured range as coverage where they have one."""
    out = []
    for s in sc.get("sensors") or []:
        pos = s.get("position") if isinstance(s, dict) else None
        if not pos or len(pos) < 2:
            continue
        rng = next((s[k] for k in ("range_m", "max_range_m", "range_ref_m") if s.get(k)), None)
        if s.get("type") == "adsb" and rng and rng > 100_000:
            rng = None
        out.append({"id": s.get("id"), "type": s.get("type"), "lat": pos[0], "lon": pos[1],
                    "coverage_radius_m": rng})
    return out


@dataclass
class Study:
    """The study directory's contents (each part empty when its file is missing)."""

    dir: Path
    summary: dict[str, Any]
    scenario: dict[str, Any]
    sensors: list[dict[str, Any]]
    columns: list[str]
    runs: list[dict[str, str]]

    @property
    def run0(self) -> Path:
        return self.dir / "runs" / "run-0000"

    def sweep_params(self) -> list[str]:
        sw = self.summary.get("sweep") or {}
        return [str(p) for p in (sw.get("parameters") or [])] if isinstance(sw, dict) else []

    def ok_rows(self) -> list[dict[str, str]]:
        return [r for r in self.runs if (r.get("status") or "ok") == "ok"]

    def values(self, metric: str, rows: list[dict[str, str]] | None = None) -> np.ndarray:
        """The per-run values of a runs.csv column (NaN where empty), over ``rows`` (default:
        the successful runs)."""
        rows = self.ok_rows() if rows is None else rows
        return np.array([to_float(r.get(metric)) for r in rows], dtype=np.float64)


def load_study(study_dir: Path) -> Study:
    d = Path(study_dir)
    summary = read_json(d / "summary.json")
    scenario = read_json(d / "scenario.json")
    sensors = read_json(d / "sensors.json")
    columns, runs = read_runs(d / "runs.csv")
    summary = summary if isinstance(summary, dict) else {}
    scenario = scenario if isinstance(scenario, dict) else {}
    if not isinstance(sensors, list):
        sensors = sensors_from_scenario(scenario)
    return Study(d, summary, scenario, [s for s in sensors if isinstance(s, dict)], columns, runs)
