"""Cursor-on-Target out: the live picture and its alerts as CoT 2.0 events for TAK.

Fire groups and patrols carry ATAK / WinTAK / iTAK clients, which read CoT XML events over UDP
(the TAK "SA" multicast group 239.2.3.1:6969 by default, one event per datagram) or from a TAK
server. Each step delta the server publishes (docs/serve.md: ``tracks`` columns, ``alerts``)
becomes, at most every ``every_s`` seconds:

* one **track event** per track: ``type`` from the symbol's standard identity and the class,
  ``a-<aff>-A`` + function (``-M-F-Q`` military fixed-wing UAV for Shahed/Gerbera/Orlan-class,
  ``-C-F`` civil fixed wing for manned aircraft with a trusted cooperative identity, ``-M-H-Q``
  rotary-wing UAV for multirotors; affiliations ``h`` hostile, ``s`` suspect, ``n`` neutral,
  ``u`` unknown, ``p`` pending), ``how="m-f"`` (machine, fused), ``point`` with ``hae`` (height
  above the WGS84 ellipsoid, m) and ``ce`` (the track's horizontal 1-sigma, m; ``le`` the
  vertical, unknown -> 9999999), ``stale`` = now + ``stale_s``, ``detail/track`` course (deg
  true) and speed (m/s), ``contact`` callsign ``DW-<id> <class>``, and a remark with the class
  probability, evidence and cooperative identity and trust;
* one **alert event** per new alert (entry, predicted crossing, violation, suspected
  spoofing): ``b-a-g`` (geo-fence breach) at the track's position with the alert text, linked
  to the track's uid.

Unit conventions follow the CoT 2.0 schema (MITRE): times ISO-8601 UTC with a ``Z``, speed in
m/s, course in degrees from true north.
"""

from __future__ import annotations

import math
import socket
import struct
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

from dronewall.adapters.counters import MessageCounters

TAK_SA_GROUP = ("239.2.3.1", 6969)
UNKNOWN_ERROR = 9999999.0
AFF_CODE = {"hostile": "h", "suspect": "s", "neutral": "n", "unknown": "u", "pending": "p",
            "friend": "f"}
#: CoT function code after "a-<aff>-A" per platform class name (docs/classification.md).
CLASS_FUNCTION = {"attack_drone": "-M-F-Q", "decoy": "-M-F-Q", "recon_uav": "-M-F-Q",
                  "multirotor": "-M-H-Q", "manned_aircraft": "-C-F", "bird": "",
                  "unknown": ""}
UID_PREFIX = "dronewall"


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def cot_type(aff: str, cls: str) -> str:
    return f"a-{AFF_CODE.get(aff, 'u')}-A" + CLASS_FUNCTION.get(cls, "")


def _event(uid: str, typ: str, now: datetime, stale_s: float, lat: float, lon: float,
           hae: float | None, ce: float | None, le: float | None = None) -> ET.Element:
    ev = ET.Element("event", {
        "version": "2.0", "uid": uid, "type": typ, "how": "m-f", "time": _iso(now),
        "start": _iso(now), "stale": _iso(now + timedelta(seconds=stale_s))})

    def num(x: float | None, nd: int) -> str:
        return f"{UNKNOWN_ERROR:.1f}" if x is None or not math.isfinite(x) else f"{x:.{nd}f}"

    ET.SubElement(ev, "point", {"lat": f"{lat:.7f}", "lon": f"{lon:.7f}",
                                "hae": num(hae, 1), "ce": num(ce, 1), "le": num(le, 1)})
    return ev


def track_events(delta: dict[str, Any], now: datetime, stale_s: float = 30.0
                 ) -> list[bytes]:
    """CoT events (XML bytes) of a step delta's tracks."""
    tr = delta.get("tracks") or {}
    out = []
    for i, tid in enumerate(tr.get("id", [])):
        lat, lon = tr["lat"][i], tr["lon"][i]
        if lat is None or lon is None:
            continue
        aff, cls = tr["aff"][i], tr["cls"][i]
        ev = _event(f"{UID_PREFIX}-track-{tid}", cot_type(aff, cls), now, stale_s, lat, lon,
                    tr["alt"][i], tr["sig"][i])
        det = ET.SubElement(ev, "detail")
        ve, vn = tr["ve"][i] or 0.0, tr["vn"][i] or 0.0
        ET.SubElement(det, "track", {"course": f"{math.degrees(math.atan2(ve, vn)) % 360:.1f}",
                                     "speed": f"{math.hypot(ve, vn):.1f}"})
        ET.SubElement(det, "contact", {"callsign": f"DW-{tid} {cls}"})
        coop = tr["coop"][i]
        ET.SubElement(det, "remarks").text = (
            f"{cls} p={tr['p'][i]} evidence={tr['ev'][i]} affiliation={aff}"
            + (f" identity={coop} trust={tr['trust'][i]}" if coop else "")
            + f" hits={tr['hits'][i]} last update {tr['upd'][i]} s ago")
        out.append(ET.tostring(ev, encoding="utf-8", xml_declaration=True))
    return out


def alert_events(delta: dict[str, Any], now: datetime, stale_s: float = 300.0
                 ) -> list[bytes]:
    """CoT geo-fence alerts for the delta's new alerts, at the alerting track's position."""
    tr = delta.get("tracks") or {}
    pos = {t: (tr["lat"][i], tr["lon"][i], tr["alt"][i])
           for i, t in enumerate(tr.get("id", []))}
    out = []
    for a in delta.get("alerts") or []:
        p = pos.get(a.get("track_id"))
        if p is None or p[0] is None:
            ev_d = a.get("event") or {}
            p = (ev_d.get("lat"), ev_d.get("lon"), ev_d.get("alt_m"))
        if p[0] is None or p[1] is None:
            continue
        ev = _event(f"{UID_PREFIX}-alert-{a['id']}", "b-a-g", now, stale_s, p[0], p[1], p[2],
                    None)
        det = ET.SubElement(ev, "detail")
        ET.SubElement(det, "link", {"uid": f"{UID_PREFIX}-track-{a.get('track_id')}",
                                    "relation": "p-p", "type": "a-u-A"})
        ET.SubElement(det, "contact", {"callsign": f"DW alert {a.get('kind')} "
                                                   f"{a.get('zone_id') or ''}".strip()})
        ET.SubElement(det, "remarks").text = f"[{a.get('severity')}] {a.get('text')}"
        out.append(ET.tostring(ev, encoding="utf-8", xml_declaration=True))
    return out


class CotUdpSink:
    """Sends step deltas as CoT events over UDP (multicast or unicast), rate-limited.

    ``step(delta)`` is called by the server after each published step: track events at most
    every ``every_s`` seconds of session time, alerts always. Never raises: send errors are
    counted in ``counters`` (rejected, with the reason).
    """

    def __init__(self, host: str, port: int, *, every_s: float = 2.0, stale_s: float = 30.0,
                 ttl: int = 1) -> None:
        self.addr = (host, int(port))
        self.every_s, self.stale_s = float(every_s), float(stale_s)
        self.counters = MessageCounters()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, struct.pack("b", ttl))
        self.sock.setblocking(False)
        self._next_t: float | None = None

    def step(self, delta: dict[str, Any]) -> None:
        now = datetime.now(UTC)
        msgs = alert_events(delta, now)
        t = float(delta.get("t", 0.0))
        if self._next_t is None or t >= self._next_t:
            msgs += track_events(delta, now, self.stale_s)
            self._next_t = t + self.every_s
        for m in msgs:
            try:
                self.sock.sendto(m, self.addr)
                self.counters.accept()
            except OSError as e:   # a full socket buffer or an unreachable network
                self.counters.reject(f"send: {e.strerror or e}")

    def close(self) -> None:
        self.sock.close()

    def status(self) -> dict[str, Any]:
        return {"protocol": "cot", "send": f"{self.addr[0]}:{self.addr[1]}",
                "every_s": self.every_s, "messages": self.counters.to_dict()}
