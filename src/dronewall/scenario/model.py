"""Scenario file schema (pydantic v2). Unknown keys are errors: typos must not pass silently.

Positions in scenario files are WGS84 ``[lat_deg, lon_deg]`` or ``[lat_deg, lon_deg, alt_m]``
lists; times are seconds relative to ``time.start`` unless stated. See ``docs/scenarios.md``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from dronewall.catalog import PLATFORMS, MotionModel
from dronewall.scenario.base import LatLon, LatLonAlt, Strict, ZoneKind, _check_latlon
from dronewall.scenario.defence import CLASS_NAMES, EffectorSpec, RoeSpec
from dronewall.scenario.tracking_options import TrackingSpec

__all__ = ["EffectorSpec", "LatLon", "LatLonAlt", "RoeSpec", "Strict", "ZoneKind"]


class TimeSpec(Strict):
    start: datetime = Field(description="scenario epoch, ISO 8601 with time zone (UTC advised)")
    duration_s: float = Field(gt=0, le=7 * 86400)
    step_s: float = Field(gt=0, le=60, description="truth simulation step")

    @field_validator("start")
    @classmethod
    def _tz(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("start needs a time zone, e.g. 2025-09-09T21:30:00Z")
        return v.astimezone(UTC)

    @model_validator(mode="after")
    def _step(self) -> TimeSpec:
        if self.step_s > self.duration_s:
            raise ValueError("step_s is longer than duration_s")
        return self


class Origin(Strict):
    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-180, le=180)
    alt_m: float = 0.0


class Region(Strict):
    lat_min: float = Field(ge=-90, le=90)
    lat_max: float = Field(ge=-90, le=90)
    lon_min: float = Field(ge=-180, le=180)
    lon_max: float = Field(ge=-180, le=180)

    @model_validator(mode="after")
    def _order(self) -> Region:
        if self.lat_min >= self.lat_max or self.lon_min >= self.lon_max:
            raise ValueError("need lat_min < lat_max and lon_min < lon_max")
        return self


class Area(Strict):
    """An area: a circle (``center`` + ``radius_m``) or a polygon of ``[lat, lon]`` vertices."""

    center: LatLon | None = None
    radius_m: float | None = Field(default=None, gt=0)
    polygon: list[LatLon] | None = None

    @field_validator("center")
    @classmethod
    def _c(cls, v: list[float] | None) -> list[float] | None:
        return None if v is None else _check_latlon(v, 2)

    @field_validator("polygon")
    @classmethod
    def _p(cls, v: list[list[float]] | None) -> list[list[float]] | None:
        if v is None:
            return None
        if len(v) < 3:
            raise ValueError("a polygon needs at least 3 vertices")
        return [_check_latlon(p, 2) for p in v]

    @model_validator(mode="after")
    def _one(self) -> Area:
        circle = self.center is not None or self.radius_m is not None
        if circle and self.polygon is not None:
            raise ValueError("give either center + radius_m or polygon, not both")
        if not circle and self.polygon is None:
            raise ValueError("an area needs center + radius_m or polygon")
        if circle and (self.center is None or self.radius_m is None):
            raise ValueError("a circular area needs both center and radius_m")
        return self




BuiltinZones = Literal["sovereign-maritime", "sovereign-land", "airports"]


class ZoneSpec(Strict):
    """Zones: a GeoJSON/KML ``file`` (relative to the scenario file), a ``builtin`` shipped data
    set (``docs/region-data.md``) optionally restricted by ``only`` (zone ids or ISO alpha-3
    countries to keep), or one inline zone."""

    file: str | None = None
    builtin: BuiltinZones | None = None
    only: list[str] | None = Field(default=None, min_length=1)
    report: bool = Field(default=True, description=(
        "false: reference zones, used only to say which country a track came from "
        "(from_country); no events are written for them"))
    id: str | None = None
    kind: ZoneKind | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    name: str | None = None
    area: Area | None = None
    floor_m: float | None = None
    ceiling_m: float | None = None
    value_eur: float | None = Field(default=None, ge=0, description=(
        "worth of the defended asset in EUR (threat evaluation, engagement planning)"))

    @model_validator(mode="after")
    def _form(self) -> ZoneSpec:
        if self.file is not None and self.builtin is not None:
            raise ValueError("give either file or builtin, not both")
        if self.file is not None or self.builtin is not None:
            extra = [k for k in ("id", "kind", "country", "name", "area", "value_eur")
                     if getattr(self, k)]
            if extra:
                what = "file" if self.file is not None else "builtin"
                raise ValueError(f"a zone with '{what}' takes no inline fields "
                                 f"({', '.join(extra)})")
            return self
        if self.only is not None:
            raise ValueError("only applies to file or builtin zones")
        if self.id is None or self.kind is None or self.area is None:
            raise ValueError("an inline zone needs id, kind and area (or give 'file')")
        if self.kind == "sovereign" and self.country is None:
            raise ValueError("a sovereign zone needs country (ISO 3166 alpha-3)")
        if (self.floor_m is not None and self.ceiling_m is not None
                and self.floor_m >= self.ceiling_m):
            raise ValueError("floor_m must be below ceiling_m")
        return self


# --------------------------------------------------------------------------- sensors

class _SensorBase(Strict):
    id: str = Field(min_length=1)
    position: LatLon
    height_m: float = Field(default=10.0, ge=0, le=1000, description="mast height above ground")

    @field_validator("position")
    @classmethod
    def _pos(cls, v: list[float]) -> list[float]:
        return _check_latlon(v, 2)


class RadarSpec(_SensorBase):
    """Surveillance radar. Detection from the radar equation, calibrated by a reference point:
    ``pd_ref`` against ``rcs_ref_m2`` at ``range_ref_m`` (Swerling 1 by default)."""

    type: Literal["radar"]
    range_ref_m: float = Field(default=20_000.0, gt=0)
    rcs_ref_m2: float = Field(default=1.0, gt=0)
    pd_ref: float = Field(default=0.9, gt=0, lt=1)
    pfa: float = Field(default=1e-6, gt=0, lt=0.1, description="per resolution cell")
    swerling: Literal[0, 1, 3] = 1
    max_range_m: float = Field(default=60_000.0, gt=0, description="instrumented range")
    min_range_m: float = Field(default=200.0, ge=0)
    sector_deg: list[float] = Field(default=[0.0, 360.0],
                                    description="[az_start, az_end] clockwise")
    max_elevation_deg: float = Field(default=60.0, gt=0, le=90)
    scan_period_s: float = Field(default=2.0, gt=0)
    sigma_range_m: float = Field(default=15.0, gt=0)
    sigma_az_deg: float = Field(default=0.5, gt=0)
    sigma_el_deg: float = Field(default=1.0, gt=0)
    sigma_range_rate_mps: float | None = Field(default=1.0, gt=0, description="None: no Doppler")
    false_alarms_per_scan: float = Field(default=2.0, ge=0,
                                         description="Poisson mean in the covered volume")
    micro_doppler: bool = Field(default=False, description=(
        "classifies echoes by micro-Doppler (rotor / propeller / jet / wing-beat), as C-UAS "
        "radars do; reported in class_label"))
    micro_doppler_snr_db: float = Field(default=15.0, description=(
        "single-look SNR needed for a micro-Doppler class [E]: the modulation lines lie well "
        "below the body echo"))
    micro_doppler_error_p: float = Field(default=0.1, ge=0, lt=1, description=(
        "probability the reported micro-Doppler class is another one (uniform) [E]"))


class AcousticParams(Strict):
    environment: Literal["rural", "urban"] = "rural"
    detection_snr_db: float = Field(default=6.0, description="SNR at Pd = 0.5")
    sigma_bearing_deg: float = Field(default=5.0, gt=0, le=45)
    report_period_s: float = Field(default=1.0, gt=0)
    false_alarms_per_hour: float = Field(default=1.0, ge=0)
    height_m: float = Field(default=4.0, ge=0, le=100)


class AcousticNodeSpec(_SensorBase, AcousticParams):
    type: Literal["acoustic"]
    height_m: float = Field(default=4.0, ge=0, le=100)


class AcousticGridSpec(AcousticParams):
    """A regular grid of acoustic nodes over ``area`` (Sky Fortress-like deployment)."""

    type: Literal["acoustic_grid"]
    id: str = Field(min_length=1, description="prefix; nodes are named <id>-<k>")
    area: Area
    spacing_m: float = Field(gt=50, le=100_000)
    max_nodes: int = Field(default=20_000, gt=0)


class RFSpec(_SensorBase):
    type: Literal["rf"]
    range_m: float = Field(default=5_000.0, gt=0, description="range at which Pd = 0.5")
    pd_max: float = Field(default=0.95, gt=0, le=1)
    sigma_bearing_deg: float = Field(default=3.0, gt=0, le=45)
    report_period_s: float = Field(default=1.0, gt=0)
    false_alarms_per_hour: float = Field(default=0.5, ge=0)


class EOIRSpec(_SensorBase):
    type: Literal["eoir"]
    fov_az_deg: list[float] = Field(default=[0.0, 360.0],
                                    description="[az_start, az_end] clockwise")
    fov_el_deg: list[float] = Field(default=[-5.0, 60.0])
    max_range_m: float = Field(default=5_000.0, gt=0)
    pd: float = Field(default=0.8, gt=0, le=1)
    sigma_deg: float = Field(default=0.1, gt=0)
    report_period_s: float = Field(default=1.0, gt=0)
    false_alarms_per_hour: float = Field(default=0.5, ge=0)
    confusion: dict[str, dict[str, float]] | None = Field(
        default=None, description="P(label | true class); rows must sum to 1")


class CooperativeSpec(_SensorBase):
    """ADS-B ground receiver or Remote ID receiver."""

    type: Literal["adsb", "remote_id"]
    range_m: float = Field(default=300_000.0, gt=0)
    report_period_s: float = Field(default=1.0, gt=0)
    sigma_m: float = Field(default=10.0, gt=0, description="GNSS position error per axis")
    p_receive: float = Field(default=0.95, gt=0, le=1)


SensorSpec = Annotated[
    RadarSpec | AcousticNodeSpec | AcousticGridSpec | RFSpec | EOIRSpec | CooperativeSpec,
    Field(discriminator="type"),
]


# --------------------------------------------------------------------------- traffic

def _platform_key(v: str) -> str:
    if v not in PLATFORMS:
        raise ValueError(f"unknown platform {v!r}; allowed: {', '.join(sorted(PLATFORMS))}")
    return v


def _waypoints(v: list[list[float]]) -> list[list[float]]:
    if len(v) < 1:
        raise ValueError("a route needs at least one waypoint")
    return [_check_latlon(p, 3) for p in v]


class _Mover(Strict):
    id: str = Field(min_length=1)
    platform: str
    speed_mps: float | None = Field(default=None, gt=0, le=1000)
    altitude_m: float | None = Field(default=None, ge=0, le=30_000)
    rcs_m2: float | None = Field(default=None, gt=0)

    @field_validator("platform")
    @classmethod
    def _pk(cls, v: str) -> str:
        return _platform_key(v)


class RaidSpec(_Mover):
    """``count`` platforms launched from ``launch`` between ``window_s`` [t0, t1], at least
    ``spacing_s`` apart, following ``route`` (shared, with lateral spread) or heading to a random
    point of ``target``. Non-cooperative unless ``adsb``/``remote_id`` is set."""

    count: int = Field(ge=1, le=100_000)
    launch: Area
    window_s: list[float] = Field(description="[t0, t1] seconds after start")
    spacing_s: float = Field(default=0.0, ge=0)
    route: list[LatLonAlt] | None = None
    route_spread_m: float = Field(default=2_000.0, ge=0)
    target: Area | None = None
    adsb: bool = False
    remote_id: bool = False

    @field_validator("route")
    @classmethod
    def _route(cls, v: list[list[float]] | None) -> list[list[float]] | None:
        return None if v is None else _waypoints(v)

    @model_validator(mode="after")
    def _check(self) -> RaidSpec:
        if len(self.window_s) != 2 or self.window_s[0] > self.window_s[1] or self.window_s[0] < 0:
            raise ValueError("window_s must be [t0, t1] with 0 <= t0 <= t1")
        if (self.route is None) == (self.target is None):
            raise ValueError("give exactly one of route or target")
        if self.spacing_s * (self.count - 1) > self.window_s[1] - self.window_s[0] + 1e-9:
            raise ValueError(f"{self.count} launches spaced {self.spacing_s} s do not fit in "
                             f"window_s {self.window_s}")
        return self


class AircraftSpec(_Mover):
    """An individual route flown by ``count`` aircraft in trail/echelon formation
    (e.g. three MiG-31s). Route waypoints may carry altitude."""

    count: int = Field(default=1, ge=1, le=100)
    formation_spacing_m: float = Field(default=1_500.0, ge=0)
    start_s: float = Field(default=0.0, ge=0)
    route: list[LatLonAlt]
    adsb: bool = False
    remote_id: bool = False
    icao24: str | None = Field(default=None, pattern=r"^[0-9a-f]{6}$")
    callsign: str | None = Field(default=None, max_length=8)

    @field_validator("route")
    @classmethod
    def _route(cls, v: list[list[float]]) -> list[list[float]]:
        return _waypoints(v)

    @model_validator(mode="after")
    def _check(self) -> AircraftSpec:
        if len(self.route) < 2:
            raise ValueError("an aircraft route needs at least 2 waypoints")
        return self


class FlowSpec(_Mover):
    """Background cooperative traffic: ``count`` flights between two areas during ``window_s``."""

    count: int = Field(ge=1, le=100_000)
    entry: Area
    exit: Area
    window_s: list[float]
    adsb: bool = True
    remote_id: bool = False

    @model_validator(mode="after")
    def _check(self) -> FlowSpec:
        if len(self.window_s) != 2 or self.window_s[0] > self.window_s[1] or self.window_s[0] < 0:
            raise ValueError("window_s must be [t0, t1] with 0 <= t0 <= t1")
        return self


class MultirotorSpec(_Mover):
    """Multirotors around ``home``: ``hover`` (station keeping), ``patrol`` (random waypoints
    within ``radius_m``) or ``dash`` (to ``dash_to`` at max speed, then hover)."""

    count: int = Field(default=1, ge=1, le=10_000)
    home: LatLon
    radius_m: float = Field(default=500.0, gt=0)
    pattern: Literal["hover", "patrol", "dash"] = "patrol"
    dash_to: LatLon | None = None
    window_s: list[float] = Field(default=[0.0, 1e9])
    remote_id: bool = False
    operator_offset_m: float = Field(default=300.0, ge=0)

    @model_validator(mode="after")
    def _check(self) -> MultirotorSpec:
        if PLATFORMS[self.platform].motion != MotionModel.MULTIROTOR:
            raise ValueError(f"platform {self.platform!r} is not a multirotor")
        if self.pattern == "dash" and self.dash_to is None:
            raise ValueError("pattern 'dash' needs dash_to")
        if len(self.window_s) != 2 or self.window_s[0] > self.window_s[1]:
            raise ValueError("window_s must be [t0, t1] with t0 <= t1")
        return self


class BirdSpec(Strict):
    """``count`` birds or flocks (each one radar target) wandering erratically in ``area``."""

    id: str = Field(min_length=1)
    count: int = Field(ge=1, le=100_000)
    area: Area
    altitude_m: list[float] = Field(default=[20.0, 300.0], description="[min, max]")
    speed_mps: list[float] = Field(default=[8.0, 16.0], description="[min, max]")
    rcs_m2: float = Field(default=0.01, gt=0, description="per target; flocks larger")


class TrafficSpec(Strict):
    raids: list[RaidSpec] = []
    aircraft: list[AircraftSpec] = []
    flows: list[FlowSpec] = []
    multirotors: list[MultirotorSpec] = []
    birds: list[BirdSpec] = []


class JammingSpec(Strict):
    """GNSS jamming/spoofing area. A GNSS-navigated platform inside it steers with a course
    error of ``bias_deg`` plus a navigation position error growing at ``drift_mps``."""

    id: str = Field(min_length=1)
    area: Area
    window_s: list[float] = Field(default=[0.0, 1e9])
    bias_deg: float = Field(default=20.0, ge=-180, le=180)
    drift_mps: float = Field(default=5.0, ge=0, le=100)
    drift_bearing_deg: float = Field(default=90.0)


class SpoofSpec(Strict):
    """Cooperative-report spoofing: ``ghost`` (a fake identity flying ``route``), ``offset``
    (a real platform's reports shifted by ``offset_m`` toward ``bearing_deg``) or ``jump``
    (positions jump by ``offset_m`` every ``period_s``)."""

    id: str = Field(min_length=1)
    kind: Literal["ghost", "offset", "jump"]
    channel: Literal["adsb", "remote_id"] = "adsb"
    platform_id: str | None = Field(default=None, description="victim platform (offset/jump)")
    route: list[LatLonAlt] | None = None
    speed_mps: float = Field(default=200.0, gt=0)
    icao24: str | None = Field(default=None, pattern=r"^[0-9a-f]{6}$")
    callsign: str | None = Field(default=None, max_length=8)
    window_s: list[float] = Field(default=[0.0, 1e9])
    offset_m: float = Field(default=5_000.0, ge=0)
    bearing_deg: float = 0.0
    period_s: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _check(self) -> SpoofSpec:
        if self.kind == "ghost" and (self.route is None or len(self.route) < 2):
            raise ValueError("a ghost needs a route of at least 2 waypoints")
        if self.kind != "ghost" and self.platform_id is None:
            raise ValueError(f"spoofing kind {self.kind!r} needs platform_id")
        return self


class OutageSpec(Strict):
    """A sensor down for a while: it reports nothing during ``window_s``. ``announced``: its
    status says so at the start (SAPIENT ``StatusReport`` ERROR); otherwise a silent failure,
    which the picture finds only when its status reports stop coming
    (``sensor_health.stale_after_s``). Until it knows, it reads the sensor's silence as the
    targets' (``docs/classification.md``, "Sensors that are down")."""

    sensor: str = Field(min_length=1, description="a sensor id, or an acoustic grid node "
                                                  "<grid id>-<k> (k from 0)")
    window_s: list[float] = Field(description="[t0, t1] seconds after start")
    announced: bool = False

    @field_validator("window_s")
    @classmethod
    def _window(cls, v: list[float]) -> list[float]:
        if len(v) != 2 or not (0.0 <= v[0] < v[1]):
            raise ValueError("window_s must be [t0, t1] with 0 <= t0 < t1")
        return v


#: Sensor types whose random availability a scenario may set (``sensor_health.availability``);
#: an acoustic grid's nodes are ``acoustic``.
AVAILABILITY_TYPES = ("radar", "acoustic", "rf", "eoir", "adsb", "remote_id")


class SensorHealthSpec(Strict):
    """The sensors' status channel (``docs/classification.md``, "Sensors that are down"):
    every sensor sends a status report each ``status_period_s`` while it works; one with no
    status or report for ``stale_after_s`` is taken as down. ``availability``: per sensor
    type, the share of the time each such sensor works -- the rest it is down in silent
    failures of mean length ``mean_outage_s`` drawn at random for each run (exponential up
    and down times); types not named are always up."""

    status_period_s: float = Field(default=10.0, gt=0, le=3600)
    stale_after_s: float = Field(default=30.0, gt=0, le=86_400)
    availability: dict[str, float] = Field(default_factory=dict)
    mean_outage_s: float = Field(default=600.0, gt=0, le=86_400)

    @field_validator("availability")
    @classmethod
    def _availability(cls, v: dict[str, float]) -> dict[str, float]:
        for k, a in v.items():
            if k not in AVAILABILITY_TYPES:
                raise ValueError(f"unknown sensor type {k!r}; allowed: "
                                 f"{', '.join(AVAILABILITY_TYPES)}")
            if not (0.0 < a <= 1.0):
                raise ValueError(f"availability of {k} must be in (0, 1], got {a}")
        return v

    @model_validator(mode="after")
    def _check(self) -> SensorHealthSpec:
        if self.stale_after_s < self.status_period_s:
            raise ValueError(f"stale_after_s ({self.stale_after_s}) must be >= status_period_s "
                             f"({self.status_period_s}): a working sensor would read as down")
        return self


#: Class names a scenario may weigh in ``classification.prior``: those of ``roe.engage_classes``.
CLASS_KEYS = CLASS_NAMES


class ClassificationSpec(Strict):
    """Classifier options of a site (``docs/classification.md``, "The prior")."""

    prior: dict[str, float] = Field(
        default_factory=dict,
        description="prior weight per class (" + ", ".join(CLASS_KEYS) + "): what this site "
                    "expects to see before any evidence, e.g. an airport in peacetime "
                    "{ATTACK_DRONE: 0.01, DECOY: 0.01}. Classes not named keep the default "
                    "weight (the eastern flank's wartime mix); the weights are normalised. The "
                    "posterior also relaxes toward it as evidence ages")

    @field_validator("prior")
    @classmethod
    def _prior(cls, v: dict[str, float]) -> dict[str, float]:
        for k, w in v.items():
            if k not in CLASS_KEYS:
                raise ValueError(f"unknown class {k!r}; allowed: {', '.join(CLASS_KEYS)}")
            if not (w > 0.0 and w <= 1.0e6):
                raise ValueError(f"prior weight of {k} must be > 0 and <= 1e6 (a zero prior "
                                 f"would make the class impossible whatever the sensors say); "
                                 f"got {w}")
        return v


class Scenario(Strict):
    """A complete scenario file."""

    name: str = Field(min_length=1)
    description: str = ""
    seed: int = Field(default=0, ge=0, lt=2**63)
    time: TimeSpec
    origin: Origin
    region: Region | None = None
    zones: list[ZoneSpec] = []
    sensors: list[SensorSpec] = []
    effectors: list[EffectorSpec] = []
    roe: RoeSpec = RoeSpec()
    traffic: TrafficSpec = TrafficSpec()
    jamming: list[JammingSpec] = []
    spoofing: list[SpoofSpec] = []
    tracking: TrackingSpec = TrackingSpec()
    classification: ClassificationSpec = ClassificationSpec()
    outages: list[OutageSpec] = []
    sensor_health: SensorHealthSpec = SensorHealthSpec()

    @model_validator(mode="after")
    def _outage_sensors(self) -> Scenario:
        ids = {s.id for s in self.sensors}
        grids = {s.id for s in self.sensors if getattr(s, "type", "") == "acoustic_grid"}
        for k, o in enumerate(self.outages):
            if o.sensor in ids:
                continue
            grid, _, node = o.sensor.rpartition("-")
            if grid in grids and node.isdigit():
                continue
            raise ValueError(f"outages[{k}].sensor {o.sensor!r} is not a sensor id of this "
                             f"scenario, nor an acoustic grid node <grid id>-<k>")
        return self

    @model_validator(mode="after")
    def _unique_ids(self) -> Scenario:
        for what, items in (("sensor", self.sensors), ("effector", self.effectors),
                            ("jamming", self.jamming), ("spoofing", self.spoofing)):
            seen: set[str] = set()
            for it in items:
                if it.id in seen:
                    raise ValueError(f"duplicate {what} id {it.id!r}")
                seen.add(it.id)
        t = self.traffic
        seen = set()
        for it in [*t.raids, *t.aircraft, *t.flows, *t.multirotors, *t.birds]:
            if it.id in seen:
                raise ValueError(f"duplicate traffic id {it.id!r}")
            seen.add(it.id)
        return self
