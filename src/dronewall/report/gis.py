"""GeoJSON and KML export of a run: tracks, violation episodes, airspace events, zones.

For GIS users (QGIS, ArcGIS: GeoJSON, RFC 7946) and Google Earth (KML 2.2 with the ``gx:Track``
extension, so that the time slider animates the tracks). Inputs are the files of a ``simulate``
output folder (``tracks.csv``, ``episodes.jsonl`` or ``events.jsonl``, ``zones.geojson``),
validated by the incident report's readers (file and line in every error message).

Coordinates are WGS84 longitude, latitude, height (m); times UTC (ISO-8601). Tracks are
decimated to at most one vertex every ``decimate_s`` seconds (first and last kept); each
track's properties give its first/last time, the vertex times, its last class label and
cooperative identity, and the largest position 1-sigma on the exported vertices.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from dronewall.errors import DataFormatError
from dronewall.inputs import load_json
from dronewall.inputs.outputs import write_output_bytes
from dronewall.report.incident_inputs import (
    TrackSeries,
    is_parquet,
    load_events,
    load_tracks,
    read_parquet,
)

KML_NS = "http://www.opengis.net/kml/2.2"
GX_NS = "http://www.google.com/kml/ext/2.2"
#: Event kinds exported as points (violations come from the episodes).
POINT_EVENTS = ("warning", "entry", "exit")


@dataclass
class RunLayers:
    start: datetime
    tracks: dict[str, TrackSeries]
    track_attrs: dict[str, dict[str, Any]]
    episodes: list[dict[str, Any]]
    events: list[dict[str, Any]]
    zones: list[dict[str, Any]]


def _utc(start: datetime, t: float) -> str:
    return (start + timedelta(seconds=float(t))).isoformat().replace("+00:00", "Z")


def _last_attrs(path: Path) -> dict[str, dict[str, Any]]:
    """track id -> its last label, identity and trust (columns when present)."""
    import pyarrow.csv as pacsv

    want = ["track_id", "t_s", "label", "p_label", "identity", "coop_trust"]
    if is_parquet(path):
        tbl = read_parquet(path, "tracks file", want)
        cols = {c: (tbl.column(c).to_pylist() if c in tbl.column_names
                    else [None] * tbl.num_rows) for c in want}
        cols["track_id"] = [None if x is None else str(x) for x in cols["track_id"]]
    else:
        tbl = pacsv.read_csv(str(path), convert_options=pacsv.ConvertOptions(
            include_columns=want, include_missing_columns=True,
            column_types={"identity": "string", "track_id": "string", "label": "string",
                          "coop_trust": "string"}))
        cols = {c: tbl.column(c).to_pylist() for c in want}
    out: dict[str, dict[str, Any]] = {}
    for i, tid in enumerate(cols["track_id"]):
        out[str(tid)] = {"label": cols["label"][i] or "", "p_label": cols["p_label"][i],
                         "identity": cols["identity"][i] or "",
                         "coop_trust": cols["coop_trust"][i] or ""}
    return out


def load_run(run_dir: Path) -> RunLayers:
    """The layers of a ``simulate`` output folder."""
    summary = load_json(run_dir / "summary.json", "run summary")
    try:
        start = datetime.fromisoformat(str(summary["start_utc"]))
    except (KeyError, TypeError, ValueError):
        raise DataFormatError(f"{run_dir / 'summary.json'}: field start_utc: expected the "
                              "run's start as ISO-8601 UTC") from None
    tracks_p = run_dir / "tracks.csv"
    if not tracks_p.is_file() and (run_dir / "tracks.parquet").is_file():
        tracks_p = run_dir / "tracks.parquet"           # simulate --format parquet
    tracks = load_tracks(tracks_p) if tracks_p.is_file() else {}
    attrs = _last_attrs(tracks_p) if tracks_p.is_file() else {}
    ep_p, ev_p = run_dir / "episodes.jsonl", run_dir / "events.jsonl"
    episodes = load_events(ep_p) if ep_p.is_file() else []
    events = [e for e in load_events(ev_p) if e.get("event") in POINT_EVENTS] \
        if ev_p.is_file() else []
    if not episodes and ev_p.is_file():   # older runs: the violations of events.jsonl
        episodes = [e for e in load_events(ev_p) if e.get("event") == "violation"]
    zones: list[dict[str, Any]] = []
    z_p = run_dir / "zones.geojson"
    if z_p.is_file():
        gj = load_json(z_p, "zones GeoJSON file")
        feats = gj.get("features") if isinstance(gj, dict) else None
        if not isinstance(feats, list):
            raise DataFormatError(f"{z_p}: expected a GeoJSON FeatureCollection")
        zones = [f for f in feats if isinstance(f, dict)
                 and (f.get("geometry") or {}).get("type") in ("Polygon", "MultiPolygon")]
    return RunLayers(start, tracks, attrs, episodes, events, zones)


def _decimate(ts: TrackSeries, every_s: float) -> np.ndarray:
    """Indices of the vertices kept: one per ``every_s`` at most, first and last always."""
    if ts.t_s.size <= 2 or every_s <= 0:
        return np.arange(ts.t_s.size)
    keep = [0]
    last = ts.t_s[0]
    for i in range(1, ts.t_s.size - 1):
        if ts.t_s[i] - last >= every_s:
            keep.append(i)
            last = ts.t_s[i]
    keep.append(ts.t_s.size - 1)
    return np.asarray(keep)


def _r(x: float, n: int) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), n)


def _coords(ts: TrackSeries, idx: np.ndarray) -> list[list[float]]:
    alt = np.nan_to_num(ts.alt[idx], nan=0.0)
    return [[round(float(lo), 6), round(float(la), 6), round(float(a), 1)]
            for lo, la, a in zip(ts.lon[idx], ts.lat[idx], alt, strict=True)]


def _episode_props(e: dict[str, Any]) -> dict[str, Any]:
    keys = ("episode_id", "track_id", "zone_id", "zone_kind", "zone_name", "from_country",
            "evidence", "confidence", "confidence_reasons", "cooperative", "authorised",
            "identity", "track_quality", "entry_time", "exit_time", "entry_window_utc",
            "entry_point_95_m", "exit_window_utc", "duration_bounds_s",
            "duration_s", "max_depth_m", "sigma_at_max_depth_m", "min_alt_m", "max_alt_m",
            "sigma_alt_m", "p_episode", "ongoing", "identity_gaps", "target_changes",
            "operator_point", "operator_t_s", "pilot_link")
    return {k: e.get(k) for k in keys if k in e}


#: How an entry / exit crossing is known (``docs/airspace.md``), where the event says.
_CROSSING_KEYS = ("evidence", "window_utc", "point_95_m", "covered_before_s", "predicted_for_s",
                  "after_start_s")


def _point(p: Any) -> list[float] | None:
    if not isinstance(p, list | tuple) or len(p) < 2 or p[0] is None or p[1] is None:
        return None
    return [round(float(p[1]), 6), round(float(p[0]), 6)]


def to_geojson(run: RunLayers, decimate_s: float = 5.0) -> dict[str, Any]:
    feats: list[dict[str, Any]] = []
    for z in run.zones:
        feats.append({"type": "Feature", "geometry": z["geometry"],
                      "properties": {"layer": "zone", **(z.get("properties") or {})}})
    for tid, ts in run.tracks.items():
        idx = _decimate(ts, decimate_s)
        if idx.size < 1:
            continue
        a = run.track_attrs.get(tid, {})
        geom = ({"type": "LineString", "coordinates": _coords(ts, idx)} if idx.size >= 2
                else {"type": "Point", "coordinates": _coords(ts, idx)[0]})
        sig = ts.sigma[idx]
        feats.append({"type": "Feature", "geometry": geom, "properties": {
            "layer": "track", "track_id": tid, "label": a.get("label", ""),
            "p_label": _r(a.get("p_label"), 3), "identity": a.get("identity", ""),
            "coop_trust": a.get("coop_trust", ""),
            "t_start": _utc(run.start, ts.t_s[0]), "t_end": _utc(run.start, ts.t_s[-1]),
            "times": [_utc(run.start, t) for t in ts.t_s[idx]],
            "max_pos_sd_m": _r(np.nanmax(sig), 1) if np.isfinite(sig).any() else None}})
    for e in run.episodes:
        p = _point(e.get("max_depth_point")) or _point(e.get("entry_point"))
        if p is None:
            continue
        feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": p},
                      "properties": {"layer": "violation", **_episode_props(e)}})
        op = _point(e.get("operator_point"))
        if op is not None:   # where the drone's Remote ID says its pilot is: a claim
            feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": op},
                          "properties": {"layer": "remote_id_pilot", "claimed": True,
                                         "episode_id": e.get("episode_id"),
                                         "track_id": e.get("track_id"),
                                         "identity": e.get("identity"),
                                         "operator_t_s": e.get("operator_t_s")}})
    for e in run.events:
        if e.get("lat") is None or e.get("lon") is None:
            continue
        feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [
            round(float(e["lon"]), 6), round(float(e["lat"]), 6)]},
            "properties": {"layer": str(e["event"]), "track_id": e.get("track_id"),
                           "zone_id": e.get("zone_id"), "time": e.get("time"),
                           "identity": e.get("identity"), "p_inside": e.get("p_inside"),
                           **{k: e[k] for k in _CROSSING_KEYS if e.get(k) is not None}}})
    return {"type": "FeatureCollection", "features": feats}


# ------------------------------------------------------------------------------------ KML

def _sub(parent: ET.Element, tag: str, text: str | None = None, ns: str = KML_NS
         ) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ns}}}{tag}")
    if text is not None:
        el.text = text
    return el


def _rings(poly: list[Any]) -> list[str]:
    return [" ".join(f"{float(x):.6f},{float(y):.6f},0" for x, y, *_ in ring) for ring in poly]


def _kml_polygon(parent: ET.Element, poly: list[Any]) -> None:
    rings = _rings(poly)
    pg = _sub(parent, "Polygon")
    ob = _sub(_sub(pg, "outerBoundaryIs"), "LinearRing")
    _sub(ob, "coordinates", rings[0])
    for r in rings[1:]:
        _sub(_sub(_sub(pg, "innerBoundaryIs"), "LinearRing"), "coordinates", r)


def _style(doc: ET.Element, sid: str, line: str, poly: str | None = None, width: str = "2"
           ) -> None:
    st = _sub(doc, "Style")
    st.set("id", sid)
    ls = _sub(st, "LineStyle")
    _sub(ls, "color", line)
    _sub(ls, "width", width)
    ps = _sub(st, "PolyStyle")
    _sub(ps, "color", poly or "00000000")


def _description(props: dict[str, Any]) -> str:
    def text(k: str, v: Any) -> str:
        if k == "identity_gaps" and isinstance(v, list):
            return "; ".join(f"{g.get('from_utc')} - {g.get('to_utc')} ({g.get('gap_s')} s, "
                             f"{str(g.get('where', '')).replace('_', ' ')})"
                             for g in v if isinstance(g, dict))
        if k == "target_changes" and isinstance(v, list):
            return "; ".join(f"{g.get('old_class')} until {g.get('old_until_utc')}, "
                             f"{g.get('new_class')} from {g.get('new_from_utc')}"
                             + (f", speed changed {g['speed_changed_utc']}"
                                if g.get("speed_changed_utc") else "")
                             + f" ({str(g.get('where', '')).replace('_', ' ')})"
                             for g in v if isinstance(g, dict))
        if k == "pilot_link" and isinstance(v, dict):
            return (f"{v.get('protocol')} heard {v.get('reports')} times, reach "
                    f"{v.get('reach_m')} m, at least {v.get('least_depth_m')} m inside: pilot "
                    + ("inside" if v.get("pilot_inside") else "may have been outside"))
        return str(v)
    return "\n".join(f"{k}: {text(k, v)}" for k, v in props.items() if v not in (None, "", []))


def to_kml(run: RunLayers, name: str, decimate_s: float = 5.0) -> bytes:
    ET.register_namespace("", KML_NS)
    ET.register_namespace("gx", GX_NS)
    root = ET.Element(f"{{{KML_NS}}}kml")
    doc = _sub(root, "Document")
    _sub(doc, "name", name)
    # KML colours are aabbggrr
    _style(doc, "zone", "ff0000ff", "200000ff", "1")
    _style(doc, "track", "ff00ffff")
    _style(doc, "track-coop", "ffff9900")
    _style(doc, "violation", "ff0000ff")
    zf = _sub(doc, "Folder")
    _sub(zf, "name", "Zones")
    for z in run.zones:
        props = z.get("properties") or {}
        pm = _sub(zf, "Placemark")
        _sub(pm, "name", str(props.get("name") or props.get("id") or "zone"))
        _sub(pm, "description", _description(props))
        _sub(pm, "styleUrl", "#zone")
        g = z["geometry"]
        polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        mg = _sub(pm, "MultiGeometry") if len(polys) > 1 else pm
        for poly in polys:
            _kml_polygon(mg, poly)
    tf = _sub(doc, "Folder")
    _sub(tf, "name", "Tracks")
    for tid, ts in run.tracks.items():
        idx = _decimate(ts, decimate_s)
        if idx.size < 1:
            continue
        a = run.track_attrs.get(tid, {})
        pm = _sub(tf, "Placemark")
        label = a.get("label") or "track"
        _sub(pm, "name", f"{tid} {label}" + (f" {a['identity']}" if a.get("identity") else ""))
        _sub(pm, "description", _description({
            "track_id": tid, "label": label, "p_label": _r(a.get("p_label"), 3),
            "identity": a.get("identity"), "coop_trust": a.get("coop_trust"),
            "first seen": _utc(run.start, ts.t_s[0]), "last seen": _utc(run.start, ts.t_s[-1])}))
        _sub(pm, "styleUrl", "#track-coop" if a.get("identity") else "#track")
        trk = _sub(pm, "Track", ns=GX_NS)
        _sub(trk, "altitudeMode", "absolute")
        for t in ts.t_s[idx]:
            _sub(trk, "when", _utc(run.start, t))
        for lo, la, al in _coords(ts, idx):
            _sub(trk, "coord", f"{lo} {la} {al}", ns=GX_NS)
    vf = _sub(doc, "Folder")
    _sub(vf, "name", "Violations")
    for e in run.episodes:
        p = _point(e.get("max_depth_point")) or _point(e.get("entry_point"))
        if p is None:
            continue
        props = _episode_props(e)
        pm = _sub(vf, "Placemark")
        _sub(pm, "name", f"{props.get('episode_id') or ''} {props.get('zone_id')} "
                         f"({props.get('confidence') or ''})".strip())
        _sub(pm, "description", _description(props))
        _sub(pm, "styleUrl", "#violation")
        if e.get("entry_time"):
            span = _sub(pm, "TimeSpan")
            _sub(span, "begin", str(e["entry_time"]))
            if e.get("exit_time"):
                _sub(span, "end", str(e["exit_time"]))
        _sub(_sub(pm, "Point"), "coordinates", f"{p[0]},{p[1]},0")
    ET.indent(root)
    return ET.tostring(root, xml_declaration=True, encoding="UTF-8")


def export_run(run_dir: Path, out: Path, fmt: str, decimate_s: float = 5.0) -> dict[str, int]:
    """Write ``out`` (GeoJSON or KML) from ``run_dir``; returns the feature counts."""
    run = load_run(run_dir)
    if fmt == "geojson":
        text = json.dumps(to_geojson(run, decimate_s), separators=(",", ":")).encode()
    elif fmt == "kml":
        text = to_kml(run, run_dir.name, decimate_s)
    else:
        raise DataFormatError(f"--format {fmt!r}: expected geojson or kml")
    write_output_bytes(out, text, "--out")
    return {"zones": len(run.zones), "tracks": len(run.tracks),
            "violations": len(run.episodes), "events": len(run.events)}
