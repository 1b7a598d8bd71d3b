"""Incident reports: one violation or a whole night, as offline HTML and JSON.

Inputs are the files the engine writes: violation/entry/exit/warning events (JSON lines, schema
in docs/airspace.md), a tracks table (``tracks.csv`` of ``dronewall simulate`` or the neutral
``time,track_id,lat,lon,alt_m[,sigma_m]`` format) and optionally the zone GeoJSON files for the
map. The HTML has no network resources: maps and profiles are inline SVG (``report.svg``), styles
and the few lines of table-sorting script inline. This module loads the inputs and builds the JSON
form; ``incident_view`` prepares the page data and figures; ``templates/incident*.html.j2``
(autoescape on) lay the page out.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import shapely
import shapely.geometry

from dronewall.airspace.track_quality import UNLISTED_REASONS, unlisted_reason
from dronewall.errors import DataFormatError
from dronewall.inputs import check_output_file, write_output_text
from dronewall.report.emitters import emitter_text, load_emitters
from dronewall.report.incident_inputs import (  # noqa: F401 - part of this module's API
    TrackSeries,
    load_events,
    load_tracks,
)
from dronewall.report.incident_inputs import load_zone_shapes as _load_zone_shapes
from dronewall.report.sensor_outages import episode_outages, load_outages, outage_text

#: Zone outlines are simplified for drawing only (~100 m): invisible at map scale, keeps the
#: HTML small when a country polygon with 10^4-10^5 vertices is drawn per violation.
DRAW_SIMPLIFY_DEG = 0.001
M_PER_DEG_LAT = 111_320.0


def load_zone_shapes(paths: list[Path]) -> dict[str, shapely.Geometry]:
    """zone id -> (multi)polygon in (lon, lat), simplified for drawing only."""
    return _load_zone_shapes(paths, DRAW_SIMPLIFY_DEG)


def speed_mps(tr: TrackSeries) -> np.ndarray:
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
            et, xt = v.get("entry_t_s"), v.get("exit_t_s")   # None: unknown (a joined record)
            inside = ((tr.t_s >= (np.inf if et is None else et))
                      & (tr.t_s <= (-np.inf if xt is None else xt)))
            for sb, ins in zip(tr.seen_by, inside, strict=True):
                if ins:
                    for k in filter(None, sb.split(";")):
                        sensors[k] = sensors.get(k, 0) + 1
        items.append({"violation": v, "timeline": sorted(related, key=lambda e: e.get("t_s", 0)),
                      "sensors_inside": sensors,
                      "track_points": 0 if tr is None else int(tr.t_s.size)})
    countries = sorted({str(v.get("country", "")) for v in violations})
    return {"generated_utc": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "violations": len(violations), "countries": countries, "items": items}


def render_html(report: dict[str, Any], tracks: dict[str, TrackSeries],
                zone_shapes: dict[str, shapely.Geometry], title: str,
                events: list[dict[str, Any]] | None = None) -> str:
    """The HTML page: ``templates/incident.html.j2`` fed by ``incident_view.page_context``."""
    from dronewall.report.incident_view import page_context

    ctx = page_context(report, tracks, zone_shapes, events or [], title)
    return _environment().get_template("incident.html.j2").render(**ctx)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("dronewall.report", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


#: What ``report incident`` lists by default: episodes an investigator needs first.
LISTED_DEFAULT = "violations"


def select_episodes(events: list[dict[str, Any]], scope: str = LISTED_DEFAULT,
                    source: str = "events") -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The episodes to list and the counts of the ones left out, by why.

    Violation records that carry evidence (``episode_id`` ...; ``dronewall simulate`` writes
    them) are first consolidated: the fragments of one platform form one episode. ``scope``:

    * ``violations`` (default): non-cooperative, untrusted, unverified-cooperative and
      identified (a Remote ID drone in an airport or infrastructure zone) episodes on tracks
      of adequate quality -- what an investigator needs first;
    * ``all``: every episode, including authorised cooperative traffic and low-quality tracks.

    Episodes are ranked by depth x duration (largest first). ``source`` (the events file) is
    named in errors."""
    if scope not in ("violations", "all"):
        raise DataFormatError(f"--scope: got {scope!r}; expected violations or all")
    raw = [e for e in events if e.get("event") == "violation"]
    episodes = _consolidate(raw, source)
    left: dict[str, int] = dict.fromkeys(UNLISTED_REASONS, 0)
    if scope == "violations":
        keep = []
        for v in episodes:
            why = unlisted_reason(v.get("cooperative"), v.get("track_quality"),
                                  v.get("confidence"))
            if why is None:
                keep.append(v)
            else:
                left[why] += 1
        episodes = keep
    episodes.sort(key=lambda v: (-_f(v.get("max_depth_m")) * _f(v.get("duration_s")),
                                 _f(v.get("entry_t_s")), str(v.get("track_id"))))
    return episodes, left


def _f(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return 0.0
    return v if np.isfinite(v) else 0.0


def _consolidate(raw: list[dict[str, Any]], source: str = "events") -> list[dict[str, Any]]:
    """Merge fragments of one episode (records with ``episode_id``); others pass through."""
    if not any(v.get("episode_id") for v in raw):
        return list(raw)
    from dataclasses import MISSING, fields

    from dronewall.airspace.consolidate import consolidate
    from dronewall.airspace.events import Violation, event_from_dict

    # records from other tools may leave out fields the report does not need: fill them with
    # "unknown" so the fragments can still be joined (the page shows them as unknown)
    blank = {"bool": False, "str": "", "int": 0}
    missing = {f.name: blank.get(str(f.type), None) for f in fields(Violation)
               if f.default is MISSING and f.default_factory is MISSING}
    # ... and may carry fields of other event kinds (a warning's time_to_crossing_s): not ours
    known = {f.name for f in fields(Violation)} | {"event"}
    typed: list[Violation] = []
    for v in raw:
        try:
            e = event_from_dict({k: x for k, x in {**missing, **v}.items() if k in known})
        except (TypeError, ValueError) as err:
            raise DataFormatError(f"{source}: violation of track {v.get('track_id')!r}: "
                                  f"{err}") from None
        if isinstance(e, Violation):
            typed.append(e)
    return [v.to_dict() for v in consolidate(typed)]


def _join_fragments(tracks: dict[str, TrackSeries], episodes: list[dict[str, Any]]) -> None:
    """Give every multi-fragment episode one track series (its fragments in time order),
    under the episode's first track id. A track listed twice (it left and re-entered, or was
    lost and re-acquired, within one episode) is taken once."""
    for v in episodes:
        frags = list(dict.fromkeys(str(x) for x in (v.get("fragments") or [])))
        parts = [tracks[f] for f in frags if f in tracks]
        if len(parts) < 2:
            continue
        cat = {k: np.concatenate([getattr(p, k) for p in parts])
               for k in ("t_s", "lat", "lon", "alt", "sigma")}
        order = np.argsort(cat["t_s"], kind="stable")
        seen = [x for p in parts for x in p.seen_by]

        def joined(name: str, parts: list[TrackSeries] = parts,
                   order: np.ndarray = order) -> np.ndarray | None:
            cols = [getattr(p, name) for p in parts]
            return (None if any(c is None for c in cols)
                    else np.concatenate(cols)[order])

        tracks[str(v.get("track_id"))] = TrackSeries(
            cat["t_s"][order], cat["lat"][order], cat["lon"][order], cat["alt"][order],
            cat["sigma"][order], [seen[i] for i in order], joined("speed"), joined("alt_sd"))


def incident_report(events_path: Path, tracks_path: Path, out: Path,
                    zones: list[Path] | None = None, track_id: str | None = None,
                    zone_id: str | None = None, title: str | None = None,
                    non_cooperative: bool = False, crossings_only: bool = False,
                    scope: str = LISTED_DEFAULT, sensors: Path | None = None,
                    strobes: Path | None = None) -> dict[str, Any]:
    """Write ``out`` (.html) and the same content as JSON beside it; return the JSON form.

    By default the report lists the episodes an investigator needs first (``scope``,
    :func:`select_episodes`), ranked by depth x duration; ``non_cooperative`` /
    ``crossings_only`` narrow it further. ``sensors``: the run's ``sensor_health.jsonl``
    (default: the one beside the events file, if any) -- the sensors that were down, for the
    whole record and for each episode. ``strobes``: the run's ``strobes.jsonl`` (default: the
    one beside the events file, if any) -- the emitters heard but never located."""
    out = Path(out)
    check_output_file(out)              # before any work: a bad --out fails in milliseconds
    check_output_file(out.with_suffix(".json"))
    events = load_events(events_path)
    violations, left_out = select_episodes(events, scope, str(events_path))
    if track_id is not None:
        violations = [v for v in violations if str(track_id) in
                      [str(x) for x in (v.get("fragments") or [v.get("track_id")])]]
    if zone_id is not None:
        violations = [v for v in violations if str(v.get("zone_id")) == str(zone_id)]
    if non_cooperative:  # no ADS-B / Remote ID identity on the track
        violations = [v for v in violations if not v.get("identity")]
    if crossings_only:  # the entry was seen (track outside before), not first seen inside
        violations = [v for v in violations if v.get("entry_interpolated", True)]
    tracks = load_tracks(tracks_path)
    if violations and not tracks:
        raise DataFormatError(f"{tracks_path}: no track rows; expected the tracks of the "
                              f"{len(violations)} episode(s) in {events_path} (columns "
                              "time,track_id,lat,lon,alt_m or those of a simulate tracks.csv)")
    _join_fragments(tracks, violations)
    shapes = load_zone_shapes(zones or [])
    rep = build_incident(violations, events, tracks)
    sp = sensors if sensors is not None else Path(events_path).with_name("sensor_health.jsonl")
    outages = load_outages(sp) if sensors is not None or sp.is_file() else []
    rep["sensors_down"] = [{**asdict(o), "text": outage_text(asdict(o))} for o in outages]
    for it in rep["items"]:
        it["sensors_down"] = [asdict(o) for o in episode_outages(outages, it["violation"])]
    stp = strobes if strobes is not None else Path(events_path).with_name("strobes.jsonl")
    emitters, more = load_emitters(stp) if strobes is not None or stp.is_file() else ([], 0)
    rep["emitters_not_located"] = [{**asdict(e), "duration_s": e.duration_s,
                                    "text": emitter_text(e)} for e in emitters]
    rep["emitters_not_located_more"] = more
    rep["not_listed"] = left_out
    rep["authorised_traffic"] = (_authorised(events, str(events_path)) if scope == "violations"
                                 else [])
    write_output_text(out, render_html(rep, tracks, shapes, title or "Airspace violation report",
                                       events))
    write_output_text(out.with_suffix(".json"), json.dumps(rep, indent=2, default=str))
    return rep


def _authorised(events: list[dict[str, Any]], source: str = "events") -> list[dict[str, Any]]:
    """Authorised cooperative traffic (trusted identity): kept in the record, not listed as
    violations -- one row per episode."""
    rows = []
    for v in _consolidate([e for e in events if e.get("event") == "violation"], source):
        if v.get("cooperative") != "authorised":
            continue
        rows.append({k: v.get(k) for k in ("identity", "track_id", "zone_id", "zone_name",
                                           "entry_time", "exit_time", "duration_s",
                                           "max_depth_m", "from_country")})
    return sorted(rows, key=lambda r: str(r.get("entry_time")))
