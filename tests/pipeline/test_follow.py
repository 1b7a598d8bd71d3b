"""TruthFollower: majority platform per track, vectorised."""

import numpy as np

from dronewall.geo import Frame
from dronewall.pipeline.follow import ASSOC_RADIUS_M, TruthFollower


def test_majority_platform_per_track() -> None:
    f = Frame(52.0, 23.0)
    truth = f.from_local(np.array([[0.0, 0.0, 100.0], [5000.0, 0.0, 100.0], [0.0, 9000.0, 100.0]]))
    fol = TruthFollower(f, 3)
    act = np.array([True, True, False])  # platform 2 inactive: never followed
    near0, near1, near2 = [10.0, 0.0, 0.0], [5000.0, 20.0, 0.0], [0.0, 9000.0, 0.0]
    far = [0.0, 3 * ASSOC_RADIUS_M, 0.0]
    # track 7 follows platform 0 twice and platform 1 once; track 8 ties 1/1 -> lowest index 0
    for t, (ids, pos) in enumerate((([7, 8], [near0, near1]), ([7, 8], [near0, near0]),
                                    ([7, 9], [near1, far]), ([7], [near2]))):
        fol.observe(act, truth, np.array(ids), np.array(pos, dtype=float), float(t))
    assert fol.majority() == {7: 0, 8: 0}


def test_the_platform_followed_during_a_time_window() -> None:
    # track 7 follows platform 0 for 10 steps and platform 1 for the 4 after: over its life
    # platform 0, between 10 and 13 s platform 1; track 9 is near no platform
    f = Frame(52.0, 23.0)
    truth = f.from_local(np.array([[0.0, 0.0, 100.0], [5000.0, 0.0, 100.0]]))
    fol = TruthFollower(f, 2)
    act = np.array([True, True])
    for t in range(14):
        p = [10.0, 0.0, 0.0] if t < 10 else [5000.0, 20.0, 0.0]
        fol.observe(act, truth, np.array([7, 9]),
                    np.array([p, [0.0, 3 * ASSOC_RADIUS_M, 0.0]]), float(t))
    assert fol.majority() == {7: 0}
    assert fol.during(7, 10.0, 13.0) == 1
    assert fol.during(7, 0.0, 13.0) == 0
    assert fol.during(7, 8.0, 11.0) == 0           # 2 and 2: the lower index
    assert fol.during(7, 20.0, 30.0) is None and fol.during(9, 0.0, 13.0) is None
    assert fol.during(8, 0.0, 13.0) is None
