"""The pilot position a Remote ID broadcast claims (``airspace.operators``)."""

from __future__ import annotations

import numpy as np

from dronewall.airspace.operators import RemoteIdOperators
from dronewall.geo.frames import geodetic_to_ecef


def test_latest_position_heard_up_to_a_time() -> None:
    ops = RemoteIdOperators()
    a = geodetic_to_ecef([55.61, 55.62], [12.59, 12.60], [1.5, 1.5])
    nan = np.full(3, np.nan)
    # two drones' reports and one ADS-B-like report without an operator position
    ops.observe(np.array([10.0, 10.0, 10.0]),
                np.array(["RID-A", "4ca123", ""], dtype=object), np.stack([a[0], nan, a[1]]))
    ops.observe(np.array([20.0]), np.array(["RID-A"], dtype=object), a[1:2])
    assert ops.of("RID-A") == ([55.62, 12.6], 20.0)
    assert ops.of("RID-A", t_max=15.0) == ([55.61, 12.59], 10.0)
    assert ops.of("RID-A", t_max=5.0) is None          # nothing heard before then
    assert ops.of("4ca123") is None and ops.of("") is None and ops.of(None) is None
    # late reports do not reorder the history
    ops.observe(np.array([12.0]), np.array(["RID-A"], dtype=object), a[1:2])
    assert ops.of("RID-A", t_max=15.0) == ([55.61, 12.59], 10.0)


def test_history_is_bounded() -> None:
    ops = RemoteIdOperators()
    e = geodetic_to_ecef([55.6], [12.6], [0.0])
    for t in range(ops.HISTORY + 50):
        ops.observe(np.array([float(t)]), np.array(["X"], dtype=object), e)
    assert len(ops.heard["X"]) == ops.HISTORY
