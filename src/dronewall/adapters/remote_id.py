"""Remote ID in: ASTM F3411 / ASD-STAN prEN 4709-002 broadcast messages (Open Drone ID).

Each message is 25 bytes: a header byte (message type << 4 | protocol version) and a body.
Decoded here (layouts and scale factors of ASTM F3411-22a as implemented by the reference
library ``opendroneid-core-c``, ``libopendroneid/opendroneid.h``): Basic ID (type 0: ID type,
UA type, 20-character UAS ID), Location/Vector (1: status, direction, horizontal and vertical
speed, latitude/longitude 1e-7 deg, barometric and geodetic altitude and height 0.5 m steps
offset -1000 m, accuracy categories, time of week-hour), System (4: operator location and
altitude, area, EU category/class), Operator ID (5) and message packs (0xF, up to 9 messages);
Authentication (2) and Self-ID (3) are counted but carry nothing the engine uses.

Receivers: one message or pack per line, as hex, or as a JSON object ``{"msg": "HEX", "mac":
"...", "rssi": -70}``; or already decoded JSON in Open Drone ID field names (``BasicID``
``UASID``, ``Location`` ``Latitude`` ``Longitude`` ``AltitudeGeo`` ``HorizAccuracy`` ...,
``System`` ``OperatorLatitude`` ...), e.g. ``{"BasicID": {...}, "Location": {...}}``, with or
without a ``Response`` wrapper. State is kept per transmitter (the MAC when given, else the UAS
ID), so a Location message is reported with the identity and operator position heard before.

Accuracy: the horizontal category's 95 % bound / 2.45 (as for ADS-B NACp); unknown horizontal
accuracy -> the position is rejected (counted). Height: the geodetic altitude (WGS84) when
valid, else barometric with the vertical category or 150 m [E].
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dronewall.adapters.counters import MessageCounters
from dronewall.adapters.lines import LineSplitter
from dronewall.adapters.positions import position_rows
from dronewall.detections import DetectionBatch
from dronewall.geo import geodetic_to_ecef

MESSAGE_SIZE = 25
MAX_PACK = 9
#: Horizontal accuracy category -> 95 % bound (m) (F3411; 0 unknown).
H_ACC_M = {1: 18520.0, 2: 7408.0, 3: 3704.0, 4: 1852.0, 5: 926.0, 6: 555.6, 7: 185.2,
           8: 92.6, 9: 30.0, 10: 10.0, 11: 3.0, 12: 1.0}
#: Vertical accuracy category -> 95 % bound (m).
V_ACC_M = {1: 150.0, 2: 45.0, 3: 25.0, 4: 10.0, 5: 3.0, 6: 1.0}
R95_PER_SIGMA = 2.45
SIGMA_V_UNKNOWN_M = 150.0   # [E]
INVALID_ALT_M = -1000.0
MAX_TRANSMITTERS = 20_000
MAX_LINE_CHARS = 8192
MESSAGE_KINDS = {0: "basic_id", 1: "location", 2: "auth", 3: "self_id", 4: "system",
                 5: "operator_id"}
UA_TYPES = ("none", "aeroplane", "helicopter_or_multirotor", "gyroplane", "hybrid_lift",
            "ornithopter", "glider", "kite", "free_balloon", "captive_balloon", "airship",
            "free_fall_parachute", "rocket", "tethered_powered_aircraft", "ground_obstacle",
            "other")


@dataclass(frozen=True)
class RidReport:
    """A Remote ID position report, SI units; ``t_s`` engine time of reception."""

    t_s: float
    uas_id: str
    ua_type: str
    lat_deg: float
    lon_deg: float
    alt_m: float
    sigma_h_m: float
    sigma_v_m: float
    speed_mps: float | None
    course_deg: float | None
    vspeed_mps: float | None
    operator: tuple[float, float, float] | None   # lat, lon, alt (m) of the operator
    operator_id: str
    transmitter: str


@dataclass
class _Uas:
    uas_id: str = ""
    ua_type: str = "none"
    operator: tuple[float, float, float] | None = None
    operator_id: str = ""
    last_t: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def _alt(raw: int) -> float:
    return raw * 0.5 - 1000.0


def decode_message(b: bytes) -> tuple[int, dict[str, Any]]:
    """One 25-byte message -> (message type, fields). Raises ValueError on a bad message."""
    if len(b) != MESSAGE_SIZE:
        raise ValueError(f"message of {len(b)} bytes; expected {MESSAGE_SIZE}")
    mtype = b[0] >> 4
    if mtype == 0:
        uid = b[2:22].split(b"\0", 1)[0]
        try:
            text = uid.decode("ascii")
        except UnicodeDecodeError:
            raise ValueError("basic id: UAS ID not ASCII") from None
        return 0, {"id_type": b[1] >> 4, "ua_type": UA_TYPES[b[1] & 0xF], "uas_id": text}
    if mtype == 1:
        f = b[1]
        speed_mult, ew, status = f & 1, (f >> 1) & 1, f >> 4
        direction = b[2] + (180 if ew else 0)
        sp = b[3]
        speed = None if sp == 255 else (sp * 0.25 if not speed_mult else sp * 0.75 + 63.75)
        vs_raw = struct.unpack_from("<b", b, 4)[0]
        lat, lon = (x * 1e-7 for x in struct.unpack_from("<ii", b, 5))
        baro, geo, height = (_alt(x) for x in struct.unpack_from("<HHH", b, 13))
        ts = struct.unpack_from("<H", b, 21)[0]
        return 1, {"status": status, "course_deg": None if direction > 360 else float(direction),
                   "speed_mps": speed, "vspeed_mps": None if vs_raw == 63 else vs_raw * 0.5,
                   "lat": lat, "lon": lon, "alt_baro_m": baro, "alt_geo_m": geo,
                   "height_m": height, "h_acc": b[19] & 0xF, "v_acc": b[19] >> 4,
                   "baro_acc": b[20] >> 4, "time_in_hour_s": None if ts == 0xFFFF else ts / 10}
    if mtype == 4:
        op_lat, op_lon = (x * 1e-7 for x in struct.unpack_from("<ii", b, 2))
        op_alt = _alt(struct.unpack_from("<H", b, 18)[0])
        return 4, {"operator_location_type": b[1] & 0x3, "operator_lat": op_lat,
                   "operator_lon": op_lon, "operator_alt_m": op_alt,
                   "area_count": struct.unpack_from("<H", b, 10)[0], "area_radius_m": b[12] * 10,
                   "category_eu": b[17] >> 4, "class_eu": b[17] & 0xF}
    if mtype == 5:
        try:
            oid = b[2:22].split(b"\0", 1)[0].decode("ascii")
        except UnicodeDecodeError:
            raise ValueError("operator id: not ASCII") from None
        return 5, {"operator_id": oid}
    if mtype in (2, 3):
        return mtype, {}
    raise ValueError(f"unknown message type {mtype}")


def split_pack(b: bytes) -> list[bytes]:
    """A message or a message pack (type 0xF) -> the 25-byte messages in it."""
    if not b:
        raise ValueError("empty message")
    if b[0] >> 4 != 0xF:
        return [b]
    if len(b) < 3:
        raise ValueError("message pack shorter than its header")
    size, n = b[1], b[2]
    if size != MESSAGE_SIZE or not 1 <= n <= MAX_PACK or len(b) < 3 + size * n:
        raise ValueError(f"message pack header: size {size}, count {n}, {len(b)} bytes")
    return [b[3 + i * size: 3 + (i + 1) * size] for i in range(n)]


class RemoteIdDecoder:
    """Lines from a receiver -> :class:`RidReport` s (state per transmitter)."""

    def __init__(self, counters: MessageCounters | None = None) -> None:
        self.counters = counters or MessageCounters()
        self.uas: dict[str, _Uas] = {}
        self.last_kinds: list[str] = []   # message kinds of the last line (for consoles)

    def _state(self, key: str, t: float) -> _Uas | None:
        u = self.uas.get(key)
        if u is None:
            if len(self.uas) >= MAX_TRANSMITTERS:
                old = [k for k, v in self.uas.items() if t - v.last_t > 300.0]
                for k in old:
                    del self.uas[k]
                if len(self.uas) >= MAX_TRANSMITTERS:
                    self.counters.reject("too many transmitters in the decoder state")
                    return None
            u = self.uas[key] = _Uas()
        u.last_t = t
        return u

    def line(self, text: str, t_s: float) -> list[RidReport]:
        self.last_kinds = []
        s = text.strip()
        if not s:
            return []
        if len(s) > MAX_LINE_CHARS:
            self.counters.malform("remote id: line too long")
            return []
        if s.startswith("{"):
            try:
                obj = json.loads(s)
            except (ValueError, RecursionError):
                self.counters.malform("remote id: not JSON")
                return []
            if not isinstance(obj, dict):
                self.counters.malform("remote id: JSON line is not an object")
                return []
            if "msg" in obj:
                return self._raw(str(obj["msg"]), str(obj.get("mac") or ""), t_s)
            return self._decoded(obj, t_s)
        return self._raw(s, "", t_s)

    def _raw(self, hex_text: str, mac: str, t_s: float) -> list[RidReport]:
        try:
            b = bytes.fromhex(hex_text.replace(" ", ""))
            msgs = split_pack(b)
            decoded = [decode_message(m) for m in msgs]
        except ValueError as e:
            # counted by kind: numbers out, so that the reasons stay a short list
            self.counters.malform("remote id: " + re.sub(r"\d+", "#", str(e).split(";")[0])[:60])
            return []
        key = mac
        if not key:   # no transmitter address: the UAS ID of this pack or the last one heard
            key = next((d["uas_id"] for k, d in decoded if k == 0), "") or "_anonymous"
        u = self._state(key, t_s)
        if u is None:
            return []
        out = []
        self.last_kinds = [MESSAGE_KINDS.get(k, str(k)) for k, _ in decoded]
        for k, d in decoded:
            self.counters.accept()
            if k == 0:
                u.uas_id, u.ua_type = d["uas_id"] or u.uas_id, d["ua_type"]
            elif k == 4:
                if d["operator_lat"] or d["operator_lon"]:
                    u.operator = (d["operator_lat"], d["operator_lon"], d["operator_alt_m"])
            elif k == 5:
                u.operator_id = d["operator_id"]
        for k, d in decoded:   # positions after the identity of the same pack
            if k == 1 and (rep := self._report(u, d, key, t_s)) is not None:
                out.append(rep)
        return out

    def _report(self, u: _Uas, d: dict[str, Any], key: str, t_s: float) -> RidReport | None:
        if d["lat"] == 0.0 and d["lon"] == 0.0:
            self.counters.reject("remote id: location unknown (0, 0)")
            return None
        if not (-90 <= d["lat"] <= 90 and -180 <= d["lon"] <= 180):
            self.counters.reject("remote id: latitude/longitude out of range")
            return None
        h95 = H_ACC_M.get(int(d["h_acc"]))
        if h95 is None:
            self.counters.reject("remote id: position without accuracy")
            return None
        if not u.uas_id:
            self.counters.reject("remote id: position before any basic id")
            return None
        if d["alt_geo_m"] > INVALID_ALT_M:
            alt, v95 = d["alt_geo_m"], V_ACC_M.get(int(d["v_acc"]))
        else:
            alt, v95 = d["alt_baro_m"], V_ACC_M.get(int(d.get("baro_acc", 0)))
        if alt <= INVALID_ALT_M:
            alt, v95 = 0.0, None
        return RidReport(t_s, u.uas_id, u.ua_type, float(d["lat"]), float(d["lon"]), float(alt),
                         h95 / R95_PER_SIGMA,
                         v95 / R95_PER_SIGMA if v95 else SIGMA_V_UNKNOWN_M,
                         d.get("speed_mps"), d.get("course_deg"), d.get("vspeed_mps"),
                         u.operator, u.operator_id, key)

    def _decoded(self, obj: dict[str, Any], t_s: float) -> list[RidReport]:
        r = obj.get("Response", obj)
        if not isinstance(r, dict):
            self.counters.malform("remote id: JSON 'Response' is not an object")
            return []
        bid, loc, sysm = r.get("BasicID") or {}, r.get("Location") or {}, r.get("System") or {}
        if not all(isinstance(x, dict) for x in (bid, loc, sysm)):
            self.counters.malform("remote id: JSON BasicID/Location/System not objects")
            return []

        def num(d: dict[str, Any], *keys: str) -> float | None:
            for k in keys:
                v = d.get(k)
                if isinstance(v, int | float) and not isinstance(v, bool) and np.isfinite(v):
                    return float(v)
            return None

        uas_id = str(bid.get("UASID") or bid.get("UASID0") or "").strip()
        key = str(obj.get("mac") or uas_id or "_anonymous")
        u = self._state(key, t_s)
        if u is None:
            return []
        self.counters.accept()
        self.last_kinds = ["json"]
        if uas_id:
            u.uas_id = uas_id
        ua = bid.get("UAType")
        if isinstance(ua, int) and 0 <= ua < len(UA_TYPES):
            u.ua_type = UA_TYPES[ua]
        ola, olo = num(sysm, "OperatorLatitude"), num(sysm, "OperatorLongitude")
        if ola is not None and olo is not None and (ola or olo):
            u.operator = (ola, olo, num(sysm, "OperatorAltitudeGeo") or 0.0)
        lat, lon = num(loc, "Latitude"), num(loc, "Longitude")
        if lat is None or lon is None:
            return []
        d = {"lat": lat, "lon": lon, "alt_geo_m": num(loc, "AltitudeGeo") or INVALID_ALT_M,
             "alt_baro_m": num(loc, "AltitudeBaro") or INVALID_ALT_M,
             "h_acc": num(loc, "HorizAccuracy", "HAccuracy") or 0,
             "v_acc": num(loc, "VertAccuracy", "VAccuracy") or 0,
             "baro_acc": num(loc, "BaroAccuracy") or 0,
             "speed_mps": num(loc, "SpeedHorizontal"), "course_deg": num(loc, "Direction"),
             "vspeed_mps": num(loc, "SpeedVertical")}
        rep = self._report(u, d, key, t_s)
        return [rep] if rep is not None else []


def rid_reports_to_batch(reports: list[RidReport], sensor_row: int) -> DetectionBatch:
    """Remote ID reports as POSITION detections with the operator position in ``aux``
    (ECEF; NaN when not heard), as the simulated Remote ID receivers produce them."""
    if not reports:
        return DetectionBatch.empty()
    aux = np.full((len(reports), 3), np.nan)
    for i, r in enumerate(reports):
        if r.operator is not None:
            aux[i] = geodetic_to_ecef(*r.operator).reshape(3)
    sh = [r.sigma_h_m for r in reports]
    return position_rows(
        [r.t_s for r in reports], sensor_row, [r.lat_deg for r in reports],
        [r.lon_deg for r in reports], [r.alt_m for r in reports], sh, sh,
        [r.sigma_v_m for r in reports],
        identity=np.array([r.uas_id for r in reports], dtype=object), aux=aux)


class RemoteIdFeed:
    """A receiver's text stream (one message, pack or JSON object per line) -> reports."""

    def __init__(self, counters: MessageCounters | None = None) -> None:
        self.decoder = RemoteIdDecoder(counters)
        self.counters = self.decoder.counters
        self._lines = LineSplitter(self.counters, "remote id", MAX_LINE_CHARS)

    def feed(self, chunk: bytes, t_s: float) -> list[RidReport]:
        return [r for ln in self._lines.lines(chunk) for r in self.decoder.line(ln, t_s)]
