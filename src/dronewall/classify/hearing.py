"""What the acoustic network should hear of a track: silence as evidence.

A Shahed-class two-stroke engine (~105 dB re 20 uPa @ 1 m) is heard by a rural node at ~3 km, a
small decoy engine (~92 dB) at ~1.5 km, a multirotor (~80 dB) at a few hundred metres, a bird
flock not at all. A track that crosses a dense acoustic belt and is never heard is therefore
unlikely to carry an engine -- evidence radar kinematics cannot give (a slow radar track with a
small RCS is a bird flock, a multirotor or a reconnaissance UAV alike). Negative information of
this kind is standard in tracking (Koch, "On exploiting negative sensor evidence for target
tracking and sensor data fusion", Information Fusion 8, 2007).

Per step and track, with the track at ECEF position p and class c of source level SL_c:

    Pd_n(SL)   = logistic((SL - TL(r_n) - RL50_n) / W) * due_n        node n at slant range r_n
    P(heard|c) = E_SL~N(SL_c, sd_c) [ 1 - prod_n (1 - Pd_n(SL)) ]      3-point Gauss-Hermite

``RL50_n`` is the received level at which node n reports with probability 0.5 and ``W`` the
width of its Pd curve (the node's calibration); ``TL`` is :func:`transmission_loss_db`. Only
the ``max_nodes`` nearest nodes within the network's reach are summed: a node counts for a
track only within the range at which it would hear the loudest drone engine considered
(``reach_level_db``) with Pd 1 % -- the same reach in the model and in reading the reports, so
a jet heard 15 km away neither is expected nor counts there.

"Heard" is read from the step's acoustic reports, not from the tracker's associations: a
report counts for every track whose bearing from the reporting node it fits (within
``gate_sd`` standard deviations of the node's bearing error and the track's position
uncertainty seen from the node). In a group of drones the tracker may leave an ambiguous
bearing unassociated; the track was still heard, and silence must not be read into it. A report
that fits several tracks is *ambiguous* for each of them: it says neither heard nor silent
(a bird flock on the bearing of a passing Shahed was not heard by it). Tracks beyond the reach,
up to ``explain_range_m``, count among those a report fits, never as heard: an airliner 10.5 km
up and 8 km away explains the report on its bearing, which then says nothing of a flock on the
same bearing near the node (flagship seed 10: without this a flock track "heard" that way was
called a multirotor and listed as a violation).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from dronewall.detections import DetectionBatch, MeasKind
from dronewall.detections.acoustics import audible_range_m, transmission_loss_db

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Gauss-Hermite (probabilists') 3-point rule: abscissae in sd units and weights.
_GH_X = np.array([-np.sqrt(3.0), 0.0, np.sqrt(3.0)])
_GH_W = np.array([1.0 / 6.0, 2.0 / 3.0, 1.0 / 6.0])


@dataclass(frozen=True)
class AcousticNetwork:
    """The acoustic nodes as the classifier needs them (K nodes).

    ``sensor_rows`` (K,): the nodes' rows in the engine's sensor table (``DetectionBatch.sensor``);
    ``ecef`` (K, 3) m; ``rot`` (K, 3, 3) ECEF -> local ENU; ``rl50_db`` (K,): received level
    (dB re 20 uPa) at which the node reports with probability 0.5; ``width_db``: logistic
    width of the Pd curve, dB; ``sigma_bearing_rad`` (K,): 1-sigma bearing error;
    ``report_period_s`` (K,): reporting interval (a step shorter than it sees a report from a
    node with probability dt / period).
    """

    sensor_rows: I64
    ecef: F64
    rot: F64
    rl50_db: F64
    width_db: float
    sigma_bearing_rad: F64
    report_period_s: F64
    #: nearest nodes summed per track (the farther ones hear far less)
    max_nodes: int = 24
    #: source level (dB re 20 uPa @ 1 m) whose 1 % audible range is the network's reach: a
    #: Shahed-class engine 105 dB + 2 sd (``ClassifierConfig.sl_mean_db``, ``sl_sd_db``)
    reach_level_db: float = 112.0
    #: bearing gate of a report that "fits" a track, in combined standard deviations
    gate_sd: float = 3.0
    #: a report also fits tracks beyond the reach up to this slant range, m -- never as heard
    #: (their model expects nothing there), but as another source that may have made it: an
    #: airliner 13 km from a node explains the report on its bearing, which then says nothing
    #: of a bird flock on the same bearing near the node (the engine's
    #: ``bearing_explain_range_m``, 20 km, is the same idea)
    explain_range_m: float = 20_000.0
    #: the network's reach, m (derived from ``reach_level_db``)
    max_range_m: float = field(init=False)
    _tree: cKDTree | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        k = int(np.asarray(self.sensor_rows).size)
        for name, shape in (("ecef", (k, 3)), ("rot", (k, 3, 3)), ("rl50_db", (k,)),
                            ("sigma_bearing_rad", (k,)), ("report_period_s", (k,))):
            if np.asarray(getattr(self, name)).shape != shape:
                raise ValueError(f"AcousticNetwork.{name}: expected shape {shape}, "
                                 f"got {np.asarray(getattr(self, name)).shape}")
        if not (self.width_db > 0 and self.max_nodes >= 1 and self.gate_sd > 0
                and np.isfinite(self.reach_level_db) and self.explain_range_m >= 0):
            raise ValueError("AcousticNetwork: width_db, max_nodes and gate_sd must be > 0, "
                             "reach_level_db finite, explain_range_m >= 0")
        if not np.all(np.asarray(self.report_period_s) > 0):
            raise ValueError("AcousticNetwork.report_period_s must be > 0")
        object.__setattr__(self, "_tree", cKDTree(self.ecef) if k else None)
        # reach: TL at which the most sensitive node hears reach_level_db with Pd = 1 %
        budget = (self.reach_level_db - float(np.min(self.rl50_db)) + self.width_db * np.log(99.0)
                  if k else 0.0)
        object.__setattr__(self, "max_range_m", float(audible_range_m(np.array([budget]))[0])
                           if budget > 0 else 1.0)

    def __len__(self) -> int:
        return int(np.asarray(self.sensor_rows).size)

    def p_heard(self, ecef: F64, sl_mean_db: F64, sl_sd_db: F64, dt_s: float,
                up: NDArray[np.bool_] | None = None) -> F64:
        """(N, C) probability that at least one node reports a source at ``ecef`` (N, 3) m
        within a step of ``dt_s`` s, for each of C source-level distributions (means and sds,
        dB re 20 uPa @ 1 m). Rows with no node within ``max_range_m`` are 0. ``up`` (K,):
        the nodes listening (:mod:`dronewall.detections.health`; a node that is down hears
        nothing; None: all)."""
        pos = np.asarray(ecef, dtype=np.float64).reshape(-1, 3)
        mean = np.asarray(sl_mean_db, dtype=np.float64).reshape(-1)
        sd = np.asarray(sl_sd_db, dtype=np.float64).reshape(-1)
        n, c = pos.shape[0], mean.size
        out = np.zeros((n, c))
        tree = self._tree
        if n == 0 or tree is None:
            return out
        k = min(self.max_nodes, len(self))
        r, j = tree.query(pos, k=k, distance_upper_bound=self.max_range_m)
        r, j = r.reshape(n, k), j.reshape(n, k)
        ok = np.isfinite(r)
        jj = np.where(ok, j, 0)
        due = np.clip(dt_s / self.report_period_s[jj], 0.0, 1.0) * ok          # (N, k)
        if up is not None:
            due = due * np.asarray(up, dtype=bool).reshape(-1)[jj]
        excess = -transmission_loss_db(np.where(ok, r, 1.0)) - self.rl50_db[jj]  # (N, k)
        levels = mean[:, None] + sd[:, None] * _GH_X[None, :]                   # (C, 3)
        z = (levels[None, None, :, :] + excess[:, :, None, None]) / self.width_db
        pd = due[:, :, None, None] / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))  # (N, k, C, 3)
        log_miss = np.log1p(-np.minimum(pd, 1.0 - 1e-12)).sum(axis=1)          # (N, C, 3)
        out = (-np.expm1(log_miss) * _GH_W).sum(axis=-1)
        return out

    def heard(self, ecef: F64, pos_sd_m: F64,
              det: DetectionBatch) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        """Of tracks at ``ecef`` (N, 3) m with horizontal position sd ``pos_sd_m`` (N,) m:
        (heard (N,), ambiguous (N,)). ``heard``: an acoustic report in ``det`` fits the track's
        bearing from its node and no other track's; ``ambiguous``: not heard, but a report
        fits it together with other tracks."""
        pos = np.asarray(ecef, dtype=np.float64).reshape(-1, 3)
        n = pos.shape[0]
        out = np.zeros(n, dtype=bool)
        amb = np.zeros(n, dtype=bool)
        if n == 0 or len(det) == 0 or len(self) == 0:
            return out, amb
        node = report_nodes(self.sensor_rows, det.sensor)
        mine = (node >= 0) & (np.asarray(det.meas_kind) == int(MeasKind.BEARING))
        if not mine.any():
            return out, amb
        return fit_reports(self.ecef, self.rot, self.sigma_bearing_rad, node[mine],
                           np.asarray(det.z, dtype=np.float64)[mine, 0], pos, pos_sd_m,
                           self.max_range_m, self.explain_range_m, self.gate_sd)


def report_nodes(sensor_rows: I64, sensor: NDArray[np.integer]) -> I64:
    """(M,) the node (index into ``sensor_rows``, the nodes' sensor-table rows) of each
    detection's ``sensor`` row, -1 for other sensors: a sorted search, not a lookup table
    sized by the largest sensor index (the step's raw detections may carry any index; the
    engine quarantines bad ones, and a table sized by one would allocate gigabytes)."""
    rows = np.asarray(sensor_rows, dtype=np.int64)
    if rows.size == 0:
        return np.full(np.asarray(sensor).size, -1, np.int64)
    order = np.argsort(rows, kind="stable")
    srt = rows[order]
    sen = np.asarray(sensor, dtype=np.int64)
    at = np.minimum(np.searchsorted(srt, sen), srt.size - 1)
    return np.where(srt[at] == sen, order[at], -1).astype(np.int64)


def fit_reports(node_ecef: F64, node_rot: F64, node_sig_rad: F64, node: I64, bearing: F64,
                pos: F64, pos_sd_m: F64, reach_m: float, explain_m: float, gate_sd: float
                ) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Which tracks (at ECEF ``pos`` (N, 3) m, horizontal position sd ``pos_sd_m`` (N,) m) the
    bearing reports fit: report i is ``bearing[i]`` (rad from north) from node ``node[i]``
    (rows of ``node_ecef`` (K, 3), ``node_rot`` (K, 3, 3) ECEF -> ENU, ``node_sig_rad`` (K,)
    bearing sd). A report fits a track within ``gate_sd`` combined sds (the node's bearing
    error and the track's position sd seen from the node) and ``explain_m`` of the node;
    within ``reach_m`` it may count as heard. Returns (heard (N,): a report within reach
    fits the track and no other track; ambiguous (N,): not heard, but a report within reach
    fits it together with other tracks)."""
    n = pos.shape[0]
    out = np.zeros(n, dtype=bool)
    amb = np.zeros(n, dtype=bool)
    if n == 0 or node.size == 0:
        return out, amb
    pairs = cKDTree(node_ecef[node]).sparse_distance_matrix(
        cKDTree(pos), max(reach_m, explain_m), output_type="ndarray")
    if pairs.size == 0:
        return out, amb
    di = pairs["i"].astype(np.int64)       # report
    ti = pairs["j"].astype(np.int64)       # track
    near = pairs["v"] <= reach_m           # within reach: may be heard
    nd = node[di]
    d = pos[ti] - node_ecef[nd]
    rot = node_rot[nd]
    east = np.einsum("mj,mj->m", rot[:, 0, :], d)
    north = np.einsum("mj,mj->m", rot[:, 1, :], d)
    rng_h = np.maximum(np.hypot(east, north), 1.0)
    az = np.arctan2(east, north)
    diff = np.abs((bearing[di] - az + np.pi) % (2.0 * np.pi) - np.pi)
    sd_track = np.arctan2(np.asarray(pos_sd_m, dtype=np.float64)[ti], rng_h)
    tol = gate_sd * np.hypot(node_sig_rad[nd], sd_track)
    fit = diff <= tol
    fits_per_report = np.bincount(di[fit], minlength=node.size)
    excl = fit & near & (fits_per_report[di] == 1)
    out[ti[excl]] = True
    amb[ti[fit & near & ~excl]] = True
    return out, amb & ~out
