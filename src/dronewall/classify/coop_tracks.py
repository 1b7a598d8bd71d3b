"""Cooperative-identity trust on the fused picture: do independent sensors confirm a claim?

An ADS-B or Remote ID report is a claim ("I am KLM1234 and I am here"). :mod:`coop_trust` checks
that a claim is physically self-consistent; this module checks it against what the drone wall's
own, independent sensors (radar, EO/IR, acoustic, RF) see, every step, for the whole picture:

``uncorroborated``  the claimed position lies inside independent coverage (the caller says where:
                    ``covered``) yet no independent sensor has updated the track for
                    ``corroboration_window_s``; uninterrupted for ``ghost_after_s`` it flags a
                    *ghost* (an identity with no body) or a *position offset* (the body is
                    elsewhere).
``offset``          while uncorroborated, an unidentified independent track within
                    ``offset_search_m`` moves like the claim (velocity difference below
                    ``offset_max_dv_mps``): the claim is probably that body, displaced.
``two_places``      one identity carried by two tracks further apart than ``two_places_m``.

Per identity the monitor keeps ``corroborated_s`` and ``uncorroborated_s``, the reasons and the
suspect time spans. Trust levels per track (:data:`TRUST_NAMES`): ``none`` (no cooperative
identity), ``unverified`` (never inside independent coverage yet), ``trusted`` (corroborated
at least ``trusted_after_s`` and not suspect), ``suspect``. Only ``trusted`` claims may count
as evidence of a manned/friendly aircraft (classification) or protect a track from engagement:
a spoofed "friendly" must never hide a hostile track.

All per-step work is array operations over the N tracks; the per-identity bookkeeping touches
only identities that changed state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from dronewall.detections import SensorKind

F64 = NDArray[np.float64]

TRUST_NONE, TRUST_UNVERIFIED, TRUST_TRUSTED, TRUST_SUSPECT = 0, 1, 2, 3
TRUST_NAMES = ("none", "unverified", "trusted", "suspect")

#: Sensor kinds that are independent of what a target says about itself.
INDEPENDENT_KINDS = (SensorKind.RADAR, SensorKind.EOIR, SensorKind.ACOUSTIC, SensorKind.RF)
COOPERATIVE_KINDS = (SensorKind.ADSB, SensorKind.REMOTE_ID)


@dataclass(frozen=True)
class CoopTrustConfig:
    """Thresholds [E]: a surveillance radar revisits every 1-10 s, so 15 s without an independent
    update inside coverage is already a miss of several scans; 30 s of it is a pattern."""

    corroboration_window_s: float = 15.0
    ghost_after_s: float = 30.0
    trusted_after_s: float = 10.0
    offset_search_m: float = 30_000.0
    offset_max_dv_mps: float = 40.0
    two_places_m: float = 5_000.0
    span_gap_s: float = 30.0


@dataclass
class IdentityTrust:
    identity: str
    corroborated_s: float = 0.0
    uncorroborated_s: float = 0.0
    run_s: float = 0.0  # current uninterrupted time uncorroborated inside coverage
    suspect: bool = False
    reasons: list[str] = field(default_factory=list)
    spans: list[list[float]] = field(default_factory=list)
    first_t: float = float("nan")
    last_t: float = float("nan")

    def _flag(self, t: float, reason: str, gap_s: float) -> None:
        self.suspect = True
        if reason not in self.reasons:
            self.reasons.append(reason)
        if self.spans and t - self.spans[-1][1] <= gap_s:
            self.spans[-1][1] = t
        else:
            self.spans.append([t, t])

    def to_dict(self) -> dict[str, Any]:
        return {"identity": self.identity, "spoofing_suspected": self.suspect,
                "corroborated_s": round(self.corroborated_s, 1),
                "uncorroborated_in_coverage_s": round(self.uncorroborated_s, 1),
                "reasons": list(self.reasons),
                "suspect_spans_s": [[round(a, 1), round(b, 1)] for a, b in self.spans],
                "first_t_s": self.first_t, "last_t_s": self.last_t}


class CoopTrustMonitor:
    """Per-step trust of the cooperative identities carried by tracks (push API)."""

    def __init__(self, config: CoopTrustConfig = CoopTrustConfig()) -> None:
        self.cfg = config
        self.identities: dict[str, IdentityTrust] = {}
        self._t_prev: float | None = None

    def step(self, t: float, identity: NDArray[np.object_], last_seen: F64, pos: F64, vel: F64,
             covered: NDArray[np.bool_]) -> NDArray[np.int8]:
        """Assess the N tracks at ``t``.

        identity (N,) cooperative identity ("" none); last_seen (N, K) last update time per
        ``SensorKind`` (NaN never); pos, vel (N, 3) in a Cartesian frame, m and m/s; covered (N,)
        whether the track's position lies inside independent-sensor coverage. Returns (N,) trust
        codes (``TRUST_*``).
        """
        cfg = self.cfg
        n = identity.shape[0]
        dt = 0.0 if self._t_prev is None else max(t - self._t_prev, 0.0)
        self._t_prev = t
        trust = np.zeros(n, np.int8)
        ident = np.asarray(identity).astype(str)
        coop = ident != ""
        if not coop.any():
            return trust
        ind = np.asarray(last_seen)[:, list(INDEPENDENT_KINDS)]
        corroborated = np.any(t - ind <= cfg.corroboration_window_s, axis=1)  # NaN -> False
        cov = np.asarray(covered, dtype=bool)
        unc = coop & cov & ~corroborated

        # offset: an unidentified, independently seen track nearby moving like the claim
        offset_partner = np.full(n, -1, np.int64)
        cand = np.flatnonzero(~coop & corroborated)
        q = np.flatnonzero(unc)
        if cand.size and q.size:
            tree = cKDTree(pos[cand, :2])
            dist, j = tree.query(pos[q, :2], k=min(8, cand.size),
                                 distance_upper_bound=cfg.offset_search_m)
            dist = np.atleast_2d(dist.reshape(q.size, -1))
            j = np.atleast_2d(j.reshape(q.size, -1))
            valid = np.isfinite(dist)
            jj = np.where(valid, j, 0)
            dv = np.linalg.norm(vel[cand[jj], :2] - vel[q, None, :2], axis=2)
            ok = valid & (dv <= cfg.offset_max_dv_mps)
            has = ok.any(axis=1)
            first = np.argmax(ok, axis=1)
            offset_partner[q[has]] = cand[jj[has, first[has]]]

        # one identity on two tracks far apart
        two_places = np.zeros(n, dtype=bool)
        ci = np.flatnonzero(coop)
        if ci.size > 1:
            order = ci[np.argsort(ident[ci], kind="stable")]
            same = ident[order[1:]] == ident[order[:-1]]
            if same.any():
                a, b = order[:-1][same], order[1:][same]
                far = np.linalg.norm(pos[a, :2] - pos[b, :2], axis=1) > cfg.two_places_m
                two_places[a[far]] = True
                two_places[b[far]] = True

        # per-identity bookkeeping (only cooperative tracks; identities are few)
        for k in ci.tolist():
            name = ident[k]
            it = self.identities.get(name)
            if it is None:
                it = self.identities[name] = IdentityTrust(name, first_t=t)
            it.last_t = t
            if corroborated[k]:
                it.corroborated_s += dt
                it.run_s = 0.0
            elif cov[k]:
                it.uncorroborated_s += dt
                it.run_s += dt
            if unc[k] and it.run_s >= cfg.ghost_after_s:
                if offset_partner[k] >= 0:
                    d = float(np.linalg.norm(pos[k, :2] - pos[offset_partner[k], :2]))
                    it._flag(t, f"reported position not seen by independent sensors inside "
                                f"their coverage; an unidentified track ~{d / 1e3:.0f} km away "
                                f"moves alike (position offset)", cfg.span_gap_s)
                else:
                    it._flag(t, "reported position not seen by independent sensors inside "
                                "their coverage (ghost: an identity without a body)",
                             cfg.span_gap_s)
            if two_places[k]:
                it._flag(t, "identity carried by two tracks more than "
                            f"{cfg.two_places_m / 1e3:.0f} km apart", cfg.span_gap_s)
            if it.suspect:
                trust[k] = TRUST_SUSPECT
            elif it.corroborated_s >= cfg.trusted_after_s:
                trust[k] = TRUST_TRUSTED
            else:
                trust[k] = TRUST_UNVERIFIED
        return trust

    def report(self) -> list[dict[str, Any]]:
        """One record per identity seen, sorted by identity."""
        return [self.identities[k].to_dict() for k in sorted(self.identities)]
