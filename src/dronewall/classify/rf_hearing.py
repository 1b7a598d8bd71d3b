"""What the RF direction finders should hear of a track: RF silence as evidence.

A DJI-class quadcopter's video downlink, an FPV's analogue video and a reconnaissance UAV's
datalink transmit all the time the platform flies; an autonomous Shahed-class drone, a decoy,
a bird or a flock does not. So a slow, small track close to an RF detector that the detector
never hears is unlikely to be a multirotor or a reconnaissance UAV -- evidence radar
kinematics cannot give (a slow radar track with a small RCS is a flock, a multirotor or a
reconnaissance UAV alike), and the counterpart of the acoustic network's silence
(:mod:`dronewall.classify.hearing`; Koch 2007 on negative information).

Per step and track at ECEF position p, height h above the ellipsoid:

    Pd_d      = rf_pd(|p - q_d|, range_m_d, pd_max_d) * LOS_d(h) * due_d     detector d
    P_any     = 1 - prod_d (1 - Pd_d)                  an emitter there is reported this step
    P(heard | c) = emit_c * P_any                      emit_c: ``ClassifierConfig.rf_emit_p``

``rf_pd`` is the RF sensor model's own Pd curve (:mod:`dronewall.detections.rf_link`). "Heard"
is read from the step's RF bearings -- with or without the link protocol they name (a finder
reports emitters only; a SAPIENT RF node's bearings carry none) -- not from the tracker's
associations, exactly as for the acoustic nodes (:func:`~dronewall.classify.hearing.fit_reports`):
a report counts for every track whose bearing from the detector it fits; one that fits several
tracks is ambiguous for each of them (neither heard nor silent -- in a group of quadcopters the
detector's bearings are shared, and silence must not be read into them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from dronewall.classify.hearing import fit_reports, report_nodes
from dronewall.detections import DetectionBatch, MeasKind
from dronewall.detections.rf_link import rf_pd, rf_range_at_pd
from dronewall.geo import radar_horizon_m

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: A detector counts for a track only out to the range where its Pd falls to this (the same
#: reach in the model and in reading the reports).
REACH_PD = 0.01


@dataclass(frozen=True)
class RFNetwork:
    """The RF direction finders as the classifier needs them (K detectors).

    ``sensor_rows`` (K,): their rows in the engine's sensor table; ``ecef`` (K, 3) m; ``rot``
    (K, 3, 3) ECEF -> local ENU; ``height_m`` (K,): antenna height above ground (line of
    sight); ``range50_m`` (K,): range of Pd 0.5; ``pd_max`` (K,) (> 0.5); ``sigma_bearing_rad``
    (K,); ``report_period_s`` (K,) (a step shorter than it sees a report with probability
    dt / period).
    """

    sensor_rows: I64
    ecef: F64
    rot: F64
    height_m: F64
    range50_m: F64
    pd_max: F64
    sigma_bearing_rad: F64
    report_period_s: F64
    #: bearing gate of a report that "fits" a track, in combined standard deviations
    gate_sd: float = 3.0
    #: the network's reach, m: the farthest range at which a detector has Pd ``REACH_PD``
    max_range_m: float = field(init=False)

    def __post_init__(self) -> None:
        k = int(np.asarray(self.sensor_rows).size)
        for name, shape in (("ecef", (k, 3)), ("rot", (k, 3, 3)), ("height_m", (k,)),
                            ("range50_m", (k,)), ("pd_max", (k,)),
                            ("sigma_bearing_rad", (k,)), ("report_period_s", (k,))):
            if np.asarray(getattr(self, name)).shape != shape:
                raise ValueError(f"RFNetwork.{name}: expected shape {shape}, "
                                 f"got {np.asarray(getattr(self, name)).shape}")
        pm = np.asarray(self.pd_max, dtype=np.float64)
        if not (np.all((pm > 0.5) & (pm <= 1.0)) and np.all(np.asarray(self.range50_m) > 0)
                and np.all(np.asarray(self.report_period_s) > 0) and self.gate_sd > 0):
            raise ValueError("RFNetwork: pd_max must be in (0.5, 1], range50_m, "
                             "report_period_s and gate_sd > 0")
        reach = (float(np.max(rf_range_at_pd(REACH_PD, self.range50_m, pm))) if k else 1.0)
        object.__setattr__(self, "max_range_m", reach)

    def __len__(self) -> int:
        return int(np.asarray(self.sensor_rows).size)

    def p_any(self, ecef: F64, height_m: F64, dt_s: float,
              up: NDArray[np.bool_] | None = None) -> F64:
        """(N,) probability that at least one detector reports an emitter at ``ecef`` (N, 3)
        m, ``height_m`` (N,) m above the ellipsoid, within a step of ``dt_s`` s. ``up`` (K,):
        the detectors listening (:mod:`dronewall.detections.health`; None: all)."""
        pos = np.asarray(ecef, dtype=np.float64).reshape(-1, 3)
        n = pos.shape[0]
        if n == 0 or len(self) == 0:
            return np.zeros(n)
        d = pos[:, None, :] - self.ecef[None, :, :]                        # (N, K, 3)
        rng_m = np.linalg.norm(d, axis=2)
        enu = np.einsum("kij,nkj->nki", self.rot, d)
        ground = np.hypot(enu[..., 0], enu[..., 1])
        h = np.maximum(np.asarray(height_m, dtype=np.float64).reshape(-1), 0.0)
        los = ground <= radar_horizon_m(self.height_m[None, :], h[:, None])
        due = np.clip(dt_s / self.report_period_s, 0.0, 1.0)
        if up is not None:
            due = due * np.asarray(up, dtype=bool).reshape(-1)
        pd = rf_pd(rng_m, self.range50_m[None, :], self.pd_max[None, :]) * los * due[None, :]
        pd = np.where(rng_m <= self.max_range_m, pd, 0.0)
        return np.asarray(-np.expm1(np.log1p(-np.minimum(pd, 1.0 - 1e-12)).sum(axis=1)))

    def heard(self, ecef: F64, pos_sd_m: F64,
              det: DetectionBatch) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        """Of tracks at ``ecef`` (N, 3) m with horizontal position sd ``pos_sd_m`` (N,) m:
        (heard (N,), ambiguous (N,)) by this step's RF bearings."""
        pos = np.asarray(ecef, dtype=np.float64).reshape(-1, 3)
        n = pos.shape[0]
        if n == 0 or len(det) == 0 or len(self) == 0:
            return np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        node = report_nodes(self.sensor_rows, det.sensor)
        mine = (node >= 0) & (np.asarray(det.meas_kind) == int(MeasKind.BEARING))
        return fit_reports(self.ecef, self.rot, self.sigma_bearing_rad, node[mine],
                           np.asarray(det.z, dtype=np.float64)[mine, 0], pos, pos_sd_m,
                           self.max_range_m, self.max_range_m, self.gate_sd)
