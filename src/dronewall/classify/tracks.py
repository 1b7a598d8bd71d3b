"""Classification of a running track picture: per-track recursive Bayesian state (push API).

:class:`TrackClassifier` owns, per track id, the (C,) log-posterior of :mod:`bayes`, the summed
evidence contributions (for explanations) and the last heading (for turn rate). Each
``step(t, snapshot, pos, vel)`` turns the engine's confirmed tracks into :class:`bayes.Evidence`
and updates them. All state is arrays keyed by sorted track id (``searchsorted``), no object per
track.

**Lineage.** Trackers fragment: a track coasts out in a coverage gap or at the edge of a radar's
reach and a new id appears a few tens of seconds later where the old one would be. Starting the
new id from the prior would throw away what the sensors already said (an acoustic node heard a
Shahed-class engine on the old track, a micro-Doppler radar saw rotor blades). A new track
therefore inherits the posterior of a track that ended at most ``lineage_window_s`` ago when

- the ended track's constant-velocity prediction lies within
  ``lineage_gate_m + lineage_gate_growth_mps * dt`` of the new track's position (horizontal), and
- their horizontal velocities differ by at most ``lineage_max_dv_mps``,

paired one-to-one by least total distance (each ended track passes its history on once). The
inheritance is only a prior: it decays toward the class prior with the time since the ended
track was last seen (``forget_tau_s``) and with how far the new track is from where the ended
one was predicted to be (``LineageConfig.distance_scale_m``), and new evidence revises it.
``lineage`` maps new id -> ended id, so a report can show it. While the inherited part
outweighs the track's own evidence for its class, its evidence label says so
(``inherited:<kinds>``), so a confident class is never presented as observed when it was not.

A track id that comes back (the tracker re-acquired a lost track under its own id) simply
resumes its own state, decayed over the gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from dronewall.classify import bayes
from dronewall.classify.bayes import (
    DEFAULT_CONFIG,
    EVIDENCE_KINDS,
    N_CLASSES,
    N_EVIDENCE,
    ClassifierConfig,
    Evidence,
)
from dronewall.detections import SensorKind
from dronewall.geo import Frame
from dronewall.tracking import ATTR_NAMES

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

_A = {n: i for i, n in enumerate(ATTR_NAMES)}

#: "kind1+kind2" labels for every ordered pair of evidence kinds (index e1 * (E + 1) + e2, where
#: E means "none"), so explanations are a vectorised lookup.
_PAIR_NAMES = np.array(
    [("+".join(k for k in (EVIDENCE_KINDS[a] if a < N_EVIDENCE else "",
                           EVIDENCE_KINDS[b] if b < N_EVIDENCE else "") if k) or "prior")
     for a in range(N_EVIDENCE + 1) for b in range(N_EVIDENCE + 1)], dtype=object)


@dataclass(frozen=True)
class LineageConfig:
    """Inheritance of a class posterior across track fragments (see module doc). [E] values:
    the gate covers a CV prediction error of a few hundred metres plus the growth of a
    manoeuvring low-speed target's position uncertainty over the gap."""

    window_s: float = 90.0
    gate_m: float = 1500.0
    gate_growth_mps: float = 15.0
    max_dv_mps: float = 15.0
    #: The inherited posterior is weighted by exp(-d / distance_scale_m), d the distance
    #: between the new track and the ended track's prediction, m [E]: a new track on the
    #: predicted path inherits almost all, one at the edge of the gate about half.
    distance_scale_m: float = 2000.0
    enabled: bool = True


@dataclass(frozen=True)
class ClassStep:
    """Result of one :meth:`TrackClassifier.step` for the N tracks of the snapshot (same order).

    prob (N, C) class probabilities (``PlatformClass`` order); map_class (N,) MAP class code;
    evidence (N,) "kind+kind" label of the two evidence kinds that most favour the MAP class
    over its strongest rival (``"prior"``: nothing yet); inherited (N,) id of the ended track
    whose posterior this track inherited this step (-1: none).
    """

    ids: I64
    prob: F64
    map_class: I64
    evidence: NDArray[np.object_]
    inherited: I64


class TrackClassifier:
    """Per-track recursive classification of confirmed tracks (one per picture, no global state)."""

    def __init__(self, frame: Frame, config: ClassifierConfig = DEFAULT_CONFIG,
                 lineage: LineageConfig = LineageConfig()) -> None:
        self.frame = frame
        self.config = config
        self.lineage_cfg = lineage
        self.ids = np.zeros(0, np.int64)          # sorted ids of live state
        self.logp = np.zeros((0, N_CLASSES))
        self.contrib = np.zeros((0, N_CLASSES, N_EVIDENCE))
        self.inh = np.zeros((0, N_CLASSES, N_EVIDENCE))   # the inherited part of contrib
        self.t_last = np.zeros(0)
        self.heading = np.zeros(0)                # heading at the last sensor update, deg
        self.t_heading = np.zeros(0)              # ... and its time, s
        self.t_first = np.zeros(0)
        self.pos = np.zeros((0, 3))
        self.vel = np.zeros((0, 3))
        # ended tracks still eligible to pass their history on
        self._end_ids = np.zeros(0, np.int64)
        self._end_t = np.zeros(0)
        self._end_pos = np.zeros((0, 3))
        self._end_vel = np.zeros((0, 3))
        self._end_logp = np.zeros((0, N_CLASSES))
        self._end_contrib = np.zeros((0, N_CLASSES, N_EVIDENCE))
        self._end_inh = np.zeros((0, N_CLASSES, N_EVIDENCE))
        self._end_first = np.zeros(0)
        self.lineage: dict[int, int] = {}

    # ------------------------------------------------------------------ state bookkeeping

    def _retire(self, t: float, live_ids: I64) -> None:
        """Move tracks absent from ``live_ids`` to the ended set; expire old ended tracks."""
        gone = ~np.isin(self.ids, live_ids)
        if gone.any():
            self._end_ids = np.concatenate([self._end_ids, self.ids[gone]])
            self._end_t = np.concatenate([self._end_t, self.t_last[gone]])
            self._end_pos = np.concatenate([self._end_pos, self.pos[gone]])
            self._end_vel = np.concatenate([self._end_vel, self.vel[gone]])
            self._end_logp = np.concatenate([self._end_logp, self.logp[gone]])
            self._end_contrib = np.concatenate([self._end_contrib, self.contrib[gone]])
            self._end_inh = np.concatenate([self._end_inh, self.inh[gone]])
            self._end_first = np.concatenate([self._end_first, self.t_first[gone]])
            keep = ~gone
            for name in ("ids", "logp", "contrib", "inh", "t_last", "heading", "t_heading",
                         "t_first", "pos", "vel"):
                setattr(self, name, getattr(self, name)[keep])
        fresh = t - self._end_t <= self.lineage_cfg.window_s
        if not fresh.all():
            self._drop_ended(fresh)

    def _drop_ended(self, keep: NDArray[np.bool_]) -> None:
        for name in ("_end_ids", "_end_t", "_end_pos", "_end_vel", "_end_logp", "_end_contrib",
                     "_end_inh", "_end_first"):
            setattr(self, name, getattr(self, name)[keep])

    def _add(self, t: float, new: I64, pos: F64, vel: F64) -> I64:
        """Add state for new ids (positions/velocities (k, 3) at t); return inherited ids."""
        k = new.size
        logp = bayes.initial(k, self.config)
        contrib = np.zeros((k, N_CLASSES, N_EVIDENCE))
        inh = np.zeros((k, N_CLASSES, N_EVIDENCE))
        t_first = np.full(k, t)
        parent = np.full(k, -1, np.int64)
        resumed = np.zeros(k, dtype=bool)
        lp0 = self.config.table("log_prior")
        # 1. an id that comes back resumes its own state (decayed over the gap)
        if self._end_ids.size:
            back = np.isin(new, self._end_ids)
            if back.any():
                order = np.argsort(self._end_ids, kind="stable")
                j = order[np.searchsorted(self._end_ids, new[back], sorter=order)]
                lam = np.exp(-np.maximum(t - self._end_t[j], 0.0) / self.config.forget_tau_s)
                lp = lam[:, None] * self._end_logp[j] + (1.0 - lam[:, None]) * lp0
                logp[back] = lp - bayes._logsumexp(lp)
                contrib[back] = lam[:, None, None] * self._end_contrib[j]
                inh[back] = lam[:, None, None] * self._end_inh[j]
                t_first[back] = self._end_first[j]
                resumed[back] = True
                taken = np.zeros(self._end_ids.size, dtype=bool)
                taken[j] = True
                self._drop_ended(~taken)
        # 2. other new ids may inherit from an ended track they continue
        lc = self.lineage_cfg
        fresh = np.flatnonzero(~resumed)
        if lc.enabled and self._end_ids.size and fresh.size:
            dt = t - self._end_t                                          # (m,)
            pred = self._end_pos[None, :, :2] + self._end_vel[None, :, :2] * dt[None, :, None]
            d = np.linalg.norm(pos[fresh, None, :2] - pred, axis=2)       # (k', m)
            dv = np.linalg.norm(vel[fresh, None, :2] - self._end_vel[None, :, :2], axis=2)
            ok = (d <= lc.gate_m + lc.gate_growth_mps * dt[None, :]) & (dv <= lc.max_dv_mps)
            # nearest-first one-to-one pairing (each ended track passes its history on once)
            big = 1e12
            ri, cj = linear_sum_assignment(np.where(ok, d, big))
            good = ok[ri, cj]
            got_rows = fresh[ri[good]]
            j = cj[good]
            if j.size:
                taken = np.zeros(self._end_ids.size, dtype=bool)
                taken[j] = True
                lam = (np.exp(-np.maximum(t - self._end_t[j], 0.0) / self.config.forget_tau_s)
                       * np.exp(-d[ri[good], j] / lc.distance_scale_m))
                lp = lam[:, None] * self._end_logp[j] + (1.0 - lam[:, None]) * lp0
                logp[got_rows] = lp - bayes._logsumexp(lp)
                # all of it is inherited: the new track has not observed anything yet
                contrib[got_rows] = lam[:, None, None] * self._end_contrib[j]
                inh[got_rows] = contrib[got_rows]
                for a, b in zip(new[got_rows].tolist(), self._end_ids[j].tolist(),
                                strict=True):
                    self.lineage[int(a)] = int(b)
                parent[got_rows] = self._end_ids[j]
                self._drop_ended(~taken)
        allid = np.concatenate([self.ids, new])
        order = np.argsort(allid, kind="stable")
        self.ids = allid[order]
        self.logp = np.concatenate([self.logp, logp])[order]
        self.contrib = np.concatenate([self.contrib, contrib])[order]
        self.inh = np.concatenate([self.inh, inh])[order]
        # the first kinematics after (re)appearing count as one 1 s sample, no turn rate
        self.t_last = np.concatenate([self.t_last, np.full(k, np.nan)])[order]
        self.heading = np.concatenate([self.heading, np.full(k, np.nan)])[order]
        self.t_heading = np.concatenate([self.t_heading, np.full(k, np.nan)])[order]
        self.t_first = np.concatenate([self.t_first, t_first])[order]
        self.pos = np.concatenate([self.pos, pos])[order]
        self.vel = np.concatenate([self.vel, vel])[order]
        return parent

    # ------------------------------------------------------------------ the step

    def step(self, t: float, snap: Any, pos: F64, vel: F64,
             coop_trusted: NDArray[np.bool_] | None = None,
             audible: tuple[F64, NDArray[np.bool_]] | None = None,
             rf_audible: tuple[F64, NDArray[np.bool_]] | None = None) -> ClassStep:
        """Update the confirmed tracks of ``snap`` (an engine ``TrackSnapshot``; ``pos``/``vel``
        (N, 3) their positions and velocities at ``t`` in the engine frame, m and m/s).

        ``coop_trusted`` (N,): which tracks' cooperative identities are trusted
        (:mod:`coop_tracks`); only those count as ADS-B / Remote ID evidence, so a spoofed
        identity attached to a hostile track cannot make it look manned. None: all count.
        ``audible``: (N, C) probability that the acoustic network reports the track this step
        per class and (N,) whether a report fitting it came (:mod:`hearing`); None: no
        acoustic network, silence is no evidence. ``rf_audible``: (N,) probability that the
        RF direction finders report an emitter at the track this step (NaN: no evidence) and
        (N,) whether an RF bearing fitted it (:mod:`rf_hearing`); None: no RF
        detectors.
        """
        ids = np.asarray(snap.ids, dtype=np.int64)
        n = ids.size
        self._retire(t, ids)
        inherited = np.full(n, -1, np.int64)
        if n == 0:
            return ClassStep(ids, np.zeros((0, N_CLASSES)), np.zeros(0, np.int64),
                             np.zeros(0, dtype=object), inherited)
        new_mask = ~np.isin(ids, self.ids)
        if new_mask.any():
            par = self._add(t, ids[new_mask], pos[new_mask], vel[new_mask])
            inherited[new_mask] = par
        rows = np.searchsorted(self.ids, ids)
        _, _, alt = self.frame.local_to_geodetic(pos)
        v = np.einsum("nij,nj->ni", self.frame.local_enu_rotation(pos), vel)
        hdg = np.degrees(np.arctan2(v[:, 0], v[:, 1]))
        dt = t - self.t_last[rows]
        # turn rate between sensor updates, and only where the heading is known well enough
        # (ClassifierConfig.turn_max_heading_sd_deg); coasted steps carry none
        nv = snap.P.shape[1] // 2
        sp = np.hypot(vel[:, 0], vel[:, 1])
        cross = np.zeros((n, nv))
        cross[:, 0] = -vel[:, 1] / np.maximum(sp, 1e-6)
        cross[:, 1] = vel[:, 0] / np.maximum(sp, 1e-6)
        Pvv = snap.P[:, nv:, nv:]
        hdg_sd = np.degrees(np.sqrt(np.clip(np.einsum("ni,nij,nj->n", cross, Pvv, cross),
                                            0.0, None)) / np.maximum(sp, 1e-6))
        t_upd = np.asarray(snap.t_update, dtype=np.float64)
        updated = t_upd >= t
        # the kinematics count only up to kinematic_coast_s after the latest sensor update
        # (a longer coast is the track's own prediction); a new track's first as 1 s
        kin_dt = np.where(np.isfinite(dt), np.clip(
            np.minimum(t, t_upd + self.config.kinematic_coast_s) - self.t_last[rows], 0.0,
            np.where(np.isfinite(dt), np.maximum(dt, 0.0), 0.0)), 1.0)
        dt_h = t - self.t_heading[rows]
        turn = ((hdg - self.heading[rows] + 180.0) % 360.0 - 180.0) / np.where(dt_h > 0, dt_h,
                                                                                np.nan)
        turn = np.where(updated & (hdg_sd <= self.config.turn_max_heading_sd_deg), turn, np.nan)
        fresh = snap.attr_t == t  # attributes reported in this step (NaN compares False)
        trusted = (np.ones(n, dtype=bool) if coop_trusted is None
                   else np.asarray(coop_trusted, dtype=bool))

        def code(name: str) -> NDArray[np.int16]:
            c = np.where(fresh[:, _A[name]], snap.attr[:, _A[name]], -1.0)
            return np.nan_to_num(c, nan=-1.0).astype(np.int16)

        def value(name: str) -> F64:
            return np.where(fresh[:, _A[name]], snap.attr[:, _A[name]], np.nan)

        # speed sd: the horizontal velocity covariance projected on the velocity direction
        u = np.zeros((n, nv))
        u[:, 0] = vel[:, 0] / np.maximum(sp, 1e-6)
        u[:, 1] = vel[:, 1] / np.maximum(sp, 1e-6)
        speed_sd = np.sqrt(np.clip(np.einsum("ni,nij,nj->n", u, Pvv, u), 0.0, None))
        ev = Evidence(
            speed_mps=np.hypot(v[:, 0], v[:, 1]), alt_m=alt, climb_mps=v[:, 2],
            # a new track's first kinematics count as one 1 s sample (no forgetting to undo)
            turn_dps=np.abs(turn), dt_s=np.where(np.isfinite(dt), dt, 1.0),
            rcs_dbsm=value("rcs_dbsm"), acoustic_class=code("acoustic_class"),
            rf_protocol=code("rf_protocol"), eo_label=code("eo_label"),
            has_adsb=(snap.last_seen[:, SensorKind.ADSB] == t) & trusted,
            has_remote_id=(snap.last_seen[:, SensorKind.REMOTE_ID] == t) & trusted,
            micro_doppler=code("micro_doppler"), acoustic_sl_db=value("acoustic_sl_db"),
            speed_sd_mps=speed_sd,
            alt_sd_m=np.sqrt(np.clip(snap.P[:, nv - 1, nv - 1], 0.0, None)),
            climb_sd_mps=np.sqrt(np.clip(snap.P[:, -1, -1], 0.0, None)),
            p_heard=None if audible is None else audible[0],
            heard=None if audible is None else audible[1],
            p_rf_any=None if rf_audible is None else rf_audible[0],
            rf_heard=None if rf_audible is None else rf_audible[1], kin_dt_s=kin_dt)
        lp, contrib = bayes.update(self.logp[rows], ev, self.config)
        lam = np.where(np.isfinite(dt) & (dt >= 0),
                       np.exp(-np.where(np.isfinite(dt), np.maximum(dt, 0.0), 0.0)
                              / self.config.forget_tau_s), 1.0)
        self.logp[rows] = lp
        self.contrib[rows] = lam[:, None, None] * self.contrib[rows] + contrib
        self.inh[rows] = lam[:, None, None] * self.inh[rows]
        self.t_last[rows] = t
        self.heading[rows] = np.where(updated, hdg, self.heading[rows])
        self.t_heading[rows] = np.where(updated, t, self.t_heading[rows])
        self.pos[rows] = pos
        self.vel[rows] = vel
        prob = bayes.probabilities(lp)
        cls = bayes.map_class(lp)
        return ClassStep(ids, prob, cls, self.evidence_labels(rows, cls), inherited)

    def evidence_labels(self, rows: I64, cls: I64) -> NDArray[np.object_]:
        """(N,) "kind+kind" labels: the two evidence kinds that most favour class ``cls`` of
        state rows ``rows`` over its strongest rival (vectorised :func:`bayes.explain`)."""
        acc = self.contrib[rows]
        n = rows.size
        r = np.arange(n)
        own = acc[r, cls, :]
        others = acc.copy()
        others[r, cls, :] = -np.inf
        support = own - others.max(axis=1)                                 # (N, E)
        top = np.argsort(-support, axis=1, kind="stable")[:, :2]
        s = np.take_along_axis(support, top, axis=1)
        top = np.where(s > 1e-9, top, N_EVIDENCE)
        labels = _PAIR_NAMES[top[:, 0] * (N_EVIDENCE + 1) + top[:, 1]]
        # inherited from an ended fragment: does the inherited part carry the class?
        inh = self.inh[rows]
        inh_own = inh[r, cls, :]
        inh_oth = inh.copy()
        inh_oth[r, cls, :] = -np.inf
        inh_support = np.clip(inh_own - inh_oth.max(axis=1), 0.0, None).sum(axis=1)
        total = np.clip(support, 0.0, None).sum(axis=1)
        by_inh = (inh_support > 1e-9) & (inh_support >= 0.5 * total)
        if by_inh.any():
            labels = labels.copy()
            labels[by_inh] = np.char.add("inherited:", labels[by_inh].astype(str)).astype(object)
        return labels
