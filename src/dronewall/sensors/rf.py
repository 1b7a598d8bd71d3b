"""Passive RF detectors: bearings to emitting platforms (C2 / video / datalink emitters).

Only platforms with ``rf_protocol != NONE`` can be detected (autonomous Shahed/Gerbera and
fibre-optic FPVs are invisible to RF). Vectorised over all RF sensors x all emitters.

Detection probability: :func:`dronewall.detections.rf_link.rf_pd`, a logistic in log-range
with ``Pd(range_m) = 0.5`` (shared with the classifier, which reads RF silence with the same
model). Line of sight is required (4/3-earth horizon, as for radar).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from dronewall.catalog import RFProtocol
from dronewall.detections import DetectionBatch, MeasKind
from dronewall.detections.rf_link import rf_pd
from dronewall.errors import ConfigurationError
from dronewall.geo import radar_horizon_m
from dronewall.scenario.model import RFSpec
from dronewall.sensors.common import (
    TRUTH_FALSE_ALARM,
    Schedule,
    ScheduledModel,
    ground_distance_m,
    local_geometry,
    poisson_sensor_draws,
    wrap_pi,
)
from dronewall.sim.state import PlatformTable, TruthState

F64 = NDArray[np.float64]

_N_PROTOCOLS = len([p for p in RFProtocol if p != RFProtocol.NONE])


class RFModel(ScheduledModel):
    """All RF detectors of a suite (S rows of the sensor table)."""

    def __init__(self, specs: Sequence[RFSpec], rows: NDArray[np.int32], ecef: F64, rot: F64
                 ) -> None:
        self.specs = list(specs)
        for s in self.specs:
            if s.pd_max <= 0.5:
                raise ConfigurationError(f"RF sensor {s.id!r}: pd_max {s.pd_max} must exceed 0.5 "
                                         "for range_m to be the range where Pd = 0.5")
        self.rows = np.asarray(rows, dtype=np.int32)
        self.ecef, self.rot = ecef, rot
        self.lat_deg = np.array([s.position[0] for s in self.specs], dtype=np.float64)
        self.lon_deg = np.array([s.position[1] for s in self.specs], dtype=np.float64)
        self.height_m = np.array([s.height_m for s in self.specs], dtype=np.float64)
        self.range50_m = np.array([s.range_m for s in self.specs], dtype=np.float64)
        self.pd_max = np.array([s.pd_max for s in self.specs], dtype=np.float64)
        self.sig_b = np.radians([s.sigma_bearing_deg for s in self.specs]).astype(np.float64)
        period = np.array([s.report_period_s for s in self.specs], dtype=np.float64)
        self.fa_per_report = (np.array([s.false_alarms_per_hour for s in self.specs])
                              * period / 3600.0)
        self.schedule = Schedule([s.id for s in self.specs], period)

    def _targets(self, due: NDArray[np.int64], state: TruthState, platforms: PlatformTable,
                 rng: np.random.Generator) -> DetectionBatch:
        tgt = np.flatnonzero(state.active & (platforms.rf_protocol != RFProtocol.NONE))
        if tgt.size == 0:
            return DetectionBatch.empty()
        _, rng_m, az, _ = local_geometry(self.ecef[due], self.rot[due], state.ecef[tgt])
        ground = ground_distance_m(self.lat_deg[due, None], self.lon_deg[due, None],
                                   state.lat_deg[None, tgt], state.lon_deg[None, tgt])
        los = ground <= radar_horizon_m(self.height_m[due, None], state.alt_m[None, tgt])
        pd = np.where(los, rf_pd(rng_m, self.range50_m[due, None], self.pd_max[due, None]), 0.0)
        si, pj = np.nonzero(rng.random(pd.shape) < pd)
        m = si.size
        if m == 0:
            return DetectionBatch.empty()
        si_row = due[si]
        b = wrap_pi(az[si, pj] + self.sig_b[si_row] * rng.standard_normal(m))
        return DetectionBatch.create(
            t=np.full(m, state.t), sensor=self.rows[si_row], meas_kind=MeasKind.BEARING,
            z=b[:, None], R=(self.sig_b[si_row] ** 2).reshape(m, 1, 1),
            rf_protocol=platforms.rf_protocol[tgt[pj]], truth_id=tgt[pj])

    def _false_alarms(self, due: NDArray[np.int64], t: float, rng: np.random.Generator
                      ) -> DetectionBatch:
        """Poisson(false_alarms_per_hour * period / 3600) per due sensor: random bearing and
        random protocol tag (Wi-Fi and other ISM-band emitters mistaken for drone links)."""
        si = due[poisson_sensor_draws(rng, self.fa_per_report[due])]
        n = si.size
        if n == 0:
            return DetectionBatch.empty()
        u = rng.random((n, 2))
        return DetectionBatch.create(
            t=np.full(n, t), sensor=self.rows[si], meas_kind=MeasKind.BEARING,
            z=wrap_pi((2.0 * u[:, 0] - 1.0) * np.pi)[:, None],
            R=(self.sig_b[si] ** 2).reshape(n, 1, 1),
            rf_protocol=np.minimum((u[:, 1] * _N_PROTOCOLS).astype(np.int64), _N_PROTOCOLS - 1),
            truth_id=np.full(n, TRUTH_FALSE_ALARM))
