"""Incident report, view layer: plain data and SVG figures for the jinja2 templates.

``page_context`` turns the JSON form of the report (``incident.build_incident``), the tracks and
the zone shapes into one dict that ``templates/incident.html.j2`` renders; figures are Markup
from ``report.svg`` (escaped inside), every other value is plain text or numbers that the
template escapes. All times shown are UTC clock times when the events carry ISO times (the
record's time origin is then known); otherwise everything - tables and plot axes alike - is in
seconds from the start of the record.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from markupsafe import Markup

from dronewall.report import svg
from dronewall.report.basemap import draw_basemap, load_basemap
from dronewall.report.emitter_map import MAX_DRAWN as EMITTERS_DRAWN
from dronewall.report.emitter_map import emitter_map
from dronewall.report.emitters import Emitter, emitter_text
from dronewall.report.incident import M_PER_DEG_LAT, TrackSeries, speed_mps
from dronewall.report.sensor_outages import outage_text

#: Plots and the episode map show the episode plus this much before entry / after exit:
#: max(PAD_MIN_S, PAD_FRAC x duration).
PAD_MIN_S, PAD_FRAC = 120.0, 0.5
MAP_W, MAP_H = 760, 470
OVERVIEW_W, OVERVIEW_H = 900, 560
#: The smallest ground span an episode map shows, m: a drone hovering over a runway fills the
#: map instead of a dot lost in 8 km of context (the overview keeps the wide view).
EPISODE_MIN_SPAN_M = 3_000.0
PLOT_W, PLOT_H = 760, 200
#: Overview map: at most this many episode tracks drawn (longest first); all entry points are.
OVERVIEW_MAX_TRACKS = 150
ZONE_RED, TRACK_BLUE = "#c0392b", "#1f4e79"
#: Optional "how we know" fields of a violation event, in display order (docs/airspace.md).
EVIDENCE_FIELDS = (("episode_id", "episode"), ("fragments", "track fragments"),
                   ("evidence", "evidence of the entry"),
                   ("entry_window_utc", "entry happened between (95 %)"),
                   ("entry_point_95_m", "entry point along the border (95 %)"),
                   ("exit_window_utc", "observed exit happened between (95 %)"),
                   ("duration_bounds_s", "duration, from the entry and exit windows"),
                   ("covered_before_s", "seconds the back-propagated path was inside the "
                                        "coverage of sensors that detect its class, before "
                                        "the first detection"),
                   ("cooperative", "cooperative (broadcast identity)"),
                   ("authorised", "authorised flight"),
                   ("track_quality", "track quality"),
                   ("sensor_kinds", "sensor kinds that updated the track"),
                   ("sensor_updates", "updates by sensor kind (a kind corroborates from 3)"),
                   ("track_hits", "strong updates of the track"),
                   ("track_p_bird", "mean P(bird) of the track"),
                   ("track_body_from_t_s", "mean P(bird) and sensor kinds counted from (the "
                                           "track came back from a gap then, before the "
                                           "entry: what it was before may be another body)"),
                   ("observed_inside", "a sensor updated the track inside the zone"),
                   ("identity_gaps", "gaps the track came back from under its id (identity "
                                     "by prediction)"),
                   ("target_changes", "where the track moved from one body to another (a "
                                      "slow bird-like one and a fast one)"),
                   ("pilot_link", "the drone's control link (where its pilot could be)"),
                   ("confidence_reasons", "why this confidence"))
#: What the coded values of ``evidence`` and ``cooperative`` mean (docs/airspace.md); the
#: report shows the meaning with the code as it is in the JSON.
EVIDENCE_VALUES = {
    "evidence": {
        "observed_crossing": "observed crossing: the track was outside at the scan before; the "
                             "entry is interpolated between two observed positions, its "
                             "window and point are 95 % intervals from the track's position "
                             "error across and along the border",
        "first_detected_inside": "first detected inside: nobody saw the entry; it happened "
                                 "before the first detection, and the track's course leads "
                                 "back to the border at the time below (a straight-line "
                                 "estimate, not a bound)"},
    "cooperative": {
        "non_cooperative": "non-cooperative: no ADS-B / Remote ID identity",
        "authorised": "authorised: a broadcast identity the independent sensors corroborated",
        "identified": "identified: a drone named by its Remote ID, which the independent "
                      "sensors corroborated, in a zone its broadcast is no permit for",
        "untrusted": "untrusted: a broadcast identity suspected of spoofing",
        "unverified": "unverified: a broadcast identity no independent sensor corroborated"},
}


def time_origin(events: list[dict[str, Any]]) -> float | None:
    """Unix time of t_s = 0, from events carrying both ``t_s`` and an ISO ``time``."""
    vals = []
    for e in events:
        for ts, iso in (("t_s", "time"), ("entry_t_s", "entry_time"), ("exit_t_s", "exit_time")):
            if isinstance(e.get(ts), int | float) and isinstance(e.get(iso), str):
                try:
                    vals.append(datetime.fromisoformat(e[iso].replace("Z", "+00:00")).timestamp()
                                - float(e[ts]))
                except ValueError:
                    pass
    return float(np.median(vals)) if vals else None


class Clock:
    """Formats record times (t_s) as UTC, or as seconds from the start when no origin is known."""

    def __init__(self, origin: float | None, t_min: float, t_max: float) -> None:
        self.origin = origin
        self.one_day = origin is not None and (svg.fmt_utc(origin + t_min, date=True)[:10]
                                               == svg.fmt_utc(origin + t_max, date=True)[:10])
        self.date = svg.fmt_utc(origin + t_min, date=True)[:10] if origin is not None else ""

    def epoch(self, t: np.ndarray | float) -> np.ndarray | float:
        return t + (self.origin or 0.0)

    def fmt(self, t: float | None) -> str:
        if t is None or not np.isfinite(t):
            return "–"
        if self.origin is None:
            return f"t+{t:.0f} s"
        return svg.fmt_utc(self.origin + t, date=not self.one_day)

    def axis(self) -> svg.Axis:
        if self.origin is None:
            return svg.Axis("time since start of record", "s")
        return svg.Axis.utc()

    @property
    def note(self) -> str:
        if self.origin is None:
            return "times are seconds from the start of the record (the events carry no UTC time)"
        return f"all times UTC{', ' + self.date if self.one_day else ''}"


def _f(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def _window(v: dict[str, Any]) -> tuple[float, float]:
    t0, t1 = _f(v.get("entry_t_s")), _f(v.get("exit_t_s"))
    pad = max(PAD_MIN_S, PAD_FRAC * (t1 - t0)) if np.isfinite(t1 - t0) else PAD_MIN_S
    return t0 - pad, t1 + pad


def _depth_series(tr: TrackSeries, zone: shapely.Geometry, k: np.ndarray) -> np.ndarray:
    """Signed horizontal distance to the zone boundary, m (+ inside, - outside), at samples k."""
    lat0 = float(np.nanmean(tr.lat[k]))
    kx = M_PER_DEG_LAT * math.cos(math.radians(lat0))
    sc = np.array([kx, M_PER_DEG_LAT])
    lo0, la0 = float(np.nanmin(tr.lon[k])) - 2, float(np.nanmin(tr.lat[k])) - 1
    z = shapely.clip_by_rect(zone, lo0, la0, lo0 + 4 + np.ptp(tr.lon[k]),
                             la0 + 2 + np.ptp(tr.lat[k]))
    zm = shapely.transform(z, lambda c: (c - [lo0, la0]) * sc)
    pts = shapely.points((tr.lon[k] - lo0) * kx, (tr.lat[k] - la0) * M_PER_DEG_LAT)
    d = shapely.distance(pts, zm.boundary)
    return np.where(shapely.contains_xy(zm, shapely.get_x(pts), shapely.get_y(pts)), d, -d)


def _num(v: Any, scale: float = 1.0, nd: int = 1) -> str:
    x = _f(v)
    return "–" if not np.isfinite(x) else f"{x * scale:,.{nd}f}".replace(",", "\u202f")


def episode_rows(report: dict[str, Any], clock: Clock) -> list[dict[str, Any]]:
    """One row per episode for the overview table: display text plus sort keys."""
    rows = []
    for i, it in enumerate(report["items"], 1):
        v = it["violation"]
        p = _f(v.get("p_inside"))
        rows.append({
            "n": i, "anchor": f"v{i}", "track": str(v.get("track_id")),
            "identity": str(v.get("identity") or "none"),
            "zone": f"{v.get('zone_name') or v.get('zone_id')}",
            "zone_detail": f"{v.get('zone_id')}, {v.get('zone_kind', '')}, {v.get('country', '')}",
            "from": str(v.get("from_country") or "–"),
            "entry": clock.fmt(_f(v.get("entry_t_s"))), "exit": clock.fmt(_f(v.get("exit_t_s"))),
            "ongoing": bool(v.get("ongoing")),
            "duration_min": _lower(v) + _num(v.get("duration_s"), 1 / 60),
            "max_depth_km": _num(
                v.get("max_depth_m"), 1e-3, 2),
            "p_inside": "–" if not np.isfinite(p) else f"{p:.2f}",
            "confidence": str(v.get("confidence") or ""),
            "evidence": str(v.get("evidence") or ""),
            # identity gaps: None where the record does not say (older files, other tools)
            "gaps": (len(v.get("identity_gaps") or []) if "identity_gaps" in v
                     or v.get("evidence") else None),
            # target changes: a column only when some episode has one
            "changes": len(v.get("target_changes") or []),
            "sort": {"n": i, "time": _f(v.get("entry_t_s")), "duration": _f(v.get("duration_s")),
                     "depth": _f(v.get("max_depth_m")), "confidence": p,
                     "gaps": len(v.get("identity_gaps") or []),
                     "changes": len(v.get("target_changes") or [])},
        })
    return rows


def _lost_inside(v: dict[str, Any]) -> bool:
    return v.get("end_reason") == "track_lost"


def _altitude_text(v: dict[str, Any]) -> str:
    """The altitude range inside, above the WGS84 ellipsoid (the tracks' reference), with the
    track's altitude error. A low estimate below the ellipsoid is an error of the estimate
    (a radar's elevation error far out), not a height: the range starts at 0 m and the text
    says what the lowest estimate was and why it is not a height; when every estimate is
    below it, the altitude was not resolved and the text says so rather than "0–0 m"."""
    lo, hi, sig = _f(v.get("min_alt_m")), _f(v.get("max_alt_m")), _f(v.get("sigma_alt_m"))
    if not (np.isfinite(lo) or np.isfinite(hi)):
        return "not recorded"
    err = f"track altitude 1σ up to {_num(sig, 1, 0)} m" if np.isfinite(sig) else ""
    if np.isfinite(hi) and hi < 0.0:       # every estimate below the ellipsoid: no height
        return (f"not resolved: every estimate ({_num(lo, 1, 0)} to {_num(hi, 1, 0)} m) is "
                f"below the WGS84 ellipsoid, an error of the estimate{', ' + err if err else ''}")
    if np.isfinite(lo) and lo < 0.0:
        note = (f"estimates; the lowest, {_num(lo, 1, 0)} m, is below the ellipsoid: an error "
                f"of the estimate{', ' + err if err else ''}")
        lo = 0.0
    else:
        note = f"estimates{'; ' + err if err else ''}"
    return f"{_num(lo, 1, 0)}–{_num(hi, 1, 0)} m above the WGS84 ellipsoid ({note})"


def _of_track(g: dict[str, Any]) -> str:
    """"track N: " for a gap or change record that names its track, else ""."""
    return f"track {g['track_id']}: " if g.get("track_id") is not None else ""


def _at(clock: Clock, g: dict[str, Any], key: str) -> str:
    """A record's time field ``key`` (s) on the report's clock ("?" if not a number)."""
    x = g.get(key)
    return clock.fmt(float(x)) if isinstance(x, int | float) else "?"


#: How a gap's or change's ``where`` reads in the report (``docs/airspace.md``).
_WHERE_TEXT = {"inside": "inside the zone", "before_entry": "before entry",
               "ends_record": "where this record ends",
               "took_up": "where this track took up the episode's target"}


def _where(g: dict[str, Any]) -> str:
    return _WHERE_TEXT.get(str(g.get("where")), "before entry")


def _lower(v: dict[str, Any]) -> str:
    """"≥ " for a duration that is a lower bound (track lost inside, or moved onto another
    target inside, or still inside when the record ended), else ""."""
    return "≥ " if _lost_inside(v) or _left_target(v) or v.get("ongoing") else ""


def _left_target(v: dict[str, Any]) -> bool:
    """The record ends where its track moved onto another target (split there)."""
    return v.get("end_reason") == "target_changed"


def _fmt_point(p: Any) -> str:
    if not p or len(p) < 2:
        return "–"
    return f"{_f(p[0]):.4f}° N, {_f(p[1]):.4f}° E"


def _evidence(v: dict[str, Any], clock: Clock) -> list[tuple[str, str]]:
    out = []
    for key, label in EVIDENCE_FIELDS:
        if key not in v or v[key] is None:
            continue
        val = v[key]
        if isinstance(val, bool):
            txt = "yes" if val else "no"
        elif key == "fragments":
            val = list(dict.fromkeys(str(x) for x in val))
            if len(val) < 2:
                continue
            txt = ", ".join(val)
        elif key == "track_body_from_t_s" and isinstance(val, int | float):
            txt = clock.fmt(float(val))
        elif key == "identity_gaps":
            if not val:
                continue
            txt = "; ".join(
                _of_track(g) + f"{_at(clock, g, 'from_t_s')} – {_at(clock, g, 'to_t_s')} "
                f"({float(g['gap_s']):.0f} s, {_where(g)})"
                if isinstance(g.get("gap_s"), int | float)
                else f"{g.get('from_utc')} – {g.get('to_utc')}" for g in val)
        elif key == "target_changes":
            if not val:
                continue
            txt = "; ".join(
                _of_track(g)
                + f"{g.get('old_class')} ({_num(g.get('old_speed_mps'), 1, 0)} m/s) until "
                f"{_at(clock, g, 'old_until_t_s')}, {g.get('new_class')} "
                f"({_num(g.get('new_speed_mps'), 1, 0)} m/s) from "
                f"{_at(clock, g, 'new_from_t_s')}"
                + (f", speed changed {_at(clock, g, 'speed_changed_t_s')}"
                   if g.get("speed_changed_t_s") is not None else "")
                + f" ({_where(g)})" for g in val)
        elif key == "pilot_link" and isinstance(val, dict):
            txt = (f"{val.get('protocol')} heard {_num(val.get('reports'), 1, 0)} times, reach "
                   f"~{_num(float(val.get('reach_m') or 0) / 1e3, 1, 0)} km; the drone was at "
                   f"least {_num(float(val.get('least_depth_m') or 0) / 1e3, 1, 1)} km inside "
                   "whenever it was heard: "
                   + ("its pilot was inside" if val.get("pilot_inside") else
                      "its pilot may have been outside (within the link's reach of the "
                      "border)"))
        elif (key == "entry_window_utc" and v.get("evidence") == "first_detected_inside"
              and isinstance(val, list | tuple) and len(val) == 2):
            # not an interval: nobody saw the entry; the earliest is where a straight line
            # back along the first velocity meets the border
            label = "entry not seen: before the first detection"
            back = ("its course leads back to the border at "
                    + str(val[0]).replace("+00:00", "Z") if val[0] is not None
                    else "its course stays inside for 30 min back (launched inside?)")
            txt = f"first detected {str(val[1]).replace('+00:00', 'Z')}; {back}"
        elif key == "entry_point_95_m" and isinstance(val, int | float):
            txt = f"± {float(val):,.0f} m".replace(",", "\u2009")
        elif key == "duration_bounds_s" and isinstance(val, list | tuple) and len(val) == 2:
            lo, hi = val
            txt = (f"{float(lo):.1f} – {float(hi):.1f} s" if lo is not None and hi is not None
                   else f"at least {float(lo):.1f} s" if lo is not None
                   else f"at most {float(hi):.1f} s" if hi is not None else "not known")
        elif key in ("confidence_reasons", "sensor_kinds"):
            txt = "; ".join(str(x) for x in val) if key == "confidence_reasons" \
                else ", ".join(str(x) for x in val)
        elif isinstance(val, list | tuple):  # ISO strings as given, or record times t_s
            txt = " – ".join("open (launched inside?)" if x is None else
                             clock.fmt(float(x)) if isinstance(x, int | float)
                             else str(x).replace("+00:00", "Z") for x in val)
        elif isinstance(val, dict):
            txt = ", ".join(f"{k}: {x}" for k, x in val.items())
        elif isinstance(val, str) and val in EVIDENCE_VALUES.get(key, {}):
            txt = f"{EVIDENCE_VALUES[key][val]} ({val})"
        else:
            txt = str(val)
        out.append((label, txt))
    return out


def _episode_map(v: dict[str, Any], tr: TrackSeries | None, zone: shapely.Geometry | None,
                 clock: Clock, n: int) -> Markup:
    w0, w1 = _window(v)
    lat, lon = [], []
    for key in ("entry_point", "exit_point", "max_depth_point", "operator_point"):
        p = v.get(key)
        if p and len(p) >= 2:
            lat.append(_f(p[0]))
            lon.append(_f(p[1]))
    if tr is not None and tr.t_s.size:
        m = (tr.t_s >= w0) & (tr.t_s <= w1)
        lat += list(tr.lat[m])
        lon += list(tr.lon[m])
    if not lat:
        return Markup("<p class='note'>No position to map.</p>")
    proj = svg.Projection.fit(lat, lon, MAP_W, MAP_H, margin=0.1, min_span_m=EPISODE_MIN_SPAN_M)
    mp = svg.Map(proj, ident=f"map-v{n}", title=f"episode {n} map", background="#d4e4ef")
    draw_basemap(mp, load_basemap(proj), subject_country=str(v.get("country") or "") or None)
    if zone is not None:
        mp.polygons([zone], fill=ZONE_RED, fill_opacity=0.07, stroke=ZONE_RED, stroke_width=1.8,
                    css_class="zone", legend=f"zone {v.get('zone_name') or v.get('zone_id')}")
    if tr is not None and tr.t_s.size:
        mp.track(tr.lat, tr.lon, clock.epoch(tr.t_s) if clock.origin is not None else None,
                 colour=TRACK_BLUE, label=f"track {v.get('track_id')}",
                 highlight=(clock.epoch(_f(v.get("entry_t_s"))),
                            clock.epoch(_f(v.get("exit_t_s")))) if clock.origin is not None
                 else None, legend="track (arrows: direction; ticks: UTC)",
                 highlight_colour=ZONE_RED, highlight_legend="inside the zone")
    for key, shape, col, lab in (("entry_point", "circle", "#1e8449", "entry"),
                                 ("exit_point", "diamond", "#6c3483", "exit"),
                                 ("max_depth_point", "triangle", "#000000", "max depth"),
                                 ("operator_point", "square", "#b9770e",
                                  "pilot (Remote ID claim)")):
        p = v.get(key)
        if p and len(p) >= 2:
            mp.points([_f(p[0])], [_f(p[1])], labels=[lab], shape=shape, size=5.0, fill=col,
                      css_class=f"event event-{key.split('_')[0]}", priority=0.0,
                      label_weight="700", label_colour=col, legend=lab)
    return mp.render()


def _episode_plots(v: dict[str, Any], tr: TrackSeries, zone: shapely.Geometry | None,
                   clock: Clock, n: int) -> list[Markup]:
    w0, w1 = _window(v)
    m = (tr.t_s >= w0) & (tr.t_s <= w1)
    if m.sum() < 2:
        m = np.ones(tr.t_s.size, bool)
    k = np.flatnonzero(m)
    t = clock.epoch(tr.t_s[k])
    e0, e1 = clock.epoch(_f(v.get("entry_t_s"))), clock.epoch(_f(v.get("exit_t_s")))
    out = []
    series = [("alt", "altitude", "m", tr.alt[k], True),
              ("speed", "ground speed", "m/s", speed_mps(tr)[k], True)]
    if zone is not None:
        series.append(("depth", "distance inside the zone boundary (− outside)", "km",
                       _depth_series(tr, zone, k) / 1000.0, False))
    for key, label, unit, y, nonneg in series:
        if np.isfinite(y).sum() < 2:
            continue
        p = svg.Plot(clock.axis(), svg.Axis.quantity(label, unit, non_negative=nonneg),
                     width=PLOT_W, height=PLOT_H, ident=f"plot-{key}-v{n}")
        if np.isfinite(e0) and np.isfinite(e1):
            p.band(e0, e1, colour=ZONE_RED, label="inside the zone")
        if key == "alt" and tr.alt_sd is not None and np.isfinite(tr.alt_sd[k]).any():
            sd = tr.alt_sd[k]   # the tracker's 1-sigma altitude error, either side
            p.line(t, y + sd, colour=TRACK_BLUE, width=0.8, dash="3 2", label="± 1σ")
            p.line(t, np.maximum(y - sd, 0.0), colour=TRACK_BLUE, width=0.8, dash="3 2")
        p.line(t, y, colour=TRACK_BLUE, label=f"track {v.get('track_id')}")
        if key == "depth":
            p.hline(0.0, colour=ZONE_RED, text="zone boundary")
        out.append(p.render())
    return out


def episode_view(i: int, it: dict[str, Any], tracks: dict[str, TrackSeries],
                 zone_shapes: dict[str, shapely.Geometry], clock: Clock) -> dict[str, Any]:
    v = it["violation"]
    tr = tracks.get(str(v.get("track_id")))
    zone = zone_shapes.get(str(v.get("zone_id")))
    facts = [
        ("entry", f"{clock.fmt(_f(v.get('entry_t_s')))} at {_fmt_point(v.get('entry_point'))}"),
        ("exit", f"{clock.fmt(_f(v.get('exit_t_s')))} at {_fmt_point(v.get('exit_point'))}"
         + (" — still inside at the end of the record" if v.get("ongoing") else "")
         + (" — track lost inside: its last sensor update; the platform may have stayed "
            "inside" if _lost_inside(v) else "")
         + (" — the track moved onto another target here (its speed changed): this record "
            "ends there, the platform may have stayed inside" if _left_target(v) else "")),
        ("duration", f"{_lower(v)}{_num(v.get('duration_s'), 1, 0)} s "
                     f"({_lower(v)}{_num(v.get('duration_s'), 1 / 60)} min)"
         + (" (what the sensors saw: a lower bound)" if _lower(v) else "")),
        ("maximum depth", f"{_num(v.get('max_depth_m'), 1, 0)} m at "
                          f"{_fmt_point(v.get('max_depth_point'))}"),
        ("path inside", f"{_num(v.get('path_length_m'), 1e-3)} km"),
        ("altitude inside", _altitude_text(v)),
        ("came from", str(v.get("from_country") or "unknown / international")),
        ("identity", str(v.get("identity") or "none (non-cooperative)")),
        *([("pilot position (Remote ID claim)",
            f"{_fmt_point(v.get('operator_point'))}, last heard "
            f"{clock.fmt(_f(v.get('operator_t_s')))} — as broadcast by the drone; no sensor "
            "of the wall fixed it")] if v.get("operator_point") else []),
        ("confidence", f"P(really inside) = {_num(v.get('p_inside'), 1, 3)} → "
                       f"{v.get('confidence') or '–'}"),
        ("sensors while inside", ", ".join(f"{k} ({c} steps)" for k, c in
                                           sorted(it["sensors_inside"].items())) or "not recorded"),
    ]
    timeline = []
    for e in it["timeline"]:
        det = (f"crossing predicted in {_f(e.get('time_to_crossing_s')):.0f} s"
               if e.get("event") == "warning" else f"p_inside {_f(e.get('p_inside')):.2f}")
        timeline.append((clock.fmt(_f(e.get("t_s"))), str(e.get("event")), det))
    return {"n": i, "anchor": f"v{i}", "track": str(v.get("track_id")),
            "zone": str(v.get("zone_name") or v.get("zone_id")),
            "confidence": str(v.get("confidence") or ""), "facts": facts,
            "evidence": _evidence(v, clock) + ([("sensors down meanwhile", "; ".join(
                outage_text(o, clock.fmt) for o in it["sensors_down"])
                + " -- nothing was read from their silence")]
                if it.get("sensors_down") else []),
            "timeline": timeline,
            "map": _episode_map(v, tr, zone, clock, i),
            "plots": _episode_plots(v, tr, zone, clock, i) if tr is not None and tr.t_s.size
            else []}


def overview_map(report: dict[str, Any], tracks: dict[str, TrackSeries],
                 zone_shapes: dict[str, shapely.Geometry], clock: Clock) -> Markup | None:
    items = [it["violation"] for it in report["items"]]
    lat, lon = [], []
    for v in items:
        for key in ("entry_point", "exit_point", "max_depth_point"):
            p = v.get(key)
            if p and len(p) >= 2:
                lat.append(_f(p[0]))
                lon.append(_f(p[1]))
    if not lat:
        return None
    proj = svg.Projection.fit(lat, lon, OVERVIEW_W, OVERVIEW_H, margin=0.12, min_span_m=20_000.0)
    mp = svg.Map(proj, ident="overview-map", title="all episodes", background="#d4e4ef")
    countries = sorted({str(v.get("country") or "") for v in items})
    draw_basemap(mp, load_basemap(proj), subject_country=countries[0] if len(countries) == 1
                 else None, airports=False)
    zids = sorted({str(v.get("zone_id")) for v in items if str(v.get("zone_id")) in zone_shapes})
    if zids:
        mp.polygons([zone_shapes[z] for z in zids], fill=ZONE_RED, fill_opacity=0.06,
                    stroke=ZONE_RED, stroke_width=1.6, css_class="zone", legend="violated zone")
    order = sorted(range(len(items)), key=lambda i: -_f(items[i].get("duration_s"))
                   if np.isfinite(_f(items[i].get("duration_s"))) else 0)
    for i in sorted(order[:OVERVIEW_MAX_TRACKS]):
        v = items[i]
        tr = tracks.get(str(v.get("track_id")))
        if tr is None or not tr.t_s.size:
            continue
        w0, w1 = _window(v)
        m = (tr.t_s >= w0) & (tr.t_s <= w1)
        if m.sum() < 2:
            continue
        mp.track(tr.lat[m], tr.lon[m], None, colour=TRACK_BLUE, width=1.4, time_ticks=False,
                 arrow_spacing_px=120.0, legend="episode track (arrows: direction)")
    ev = [(i, v["entry_point"]) for i, v in enumerate(items, 1)
          if v.get("entry_point") and len(v["entry_point"]) >= 2]
    if ev:
        mp.points([_f(p[0]) for _, p in ev], [_f(p[1]) for _, p in ev],
                  labels=[str(i) for i, _ in ev],
                  titles=[f"episode {i}: track {items[i - 1].get('track_id')}" for i, _ in ev],
                  shape="circle", size=4.5, fill="#1e8449", css_class="event event-entry",
                  priority=[1.0 + i * 1e-6 for i, _ in ev], label_weight="700",
                  label_colour="#1e8449", legend="entry point (episode number)")
    return mp.render()


def page_context(report: dict[str, Any], tracks: dict[str, TrackSeries],
                 zone_shapes: dict[str, shapely.Geometry], events: list[dict[str, Any]],
                 title: str) -> dict[str, Any]:
    origin = time_origin(events)
    ts = [_f(it["violation"].get(k)) for it in report["items"] for k in ("entry_t_s", "exit_t_s")]
    ts = [t for t in ts if np.isfinite(t)] or [0.0]
    clock = Clock(origin, min(ts), max(ts))
    emitters = [Emitter(**{k: (tuple(v) if k == "span_deg" else v) for k, v in e.items()
                           if k not in ("text", "duration_s")})
                for e in report.get("emitters_not_located") or []]
    countries = sorted({str(c) for c in report.get("countries") or [] if c})
    subject = countries[0] if len(countries) == 1 else None
    return {
        "title": title, "generated_utc": report["generated_utc"],
        "n": report["violations"],
        "countries": ", ".join(c for c in report["countries"] if c) or "–",
        "time_note": clock.note, "rows": episode_rows(report, clock),
        "overview_map": overview_map(report, tracks, zone_shapes, clock),
        "episodes": [episode_view(i, it, tracks, zone_shapes, clock)
                     for i, it in enumerate(report["items"], 1)],
        "sensors_down": [outage_text(o, clock.fmt) for o in report.get("sensors_down") or []],
        "emitters": [emitter_text(e, clock.fmt) for e in emitters],
        "emitter_map": emitter_map(emitters, zone_shapes, subject),
        "emitters_drawn": min(len(emitters), EMITTERS_DRAWN),
        "emitters_more": report.get("emitters_not_located_more") or 0,
        "not_listed": {k.replace("_", " "): v
                       for k, v in (report.get("not_listed") or {}).items() if v},
        "authorised": [{**r, "duration_min": (f"{_f(r.get('duration_s')) / 60:.1f}"
                                              if r.get("duration_s") is not None else "–")}
                       for r in report.get("authorised_traffic") or []],
    }
