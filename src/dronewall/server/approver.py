"""The operator as the engagement stage's :class:`~dronewall.chain.approval.Approver`.

The stage submits proposals (a recommendation, its explanation, the time to decide by and the
deadline when its window closes); they wait here until a person approves or rejects them
through the API, or until the deadline passes (expired). A decision is handed to the stage only
after the store has committed it with its audit entry (the API does that before calling
:meth:`LiveApprover.decide`). When the stage puts a dearer proposal for the same track, the
older one is superseded: the stage would ignore a decision on it.

Decisions carry the session time they were made at; :meth:`LiveApprover.decisions` releases a
decision once the chain's clock has reached it, so decisions replayed after a restart
(:meth:`schedule`) reach the stage at the step they reached it the first time.

Thread safety: the chain runs in the runner thread, the API in the event loop; one lock.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from dronewall.chain.approval import Decision, Proposal

#: Closed proposals kept for the API (bounded: memory stays flat over long runs).
MAX_CLOSED = 2_000


@dataclass(frozen=True)
class Closed:
    """A proposal that no longer waits: ``status`` approved / rejected / expired /
    superseded, at session time ``t_s``."""

    proposal: Proposal
    status: str
    t_s: float


class DecisionError(Exception):
    """A decision that cannot be taken (``status``: HTTP-like code 404 / 409)."""

    def __init__(self, status: int, msg: str) -> None:
        super().__init__(msg)
        self.status = status


class LiveApprover:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: dict[str, Proposal] = {}
        self.closed: dict[str, Closed] = {}
        self._queue: list[Decision] = []
        self._new_closed: list[Closed] = []

    # ---------------------------------------------------------------- Approver protocol

    def submit(self, t: float, proposals: Sequence[Proposal]) -> None:
        with self.lock:
            for p in proposals:
                c = self.closed.get(p.rec_id)
                if c is not None and c.status in ("approved", "rejected"):
                    continue  # decided before a restart: replayed, not asked again
                for rid, q in list(self.pending.items()):
                    if q.track_id == p.track_id:
                        del self.pending[rid]
                        self._close(Closed(q, "superseded", t))
                self.pending[p.rec_id] = p

    def decisions(self, t: float) -> list[Decision]:
        with self.lock:
            due = [d for d in self._queue if d.t_s <= t + 1e-9]
            if due:
                self._queue = [d for d in self._queue if d.t_s > t + 1e-9]
            return due

    # ---------------------------------------------------------------- API side

    def check(self, rec_id: str, t: float) -> Proposal:
        """The open proposal ``rec_id`` at time ``t`` (raises :class:`DecisionError`)."""
        with self.lock:
            p = self.pending.get(rec_id)
            if p is None:
                c = self.closed.get(rec_id)
                if c is None:
                    raise DecisionError(404, f"no recommendation {rec_id}")
                raise DecisionError(409, f"recommendation {rec_id} is {c.status}")
            if t > p.deadline_s + 1e-9:
                raise DecisionError(409, f"recommendation {rec_id} expired at "
                                         f"t = {p.deadline_s:.0f} s")
            return p

    def decide(self, rec_id: str, approved: bool, t: float) -> Decision:
        """Hand a committed decision to the stage (it sees it at its next step)."""
        with self.lock:
            p = self.pending.pop(rec_id)
            d = Decision(rec_id, p.track_id, bool(approved), float(t))
            self._queue.append(d)
            self._close(Closed(p, "approved" if approved else "rejected", t))
            return d

    def schedule(self, proposal: Proposal | None, decision: Decision) -> None:
        """A decision recorded before a restart, to be handed over again at its time."""
        with self.lock:
            self._queue.append(decision)
            self._queue.sort(key=lambda d: d.t_s)
            if proposal is not None:
                self.pending.pop(proposal.rec_id, None)
                self._close(Closed(proposal, "approved" if decision.approved else "rejected",
                                   decision.t_s))

    def expire(self, t: float) -> list[Closed]:
        """Close the proposals whose deadline passed before ``t``."""
        with self.lock:
            gone = [p for p in self.pending.values() if p.deadline_s < t - 1e-9]
            for p in gone:
                del self.pending[p.rec_id]
                self._close(Closed(p, "expired", t))
            return [self.closed[p.rec_id] for p in gone]

    def take_closed(self) -> list[Closed]:
        """Proposals closed since the last call (for the step's delta)."""
        with self.lock:
            out, self._new_closed = self._new_closed, []
            return out

    def open(self) -> list[Proposal]:
        with self.lock:
            return sorted(self.pending.values(), key=lambda p: p.deadline_s)

    def status(self, rec_id: str) -> str | None:
        with self.lock:
            if rec_id in self.pending:
                return "pending"
            c = self.closed.get(rec_id)
            return c.status if c else None

    def _close(self, c: Closed) -> None:
        self.closed[c.proposal.rec_id] = c
        self._new_closed.append(c)
        if len(self.closed) > MAX_CLOSED:
            for k in list(self.closed)[: len(self.closed) - MAX_CLOSED]:
                del self.closed[k]
