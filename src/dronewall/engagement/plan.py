"""The data of one planning cycle: what the planner returns (:class:`Plan`,
:class:`Recommendation`, :class:`Alternative`) and what it works on before the assignment
(``_Context``, shared by the planner, its dynamics and the doctrines).

Re-exported by :mod:`dronewall.engagement.planner`, where callers import them from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dronewall.engagement.windows import TrackArrays, Windows

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Alternative:
    """Why a cheaper effector type was not used for a target. ``reason`` is a
    :class:`Reason` name or ``USED_ELSEWHERE`` / ``NOT_WORTH`` / ``ALSO_ASSIGNED``."""

    effector_type: str
    effector_id: str
    cost_eur: float
    reason: str
    detail: str


@dataclass
class Recommendation:
    """One engagement: fire unit ``fire_unit`` of site ``effector_id`` fires ``shots`` at
    ``track_id``, launching at ``t_launch_s`` to intercept at ``t_intercept_s`` over the point
    (``lat_deg``, ``lon_deg``, ``alt_m``). ``pk`` is this engagement's kill probability,
    ``p_kill_target`` the target's combined kill probability over all engagements of the plan.
    ``t_decide_s`` = launch time minus the effector's reaction time: the latest approval that
    still makes this intercept (approve when it is due); ``deadline_s`` the latest decision that
    still makes the window at all (after it the recommendation expires).
    ``value_saved_eur`` = value x pk, the expected damage this engagement averts;
    ``shadow_cost_eur`` the magazine shadow price of the round (what keeping it for later
    threats is worth, added to its cost in the plan's objective; not spent).
    """

    rec_id: str
    effector_id: str
    effector_type: str
    fire_unit: int
    track_id: Any
    shots: int
    t_launch_s: float
    t_intercept_s: float
    t_decide_s: float
    lat_deg: float
    lon_deg: float
    alt_m: float
    range_m: float
    miss_sigma_m: float
    pk: float
    p_kill_target: float
    cost_eur: float
    value_eur: float
    debris_over_no_fire: bool
    civil_jamming_radius_m: float
    status: str
    why_not_cheaper: list[Alternative] = field(default_factory=list)
    deadline_s: float = math.nan
    value_saved_eur: float = 0.0
    shadow_cost_eur: float = 0.0

    def explain(self) -> str:
        """One paragraph for an operator."""
        s = (f"{self.effector_type} {self.effector_id} (unit {self.fire_unit}) -> track "
             f"{self.track_id}: {self.shots} shot(s), launch t={self.t_launch_s:.0f} s, "
             f"intercept t={self.t_intercept_s:.0f} s at {self.lat_deg:.4f}, "
             f"{self.lon_deg:.4f}, {self.alt_m:.0f} m; Pk {self.pk:.2f} (target "
             f"{self.p_kill_target:.2f}), cost EUR {self.cost_eur:,.0f} to save EUR "
             f"{self.value_saved_eur:,.0f} of the EUR {self.value_eur:,.0f} at risk; decide "
             f"by t={self.t_decide_s:.0f} s, expires t={self.deadline_s:.0f} s.")
        for a in self.why_not_cheaper:
            s += f" Not {a.effector_type} ({a.effector_id}, EUR {a.cost_eur:,.0f}): {a.detail}."
        return s


@dataclass
class Plan:
    """One planning cycle's result. ``objective`` = expected surviving value + lambda x spend
    (EUR); ``lower_bound`` a valid bound on the best achievable objective (NaN for doctrines);
    ``gap`` relative; ``status`` of the solver (``optimal`` / ``feasible`` / ``empty`` /
    ``doctrine``). ``unengaged`` maps the id of every track without a recommendation to why
    (a :class:`Reason` name or ``NOT_WORTH`` / ``NO_FREE_UNIT``)."""

    t_s: float
    recommendations: list[Recommendation]
    objective: float
    lower_bound: float
    gap: float
    status: str
    solver: str
    solve_time_s: float
    unengaged: dict[Any, str] = field(default_factory=dict)
    windows: Windows | None = None

    @property
    def total_cost_eur(self) -> float:
        return float(sum(r.cost_eur for r in self.recommendations))


@dataclass
class _Context:
    """Everything one cycle computed before the assignment (shared with the doctrines)."""

    t_s: float
    tracks: TrackArrays
    sub: I64  # engageable track indices into the caller's arrays
    win: Windows  # (E, len(sub))
    pk: F64  # (E, len(sub)) combined kill probability (0 where infeasible)
    reason: NDArray[np.int8]  # (E, len(sub)) final reason incl. site gates and NO_PK
    geo_ok: NDArray[np.bool_]  # (E, len(sub)) window exists (ignoring site state)
    value: F64  # (len(sub),)
    row_unit: I64  # (W,) free fire units offered this cycle
    row_site: I64  # (W,)
    track_reason: NDArray[np.int8]  # (N,) ROE reasons of all tracks
    pk_h: F64  # (E, len(sub)) kill probability over the horizon ignoring site state
    shadow: F64  # (E,) magazine shadow price per round, EUR (0 without reserve)
    busy: F64  # (F,) busy-until time of each fire unit this cycle, s
    expected_later: int = 0  # threats expected to come within the horizon (reserve)
    #: (len(sub),) latest intercept of a shot in flight or resolved and being looked at, s
    #: (-inf: none)
    last_intercept_s: F64 | None = None
