"""EO/IR cameras: azimuth/elevation with a small error and a class label drawn from a confusion
matrix P(label | true class). Vectorised over all cameras x all targets.

A target is seen when it is active, within ``max_range_m`` (slant range), inside the azimuth
FOV sector and the elevation limits, and above the (4/3-earth) horizon; it is then detected
with probability ``pd`` per report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from dronewall.catalog import PlatformClass
from dronewall.detections import DetectionBatch, MeasKind
from dronewall.errors import ConfigurationError
from dronewall.geo import radar_horizon_m
from dronewall.scenario.model import EOIRSpec
from dronewall.sensors.common import (
    TRUTH_FALSE_ALARM,
    Schedule,
    ScheduledModel,
    ground_distance_m,
    in_sector,
    local_geometry,
    poisson_sensor_draws,
    sector_span_deg,
    wrap_pi,
)
from dronewall.sim.state import PlatformTable, TruthState

F64 = NDArray[np.float64]

_C = PlatformClass
_NC = len(PlatformClass)
#: Tolerance on a confusion row's sum.
ROW_SUM_TOL = 1e-6

#: Default P(label | true class) [E]: 0.8 correct; the errors go to the look-alikes (Gerbera is
#: built to mimic Shahed; small UAVs vs birds at a few pixels) and to UNKNOWN.
DEFAULT_CONFUSION: dict[str, dict[str, float]] = {
    "MANNED_AIRCRAFT": {"MANNED_AIRCRAFT": 0.8, "RECON_UAV": 0.05, "UNKNOWN": 0.15},
    "ATTACK_DRONE": {"ATTACK_DRONE": 0.8, "DECOY": 0.12, "RECON_UAV": 0.03, "UNKNOWN": 0.05},
    "DECOY": {"DECOY": 0.8, "ATTACK_DRONE": 0.12, "RECON_UAV": 0.03, "UNKNOWN": 0.05},
    "RECON_UAV": {"RECON_UAV": 0.8, "ATTACK_DRONE": 0.05, "DECOY": 0.05, "UNKNOWN": 0.1},
    "MULTIROTOR": {"MULTIROTOR": 0.8, "BIRD": 0.1, "UNKNOWN": 0.1},
    "BIRD": {"BIRD": 0.8, "MULTIROTOR": 0.1, "UNKNOWN": 0.1},
    "UNKNOWN": {"UNKNOWN": 0.8, "BIRD": 0.1, "MULTIROTOR": 0.05, "ATTACK_DRONE": 0.05},
}


def _class_code(name: str, sensor_id: str, what: str) -> int:
    try:
        return int(PlatformClass[name.upper()])
    except KeyError:
        raise ConfigurationError(
            f"EO/IR sensor {sensor_id!r}: unknown class {name!r} in confusion {what}; allowed: "
            f"{', '.join(c.name for c in PlatformClass)}") from None


def confusion_matrix(sensor_id: str, confusion: Mapping[str, Mapping[str, float]] | None
                     ) -> F64:
    """(C, C) matrix P(label = column | true class = row) over PlatformClass codes.

    Rows absent from ``confusion`` take :data:`DEFAULT_CONFUSION`. Class names are PlatformClass
    names (case-insensitive). Raises ConfigurationError naming the sensor and the row for an
    unknown class, a negative probability, or a row not summing to 1.
    """
    mat = np.zeros((_NC, _NC))
    given = {} if confusion is None else dict(confusion)
    for name, row in given.items():
        _class_code(name, sensor_id, "row")
        for col in row:
            _class_code(col, sensor_id, f"row {name!r}")
    rows = {**DEFAULT_CONFUSION, **{k.upper(): v for k, v in given.items()}}
    for name, row in rows.items():
        i = _class_code(name, sensor_id, "row")
        for col, p in row.items():
            if not p >= 0.0:
                raise ConfigurationError(f"EO/IR sensor {sensor_id!r}: confusion row {name!r} "
                                         f"has P({col})={p}; probabilities must be >= 0")
            mat[i, _class_code(col, sensor_id, f"row {name!r}")] = p
        total = mat[i].sum()
        if abs(total - 1.0) > ROW_SUM_TOL:
            raise ConfigurationError(f"EO/IR sensor {sensor_id!r}: confusion row {name!r} sums "
                                     f"to {total:.6g}, must sum to 1")
    return mat


def draw_labels(rng: np.random.Generator, cum_rows: F64) -> NDArray[np.int64]:
    """One label per row of ``cum_rows`` (M, C): cumulative P(label | true class) rows."""
    u = rng.random(cum_rows.shape[0])
    return np.minimum((u[:, None] >= cum_rows).sum(axis=1), _NC - 1).astype(np.int64)


class EOIRModel(ScheduledModel):
    """All EO/IR cameras of a suite (S rows of the sensor table)."""

    def __init__(self, specs: Sequence[EOIRSpec], rows: NDArray[np.int32], ecef: F64, rot: F64
                 ) -> None:
        self.specs = list(specs)
        self.rows = np.asarray(rows, dtype=np.int32)
        self.ecef, self.rot = ecef, rot
        for s in self.specs:
            if (len(s.fov_az_deg) != 2 or len(s.fov_el_deg) != 2
                    or s.fov_el_deg[0] >= s.fov_el_deg[1]):
                raise ConfigurationError(f"EO/IR sensor {s.id!r}: fov_az_deg must be [start, end] "
                                         "and fov_el_deg [low, high] with low < high")
        self.confusion = np.stack([confusion_matrix(s.id, s.confusion) for s in self.specs]
                                  ) if self.specs else np.zeros((0, _NC, _NC))
        cum = np.cumsum(self.confusion, axis=2)
        cum[:, :, -1] = 1.0  # guard the last edge against rounding
        self._cum = cum
        def f(name: str) -> F64:
            return np.array([getattr(s, name) for s in self.specs], dtype=np.float64)

        self.lat_deg = np.array([s.position[0] for s in self.specs], dtype=np.float64)
        self.lon_deg = np.array([s.position[1] for s in self.specs], dtype=np.float64)
        self.height_m = f("height_m")
        self.az0 = np.array([s.fov_az_deg[0] for s in self.specs], dtype=np.float64)
        self.az1 = np.array([s.fov_az_deg[1] for s in self.specs], dtype=np.float64)
        self.el0 = np.radians([s.fov_el_deg[0] for s in self.specs]).astype(np.float64)
        self.el1 = np.radians([s.fov_el_deg[1] for s in self.specs]).astype(np.float64)
        self.max_range_m = f("max_range_m")
        self.pd = f("pd")
        self.sig = np.radians(f("sigma_deg"))
        period = f("report_period_s")
        self.fa_per_report = f("false_alarms_per_hour") * period / 3600.0
        self.schedule = Schedule([s.id for s in self.specs], period)

    def _targets(self, due: NDArray[np.int64], state: TruthState, platforms: PlatformTable,
                 rng: np.random.Generator) -> DetectionBatch:
        tgt = np.flatnonzero(state.active)
        if tgt.size == 0:
            return DetectionBatch.empty()
        _, rng_m, az, el = local_geometry(self.ecef[due], self.rot[due], state.ecef[tgt])
        ground = ground_distance_m(self.lat_deg[due, None], self.lon_deg[due, None],
                                   state.lat_deg[None, tgt], state.lon_deg[None, tgt])
        seen = ((rng_m <= self.max_range_m[due, None])
                & (ground <= radar_horizon_m(self.height_m[due, None], state.alt_m[None, tgt]))
                & (el >= self.el0[due, None]) & (el <= self.el1[due, None])
                & in_sector(az, self.az0[due, None], self.az1[due, None]))
        det = seen & (rng.random(seen.shape) < self.pd[due, None])
        si, pj = np.nonzero(det)
        m = si.size
        if m == 0:
            return DetectionBatch.empty()
        s_row = due[si]
        ti = tgt[pj]
        e = rng.standard_normal((m, 2))
        z = np.column_stack([wrap_pi(az[si, pj] + self.sig[s_row] * e[:, 0]),
                             el[si, pj] + self.sig[s_row] * e[:, 1]])
        true_cls = platforms.cls[ti].astype(np.int64)
        label = draw_labels(rng, self._cum[s_row, true_cls])
        return DetectionBatch.create(
            t=np.full(m, state.t), sensor=self.rows[s_row], meas_kind=MeasKind.AZEL, z=z,
            R=self._cov(s_row), class_label=label, truth_id=ti)

    def _cov(self, s_row: NDArray[np.int64]) -> F64:
        cov = np.zeros((s_row.size, 2, 2))
        cov[:, 0, 0] = cov[:, 1, 1] = self.sig[s_row] ** 2
        return cov

    def _false_alarms(self, due: NDArray[np.int64], t: float, rng: np.random.Generator
                      ) -> DetectionBatch:
        """Poisson(false_alarms_per_hour * period / 3600) per due camera, uniform in the FOV,
        labelled as if their true class were UNKNOWN (the camera's UNKNOWN confusion row)."""
        s_row = due[poisson_sensor_draws(rng, self.fa_per_report[due])]
        n = s_row.size
        if n == 0:
            return DetectionBatch.empty()
        u = rng.random((n, 2))
        span = sector_span_deg(self.az0[s_row], self.az1[s_row])
        az = wrap_pi(np.radians(self.az0[s_row] + u[:, 0] * span))
        el = self.el0[s_row] + u[:, 1] * (self.el1[s_row] - self.el0[s_row])
        unknown = np.full(n, int(_C.UNKNOWN), dtype=np.int64)
        label = draw_labels(rng, self._cum[s_row, unknown])
        return DetectionBatch.create(
            t=np.full(n, t), sensor=self.rows[s_row], meas_kind=MeasKind.AZEL,
            z=np.column_stack([az, el]), R=self._cov(s_row), class_label=label,
            truth_id=np.full(n, TRUTH_FALSE_ALARM))
