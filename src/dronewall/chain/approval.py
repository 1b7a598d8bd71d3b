"""Human approval of engagement recommendations: what is proposed, what is decided, and the
operator's stand-in in simulation.

The engagement stage *submits* :class:`Proposal` s (a recommendation with its deadline: the
latest decision that still makes its window) to an :class:`Approver` and reads back
:class:`Decision` s whenever they come. In live use the approver is the console: a person reads
the proposal and approves or rejects it through the API, seconds or minutes later. In
simulation :class:`DelayedApprover` stands in for that person: every proposal is approved after
a decision time drawn uniformly from the ROE's ``approval_delay_s`` (default 15-30 s [E]).
:class:`ApproveAll` approves at once (tests, and ``approval: auto``).

An approval authorises the engagement of the **track** with effectors costing up to the
proposal's cost per shot, until the proposal's deadline: the fire unit may re-engage after a
look (shoot-look-shoot) without asking again, and may use a cheaper effector the plan prefers
later; a dearer effector needs a new approval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Proposal:
    """A recommendation put to the operator at ``t_proposed_s``: engage ``track_id`` with
    ``effector_type`` at ``effector_id`` (``cost_eur`` per engagement, kill probability ``pk``,
    ``value_saved_eur`` expected damage averted of the ``value_eur`` at risk); decide by
    ``t_decide_s`` to make the planned intercept, by ``deadline_s`` at the latest (then the
    window closes and the proposal expires). ``text``: the planner's explanation."""

    rec_id: str
    track_id: int
    effector_id: str
    effector_type: str
    cost_eur: float
    pk: float
    value_eur: float
    value_saved_eur: float
    t_proposed_s: float
    t_decide_s: float
    deadline_s: float
    text: str


@dataclass(frozen=True)
class Decision:
    """The operator's answer to a proposal, given at ``t_s``."""

    rec_id: str
    track_id: int
    approved: bool
    t_s: float


class Approver(Protocol):
    """The operator: receives proposals, answers with decisions when it has made them."""

    def submit(self, t: float, proposals: Sequence[Proposal]) -> None:
        """Show ``proposals`` to the operator at time ``t``."""
        ...

    def decisions(self, t: float) -> list[Decision]:
        """The decisions made up to ``t`` and not yet returned, in the order they were made."""
        ...


class ApproveAll:
    """Approves every proposal at once (tests; ROE ``approval: auto``)."""

    def __init__(self) -> None:
        self._out: list[Decision] = []

    def submit(self, t: float, proposals: Sequence[Proposal]) -> None:
        self._out += [Decision(p.rec_id, p.track_id, True, t) for p in proposals]

    def decisions(self, t: float) -> list[Decision]:
        out, self._out = self._out, []
        return out


class DelayedApprover:
    """Simulated operator: approves every proposal after a decision time uniform in
    ``delay_s`` = (low, high) seconds, drawn from ``rng`` in submission order (deterministic
    for a seed)."""

    def __init__(self, delay_s: tuple[float, float], rng: np.random.Generator) -> None:
        self.lo, self.hi = float(delay_s[0]), float(delay_s[1])
        self.rng = rng
        self._pending: list[tuple[float, int, Decision]] = []
        self._n = 0

    def submit(self, t: float, proposals: Sequence[Proposal]) -> None:
        for p in proposals:
            d = float(self.rng.uniform(self.lo, self.hi)) if self.hi > self.lo else self.lo
            self._pending.append((t + d, self._n, Decision(p.rec_id, p.track_id, True, t + d)))
            self._n += 1

    def decisions(self, t: float) -> list[Decision]:
        due = sorted((x for x in self._pending if x[0] <= t + 1e-9), key=lambda x: x[:2])
        if due:
            self._pending = [x for x in self._pending if x[0] > t + 1e-9]
        return [x[2] for x in due]
