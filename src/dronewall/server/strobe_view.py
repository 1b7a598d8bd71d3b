"""Strobes for the operator: lines of bearing on the COP, and an alert per unlocated link.

A shown strobe (:mod:`dronewall.chain.strobes`) goes to the client as a line from the
sensor along its bearing out to the sensor's reach, with what was heard. A strobe a track
explains is drawn faint (the track is the picture); one no track explains is an *unlocated
emitter*: the operator knows the direction and the signature, not the range. An RF strobe of
a drone link that no track explains is alerted once (``medium``): a quadcopter's controller
heard by one finder is the first and often only sign of it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dronewall.airspace.geometry import M_PER_DEG
from dronewall.chain.strobes import (
    KIND_NAMES,
    KIND_RF,
    StrobeConfig,
    Strobes,
    signature_name,
    signature_text,
)
from dronewall.detections import SensorTable

#: Strobes sent to a client per step at most (unlocated ones first, then RF, then the longest
#: heard): a wall of thousands of nodes must not flood the display.
MAX_STROBES_SENT = 300

def strobe_rows(s: Strobes | None, sensors: SensorTable, t: float) -> list[dict[str, Any]]:
    """The shown strobes at ``t`` as client rows: ``id``, ``sensor``, ``kind`` (rf /
    acoustic), ``sig`` and ``what`` (its wording), ``brg`` / ``sd`` (deg), ``lat`` / ``lon``
    (the sensor), ``end`` ([lon, lat] along the bearing at ``reach_m``), ``on_track`` (track
    id or None: unlocated), ``n`` bearings, ``since_s`` (first heard, s ago), ``age_s`` (last
    heard, s ago). Unlocated first, then RF, then the most heard; at most
    ``MAX_STROBES_SENT``."""
    if s is None or len(s) == 0:
        return []
    idx = np.flatnonzero(s.shown)
    if idx.size == 0:
        return []
    order = np.lexsort((-s.n[idx], s.kind[idx] != KIND_RF, s.on_track[idx] >= 0))
    out = []
    for i in idx[order][:MAX_STROBES_SENT].tolist():
        row = int(s.sensor[i])
        la, lo = float(sensors.lat_deg[row]), float(sensors.lon_deg[row])
        r = float(s.reach_m[i])
        end = _line_end(la, lo, float(s.bearing_deg[i]), r)
        sig = signature_name(int(s.kind[i]), int(s.code[i]))
        on = int(s.on_track[i])
        out.append({"id": int(s.id[i]), "sensor": str(sensors.ids[row]),
                    "kind": KIND_NAMES[int(s.kind[i])], "sig": sig, "what": signature_text(sig),
                    "brg": round(float(s.bearing_deg[i]), 1), "sd": round(float(s.sd_deg[i]), 1),
                    "lat": round(la, 5), "lon": round(lo, 5), "end": end,
                    "reach_m": round(r), "on_track": on if on >= 0 else None,
                    "n": int(s.n[i]), "since_s": round(t - float(s.t_first_s[i]), 1),
                    "age_s": round(t - float(s.t_last_s[i]), 1)})
    return out


def _line_end(la: float, lo: float, brg_deg: float, reach_m: float) -> list[float]:
    """[lon, lat] ``reach_m`` from (``la``, ``lo``) deg along bearing ``brg_deg``."""
    b = math.radians(brg_deg)
    return [round(lo + reach_m * math.sin(b) / (M_PER_DEG * math.cos(math.radians(la))), 5),
            round(la + reach_m * math.cos(b) / M_PER_DEG, 5)]


def _shown_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Unlocated first, then RF, then the most heard; at most ``MAX_STROBES_SENT``."""
    rows.sort(key=lambda r: (r["on_track"] is not None, r["kind"] != "rf", -r["n"]))
    return rows[:MAX_STROBES_SENT]


def strobes_at(t: float, recorded: list[dict[str, Any]], open_rows: list[dict[str, Any]],
               now_t: float, sensors: SensorTable, hold_s: float = StrobeConfig.hold_s
               ) -> list[dict[str, Any]]:
    """The lines of bearing heard at session time ``t`` (s), for the time slider, as client
    rows (:func:`strobe_rows`' keys, with ``t_first_s`` / ``t_last_s``, the strobe's first
    and last bearing, s; ``t_last_s`` None: still heard): the recorded ``strobe`` events
    (``recorded``: their payloads, :func:`strobe_events`) heard from their first bearing to
    ``hold_s`` after their last -- as long as the live picture shows a strobe --, drawn at
    their mean bearing and spread over their life, with their bearings in all (``n``); and
    the strobes still heard at the last step ``now_t`` (``open_rows``, that step's
    :func:`strobe_rows`) that began by ``t``, unless already recorded (a finished session
    records those still heard at its end). A strobe whose sensor the site no longer has is
    left out. Ordered and capped as :func:`strobe_rows`."""
    index = sensors.index()
    out = []
    for p in recorded:
        row = index.get(str(p.get("sensor")))
        t0, t1 = float(p.get("t_first_s", np.nan)), float(p.get("t_last_s", np.nan))
        if row is None or not (t0 <= t <= t1 + hold_s):
            continue
        la, lo = float(sensors.lat_deg[row]), float(sensors.lon_deg[row])
        reach = float(p.get("reach_m") or 0.0)
        brg = float(p.get("bearing_deg", np.nan))
        if not np.isfinite(brg):
            continue
        sig = str(p.get("signature", ""))
        out.append({"id": int(p.get("strobe_id", -1)), "sensor": str(p["sensor"]),
                    "kind": str(p.get("sensor_kind", "")), "sig": sig,
                    "what": str(p.get("what", "")), "brg": round(brg, 1),
                    "sd": round(float(p.get("bearing_sd_deg") or 0.0), 1),
                    "lat": round(la, 5), "lon": round(lo, 5),
                    "end": _line_end(la, lo, brg, reach), "reach_m": round(reach),
                    "on_track": p.get("on_track"), "n": int(p.get("bearings") or 0),
                    "since_s": round(t - t0, 1), "age_s": round(max(t - t1, 0.0), 1),
                    "t_first_s": t0, "t_last_s": t1})
    done = {r["id"] for r in out}
    for r in open_rows:
        t0 = now_t - float(r["since_s"])
        if t0 <= t <= now_t and r.get("id") not in done:   # recorded at the session's end
            out.append({**r, "since_s": round(t - t0, 1), "age_s": 0.0,
                        "t_first_s": round(t0, 3), "t_last_s": None})
    return _shown_order(out)


def strobe_alerts(rows: list[dict[str, Any]], alerted: set[int], t: float, time: str,
                  seq: int) -> list[dict[str, Any]]:
    """One ``medium`` alert per RF strobe that no track explains, the first step it is shown
    so (``alerted``: the strobe ids already alerted, updated in place)."""
    out = []
    for r in rows:
        if r["kind"] != "rf" or r["on_track"] is not None or r["id"] in alerted:
            continue
        alerted.add(r["id"])
        text = (f"{r['sensor']} hears a {r['what']} on bearing {r['brg']:.0f}\u00b0 "
                f"(\u00b1{r['sd']:.0f}\u00b0, {r['n']} bearings in {r['since_s']:.0f} s); "
                f"no track explains it: its range is not known (up to "
                f"{r['reach_m'] / 1000:.0f} km)")
        # keyed per strobe (the client keeps one line per kind, track and zone): a second
        # unlocated link at the same finder is a second line, not a repeat of the first
        out.append({"id": f"{seq}-strobe-{r['id']}", "kind": "strobe", "severity": "medium",
                    "t_s": t, "time": time, "track_id": None,
                    "zone_id": f"{r['sensor']}#{r['id']}",
                    "zone_kind": "sensor", "affiliation": "unknown", "text": text,
                    "time_to_crossing_s": None, "predicted_crossing_t_s": None,
                    "acked_by": None, "event": {"kind": "strobe", **r}})
    return out


def strobe_events(ended: Strobes | None, sensors: SensorTable, heard_at_end: bool = False
                  ) -> list[dict[str, Any]]:
    """Store event rows (kind ``strobe``) for the shown strobes that ended this step: the
    session's record of what was heard where no track was (``GET events?kind=strobe``) --
    sensor, signature and its words, first and last bearing time (s), bearings, the mean
    bearing and spread (deg), and the track that explained it last (``on_track``; None:
    unlocated). Not filed under a track (``track_id`` -1): a line of bearing is no track's
    event. ``heard_at_end``: these are the strobes still heard when the session's source
    ended (its last step), ended by that and not by falling silent; the payload says so."""
    if ended is None or len(ended) == 0:
        return []
    out = []
    for i in np.flatnonzero(ended.shown).tolist():
        row = int(ended.sensor[i])
        sig = signature_name(int(ended.kind[i]), int(ended.code[i]))
        on = int(ended.on_track[i])
        out.append({"t_s": float(ended.t_last_s[i]), "kind": "strobe",
                    "track_id": -1, "zone_id": str(sensors.ids[row])[:64],
                    "zone_kind": "sensor", "payload": {
                        "strobe_id": int(ended.id[i]), "sensor": str(sensors.ids[row]),
                        "sensor_kind": KIND_NAMES[int(ended.kind[i])], "signature": sig,
                        "what": signature_text(sig), "t_first_s": float(ended.t_first_s[i]),
                        "t_last_s": float(ended.t_last_s[i]), "bearings": int(ended.n[i]),
                        "bearing_deg": round(float(ended.bearing_deg[i]), 2),
                        "bearing_sd_deg": round(float(ended.sd_deg[i]), 2),
                        "reach_m": round(float(ended.reach_m[i])),
                        "on_track": on if on >= 0 else None,
                        **({"heard_at_end": True} if heard_at_end else {})}})
    return out
