"""Typed airspace events: what the monitor says about a track (or platform) and a zone.

Four kinds, each a frozen record with exactly the fields of its JSON form (``docs/airspace.md``):
:class:`Warning` (predicted to enter), :class:`Entry`, :class:`Exit` (declared with hysteresis,
interpolated between scans where possible) and :class:`Violation` (one closed or ongoing
episode inside a zone, with depth, duration and confidence). Stages exchange these records;
only writers turn them into dicts (:meth:`AirspaceEvent.to_dict`).

Times: ``t_s`` seconds since the monitor's epoch, ``time`` the same instant as ISO 8601 UTC.
Positions WGS84 degrees, altitudes metres above the ellipsoid, distances metres. Values the
monitor could not determine are None (JSON null).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, ClassVar

#: A track id (int, tracks) or a platform id (str, the truth monitor).
Subject = int | str


@dataclass(frozen=True, kw_only=True)
class AirspaceEvent:
    """Fields every event has. ``identity``: the subject's cooperative identity, set by the
    writer at the end of a run ("" non-cooperative; None not yet known)."""

    kind: ClassVar[str] = ""
    track_id: Subject
    zone_id: str
    zone_kind: str
    zone_name: str | None
    country: str | None
    time: str
    t_s: float | None
    identity: str | None = None

    #: optional fields left out of the JSON form while None (``identity`` always is)
    optional: ClassVar[tuple[str, ...]] = ()

    def to_dict(self) -> dict[str, Any]:
        """The event as a JSON-ready dict (``event`` = kind; ``identity`` and the kind's
        :attr:`optional` fields only when known)."""
        d = asdict(self)
        for k in ("identity", *self.optional):
            if d.get(k, 0) is None:
                del d[k]
        d["event"] = self.kind
        return d

    def with_identity(self, identity: str) -> AirspaceEvent:
        return replace(self, identity=identity)


@dataclass(frozen=True, kw_only=True)
class Warning(AirspaceEvent):  # noqa: A001 - the event's name in the JSON schema
    """Predicted to enter the zone within the look-ahead horizon (straight-line prediction)."""

    kind: ClassVar[str] = "warning"
    predicted_crossing_time: str
    predicted_crossing_t_s: float | None
    time_to_crossing_s: float | None
    predicted_lat: float | None
    predicted_lon: float | None


@dataclass(frozen=True, kw_only=True)
class Entry(AirspaceEvent):
    """Declared inside (after the hysteresis); ``t_s``/``lat``/``lon`` the (interpolated)
    crossing, ``declared_t_s`` when it was declared, ``from_country`` where it came from."""

    kind: ClassVar[str] = "entry"
    lat: float | None
    lon: float | None
    alt_m: float | None
    p_inside: float | None
    declared_t_s: float | None
    interpolated: bool
    from_country: str
    # how the crossing is known, stated at once for the operator (``docs/airspace.md``, "How
    # each violation is known"; absent on raw monitor output and the truth monitor's events):
    #: ``observed_crossing`` (interpolated between a position outside and one inside) or
    #: ``first_detected_inside``
    evidence: str | None = None
    #: the entry's window [earliest, latest], s / UTC: an observed crossing's 95 % window; for
    #: a first detection inside, the track's velocity back-propagated to the boundary (None:
    #: unbounded) and the first detection -- the same window the episode's violation states
    window_t_s: list[float | None] | None = None
    window_utc: list[str | None] | None = None
    #: 95 % uncertainty of an observed crossing's point along the boundary, m
    point_95_m: float | None = None
    #: seconds the back-propagated path lay inside sensor coverage (first detected inside)
    covered_before_s: float | None = None
    #: an observed crossing declared while the track coasted: the seconds from its last
    #: sensor update to the crossing (the inside part rests on the track's prediction; None:
    #: a sensor updated it at or after the crossing)
    predicted_for_s: float | None = None
    #: first detected inside: seconds from the start of the picture (a run's first step, a
    #: server's first picture after a start) to the first detection -- a track found inside
    #: in the first minute was there before anyone looked, not necessarily entering then
    after_start_s: float | None = None

    #: a Remote ID drone: the pilot's position its broadcast claims, [lat, lon] deg, and
    #: when it was last heard, s (:mod:`dronewall.airspace.operators`; None: none heard)
    operator_point: list[float] | None = None
    operator_t_s: float | None = None
    #: a short-reach control / video link an RF finder heard on the track(s) inside a
    #: sovereign zone (:mod:`dronewall.airspace.pilot_link`): protocol, reports, the link's
    #: reach and the least depth it was heard at, m, and whether the pilot was therefore
    #: inside (None: no such link heard)
    pilot_link: dict[str, Any] | None = None
    #: an entry declared where the track moved onto another target inside the zone (its
    #: record split there, :mod:`dronewall.airspace.splits`): that change, as the violation's
    #: ``target_changes`` records it (None: an entry of the zone)
    target_changes: list[dict[str, Any]] | None = None

    optional: ClassVar[tuple[str, ...]] = ("evidence", "window_t_s", "window_utc",
                                           "point_95_m", "covered_before_s", "predicted_for_s",
                                           "after_start_s", "operator_point", "operator_t_s",
                                           "target_changes")


@dataclass(frozen=True, kw_only=True)
class Exit(AirspaceEvent):
    """Declared outside again; fields as :class:`Entry`. ``window_t_s`` / ``window_utc`` /
    ``point_95_m``: the 95 % window and point uncertainty of an exit the sensors saw
    (interpolated, with a sensor update at or after the crossing; absent otherwise)."""

    kind: ClassVar[str] = "exit"
    lat: float | None
    lon: float | None
    alt_m: float | None
    p_inside: float | None
    declared_t_s: float | None
    interpolated: bool
    window_t_s: list[float | None] | None = None
    window_utc: list[str | None] | None = None
    point_95_m: float | None = None

    optional: ClassVar[tuple[str, ...]] = ("window_t_s", "window_utc", "point_95_m")


@dataclass(frozen=True, kw_only=True)
class Violation(AirspaceEvent):
    """One episode inside the zone: entry/exit times and points, duration (s), maximum depth
    (m) and its 1-sigma, path length (m), altitude band (m), top speed (m/s), ``p_inside`` at the
    deepest point, ``p_episode`` and its ``confidence`` label, ``ongoing`` at the end of the
    data, ``end_reason``, ``n_scans``."""

    kind: ClassVar[str] = "violation"
    from_country: str
    entry_time: str
    exit_time: str
    entry_t_s: float | None
    exit_t_s: float | None
    entry_point: list[float | None]
    exit_point: list[float | None]
    entry_interpolated: bool
    exit_interpolated: bool
    duration_s: float | None
    max_depth_m: float | None
    max_depth_point: list[float | None]
    sigma_at_max_depth_m: float | None
    path_length_m: float | None
    min_alt_m: float | None
    max_alt_m: float | None
    max_speed_mps: float | None
    p_inside: float | None
    p_episode: float | None
    confidence: str
    ongoing: bool
    end_reason: str
    n_scans: int
    #: largest 1-sigma altitude error of the track over the scans inside, m (None: not known,
    #: the altitude band was tested on the estimate alone)
    sigma_alt_m: float | None = None
    # evidence semantics (:mod:`dronewall.airspace.evidence`; absent on the truth monitor's
    # records and on raw monitor output): how the episode is known
    evidence: str | None = None
    entry_window_t_s: list[float | None] | None = None
    entry_window_utc: list[str | None] | None = None
    #: 95 % uncertainty of an observed entry's point along the zone boundary, m (None: first
    #: detected inside, or not known)
    entry_point_95_m: float | None = None
    #: 95 % window [earliest, latest] of an exit the sensors observed, s / UTC (None: the
    #: episode ended otherwise -- track lost, ongoing)
    exit_window_t_s: list[float | None] | None = None
    exit_window_utc: list[str | None] | None = None
    #: [shortest, longest] duration from the entry and exit windows, s (None: no observed
    #: exit; longest None: the entry was first detected inside, its earliest an estimate)
    duration_bounds_s: list[float | None] | None = None
    covered_before_s: float | None = None
    cooperative: str | None = None
    authorised: bool | None = None
    track_quality: str | None = None
    episode_id: str | None = None
    confidence_reasons: list[str] | None = None
    fragments: list[Subject] | None = None
    # what the track(s) behind the episode rest on, over their life: steps reported, mean
    # P(bird), strong updates, sensor kinds, and whether a sensor updated a track inside the
    # zone (False: the episode is a coasted prediction)
    track_steps: int | None = None
    track_p_bird: float | None = None
    #: the steps, P(bird), sensor kinds and their updates count from this time, s: the
    #: track came back from an identity gap then, at or before the entry, and what the body
    #: is was judged on what it did since (``track_quality.body_since_return``; strong
    #: updates stay the track's); None: over the track's life
    track_body_from_t_s: float | None = None
    track_hits: int | None = None
    sensor_kinds: list[str] | None = None
    #: distinct update times per sensor kind; a kind corroborates the track from
    #: ``track_quality.MIN_KIND_UPDATES`` (None: not counted -- records from older files)
    sensor_updates: dict[str, int] | None = None
    observed_inside: bool | None = None
    #: the gaps after which the track(s) came back under the same id up to the end of the
    #: episode (:mod:`dronewall.airspace.identity_gaps`): from / to (s, UTC), length, and
    #: whether before the entry or inside the zone -- where the identity rests on prediction
    identity_gaps: list[dict[str, Any]] | None = None
    #: the times the track(s) moved from one body to another without a gap, up to the end
    #: of the episode (:mod:`dronewall.airspace.target_changes`): a slow bird-like stretch and
    #: a fast one -- before that time the track followed another target
    target_changes: list[dict[str, Any]] | None = None
    #: a Remote ID drone: the pilot's position its broadcast claimed, latest heard up to the
    #: episode's end, [lat, lon] deg, and when, s (a claim, not a sensor fix; None: none)
    operator_point: list[float] | None = None
    operator_t_s: float | None = None
    #: a short-reach control / video link an RF finder heard on the track(s) inside a
    #: sovereign zone (:mod:`dronewall.airspace.pilot_link`): protocol, reports, the link's
    #: reach and the least depth it was heard at, m, and whether the pilot was therefore
    #: inside (None: no such link heard)
    pilot_link: dict[str, Any] | None = None

    optional: ClassVar[tuple[str, ...]] = (
        "evidence", "entry_window_t_s", "entry_window_utc", "entry_point_95_m",
        "exit_window_t_s", "exit_window_utc", "duration_bounds_s", "covered_before_s",
        "cooperative", "authorised", "track_quality", "episode_id", "confidence_reasons",
        "fragments", "track_steps", "track_p_bird", "track_body_from_t_s", "track_hits",
        "sensor_kinds",
        "sensor_updates", "observed_inside", "identity_gaps", "target_changes", "operator_point",
        "operator_t_s", "pilot_link")


EVENT_TYPES: dict[str, type[AirspaceEvent]] = {
    c.kind: c for c in (Warning, Entry, Exit, Violation)}


def event_from_dict(d: dict[str, Any]) -> AirspaceEvent:
    """The typed event of a JSON dict (``event`` names the kind; unknown keys are an error)."""
    cls = EVENT_TYPES.get(str(d.get("event")))
    if cls is None:
        raise ValueError(f"event: got {d.get('event')!r}; expected one of {sorted(EVENT_TYPES)}")
    names = {f.name for f in fields(cls)}
    extra = set(d) - names - {"event"}
    if extra:
        raise ValueError(f"{cls.kind} event: unexpected fields {sorted(extra)}")
    return cls(**{k: v for k, v in d.items() if k != "event"})
