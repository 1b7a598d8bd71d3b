"""Airspace monitor settings: :class:`AirspaceConfig`, its documented defaults and the
confidence labels of violation episodes (reasons in ``docs/airspace.md``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

#: Consecutive inside scans that declare an entry: 2, so one outlier position (a false
#: association, a multipath plot) never opens an episode on its own.
ENTER_SCANS = 2
#: Hysteresis band in units of the track's 1-sigma horizontal error: a track closer than ~1
#: sigma to a border cannot be told in or out, so it must not toggle the state there.
BAND_SIGMA_FACTOR = 1.0
#: Smallest band, m: typical jitter of a good (radar + filter) track along a border is tens of
#: metres; 50 m also covers the ~10 m accuracy of OSM-derived borders with margin.
BAND_MIN_M = 50.0
#: Largest band, m: beyond this an exit is declared even for very poor tracks (2 km is the
#: median NE-vs-OSM border error: finer claims than that are meaningless anyway).
BAND_MAX_M = 2_000.0
#: Vertical exit margin, m (no vertical sigma is given; ~barometric/GNSS altitude error).
ALT_BAND_M = 30.0
#: Warning look-ahead, s: 10 min covers a 50 m/s drone 30 km out (the reach of a border radar
#: picket) without flooding with far-future crossings.
WARN_HORIZON_S = 600.0
#: Tracks slower than this are not extrapolated (hovering: the heading is noise).
WARN_MIN_SPEED_MPS = 1.0
#: Re-issue a warning when the predicted crossing time moves by more than max(abs, rel * ttc).
WARN_REISSUE_ABS_S = 30.0
WARN_REISSUE_REL = 0.25
#: Scans without a predicted crossing before a warned approach is considered over (hysteresis
#: so a noisy heading does not re-issue the same warning every other scan).
WARN_CLEAR_SCANS = 3
#: Confidence labels on the episode probability.
CONFIRMED_P = 0.95
PROBABLE_P = 0.7



@dataclass(frozen=True)
class AirspaceConfig:
    """Monitor settings (see module constants for the reasons behind the defaults).

    ``epoch``: UTC instant of ``t_s = 0`` (ISO times in events). ``track_timeout_s``: ``None``
    means a track absent from a ``step`` is deleted (engine semantics: every live track is
    passed each scan); a number keeps absent tracks until they are that long unseen
    (asynchronous files). ``enter_at_end``: a track lost while inside a zone whose entry is
    still pending (inside for fewer than ``enter_scans`` scans and less than a band deep) is
    declared to have entered it, the episode ending at its last position. Off for tracks (their
    last position may be the one outlier the scan count guards against); on for the true
    platform positions, which are exact: a flight that ends inside -- a drone that struck its
    target just past the zone's edge -- was inside (``pipeline.airspace``).
    """

    epoch: datetime = UNIX_EPOCH
    enter_scans: int = ENTER_SCANS
    band_sigma_factor: float = BAND_SIGMA_FACTOR
    band_min_m: float = BAND_MIN_M
    band_max_m: float = BAND_MAX_M
    alt_band_m: float = ALT_BAND_M
    warn_horizon_s: float = WARN_HORIZON_S
    warn_min_speed_mps: float = WARN_MIN_SPEED_MPS
    warn_reissue_abs_s: float = WARN_REISSUE_ABS_S
    warn_reissue_rel: float = WARN_REISSUE_REL
    warn_clear_scans: int = WARN_CLEAR_SCANS
    track_timeout_s: float | None = None
    enter_at_end: bool = False

    def __post_init__(self) -> None:
        if self.epoch.tzinfo is None:
            raise ValueError("AirspaceConfig.epoch needs a time zone (UTC advised)")
        if self.enter_scans < 1:
            raise ValueError("enter_scans must be >= 1")
        if not 0 < self.band_min_m <= self.band_max_m:
            raise ValueError("need 0 < band_min_m <= band_max_m")
        if self.warn_horizon_s <= 0 or self.warn_clear_scans < 1:
            raise ValueError("warn_horizon_s must be > 0 and warn_clear_scans >= 1")


def confidence_label(p: float) -> str:
    """'confirmed' (p >= 0.95), 'probable' (p >= 0.7) or 'uncertain'."""
    if p >= CONFIRMED_P:
        return "confirmed"
    if p >= PROBABLE_P:
        return "probable"
    return "uncertain"
