"""Resource budget of a validated scenario: what ``simulate`` could not run is an error here.

Each check compares a size that drives memory or time with its documented limit
(``dronewall.inputs.limits``, ``docs/limits.md``) and names the field to change. The loader
turns the findings into one :class:`~dronewall.errors.ScenarioError` with file and line, so
``dronewall validate`` rejects exactly what ``dronewall simulate`` cannot run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from shapely.geometry import Polygon

from dronewall.inputs.limits import (
    MAX_EFFECTOR_COUNT,
    MAX_FALSE_ALARMS_PER_S,
    MAX_PLATFORMS,
    MAX_RANDOM_OUTAGES,
    MAX_SENSORS,
    MAX_SIM_STEPS,
)
from dronewall.scenario.model import (
    AcousticGridSpec,
    AcousticNodeSpec,
    Area,
    EOIRSpec,
    RadarSpec,
    RFSpec,
    Scenario,
)

#: Metres per degree of latitude (equirectangular estimate of a grid area; the sensor layer
#: does the exact expansion).
M_PER_DEG = 111_320.0
#: The sensor layer refuses a grid whose square lattice before clipping to the area has more
#: than this many times max_nodes points (``sensors.acoustic.grid_nodes``).
GRID_OVERSHOOT = 50


@dataclass(frozen=True)
class Finding:
    """One budget violation: the field (a pydantic-style location), the value and the rule."""

    loc: tuple[Any, ...]
    value: Any
    rule: str


def _grid_size(g: AcousticGridSpec) -> tuple[int, float]:
    """(points of the square lattice before clipping, estimated nodes inside the area)."""
    a: Area = g.area
    if a.center is not None and a.radius_m is not None:
        half, area_m2 = a.radius_m, math.pi * a.radius_m ** 2
    else:
        pts = a.polygon or []
        lat0 = sum(p[0] for p in pts) / len(pts)
        lon0 = sum(p[1] for p in pts) / len(pts)
        kx = M_PER_DEG * math.cos(math.radians(lat0))
        xy = [((p[1] - lon0) * kx, (p[0] - lat0) * M_PER_DEG) for p in pts]
        half = max(max(abs(x), abs(y)) for x, y in xy)
        area_m2 = Polygon(xy).area if len(xy) >= 3 else 0.0
    n_side = 2 * math.floor(half / g.spacing_m) + 1
    return n_side * n_side, min(float(g.max_nodes), area_m2 / g.spacing_m ** 2 + 1.0)


def findings(sc: Scenario) -> list[Finding]:
    """Every budget violation of ``sc`` (empty: it fits)."""
    out: list[Finding] = []
    steps = sc.time.duration_s / sc.time.step_s
    if steps > MAX_SIM_STEPS:
        out.append(Finding(("time", "step_s"), sc.time.step_s,
                           f"duration_s / step_s = {steps:,.0f} truth steps; at most "
                           f"{MAX_SIM_STEPS:,} (docs/limits.md): raise step_s or shorten "
                           "duration_s"))
    t = sc.traffic
    groups = (("raids", t.raids), ("aircraft", t.aircraft), ("flows", t.flows),
              ("multirotors", t.multirotors), ("birds", t.birds))
    total = sum(it.count for _, items in groups for it in items)
    if total > MAX_PLATFORMS:
        big = max(((name, i, it.count) for name, items in groups for i, it in enumerate(items)),
                  key=lambda x: x[2])
        out.append(Finding(("traffic", big[0], big[1], "count"), big[2],
                           f"{total:,} platforms in all traffic; at most {MAX_PLATFORMS:,} "
                           "(docs/limits.md)"))
    n_sensors = 0.0
    fa_per_s = 0.0
    fa_worst: tuple[float, tuple[Any, ...], Any] = (0.0, ("sensors",), None)
    for i, s in enumerate(sc.sensors):
        nodes, fa, field = 1.0, 0.0, ""
        if isinstance(s, AcousticGridSpec):
            lattice, nodes = _grid_size(s)
            if s.max_nodes > MAX_SENSORS:
                out.append(Finding(("sensors", i, "max_nodes"), s.max_nodes,
                                   f"at most {MAX_SENSORS:,} sensors (docs/limits.md)"))
            if lattice > GRID_OVERSHOOT * min(s.max_nodes, MAX_SENSORS):
                out.append(Finding(("sensors", i, "spacing_m"), s.spacing_m,
                                   f"a {math.isqrt(lattice):,} x {math.isqrt(lattice):,} grid "
                                   f"over the area, far more than max_nodes {s.max_nodes:,}: "
                                   "raise spacing_m or shrink the area"))
            fa, field = s.false_alarms_per_hour / 3600.0 * nodes, "false_alarms_per_hour"
        elif isinstance(s, RadarSpec):
            fa, field = s.false_alarms_per_scan / s.scan_period_s, "false_alarms_per_scan"
        elif isinstance(s, (AcousticNodeSpec, RFSpec, EOIRSpec)):
            fa, field = s.false_alarms_per_hour / 3600.0, "false_alarms_per_hour"
        n_sensors += nodes
        fa_per_s += fa
        if fa > fa_worst[0]:
            fa_worst = (fa, ("sensors", i, field), getattr(s, field))
    av = sc.sensor_health.availability
    if av:
        # expected silent failures of the random availabilities: duration x (1 - A) / mean
        # outage per sensor of a named type (acoustic grid nodes by the estimate above)
        n_by: dict[str, float] = {}
        for s in sc.sensors:
            typ = "acoustic" if isinstance(s, AcousticGridSpec) else getattr(s, "type", "")
            n_by[typ] = n_by.get(typ, 0.0) + (_grid_size(s)[1]
                                              if isinstance(s, AcousticGridSpec) else 1.0)
        expected = sum(n_by.get(k, 0.0) * sc.time.duration_s * (1.0 - a)
                       / sc.sensor_health.mean_outage_s for k, a in av.items())
        if expected > MAX_RANDOM_OUTAGES:
            out.append(Finding(("sensor_health", "mean_outage_s"),
                               sc.sensor_health.mean_outage_s,
                               f"~{expected:,.0f} random outages over the run; at most "
                               f"{MAX_RANDOM_OUTAGES:,} (docs/limits.md): raise mean_outage_s "
                               "or the availabilities"))
    if n_sensors > MAX_SENSORS:
        out.append(Finding(("sensors",), f"{n_sensors:,.0f} sensors",
                           f"~{n_sensors:,.0f} sensors with grid nodes; at most "
                           f"{MAX_SENSORS:,} (docs/limits.md)"))
    if fa_per_s > MAX_FALSE_ALARMS_PER_S:
        out.append(Finding(fa_worst[1], fa_worst[2],
                           f"{fa_per_s:,.0f} expected false alarms per second from all sensors; "
                           f"at most {MAX_FALSE_ALARMS_PER_S:,.0f} (docs/limits.md)"))
    for i, e in enumerate(sc.effectors):
        if e.count is not None and e.count > MAX_EFFECTOR_COUNT:
            out.append(Finding(("effectors", i, "count"), e.count,
                               f"at most {MAX_EFFECTOR_COUNT:,} shots at one site "
                               "(docs/limits.md)"))
    return out
