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
    for ids, pos in (([7, 8], [near0, near1]), ([7, 8], [near0, near0]), ([7, 9], [near1, far]),
                     ([7], [near2])):
        fol.observe(act, truth, np.array(ids), np.array(pos, dtype=float))
    assert fol.majority() == {7: 0, 8: 0}
