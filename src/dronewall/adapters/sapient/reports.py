"""What a SAPIENT node's reports mean to the engine: frames, units and errors.

A ``location`` (latitude/longitude in degrees or radians, metres, WGS84 ellipsoid) becomes a
``POSITION`` detection with its x/y/z errors as 1-sigma (degrees converted to metres at the
position); a ``range_bearing`` (true north; degrees or radians; metres or kilometres) a
``RADAR`` (range, azimuth, elevation, radial velocity), ``AZEL`` or ``BEARING`` detection in the
bound site sensor's frame, with the reported errors as 1-sigma, else the sensor's configured
sigmas, else the defaults below [E]. A radar's Doppler travels as a ``track_info`` entry
(``RADIAL_VELOCITY_TYPES``; the fusion node's module docstring). Unsupported frames are
refused with the reason, never guessed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from dronewall.adapters.positions import position_rows
from dronewall.adapters.sapient.classes import MIN_CONFIDENCE
from dronewall.detections import DetectionBatch, MeasKind, SensorTable

#: Defaults where a report and the bound sensor give no error (1-sigma) [E].
DEFAULT_SIGMA_POS_M = 50.0
DEFAULT_SIGMA_RANGE_M = 30.0
DEFAULT_SIGMA_AZ_DEG = 1.0
DEFAULT_SIGMA_EL_DEG = 2.0
DEFAULT_SIGMA_RANGE_RATE_MPS = 1.0
#: ``track_info`` types read as a radar's radial velocity (lower case, ``_``/space removed).
RADIAL_VELOCITY_TYPES = frozenset({"radialvelocity", "rangerate"})
#: Units a node may declare for it, and their factor to m/s.
RADIAL_VELOCITY_UNITS = {"m/s": 1.0, "ms-1": 1.0, "ms^-1": 1.0, "mps": 1.0, "km/h": 1 / 3.6,
                         "kph": 1 / 3.6}
#: A radial velocity beyond this is not a measurement (m/s).
MAX_RADIAL_VELOCITY_MPS = 3000.0
#: A node reporting its location farther than this from its bound sensor: range-bearing
#: reports rejected (m).
MAX_NODE_OFFSET_M = 200.0
M_PER_DEG_LAT = 111_132.0


@dataclass
class Binding:
    """A site sensor a node reports as: its row, position and configured sigmas."""

    row: int
    lat_deg: float
    lon_deg: float
    alt_m: float
    sigma_range_m: float | None = None
    sigma_az_deg: float | None = None
    sigma_el_deg: float | None = None
    kind: int = -1                    # SensorKind of the bound sensor (-1: unknown)
    classes: Mapping[str, str] | None = None   # the node's type strings -> engine labels
    min_confidence: float = MIN_CONFIDENCE
    sigma_range_rate_mps: float | None = None


@dataclass(frozen=True)
class SapientDetection:
    t_s: float
    node_id: str
    object_id: str
    row: int
    kind: str                        # "location" or "range_bearing"
    values: tuple[float, ...]        # location: lat, lon, alt; rb: range|nan, az rad, el|nan,
                                     # radial velocity m/s|nan
    sigmas: tuple[float, ...]        # location: east, north, up m; rb: range m, az, el rad,
                                     # radial velocity m/s
    confidence: float | None
    classes: tuple[tuple[str, float | None], ...]
    label: int = -1                  # class label for the bound sensor's kind (classes.py)


def latlonalt(loc: Any) -> tuple[float, float, float] | str:
    cs = loc.coordinate_system
    if not loc.HasField("coordinate_system") or not loc.HasField("datum"):
        return "location.coordinate_system and location.datum are mandatory"
    if cs not in (1, 2):
        return "location: only LAT_LNG_DEG_M and LAT_LNG_RAD_M are supported (not UTM)"
    if loc.datum != 1:
        return "location: only the WGS84 ellipsoid datum is supported (not the geoid)"
    if not (loc.HasField("x") and loc.HasField("y")):
        return "location.x and location.y are mandatory"
    lon, lat = (loc.x, loc.y) if cs == 1 else (math.degrees(loc.x), math.degrees(loc.y))
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90
            and -180 <= lon <= 180):
        return "location: latitude/longitude out of range"
    z = loc.z if loc.HasField("z") and math.isfinite(loc.z) else 0.0
    return float(lat), float(lon), float(z)


def location_values(loc: Any) -> tuple[tuple[float, ...], tuple[float, ...]] | str:
    p = latlonalt(loc)
    if isinstance(p, str):
        return p
    lat, lon, alt = p
    deg = loc.coordinate_system == 1
    scale_n = M_PER_DEG_LAT if deg else M_PER_DEG_LAT * 180 / math.pi
    scale_e = scale_n * math.cos(math.radians(lat))

    def err(name: str, scale: float) -> float:
        v = getattr(loc, name)
        return abs(v) * scale if loc.HasField(name) and math.isfinite(v) and v > 0 \
            else DEFAULT_SIGMA_POS_M
    return (lat, lon, alt), (err("x_error", scale_e), err("y_error", scale_n),
                             err("z_error", 1.0) if loc.HasField("z") else 1e4)


def range_bearing(rb: Any, node_location: tuple[float, float, float] | None,
                  b: Binding | None) -> tuple[tuple[float, ...], tuple[float, ...]] | str:
    """(range m|nan, azimuth rad, elevation rad|nan), their 1-sigmas, from a report's
    ``range_bearing`` in the bound sensor's frame; or the reason it cannot be placed
    (``node_location``: where the node's status reports say it is)."""
    if not rb.HasField("coordinate_system") or not rb.HasField("datum"):
        return "range_bearing.coordinate_system and range_bearing.datum are mandatory"
    if rb.datum != 1:
        return "range_bearing: only true north is supported (not magnetic, grid or platform)"
    cs = rb.coordinate_system
    if cs not in (1, 2, 3, 4):
        return "range_bearing: coordinate_system unspecified"
    ang = (lambda v: math.radians(v)) if cs in (1, 3) else (lambda v: v)
    rng_scale = 1000.0 if cs in (3, 4) else 1.0
    if not rb.HasField("azimuth") or not math.isfinite(rb.azimuth):
        return "range_bearing.azimuth is needed for a detection"
    if b is not None and node_location is not None:
        e, n = _offset_m(b.lat_deg, b.lon_deg, node_location[0], node_location[1])
        if math.hypot(e, n) > MAX_NODE_OFFSET_M:
            return (f"node reports its location {math.hypot(e, n):.0f} m from its bound "
                    f"sensor (> {MAX_NODE_OFFSET_M:.0f} m): range-bearing not placed")
    az = (ang(rb.azimuth) + math.pi) % (2 * math.pi) - math.pi
    has_r = rb.HasField("range") and math.isfinite(rb.range) and rb.range > 0
    has_e = rb.HasField("elevation") and math.isfinite(rb.elevation)
    r = rb.range * rng_scale if has_r else math.nan
    el = ang(rb.elevation) if has_e else math.nan

    def err(name: str, conv: Any, fallback: float | None, default: float) -> float:
        v = getattr(rb, name)
        if rb.HasField(name) and math.isfinite(v) and v > 0:
            return float(conv(v))
        return float(fallback if fallback is not None else default)

    sr = err("range_error", lambda v: v * rng_scale, b.sigma_range_m if b else None,
             DEFAULT_SIGMA_RANGE_M)
    saz = err("azimuth_error", ang, math.radians(b.sigma_az_deg) if b and b.sigma_az_deg
              else None, math.radians(DEFAULT_SIGMA_AZ_DEG))
    sel = err("elevation_error", ang, math.radians(b.sigma_el_deg) if b and b.sigma_el_deg
              else None, math.radians(DEFAULT_SIGMA_EL_DEG))
    return (r, az, el), (sr, saz, sel)


def _rv_key(t: str) -> str:
    return t.lower().replace("_", "").replace(" ", "")


def declared_radial_velocity(r: Any) -> float | str:
    """The factor to m/s of the radial velocity a registration declares (1.0 when it
    declares none), or the reason its units cannot be read."""
    for md in r.mode_definition:
        for dd in md.detection_definition:
            for dr in dd.detection_report:
                if _rv_key(dr.type) in RADIAL_VELOCITY_TYPES:
                    u = dr.units.lower().replace(" ", "")
                    if u not in RADIAL_VELOCITY_UNITS:
                        return (f"registration: track_info radialVelocity in {dr.units[:20]!r}: "
                                "dronewall reads m/s or km/h")
                    return RADIAL_VELOCITY_UNITS[u]
    return 1.0


def radial_velocity(info: Any, scale: float, b: Binding | None
                    ) -> tuple[float, float] | str | None:
    """(radial velocity m/s, 1-sigma m/s) from a report's ``track_info``; None when it
    carries none; the reason when its value cannot be read (``scale``: the node's declared
    units to m/s)."""
    for ti in info:
        if _rv_key(ti.type) not in RADIAL_VELOCITY_TYPES:
            continue
        try:
            v = float(ti.value) * scale
        except ValueError:
            return (f"detection_report.track_info {ti.type[:30]}: value {ti.value[:20]!r} is "
                    "not a number")
        if not (math.isfinite(v) and abs(v) <= MAX_RADIAL_VELOCITY_MPS):
            return (f"detection_report.track_info {ti.type[:30]}: {ti.value[:20]} is not a "
                    f"radial velocity (|v| <= {MAX_RADIAL_VELOCITY_MPS:.0f} m/s)")
        e = ti.error * scale if ti.HasField("error") else math.nan
        if not (math.isfinite(e) and e > 0):
            e = (b.sigma_range_rate_mps if b is not None and b.sigma_range_rate_mps
                 else DEFAULT_SIGMA_RANGE_RATE_MPS)
        return v, float(e)
    return None


def _offset_m(lat0: float, lon0: float, lat: float, lon: float) -> tuple[float, float]:
    n = (lat - lat0) * M_PER_DEG_LAT
    e = (lon - lon0) * M_PER_DEG_LAT * math.cos(math.radians(lat0))
    return e, n


def detections_to_batch(dets: list[SapientDetection], sensors: SensorTable) -> DetectionBatch:
    """SAPIENT detections as the engine's rows (module docstring)."""
    if not dets:
        return DetectionBatch.empty()
    parts = []
    loc = [d for d in dets if d.kind == "location"]
    if loc:
        parts.append(position_rows(
            [d.t_s for d in loc], [d.row for d in loc], [d.values[0] for d in loc],
            [d.values[1] for d in loc], [d.values[2] for d in loc],
            [d.sigmas[0] for d in loc], [d.sigmas[1] for d in loc],
            [d.sigmas[2] for d in loc],
            class_label=np.array([d.label for d in loc], np.int16)))
    rb = [d for d in dets if d.kind == "range_bearing"]
    for want, mk, dim in ((lambda r, e: not math.isnan(r), MeasKind.RADAR, 4),
                          (lambda r, e: math.isnan(r) and not math.isnan(e), MeasKind.AZEL, 2),
                          (lambda r, e: math.isnan(r) and math.isnan(e), MeasKind.BEARING, 1)):
        sel = [d for d in rb if want(d.values[0], d.values[2])]
        if not sel:
            continue
        m = len(sel)
        if mk == MeasKind.RADAR:
            z = np.array([[d.values[0], d.values[1],
                           d.values[2] if not math.isnan(d.values[2]) else 0.0, d.values[3]]
                          for d in sel])
            sig = np.array([[d.sigmas[0], d.sigmas[1],
                             d.sigmas[2] if not math.isnan(d.values[2]) else math.radians(30),
                             d.sigmas[3] if not math.isnan(d.values[3]) else 0.0]
                            for d in sel])
        elif mk == MeasKind.AZEL:
            z = np.array([[d.values[1], d.values[2]] for d in sel])
            sig = np.array([[d.sigmas[1], d.sigmas[2]] for d in sel])
        else:
            z = np.array([[d.values[1]] for d in sel])
            sig = np.array([[d.sigmas[1]] for d in sel])
        R = np.zeros((m, dim, dim))
        for i in range(sig.shape[1]):
            R[:, i, i] = sig[:, i] ** 2
        parts.append(DetectionBatch.create(
            t=[d.t_s for d in sel], sensor=np.array([d.row for d in sel], np.int32),
            meas_kind=mk, z=z, R=R, truth_id=np.full(m, -1, np.int32),
            class_label=np.array([d.label for d in sel], np.int16)))
    return DetectionBatch.concat(parts)
