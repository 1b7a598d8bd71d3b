"""ADS-B / Mode S decoding into position reports and the engine's detection rows.

Raw frames (Beast, AVR) are decoded with pyModeS 3 (`PipeDecoder`: CRC, even/odd CPR pairs
within 10 s for a global position, later frames decoded locally against the last validated
position, motion-consistency checks against phantom positions). SBS-1 records arrive decoded
by the receiver. Both feed one per-aircraft state (callsign, velocity, position accuracy,
geometric-minus-barometric height) so that every position report carries what the
cooperative-ID trust checks and the tracker need.

Position accuracy -> measurement covariance (horizontal): the 95 % bound of the message,
NACp's EPU (ADS-B version 1/2, operational status or target state messages) or, for version 0
and until NACp is heard, the NUCp containment radius of the position type code (RTCA DO-260B
tables, as tabulated by pyModeS), divided by 2.45 (the 95 % radius of a circular 2-D normal is
2.45 sigma). SBS records carry no accuracy: the receiver's configured ``sigma_m`` is used. A
position whose accuracy is unknown (NACp 0, type code 18 / 22) is rejected: such reports are
not displayed by ATC either. Vertical: barometric altitude corrected by the last
geometric-minus-barometric difference when heard (sigma 30 m [E]) else taken as geometric
(sigma 150 m [E]: the pressure-altitude / height difference over Europe is typically tens to a
few hundred metres); GNSS-height positions (type codes 20-22) use the horizontal sigma.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from dronewall.adapters.counters import MessageCounters
from dronewall.adapters.modes_wire import RawFrame, SbsRecord
from dronewall.adapters.positions import position_rows
from dronewall.detections import DetectionBatch

FT_M = 0.3048
KT_MPS = 1852.0 / 3600.0
FPM_MPS = FT_M / 60.0
#: NACp -> estimated position uncertainty, 95 % horizontal bound (m) (DO-260B).
NACP_EPU_M = {11: 3.0, 10: 10.0, 9: 30.0, 8: 93.0, 7: 185.0, 6: 556.0, 5: 926.0, 4: 1852.0,
              3: 3704.0, 2: 7408.0, 1: 18520.0}
#: NUCp -> horizontal 95 % containment radius RCu (m) (DO-260B, version 0).
NUCP_RCU_M = {9: 3.0, 8: 10.0, 7: 93.0, 6: 185.0, 5: 463.0, 4: 926.0, 3: 1852.0, 2: 9260.0,
              1: 18520.0}
#: A surface position is decoded against the aircraft's own last position when younger (s).
SURFACE_REF_MAX_AGE_S = 600.0
#: Fastest plausible movement between two fixes of an aircraft taking off or landing, m/s [E].
MAX_SURFACE_SPEED_MPS = 150.0
#: Surface position type code -> NUCp (DO-260B, version 0).
SURFACE_TC_NUCP = {5: 9, 6: 8, 7: 7, 8: 6}
R95_PER_SIGMA = 2.45
SIGMA_V_CORRECTED_M = 30.0   # [E] baro altitude + geometric-minus-baro, vertical sd
SIGMA_V_BARO_M = 150.0       # [E] baro altitude taken as height, vertical sd
#: Aircraft state older than this is forgotten (s), as pyModeS's decoder does.
STATE_TTL_S = 300.0
#: Aircraft held in the decoder state at most; new ones beyond it are shed (counted).
MAX_AIRCRAFT = 20_000


@dataclass(frozen=True)
class AdsbReport:
    """A cooperative position report, SI units. ``t_s``: engine time of reception."""

    t_s: float
    icao24: str                 # lower-case hex
    lat_deg: float
    lon_deg: float
    alt_m: float                # height above the WGS84 ellipsoid, best estimate
    sigma_h_m: float
    sigma_v_m: float
    callsign: str
    gs_mps: float | None
    track_deg: float | None
    vr_mps: float | None
    nacp: int | None
    source: str                 # "modes" or "sbs"


@dataclass
class _Aircraft:
    last_t: float
    callsign: str = ""
    gs_mps: float | None = None
    track_deg: float | None = None
    vr_mps: float | None = None
    nacp: int | None = None
    geo_minus_baro_m: float | None = None
    last_pos: tuple[float, float, float] | None = None   # lat, lon (deg), t (s)


class _AircraftStates:
    def __init__(self, counters: MessageCounters) -> None:
        self.counters = counters
        self.by_icao: dict[str, _Aircraft] = {}
        self._next_sweep = 0.0

    def get(self, icao: str, t: float) -> _Aircraft | None:
        a = self.by_icao.get(icao)
        if a is None or t - a.last_t > STATE_TTL_S:
            if a is None and len(self.by_icao) >= MAX_AIRCRAFT:
                self._sweep(t)
                if len(self.by_icao) >= MAX_AIRCRAFT:
                    self.counters.reject("too many aircraft in the decoder state")
                    return None
            a = _Aircraft(t)
            self.by_icao[icao] = a
        a.last_t = t
        if t >= self._next_sweep:
            self._sweep(t)
        return a

    def _sweep(self, t: float) -> None:
        self._next_sweep = t + 10.0
        old = [k for k, a in self.by_icao.items() if t - a.last_t > STATE_TTL_S]
        for k in old:
            del self.by_icao[k]


def _report(a: _Aircraft, t: float, icao: str, lat: float, lon: float, alt_ft: float | None,
            gnss_height: bool, sigma_h: float, source: str) -> AdsbReport:
    if alt_ft is None:
        alt_m, sv = 0.0, 1e4   # position without altitude: height unknown
    elif gnss_height:
        alt_m, sv = alt_ft * FT_M, sigma_h
    elif a.geo_minus_baro_m is not None:
        alt_m, sv = alt_ft * FT_M + a.geo_minus_baro_m, SIGMA_V_CORRECTED_M
    else:
        alt_m, sv = alt_ft * FT_M, SIGMA_V_BARO_M
    return AdsbReport(t, icao, float(lat), float(lon), float(alt_m), float(sigma_h), float(sv),
                      a.callsign, a.gs_mps, a.track_deg, a.vr_mps, a.nacp, source)


class ModeSDecoder:
    """Raw Mode S frames -> :class:`AdsbReport` s (pyModeS ``PipeDecoder`` per feed)."""

    def __init__(self, counters: MessageCounters,
                 surface_ref: tuple[float, float] | None = None) -> None:
        """``surface_ref``: the receiver's (lat, lon), deg -- surface positions (aircraft on
        the ground, BDS 0,6) are only decodable within 45 NM of a known reference."""
        from pyModeS import PipeDecoder

        self.counters = counters
        self.surface_ref = surface_ref
        self._pipe = PipeDecoder()
        self._states = _AircraftStates(counters)

    def _surface_position(self, raw: RawFrame, a: _Aircraft, t_s: float
                          ) -> tuple[float, float] | None:
        """A surface position (BDS 0,6) decoded against the aircraft's own last position when
        recent (it is then certainly within the 45 NM the surface CPR needs -- an aircraft
        landing far from the receiver), else against the receiver site; a fix implying more
        than ``MAX_SURFACE_SPEED_MPS`` from the last one is rejected (counted)."""
        import pyModeS as pms

        ref = None
        if a.last_pos is not None and t_s - a.last_pos[2] <= SURFACE_REF_MAX_AGE_S:
            ref = (a.last_pos[0], a.last_pos[1])
        elif self.surface_ref is not None:
            ref = self.surface_ref
        if ref is None:
            return None
        try:
            d = pms.decode(raw.hex, surface_ref=ref)
        except pms.DecodeError:
            return None
        lat, lon = d.get("latitude"), d.get("longitude")
        if lat is None or lon is None:
            return None
        if a.last_pos is not None and t_s > a.last_pos[2]:
            dn = (lat - a.last_pos[0]) * 111_195.0
            de = (lon - a.last_pos[1]) * 111_195.0 * math.cos(math.radians(lat))
            if math.hypot(dn, de) / (t_s - a.last_pos[2]) > MAX_SURFACE_SPEED_MPS:
                self.counters.reject("surface position jump (implied speed too high)")
                return None
        return float(lat), float(lon)

    def frame(self, raw: RawFrame, t_s: float) -> tuple[dict[str, Any] | None,
                                                         AdsbReport | None]:
        """Decode one frame received at engine time ``t_s``: (decoded fields or None,
        position report or None)."""
        from pyModeS import DecodeError

        c = self.counters
        if raw.kind == "modeac":
            c.reject("mode a/c reply (no identity or position)")
            return None, None
        try:
            d = dict(self._pipe.decode(raw.hex, timestamp=t_s))
        except DecodeError as e:
            c.malform(f"mode s: {type(e).__name__}")
            return None, None
        df = d.get("df")
        if df not in (17, 18):
            c.reject(f"mode s df{df}: not an extended squitter (no position)")
            return d, None
        if d.get("crc_valid") is False:
            c.reject("mode s: CRC failed")
            return d, None
        icao = str(d.get("icao", "")).lower()
        a = self._states.get(icao, t_s)
        if a is None:
            return d, None
        if d.get("callsign"):
            a.callsign = str(d["callsign"]).strip("_ ").strip()
        if d.get("bds") == "0,9":
            if d.get("groundspeed") is not None:
                a.gs_mps = float(d["groundspeed"]) * KT_MPS
                a.track_deg = float(d["track"]) if d.get("track") is not None else None
            if d.get("vertical_rate") is not None:
                a.vr_mps = float(d["vertical_rate"]) * FPM_MPS
            if d.get("geo_minus_baro") is not None:
                a.geo_minus_baro_m = float(d["geo_minus_baro"]) * FT_M
        if d.get("nac_p") is not None:
            a.nacp = int(d["nac_p"])
        lat, lon = d.get("latitude"), d.get("longitude")
        surface = d.get("bds") == "0,6"
        if surface:   # decoded here, against the aircraft's own last position
            pos = self._surface_position(raw, a, t_s)
            lat, lon = pos if pos is not None else (None, None)
        if lat is None or lon is None:
            c.accept()
            return d, None
        tc = int(d.get("typecode") or 0)
        if a.nacp is not None:
            epu = NACP_EPU_M.get(a.nacp)
        else:   # surface messages carry NUCp only in their type code
            nuc = d.get("nuc_p")
            epu = NUCP_RCU_M.get(int(nuc) if nuc is not None else SURFACE_TC_NUCP.get(tc, 0))
        if epu is None:
            c.reject("position without accuracy (NACp/NUCp 0)")
            return d, None
        c.accept()
        a.last_pos = (float(lat), float(lon), t_s)
        alt = 0.0 if surface else d.get("altitude")
        return d, _report(a, t_s, icao, lat, lon, None if alt is None else float(alt),
                          20 <= tc <= 22, epu / R95_PER_SIGMA, "modes")


class SbsDecoder:
    """SBS-1 records -> :class:`AdsbReport` s (identity and velocity kept per aircraft)."""

    def __init__(self, counters: MessageCounters, sigma_m: float) -> None:
        self.counters = counters
        self.sigma_m = float(sigma_m)
        self._states = _AircraftStates(counters)

    def record(self, r: SbsRecord, t_s: float) -> AdsbReport | None:
        a = self._states.get(r.icao24, t_s)
        if a is None:
            return None
        self.counters.accept()
        if r.callsign:
            a.callsign = r.callsign.strip()
        if r.ground_speed_kt is not None:
            a.gs_mps = r.ground_speed_kt * KT_MPS
            a.track_deg = r.track_deg
        if r.vertical_rate_fpm is not None:
            a.vr_mps = r.vertical_rate_fpm * FPM_MPS
        if r.lat_deg is None or r.lon_deg is None:
            return None
        alt = 0.0 if r.on_ground else r.altitude_ft
        return _report(a, t_s, r.icao24, r.lat_deg, r.lon_deg, alt, False, self.sigma_m, "sbs")


def reports_to_batch(reports: list[AdsbReport], sensor_row: int) -> DetectionBatch:
    """ADS-B reports as POSITION detections (ECEF, covariance from each report's horizontal
    and vertical sigma) of the receiver at ``sensor_row`` of the engine's sensor table."""
    if not reports:
        return DetectionBatch.empty()
    sh = [r.sigma_h_m for r in reports]
    return position_rows(
        [r.t_s for r in reports], sensor_row, [r.lat_deg for r in reports],
        [r.lon_deg for r in reports], [r.alt_m for r in reports], sh, sh,
        [r.sigma_v_m for r in reports],
        identity=np.array([r.icao24 for r in reports], dtype=object),
        callsign=np.array([r.callsign for r in reports], dtype=object))
