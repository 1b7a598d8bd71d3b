"""Human approval: the simulated operator's delay, authorisation up to the approved cost until
the window's deadline, and expiry of late approvals."""

from __future__ import annotations

import numpy as np
import pytest

from dronewall.chain import ApproveAll, DelayedApprover, EngagementStage, Proposal
from dronewall.engagement.planner import EffectorSite
from dronewall.engagement.roe import Roe
from dronewall.geo.frames import Frame

FRAME = Frame(51.5, 23.0)


def proposal(rec: str, track: int, cost: float, deadline: float, t: float = 0.0) -> Proposal:
    return Proposal(rec, track, "gun", "gun_35mm", cost, 0.7, 1e6, 7e5, t, t + 5.0, deadline, "")


def test_delayed_approver_decides_after_its_delay_deterministically() -> None:
    def run(seed: int) -> list[tuple[str, float]]:
        a = DelayedApprover((15.0, 30.0), np.random.default_rng(seed))
        a.submit(0.0, [proposal("a", 1, 1e3, 100.0), proposal("b", 2, 1e3, 100.0)])
        a.submit(10.0, [proposal("c", 3, 1e3, 100.0)])
        out = []
        for t in np.arange(0.0, 60.0, 1.0):
            out += [(d.rec_id, d.t_s) for d in a.decisions(float(t))]
        return out

    got = run(1)
    assert sorted(r for r, _ in got) == ["a", "b", "c"]
    start = {"a": 0.0, "b": 0.0, "c": 10.0}
    assert all(15.0 <= t - start[r] <= 30.0 for r, t in got)
    assert got == run(1) and got != run(2)
    assert ApproveAll().decisions(0.0) == []


def test_authorisation_covers_cheaper_effectors_until_the_deadline() -> None:
    st = EngagementStage([EffectorSite("gun", "gun_35mm", 51.5, 23.0)], Roe(), None, FRAME,
                         approver=DelayedApprover((20.0, 20.0), np.random.default_rng(0)))
    st.pending = {7: ("c1-0", 22_400.0, 100.0, 0.0), 8: ("c1-1", 22_400.0, 10.0, 0.0)}
    st.approver.submit(0.0, [proposal("c1-0", 7, 22_400.0, 100.0),
                             proposal("c1-1", 8, 22_400.0, 10.0)])
    assert st._decisions(19.0) == (0, 0)
    humans, expired = st._decisions(20.0)
    # track 7 approved in time; track 8's window closed at t=10 before the operator answered
    assert (humans, expired) == (1, 1)
    assert st._covered(7, 22_400.0, 50.0) and st._covered(7, 2_300.0, 50.0)
    assert not st._covered(7, 400_000.0, 50.0)  # a dearer effector needs a new approval
    assert not st._covered(8, 22_400.0, 50.0)
    assert st._expire(101.0) == 0 and not st._covered(7, 22_400.0, 101.0)
    # a proposal still pending when its deadline passes expires
    st.pending = {9: ("c2-0", 1_000.0, 120.0, 100.0)}
    assert st._expire(121.0) == 1 and st.pending == {}


def test_approval_delay_is_validated() -> None:
    from dronewall.errors import InputError

    with pytest.raises(InputError, match="approval_delay_s"):
        Roe(approval_delay_s=(30.0, 15.0))
    assert Roe.from_values(approval_delay_s=[5, 10]).approval_delay_s == (5.0, 10.0)
