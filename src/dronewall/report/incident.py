"""Incident reports: one violation or a whole night, as offline HTML and JSON.

Inputs are the files the engine writes: violation/entry/exit/warning events (JSON lines, schema
in docs/airspace.md), a tracks table (``tracks.csv`` of ``dronewall simulate`` or the neutral
``time,track_id,lat,lon,alt_m[,sigma_m]`` format) and optionally the zone GeoJSON files for the
map. The HTML has no network resources: maps and profiles are inline SVG, styles inline.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.csv as pacsv
import shapely
import shapely.geometry

from dronewall.errors import DataFormatError

#: Map margin around the incident (fraction of the extent) and minimum map half-size, m.
MAP_MARGIN = 0.25
MAP_MIN_HALF_M = 3_000.0
SVG_W, SVG_H = 640, 420
#: Zone outlines are simplified for drawing only (~100 m): invisible at map scale, keeps the
#: HTML small when a country polygon with 10^4-10^5 vertices is drawn per violation.
DRAW_SIMPLIFY_DEG = 0.001
#: Polylines (track on the map, profiles) are thinned to at most this many points for drawing.
DRAW_MAX_POINTS = 600


def _thin(n: int) -> np.ndarray:
    """Indices of at most DRAW_MAX_POINTS evenly spaced samples of n, keeping the last."""
    if n <= DRAW_MAX_POINTS:
        return np.arange(n)
    return np.unique(np.r_[np.linspace(0, n - 1, DRAW_MAX_POINTS).astype(np.int64), n - 1])
M_PER_DEG_LAT = 111_320.0


@dataclass
class TrackSeries:
    t_s: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    alt: np.ndarray
    sigma: np.ndarray
    seen_by: list[str]
    speed: np.ndarray | None = None  # m/s from the tracker's velocity estimate, when present


def load_events(path: Path) -> list[dict[str, Any]]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DataFormatError(f"{path}: events file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise DataFormatError(f"{path}: cannot read events file: {e}") from None
    out = []
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            ev = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataFormatError(f"{path}, line {i}: not a JSON object ({e.msg})") from None
        if not isinstance(ev, dict) or "event" not in ev:
            raise DataFormatError(f"{path}, line {i}: expected a JSON object with an 'event' field")
        out.append(ev)
    return out


def load_tracks(path: Path) -> dict[str, TrackSeries]:
    """Tracks from ``tracks.csv`` (t_s, lat_deg, ...) or the neutral format (time, lat, ...)."""
    try:
        tbl = pacsv.read_csv(str(path))
    except FileNotFoundError:
        raise DataFormatError(f"{path}: tracks file not found") from None
    except Exception as e:  # pyarrow raises ArrowInvalid with the line in the message
        raise DataFormatError(f"{path}: not a readable CSV table: {e}") from None
    cols = set(tbl.column_names)
    if {"t_s", "lat_deg", "lon_deg"} <= cols:
        tcol, la, lo = "t_s", "lat_deg", "lon_deg"
    elif {"time", "lat", "lon"} <= cols:
        tcol, la, lo = "time", "lat", "lon"
    else:
        raise DataFormatError(f"{path}: expected columns t_s,track_id,lat_deg,lon_deg,alt_m "
                              f"(dronewall tracks) or time,track_id,lat,lon,alt_m; got "
                              f"{', '.join(tbl.column_names)}")
    if "track_id" not in cols:
        raise DataFormatError(f"{path}: missing column track_id")
    t = tbl.column(tcol).to_pylist()
    if t and isinstance(t[0], str):
        try:
            t = [datetime.fromisoformat(x.replace("Z", "+00:00")).timestamp() for x in t]
        except ValueError as e:
            raise DataFormatError(f"{path}: column {tcol}: expected seconds or ISO-8601: {e}") from None
    t_a = np.asarray(t, dtype=np.float64)
    ids = np.asarray([str(x) for x in tbl.column("track_id").to_pylist()])
    lat = np.asarray(tbl.column(la).to_pylist(), dtype=np.float64)
    lon = np.asarray(tbl.column(lo).to_pylist(), dtype=np.float64)
    alt = (np.asarray(tbl.column("alt_m").to_pylist(), dtype=np.float64) if "alt_m" in cols
           else np.full(t_a.size, np.nan))
    sg = "pos_sd_m" if "pos_sd_m" in cols else ("sigma_m" if "sigma_m" in cols else None)
    sigma = (np.asarray(tbl.column(sg).to_pylist(), dtype=np.float64) if sg
             else np.full(t_a.size, np.nan))
    seen = tbl.column("seen_by").to_pylist() if "seen_by" in cols else [""] * t_a.size
    speed = None
    if {"vx_mps", "vy_mps"} <= cols:
        vx = np.asarray(tbl.column("vx_mps").to_pylist(), dtype=np.float64)
        vy = np.asarray(tbl.column("vy_mps").to_pylist(), dtype=np.float64)
        speed = np.hypot(vx, vy)  # engine-frame horizontal: within cos(tilt) of local ground speed
    out: dict[str, TrackSeries] = {}
    order = np.lexsort((t_a, ids))
    ids_s = ids[order]
    bounds = np.flatnonzero(np.r_[True, ids_s[1:] != ids_s[:-1], True])
    for a, b in zip(bounds[:-1], bounds[1:]):
        sel = order[a:b]
        out[str(ids_s[a])] = TrackSeries(t_a[sel], lat[sel], lon[sel], alt[sel], sigma[sel],
                                         [seen[i] or "" for i in sel],
                                         None if speed is None else speed[sel])
    return out


def load_zone_shapes(paths: list[Path]) -> dict[str, shapely.Geometry]:
    """zone id -> (multi)polygon in (lon, lat), simplified for drawing only."""
    shapes: dict[str, shapely.Geometry] = {}
    for p in paths:
        try:
            gj = json.loads(Path(p).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise DataFormatError(f"{p}: cannot read zones GeoJSON: {e}") from None
        if not isinstance(gj, dict) or gj.get("type") not in ("FeatureCollection", "Feature"):
            raise DataFormatError(f"{p}: expected a GeoJSON FeatureCollection or Feature")
        feats = gj.get("features", [gj])
        for f in feats:
            props = f.get("properties") or {}
            g = f.get("geometry") or {}
            if g.get("type") not in ("Polygon", "MultiPolygon"):
                continue
            try:
                geom = shapely.geometry.shape(g)
            except (ValueError, TypeError, AttributeError) as e:
                raise DataFormatError(f"{p}: zone {props.get('id')!r}: bad geometry: {e}") from None
            shapes[str(props.get("id", ""))] = shapely.simplify(geom, DRAW_SIMPLIFY_DEG)
    return shapes


def _fmt_time(t_s: float | None, iso: str | None = None) -> str:
    if iso:
        return iso.replace("+00:00", "Z")
    if t_s is None or not np.isfinite(t_s):
        return "-"
    return f"t+{t_s:.0f} s"


def _svg_map(v: dict[str, Any], tr: TrackSeries | None, zone: shapely.Geometry | None) -> str:
    pts = [v.get("entry_point"), v.get("exit_point"), v.get("max_depth_point")]
    lat_c = np.nanmean([p[0] for p in pts if p] or [0.0])
    lon_c = np.nanmean([p[1] for p in pts if p] or [0.0])
    kx = M_PER_DEG_LAT * math.cos(math.radians(lat_c))

    def xy(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (np.asarray(lon) - lon_c) * kx, (np.asarray(lat) - lat_c) * M_PER_DEG_LAT

    xs, ys = [], []
    if tr is not None:
        x, y = xy(tr.lat, tr.lon)
        xs.append(x)
        ys.append(y)
    for p in pts:
        if p:
            x, y = xy(np.array([p[0]]), np.array([p[1]]))
            xs.append(x)
            ys.append(y)
    ax, ay = np.concatenate(xs), np.concatenate(ys)
    half = max(MAP_MIN_HALF_M, (1 + MAP_MARGIN) * max(np.ptp(ax), np.ptp(ay) * SVG_W / SVG_H) / 2)
    cx, cy = (ax.max() + ax.min()) / 2, (ay.max() + ay.min()) / 2
    s = SVG_W / (2 * half)

    def to_px(x: np.ndarray, y: np.ndarray) -> str:
        px = SVG_W / 2 + (x - cx) * s
        py = SVG_H / 2 - (y - cy) * s
        return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{SVG_W}" height="{SVG_H}" '
             f'viewBox="0 0 {SVG_W} {SVG_H}" class="map"><rect width="100%" height="100%" fill="#f4f6f8"/>']
    rings: list[np.ndarray] = []
    if zone is not None:
        # clip to the view (plus a margin) so a country polygon costs only what is visible
        lon0 = lon_c + (cx - 1.2 * half) / kx
        lon1 = lon_c + (cx + 1.2 * half) / kx
        lat0 = lat_c + (cy - 1.2 * half) / M_PER_DEG_LAT
        lat1 = lat_c + (cy + 1.2 * half) / M_PER_DEG_LAT
        clipped = shapely.clip_by_rect(zone, lon0, lat0, lon1, lat1)
        for poly in shapely.get_parts(clipped):
            if isinstance(poly, shapely.Polygon) and not poly.is_empty:
                rings.append(np.asarray(poly.exterior.coords))
    for ring in rings:
        lo, la = ring[:, 0], ring[:, 1]
        x, y = xy(la, lo)
        parts.append(f'<polygon points="{to_px(x, y)}" fill="#d62728" fill-opacity="0.12" '
                     f'stroke="#d62728" stroke-width="1.5"/>')
    if tr is not None and tr.t_s.size:
        k = _thin(tr.t_s.size)
        x, y = xy(tr.lat[k], tr.lon[k])
        parts.append(f'<polyline points="{to_px(x, y)}" fill="none" stroke="#1f77b4" stroke-width="2"/>')
        tk = tr.t_s[k]
        inside = (tk >= v.get("entry_t_s", np.inf)) & (tk <= v.get("exit_t_s", -np.inf))
        if inside.any():
            parts.append(f'<polyline points="{to_px(x[inside], y[inside])}" fill="none" '
                         f'stroke="#d62728" stroke-width="3"/>')
    for key, color, label in (("entry_point", "#2ca02c", "entry"), ("exit_point", "#9467bd", "exit"),
                              ("max_depth_point", "#000", "max depth")):
        p = v.get(key)
        if p:
            x, y = xy(np.array([p[0]]), np.array([p[1]]))
            px, py = to_px(x, y).split(",")
            parts.append(f'<circle cx="{px}" cy="{py}" r="5" fill="{color}"/>'
                         f'<text x="{float(px) + 7:.1f}" y="{float(py) - 6:.1f}" font-size="12">{label}</text>')
    bar_m = 10 ** math.floor(math.log10(half))
    parts.append(f'<line x1="20" y1="{SVG_H - 20}" x2="{20 + bar_m * s:.1f}" y2="{SVG_H - 20}" '
                 f'stroke="#000" stroke-width="2"/><text x="20" y="{SVG_H - 26}" font-size="11">'
                 f'{bar_m / 1000:g} km</text><text x="{SVG_W - 20}" y="20" font-size="12" '
                 f'text-anchor="end">N ↑</text></svg>')
    return "".join(parts)


def _svg_profile(t: np.ndarray, y: np.ndarray, t0: float, t1: float, label: str) -> str:
    w, h, pad = 640, 150, 40
    ok = np.isfinite(y)
    if ok.sum() < 2:
        return f"<p>No {label} data.</p>"
    t, y = t[ok], y[ok]
    k = _thin(t.size)
    t, y = t[k], y[k]
    tmin, tmax = float(t.min()), float(t.max())
    ymin, ymax = float(y.min()), float(y.max())
    if ymax - ymin < 1e-9:
        ymin, ymax = ymin - 1, ymax + 1
    sx = (w - 2 * pad) / max(tmax - tmin, 1e-9)
    sy = (h - 2 * pad) / (ymax - ymin)
    pts = " ".join(f"{pad + (a - tmin) * sx:.1f},{h - pad - (b - ymin) * sy:.1f}" for a, b in zip(t, y))
    shade = ""
    if np.isfinite(t0) and np.isfinite(t1):
        a, b = max(t0, tmin), min(t1, tmax)
        if b > a:
            shade = (f'<rect x="{pad + (a - tmin) * sx:.1f}" y="{pad}" width="{(b - a) * sx:.1f}" '
                     f'height="{h - 2 * pad}" fill="#d62728" fill-opacity="0.12"/>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">'
            f'{shade}<polyline points="{pts}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>'
            f'<text x="{pad}" y="{pad - 8}" font-size="12">{html.escape(label)}: '
            f'{ymin:.0f}–{ymax:.0f}</text><text x="{pad}" y="{h - 8}" font-size="11">'
            f't {tmin:.0f}–{tmax:.0f} s (shaded: inside the zone)</text></svg>')


def _speed(tr: TrackSeries) -> np.ndarray:
    """Ground speed, m/s: the tracker's filtered velocity when the file has it, else finite
    differences of positions (noisy: position error / scan interval)."""
    if tr.speed is not None:
        return tr.speed
    if tr.t_s.size < 2:
        return np.full(tr.t_s.size, np.nan)
    kx = M_PER_DEG_LAT * np.cos(np.radians(tr.lat))
    dx = np.diff(tr.lon) * kx[1:]
    dy = np.diff(tr.lat) * M_PER_DEG_LAT
    dt = np.diff(tr.t_s)
    v = np.hypot(dx, dy) / np.where(dt > 0, dt, np.nan)
    return np.r_[v[:1], v]


def build_incident(violations: list[dict[str, Any]], events: list[dict[str, Any]],
                   tracks: dict[str, TrackSeries]) -> dict[str, Any]:
    """The JSON form of the report: one entry per violation, with its evidence."""
    items = []
    for v in violations:
        tid = str(v.get("track_id"))
        tr = tracks.get(tid)
        related = [e for e in events if str(e.get("track_id")) == tid
                   and e.get("zone_id") == v.get("zone_id") and e.get("event") != "violation"]
        sensors: dict[str, int] = {}
        if tr is not None:
            inside = (tr.t_s >= v.get("entry_t_s", np.inf)) & (tr.t_s <= v.get("exit_t_s", -np.inf))
            for sb, ins in zip(tr.seen_by, inside):
                if ins:
                    for k in filter(None, sb.split(";")):
                        sensors[k] = sensors.get(k, 0) + 1
        items.append({"violation": v, "timeline": sorted(related, key=lambda e: e.get("t_s", 0)),
                      "sensors_inside": sensors,
                      "track_points": 0 if tr is None else int(tr.t_s.size)})
    countries = sorted({str(v.get("country", "")) for v in violations})
    return {"generated_utc": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
            "violations": len(violations), "countries": countries, "items": items}


_CSS = """body{font-family:system-ui,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1000px}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;font-size:13px}
.conf-confirmed{color:#b00;font-weight:bold}.conf-probable{color:#c60;font-weight:bold}.conf-uncertain{color:#666;font-weight:bold}
.note{color:#555;font-size:12px}"""


def render_html(report: dict[str, Any], tracks: dict[str, TrackSeries],
                zone_shapes: dict[str, shapely.Geometry], title: str) -> str:
    out = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
           f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>"]
    out.append(f"<p>{report['violations']} violation(s); zone countries: "
               f"{html.escape(', '.join(c or '-' for c in report['countries']))}. "
               f"Generated {report['generated_utc']}.</p>")
    out.append("<table><tr><th>#</th><th>track</th><th>identity</th><th>zone</th><th>from</th><th>entry</th>"
               "<th>exit</th><th>duration</th><th>max depth</th><th>p inside</th></tr>")
    for i, it in enumerate(report["items"], 1):
        v = it["violation"]
        out.append(
            f"<tr><td><a href='#v{i}'>{i}</a></td><td>{html.escape(str(v.get('track_id')))}</td>"
            f"<td>{html.escape(str(v.get('identity') or 'none (non-cooperative)'))}</td>"
            f"<td>{html.escape(str(v.get('zone_id')))} ({html.escape(str(v.get('zone_kind', '')))}, "
            f"{html.escape(str(v.get('country', '')))})</td><td>{html.escape(str(v.get('from_country') or '-'))}</td>"
            f"<td>{_fmt_time(v.get('entry_t_s'), v.get('entry_time'))}</td>"
            f"<td>{_fmt_time(v.get('exit_t_s'), v.get('exit_time'))}{' (ongoing)' if v.get('ongoing') else ''}</td>"
            f"<td>{v.get('duration_s', float('nan')) / 60:.1f} min</td>"
            f"<td>{v.get('max_depth_m', float('nan')) / 1000:.2f} km</td>"
            f"<td class='conf-{html.escape(str(v.get('confidence', '')))}'>{v.get('p_inside', float('nan')):.2f} "
            f"({html.escape(str(v.get('confidence', '')))})</td></tr>")
    out.append("</table>")
    for i, it in enumerate(report["items"], 1):
        v = it["violation"]
        tr = tracks.get(str(v.get("track_id")))
        out.append(f"<h2 id='v{i}'>{i}. Track {html.escape(str(v.get('track_id')))} in "
                   f"{html.escape(str(v.get('zone_name') or v.get('zone_id')))}</h2>")
        out.append(_svg_map(v, tr, zone_shapes.get(str(v.get("zone_id")))))
        rows = [("entry", f"{_fmt_time(v.get('entry_t_s'), v.get('entry_time'))} at {v.get('entry_point')}"),
                ("exit", f"{_fmt_time(v.get('exit_t_s'), v.get('exit_time'))} at {v.get('exit_point')}"
                 + (" — still inside at the end of the record" if v.get("ongoing") else "")),
                ("duration", f"{v.get('duration_s', float('nan')):.0f} s"),
                ("maximum depth", f"{v.get('max_depth_m', float('nan')):.0f} m at {v.get('max_depth_point')}"),
                ("path inside", f"{v.get('path_length_m', float('nan')) / 1000:.1f} km"),
                ("altitude", f"{v.get('min_alt_m', float('nan')):.0f}–{v.get('max_alt_m', float('nan')):.0f} m"),
                ("came from", str(v.get("from_country") or "unknown / international")),
                ("confidence", f"P(really inside) = {v.get('p_inside', float('nan')):.3f} → {v.get('confidence')}"),
                ("sensors while inside", ", ".join(f"{k} ({n} steps)" for k, n in sorted(it["sensors_inside"].items()))
                 or "not recorded")]
        out.append("<table>" + "".join(f"<tr><th>{html.escape(a)}</th><td>{html.escape(b)}</td></tr>"
                                        for a, b in rows) + "</table>")
        if tr is not None:
            t0, t1 = v.get("entry_t_s", np.nan), v.get("exit_t_s", np.nan)
            out.append(_svg_profile(tr.t_s, tr.alt, t0, t1, "altitude m"))
            out.append(_svg_profile(tr.t_s, _speed(tr), t0, t1, "ground speed m/s"))
        if it["timeline"]:
            out.append("<table><tr><th>time</th><th>event</th><th>detail</th></tr>")
            for e in it["timeline"]:
                det = (f"crossing predicted in {e.get('time_to_crossing_s', 0):.0f} s"
                       if e.get("event") == "warning" else f"p_inside {e.get('p_inside', float('nan')):.2f}")
                out.append(f"<tr><td>{_fmt_time(e.get('t_s'), e.get('time'))}</td>"
                           f"<td>{html.escape(str(e.get('event')))}</td><td>{html.escape(det)}</td></tr>")
            out.append("</table>")
    out.append("<p class='note'>Confidence = probability that the track was really inside at its "
               "deepest point, from the track's 1-σ horizontal position error (docs/airspace.md). "
               "Border data accuracy limits apply (docs/region-data.md).</p></body></html>")
    return "".join(out)


def incident_report(events_path: Path, tracks_path: Path, out: Path,
                    zones: list[Path] | None = None, track_id: str | None = None,
                    zone_id: str | None = None, title: str | None = None,
                    non_cooperative: bool = False, crossings_only: bool = False
                    ) -> dict[str, Any]:
    """Write ``out`` (.html) and the same content as JSON beside it; return the JSON form."""
    events = load_events(events_path)
    violations = [e for e in events if e.get("event") == "violation"]
    if track_id is not None:
        violations = [v for v in violations if str(v.get("track_id")) == str(track_id)]
    if zone_id is not None:
        violations = [v for v in violations if str(v.get("zone_id")) == str(zone_id)]
    if non_cooperative:  # no ADS-B / Remote ID identity on the track
        violations = [v for v in violations if not v.get("identity")]
    if crossings_only:  # the entry was seen (track outside before), not first seen inside
        violations = [v for v in violations if v.get("entry_interpolated", True)]
    violations.sort(key=lambda v: (v.get("entry_t_s", 0), str(v.get("track_id")), str(v.get("zone_id"))))
    tracks = load_tracks(tracks_path)
    shapes = load_zone_shapes(zones or [])
    rep = build_incident(violations, events, tracks)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(rep, tracks, shapes, title or "Airspace violation report"),
                   encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps(rep, indent=2, default=str), encoding="utf-8")
    return rep
