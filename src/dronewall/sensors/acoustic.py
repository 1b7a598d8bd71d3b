"""Acoustic nodes (Sky Fortress-like: a microphone on a pole, $400-500 each) reporting bearings.

Vectorised over all nodes (single nodes and expanded grids together, N up to ~10^4) and pruned
with a KD-tree on node ECEF positions, so only node-target pairs that could possibly hear each
other are evaluated. Equations and sources: ``docs/sensors.md``.

Model per node-target pair at slant range R (m):

    RL  = SL - 20 log10(R / 1 m) - alpha * R                 received level, dB re 20 uPa
    SNR = RL - NL(environment) + G_p                          dB
    Pd  = 1 / (1 + exp(-(SNR - detection_snr_db) / W))       logistic, Pd = 0.5 at the threshold
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from shapely import intersects_xy
from shapely.geometry import Polygon

from dronewall.catalog import AcousticClass
from dronewall.detections import DetectionBatch, MeasKind
from dronewall.detections.acoustics import (  # noqa: F401 (audible_range_m: re-export)
    ABSORPTION_DB_PER_M,
    audible_range_m,
    transmission_loss_db,
)
from dronewall.errors import ConfigurationError
from dronewall.geo import Frame
from dronewall.scenario.model import AcousticGridSpec, AcousticNodeSpec, AcousticParams
from dronewall.sensors.common import (
    TRUTH_FALSE_ALARM,
    Schedule,
    poisson_sensor_draws,
    wrap_pi,
)
from dronewall.sim.state import PlatformTable, TruthState

F64 = NDArray[np.float64]

#: Ambient noise level (dB re 20 uPa, broadband) per environment [E]: quiet rural night
#: 30-40 dB, urban 55-65 dB (DHS C-UAS guide: acoustic performance drops in urban noise).
AMBIENT_NOISE_DB: dict[str, float] = {"rural": 35.0, "urban": 58.0}
#: Processing gain (dB) of harmonic-line detection over a broadband ambient level [E]: engine
#: and rotor noise is concentrated in harmonic lines while ambient noise is spread over the
#: band. Chosen so a 105 dB Shahed-class engine is heard (Pd 0.5) at ~3 km by a rural node and
#: a 78 dB DJI-class multirotor at ~270 m (published: 200-500 m with ML detectors).
PROCESSING_GAIN_DB = 12.0
#: Logistic width W (dB) of the Pd(SNR) curve [E]: Pd goes 0.1 -> 0.9 over +-4.4 dB.
LOGISTIC_WIDTH_DB = 2.0
#: Pairs whose Pd would be below this are not evaluated (range cut-off of the KD-tree query).
PD_FLOOR = 1e-3
#: Probability that the node's classifier reports another acoustic class than the true one
#: (uniformly among the others) [E].
CLASS_CONFUSION_P = 0.05
#: Std (dB) of the SNR a node reports around the true SNR [E].
SNR_REPORT_SIGMA_DB = 1.0

_N_CLASSES = len([c for c in AcousticClass if c != AcousticClass.NONE])
#: SNR margin (dB) below the threshold at which Pd = PD_FLOOR.
_CUT_MARGIN_DB = LOGISTIC_WIDTH_DB * float(np.log((1.0 - PD_FLOOR) / PD_FLOOR))


def acoustic_pd(snr_db: F64, detection_snr_db: F64 | float) -> F64:
    """Logistic Pd(SNR) with Pd = 0.5 at ``detection_snr_db`` and width LOGISTIC_WIDTH_DB."""
    return 1.0 / (1.0 + np.exp(-(np.asarray(snr_db) - detection_snr_db) / LOGISTIC_WIDTH_DB))


def acoustic_snr_db(source_level_db: F64, range_m: F64, noise_db: F64) -> F64:
    """SNR (dB) at a node: SL - 20 log10(R) - alpha R - NL + G_p."""
    return source_level_db - transmission_loss_db(range_m) - noise_db + PROCESSING_GAIN_DB


@dataclass(frozen=True)
class NodeLayout:
    """Acoustic node positions and parameters after grid expansion (N rows)."""

    ids: list[str]
    lat_deg: F64
    lon_deg: F64
    height_m: F64
    params: list[AcousticParams]  # one per node (shared objects for grid nodes)


def grid_nodes(spec: AcousticGridSpec) -> tuple[list[str], F64, F64]:
    """Expand a grid: a square lattice of pitch ``spacing_m`` through the area's centre (circle
    centre, or the mean of the polygon's vertices), laid in the local ENU tangent plane there,
    clipped to the area. Nodes are ordered south->north then west->east and named ``<id>-<k>``.
    Returns (ids, lat_deg, lon_deg).
    """
    a = spec.area
    if a.center is not None and a.radius_m is not None:
        lat0, lon0 = a.center
        frame = Frame(lat0, lon0)
        half = a.radius_m
        poly_xy = None
    else:
        assert a.polygon is not None
        pts = np.asarray(a.polygon, dtype=np.float64)
        lat0, lon0 = float(pts[:, 0].mean()), float(pts[:, 1].mean())
        frame = Frame(lat0, lon0)
        poly_xy = frame.geodetic_to_local(pts[:, 0], pts[:, 1], np.zeros(len(pts)))[:, :2]
        half = float(np.abs(poly_xy).max())
    n_half = int(np.floor(half / spec.spacing_m))
    n_side = 2 * n_half + 1
    if n_side * n_side > 50 * spec.max_nodes:
        raise ConfigurationError(f"acoustic grid {spec.id!r}: spacing {spec.spacing_m} m over an "
                                 f"area {2 * half:.0f} m across gives far more than max_nodes "
                                 f"{spec.max_nodes}")
    k = np.arange(-n_half, n_half + 1, dtype=np.float64) * spec.spacing_m
    north, east = np.meshgrid(k, k, indexing="ij")  # rows: south -> north
    east, north = east.ravel(), north.ravel()
    if poly_xy is None:
        inside = np.hypot(east, north) <= spec.area.radius_m  # type: ignore[operator]
    else:
        inside = intersects_xy(Polygon(poly_xy), east, north)  # boundary counts as inside
    east, north = east[inside], north[inside]
    if east.size == 0:
        raise ConfigurationError(f"acoustic grid {spec.id!r}: no node falls inside its area at "
                                 f"spacing {spec.spacing_m} m")
    if east.size > spec.max_nodes:
        raise ConfigurationError(f"acoustic grid {spec.id!r}: {east.size} nodes exceed max_nodes "
                                 f"{spec.max_nodes}; raise max_nodes or spacing_m")
    lat, lon, _ = frame.local_to_geodetic(np.column_stack([east, north, np.zeros(east.size)]))
    ids = [f"{spec.id}-{i}" for i in range(east.size)]
    return ids, np.asarray(lat), np.asarray(lon)


def expand_nodes(specs: Sequence[AcousticNodeSpec | AcousticGridSpec]) -> NodeLayout:
    """All acoustic nodes, in scenario order, grids expanded in place."""
    ids: list[str] = []
    lat: list[F64] = []
    lon: list[F64] = []
    hgt: list[F64] = []
    params: list[AcousticParams] = []
    for s in specs:
        if isinstance(s, AcousticGridSpec):
            gi, glat, glon = grid_nodes(s)
        else:
            gi, glat, glon = [s.id], np.array([s.position[0]]), np.array([s.position[1]])
        ids += gi
        lat.append(glat)
        lon.append(glon)
        hgt.append(np.full(len(gi), s.height_m))
        params += [s] * len(gi)
    def cat(xs: list[F64]) -> F64:
        return np.concatenate(xs) if xs else np.zeros(0)

    return NodeLayout(ids, cat(lat), cat(lon), cat(hgt), params)


class AcousticModel:
    """All acoustic nodes of a suite: N rows of the sensor table, parameters as (N,) arrays."""

    def __init__(self, layout: NodeLayout, rows: NDArray[np.int32], ecef: F64, rot: F64) -> None:
        self.rows = np.asarray(rows, dtype=np.int32)
        self.ids = layout.ids
        self.ecef, self.rot = ecef, rot
        p = layout.params
        self.noise_db = np.array([AMBIENT_NOISE_DB[q.environment] for q in p], dtype=np.float64)
        self.snr50_db = np.array([q.detection_snr_db for q in p], dtype=np.float64)
        self.sig_b = np.radians([q.sigma_bearing_deg for q in p]).astype(np.float64)
        period = np.array([q.report_period_s for q in p], dtype=np.float64)
        self.report_period_s = period
        self.fa_per_report = (np.array([q.false_alarms_per_hour for q in p], dtype=np.float64)
                              * period / 3600.0)
        self.schedule = Schedule(self.ids, period)
        self.tree = cKDTree(ecef) if len(self.ids) else None
        # The most sensitive node sets the cut-off: required level at Pd = PD_FLOOR.
        self._min_required_db = (float(np.min(self.noise_db + self.snr50_db)) - _CUT_MARGIN_DB
                                 - PROCESSING_GAIN_DB) if len(self.ids) else np.inf

    def __len__(self) -> int:
        return len(self.ids)

    def reset(self) -> None:
        self.schedule.reset()

    def cutoff_range_m(self, source_level_db: F64) -> F64:
        """Range (m) beyond which no node hears a source of this level with Pd >= PD_FLOOR."""
        return audible_range_m(np.asarray(source_level_db) - self._min_required_db)

    def observe(self, state: TruthState, platforms: PlatformTable, rng: np.random.Generator
                ) -> DetectionBatch:
        if not self.ids:
            return DetectionBatch.empty()
        due = self.schedule.due(state.t)
        if not due.any():
            return DetectionBatch.empty()
        return DetectionBatch.concat([self._targets(due, state, platforms, rng),
                                      self._false_alarms(due, state.t, rng)])

    def _targets(self, due: NDArray[np.bool_], state: TruthState, platforms: PlatformTable,
                 rng: np.random.Generator) -> DetectionBatch:
        sl = platforms.acoustic_sl_db
        audible = (state.active & np.isfinite(sl)
                   & (platforms.acoustic_class != AcousticClass.NONE))
        tgt = np.flatnonzero(audible)
        if tgt.size == 0:
            return DetectionBatch.empty()
        cut = self.cutoff_range_m(sl[tgt])
        assert self.tree is not None
        pairs = self.tree.sparse_distance_matrix(cKDTree(state.ecef[tgt]), float(cut.max()),
                                                 output_type="ndarray")
        node = pairs["i"].astype(np.int64)
        j = pairs["j"].astype(np.int64)
        r = pairs["v"]
        keep = due[node] & (r <= cut[j])
        if not keep.any():
            return DetectionBatch.empty()
        order = np.lexsort((j[keep], node[keep]))  # deterministic pair order: node, then target
        node, j, r = node[keep][order], j[keep][order], r[keep][order]
        ti = tgt[j]
        snr = acoustic_snr_db(sl[ti], r, self.noise_db[node])
        det = rng.random(node.size) < acoustic_pd(snr, self.snr50_db[node])
        k = np.flatnonzero(det)
        if k.size == 0:
            return DetectionBatch.empty()
        node, ti, snr = node[k], ti[k], snr[k]
        m = k.size
        d = state.ecef[ti] - self.ecef[node]
        rot = self.rot[node]
        east = np.einsum("mj,mj->m", rot[:, 0, :], d)
        north = np.einsum("mj,mj->m", rot[:, 1, :], d)
        e = rng.standard_normal((m, 2))
        bearing = wrap_pi(np.arctan2(east, north) + self.sig_b[node] * e[:, 0])
        label = _confuse(rng, platforms.acoustic_class[ti].astype(np.int64))
        snr_rep = snr + SNR_REPORT_SIGMA_DB * e[:, 1]
        return DetectionBatch.create(
            t=np.full(m, state.t), sensor=self.rows[node], meas_kind=MeasKind.BEARING,
            z=bearing[:, None], R=(self.sig_b[node] ** 2).reshape(m, 1, 1), class_label=label,
            snr_db=snr_rep, aux=self._received_level(node, snr_rep), truth_id=ti)

    def _received_level(self, node: NDArray[np.int64], snr_db: F64) -> F64:
        """aux (m, 3): column 0 = received level dB re 20 uPa implied by the reported SNR
        (RL = SNR + NL - G_p; a calibrated node reports it), columns 1-2 NaN."""
        aux = np.full((node.size, 3), np.nan)
        aux[:, 0] = snr_db + self.noise_db[node] - PROCESSING_GAIN_DB
        return aux

    def _false_alarms(self, due: NDArray[np.bool_], t: float, rng: np.random.Generator
                      ) -> DetectionBatch:
        """Poisson(false_alarms_per_hour * period / 3600) per due node and report; random
        bearing, random class, SNR just above the threshold (threshold + W * Exp(1))."""
        due_idx = np.flatnonzero(due)
        node = due_idx[poisson_sensor_draws(rng, self.fa_per_report[due_idx])]
        n = node.size
        if n == 0:
            return DetectionBatch.empty()
        u = rng.random((n, 3))
        bearing = wrap_pi((2.0 * u[:, 0] - 1.0) * np.pi)
        label = np.minimum((u[:, 1] * _N_CLASSES).astype(np.int64), _N_CLASSES - 1)
        snr = self.snr50_db[node] - LOGISTIC_WIDTH_DB * np.log1p(-u[:, 2])
        return DetectionBatch.create(
            t=np.full(n, t), sensor=self.rows[node], meas_kind=MeasKind.BEARING,
            z=bearing[:, None], R=(self.sig_b[node] ** 2).reshape(n, 1, 1), class_label=label,
            snr_db=snr, aux=self._received_level(node, snr),
            truth_id=np.full(n, TRUTH_FALSE_ALARM))


def _confuse(rng: np.random.Generator, true_class: NDArray[np.int64]) -> NDArray[np.int64]:
    """Report the true acoustic class, or with CLASS_CONFUSION_P one of the others uniformly."""
    n = true_class.size
    u = rng.random((n, 2))
    other = (true_class + 1 + (u[:, 1] * (_N_CLASSES - 1)).astype(np.int64)) % _N_CLASSES
    return np.where(u[:, 0] < CLASS_CONFUSION_P, other, true_class)
