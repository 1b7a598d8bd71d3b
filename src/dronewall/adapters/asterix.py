"""ASTERIX in: CAT048 radar target reports and CAT062 system tracks (EUROCONTROL), over UDP.

Decoded with libasterix (pure Python, generated from the EUROCONTROL specifications; editions
CAT048 1.32 and CAT062 1.21 -- older editions are field-compatible for the items read here).
A datagram carries one or more data blocks (category, length, records); every record is
counted (accepted / rejected with the reason / malformed).

* **CAT048** (a radar's plots): I048/010 SAC/SIC selects the site radar (live config
  ``radars:``); I048/040 measured position in slant polar coordinates (RHO, THETA) becomes a
  ``RADAR`` detection (range, azimuth) in that radar's frame with its configured range and
  azimuth sigmas; the elevation comes from the Mode C flight level (I048/090) when present --
  pressure altitude taken as height, sigma 150 m over the range [E] -- else 0 with a 30 deg
  sigma (a 2-D radar). I048/140 time of day and I048/220 / I048/240 (Mode S address and
  identification) are shown by the console; the SSR identity is not (yet) a cooperative claim.
* **CAT062** (a tracker's system tracks): I062/105 WGS84 position, I062/130 geometric height
  (else I062/136 measured flight level), I062/500 APC position accuracy (else 100 m [E]) become
  a ``POSITION`` detection of the site sensor bound to the SAC/SIC.

Records of a SAC/SIC not in the live config are rejected (counted): an unknown radar's plots
cannot be placed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from dronewall.adapters.counters import MessageCounters
from dronewall.adapters.positions import position_rows
from dronewall.detections import DetectionBatch, MeasKind

NM_M = 1852.0
FT_M = 0.3048
DEFAULT_SIGMA_POS_M = 100.0   # [E] CAT062 without I062/500
SIGMA_ALT_M = 150.0           # [E] pressure altitude as height
EL_UNKNOWN_SIGMA_RAD = math.radians(30.0)
R_EARTH_EFF_M = 4.0 / 3.0 * 6_371_000.0
MAX_DATAGRAM_BYTES = 65_535


@dataclass(frozen=True)
class RadarSite:
    row: int
    alt_m: float
    sigma_range_m: float
    sigma_az_rad: float
    lat_deg: float = 0.0
    lon_deg: float = 0.0


@dataclass(frozen=True)
class AsterixReport:
    t_s: float
    category: int
    sac: int
    sic: int
    row: int
    kind: str                  # "plot" (CAT048) or "track" (CAT062)
    values: tuple[float, ...]  # plot: range m, az rad, el rad|nan; track: lat, lon, alt
    sigmas: tuple[float, ...]  # plot: range m, az rad, el rad; track: east, north, up m
    address: str               # Mode S address hex ("" none)
    ident: str                 # callsign / target identification ("" none)
    track_number: int | None


def _lib() -> tuple[Any, Any, Any]:
    import asterix.generated as gen
    from asterix.base import Bits, RawDatablock

    return Bits, RawDatablock, gen


class AsterixDecoder:
    def __init__(self, sites: dict[tuple[int, int], RadarSite] | None = None, *,
                 counters: MessageCounters | None = None, accept_unknown: bool = False) -> None:
        """``sites``: (SAC, SIC) -> site sensor. ``accept_unknown``: decode records of any
        SAC/SIC (the ``listen`` console; row -1, radar at height 0)."""
        self.sites = sites or {}
        self.accept_unknown = accept_unknown
        self.counters = counters or MessageCounters()
        Bits, RawDatablock, gen = _lib()
        self._bits, self._raw = Bits, RawDatablock
        self._cats = {48: gen.Cat_048_1_32, 62: gen.Cat_062_1_21}

    def datagram(self, data: bytes, t_s: float) -> list[AsterixReport]:
        """Reports of one UDP datagram; records without a usable position are counted."""
        if len(data) > MAX_DATAGRAM_BYTES:
            self.counters.malform("asterix: datagram too long")
            return []
        try:
            blocks = self._raw.parse(self._bits.from_bytes(data))
        except Exception:  # noqa: BLE001 - the library may raise on any corruption
            blocks = ValueError("unparsable")
        if isinstance(blocks, ValueError):
            self.counters.malform("asterix: not a sequence of data blocks")
            return []
        out: list[AsterixReport] = []
        for db in blocks:
            cat = db.get_category()
            spec = self._cats.get(cat)
            if spec is None:
                self.counters.reject(f"asterix: category {cat} not read")
                continue
            try:
                recs = spec.cv_uap.parse(db.get_raw_records())
            except Exception:  # noqa: BLE001
                recs = ValueError("unparsable")
            if isinstance(recs, ValueError):
                self.counters.malform(f"asterix: CAT{cat:03d} records do not parse")
                continue
            for r in recs:
                rep = self._record(cat, r, t_s)
                if rep is not None:
                    out.append(rep)
        return out

    def _record(self, cat: int, r: Any, t_s: float) -> AsterixReport | None:
        def sub(item: str, name: str, unit: str | None = None) -> Any:
            i = r.get_item(item)
            if i is None:
                return None
            v = i.variation.get_item(name)
            if v is None:
                return None
            return v.variation.content.as_quantity(unit) if unit else \
                v.variation.content.as_uint()

        try:
            sac, sic = sub("010", "SAC"), sub("010", "SIC")
            if sac is None:
                self.counters.reject(f"asterix: CAT{cat:03d} record without I{cat:03d}/010")
                return None
            site = self.sites.get((int(sac), int(sic)))
            if site is None and self.accept_unknown:
                site = RadarSite(-1, 0.0, 50.0, math.radians(0.2))
            addr_i = r.get_item("220") if cat == 48 else None
            addr = f"{addr_i.variation.content.as_uint():06x}" if addr_i is not None else ""
            if cat == 48:
                return self._plot(r, sub, site, int(sac), int(sic), addr, t_s)
            return self._track(r, sub, site, int(sac), int(sic), t_s)
        except (ValueError, AttributeError, TypeError, KeyError):
            self.counters.malform(f"asterix: CAT{cat:03d} record fields unreadable")
            return None

    def _plot(self, r: Any, sub: Any, site: RadarSite | None, sac: int, sic: int, addr: str,
              t_s: float) -> AsterixReport | None:
        rho, theta = sub("040", "RHO", "NM"), sub("040", "THETA", "°")
        if rho is None or theta is None:
            self.counters.reject("asterix: CAT048 plot without I048/040 position")
            return None
        if site is None:
            self.counters.reject("asterix: SAC/SIC not configured")
            return None
        rng = float(rho) * NM_M
        az = (math.radians(float(theta)) + math.pi) % (2 * math.pi) - math.pi
        fl = sub("090", "FL", "FL")
        if fl is not None and rng > 0:
            h = float(fl) * 100 * FT_M
            s = (h - site.alt_m) / rng - rng / (2 * R_EARTH_EFF_M)
            el = math.asin(max(-1.0, min(1.0, s)))
            sel = SIGMA_ALT_M / rng
        else:
            el, sel = 0.0, EL_UNKNOWN_SIGMA_RAD
        self.counters.accept()
        return AsterixReport(t_s, 48, sac, sic, site.row, "plot", (rng, az, el),
                             (site.sigma_range_m, site.sigma_az_rad, sel), addr, "", None)

    def _track(self, r: Any, sub: Any, site: RadarSite | None, sac: int, sic: int,
               t_s: float) -> AsterixReport | None:
        lat, lon = sub("105", "LAT", "°"), sub("105", "LON", "°")
        if lat is None or lon is None:
            self.counters.reject("asterix: CAT062 track without I062/105 position")
            return None
        if site is None:
            self.counters.reject("asterix: SAC/SIC not configured")
            return None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            self.counters.reject("asterix: CAT062 position out of range")
            return None
        i130 = r.get_item("130")
        if i130 is not None:
            alt, sv = float(i130.variation.content.as_quantity("ft")) * FT_M, 50.0
        else:
            fl = r.get_item("136")
            alt, sv = ((float(fl.variation.content.as_quantity("FL")) * 100 * FT_M, SIGMA_ALT_M)
                       if fl is not None else (0.0, 1e4))
        sx = sy = DEFAULT_SIGMA_POS_M
        i500 = r.get_item("500")
        apc = i500.variation.get_item("APC") if i500 is not None else None
        if apc is not None:
            sx = float(apc.variation.get_item("X").variation.content.as_quantity("m")) or sx
            sy = float(apc.variation.get_item("Y").variation.content.as_quantity("m")) or sy
        i040 = r.get_item("040")
        tn = i040.variation.content.as_uint() if i040 is not None else None
        self.counters.accept()
        return AsterixReport(t_s, 62, sac, sic, site.row, "track", (float(lat), float(lon), alt),
                             (sx, sy, sv), "", "", tn)


def asterix_to_batch(reports: list[AsterixReport]) -> DetectionBatch:
    parts = []
    plots = [r for r in reports if r.kind == "plot"]
    if plots:
        m = len(plots)
        z = np.array([[*p.values, np.nan] for p in plots])
        R = np.zeros((m, 3, 3))
        for i in range(3):
            R[:, i, i] = np.array([p.sigmas[i] for p in plots]) ** 2
        parts.append(DetectionBatch.create(
            t=[p.t_s for p in plots], sensor=np.array([p.row for p in plots], np.int32),
            meas_kind=MeasKind.RADAR, z=z, R=R, truth_id=np.full(m, -1, np.int32)))
    tracks = [r for r in reports if r.kind == "track"]
    if tracks:
        parts.append(position_rows(
            [t.t_s for t in tracks], [t.row for t in tracks], [t.values[0] for t in tracks],
            [t.values[1] for t in tracks], [t.values[2] for t in tracks],
            [t.sigmas[0] for t in tracks], [t.sigmas[1] for t in tracks],
            [t.sigmas[2] for t in tracks]))
    return DetectionBatch.concat(parts)
