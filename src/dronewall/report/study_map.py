"""Maps of the study report (run 0): zones, sensor coverage, effector sites, true paths, tracks
by final class, violation entry points and engagements, drawn with the shared SVG module
(``dronewall.report.svg``: azimuthal-equidistant projection, graticule, scale bar, north arrow,
legend).

Drawing is capped so the page stays small for large scenarios (the caps are in the caption).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from markupsafe import Markup

from dronewall.report import svg
from dronewall.report.study_inputs import (
    Paths,
    Study,
    group_paths,
    read_columns,
    read_events,
    read_zones,
    to_float,
)

FIG_W = 960
MAX_DRAWN_TRACKS = 250
MAX_DRAWN_TRUTH = 250
PATH_MAX_POINTS = 150
MAX_SENSOR_MARKERS = 3000
MAX_COVERAGE_DISCS = 1500
MAX_POINT_MARKERS = 1500  # violations, engagements
#: The defended-area map is drawn when that area is under 1/DETAIL_MIN_RATIO of the overview
#: width, and shows at least DETAIL_MIN_SPAN_M.
DETAIL_MIN_RATIO = 3.0
DETAIL_MIN_SPAN_M = 12_000.0

CLASS_ORDER = ("attack_drone", "decoy", "recon_uav", "multirotor", "unknown", "manned_aircraft",
               "bird")
CLASS_COLOURS = {"attack_drone": "#c0392b", "decoy": "#e67e22", "recon_uav": "#8e44ad",
                 "multirotor": "#2471a3", "unknown": "#7f8c8d", "manned_aircraft": "#17a2b8",
                 "bird": "#27ae60"}
CLASS_LABELS = {"attack_drone": "attack drone", "decoy": "decoy", "recon_uav": "recon UAV",
                "multirotor": "multirotor", "unknown": "unknown",
                "manned_aircraft": "manned aircraft", "bird": "bird"}
ZONE_STYLE = {  # kind -> (stroke, fill, fill opacity, dash)
    "sovereign": ("#4d5656", "#fbfaf5", 1.0, None),
    "airport": ("#1f618d", "#5dade2", 0.25, None),
    "infrastructure": ("#922b21", "#e74c3c", 0.30, None),
    "no_fire": ("#b9770e", "#f5b041", 0.18, "5 3"),
    "engagement": ("#1e8449", "#58d68d", 0.12, "2 2"),
    "custom": ("#566573", "#aab7b8", 0.15, None),
}
SENSOR_STYLE = {  # type -> (colour, marker shape, size px)
    "radar": ("#1a5276", "triangle", 5.0), "passive_radar": ("#2e4053", "triangle", 5.0),
    "acoustic": ("#7e5109", "circle", 1.6), "rf": ("#6c3483", "diamond", 4.5),
    "eoir": ("#117a65", "square", 3.5), "adsb": ("#515a5a", "circle", 3.5),
    "remote_id": ("#515a5a", "circle", 3.5),
}
ENGAGEMENT_COLUMNS = ("result", "effector_type", "lat_deg", "lon_deg", "kill_lat_deg",
                      "kill_lon_deg", "t_resolved_s", "t_intercept_s", "t_s", "shots",
                      "cost_eur")


def inline_svg(m: Markup) -> Markup:
    """An SVG for inline HTML5 use: without the ``xmlns`` URL (not needed inline), so the page
    has no http(s) string at all."""
    return Markup(str(m).replace(' xmlns="http://www.w3.org/2000/svg"', ""))


@dataclass
class Run0:
    """What run 0 left on disk for the maps and the run-0 tables."""

    zones: list[tuple[dict[str, Any], shapely.Geometry]]
    truth: Paths | None
    tracks: Paths | None
    violations: list[dict[str, Any]]
    engagements: dict[str, np.ndarray] | None  # None: no engagements.csv
    notes: list[str]


def load_run0(st: Study) -> Run0:
    r0, notes = st.run0, []
    zones = read_zones(r0 / "zones.geojson")
    if not zones:
        notes.append("no zones.geojson in runs/run-0000: zones not drawn")
    tr = read_columns(r0 / "tracks.csv", ["t_s", "track_id", "lat_deg", "lon_deg", "class"])
    tracks = None
    if tr and {"t_s", "track_id", "lat_deg", "lon_deg"} <= set(tr):
        tracks = group_paths(tr["track_id"], tr["t_s"], tr["lat_deg"], tr["lon_deg"],
                             tr.get("class"))
    else:
        notes.append("no tracks.csv in runs/run-0000: tracked paths not drawn")
    tt = read_columns(r0 / "truth.csv", ["t_s", "platform_id", "lat_deg", "lon_deg"])
    truth = None
    if tt and {"t_s", "platform_id", "lat_deg", "lon_deg"} <= set(tt):
        truth = group_paths(tt["platform_id"], tt["t_s"], tt["lat_deg"], tt["lon_deg"], None)
    else:
        notes.append("no truth.csv in runs/run-0000: true paths not drawn")
    viol = [e for e in read_events(r0 / "events.jsonl") if e.get("event") == "violation"]
    eg = read_columns(r0 / "engagements.csv", ENGAGEMENT_COLUMNS)
    if eg is None or "result" not in eg:
        eg = None
        notes.append("no engagements.csv in runs/run-0000: engagements not drawn")
    return Run0(zones, truth, tracks, viol, eg, notes)


def _paths_by_length(p: Paths | None, cap: int, threats_first: bool) -> list[str]:
    if p is None:
        return []
    rank = {c: i for i, c in enumerate(CLASS_ORDER)}
    keys = list(p.lat)
    if threats_first:  # threat classes before the others, then the longest
        keys.sort(key=lambda k: (rank.get(p.label.get(k, ""), len(rank)) > 3, -p.lat[k].size))
    else:
        keys.sort(key=lambda k: -p.lat[k].size)
    return keys[:cap]


def _lines(p: Paths, keys: list[str]) -> list[shapely.Geometry]:
    out = []
    for k in keys:
        la, lo = p.lat[k], p.lon[k]
        ok = np.isfinite(la) & np.isfinite(lo)
        la, lo = la[ok], lo[ok]
        if la.size < 2:
            continue
        sel = svg.core.thin(la.size, PATH_MAX_POINTS)
        out.append(shapely.LineString(np.c_[lo[sel], la[sel]]))
    return out


def _coverage(proj: svg.Projection, sensors: list[dict[str, Any]]) -> dict[str, shapely.Geometry]:
    """Per sensor type, the union of the nominal coverage discs (in lon/lat), so a grid of
    hundreds of acoustic nodes reads as one footprint."""
    discs: dict[str, list[shapely.Geometry]] = {}
    view = max(proj.width, proj.height) * proj.m_per_px
    for s in sensors[:MAX_COVERAGE_DISCS]:
        r = to_float(s.get("coverage_radius_m"))
        if not (np.isfinite(r) and 0 < r < 1.5 * view):
            continue
        x, y = proj.xy_m(to_float(s.get("lat")), to_float(s.get("lon")))
        if not (np.isfinite(x) and np.isfinite(y)):
            continue
        t = "acoustic" if str(s.get("type")).startswith("acoustic") else str(s.get("type"))
        discs.setdefault(t, []).append(shapely.Point(float(x), float(y)).buffer(r, quad_segs=16))

    def to_lonlat(c: np.ndarray) -> np.ndarray:
        la, lo = proj.latlon_m(c[:, 0], c[:, 1])
        return np.c_[lo, la]

    return {t: shapely.transform(shapely.union_all(g), to_lonlat) for t, g in discs.items()}


def _engagement_points(eg: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Intercept point: where the target was killed if recorded, else the aim point."""
    n = len(eg["result"])

    def col(name: str) -> np.ndarray:
        return (np.asarray(eg[name], dtype=np.float64).copy() if name in eg
                else np.full(n, np.nan))

    lat, lon = col("kill_lat_deg"), col("kill_lon_deg")
    bad = ~np.isfinite(lat)
    lat[bad], lon[bad] = col("lat_deg")[bad], col("lon_deg")[bad]
    return lat, lon


def draw_map(st: Study, r0: Run0, proj: svg.Projection, ident: str, title: str,
             detail: bool = False) -> Markup:
    m = svg.Map(proj, ident=ident, title=title, background="#e8edf1")
    box = proj.lonlat_bbox(0.1)
    order = sorted(r0.zones, key=lambda z: (z[0].get("kind") != "sovereign", -z[1].area))
    for props, geom in order:
        kind = str(props.get("kind") or "custom")
        stroke, fill, fo, dash = ZONE_STYLE.get(kind, ZONE_STYLE["custom"])
        g = shapely.clip_by_rect(geom, *box)
        if g.is_empty:
            continue
        name = str(props.get("name") or props.get("country") or props.get("id") or "")
        m.polygons([g], fill=fill, stroke=stroke, fill_opacity=fo, dash=dash,
                   stroke_width=1.4 if kind == "sovereign" else 1.2,
                   css_class=f"zone zone-{kind}", titles=[f"{name} ({kind})"], names=[name],
                   name_colour=stroke, legend=f"{kind.replace('_', '-')} zone")
    for t, g in sorted(_coverage(proj, st.sensors).items(), key=lambda kv: -kv[1].area):
        col = SENSOR_STYLE.get(t, ("#34495e", "circle", 3.0))[0]
        m.polygons([g], fill=col, stroke=col, fill_opacity=0.07, dash="5 3",
                   css_class=f"coverage coverage-{t}", legend=f"{t} coverage (nominal)")
    if r0.truth is not None:
        m.lines(_lines(r0.truth, _paths_by_length(r0.truth, MAX_DRAWN_TRUTH, False)),
                stroke="#6e7b85", width=0.9, opacity=0.55, css_class="truth",
                legend="true path")
    if r0.tracks is not None:
        keys = _paths_by_length(r0.tracks, MAX_DRAWN_TRACKS, True)
        by_cls: dict[str, list[str]] = {}
        for k in keys:
            by_cls.setdefault(r0.tracks.label.get(k, "") or "unknown", []).append(k)
        for c in sorted(by_cls, key=lambda c: CLASS_ORDER.index(c) if c in CLASS_ORDER else 99):
            m.lines(_lines(r0.tracks, by_cls[c]), stroke=CLASS_COLOURS.get(c, "#7f8c8d"),
                    width=1.6, opacity=0.9, css_class=f"track track-{c}",
                    legend=f"track: {CLASS_LABELS.get(c, c)}")
    effs = [e for e in (st.scenario.get("effectors") or []) if isinstance(e, dict)
            and len(e.get("position") or []) >= 2]
    if effs:
        m.points([to_float(e["position"][0]) for e in effs],
                 [to_float(e["position"][1]) for e in effs],
                 labels=[str(e.get("id", "")) for e in effs] if detail else None,
                 titles=[f"{e.get('id')} ({e.get('type')})" for e in effs], shape="square",
                 size=4.5, fill="#212f3d", css_class="effector", legend="effector site")
    sens = st.sensors[:MAX_SENSOR_MARKERS]
    for t in sorted({str(s.get("type")) for s in sens}):
        col, shape, size = SENSOR_STYLE.get(t, ("#34495e", "circle", 3.0))
        ss = [s for s in sens if str(s.get("type")) == t]
        m.points([to_float(s.get("lat")) for s in ss], [to_float(s.get("lon")) for s in ss],
                 titles=[f"{s.get('id')} ({t})" for s in ss], shape=shape, size=size, fill=col,
                 css_class=f"sensor sensor-{t}", legend=f"{t} sensor")
    vs = [v for v in r0.violations[:MAX_POINT_MARKERS] if len(v.get("entry_point") or []) >= 2]
    if vs:
        m.points([to_float(v["entry_point"][0]) for v in vs],
                 [to_float(v["entry_point"][1]) for v in vs],
                 titles=[f"violation: track {v.get('track_id')} in "
                         f"{v.get('zone_name') or v.get('zone_id')}" for v in vs],
                 shape="ring", size=4.0, fill="#b03a2e", css_class="violation",
                 legend="violation entry")
    eg = r0.engagements
    if eg is not None and len(eg["result"]):
        lat, lon = _engagement_points(eg)
        res = np.asarray([str(r) for r in eg["result"]], dtype=object)
        types = eg.get("effector_type", np.full(res.size, "", dtype=object))
        for kind, sel, shape, col, leg in (
                ("kill", res == "kill", "circle", "#000000", "kill"),
                ("miss", res == "miss", "ring", "#000000", "miss"),
                ("other", (res != "kill") & (res != "miss"), "ring", "#808b96",
                 "no target / unresolved")):
            idx = np.flatnonzero(sel)[:MAX_POINT_MARKERS]
            if idx.size:
                m.points(lat[idx], lon[idx], titles=[f"{types[i]} → {res[i]}" for i in idx],
                         shape=shape, size=4.5, fill=col,
                         css_class=f"engagement engagement-{kind}", legend=leg)
    return inline_svg(m.render())


def _height(lat_min: float, lat_max: float, lon_min: float, lon_max: float, lo: int,
            hi: int) -> int:
    kx = np.cos(np.radians((lat_min + lat_max) / 2))
    aspect = (lat_max - lat_min) / max((lon_max - lon_min) * kx, 1e-9)
    return int(np.clip(FIG_W * aspect, lo, hi))


def overview_projection(st: Study, r0: Run0) -> svg.Projection | None:
    reg = st.scenario.get("region") or {}
    try:
        b = (float(reg["lat_min"]), float(reg["lat_max"]), float(reg["lon_min"]),
             float(reg["lon_max"]))
        return svg.Projection.fit_box(*b, FIG_W, _height(*b, 380, 720))
    except (KeyError, TypeError, ValueError):
        pass
    lats, lons = [], []
    for p in (r0.tracks, r0.truth):
        if p is not None and p.lat:
            lats += [np.concatenate(list(p.lat.values()))]
            lons += [np.concatenate(list(p.lon.values()))]
    if st.sensors:
        lats.append(np.array([to_float(s.get("lat")) for s in st.sensors]))
        lons.append(np.array([to_float(s.get("lon")) for s in st.sensors]))
    if not lats:
        return None
    la, lo = np.concatenate(lats), np.concatenate(lons)
    ok = np.isfinite(la) & np.isfinite(lo)
    if not ok.any():
        return None
    b = (la[ok].min(), la[ok].max(), lo[ok].min(), lo[ok].max())
    return svg.Projection.fit(la[ok], lo[ok], FIG_W, _height(*b, 380, 720))


def detail_projection(st: Study, r0: Run0, ov: svg.Projection) -> svg.Projection | None:
    """The defended area (non-sovereign zones and effector sites) when much smaller than the
    overview."""
    lats, lons = [], []
    for props, g in r0.zones:
        if props.get("kind") != "sovereign":
            a, b, c, d = g.bounds
            lons += [a, c]
            lats += [b, d]
    for e in st.scenario.get("effectors") or []:
        pos = e.get("position") if isinstance(e, dict) else None
        if pos and len(pos) >= 2:
            lats.append(to_float(pos[0]))
            lons.append(to_float(pos[1]))
    la, lo = np.array(lats, float), np.array(lons, float)
    ok = np.isfinite(la) & np.isfinite(lo)
    if not ok.any():
        return None
    b = (la[ok].min(), la[ok].max(), lo[ok].min(), lo[ok].max())
    pr = svg.Projection.fit(la[ok], lo[ok], FIG_W, _height(*b, 360, 520), margin=0.12,
                            min_span_m=DETAIL_MIN_SPAN_M)
    if pr.width * pr.m_per_px * DETAIL_MIN_RATIO > ov.width * ov.m_per_px:
        return None
    return pr
