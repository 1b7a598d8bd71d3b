"""Destroy-all doctrine (ROE ``value_floor: threat_cost``): a hostile one-way drone about to
reach a valued asset is worth any shot the site holds, so the last layer fires at a decoy the
expected-damage value alone would let through (issue 13: the planner's only leakers were
decoys whose last window was a SAM)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from dronewall.catalog import PlatformClass
from dronewall.chain import EngagementStage
from dronewall.engagement.planner import EffectorSite
from dronewall.engagement.roe import Roe
from dronewall.engagement.threat import LEAK_GUARD_FACTOR, LEAK_GUARD_S
from dronewall.geo.frames import Frame

FRAME = Frame(50.1, 22.0)


def _cp(cls: PlatformClass, p: float) -> np.ndarray:
    row = np.full(len(PlatformClass), (1 - p) / (len(PlatformClass) - 1))
    row[int(cls)] = p
    return row


def test_the_guard_values_a_decoy_near_an_asset_at_any_shot() -> None:
    st = EngagementStage([EffectorSite("gun", "gun_35mm", 50.1, 22.0),
                          EffectorSite("sam", "sam_short", 50.1, 22.0)],
                         Roe(value_floor="threat_cost"), None, FRAME)
    dearest = float(st.planner.eff.cost_per_shot_eur.max())
    cp = np.stack([_cp(PlatformClass.DECOY, 0.9), _cp(PlatformClass.DECOY, 0.9),
                   _cp(PlatformClass.DECOY, 0.9), _cp(PlatformClass.BIRD, 0.9),
                   _cp(PlatformClass.DECOY, 0.9)])
    ta = SimpleNamespace(t_go_s=np.array([60.0, LEAK_GUARD_S + 60, 60.0, 60.0, np.nan]),
                         inbound=np.array([True, True, False, True, True]),
                         p_reach=np.array([0.9, 0.9, 0.9, 0.9, 0.9]))
    v = st._leak_guard(cp, ta)
    # only the inbound decoy within the guard time, likely to reach, is worth any shot
    assert v.tolist() == [LEAK_GUARD_FACTOR * dearest, 0.0, 0.0, 0.0, 0.0]
    assert dearest >= 100_000    # the SAM: far above a decoy's purchase cost
