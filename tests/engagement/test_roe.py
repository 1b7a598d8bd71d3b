"""Rules of engagement: cooperative trusted tracks, class thresholds, violation rules."""

from __future__ import annotations

import numpy as np
import pytest

from dronewall.catalog import PlatformClass
from dronewall.engagement.roe import Reason, Roe, engageable
from dronewall.errors import InputError

C = PlatformClass


def probs(*rows: dict[int, float]) -> np.ndarray:
    p = np.zeros((len(rows), 7))
    for i, r in enumerate(rows):
        for c, v in r.items():
            p[i, c] = v
        p[i, C.UNKNOWN] += 1.0 - p[i].sum()
    return p


def run(roe: Roe, p: np.ndarray, coop=None, viol=None, inz=None):
    n = len(p)
    z = np.zeros(n, bool)
    return engageable(roe, p, z if coop is None else np.asarray(coop),
                      np.ones(n, bool) if viol is None else np.asarray(viol),
                      z if inz is None else np.asarray(inz))


@pytest.mark.parametrize("roe", [Roe(), Roe(weapons="free"), Roe(require_violation=False),
                                 Roe(weapons="free", approval="auto",
                                     engage_classes={"MANNED_AIRCRAFT": 0.0})])
def test_cooperative_trusted_is_never_engageable(roe: Roe) -> None:
    p = probs({C.ATTACK_DRONE: 1.0}, {C.MANNED_AIRCRAFT: 1.0}, {C.UNKNOWN: 1.0})
    ok, why = run(roe, p, coop=[True, True, True], viol=[True] * 3, inz=[True] * 3)
    assert not ok.any()
    assert np.all(why == Reason.COOPERATIVE)


def test_weapons_tight_thresholds() -> None:
    p = probs({C.ATTACK_DRONE: 0.59}, {C.ATTACK_DRONE: 0.61}, {C.DECOY: 0.6},
              {C.RECON_UAV: 0.69}, {C.RECON_UAV: 0.7}, {C.MULTIROTOR: 0.79},
              {C.MULTIROTOR: 0.8}, {C.UNKNOWN: 1.0}, {C.MANNED_AIRCRAFT: 0.9},
              # look-alikes: 0.7 of "Shahed or Gerbera" is a hostile one-way drone at 0.7
              {C.ATTACK_DRONE: 0.35, C.DECOY: 0.35}, {C.ATTACK_DRONE: 0.25, C.DECOY: 0.25},
              # recon (0.7) counts the looser attack/decoy mass; a multirotor (0.8) does too,
              # but 0.5 + 0.25 stays below 0.8 and 0.25 below attack's 0.6
              {C.RECON_UAV: 0.4, C.ATTACK_DRONE: 0.35}, {C.MULTIROTOR: 0.5, C.ATTACK_DRONE: 0.25})
    ok, why = run(Roe(), p)
    assert ok.tolist() == [False, True, True, False, True, False, True, False, False, True,
                           False, True, False]
    assert np.all(why[~ok] == Reason.ROE)


def test_weapons_free_engages_anything_not_manned_or_bird() -> None:
    p = probs({C.UNKNOWN: 1.0}, {C.ATTACK_DRONE: 0.35, C.DECOY: 0.35},
              {C.MANNED_AIRCRAFT: 0.5}, {C.BIRD: 0.3, C.MANNED_AIRCRAFT: 0.3},
              {C.BIRD: 0.2, C.MULTIROTOR: 0.5})
    ok, why = run(Roe(weapons="free"), p)
    assert ok.tolist() == [True, True, False, False, True]
    assert np.all(why[~ok] == Reason.ROE)


def test_require_violation_and_engagement_zones() -> None:
    p = probs(*[{C.ATTACK_DRONE: 0.9}] * 4)
    viol = [True, False, False, True]
    inz = [False, True, False, False]
    ok, why = run(Roe(), p, viol=viol, inz=inz)
    assert ok.tolist() == [True, True, False, True]
    assert why[2] == Reason.NOT_VIOLATED
    ok, _ = run(Roe(require_violation=False), p, viol=viol, inz=inz)
    assert ok.all()
    ok, why = run(Roe(engagement_zones_only=True), p, viol=viol, inz=inz)
    assert ok.tolist() == [False, True, False, False]
    assert why.tolist() == [Reason.OUTSIDE_ENGAGEMENT_ZONE, Reason.OK, Reason.NOT_VIOLATED,
                            Reason.OUTSIDE_ENGAGEMENT_ZONE]


def test_roe_validation_and_scenario_round_trip() -> None:
    with pytest.raises(InputError, match="roe.weapons"):
        Roe(weapons="loose")
    with pytest.raises(InputError, match="unknown class 'SHAHED'"):
        Roe(engage_classes={"SHAHED": 0.5})
    with pytest.raises(InputError, match=r"in \[0, 1\]"):
        Roe(engage_classes={"DECOY": 1.5})
    with pytest.raises(InputError, match="class_prob"):
        engageable(Roe(), np.zeros((2, 6)), [False] * 2, [True] * 2, [False] * 2)
    from dronewall.scenario.model import RoeSpec

    spec = RoeSpec()
    roe = Roe.from_values(**spec.model_dump())
    assert roe == Roe()
    assert roe.no_kinetic_kinds == ("no_fire", "airport") and not roe.auto_approve
    assert roe.thresholds[C.ATTACK_DRONE] == 0.6 and np.isinf(roe.thresholds[C.MANNED_AIRCRAFT])
