"""Hierarchical reported labels: a class only when decided, else the look-alike group."""

from __future__ import annotations

import numpy as np

from dronewall.catalog import PlatformClass as C
from dronewall.classify.labels import (
    GROUP_ONE_WAY_UAS,
    label_correct,
    one_way_uas_p,
    reported_labels,
)


def _p(**kw: float) -> np.ndarray:
    p = np.zeros(len(C))
    for k, v in kw.items():
        p[C[k.upper()]] = v
    return p


def test_decided_class_undecided_group_and_undecided_map() -> None:
    prob = np.stack([_p(attack_drone=0.85, decoy=0.15),           # decided Shahed (> 4:1)
                     _p(attack_drone=0.45, decoy=0.4, bird=0.15),  # only the group decided
                     _p(bird=0.4, multirotor=0.35, decoy=0.25),    # nothing decided
                     _p(attack_drone=0.6, decoy=0.3, bird=0.1),    # 2:1 is not enough
                     _p(bird=0.6, attack_drone=0.4)])              # a bird needs no split
    lab, p, dec = reported_labels(prob)
    assert lab.tolist() == [C.ATTACK_DRONE, GROUP_ONE_WAY_UAS, C.BIRD, GROUP_ONE_WAY_UAS,
                            C.BIRD]
    np.testing.assert_allclose(p, [0.85, 0.85, 0.4, 0.9, 0.6])
    assert dec.tolist() == [True, True, False, True, True]
    np.testing.assert_allclose(one_way_uas_p(prob), [1.0, 0.85, 0.25, 0.9, 0.4])


def test_group_label_is_right_for_either_member_only() -> None:
    lab = np.array([GROUP_ONE_WAY_UAS] * 3 + [C.DECOY])
    true = np.array([C.ATTACK_DRONE, C.DECOY, C.BIRD, C.ATTACK_DRONE])
    assert label_correct(lab, true).tolist() == [True, True, False, False]
