"""Could two track fragments in a zone be one platform? The body tests the episode evidence
(:mod:`.evidence`) applies before it continues one track's violation episode with another's:
the same cooperative identity, compatible speeds, and -- once both have been classified long
enough -- the same kind of body (a flock does not continue a drone's episode)."""

from __future__ import annotations

import numpy as np

from dronewall.airspace.track_quality import TrackInfo

#: Fragments join only when their horizontal speeds differ by at most this, m/s [E]: a jet's
#: track is not continued by a drone that appears where it was lost, while a young track's
#: speed (uncertain by tens of m/s at long range) does not split one drone's fragments.
FRAGMENT_MAX_DV_MPS = 80.0
#: Fragments whose tracks both have this many steps of class evidence or more join only when
#: their mean P(bird) differs by less than ``FRAGMENT_MAX_DP_BIRD`` [E]: on the flagship raid
#: a flock track that had been tracked for most of an hour took over the episodes of drones
#: lost near it (docs/benchmarks.md section 6); a young track's class is not judged.
FRAGMENT_CLASS_MIN_STEPS = 30
FRAGMENT_MAX_DP_BIRD = 0.5
#: A first-detected-inside episode that began while another track of the zone was still fed
#: by the sensors continues that track's episode only if, when it began, it lay within this of
#: that track's reported position -- the same place at the same time: a duplicate track of one
#: platform, m [E]. Measured at the new track's first report (docs/benchmarks.md section 6):
#: duplicates of one gull flock (Copenhagen, seed 7) 49-139 m apart; the pairs on the flagship
#: raid (seeds 1-2) 963 m to 6.7 km apart, every one of them two platforms.
FRAGMENT_DUPLICATE_M = 500.0


def same_body(ident_a: str, speed_a: float, ident_b: str, speed_b: float,
              bird_a: tuple[float, int] = (np.nan, 0),
              bird_b: tuple[float, int] = (np.nan, 0)) -> bool:
    """Could two fragments be one platform: the same cooperative identity (or none on both),
    horizontal speeds within ``FRAGMENT_MAX_DV_MPS`` (unknown speed: not checked), and -- where
    both tracks have been classified for ``FRAGMENT_CLASS_MIN_STEPS`` steps or more (``bird_*``:
    mean P(bird), steps) -- mean P(bird) within ``FRAGMENT_MAX_DP_BIRD``: a track long known as
    a flock does not continue a drone's episode, nor the other way round."""
    if ident_a != ident_b:
        return False
    if (np.isfinite(speed_a) and np.isfinite(speed_b)
            and abs(speed_a - speed_b) > FRAGMENT_MAX_DV_MPS):
        return False
    return not (min(bird_a[1], bird_b[1]) >= FRAGMENT_CLASS_MIN_STEPS
                and abs(bird_a[0] - bird_b[0]) >= FRAGMENT_MAX_DP_BIRD)


def bird_evidence(inf: TrackInfo) -> tuple[float, int]:
    """A track's mean P(bird) over its steps, and the steps (NaN, 0: none yet)."""
    return (inf.p_bird_sum / inf.steps if inf.steps else np.nan), inf.steps
