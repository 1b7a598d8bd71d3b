"""The class a picture reports, honestly: a specific class only when the evidence decides it.

Shahed-class attack drones and Gerbera-class decoys are built to look alike: at first contact a
long-range radar sees the same size, speed and height band. A classifier forced to pick one
reports a coin toss as a class. Instead the reported label is hierarchical:

* the MAP class when its probability reaches ``DECIDE_P`` -- and, for a member of the
  look-alike group, when it also holds at least ``GROUP_SPLIT_P`` of the group's probability
  (4:1 odds over its look-alike: kinematics at long range rarely give more);
* otherwise ``one_way_uas`` (the pooled "one-way attack UAS" group: attack drone or decoy)
  when the group's summed probability reaches ``DECIDE_P`` -- the operator learns "Shahed or
  Gerbera, not yet which", which is what the sensors support;
* otherwise the MAP class, flagged as undecided (``decided`` False).

A group label is correct for a platform of either member class, but less specific; reports
show both the label and the class probabilities.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from dronewall.catalog import PlatformClass

F64 = NDArray[np.float64]

#: Probability a label needs to be reported as decided [E]: more likely than not.
DECIDE_P = 0.5
#: Share of the group's probability a group member needs before it is reported on its own
#: (Shahed vs Gerbera), [E]: 4:1 odds.
GROUP_SPLIT_P = 0.8
#: The pooled group of look-alike hostile one-way UAS (``PlatformClass`` codes).
ONE_WAY_UAS = (int(PlatformClass.ATTACK_DRONE), int(PlatformClass.DECOY))
#: Label code of the group (after the ``PlatformClass`` codes).
GROUP_ONE_WAY_UAS = len(PlatformClass)
LABEL_NAMES = tuple(c.name.lower() for c in PlatformClass) + ("one_way_uas",)


def one_way_uas_p(prob: F64) -> F64:
    """(N,) probability that each track is a hostile one-way UAS (attack drone or decoy)."""
    return np.asarray(prob, dtype=np.float64)[:, list(ONE_WAY_UAS)].sum(axis=1)


def reported_labels(prob: F64, decide_p: float = DECIDE_P, split_p: float = GROUP_SPLIT_P
                    ) -> tuple[NDArray[np.int64], F64, NDArray[np.bool_]]:
    """Labels for class probabilities ``prob`` (N, C): label codes (N,) (``PlatformClass``
    codes or ``GROUP_ONE_WAY_UAS``), their probabilities (N,), and whether they are decided."""
    p = np.asarray(prob, dtype=np.float64).reshape(-1, len(PlatformClass))
    mapc = np.argmax(p, axis=1)
    pmap = p[np.arange(p.shape[0]), mapc]
    pg = one_way_uas_p(p)
    in_group = np.isin(mapc, ONE_WAY_UAS)
    fine = (pmap >= decide_p) & (~in_group | (pmap >= split_p * pg))
    group = ~fine & (pg >= decide_p)
    label = np.where(group, GROUP_ONE_WAY_UAS, mapc).astype(np.int64)
    return label, np.where(group, pg, pmap), fine | group


def label_correct(label: NDArray[np.int64], true_cls: NDArray[np.int64]) -> NDArray[np.bool_]:
    """(N,) whether a reported label is right for the true classes (a group label is right for
    either member)."""
    label = np.asarray(label, dtype=np.int64)
    true_cls = np.asarray(true_cls, dtype=np.int64)
    return (label == true_cls) | ((label == GROUP_ONE_WAY_UAS) & np.isin(true_cls, ONE_WAY_UAS))
