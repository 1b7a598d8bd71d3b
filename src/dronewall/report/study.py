"""Study report: one offline HTML page for a Monte-Carlo study directory.

Input: the directory written by the Monte-Carlo runner (``summary.json``, ``runs.csv``,
``sensors.json``, ``scenario.json`` and ``runs/run-0000/`` with the full outputs of the first
run, see docs/study-report.md). Every input is optional: what is missing is left out of the page
with a note, never an exception.

Output: ``report.html``, self-contained. Maps and plots are inline SVG drawn here with numpy (no
JavaScript, no fonts, images or styles from the network, no ``xmlns`` URL either), so the file
opens offline in any browser and prints on A4.

Maps are in a local equirectangular projection about the map centre (x east, y north, km), good to
well under a pixel over the few hundred km of a study region.
"""

from __future__ import annotations

import csv
import html
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.csv as pacsv
import shapely
import shapely.geometry

M_PER_DEG_LAT = 111_320.0
#: Drawing caps that keep the HTML small (a few MB at most) for large scenarios: the longest
#: tracks / truth paths are drawn, each thinned to at most PATH_MAX_POINTS points.
MAX_DRAWN_TRACKS = 250
MAX_DRAWN_TRUTH = 250
PATH_MAX_POINTS = 150
MAX_SENSOR_MARKERS = 3000
MAX_COVERAGE_CIRCLES = 1500
MAX_POINT_MARKERS = 1500  # violations, engagements
#: Time series are resampled to at most this many instants.
SERIES_MAX_POINTS = 400
#: Rows of the failed-runs table (the rest is counted).
MAX_FAILED_ROWS = 200
#: Width of the page's figures, px (A4 portrait at 96 dpi less margins is ~720; figures scale).
FIG_W = 960
#: Detail map: drawn when the defended area is < 1/DETAIL_MIN_RATIO of the overview, half-size
#: at least DETAIL_MIN_HALF_KM.
DETAIL_MIN_RATIO = 3.0
DETAIL_MIN_HALF_KM = 6.0

CLASS_ORDER = ["attack_drone", "decoy", "recon_uav", "multirotor", "unknown", "manned_aircraft", "bird"]
CLASS_COLOURS = {"attack_drone": "#c0392b", "decoy": "#e67e22", "recon_uav": "#8e44ad",
                 "multirotor": "#2471a3", "unknown": "#7f8c8d", "manned_aircraft": "#17a2b8",
                 "bird": "#27ae60"}
CLASS_LABELS = {"attack_drone": "attack drone", "decoy": "decoy", "recon_uav": "recon UAV",
                "multirotor": "multirotor", "unknown": "unknown", "manned_aircraft": "manned aircraft",
                "bird": "bird"}
ZONE_STYLE = {  # kind -> (stroke, fill, fill opacity, dash)
    "sovereign": ("#4d5656", "#ffffff", 1.0, ""),
    "airport": ("#1f618d", "#5dade2", 0.25, ""),
    "infrastructure": ("#922b21", "#e74c3c", 0.30, ""),
    "no_fire": ("#b9770e", "#f5b041", 0.18, "5 3"),
    "engagement": ("#1e8449", "#58d68d", 0.12, "2 2"),
    "custom": ("#566573", "#aab7b8", 0.15, ""),
}
SENSOR_COLOURS = {"radar": "#1a5276", "acoustic": "#7e5109", "acoustic_grid": "#7e5109",
                  "rf": "#6c3483", "eoir": "#117a65", "adsb": "#515a5a", "remote_id": "#515a5a",
                  "passive_radar": "#2e4053"}
PALETTE = ["#2471a3", "#c0392b", "#27ae60", "#e67e22", "#8e44ad", "#17a2b8", "#7f8c8d", "#b9770e"]
INK, GRID, MUTED = "#1c2833", "#e5e8e8", "#5d6d7e"

#: Metric name -> (label, unit kind). Unit kinds: s, m, eur, ratio (x), frac (shown as %),
#: count. Order = order in the key-numbers table; unknown metrics follow in runs.csv order.
METRICS: dict[str, tuple[str, str]] = {
    "leak_rate": ("Leak rate (leakers / threats flown)", "frac"),
    "leakers": ("Leakers (threats reaching their target)", "count"),
    "threats_neutralised": ("Threats neutralised", "count"),
    "alert_latency_s_median": ("Alert latency, true crossing → entry alert (run median)", "s"),
    "warning_lead_time_s_median": ("Warning lead time before crossing (run median)", "s"),
    "violations_true": ("Airspace violations, truth", "count"),
    "violations_tracked": ("Airspace violations, from tracks", "count"),
    "value_lost_eur": ("Value lost", "eur"),
    "spend_eur": ("Defender spend", "eur"),
    "cost_exchange_ratio": ("Cost-exchange ratio (spend / attacker cost destroyed)", "ratio"),
    "ammo_used": ("Shots fired", "count"),
    "classification_accuracy": ("Classification accuracy (30 s after confirmation)", "frac"),
    "gospa_mean": ("GOSPA, mean (cut-off 500 m)", "m"),
    "track_breaks": ("Track breaks", "count"),
    "id_switches": ("Track identity switches", "count"),
    "wall_s": ("Run wall-clock time", "s"),
}
HEADLINE = ["leak_rate", "leakers", "alert_latency_s_median", "warning_lead_time_s_median",
            "value_lost_eur", "spend_eur", "cost_exchange_ratio", "classification_accuracy"]
SWEEP_METRICS = ["leak_rate", "leakers", "alert_latency_s_median", "warning_lead_time_s_median",
                 "value_lost_eur", "spend_eur", "cost_exchange_ratio", "classification_accuracy",
                 "violations_tracked", "gospa_mean"]
NON_METRIC_COLUMNS = {"run", "seed", "status", "error"}
TILE_LABELS = {"leak_rate": "Leak rate", "leakers": "Leakers per run", "alert_latency_s_median": "Alert latency",
               "warning_lead_time_s_median": "Warning lead time", "value_lost_eur": "Value lost per run",
               "spend_eur": "Spend per run", "cost_exchange_ratio": "Cost-exchange ratio",
               "classification_accuracy": "Classification accuracy"}


# ----------------------------------------------------------------------------- small helpers

def _esc(s: Any) -> str:
    """HTML-escape text; a URL in free text is shown but never forms a resource reference."""
    return html.escape(str(s)).replace("://", ":&#8203;//")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _f(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return math.nan
    return v


def _fmt(v: float, unit: str) -> str:
    """One value with its unit, short enough for a table cell."""
    if v is None or not np.isfinite(v):
        return "–" if v is None or np.isnan(v) else ("∞" if v > 0 else "−∞")
    if unit == "eur":
        a = abs(v)
        if a >= 1e9:
            return f"€{v / 1e9:.2f} bn"
        if a >= 1e6:
            return f"€{v / 1e6:.2f} M"
        if a >= 1e4:
            return f"€{v / 1e3:.0f} k"
        if a >= 1e3:
            return f"€{v / 1e3:.1f} k"
        return f"€{v:.0f}"
    if unit == "frac":
        return f"{100 * v:.1f} %"
    if unit == "ratio":
        return f"{v:.1f}×" if abs(v) < 100 else f"{v:.0f}×"
    if unit == "s":
        return f"{v:.1f} s" if abs(v) < 100 else f"{v:.0f} s"
    if unit == "m":
        return f"{v:.0f} m"
    if abs(v) >= 100 or float(v).is_integer():
        return f"{v:.0f}" if abs(v) < 1e6 else f"{v:.3g}"
    return f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}"


def _nice_step(span: float, n: int = 5) -> float:
    if not np.isfinite(span) or span <= 0:
        return 1.0
    raw = span / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def _ticks(lo: float, hi: float, n: int = 5) -> np.ndarray:
    st = _nice_step(hi - lo, n)
    a = math.ceil(lo / st - 1e-9) * st
    return np.arange(a, hi + st * 1e-6, st)


def _tick_label(v: float, unit: str, step: float) -> str:
    if unit == "eur":
        a = abs(v)
        return (f"€{v / 1e9:g} bn" if a >= 1e9 else f"€{v / 1e6:g} M" if a >= 1e6
                else f"€{v / 1e3:g} k" if a >= 1e3 else f"€{v:g}")
    if unit == "frac":
        return f"{100 * v:.0f} %" if step >= 0.01 else f"{100 * v:.1f} %"
    dec = max(0, -math.floor(math.log10(step))) if step > 0 and step < 1 else 0
    return f"{v:.{dec}f}"


def _agg(vals: np.ndarray) -> dict[str, float]:
    """n, mean, std, Student-t 95 % CI of the mean, median, p10, p90 of the finite values."""
    v = np.asarray(vals, dtype=np.float64)
    v = v[np.isfinite(v)]
    n = int(v.size)
    if n == 0:
        return {"n": 0}
    out = {"n": n, "mean": float(v.mean()), "median": float(np.median(v)),
           "p10": float(np.percentile(v, 10)), "p90": float(np.percentile(v, 90))}
    if n > 1:
        from scipy.stats import t as student_t
        sd = float(v.std(ddof=1))
        h = float(student_t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
        out.update(std=sd, ci95_lo=out["mean"] - h, ci95_hi=out["mean"] + h)
    else:
        out.update(std=0.0, ci95_lo=out["mean"], ci95_hi=out["mean"])
    return out


def _svg_open(w: int, h: int, ident: str, cls: str, label: str) -> str:
    return (f'<svg id="{ident}" class="{cls}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
            f'role="img" aria-label="{_esc(label)}" font-family="inherit">')


def _pts(px: np.ndarray, py: np.ndarray) -> str:
    return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py))


def _even(n: int, k: int) -> np.ndarray:
    """Indices of at most k evenly spaced samples of n, keeping the first and last."""
    if n <= k:
        return np.arange(n)
    return np.unique(np.r_[np.linspace(0, n - 1, k).astype(np.int64), n - 1])


# ----------------------------------------------------------------------------- inputs

@dataclass
class Paths:
    """Polylines grouped by key: key -> (lat, lon, time, label) arrays, time-sorted."""
    lat: dict[str, np.ndarray] = field(default_factory=dict)
    lon: dict[str, np.ndarray] = field(default_factory=dict)
    t: dict[str, np.ndarray] = field(default_factory=dict)
    label: dict[str, str] = field(default_factory=dict)


def _csv_header(path: Path) -> list[str]:
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            return next(csv.reader(fh), [])
    except (OSError, UnicodeDecodeError):
        return []


def _read_columns(path: Path, wanted: Iterable[str]) -> dict[str, np.ndarray] | None:
    """The wanted columns present in a CSV file, as numpy arrays (strings as object arrays)."""
    header = _csv_header(path)
    cols = [c for c in wanted if c in header]
    if not cols:
        return None
    try:
        tbl = pacsv.read_csv(str(path), convert_options=pacsv.ConvertOptions(include_columns=cols))
    except Exception:  # pyarrow raises ArrowInvalid & co. on malformed files
        return None
    out = {}
    for c in cols:
        col = tbl.column(c)
        try:
            out[c] = col.to_numpy(zero_copy_only=False)
        except Exception:
            out[c] = np.asarray(col.to_pylist(), dtype=object)
    return out


def _group_paths(ids: np.ndarray, t: np.ndarray, lat: np.ndarray, lon: np.ndarray,
                 label: np.ndarray | None) -> Paths:
    ids = np.asarray([str(x) for x in ids])
    order = np.lexsort((t, ids))
    ids_s = ids[order]
    b = np.flatnonzero(np.r_[True, ids_s[1:] != ids_s[:-1], True])
    p = Paths()
    for a, e in zip(b[:-1], b[1:]):
        sel = order[a:e]
        k = str(ids_s[a])
        p.lat[k], p.lon[k], p.t[k] = lat[sel].astype(float), lon[sel].astype(float), t[sel].astype(float)
        if label is not None:
            last = label[sel[-1]]
            p.label[k] = "" if last is None else str(last)
    return p


def _load_runs(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rd = csv.DictReader(fh)
            rows = list(rd)
            return list(rd.fieldnames or []), rows
    except (OSError, UnicodeDecodeError, csv.Error):
        return [], []


def _load_zones(path: Path) -> list[tuple[dict[str, Any], shapely.Geometry]]:
    gj = _read_json(path)
    out: list[tuple[dict[str, Any], shapely.Geometry]] = []
    if not isinstance(gj, dict):
        return out
    for f in gj.get("features", [gj] if gj.get("type") == "Feature" else []):
        g = (f or {}).get("geometry") or {}
        if g.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        try:
            out.append((f.get("properties") or {}, shapely.geometry.shape(g)))
        except (ValueError, TypeError, AttributeError):
            continue
    return out


def _load_events(path: Path) -> list[dict[str, Any]]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    out = []
    for line in lines:
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if isinstance(e, dict):
            out.append(e)
    return out


@dataclass
class Study:
    dir: Path
    summary: dict[str, Any]
    scenario: dict[str, Any]
    sensors: list[dict[str, Any]]
    columns: list[str]
    runs: list[dict[str, str]]
    run0: Path

    def metric_names(self) -> list[str]:
        names = [m for m in (self.summary.get("metrics") or []) if isinstance(m, str)]
        params = set(self.sweep_params())
        for c in self.columns:
            if c not in NON_METRIC_COLUMNS and c not in params and c not in names:
                names.append(c)
        return names

    def sweep_params(self) -> list[str]:
        sw = self.summary.get("sweep") or {}
        return [str(p) for p in (sw.get("parameters") or [])] if isinstance(sw, dict) else []

    def ok_rows(self) -> list[dict[str, str]]:
        return [r for r in self.runs if (r.get("status") or "ok") == "ok"]

    def values(self, metric: str, rows: list[dict[str, str]] | None = None) -> np.ndarray:
        rows = self.ok_rows() if rows is None else rows
        if metric == "leak_rate" and "leak_rate" not in self.columns:
            if "leakers" in self.columns and "threats_flown" in self.columns:
                lk = np.array([_f(r.get("leakers")) for r in rows])
                fl = np.array([_f(r.get("threats_flown")) for r in rows])
                with np.errstate(invalid="ignore", divide="ignore"):
                    return np.where(fl > 0, lk / fl, np.nan)
            return np.full(len(rows), np.nan)
        return np.array([_f(r.get(metric)) for r in rows], dtype=np.float64)

    def aggregate(self, metric: str) -> dict[str, float]:
        a = (self.summary.get("aggregates") or {}).get(metric)
        if isinstance(a, dict) and a.get("n"):
            return {k: _f(v) for k, v in a.items()}
        return _agg(self.values(metric))


def load_study(study_dir: Path) -> Study:
    d = Path(study_dir)
    summary = _read_json(d / "summary.json")
    scenario = _read_json(d / "scenario.json")
    sensors = _read_json(d / "sensors.json")
    columns, runs = _load_runs(d / "runs.csv")
    summary = summary if isinstance(summary, dict) else {}
    _normalise_ci_keys(summary)
    scenario = scenario if isinstance(scenario, dict) else {}
    if not isinstance(sensors, list):
        sensors = _sensors_from_scenario(scenario)
    return Study(d, summary, scenario, [s for s in sensors if isinstance(s, dict)], columns, runs,
                 d / "runs" / "run-0000")


def _normalise_ci_keys(summary: dict[str, Any]) -> None:
    """The runner writes ``ci95_low``/``ci95_high``; this module reads ``ci95_lo``/``ci95_hi``."""
    blocks = [summary.get("aggregates")]
    sw = summary.get("sweep")
    if isinstance(sw, dict):
        blocks += [p.get("aggregates") for p in sw.get("points") or [] if isinstance(p, dict)]
    for agg in blocks:
        if not isinstance(agg, dict):
            continue
        for a in agg.values():
            if isinstance(a, dict):
                if "ci95_low" in a and "ci95_lo" not in a:
                    a["ci95_lo"] = a["ci95_low"]
                if "ci95_high" in a and "ci95_hi" not in a:
                    a["ci95_hi"] = a["ci95_high"]


def _sensors_from_scenario(sc: dict[str, Any]) -> list[dict[str, Any]]:
    """Fallback when sensors.json is missing: point sensors of the scenario (grids not expanded)."""
    out = []
    for s in sc.get("sensors") or []:
        pos = s.get("position") if isinstance(s, dict) else None
        if not pos or len(pos) < 2:
            continue
        rng = next((s[k] for k in ("range_m", "max_range_m", "range_ref_m") if s.get(k)), None)
        if s.get("type") == "adsb" and rng and rng > 100_000:
            rng = None
        out.append({"id": s.get("id"), "type": s.get("type"), "lat": pos[0], "lon": pos[1],
                    "range_m": rng})
    return out


# ----------------------------------------------------------------------------- map

@dataclass
class MapFrame:
    """Local equirectangular frame: km east/north of (lat0, lon0); view box in km; pixels."""
    lat0: float
    lon0: float
    x0: float
    x1: float
    y0: float
    y1: float
    w: int
    h: int

    @property
    def kx(self) -> float:
        return M_PER_DEG_LAT * math.cos(math.radians(self.lat0)) / 1000.0

    def km(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return ((np.asarray(lon, float) - self.lon0) * self.kx,
                (np.asarray(lat, float) - self.lat0) * M_PER_DEG_LAT / 1000.0)

    @property
    def s(self) -> float:  # px per km
        return self.w / (self.x1 - self.x0)

    def px(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (np.asarray(x) - self.x0) * self.s, self.h - (np.asarray(y) - self.y0) * self.s

    def ll_px(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.px(*self.km(lat, lon))

    def lonlat_box(self, margin: float = 0.05) -> tuple[float, float, float, float]:
        mx, my = margin * (self.x1 - self.x0), margin * (self.y1 - self.y0)
        return (self.lon0 + (self.x0 - mx) / self.kx, self.lat0 + (self.y0 - my) * 1000 / M_PER_DEG_LAT,
                self.lon0 + (self.x1 + mx) / self.kx, self.lat0 + (self.y1 + my) * 1000 / M_PER_DEG_LAT)


def _frame(lat_min: float, lat_max: float, lon_min: float, lon_max: float, w: int,
           h_min: int = 380, h_max: int = 720, min_half_km: float = 1.0) -> MapFrame:
    lat0, lon0 = (lat_min + lat_max) / 2, (lon_min + lon_max) / 2
    kx = M_PER_DEG_LAT * math.cos(math.radians(lat0)) / 1000.0
    hw = max(min_half_km, (lon_max - lon_min) * kx / 2)
    hh = max(min_half_km, (lat_max - lat_min) * M_PER_DEG_LAT / 1000.0 / 2)
    h = int(np.clip(w * hh / hw, h_min, h_max))
    # grow the short side so the aspect matches the pixels
    if hh / hw < h / w:
        hh = hw * h / w
    else:
        hw = hh * w / h
    return MapFrame(lat0, lon0, -hw, hw, -hh, hh, w, h)


def _visible_runs(px: np.ndarray, py: np.ndarray, w: int, h: int, pad: float = 40.0
                  ) -> list[np.ndarray]:
    """Index runs of a polyline that lie in the view (keeping one point beyond each edge)."""
    inside = (px > -pad) & (px < w + pad) & (py > -pad) & (py < h + pad)
    if not inside.any():
        return []
    keep = inside.copy()
    keep[1:] |= inside[:-1]
    keep[:-1] |= inside[1:]
    b = np.flatnonzero(np.diff(np.r_[0, keep.astype(np.int8), 0]))
    return [np.arange(a, e) for a, e in zip(b[::2], b[1::2]) if e - a >= 2]


def _ring_path(fr: MapFrame, coords: np.ndarray) -> str:
    x, y = fr.ll_px(coords[:, 1], coords[:, 0])
    return "M" + " L".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y)) + " Z"


def _geom_path(fr: MapFrame, geom: shapely.Geometry) -> str:
    d = []
    for poly in shapely.get_parts(geom):
        if not isinstance(poly, shapely.Polygon) or poly.is_empty:
            continue
        d.append(_ring_path(fr, np.asarray(poly.exterior.coords)))
        d.extend(_ring_path(fr, np.asarray(r.coords)) for r in poly.interiors)
    return " ".join(d)


@dataclass
class MapData:
    zones: list[tuple[dict[str, Any], shapely.Geometry]]
    sensors: list[dict[str, Any]]
    effectors: list[dict[str, Any]]
    truth: Paths | None
    tracks: Paths | None
    violations: list[dict[str, Any]]
    engagements: dict[str, np.ndarray] | None
    notes: list[str]


def _select_paths(p: Paths | None, cap: int, classes_first: bool) -> list[str]:
    if p is None:
        return []
    rank = {c: i for i, c in enumerate(CLASS_ORDER)}
    keys = list(p.lat)
    if classes_first:
        keys.sort(key=lambda k: (rank.get(p.label.get(k, ""), len(rank)) > 4, -p.lat[k].size))
    else:
        keys.sort(key=lambda k: -p.lat[k].size)
    return keys[:cap]


def _svg_map(md: MapData, fr: MapFrame, ident: str, title: str, detail: bool = False) -> str:
    w, h = fr.w, fr.h
    legend, legend_h = _map_legend(md, h, w)
    out = [_svg_open(w, h + legend_h, ident, "map", title),
           f'<svg x="0" y="0" width="{w}" height="{h}" viewBox="0 0 {w} {h}" overflow="hidden">'
           f'<rect class="outside" width="{w}" height="{h}" fill="#e8edf1"/>']
    lon_a, lat_a, lon_b, lat_b = fr.lonlat_box(0.05)
    deg_per_px = 1.0 / (fr.s * fr.kx)
    zone_labels = []
    # zones: sovereign first (as land), then the rest, largest first
    order = sorted(md.zones, key=lambda z: (z[0].get("kind") != "sovereign", -z[1].area))
    for props, geom in order:
        kind = str(props.get("kind") or "custom")
        stroke, fill, fo, dash = ZONE_STYLE.get(kind, ZONE_STYLE["custom"])
        g = shapely.clip_by_rect(geom, lon_a, lat_a, lon_b, lat_b)
        if g.is_empty:
            continue
        g = shapely.simplify(g, 0.6 * deg_per_px)
        d = _geom_path(fr, g)
        if not d:
            continue
        sw = 1.4 if kind == "sovereign" else 1.2
        da = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<path class="zone zone-{_esc(kind)}" data-zone="{_esc(props.get("id", ""))}" '
                   f'd="{d}" fill="{fill}" fill-opacity="{fo}" fill-rule="evenodd" stroke="{stroke}" '
                   f'stroke-width="{sw}"{da}/>')
        c = g.representative_point() if kind == "sovereign" else g.centroid
        cx, cy = fr.ll_px(np.array([c.y]), np.array([c.x]))
        name = (props.get("name") or props.get("country") or props.get("id") if kind == "sovereign"
                else (props.get("name") or props.get("id")))
        a, b, c2, d2 = g.bounds
        big = max((c2 - a) * fr.kx, (d2 - b) * M_PER_DEG_LAT / 1000.0) * fr.s >= 60
        if name and big and 0 < cx[0] < w and 0 < cy[0] < h:
            zone_labels.append((float(cx[0]), float(cy[0]), str(name), kind, stroke))
    # sensor coverage
    sens = md.sensors[:MAX_SENSOR_MARKERS]
    view_diag_km = math.hypot(fr.x1 - fr.x0, fr.y1 - fr.y0)
    circles = []
    for s in sens:
        r = _f(s.get("range_m")) / 1000.0
        if np.isfinite(r) and 0 < r < 1.5 * view_diag_km:
            circles.append(s)
    # coverage: the union of the nominal coverage discs of each sensor type (one outline per type,
    # so a grid of hundreds of nodes reads as one footprint), largest footprints first
    by_type: dict[str, list[shapely.Geometry]] = {}
    for s in circles[:MAX_COVERAGE_CIRCLES]:
        x, y = fr.km(np.array([_f(s.get("lat"))]), np.array([_f(s.get("lon"))]))
        r = _f(s.get("range_m")) / 1000.0
        if x[0] + r < fr.x0 or x[0] - r > fr.x1 or y[0] + r < fr.y0 or y[0] - r > fr.y1:
            continue
        t = "acoustic" if str(s.get("type")).startswith("acoustic") else str(s.get("type"))
        by_type.setdefault(t, []).append(shapely.Point(x[0], y[0]).buffer(r, quad_segs=24))
    foot = {t: shapely.union_all(g) for t, g in by_type.items()}
    view = shapely.box(fr.x0 - 0.05 * (fr.x1 - fr.x0), fr.y0 - 0.05 * (fr.y1 - fr.y0),
                       fr.x1 + 0.05 * (fr.x1 - fr.x0), fr.y1 + 0.05 * (fr.y1 - fr.y0))
    for t, g in sorted(foot.items(), key=lambda kv: -kv[1].area):
        g = shapely.intersection(g, view).simplify(0.5 / fr.s)
        d = []
        for poly in shapely.get_parts(g):
            if isinstance(poly, shapely.Polygon) and not poly.is_empty:
                for ring in [poly.exterior, *poly.interiors]:
                    c = np.asarray(ring.coords)
                    px, py = fr.px(c[:, 0], c[:, 1])
                    d.append("M" + " L".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py)) + " Z")
        if d:
            col = SENSOR_COLOURS.get(t, "#34495e")
            out.append(f'<path class="coverage coverage-{_esc(t)}" d="{" ".join(d)}" fill="{col}" '
                       f'fill-opacity="0.07" fill-rule="evenodd" stroke="{col}" stroke-opacity="0.6" '
                       f'stroke-width="1" stroke-dasharray="5 3"/>')
    # true paths (grey, under the tracks)
    for k in _select_paths(md.truth, MAX_DRAWN_TRUTH, False):
        x, y = fr.ll_px(md.truth.lat[k], md.truth.lon[k])
        for run in _visible_runs(x, y, w, h):
            sel = run[_even(run.size, PATH_MAX_POINTS)]
            out.append(f'<polyline class="truth" points="{_pts(x[sel], y[sel])}" fill="none" '
                       f'stroke="#6e7b85" stroke-opacity="0.55" stroke-width="0.9"/>')
    # tracks coloured by final class
    for k in _select_paths(md.tracks, MAX_DRAWN_TRACKS, True):
        x, y = fr.ll_px(md.tracks.lat[k], md.tracks.lon[k])
        cls = md.tracks.label.get(k, "")
        col = CLASS_COLOURS.get(cls, "#7f8c8d")
        for run in _visible_runs(x, y, w, h):
            sel = run[_even(run.size, PATH_MAX_POINTS)]
            out.append(f'<polyline class="track track-{_esc(cls or "none")}" data-track="{_esc(k)}" '
                       f'points="{_pts(x[sel], y[sel])}" fill="none" stroke="{col}" '
                       f'stroke-width="1.6" stroke-opacity="0.9" stroke-linejoin="round"/>')
    # effector sites
    for e in md.effectors:
        pos = e.get("position") or [None, None]
        x, y = fr.ll_px(np.array([_f(pos[0])]), np.array([_f(pos[1])]))
        if 0 <= x[0] <= w and 0 <= y[0] <= h:
            out.append(f'<rect class="effector" x="{x[0] - 4.5:.1f}" y="{y[0] - 4.5:.1f}" width="9" height="9" '
                       f'fill="#212f3d" stroke="#fff" stroke-width="1"><title>{_esc(e.get("id"))} '
                       f'({_esc(e.get("type"))})</title></rect>')
            if detail:
                zone_labels.append((float(x[0]) + 8, float(y[0]) + 4, str(e.get("id", "")), "effector",
                                    "#212f3d"))
    # sensor markers
    for s in sens:
        x, y = fr.ll_px(np.array([_f(s.get("lat"))]), np.array([_f(s.get("lon"))]))
        if not (0 <= x[0] <= w and 0 <= y[0] <= h):
            continue
        typ = str(s.get("type"))
        col = SENSOR_COLOURS.get(typ, "#34495e")
        out.append(_sensor_marker(x[0], y[0], typ, col, str(s.get("id", ""))))
    # violations (entry points)
    for v in md.violations[:MAX_POINT_MARKERS]:
        p = v.get("entry_point")
        if not p or len(p) < 2:
            continue
        x, y = fr.ll_px(np.array([_f(p[0])]), np.array([_f(p[1])]))
        if 0 <= x[0] <= w and 0 <= y[0] <= h:
            out.append(f'<circle class="violation" cx="{x[0]:.1f}" cy="{y[0]:.1f}" r="4" fill="#fff" '
                       f'fill-opacity="0.6" stroke="#b03a2e" stroke-width="1.6"><title>violation: track '
                       f'{_esc(v.get("track_id"))} in {_esc(v.get("zone_name") or v.get("zone_id"))}'
                       f'</title></circle>')
    # engagements
    eg = md.engagements
    if eg is not None and "result" in eg:
        lat, lon = _engagement_points(eg)
        x, y = fr.ll_px(lat, lon)
        for i in range(min(x.size, MAX_POINT_MARKERS)):
            if not (np.isfinite(x[i]) and 0 <= x[i] <= w and 0 <= y[i] <= h):
                continue
            res = str(eg["result"][i])
            tip = f'{_esc(eg["effector_type"][i]) if "effector_type" in eg else ""} → {_esc(res)}'
            if res == "kill":
                out.append(f'<path class="engagement engagement-kill" d="M{x[i] - 5:.1f},{y[i] - 5:.1f} '
                           f'L{x[i] + 5:.1f},{y[i] + 5:.1f} M{x[i] - 5:.1f},{y[i] + 5:.1f} '
                           f'L{x[i] + 5:.1f},{y[i] - 5:.1f}" stroke="#000" stroke-width="2.4">'
                           f'<title>{tip}</title></path>')
            else:
                col = "#000" if res == "miss" else "#808b96"
                out.append(f'<circle class="engagement engagement-{_esc(res)}" cx="{x[i]:.1f}" '
                           f'cy="{y[i]:.1f}" r="4.5" fill="none" stroke="{col}" stroke-width="1.6">'
                           f'<title>{tip}</title></circle>')
    # labels on top
    for lx, ly, name, kind, col in zone_labels:
        size = 13 if kind == "sovereign" else 11
        weight = "700" if kind == "sovereign" else ("400" if kind == "effector" else "600")
        anchor = "start" if kind == "effector" else "middle"
        out.append(f'<text class="zone-label" x="{lx:.1f}" y="{ly:.1f}" font-size="{size}" '
                   f'font-weight="{weight}" fill="{col}" text-anchor="{anchor}" stroke="#fff" '
                   f'stroke-width="3" paint-order="stroke">{_esc(name)}</text>')
    out.append(_scale_north(fr))
    out.append(f'<rect width="{w}" height="{h}" fill="none" stroke="{INK}" stroke-width="1"/></svg>')
    out.append(legend)
    out.append("</svg>")
    return "".join(out)


def _engagement_points(eg: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Intercept point: where the target was killed if recorded, else the aim point."""
    n = len(eg["result"])

    def col(name: str) -> np.ndarray:
        return (np.asarray(eg[name], dtype=float) if name in eg else np.full(n, np.nan))

    lat = col("kill_lat_deg")
    lon = col("kill_lon_deg")
    for a, b in (("lat_deg", "lon_deg"), ("intercept_lat_deg", "intercept_lon_deg")):
        la, lo = col(a), col(b)
        bad = ~np.isfinite(lat)
        lat[bad], lon[bad] = la[bad], lo[bad]
    return lat, lon


def _sensor_marker(x: float, y: float, typ: str, col: str, ident: str) -> str:
    tip = f"<title>{_esc(ident)} ({_esc(typ)})</title>"
    if typ == "radar" or typ == "passive_radar":
        return (f'<path class="sensor sensor-{_esc(typ)}" d="M{x:.1f},{y - 7:.1f} L{x + 6:.1f},{y + 4:.1f} '
                f'L{x - 6:.1f},{y + 4:.1f} Z" fill="{col}" stroke="#fff" stroke-width="1">{tip}</path>')
    if typ.startswith("acoustic"):
        return (f'<circle class="sensor sensor-acoustic" cx="{x:.1f}" cy="{y:.1f}" r="1.8" fill="{col}">'
                f'{tip}</circle>')
    if typ == "rf":
        return (f'<path class="sensor sensor-rf" d="M{x:.1f},{y - 6:.1f} L{x + 5:.1f},{y:.1f} L{x:.1f},'
                f'{y + 6:.1f} L{x - 5:.1f},{y:.1f} Z" fill="{col}" stroke="#fff" stroke-width="1">{tip}</path>')
    if typ == "eoir":
        return (f'<rect class="sensor sensor-eoir" x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" '
                f'rx="1.5" fill="{col}" stroke="#fff" stroke-width="1">{tip}</rect>')
    return (f'<circle class="sensor sensor-{_esc(typ)}" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{col}" '
            f'stroke="#fff" stroke-width="1">{tip}</circle>')


def _scale_north(fr: MapFrame) -> str:
    w, h = fr.w, fr.h
    target_km = (fr.x1 - fr.x0) / 6
    bar = _nice_step(target_km, 1)
    while bar > target_km * 1.5:
        bar /= 2
    bl = bar * fr.s
    x0, y0 = 16, h - 18
    lab = f"{bar:g} km" if bar >= 1 else f"{bar * 1000:.0f} m"
    out = [f'<g class="scale-bar"><rect x="{x0 - 6}" y="{y0 - 22}" width="{bl + 12:.1f}" height="30" '
           f'fill="#fff" fill-opacity="0.8"/>',
           f'<rect x="{x0}" y="{y0 - 4}" width="{bl / 2:.1f}" height="5" fill="{INK}"/>'
           f'<rect x="{x0 + bl / 2:.1f}" y="{y0 - 4}" width="{bl / 2:.1f}" height="5" fill="#fff" '
           f'stroke="{INK}" stroke-width="1"/>',
           f'<text x="{x0}" y="{y0 - 8}" font-size="11" fill="{INK}">0</text>'
           f'<text x="{x0 + bl:.1f}" y="{y0 - 8}" font-size="11" fill="{INK}" text-anchor="end">{lab}</text></g>']
    nx, ny = w - 26, 16
    out.append(f'<g class="north-arrow"><circle cx="{nx}" cy="{ny + 14}" r="15" fill="#fff" fill-opacity="0.8"/>'
               f'<path d="M{nx},{ny} L{nx + 7},{ny + 22} L{nx},{ny + 17} L{nx - 7},{ny + 22} Z" '
               f'fill="{INK}"/><text x="{nx}" y="{ny + 38}" font-size="12" font-weight="700" '
               f'text-anchor="middle" fill="{INK}">N</text></g>')
    return "".join(out)


def _map_legend(md: MapData, h: int, w: int) -> tuple[str, int]:
    items: list[str] = []
    x, y = 8.0, h + 18.0

    def add(sym: str, label: str, _width: float = 0.0) -> None:
        nonlocal x, y
        width = 34 + 6.4 * len(label)
        if x + width > w:
            x, y = 8.0, y + 22
        items.append(f'<g transform="translate({x:.0f},{y:.0f})">{sym}<text x="20" y="4" font-size="11.5" '
                     f'fill="{INK}">{_esc(label)}</text></g>')
        x += width

    kinds = sorted({str(p.get("kind") or "custom") for p, _ in md.zones},
                   key=lambda k: list(ZONE_STYLE).index(k) if k in ZONE_STYLE else 99)
    for k in kinds:
        stroke, fill, fo, dash = ZONE_STYLE.get(k, ZONE_STYLE["custom"])
        da = f' stroke-dasharray="{dash}"' if dash else ""
        add(f'<rect x="0" y="-5" width="15" height="10" fill="{fill}" fill-opacity="{max(fo, 0.25) if k != "sovereign" else 1}" '
            f'stroke="{stroke}"{da}/>', f"{k.replace('_', '-')} zone", 0)
    if "sovereign" in kinds:
        add('<rect x="0" y="-5" width="15" height="10" fill="#e8edf1" stroke="#aab7b8"/>',
            "outside the sovereign zone")
    with_cov = {str(s.get("type")) for s in md.sensors if _f(s.get("range_m")) > 0}
    for t in sorted({str(s.get("type")) for s in md.sensors}):
        col = SENSOR_COLOURS.get(t, "#34495e")
        lab = f"{t} sensor" + (" + coverage" if t in with_cov else "")
        add(_sensor_marker(7, 0, t, col, t).replace('class="sensor', 'class="legend-sensor'), lab)
    if md.effectors:
        add('<rect x="2.5" y="-4.5" width="9" height="9" fill="#212f3d"/>', "effector site", 110)
    if md.truth is not None and md.truth.lat:
        add('<line x1="0" y1="0" x2="15" y2="0" stroke="#6e7b85" stroke-width="1.5"/>', "true path", 95)
    if md.tracks is not None and md.tracks.lat:
        present = [c for c in CLASS_ORDER if c in set(md.tracks.label.values())]
        for c in present:
            add(f'<line x1="0" y1="0" x2="15" y2="0" stroke="{CLASS_COLOURS[c]}" stroke-width="2.5"/>',
                f"track: {CLASS_LABELS[c]}", 60 + 7 * len(CLASS_LABELS[c]))
    if md.violations:
        add('<circle cx="7" cy="0" r="4" fill="#fff" stroke="#b03a2e" stroke-width="1.6"/>',
            "violation entry", 118)
    if md.engagements is not None:
        add('<path d="M2,-5 L12,5 M2,5 L12,-5" stroke="#000" stroke-width="2.4"/>', "kill", 55)
        add('<circle cx="7" cy="0" r="4.5" fill="none" stroke="#000" stroke-width="1.6"/>', "miss", 58)
        add('<circle cx="7" cy="0" r="4.5" fill="none" stroke="#808b96" stroke-width="1.6"/>',
            "no target / unresolved", 160)
    return f'<g class="legend">{"".join(items)}</g>', int(y - h + 14)


def _map_data(st: Study) -> MapData:
    notes: list[str] = []
    r0 = st.run0
    zones = _load_zones(r0 / "zones.geojson")
    if not zones:
        notes.append("no zones.geojson in runs/run-0000: zones not drawn")
    tr = _read_columns(r0 / "tracks.csv", ["t_s", "track_id", "lat_deg", "lon_deg", "class"])
    tracks = None
    if tr and {"t_s", "track_id", "lat_deg", "lon_deg"} <= set(tr):
        tracks = _group_paths(tr["track_id"], tr["t_s"].astype(float), tr["lat_deg"], tr["lon_deg"],
                              tr.get("class"))
    else:
        notes.append("no tracks.csv in runs/run-0000: tracked paths not drawn")
    tt = _read_columns(r0 / "truth.csv", ["t_s", "platform_id", "lat_deg", "lon_deg"])
    truth = None
    if tt and {"t_s", "platform_id", "lat_deg", "lon_deg"} <= set(tt):
        truth = _group_paths(tt["platform_id"], tt["t_s"].astype(float), tt["lat_deg"], tt["lon_deg"], None)
    else:
        notes.append("no truth.csv in runs/run-0000: true paths not drawn")
    events = _load_events(r0 / "events.jsonl")
    viol = [e for e in events if e.get("event") == "violation"]
    eg = _read_columns(r0 / "engagements.csv",
                       ["t_s", "t_intercept_s", "t_resolved_s", "effector_id", "effector_type", "track_id",
                        "true_platform", "class", "shots", "cost_eur", "pk", "result", "lat_deg",
                        "lon_deg", "kill_lat_deg", "kill_lon_deg", "intercept_lat_deg",
                        "intercept_lon_deg", "debris_over_no_fire"])
    if eg is None or "result" not in eg:
        eg = None
        notes.append("no engagements.csv in runs/run-0000: engagements not drawn")
    effectors = [e for e in (st.scenario.get("effectors") or []) if isinstance(e, dict)]
    return MapData(zones, st.sensors, effectors, truth, tracks, viol, eg, notes)


def _overview_frame(st: Study, md: MapData) -> MapFrame | None:
    reg = st.scenario.get("region") or {}
    try:
        box = (float(reg["lat_min"]), float(reg["lat_max"]), float(reg["lon_min"]), float(reg["lon_max"]))
        return _frame(*box, FIG_W)
    except (KeyError, TypeError, ValueError):
        pass
    lats, lons = [], []
    for p in (md.tracks, md.truth):
        if p is not None and p.lat:
            lats.append(np.concatenate(list(p.lat.values())))
            lons.append(np.concatenate(list(p.lon.values())))
    if md.sensors:
        lats.append(np.array([_f(s.get("lat")) for s in md.sensors]))
        lons.append(np.array([_f(s.get("lon")) for s in md.sensors]))
    if not lats:
        return None
    la, lo = np.concatenate(lats), np.concatenate(lons)
    ok = np.isfinite(la) & np.isfinite(lo)
    if not ok.any():
        return None
    la, lo = la[ok], lo[ok]
    pa, po = 0.05 * max(np.ptp(la), 0.02), 0.05 * max(np.ptp(lo), 0.02)
    return _frame(la.min() - pa, la.max() + pa, lo.min() - po, lo.max() + po, FIG_W)


def _detail_frame(md: MapData, ov: MapFrame) -> MapFrame | None:
    """The defended area: non-sovereign zones and effector sites, when much smaller than the view."""
    lats, lons = [], []
    for props, g in md.zones:
        if props.get("kind") != "sovereign":
            a, b, c, d = g.bounds
            lons += [a, c]
            lats += [b, d]
    for e in md.effectors:
        pos = e.get("position") or []
        if len(pos) >= 2:
            lats.append(_f(pos[0]))
            lons.append(_f(pos[1]))
    la, lo = np.array(lats, float), np.array(lons, float)
    ok = np.isfinite(la) & np.isfinite(lo)
    if ok.sum() < 1:
        return None
    la, lo = la[ok], lo[ok]
    pa, po = 0.15 * np.ptp(la) + 0.01, 0.15 * np.ptp(lo) + 0.015
    fr = _frame(la.min() - pa, la.max() + pa, lo.min() - po, lo.max() + po, FIG_W, 360, 520,
                DETAIL_MIN_HALF_KM)
    if (fr.x1 - fr.x0) * DETAIL_MIN_RATIO > (ov.x1 - ov.x0):
        return None
    return fr


# ----------------------------------------------------------------------------- plots

@dataclass
class Axes:
    w: int
    h: int
    x0: float
    x1: float
    y0: float
    y1: float
    left: int = 62
    right: int = 14
    top: int = 30
    bottom: int = 42
    log_y: bool = False

    def X(self, x: Any) -> np.ndarray:
        return self.left + (np.asarray(x, float) - self.x0) / max(self.x1 - self.x0, 1e-12) * (
            self.w - self.left - self.right)

    def Y(self, y: Any) -> np.ndarray:
        return self.h - self.bottom - (np.asarray(y, float) - self.y0) / max(self.y1 - self.y0, 1e-12) * (
            self.h - self.top - self.bottom)

    def frame(self, xlabel: str, ylabel: str, title: str, xunit: str = "", yunit: str = "",
              xticks: list[tuple[float, str]] | None = None) -> str:
        out = []
        ys = _ticks(self.y0, self.y1, 5)
        step = float(ys[1] - ys[0]) if ys.size > 1 else 1.0
        for v in ys:
            py = float(self.Y(v))
            out.append(f'<line x1="{self.left}" x2="{self.w - self.right}" y1="{py:.1f}" y2="{py:.1f}" '
                       f'stroke="{GRID}" stroke-width="1"/><text x="{self.left - 6}" y="{py + 4:.1f}" '
                       f'font-size="11" text-anchor="end" fill="{MUTED}">{_tick_label(v, yunit, step)}</text>')
        if xticks is None:
            xs = _ticks(self.x0, self.x1, 6)
            xstep = float(xs[1] - xs[0]) if xs.size > 1 else 1.0
            xticks = [(float(v), _tick_label(v, xunit, xstep)) for v in xs]
        for v, lab in xticks:
            px = float(self.X(v))
            out.append(f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{self.h - self.bottom}" '
                       f'y2="{self.h - self.bottom + 4}" stroke="{MUTED}"/><text x="{px:.1f}" '
                       f'y="{self.h - self.bottom + 16}" font-size="11" text-anchor="middle" '
                       f'fill="{MUTED}">{_esc(lab)}</text>')
        out.append(f'<line x1="{self.left}" x2="{self.w - self.right}" y1="{self.h - self.bottom}" '
                   f'y2="{self.h - self.bottom}" stroke="{INK}"/><line x1="{self.left}" x2="{self.left}" '
                   f'y1="{self.top}" y2="{self.h - self.bottom}" stroke="{INK}"/>')
        out.append(f'<text x="{(self.left + self.w - self.right) / 2:.0f}" y="{self.h - 6}" font-size="12" '
                   f'text-anchor="middle" fill="{INK}">{_esc(xlabel)}</text>')
        out.append(f'<text x="{self.left}" y="{self.top - 10}" font-size="12" fill="{INK}">{_esc(ylabel)}</text>')
        if title:
            out.append(f'<text x="{self.w - self.right}" y="{self.top - 10}" font-size="12.5" font-weight="700" '
                       f'text-anchor="end" fill="{INK}">{_esc(title)}</text>')
        return "".join(out)


def _no_data(ident: str, w: int, h: int, msg: str) -> str:
    return (_svg_open(w, h, ident, "plot no-data", msg) +
            f'<rect width="{w}" height="{h}" fill="#f8f9f9" stroke="{GRID}"/><text x="{w / 2}" y="{h / 2}" '
            f'font-size="13" text-anchor="middle" fill="{MUTED}">{_esc(msg)}</text></svg>')


def _plot_threats(st: Study) -> tuple[str, str]:
    ident, w, h = "plot-threats", FIG_W, 300
    tr = _read_columns(st.run0 / "tracks.csv", ["t_s", "track_id", "class"])
    if not tr or "t_s" not in tr:
        return _no_data(ident, w, h, "run 0 has no tracks.csv"), ""
    t = tr["t_s"].astype(float)
    cls = (np.asarray([str(c) if c is not None else "unknown" for c in tr["class"]]) if "class" in tr
           else np.full(t.size, "unknown"))
    tu, ti = np.unique(t, return_inverse=True)
    present = [c for c in CLASS_ORDER if (cls == c).any()] + sorted(set(np.unique(cls)) - set(CLASS_ORDER))
    ci = _index_of(cls, present)
    counts = np.zeros((tu.size, len(present)))
    np.add.at(counts, (ti, ci), 1)
    k = _even(tu.size, SERIES_MAX_POINTS)
    tm, counts = tu[k] / 60.0, counts[k]
    # true threats airborne (truth + platforms)
    truth_line = None
    tt = _read_columns(st.run0 / "truth.csv", ["t_s", "platform_id"])
    pl = _read_columns(st.run0 / "platforms.csv", ["platform_id", "class"])
    if tt and pl and "class" in pl:
        threat = {str(p) for p, c in zip(pl["platform_id"], pl["class"])
                  if str(c) in ("attack_drone", "decoy", "recon_uav")}
        m = np.isin(np.asarray([str(p) for p in tt["platform_id"]]), list(threat))
        tu2, n2 = np.unique(tt["t_s"].astype(float)[m], return_counts=True)
        if tu2.size:
            full = np.zeros(tu.size)
            idx = np.searchsorted(tu, tu2).clip(0, tu.size - 1)
            full[idx] = n2
            truth_line = full[k]
    ymax = max(float(counts.sum(axis=1).max()) if counts.size else 1.0,
               float(truth_line.max()) if truth_line is not None else 0.0, 1.0)
    ax = Axes(w, h, float(tm.min()), float(max(tm.max(), tm.min() + 1e-3)), 0, ymax * 1.08, right=170)
    out = [_svg_open(w, h, ident, "plot", "confirmed tracks by class over time, run 0"),
           ax.frame("time since scenario start (min)", "confirmed tracks", "")]
    base = np.zeros(tm.size)
    X = ax.X(tm)
    for j, c in enumerate(present):
        top = base + counts[:, j]
        poly = np.r_[X, X[::-1]], np.r_[ax.Y(top), ax.Y(base)[::-1]]
        out.append(f'<polygon class="series series-{_esc(c)}" points="{_pts(*poly)}" '
                   f'fill="{CLASS_COLOURS.get(c, "#95a5a6")}" fill-opacity="0.8" stroke="none"/>')
        base = top
    legend = [(CLASS_COLOURS.get(c, "#95a5a6"), CLASS_LABELS.get(c, c), "rect") for c in reversed(present)]
    if truth_line is not None:
        out.append(f'<polyline class="truth-threats" points="{_pts(X, ax.Y(truth_line))}" fill="none" '
                   f'stroke="{INK}" stroke-width="1.8" stroke-dasharray="6 3"/>')
        legend.append((INK, "true threats airborne", "dash"))
    eg = _read_columns(st.run0 / "engagements.csv", ["t_resolved_s", "t_intercept_s", "t_s", "result"])
    if eg and "result" in eg:
        tcol = next((c for c in ("t_resolved_s", "t_intercept_s", "t_s") if c in eg), None)
        if tcol:
            kt = np.asarray(eg[tcol], float)[np.asarray([str(r) == "kill" for r in eg["result"]])] / 60.0
            for v in kt[np.isfinite(kt)][:MAX_POINT_MARKERS]:
                xv = float(ax.X(v))
                out.append(f'<line class="kill-tick" x1="{xv:.1f}" x2="{xv:.1f}" y1="{h - ax.bottom - 7}" '
                           f'y2="{h - ax.bottom}" stroke="#000" stroke-width="1.5"/>')
            if kt.size:
                legend.append(("#000", "kill (tick on time axis)", "tick"))
    ly = ax.top + 4
    lx = w - ax.right + 14
    for col, lab, kind in legend:
        if kind == "rect":
            sym = f'<rect x="{lx}" y="{ly - 9}" width="14" height="10" fill="{col}" fill-opacity="0.8"/>'
        elif kind == "dash":
            sym = (f'<line x1="{lx}" x2="{lx + 14}" y1="{ly - 4}" y2="{ly - 4}" stroke="{col}" '
                   f'stroke-width="2" stroke-dasharray="5 2"/>')
        else:
            sym = f'<line x1="{lx + 7}" x2="{lx + 7}" y1="{ly - 10}" y2="{ly}" stroke="{col}" stroke-width="1.5"/>'
        out.append(f'{sym}<text x="{lx + 20}" y="{ly}" font-size="11.5" fill="{INK}">{_esc(lab)}</text>')
        ly += 18
    out.append("</svg>")
    cap = ("Confirmed tracks alive in run 0, stacked by the tracker's current class"
           + (", with the true number of threat platforms (attack drones, decoys, recon UAVs) airborne "
              "(dashed)" if truth_line is not None else "") + ".")
    return "".join(out), cap


def _index_of(vals: np.ndarray, keys: list[str]) -> np.ndarray:
    lut = {k: i for i, k in enumerate(keys)}
    uniq, inv = np.unique(vals, return_inverse=True)
    return np.array([lut[u] for u in uniq])[inv]


def _plot_hist(ident: str, vals: np.ndarray, agg: dict[str, float], label: str, unit: str,
               colour: str, w: int = 470, h: int = 260) -> str:
    v = vals[np.isfinite(vals)]
    if v.size == 0:
        return _no_data(ident, w, h, f"no {label.lower()} in the runs")
    lo, hi = float(v.min()), float(v.max())
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5 * max(abs(lo) * 0.1, 1.0), hi + 0.5 * max(abs(hi) * 0.1, 1.0)
    nb = int(np.clip(math.ceil(math.sqrt(v.size)) + 2, 5, 30))
    step = _nice_step(hi - lo, nb)
    edges = np.arange(math.floor(lo / step) * step, hi + step, step)
    if edges.size < 2:
        edges = np.array([lo, hi])
    cnt, _ = np.histogram(v, edges)
    ax = Axes(w, h, float(edges[0]), float(edges[-1]), 0, max(cnt.max(), 1) * 1.15, left=44)
    out = [_svg_open(w, h, ident, "plot", label), ax.frame(f"{label} ({unit})" if unit else label,
                                                          "runs", f"n = {v.size} runs", xunit="")]
    # CI band and mean
    if np.isfinite(agg.get("ci95_lo", np.nan)):
        a, b = ax.X(agg["ci95_lo"]), ax.X(agg["ci95_hi"])
        out.append(f'<rect class="ci" x="{a:.1f}" y="{ax.top}" width="{max(b - a, 1.5):.1f}" '
                   f'height="{h - ax.top - ax.bottom}" fill="{colour}" fill-opacity="0.12"/>')
    for c, a, b in zip(cnt, edges[:-1], edges[1:]):
        if c:
            x0, x1 = ax.X(a), ax.X(b)
            out.append(f'<rect class="bar" x="{x0 + 1:.1f}" y="{ax.Y(c):.1f}" width="{max(x1 - x0 - 2, 1):.1f}" '
                       f'height="{ax.Y(0) - ax.Y(c):.1f}" fill="{colour}" fill-opacity="0.75"/>')
    if np.isfinite(agg.get("mean", np.nan)):
        mx = float(ax.X(agg["mean"]))
        out.append(f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="{ax.top}" y2="{h - ax.bottom}" stroke="{INK}" '
                   f'stroke-width="1.6" stroke-dasharray="5 3"/><text x="{mx + 4:.1f}" y="{ax.top + 12}" '
                   f'font-size="11" fill="{INK}">mean {_fmt(agg["mean"], unit or "count")}</text>')
    out.append("</svg>")
    return "".join(out)


def _plot_strip(ident: str, vals: np.ndarray, agg: dict[str, float], label: str, unit: str,
                colour: str, w: int = 470, h: int = 260, note: str = "") -> str:
    """Per-run values (jittered dots) over a p10–p90 box with the median, and the mean ± 95 % CI."""
    v = vals[np.isfinite(vals)]
    if v.size == 0:
        return _no_data(ident, w, h, f"no {label.lower()} in the runs" + (f" ({note})" if note else ""))
    lo, hi = float(v.min()), float(v.max())
    for k in ("ci95_lo", "ci95_hi"):
        if np.isfinite(agg.get(k, np.nan)):
            lo, hi = min(lo, agg[k]), max(hi, agg[k])
    if unit == "frac":
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    pad = 0.08 * (hi - lo) if hi > lo else max(abs(hi) * 0.1, 0.5)
    ax = Axes(w, h, 0, 1, max(lo - pad, 0.0) if lo >= 0 else lo - pad, hi + pad, left=70, right=168)
    out = [_svg_open(w, h, ident, "plot", label), ax.frame("", _unit_title(label, unit), "", yunit=unit,
                                                          xticks=[])]
    cx0, cx1 = ax.X(0.18), ax.X(0.62)
    p10, p50, p90 = np.percentile(v, [10, 50, 90])
    out.append(f'<rect class="box" x="{cx0:.1f}" y="{ax.Y(p90):.1f}" width="{cx1 - cx0:.1f}" '
               f'height="{max(ax.Y(p10) - ax.Y(p90), 1):.1f}" fill="{colour}" fill-opacity="0.14" '
               f'stroke="{colour}" stroke-opacity="0.6"/><line x1="{cx0:.1f}" x2="{cx1:.1f}" '
               f'y1="{ax.Y(p50):.1f}" y2="{ax.Y(p50):.1f}" stroke="{colour}" stroke-width="2"/>')
    rng = np.random.default_rng(0)  # fixed jitter: the page is reproducible
    jx = ax.X(0.4 + rng.uniform(-0.17, 0.17, v.size))
    for x, y in zip(jx, ax.Y(v)):
        out.append(f'<circle class="run-dot" cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}" '
                   f'fill-opacity="0.55" stroke="#fff" stroke-width="0.5"/>')
    if np.isfinite(agg.get("mean", np.nan)):
        mx = float(ax.X(0.8))
        a = agg.get("ci95_lo", agg["mean"])
        b = agg.get("ci95_hi", agg["mean"])
        out.append(f'<line class="ci" x1="{mx:.1f}" x2="{mx:.1f}" y1="{ax.Y(a):.1f}" y2="{ax.Y(b):.1f}" '
                   f'stroke="{INK}" stroke-width="2"/><line x1="{mx - 6:.1f}" x2="{mx + 6:.1f}" y1="{ax.Y(a):.1f}" '
                   f'y2="{ax.Y(a):.1f}" stroke="{INK}" stroke-width="2"/><line x1="{mx - 6:.1f}" x2="{mx + 6:.1f}" '
                   f'y1="{ax.Y(b):.1f}" y2="{ax.Y(b):.1f}" stroke="{INK}" stroke-width="2"/>'
                   f'<circle cx="{mx:.1f}" cy="{ax.Y(agg["mean"]):.1f}" r="4.5" fill="{INK}"/>')
    tx = w - ax.right + 12
    lines = [f"n = {v.size} runs", f"mean {_fmt(agg.get('mean', np.nan), unit)}",
             f"95 % CI {_fmt(agg.get('ci95_lo', np.nan), unit)} – {_fmt(agg.get('ci95_hi', np.nan), unit)}",
             f"median {_fmt(p50, unit)}", f"p10–p90 {_fmt(p10, unit)} – {_fmt(p90, unit)}"]
    if note:
        lines.append(note)
    for i, t in enumerate(lines):
        out.append(f'<text x="{tx}" y="{ax.top + 14 + 17 * i}" font-size="11.5" fill="{INK if i else MUTED}"'
                   f'>{_esc(t)}</text>')
    out.append(f'<text x="{ax.X(0.4):.1f}" y="{h - ax.bottom + 16}" font-size="11" text-anchor="middle" '
               f'fill="{MUTED}">runs</text><text x="{ax.X(0.8):.1f}" '
               f'y="{h - ax.bottom + 16}" font-size="11" text-anchor="middle" fill="{MUTED}">mean, 95 % CI</text>')
    out.append("</svg>")
    return "".join(out)


def _unit_title(label: str, unit: str) -> str:
    u = {"s": "s", "m": "m", "eur": "EUR", "ratio": "×", "frac": "%"}.get(unit, "")
    return f"{label} ({u})" if u else label


def _plot_spend(st: Study) -> tuple[str, str]:
    ident, w = "plot-spend", FIG_W
    cols = [c for c in st.columns if c.startswith("spend_eur.")]
    rows = st.ok_rows()
    items: list[tuple[str, dict[str, float]]] = []
    src = ""
    for c in cols:
        a = st.aggregate(c)
        if a.get("n") and np.isfinite(a.get("mean", np.nan)):
            items.append((c.split(".", 1)[1], a))
    if items:
        src = f"mean per run across {len(rows)} runs, error bars 95 % CI of the mean"
    else:
        eg = _read_columns(st.run0 / "engagements.csv", ["effector_type", "cost_eur"])
        if eg and {"effector_type", "cost_eur"} <= set(eg):
            tot: dict[str, float] = {}
            for t, c in zip(eg["effector_type"], np.asarray(eg["cost_eur"], float)):
                if np.isfinite(c):
                    tot[str(t)] = tot.get(str(t), 0.0) + c
            items = [(k, {"n": 1, "mean": v}) for k, v in tot.items()]
            src = "run 0 only (runs.csv has no spend_eur.<effector type> columns)"
    if not items:
        return _no_data(ident, w, 140, "no spend by effector type recorded"), ""
    items.sort(key=lambda it: -it[1]["mean"])
    bar_h, h = 26, 70 + 34 * len(items)
    vmax = max(max(a.get("ci95_hi", a["mean"]) for _, a in items), 1.0)
    ax = Axes(w, h, 0, vmax * 1.12, 0, 1, left=170, right=150, top=24, bottom=40)
    xs = _ticks(0, vmax * 1.12, 6)
    xstep = float(xs[1] - xs[0]) if xs.size > 1 else 1.0
    out = [_svg_open(w, h, ident, "plot", "spend by effector type")]
    for v in xs:
        px = float(ax.X(v))
        out.append(f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{ax.top}" y2="{h - ax.bottom}" stroke="{GRID}"/>'
                   f'<text x="{px:.1f}" y="{h - ax.bottom + 16}" font-size="11" text-anchor="middle" '
                   f'fill="{MUTED}">{_tick_label(v, "eur", xstep)}</text>')
    total = sum(a["mean"] for _, a in items)
    for i, (name, a) in enumerate(items):
        y = ax.top + 8 + 34 * i
        x0, x1 = float(ax.X(0)), float(ax.X(a["mean"]))
        col = PALETTE[i % len(PALETTE)]
        out.append(f'<text x="{ax.left - 8}" y="{y + bar_h / 2 + 4:.1f}" font-size="12" text-anchor="end" '
                   f'fill="{INK}">{_esc(name.replace("_", " "))}</text><rect class="bar" x="{x0:.1f}" y="{y}" '
                   f'width="{max(x1 - x0, 1):.1f}" height="{bar_h}" fill="{col}" fill-opacity="0.8"/>')
        if np.isfinite(a.get("ci95_lo", np.nan)) and a.get("n", 0) > 1:
            lo, hi = float(ax.X(max(a["ci95_lo"], 0))), float(ax.X(a["ci95_hi"]))
            yc = y + bar_h / 2
            out.append(f'<line x1="{lo:.1f}" x2="{hi:.1f}" y1="{yc:.1f}" y2="{yc:.1f}" stroke="{INK}" '
                       f'stroke-width="1.5"/><line x1="{lo:.1f}" x2="{lo:.1f}" y1="{yc - 6:.1f}" '
                       f'y2="{yc + 6:.1f}" stroke="{INK}" stroke-width="1.5"/><line x1="{hi:.1f}" '
                       f'x2="{hi:.1f}" y1="{yc - 6:.1f}" y2="{yc + 6:.1f}" stroke="{INK}" stroke-width="1.5"/>')
        share = a["mean"] / total if total > 0 else math.nan
        out.append(f'<text x="{w - ax.right + 10}" y="{y + bar_h / 2 + 4:.1f}" font-size="12" fill="{INK}">'
                   f'{_fmt(a["mean"], "eur")} ({_fmt(share, "frac")})</text>')
    out.append(f'<line x1="{ax.left}" x2="{ax.left}" y1="{ax.top}" y2="{h - ax.bottom}" stroke="{INK}"/>'
               f'<text x="{(ax.left + w - ax.right) / 2:.0f}" y="{h - 6}" font-size="12" text-anchor="middle" '
               f'fill="{INK}">spend per run (EUR)</text></svg>')
    return "".join(out), src


def _sweep_points(st: Study) -> list[dict[str, Any]]:
    sw = st.summary.get("sweep")
    if not isinstance(sw, dict):
        return []
    return [p for p in (sw.get("points") or []) if isinstance(p, dict) and isinstance(p.get("params"), dict)]


def _plot_sweep(st: Study) -> tuple[list[str], str]:
    params = st.sweep_params()
    pts = _sweep_points(st)
    if not params or not pts:
        return [], ""
    xp = params[0]
    others = params[1:]
    # aggregates per point: the summary's, else computed from runs.csv
    for p in pts:
        if not isinstance(p.get("aggregates"), dict) or not p["aggregates"]:
            rows = [r for r in st.ok_rows() if all(str(r.get(k)) == str(v) for k, v in p["params"].items())]
            p["aggregates"] = {m: _agg(st.values(m, rows)) for m in st.metric_names()}
        if "leak_rate" not in p["aggregates"] and "threats_flown" in st.columns:
            rows = [r for r in st.ok_rows() if all(str(r.get(k)) == str(v) for k, v in p["params"].items())]
            p["aggregates"]["leak_rate"] = _agg(st.values("leak_rate", rows))
    avail = [m for m in SWEEP_METRICS
             if any(np.isfinite(_f((p["aggregates"].get(m) or {}).get("mean"))) for p in pts)]
    if "leak_rate" in avail and "leakers" in avail:
        avail.remove("leakers")
    if not avail:
        avail = [m for m in st.metric_names() if any((p["aggregates"].get(m) or {}).get("n") for p in pts)][:6]
    avail = avail[:6]
    xs_raw = [p["params"].get(xp) for p in pts]
    numeric = all(np.isfinite(_f(x)) for x in xs_raw)
    cats = [] if numeric else list(dict.fromkeys(str(x) for x in xs_raw))
    xval = (lambda x: _f(x)) if numeric else (lambda x: float(cats.index(str(x))))
    groups: dict[str, list[dict[str, Any]]] = {}
    for p in pts:
        key = ", ".join(f"{k.rsplit('.', 1)[-1]}={p['params'].get(k)}" for k in others)
        groups.setdefault(key, []).append(p)
    svgs = []
    w, h = 470, 250
    for mi, m in enumerate(avail):
        label, unit = METRICS.get(m, (m, ""))
        allx, ally = [], []
        for g in groups.values():
            for p in g:
                a = p["aggregates"].get(m) or {}
                for k in ("mean", "ci95_lo", "ci95_hi"):
                    if np.isfinite(_f(a.get(k))):
                        ally.append(max(_f(a.get(k)), 0.0) if unit != "" else _f(a.get(k)))
                allx.append(xval(p["params"].get(xp)))
        if not ally:
            continue
        x0, x1 = min(allx), max(allx)
        if x1 - x0 < 1e-12:
            x0, x1 = x0 - 1, x1 + 1
        padx = 0.06 * (x1 - x0)
        y0, y1 = min(ally), max(ally)
        if unit in ("frac", "count", "eur", "ratio", "s", "m") and y0 >= 0:
            y0 = 0.0
        if y1 - y0 < 1e-12:
            y1 = y0 + 1
        ax = Axes(w, h, x0 - padx, x1 + padx, y0, y1 + 0.08 * (y1 - y0), left=66)
        xt = None if numeric else [(float(i), c) for i, c in enumerate(cats)]
        out = [_svg_open(w, h, f"plot-sweep-{mi}", "plot sweep-panel", f"{label} vs {xp}"),
               ax.frame(xp, _unit_title(label, unit), "", yunit=unit, xticks=xt)]
        for gi, (gk, g) in enumerate(groups.items()):
            col = PALETTE[gi % len(PALETTE)]
            g = sorted(g, key=lambda p: xval(p["params"].get(xp)))
            gx = np.array([xval(p["params"].get(xp)) for p in g])
            gm = np.array([_f((p["aggregates"].get(m) or {}).get("mean")) for p in g])
            glo = np.array([_f((p["aggregates"].get(m) or {}).get("ci95_lo")) for p in g])
            if unit in ("frac", "count", "eur", "ratio", "s", "m") and np.nanmin(np.r_[gm, np.inf]) >= 0:
                glo = np.maximum(glo, 0.0)
            ghi = np.array([_f((p["aggregates"].get(m) or {}).get("ci95_hi")) for p in g])
            ok = np.isfinite(gm)
            if ok.sum() >= 2:
                out.append(f'<polyline points="{_pts(ax.X(gx[ok]), ax.Y(gm[ok]))}" fill="none" '
                           f'stroke="{col}" stroke-width="2"/>')
            for xv, mv, lv, hv in zip(gx, gm, glo, ghi):
                if not np.isfinite(mv):
                    continue
                px = float(ax.X(xv))
                if np.isfinite(lv) and np.isfinite(hv):
                    out.append(f'<line class="ci" x1="{px:.1f}" x2="{px:.1f}" y1="{ax.Y(lv):.1f}" '
                               f'y2="{ax.Y(hv):.1f}" stroke="{col}" stroke-width="1.5"/><line x1="{px - 4:.1f}" '
                               f'x2="{px + 4:.1f}" y1="{ax.Y(lv):.1f}" y2="{ax.Y(lv):.1f}" stroke="{col}"/>'
                               f'<line x1="{px - 4:.1f}" x2="{px + 4:.1f}" y1="{ax.Y(hv):.1f}" '
                               f'y2="{ax.Y(hv):.1f}" stroke="{col}"/>')
                out.append(f'<circle cx="{px:.1f}" cy="{ax.Y(mv):.1f}" r="3.5" fill="{col}"/>')
            if gk:
                out.append(f'<text x="{ax.left + 8}" y="{ax.top + 14 + 15 * gi}" font-size="11" fill="{col}">'
                           f'{_esc(gk)}</text>')
        out.append("</svg>")
        svgs.append("".join(out))
    n_runs = [int(_f((p["aggregates"].get(avail[0]) or {}).get("n"))) if avail else 0 for p in pts]
    cap = (f"Mean per sweep point with 95 % CI error bars against {xp}"
           + (f"; one line per value of {', '.join(others)}" if others else "")
           + f". {len(pts)} points, {min(n_runs) if n_runs else 0}–{max(n_runs) if n_runs else 0} runs each.")
    return svgs, cap


# ----------------------------------------------------------------------------- tables

def _key_rows(st: Study) -> list[tuple[str, str, dict[str, float]]]:
    names = st.metric_names()
    if "leak_rate" not in names and "leakers" in names and "threats_flown" in st.columns:
        names.insert(0, "leak_rate")
    names = [m for m in names if not m.startswith("spend_eur.") and m != "threats_flown"]
    known = [m for m in METRICS if m in names]
    rest = [m for m in names if m not in METRICS]
    out = []
    for m in known + rest:
        a = st.aggregate(m)
        if not a.get("n"):
            continue
        label, unit = METRICS.get(m, (m.replace("_", " "), "count"))
        out.append((label, unit, a))
    return out


def _key_table(rows: list[tuple[str, str, dict[str, float]]]) -> str:
    if not rows:
        return "<p class='note'>No metrics: runs.csv and summary.json aggregates are missing or empty.</p>"
    out = ["<table id='key-numbers' class='numbers'><thead><tr><th>Metric</th><th>Mean</th>"
           "<th>95 % CI of the mean</th><th>Median</th><th>p10 – p90</th><th>Runs</th></tr></thead><tbody>"]
    for label, unit, a in rows:
        out.append(f"<tr><th>{_esc(label)}</th><td class='num strong'>{_fmt(a.get('mean', math.nan), unit)}</td>"
                   f"<td class='num'>{_fmt(a.get('ci95_lo', math.nan), unit)} – "
                   f"{_fmt(a.get('ci95_hi', math.nan), unit)}</td>"
                   f"<td class='num'>{_fmt(a.get('median', math.nan), unit)}</td>"
                   f"<td class='num'>{_fmt(a.get('p10', math.nan), unit)} – {_fmt(a.get('p90', math.nan), unit)}</td>"
                   f"<td class='num'>{int(_f(a.get('n')) or 0)}</td></tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _tiles(st: Study) -> str:
    out = []
    have = set(st.metric_names()) | ({"leak_rate"} if "threats_flown" in st.columns else set())
    for m in HEADLINE:
        if m == "leakers" and "leak_rate" in have and st.aggregate("leak_rate").get("n"):
            continue
        if m not in have:
            continue
        a = st.aggregate(m)
        if not a.get("n"):
            continue
        label, unit = METRICS[m]
        short = TILE_LABELS.get(m, label)
        ci = (f"95 % CI {_fmt(a.get('ci95_lo', math.nan), unit)} – {_fmt(a.get('ci95_hi', math.nan), unit)}"
              if np.isfinite(a.get("ci95_lo", math.nan)) else "")
        out.append(f"<div class='tile' data-metric='{_esc(m)}'><div class='tile-label'>{_esc(short)}</div>"
                   f"<div class='tile-value'>{_fmt(a.get('mean', math.nan), unit)}</div>"
                   f"<div class='tile-ci'>{ci}</div></div>")
        if len(out) == 6:
            break
    return f"<div class='tiles'>{''.join(out)}</div>" if out else ""


def _failed_table(st: Study) -> str:
    failed = st.summary.get("runs_failed")
    if not isinstance(failed, list):
        failed = [{"run": r.get("run"), "seed": r.get("seed"), "error": r.get("error"),
                   "params": {p: r.get(p) for p in st.sweep_params()}}
                  for r in st.runs if (r.get("status") or "ok") != "ok"]
    if not failed:
        return "<p id='failed-runs' class='ok'>All runs completed.</p>"
    out = ["<table id='failed-runs' class='failed'><thead><tr><th>Run</th><th>Seed</th><th>Parameters</th>"
           "<th>Reason</th></tr></thead><tbody>"]
    for f in failed[:MAX_FAILED_ROWS]:
        f = f if isinstance(f, dict) else {"error": str(f)}
        params = f.get("params") or {}
        ptxt = ", ".join(f"{k} = {v}" for k, v in params.items()) if isinstance(params, dict) else str(params)
        out.append(f"<tr><td class='num'>{_esc(f.get('run', '–'))}</td><td class='num'>{_esc(f.get('seed', '–'))}</td>"
                   f"<td>{_esc(ptxt or '–')}</td><td class='err'>{_esc(f.get('error') or 'unknown error')}</td></tr>")
    out.append("</tbody></table>")
    if len(failed) > MAX_FAILED_ROWS:
        out.append(f"<p class='note'>… and {len(failed) - MAX_FAILED_ROWS} more failed runs (runs.csv).</p>")
    return "".join(out)


def _run0_tables(md: MapData) -> str:
    parts = []
    eg = md.engagements
    if eg is not None and "effector_type" in eg:
        by: dict[str, list[float]] = {}
        shots = np.asarray(eg.get("shots", np.ones(len(eg["result"]))), float)
        cost = np.asarray(eg.get("cost_eur", np.zeros(len(eg["result"]))), float)
        for t, r, s, c in zip(eg["effector_type"], eg["result"], shots, cost):
            b = by.setdefault(str(t), [0, 0, 0, 0, 0.0])
            b[0] += 1
            b[1] += s if np.isfinite(s) else 0
            b[2] += str(r) == "kill"
            b[3] += str(r) == "miss"
            b[4] += c if np.isfinite(c) else 0
        rows = "".join(f"<tr><th>{_esc(k.replace('_', ' '))}</th><td class='num'>{v[0]}</td>"
                       f"<td class='num'>{v[1]:.0f}</td><td class='num'>{v[2]}</td><td class='num'>{v[3]}</td>"
                       f"<td class='num'>{v[0] - v[2] - v[3]}</td><td class='num'>{_fmt(v[4], 'eur')}</td></tr>"
                       for k, v in sorted(by.items(), key=lambda kv: -kv[1][4]))
        parts.append("<div><h3>Engagements in run 0, by effector type</h3>"
                     "<table id='run0-engagements' class='numbers compact'><thead><tr><th>Effector type</th>"
                     "<th>Engagements</th><th>Shots</th><th>Kills</th><th>Misses</th><th>Other</th>"
                     f"<th>Spend</th></tr></thead><tbody>{rows}</tbody></table></div>")
    if md.violations:
        by_z: dict[str, list[int]] = {}
        for v in md.violations:
            z = f"{v.get('zone_name') or v.get('zone_id')} ({v.get('zone_kind', '')})"
            b = by_z.setdefault(z, [0, 0])
            b[0] += 1
            b[1] += not v.get("identity")
        rows = "".join(f"<tr><th>{_esc(k)}</th><td class='num'>{a}</td><td class='num'>{b}</td></tr>"
                       for k, (a, b) in sorted(by_z.items(), key=lambda kv: -kv[1][0]))
        parts.append("<div><h3>Airspace violations in run 0, by zone</h3>"
                     "<table id='run0-violations' class='numbers compact'><thead><tr><th>Zone</th>"
                     "<th>Violations (tracks)</th><th>non-cooperative</th></tr></thead>"
                     f"<tbody>{rows}</tbody></table></div>")
    return f"<div class='two-col'>{''.join(parts)}</div>" if parts else ""


# ----------------------------------------------------------------------------- page

_CSS = """
@page{size:A4;margin:12mm}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Liberation Sans",sans-serif;
color:#1c2833;background:#fff;margin:0 auto;max-width:1010px;padding:24px 24px 40px;font-size:14px;line-height:1.45}
header{border-bottom:3px solid #1c2833;padding-bottom:10px;margin-bottom:16px}
.kicker{font-size:12px;letter-spacing:.08em;text-transform:uppercase;color:#5d6d7e;margin:0}
h1{font-size:26px;margin:2px 0 4px}h2{font-size:18px;margin:28px 0 8px;padding-bottom:3px;border-bottom:1px solid #d5d8dc}
h3{font-size:14px;margin:14px 0 4px}
.desc{margin:4px 0 8px;color:#2e4053;max-width:900px}
.meta{display:flex;flex-wrap:wrap;gap:6px 18px;font-size:12.5px;color:#34495e;margin:0;padding:0;list-style:none}
.meta b{color:#1c2833}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin:14px 0 6px}
.tile{border:1px solid #d5d8dc;border-left:4px solid #1f618d;border-radius:4px;padding:8px 10px;background:#fbfcfc}
.tile-label{font-size:12px;color:#5d6d7e}.tile-value{font-size:22px;font-weight:700;margin:2px 0}
.tile-ci{font-size:11px;color:#5d6d7e}
table{border-collapse:collapse;margin:6px 0 10px;font-size:12.5px;width:100%}
th,td{border-bottom:1px solid #e5e8e8;padding:4px 8px;text-align:left;vertical-align:top}
thead th{background:#f2f4f4;border-bottom:2px solid #aab7b8;font-weight:600}
tbody th{font-weight:500}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td.strong{font-weight:700}
table.compact{width:100%}
td.err{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11.5px;color:#922b21}
figure{margin:10px 0 18px;break-inside:avoid;page-break-inside:avoid}
figure svg{max-width:100%;height:auto;display:block}
figcaption{font-size:12.5px;color:#34495e;margin-top:4px}
figcaption b{color:#1c2833}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:10px 20px}
.two-col{display:grid;grid-template-columns:1.25fr 1fr;gap:0 24px}
.note{font-size:12px;color:#5d6d7e}.ok{color:#1e8449;font-weight:600}
footer{margin-top:30px;border-top:1px solid #d5d8dc;padding-top:8px;font-size:11.5px;color:#5d6d7e}
@media print{body{padding:0;max-width:none;font-size:11pt}h2{break-after:avoid}
.tiles{grid-template-columns:repeat(3,1fr)}section{break-inside:auto}}
"""


def render_study_html(st: Study) -> str:
    sm, sc = st.summary, st.scenario
    name = sm.get("scenario") or sc.get("name") or st.dir.name
    n_ok = sm.get("runs_ok", len(st.ok_rows()))
    failed = sm.get("runs_failed")
    n_failed = (len(failed) if isinstance(failed, list) else
                sum(1 for r in st.runs if (r.get("status") or "ok") != "ok"))
    n_req = sm.get("runs_requested", len(st.runs) or (n_ok or 0) + n_failed)
    tm = sc.get("time") if isinstance(sc.get("time"), dict) else {}
    start = str(tm.get("start") or "–").replace("+00:00", "Z")
    dur = _f(tm.get("duration_s"))
    fig = 0

    def figure(body: str, caption: str, ident: str = "") -> str:
        nonlocal fig
        fig += 1
        idattr = f" id='{ident}'" if ident else ""
        return f"<figure{idattr}>{body}<figcaption><b>Figure {fig}.</b> {caption}</figcaption></figure>"

    out = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
           f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
           f"<title>{_esc(name)} — Monte-Carlo study report</title><style>{_CSS}</style></head><body>"]
    meta = [("Scenario date", start), ("Simulated", f"{dur / 60:.0f} min" if np.isfinite(dur) else "–"),
            ("Runs", f"{n_ok} ok / {n_req} requested" + (f", <span class='err'>{n_failed} failed</span>"
                                                        if n_failed else "")),
            ("Backend", f"{_esc(sm.get('backend', '–'))}"
             + (f", {_esc(sm.get('workers'))} workers" if sm.get("workers") else "")),
            ("Study wall time", _fmt(_f((sm.get("timing") or {}).get("wall_s")), "s")),
            ("Report generated", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))]
    if st.sweep_params():
        meta.insert(3, ("Sweep", _esc(", ".join(st.sweep_params()))))
    out.append(f"<header><p class='kicker'>Drone wall · Monte-Carlo study</p><h1>{_esc(name)}</h1>"
               + (f"<p class='desc'>{_esc(str(sc.get('description', '')).strip())}</p>" if sc.get("description") else "")
               + "<ul class='meta'>" + "".join(
                   f"<li>{k}: <b>{v if k in ('Runs', 'Backend', 'Sweep') else _esc(v)}</b></li>" for k, v in meta)
               + "</ul></header>")
    out.append(_tiles(st))
    out.append("<section id='numbers'><h2>Key numbers</h2>")
    out.append(_key_table(_key_rows(st)))
    out.append(f"<p class='note'>Across the {n_ok} successful runs: mean with the 95 % confidence interval of the "
               "mean, median and the 10th–90th percentile range of the per-run values. Latencies are each run's "
               "median over its alerts.</p></section>")

    md = _map_data(st)
    out.append("<section id='maps'><h2>Situation map (run 0)</h2>")
    ov = _overview_frame(st, md)
    n_tr = len(md.tracks.lat) if md.tracks else 0
    n_tt = len(md.truth.lat) if md.truth else 0
    drawn = (f"{min(n_tr, MAX_DRAWN_TRACKS)} of {n_tr} tracks" if n_tr > MAX_DRAWN_TRACKS else f"{n_tr} tracks")
    common = (f"Zones by kind; sensors with their nominal coverage (dashed footprint per sensor type); true paths (grey) and "
              f"{drawn} coloured by the tracker's final class; violation entry points; engagement intercept "
              f"points (× kill, ○ miss) of run 0, seed {_esc(st.runs[0].get('seed', '–') if st.runs else '–')}.")
    if ov is None:
        out.append(_no_data("map", FIG_W, 200, "nothing to map: run 0 outputs and sensors.json are missing"))
    else:
        out.append(figure(_svg_map(md, ov, "map", "situation map"), "Overview. " + common
                          + (f" {n_tt} true paths." if n_tt else "")))
        det = _detail_frame(md, ov)
        if det is not None:
            out.append(figure(_svg_map(md, det, "map-detail", "defended area", detail=True),
                              f"Defended area, {det.x1 - det.x0:.0f} km × {det.y1 - det.y0:.0f} km: zones, "
                              "effector sites (■) and where the engagements took place."))
    if md.notes:
        out.append("<p class='note'>" + "; ".join(_esc(n) for n in md.notes) + ".</p>")
    out.append(_run0_tables(md))
    out.append("</section>")

    out.append("<section id='timeline'><h2>Air picture over time (run 0)</h2>")
    svg, cap = _plot_threats(st)
    out.append(figure(svg, cap or "Run 0 has no tracks."))
    out.append("</section>")

    out.append("<section id='distributions'><h2>Across runs</h2><div class='grid2'>")
    lat = st.values("alert_latency_s_median")
    out.append(figure(_plot_hist("plot-alert-latency", lat, st.aggregate("alert_latency_s_median"),
                                 "Alert latency, run median", "s", "#1f618d"),
                      f"Alert latency (true crossing → entry alert), distribution of the per-run median over "
                      f"{int(np.isfinite(lat).sum())} runs; dashed line mean, band 95 % CI."))
    lead = st.values("warning_lead_time_s_median")
    out.append(figure(_plot_hist("plot-warning-lead", lead, st.aggregate("warning_lead_time_s_median"),
                                 "Warning lead time, run median", "s", "#117a65"),
                      f"Warning lead time before the true crossing, per-run median over "
                      f"{int(np.isfinite(lead).sum())} runs."))
    leak_m = "leak_rate" if np.isfinite(st.values("leak_rate")).any() else "leakers"
    leak_lab, leak_unit = METRICS[leak_m]
    lv = st.values(leak_m)
    out.append(figure(_plot_strip("plot-leak", lv, st.aggregate(leak_m), leak_lab.split(" (")[0],
                                  leak_unit, "#c0392b"),
                      f"{leak_lab} per run ({int(np.isfinite(lv).sum())} runs): dots are runs, box p10–p90 "
                      "with the median, black bar the mean with its 95 % CI."))
    cv = st.values("cost_exchange_ratio")
    n_inf = int(np.isinf(cv).sum())
    out.append(figure(_plot_strip("plot-cer", cv, st.aggregate("cost_exchange_ratio"), "Cost-exchange ratio",
                                  "ratio", "#8e44ad",
                                  note=f"{n_inf} runs without kills" if n_inf else ""),
                      f"Cost-exchange ratio (defender spend / cost of the attackers destroyed; > 1 the defender "
                      f"pays more) per run, {int(np.isfinite(cv).sum())} runs."))
    out.append("</div></section>")

    out.append("<section id='spend'><h2>Spend by effector type</h2>")
    svg, src = _plot_spend(st)
    out.append(figure(svg, f"Spend by effector type: {src}." if src else "No spend recorded."))
    out.append("</section>")

    svgs, cap = _plot_sweep(st)
    out.append("<section id='sweep'><h2>Parameter sweep</h2>")
    if svgs:
        out.append(figure(f"<div id='plot-sweep' class='grid2'>{''.join(svgs)}</div>", cap))
    else:
        out.append("<p class='note' id='no-sweep'>This study has no parameter sweep.</p>")
    out.append("</section>")

    out.append(f"<section id='failures'><h2>Failed runs ({n_failed})</h2>{_failed_table(st)}</section>")
    out.append("<footer>Generated by dronewall from " + _esc(str(st.dir.name)) + "/ (summary.json, runs.csv, "
               "sensors.json, scenario.json, runs/run-0000/). Self-contained: no scripts, fonts or images are "
               "loaded. Map projection: local equirectangular about the map centre. Sensor coverage circles are "
               "nominal maximum ranges, not detection probability contours. Synthetic scenario values are "
               "estimates; see the scenario file for sources.</footer></body></html>")
    return "".join(out)


def write_study_report(study_dir: Path, out: Path | None = None) -> Path:
    """Write the offline HTML report of a Monte-Carlo study directory; return its path.

    ``out`` defaults to ``study_dir / "report.html"``. Missing inputs are left out of the page
    with a note.
    """
    st = load_study(Path(study_dir))
    out = Path(out) if out is not None else Path(study_dir) / "report.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_study_html(st), encoding="utf-8")
    return out
