"""Could two track fragments in a zone be one platform? The body tests the episode evidence
(:mod:`.evidence`) applies before it continues one track's violation episode with another's:
the same cooperative identity, compatible speeds, and -- once both have been classified long
enough -- the same kind of body (a flock does not continue a drone's episode). A join made
on a young track is checked again once the sensors have located it a few times
(:func:`two_bodies`): its mean speed since, against the lost fragment's before it was lost."""

from __future__ import annotations

import numpy as np

from dronewall.airspace.target_changes import speeds_apart
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
#: A lost fragment's speed for the join check: its mean over the steps a sensor located it
#: in this long before it was lost, s [E] (a minute of a drone's flight: one leg).
JOIN_SPEED_WINDOW_S = 60.0
#: Located steps each fragment needs before their mean speeds may say two bodies [E]: a young
#: track's first velocity comes from two or three plots (a flock's new track started at
#: 25 m/s and settled at 9-14 m/s within 30 s; flagship raid seed 11, docs/benchmarks.md s.6).
JOIN_MIN_LOCATED = 3


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


def located_speed(inf: TrackInfo | None, t0: float, t1: float) -> tuple[float, int]:
    """A track's mean horizontal speed over the steps a sensor located it from ``t0`` to
    ``t1`` (s), m/s, and how many such steps (NaN, 0: none, or no located speeds kept)."""
    if inf is None or inf.body is None:
        return float("nan"), 0
    v = [x[1] for x in inf.body.speeds if t0 <= x[0] <= t1]
    return (float(np.mean(v)), len(v)) if v else (float("nan"), 0)


def two_bodies(a: tuple[float, int], b: tuple[float, int]) -> bool:
    """Do two fragments' mean located speeds (m/s, located steps; :func:`located_speed`) say
    two bodies: each located ``JOIN_MIN_LOCATED`` times or more, and the speeds as far apart
    as the two stretches of a track that changed target (``target_changes.speeds_apart``:
    a flock and a one-way drone). Too few located steps: not judged (False)."""
    if min(a[1], b[1]) < JOIN_MIN_LOCATED:
        return False
    return speeds_apart(a[0], b[0])


def bird_evidence(inf: TrackInfo) -> tuple[float, int]:
    """A track's mean P(bird) over its steps, and the steps (NaN, 0: none yet)."""
    return (inf.p_bird_sum / inf.steps if inf.steps else np.nan), inf.steps
