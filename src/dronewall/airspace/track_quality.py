"""Track quality and the confidence label of a violation: what the record rests on.

A violation's track is ``high`` / ``medium`` / ``low`` quality from what saw it over its life
(:class:`TrackInfo`: steps, mean P(bird), strong updates, sensor kinds and how often each
updated it, cooperative reports suspected of spoofing; what the body is -- its mean P(bird) --
from the steps since it came back from an identity gap before the entry,
:func:`body_since_return`): birds and clutter-like tracks
(bird-likely class, few hits, a short track only one sensor kind saw, or a short one that
may be a bird) are ``low``, and so is
a track whose position rests on suspected cooperative reports alone (a ghost). The confidence
label (:func:`confidence`) combines the quality with p_episode, the evidence of the entry and
the cooperative status. :func:`combined_quality` is the same rule over an episode's
fragments. Used by :mod:`.evidence`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from dronewall.airspace.config import CONFIRMED_P, PROBABLE_P
from dronewall.airspace.event_builder import num
from dronewall.airspace.events import Violation
from dronewall.airspace.target_changes import BodyRuns
from dronewall.detections.batch import SensorKind

#: A cooperative identity trusted for at least this share of the track's steps from the first
#: one it was trusted on makes its flight authorised (cooperative traffic), [E]. Counted from
#: the first verification, not from the first report: an arrival is heard on ADS-B far outside
#: the independent sensors' coverage and can only be verified once inside it.
AUTHORISED_TRUSTED_SHARE = 0.5
#: Zone kinds where a drone needs a permit that a Remote ID broadcast is not (airports and
#: critical infrastructure are UAS geographical zones, EU 2019/947 art. 15): a drone trusted on
#: its Remote ID alone is ``identified`` there, and its visit is listed.
UAS_PERMIT_ZONE_KINDS = ("airport", "infrastructure")
#: Below this many strong updates a track is too thin to carry a confirmed violation, [E].
MIN_HITS_QUALITY = 5
#: Bitmask (over ``SensorKind``) of the independent sensors that fix a position on their own
#: (a bearing of one acoustic or RF node does not).
FIXING_BITS = (1 << int(SensorKind.RADAR)) | (1 << int(SensorKind.EOIR))
#: A track only one kind of sensor saw (no second kind to corroborate it) needs this many
#: strong updates on one track -- a sustained track, about a minute of plots of a 2 s radar
#: at good Pd -- to carry a violation, [E]: strings of short single-radar tracks are how
#: bird flocks and clutter look on the raid's far radars (``docs/benchmarks.md`` section 6).
MIN_HITS_UNCORROBORATED = 30
#: A sensor kind corroborates a track only when it updated the track at this many different
#: times or more: one bearing or plot of a neighbour that the tracker associated once (a
#: passing Shahed's acoustic bearing on a flock) is no second sensor seeing the target, [E].
MIN_KIND_UPDATES = 3
#: Probability of the bird class above which a track is treated as a likely bird, [E].
BIRD_P = 0.5
#: A thin track (fewer than ``MIN_HITS_UNCORROBORATED`` strong updates) carries a violation
#: only when it is unlikely to be a bird: mean P(bird) under this, [E]. Gull flocks by the
#: Copenhagen airport gave 5-10 s tracks on radar and EO/IR whose class began as multirotor
#: (mean P(bird) 0.49): "probable" violations of the airport zone, 2 of 17 reported on seeds 7
#: and 8, while every drone's episode there rests on 57 strong updates or more
#: (``docs/benchmarks.md`` section 6, "Thin tracks that may be birds").
BIRD_P_THIN = 0.25
#: Steps since a track came back from an identity gap that judge what it is now, [E]: after a
#: gap the track may have been stitched onto another body (layered raid seed 7: a quadcopter's
#: track, lost when the quadcopter landed, came back 238 s later on a bird flock and carried
#: the quadcopter's low mean P(bird) into three "violations" of the flock). Its P(bird) is
#: then the mean over the steps a sensor located it since it came back, if there are at
#: least this many -- about the 10 s the classifier needs to weigh a new body's first
#: evidence. Coasted steps do not count: a coasting track's class drifts on with no evidence
#: of the body (layered seed 10: a flock's track back for one plot, then 40 s predicted,
#: rose to "decoy" 0.97).
MIN_BODY_STEPS = 10


#: Returns from identity gaps kept per track (the latest), as the gaps themselves.
MAX_RETURNS = 20
#: An entry this close after a return (s) is on the returned stretch (the first scan back).
RETURN_TOL_S = 1.0


@dataclass
class TrackInfo:
    steps: int = 0
    trusted: int = 0
    steps_since_trusted: int = 0
    suspect: int = 0
    identity: str = ""
    p_bird_sum: float = 0.0
    kinds: int = 0
    hits: int = 0
    first_t: float = float("nan")
    last_t: float = 0.0
    speed_mps: float = float("nan")
    cls: int = -1                      # latest MAP class (PlatformClass; -1 not classified)
    # the latest step a sensor updated the track (not a coasted prediction), and where
    upd_t: float = float("nan")
    upd_lat: float = float("nan")
    upd_lon: float = float("nan")
    upd_ve: float = float("nan")       # ENU velocity at that update, m/s
    upd_vn: float = float("nan")
    # distinct update times per sensor kind (SensorKind order; None: not counted -- the
    # caller gave no per-kind update times, and ``kinds`` is taken as it is)
    kind_n: list[int] | None = None
    # identity gaps: (last reported, reported again) times, s (:mod:`.identity_gaps`)
    gaps: list[tuple[float, float]] | None = None
    # its stretches as one body and the changes of target found (:mod:`.target_changes`)
    body: BodyRuns | None = None
    # steps a sensor located the track (not coasted predictions) and their P(bird) sum
    loc_steps: int = 0
    loc_p_bird_sum: float = 0.0
    # per identity gap: (time it came back s, steps and P(bird) sum before, located steps
    # and their P(bird) sum before, distinct update times per kind before -- None: not
    # counted)
    returns: list[tuple[float, int, float, int, float, tuple[int, ...] | None]] | None = None

    def note_return(self, t: float) -> None:
        """The track is reported again at ``t`` (s) after an identity gap: what it was
        before may be another body's (:func:`body_since_return`)."""
        if self.returns is None:
            self.returns = []
        self.returns.append((t, self.steps, self.p_bird_sum, self.loc_steps,
                             self.loc_p_bird_sum,
                             None if self.kind_n is None else tuple(self.kind_n)))
        del self.returns[:-MAX_RETURNS]

    def corroborating(self) -> int:
        """Bitmask of the sensor kinds that count as having seen the track: those that
        updated it at ``MIN_KIND_UPDATES`` different times (all of ``kinds`` when per-kind
        update times were not given)."""
        if self.kind_n is None:
            return self.kinds
        return sum(1 << k for k, c in enumerate(self.kind_n) if c >= MIN_KIND_UPDATES)


def body_since_return(inf: TrackInfo, entry_t_s: float | None) -> tuple[TrackInfo, float | None]:
    """The track evidence that judges what the body of an episode entered at ``entry_t_s``
    (s) is: when the track came back from an identity gap at or before the entry and a
    sensor has located it at ``MIN_BODY_STEPS`` steps or more since, ``inf`` with its steps
    reported since, the mean P(bird) of the located ones and -- where update times per
    sensor kind are counted -- the kinds that updated it since (a kind that saw only the
    body before the gap corroborates nothing of this one), and the return time; else
    ``inf`` itself and None. The strong updates stay the track's: they say the track is no
    false alarm, whichever body it followed."""
    if not inf.returns or entry_t_s is None:
        return inf, None
    back = [r for r in inf.returns if r[0] <= entry_t_s + RETURN_TOL_S]
    if not back:
        return inf, None
    t_back, steps0, p0, loc0, lp0, kn0 = back[-1]
    n_loc = inf.loc_steps - loc0
    if n_loc < MIN_BODY_STEPS:
        return inf, None
    # its steps reported since (an episode's tracks are weighed by steps reported), at the
    # mean P(bird) of the located ones
    n = inf.steps - steps0
    body = replace(inf, steps=n, p_bird_sum=n * (inf.loc_p_bird_sum - lp0) / n_loc)
    if inf.kind_n is not None:
        before = (list(kn0 or ()) + [0] * len(inf.kind_n))[:len(inf.kind_n)]
        since = [max(c - b, 0) for c, b in zip(inf.kind_n, before, strict=True)]
        body = replace(body, kind_n=since,
                       kinds=sum(1 << k for k, c in enumerate(since) if c > 0))
    return body, t_back


def kind_names(bits: int) -> list[str]:
    return [k.name.lower() for k in SensorKind if bits >> int(k) & 1]


def kind_counts(kind_n: list[int] | None) -> dict[str, int] | None:
    """{kind name: distinct update times} of the kinds that updated a track (None: not
    counted)."""
    if kind_n is None:
        return None
    return {k.name.lower(): kind_n[int(k)] for k in SensorKind
            if int(k) < len(kind_n) and kind_n[int(k)] > 0}


def combined_quality(vs: list[Violation]) -> tuple[str, list[str], dict[str, object]] | None:
    """The track quality of an episode from the evidence of all its tracks (each track once,
    its latest record; fragments that were only predicted inside add nothing): steps-weighted
    P(bird), the strong updates of its best-observed track (a string of two-plot tracks is no
    better evidence than one of them), the union of sensor kinds; returns the quality, its
    reasons and the combined evidence fields of the record. None when a fragment lacks the
    evidence fields (records from older files or other tools)."""
    by_track: dict[object, list[Violation]] = {}
    for x in vs:
        if x.track_steps is None or x.track_hits is None or x.sensor_kinds is None:
            return None
        by_track.setdefault(x.track_id, []).append(x)
    seen = [x for recs in by_track.values() for x in _disjoint_latest(recs)
            if x.observed_inside is not False]
    if not seen:
        return "low", ["no sensor update inside the zone: the tracks were only predicted "
                       "there"], {"observed_inside": False}
    inf = TrackInfo()
    counted = all(x.sensor_updates is not None for x in seen)
    if counted:
        inf.kind_n = [0] * len(SensorKind)
    for x in seen:
        n = int(x.track_steps or 0)
        inf.steps += n
        inf.p_bird_sum += float(x.track_p_bird or 0.0) * n
        inf.hits = max(inf.hits, int(x.track_hits or 0))
        inf.kinds |= sum(1 << int(SensorKind[k.upper()]) for k in (x.sensor_kinds or [])
                         if k.upper() in SensorKind.__members__)
        if counted and inf.kind_n is not None:
            for k, c in (x.sensor_updates or {}).items():
                if k.upper() in SensorKind.__members__:
                    inf.kind_n[int(SensorKind[k.upper()])] += int(c)
        inf.suspect += int(x.cooperative == "untrusted")
    q, reasons = quality(inf)
    fields: dict[str, object] = {
        "track_steps": inf.steps, "track_hits": inf.hits, "sensor_kinds": kind_names(inf.kinds),
        "sensor_updates": kind_counts(inf.kind_n),
        "track_p_bird": num(inf.p_bird_sum / inf.steps, 3) if inf.steps else None,
        # from a return only when every record counted is (then the earliest such return)
        "track_body_from_t_s": (None if any(x.track_body_from_t_s is None for x in seen)
                                else min(float(x.track_body_from_t_s or 0.0) for x in seen)),
        "observed_inside": True}
    n_tracks = len({x.track_id for x in seen})
    if n_tracks > 1:
        reasons = [f"over {n_tracks} tracks: " + "; ".join(reasons)]
    return q, reasons, fields


def _disjoint_latest(recs: list[Violation]) -> list[Violation]:
    """Of one track's records (in time order), those whose evidence windows do not overlap:
    the latest (its steps and P(bird) cover the track's life up to it, which includes every
    earlier record's), and -- when it counts only from a return after a gap
    (``track_body_from_t_s``) -- the earlier records that ended by that return, and so on
    back (a record with no end time, from another tool, cannot be placed: not counted)."""
    k = len(recs) - 1
    out = [recs[k]]
    since = recs[k].track_body_from_t_s
    while since is not None and k > 0:
        k -= 1
        end = recs[k].exit_t_s if recs[k].exit_t_s is not None else recs[k].t_s
        if end is not None and float(end) <= float(since) + RETURN_TOL_S:
            out.append(recs[k])
            since = recs[k].track_body_from_t_s
    return out


def quality(inf: TrackInfo, back: str | None = None) -> tuple[str, list[str]]:
    """The track quality and its reasons; ``back``: when (HH:MM:SS UTC) the track came back
    from the gap its P(bird) counts from (:func:`body_since_return`), None: its life."""
    reasons = []
    since = f" since it came back at {back} UTC" if back else ""
    if inf.suspect > 0 and not (inf.kinds & FIXING_BITS):
        # its position rests on cooperative reports suspected of spoofing: no independent
        # sensor able to fix a position (radar, EO/IR) saw an aircraft there -- a ghost, or
        # an offset position; a stray acoustic / RF bearing associated with it proves nothing
        reasons.append("position only from cooperative reports suspected of spoofing: no "
                       "independent sensor saw it")
    p_bird = inf.p_bird_sum / inf.steps if inf.steps else 0.0
    if p_bird > BIRD_P:
        reasons.append(f"likely a bird (mean P(bird) {p_bird:.2f}{since})")
    elif p_bird >= BIRD_P_THIN and inf.hits < MIN_HITS_UNCORROBORATED:
        reasons.append(f"possibly a bird (mean P(bird) {p_bird:.2f}{since}) on only "
                       f"{inf.hits} strong updates")
    n_kinds = bin(inf.corroborating()).count("1")
    if inf.hits < MIN_HITS_QUALITY:
        reasons.append(f"only {inf.hits} strong updates")
    elif n_kinds <= 1 and inf.hits < MIN_HITS_UNCORROBORATED:
        reasons.append(f"one sensor kind and only {inf.hits} strong updates: uncorroborated")
    # a kind that updated the track but too rarely to count: say so
    thin = kind_names(inf.kinds & ~inf.corroborating())
    note = f" ({', '.join(thin)}: fewer than {MIN_KIND_UPDATES} updates)" if thin else ""
    if reasons:
        if note and n_kinds <= 1:
            reasons.append("no second sensor kind" + note)
        return "low", reasons
    if n_kinds <= 1:
        return "medium", ["one sensor kind" + note]
    return "high", [f"{n_kinds} sensor kinds"]


def cooperative_status(inf: TrackInfo, zone_kind: str = "") -> str:
    """The episode's cooperative status (module docstring, ``cooperative``). A trusted
    identity broadcast by Remote ID alone (no ADS-B) in a zone of ``UAS_PERMIT_ZONE_KINDS`` is
    ``identified``, not ``authorised``: Remote ID names the drone, it clears no flight there."""
    if not inf.identity:
        return "non_cooperative"
    if inf.suspect > 0:
        return "untrusted"
    if inf.steps_since_trusted and (inf.trusted / inf.steps_since_trusted
                                    >= AUTHORISED_TRUSTED_SHARE):
        rid_only = (inf.kinds >> int(SensorKind.REMOTE_ID) & 1
                    and not inf.kinds >> int(SensorKind.ADSB) & 1)
        if rid_only and zone_kind in UAS_PERMIT_ZONE_KINDS:
            return "identified"
        return "authorised"
    return "unverified"


def confidence(v: Violation, observed: bool, quality: str, q_reasons: list[str],
                coop: str) -> tuple[str, list[str]]:
    p = float(v.p_episode or 0.0)
    reasons = [f"p_episode {p:.2f}", "observed crossing" if observed
               else "first detected inside (entry inferred)"]
    reasons += [f"track quality {quality}: " + "; ".join(q_reasons)]
    if coop == "authorised":
        return "authorised", reasons + ["trusted cooperative identity"]
    if coop == "untrusted":
        reasons.append("cooperative identity suspected of spoofing")
    if coop == "identified":
        reasons.append("identified by its Remote ID, which the independent sensors "
                       "corroborated: a broadcast names the drone, it is no permit for this zone")
    # the monitor's thresholds (``airspace.config``: confirmed >= 0.95, probable >= 0.7): an
    # episode as likely as not (a 5 m graze of an airport zone measured to +-15 m, p 0.6) is
    # kept in the record as uncertain, never listed as a probable violation
    if quality == "low" or p < PROBABLE_P:
        return "uncertain", reasons
    if observed and p >= CONFIRMED_P and quality in ("high", "medium"):
        return "confirmed", reasons
    return "probable", reasons


#: Why an episode is not listed as a violation (``unlisted_reason``), in the order tested.
UNLISTED_REASONS = ("authorised_cooperative", "low_quality", "unlikely")


def unlisted_reason(cooperative: str | None, track_quality: str | None,
                    confidence: str | None) -> str | None:
    """Why an episode stays in the record but is not listed as a violation (None: listed):
    trusted cooperative traffic, a low-quality track (a likely bird, too few updates), or an
    episode no more likely than ``PROBABLE_P`` (confidence ``uncertain``). One rule for the
    incident report's default list and the scoring of what was reported."""
    if cooperative == "authorised":
        return "authorised_cooperative"
    if track_quality == "low":
        return "low_quality"
    if confidence == "uncertain":
        return "unlikely"
    return None
