"""Typed, columnar records that travel between the stages of the chain.

One :class:`StepRecord` per step. The tracking stage fills :attr:`StepRecord.picture` (the
confirmed tracks, built once per step); every later stage reads the typed fields it needs and
adds its own result with :meth:`StepRecord.with_`. No stage reads another stage's attributes;
records are immutable (frozen dataclasses over numpy arrays, which stages must not modify).

Units: SI; positions and velocities in the engine frame (the ENU tangent frame at the scenario
or site origin, :class:`dronewall.geo.Frame`), m and m/s; geodetic coordinates WGS84 degrees and
metres above the ellipsoid; times in seconds since the scenario/session epoch.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from dronewall.chain.strobes import Strobes
from dronewall.classify.coop_tracks import TRUST_TRUSTED
from dronewall.classify.tracks import ClassStep
from dronewall.detections import DetectionBatch
from dronewall.tracking import StepResult, TrackSnapshot

if TYPE_CHECKING:
    from dronewall.airspace.events import AirspaceEvent
    from dronewall.chain.engagement import EngagementStep
    from dronewall.engagement.threat import ThreatAssessment

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Picture:
    """The confirmed tracks at time ``t`` (N rows, ordered by track id).

    ``pos`` / ``vel`` (N, 3): the tracks' states extrapolated to ``t`` with their velocity
    (constant velocity from the state time), engine frame. ``lat_deg``/``lon_deg``/``alt_m``
    (N,): the same positions, geodetic. ``cov_h`` (N, 2, 2): horizontal (x, y) position
    covariance of the state, m^2. ``tracks``: the engine's snapshot of these tracks (state,
    covariance, hits, identity, per-sensor-kind last update times, sensor attributes).
    ``sigma_alt_m`` (N,): 1-sigma altitude error along the local vertical, m (NaN where the
    tracker does not estimate height; None: not given).
    """

    t: float
    tracks: TrackSnapshot
    pos: F64
    vel: F64
    lat_deg: F64
    lon_deg: F64
    alt_m: F64
    cov_h: F64
    engine: StepResult | None = field(default=None, repr=False)
    sigma_alt_m: F64 | None = field(default=None, repr=False)

    @property
    def ids(self) -> I64:
        return self.tracks.ids

    @property
    def identity(self) -> NDArray[np.object_]:
        """(N,) cooperative identity (ICAO24 / Remote ID serial), "" none."""
        return self.tracks.identity

    def __len__(self) -> int:
        return int(self.tracks.ids.size)

    @property
    def sigma_h_m(self) -> F64:
        """(N,) horizontal 1-sigma position error per axis, m: sqrt of the mean of the two
        horizontal variances, sqrt((Pxx + Pyy) / 2). The error of a 1-D distance such as the
        depth inside a zone."""
        return np.sqrt(np.clip((self.cov_h[:, 0, 0] + self.cov_h[:, 1, 1]) / 2, 0, None))

    @property
    def sigma_radial_m(self) -> F64:
        """(N,) horizontal RMS radial position error, m: sqrt(Pxx + Pyy), the root mean square
        of the 2-D distance between the true and the estimated position."""
        return np.sqrt(np.clip(self.cov_h[:, 0, 0] + self.cov_h[:, 1, 1], 0, None))


@dataclass(frozen=True, eq=False)
class Classified:
    """Classification and cooperative trust of the picture's N tracks (same order).

    ``classes``: class probabilities, MAP class, evidence labels, lineage (N rows);
    ``trust`` (N,) int8 cooperative-identity trust code (``classify.coop_tracks.TRUST_*``).
    """

    classes: ClassStep
    trust: NDArray[np.int8]

    @property
    def trusted(self) -> NDArray[np.bool_]:
        """(N,) a trusted cooperative identity (only these may count as friendly)."""
        return self.trust == TRUST_TRUSTED


@dataclass(frozen=True, eq=False)
class StepRecord:
    """Everything the chain knows about one step; each stage adds its part.

    ``detections``: the input batch; ``picture``: confirmed tracks (tracking); ``classified``
    (classification & trust); ``events``: new airspace events of the tracks this step
    (airspace); ``threats``: threat assessment of the picture's tracks (threat; None without
    tracks); ``engagement``: the engagement stage's decisions this step (None when no
    engagement stage runs); ``listening`` (S,) bool per sensor-table row: whether the sensor
    is listening (:mod:`dronewall.detections.health`; None: every sensor is taken as
    listening) -- silence counts as evidence only from listening sensors. ``strobes``: the
    lines of bearing of emitters the RF finders and acoustic nodes hear
    (:mod:`dronewall.chain.strobes`; None when no strobe stage runs).
    """

    t: float
    detections: DetectionBatch
    picture: Picture | None = None
    classified: Classified | None = None
    events: tuple[AirspaceEvent, ...] = ()
    threats: ThreatAssessment | None = None
    engagement: EngagementStep | None = None
    listening: NDArray[np.bool_] | None = None
    strobes: Strobes | None = None

    def with_(self, **changes: object) -> StepRecord:
        """A copy with some fields set (stages use this to add their results)."""
        return replace(self, **changes)  # type: ignore[arg-type]
