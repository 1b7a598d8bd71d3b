"""``TrackerConfig``: every threshold of the tracking engine, with units, validated once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from dronewall.errors import ConfigurationError
from dronewall.tracking.acoustic_gate import AcousticLevels
from dronewall.tracking.bearings import TriangulationParams
from dronewall.tracking.emitters import EmitterParams


@dataclass(frozen=True)
class TrackerConfig:
    """Every threshold of the engine, with units. Validated at construction.

    Defaults are for small/medium UAS (Shahed-class to quadcopters) seen by surveillance
    radars, acoustic/RF nodes and cooperative reports; the 2-D benchmark CLI overrides a few.
    """

    dims: Literal[2, 3] = 3
    """Spatial dimensions of the state: 2 -> [x, y, vx, vy], 3 -> [x, y, z, vx, vy, vz]."""
    q_horizontal_m2ps3: float = 3.0
    """Horizontal white-noise-acceleration spectral density, m^2/s^3 (3 suits 30-60 m/s
    targets with occasional 1-3 deg/s turns; Stone Soup baseline tuning)."""
    q_vertical_m2ps3: float = 0.5
    """Vertical spectral density, m^2/s^3, applied along the *local* vertical at each track."""
    gate_mahalanobis: float = 4.0
    """Gate on the Mahalanobis distance sqrt(y^T S^-1 y) (4 sigma: Stone Soup's
    missed_distance; also the cost of leaving a track unassigned, squared)."""
    confirm_m: int = 2
    """M of M-of-N confirmation: hits (the initiating detection counts as one)."""
    confirm_n: int = 3
    """N of M-of-N: update opportunities (groups with a candidate detection in the track's
    gating region, or an update) within which M hits must be reached."""
    coast_time_s: float = 5.0
    """A confirmed track with no strong update for longer than this is deleted, s (see
    coast_revisit_factor)."""
    tentative_coast_time_s: float = 2.0
    """A tentative track with no strong update for longer than this is deleted, s."""
    max_position_sd_m: float = 20_000.0
    """A track whose largest horizontal position sd exceeds this is deleted (lost), m."""
    ground_floor_m: float = -np.inf
    """3-D only: no target is below this WGS84 ellipsoidal height, m; a track state whose
    height falls below it is projected onto it (``tracking/ground.py``). -inf: no floor."""
    init_velocity_sd_mps: float = 50.0
    """Prior sd of each horizontal velocity component of a new track, m/s."""
    init_vertical_velocity_sd_mps: float = 10.0
    """Prior sd of the vertical velocity of a new 3-D track, m/s."""
    history_len: int = 32
    """States kept per track in the ring buffer (the last K steps)."""
    latency_window_s: float = 0.0
    """Reorder window: detections are processed once t_step - latency_window_s has passed
    their time; later arrivals inside the window are processed in order. s."""
    time_group_tolerance_s: float = 0.0
    """Detections whose times differ by at most this are processed as one group at the group's
    latest time (position error <= speed * tolerance). s."""
    max_future_s: float = 60.0
    """Detections stamped more than this after the step time are quarantined, s."""
    association: Literal["gnn", "jpda"] = "gnn"
    """'gnn': global nearest neighbour per cluster; 'jpda': exact JPDA per cluster for XY and
    POSITION detections (GNN fallback for large clusters; RADAR/angles always GNN)."""
    pd: float = 0.9
    """Detection probability (JPDA, IMM-PDA), 0..1."""
    clutter_density: float = 1e-9
    """False alarms per unit measurement volume (per m^2 for XY, per m^3 for POSITION)."""
    jpda_max_tracks: int = 6
    """Clusters with more tracks than this fall back to GNN (enumeration is exponential)."""
    jpda_max_hypotheses: int = 50_000
    """Enumeration stops and falls back to GNN beyond this many joint events per cluster."""
    imm: bool = False
    """Interacting multiple model on/off. Models: CV(q) and CV(imm_q_high); with
    imm_turn_rate_dps > 0 also coordinated turns at +-that rate."""
    imm_q_high_m2ps3: float = 40.0
    """Horizontal spectral density of the manoeuvre CV model, m^2/s^3."""
    imm_turn_rate_dps: float = 0.0
    """If > 0, add CT models with this known turn rate (+ and -), deg/s."""
    imm_sojourn_s: tuple[float, ...] = (30.0, 8.0)
    """Mean time spent in each model before switching, s (one per model; the CT models use the
    last value)."""
    imm_initial_quiet_prob: float = 0.9
    """Initial probability of the quiet CV model for a new track (the rest is shared equally
    by the manoeuvre models)."""
    joseph: bool = True
    """Joseph-form covariance update (else the symmetric short form P - K S K^T)."""
    identity_match_bonus: float = 9.0
    """Subtracted from the association cost (Mahalanobis^2) when a POSITION report carries the
    same cooperative identity as the track."""
    identity_mismatch_penalty: float = 25.0
    """Added to the cost when both carry identities and they differ (still allowed)."""
    bearing_max_range_m: float = 5_000.0
    """A bearing / az-el updates only tracks within this horizontal distance of its sensor, m
    (beyond it a 5 deg bearing is a > 400 m wide wedge: weak information, easy to misuse)."""
    bearing_explain_range_m: float = 20_000.0
    """Tracks within this horizontal distance of a bearing sensor compete for its bearings; one
    beyond ``bearing_max_range_m`` that wins a bearing consumes it without being updated
    (a loud far target, e.g. an airliner heard 15 km away, explains its own bearings instead
    of letting them pull a quiet track near the node), m. Values below bearing_max_range_m
    mean bearing_max_range_m."""
    azel_ambiguity_margin_d2: float = 4.0
    """An EO/IR az-el detection updates the track GNN gave it to only when that choice is
    clear: every other candidate track fits the detection, and every other detection of the
    same sensor fits the track, worse by at least this normalised distance squared (a
    likelihood ratio of e^2 = 7.4 at 4). Otherwise the detection is consumed without an update
    (``StepResult.diagnostics["azel_updates_ambiguous"]``). Two drones in line from the camera
    differ mainly in elevation, which a radar-height track predicts poorly: a 0.1 deg detection
    given to the wrong one fixes it on the other's line of sight and a wrong height, and it
    leaves its own target (flagship seed 10: a Shahed's track 300-500 m off in its last
    minute before the airport, docs/benchmarks.md s.6). 0: off."""
    triangulation: TriangulationParams = field(default_factory=TriangulationParams)
    """Bearing triangulation thresholds (min bearings, gate, crossing angle, ...)."""
    emitters: EmitterParams = field(default_factory=EmitterParams)
    """Two-bearing cross-fixes of emitters whose RF protocol and acoustic class agree
    (``emitters.py``; off while ``emitters.signatures`` is empty)."""
    acoustic_levels: AcousticLevels = field(default_factory=AcousticLevels)
    """Source-level bounds per acoustic signature class: a track where an acoustic bearing's
    received level would make it too loud or too quiet for the class heard is no candidate
    for that bearing (``acoustic_gate.py``; off while ``acoustic_levels.levels`` is empty)."""
    bearing_height_agl_m: float = 100.0
    """Assumed height above the bearing sensors of a triangulated target with no elevation
    information, m."""
    bearing_height_sd_m: float = 300.0
    """Sd of that assumed height (unknown altitude -> large vertical variance), m."""
    max_meas_position_sd_m: float = 1.0e5
    """Measurement position / range sd above this is absurd, m."""
    max_meas_angle_sd_rad: float = 0.5
    """Angle sd above this (29 deg) is absurd, rad."""
    max_meas_range_rate_sd_mps: float = 1.0e3
    """Range-rate sd above this is absurd, m/s."""
    initial_capacity: int = 64
    """Initial rows of the track table (grown by doubling)."""
    init_exclusion_mahalanobis: float = 8.0
    """Initiation exclusion: a leftover detection or triangulated fix whose Mahalanobis
    distance (same normalised scale as the gate) to a *confirmed* track that other sensors
    updated in the same group is below this does not start a new track -- it is an outlier of
    that target (sensor bias, unmodelled height, bad fix), not a new target -- unless one of
    its own sensors updated that track in the group with another detection (then it is a
    second target). Twice the default gate. 0 disables. Must be >= gate_mahalanobis."""
    merge_gate_prob: float = 0.99
    """Duplicate-track merging: two confirmed tracks are statistically indistinguishable when
    the Mahalanobis distance of their horizontal position/velocity difference with P1 + P2 is
    below the chi-square(4) quantile at this probability (and their heights agree within the
    gate). 0 disables merging."""
    merge_steps: int = 3
    """Consecutive steps a pair must stay indistinguishable, with no sensor updating both in
    the same group, before the younger track (higher id) is merged into the older one."""
    merge_distinct_memory_s: float = 0.0
    """A pair of tracks that one sensor updated in the same group with different detections
    (two objects seen at once: two targets) is not merged for this long afterwards, s. Two
    bird flocks or drones a few hundred metres apart, each seen by a far radar on a third of
    its scans, are seen together only now and then; in between their tracks look
    indistinguishable and were merged, putting one target's id on the other. 0 (default):
    only this step's evidence counts."""
    merge_keep_fresher_s: float = 0.0
    """Which id a duplicate merge keeps. 0 (default): the older track's (lower id) -- a new
    track confirmed beside its own coasting predecessor continues that one. > 0: where both
    are reported tracks and the younger one's latest strong update is this many seconds or
    more later than the older one's, the younger one's id (and history) is kept: the older
    one coasted onto a target the younger one was following -- a flock's track that drifted
    onto a drone the drone's own track was fed on, which kept the flock's id, history and
    class evidence on the drone (flagship raid seeds 1, 2 and 11, traced against truth: 18
    merges kept the id of a track that had followed another platform until then, 4 with
    5 s; docs/benchmarks.md s.6). Stitching a lost track is unaffected, s."""
    merge_common_noise: bool = False
    """Duplicate test under the one-target hypothesis (``management._pair_cov``): each track's
    covariance keeps only the process noise it gathered up to the later of the pair's last
    updates (the target's later manoeuvres are common to both of its tracks), and a new track
    that fits a reported one is held back at confirmation until the merge test settles it.
    Off by default: on the flagship raid (seeds 1-5, 10) it gave 13 fewer ids over six seeds
    but GOSPA +3.9 % on seed 3 (docs/benchmarks.md s.6, "Duplicate test under one target")."""
    coast_revisit_factor: float = 0.0
    """A confirmed track is deleted when it has had no strong update (a position-type
    detection, a fix, or bearings from >= triangulation.min_bearings sensors) for longer than
    clip(coast_revisit_factor x its mean interval between strong updates, coast_time_s,
    max_coast_time_s): tracks of targets that sensors revisit rarely (long radar range, low
    Pd) coast longer. 0 (default) disables: fixed coast_time_s."""
    max_coast_time_s: float = 30.0
    """Upper bound of the revisit-scaled coast time, s (never below coast_time_s)."""
    young_coast_time_s: float = 0.0
    """A confirmed track with fewer than ``young_coast_hits`` strong updates coasts for at least
    this long, s: its revisit envelope rests on a few intervals, and a track confirmed on
    three or four plots that then missed two scans was reported for a few seconds and lost --
    a flash on the operator's screen, and often a second id for its target when the next plots
    fell outside the lost track's narrower gate. 0 (default): no separate floor."""
    young_coast_hits: int = 8
    """Strong updates from which a track's coast follows its revisit envelope and
    ``coast_time_s`` alone (see ``young_coast_time_s``)."""
    slow_coast_time_s: float = 0.0
    """A confirmed track whose horizontal speed estimate is below ``lost_fast_speed_mps``
    (birds, hovering or loitering multirotors) coasts for at least this long, s: its
    dead-reckoned estimate runs off slowly (10 s at 12 m/s is 120 m), while a fast target's
    estimate runs on past a drone that struck or a decoy that came down (10 s at 45 m/s is
    450 m). 0 (default): no separate floor."""
    precise_coast_sd_m: float = 0.0
    """A confirmed track whose coast time ran out stays reported while an EO/IR camera took
    part in its latest update, within ``coast_time_s``, and that update left its horizontal
    1-sigma position error (the major semi-axis of the ellipse) at most this, m: the camera's
    angles hold a target the radar missed for a few scans. Such updates are not *strong* (one
    sensor's angles do not fix the range), so they neither confirm nor set the revisit
    envelope; once the range error grows past this, the track is lost as before. Cameras
    only: a camera's detection is a lock on one object, while acoustic and RF bearings are
    heard from every target around (on the flagship raid, holds by acoustic bearings added
    switches). 0 (default): off."""
    lost_window_s: float = 0.0
    """Memory for re-acquisition, s since the last strong update: a confirmed track whose coast
    time ran out is no longer reported but kept as *lost* until then -- predicted on, gated
    with its grown covariance (after confirmed, before tentative tracks), and reported again
    under its own id at its next strong update. A newly confirmed track that is kinematically
    consistent with a lost one is stitched into it (the older id is kept). 0 (default):
    tracks are deleted when their coast time runs out."""
    lost_max_sd_m: float = 3_000.0
    """A lost track is deleted once its horizontal 1-sigma position error exceeds this, m: a
    prediction that vague is no longer evidence of where the target went."""
    lost_fast_max_sd_m: float = 0.0
    """``lost_max_sd_m`` for a lost track of a fast target -- one whose horizontal speed
    estimate is at least ``lost_fast_speed_mps`` -- m. Aircraft and
    one-way drones at cruise fly straight, so a stitch's position *and* velocity match stays
    telling over a gap whose prediction sd has grown past what a wandering slow target
    (birds, hovering multirotors) allows. 0 (default): ``lost_max_sd_m`` for every track."""
    lost_fast_speed_mps: float = 25.0
    """Horizontal speed, m/s, from which a lost track is *fast* for ``lost_fast_max_sd_m``
    (above bird flight speeds of ~8-20 m/s)."""
    lost_reassoc_max_sd_m: float = 0.0
    """A lost track whose horizontal 1-sigma position error exceeds this, m, takes no more
    plots -- its gate would hold clutter and neighbours, and one wrong plot in a prediction
    that wide drags its velocity off -- but is kept, up to ``lost_max_sd_m``, for stitching: a
    newly confirmed track that matches it in position *and* velocity takes its id. 0
    (default): no separate limit (lost tracks take plots up to ``lost_max_sd_m``)."""
    lost_gate_mahalanobis: float = 0.0
    """A lost (or re-acquiring) track takes a position-type detection or fix only within this
    normalised distance (the scale of ``gate_mahalanobis``; 0, default: that gate). Its
    prediction has run on without plots past its coast time; a plot far out in its gate is as
    likely a neighbour's -- in a stream of drones, often one no track holds yet -- and
    re-acquiring on it moves the lost track onto that neighbour, while its own platform gets
    a new track. A plot outside this gate starts a track of its own, which a stitch joins to
    the lost track when position *and* velocity agree. Must be <= ``gate_mahalanobis``."""
    lost_q_horizontal_m2ps3: float = 0.0
    """Lost tracks of fast targets (``lost_fast_speed_mps``) are predicted with one
    constant-velocity model of this horizontal acceleration density, m^2/s^3, instead of the
    IMM, whose mixture of turning models slows a coasting track and swells its covariance
    over minutes (``tracking/lost.py``). 0 (default): lost tracks are predicted like the
    others (unless ``lost_slow_tau_s`` is set; then fast ones with ``q_horizontal_m2ps3``)."""
    lost_slow_tau_s: float = 0.0
    """Lost tracks of slow targets (below ``lost_fast_speed_mps``: birds, loitering
    multirotors) are predicted with a velocity that forgets its direction with this
    correlation time, s (Ornstein-Uhlenbeck, ``lost.ou_transition``): over a gap of
    minutes a wanderer is near where it was last seen, spread like a random walk, not far
    along its last heading with the cubic spread of constant velocity. 0 (default): off."""
    lost_slow_speed_sd_mps: float = 12.5
    """Stationary sd per horizontal axis of a slow lost track's velocity, m/s (with
    ``lost_slow_tau_s``): half of ``lost_fast_speed_mps``'s default, the speeds below it."""
    lost_min_hits: int = 4
    """Only confirmed tracks with at least this many strong updates -- or, track score on, a
    score of at least ``score_confirm`` (a score confirmation after a long wait restarts the
    hit count) -- are kept as lost when their coast time runs out (fewer: deleted -- a track
    barely past confirmation is as likely clutter as a target, and keeping it would let
    clutter re-acquire it)."""
    reacquire_hits: int = 2
    """Strong updates (in different groups) a lost track needs before it is reported again: one
    clutter plot inside a lost track's wide gate must not bring it back."""
    stitch_gate_prob: float = 0.99
    """Stitching a newly confirmed track into a lost one: the chi-square(4) quantile at this
    probability bounds the Mahalanobis distance of their horizontal position/velocity
    difference (P1 + P2). A stitch is not undone, and the lost track's grown covariance is
    conservative: on the flagship raid (seeds 1 and 4, gate at 0.999) the stitches that
    continued the right platform had d^2 <= 6.7, the wrong ones up to 17.4, 9 of 25 above 13.3
    (0.999 gives 18.5, 0.99 13.3)."""
    revisit_rise_weight: float = 0.5
    """The per-track revisit estimate is an upper envelope of the intervals between strong
    updates: a longer interval moves it up with this weight, a shorter one down with
    ``revisit_fall_weight`` -- so a burst of quick plots just before a long gap does not
    shrink the coast time (long memory of the gaps a target's sensors leave)."""
    revisit_fall_weight: float = 0.05
    # ---- sequential track score for radar initiation (management.py, update.py)
    score_false_alarm_density_m3: float = 0.0
    """Radar false alarms per scan per cubic metre of covered volume (the sensors' CFAR
    setting over their coverage). > 0 turns on the *track score* of tentative tracks: each
    radar plot a tentative track takes adds the log-likelihood ratio
    ln(score_pd * f(z) / lambda(z)) -- f the predicted measurement density, lambda the false-alarm
    density in the same (range, azimuth, elevation[, range-rate]) space, lambda_pos r^2 cos(el)
    [/ score_range_rate_span_mps] -- and a tentative track is confirmed when its score reaches
    ``score_confirm`` even if its plots came farther apart than M-of-N allows (a long-range,
    low-Pd target confirms on two or three consistent plots while clutter pairs, which land in
    a wide gate by chance, do not). 0 (default): M-of-N only."""
    score_range_rate_span_mps: float = 80.0
    """Width of the range-rate interval radar false alarms spread over, m/s."""
    score_pd: float = 0.5
    """Detection probability assumed per radar plot in the score (low: long-range targets
    are detected on a fraction of scans), 0..1."""
    score_confirm: float = 20.0
    """Track score (natural log of the likelihood ratio target / false alarms) at which a
    tentative track is confirmed. SPRT: ln((1 - beta) / alpha) with alpha the probability of
    confirming a false-alarm track; 20 ~ alpha 2e-9, beta 0.1 -- low, because a raid's radars
    start thousands of tentative tracks on false alarms an hour, and chosen on the flagship
    raid (docs/benchmarks.md s.6, seed 5: 11.5 and 14 confirmed more false tracks than M-of-N
    alone, 17 and 20 about as many; seed 6 at 17: more, 0.19 vs 0.16 per scan)."""
    score_tentative_coast_s: float = 30.0
    """A tentative track that a radar plot started or updated (score on) is kept this long
    without a strong update (instead of tentative_coast_time_s), s: long enough for the next
    plot of a target that radars detect on few scans."""
    score_mofn_min: float = 10.0
    """With the score on, M-of-N confirms a tentative track whose strong updates are all radar
    plots only once its score is at least this (natural log of the likelihood ratio): two
    plots on consecutive scans confirm when they are e^10 times likelier one target than a
    chance pair of false alarms, otherwise the track waits for more plots and
    ``score_confirm``. Tracks that a precise sensor other than radar also updated (ADS-B,
    Remote ID, EO/IR, XY plots) confirm by M-of-N as before. -inf: M-of-N alone, as without
    the minimum. On the flagship raid a pair of plots far out confirmed by M-of-N was in most cases
    reported for one coast time and dropped (docs/benchmarks.md s.6)."""
    # ---- overload protection (docs/limits.md): appended fields, see initiation.py / intake.py
    surveillance_radius_m: float = 3.0e6
    """Detections whose position (XY, POSITION) lies farther than this from the frame origin
    are quarantined as ``out_of_volume``, m (radar ranges are bounded by MAX_RADAR_RANGE_M):
    beyond it the tangent frame is meaningless and KD-trees overflow on absurd values."""
    max_detection_age_s: float = 86_400.0
    """Detections stamped more than this before the step time are quarantined as ``too_old``,
    s (a day: older data is a replay mistake, and predicting across it means nothing)."""
    init_cell_m: float = 5_000.0
    """Clutter map cell for track initiation: leftover detections are binned into horizontal
    cells of this size, m."""
    init_cell_max_new: int = 16
    """A cell with more leftover candidates than this in one group is *dense*: only this many
    start tentative tracks there (cooperative identities first, then the best-localised); the
    rest are shed (``init_shed_dense``). 16 per 25 km^2 per scan is ~10x the densest real
    traffic and ~100x a surveillance radar's clutter."""
    max_new_tracks_per_step: int = 500
    """At most this many tentative tracks are started in one step; the rest of the candidates
    are shed (``init_shed_budget``): a flood costs bounded time and memory."""
    max_tentative_tracks: int = 2_000
    """New tracks are started only while fewer tentative tracks than this are alive (a
    sustained flood cannot grow the table; shed: ``init_shed_tentative_cap``)."""

    def __post_init__(self) -> None:
        def bad(msg: str) -> None:
            raise ConfigurationError(f"TrackerConfig: {msg}")

        if self.dims not in (2, 3):
            bad(f"dims must be 2 or 3, got {self.dims}")
        for name in ("q_horizontal_m2ps3", "q_vertical_m2ps3", "gate_mahalanobis",
                     "coast_time_s", "tentative_coast_time_s", "max_position_sd_m",
                     "init_velocity_sd_mps", "init_vertical_velocity_sd_mps",
                     "imm_q_high_m2ps3", "bearing_max_range_m", "bearing_explain_range_m",
                     "bearing_height_sd_m", "lost_slow_speed_sd_mps",
                     "max_meas_position_sd_m", "max_meas_angle_sd_rad",
                     "max_meas_range_rate_sd_mps", "clutter_density"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v > 0):
                bad(f"{name} must be finite and > 0, got {v}")
        for name in ("azel_ambiguity_margin_d2", "latency_window_s", "time_group_tolerance_s",
                     "max_future_s", "young_coast_time_s", "slow_coast_time_s",
                     "precise_coast_sd_m",
                     "imm_turn_rate_dps", "lost_q_horizontal_m2ps3", "lost_slow_tau_s"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v >= 0):
                bad(f"{name} must be finite and >= 0, got {v}")
        if np.isnan(self.ground_floor_m) or self.ground_floor_m == np.inf:
            bad(f"ground_floor_m must be a height in m or -inf (no floor), got "
                f"{self.ground_floor_m}")
        if self.young_coast_hits < 1:
            bad(f"young_coast_hits must be >= 1, got {self.young_coast_hits}")
        if not (1 <= self.confirm_m <= self.confirm_n):
            bad(f"need 1 <= confirm_m <= confirm_n, got {self.confirm_m}, {self.confirm_n}")
        if not (0.0 < self.imm_initial_quiet_prob < 1.0):
            bad(f"imm_initial_quiet_prob must be in (0, 1), got {self.imm_initial_quiet_prob}")
        if not (0.0 < self.pd <= 1.0):
            bad(f"pd must be in (0, 1], got {self.pd}")
        if self.association not in ("gnn", "jpda"):
            bad(f"association must be 'gnn' or 'jpda', got {self.association!r}")
        if self.history_len < 1 or self.initial_capacity < 1:
            bad("history_len and initial_capacity must be >= 1")
        if self.imm and (len(self.imm_sojourn_s) < 2 or min(self.imm_sojourn_s) <= 0):
            bad("imm_sojourn_s needs >= 2 positive values")
        for name in ("init_exclusion_mahalanobis", "coast_revisit_factor", "max_coast_time_s",
                     "lost_window_s"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v >= 0):
                bad(f"{name} must be finite and >= 0, got {v}")
        if 0 < self.init_exclusion_mahalanobis < self.gate_mahalanobis:
            bad("init_exclusion_mahalanobis must be 0 (off) or >= gate_mahalanobis, got "
                f"{self.init_exclusion_mahalanobis}")
        if not (0.0 <= self.merge_gate_prob < 1.0):
            bad(f"merge_gate_prob must be in [0, 1), got {self.merge_gate_prob}")
        if not (np.isfinite(self.lost_max_sd_m) and self.lost_max_sd_m > 0):
            bad(f"lost_max_sd_m must be finite and > 0, got {self.lost_max_sd_m}")
        for name in ("lost_fast_max_sd_m", "lost_fast_speed_mps"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v >= 0):
                bad(f"{name} must be finite and >= 0, got {v}")
        if not (np.isfinite(self.lost_gate_mahalanobis)
                and 0.0 <= self.lost_gate_mahalanobis <= self.gate_mahalanobis):
            bad("lost_gate_mahalanobis must be 0 (the gate) or in (0, gate_mahalanobis = "
                f"{self.gate_mahalanobis}], got {self.lost_gate_mahalanobis}")
        if not (np.isfinite(self.lost_reassoc_max_sd_m) and self.lost_reassoc_max_sd_m >= 0):
            bad("lost_reassoc_max_sd_m must be finite and >= 0, got "
                f"{self.lost_reassoc_max_sd_m}")
        if not (0.0 < self.stitch_gate_prob < 1.0):
            bad(f"stitch_gate_prob must be in (0, 1), got {self.stitch_gate_prob}")
        for name in ("revisit_rise_weight", "revisit_fall_weight"):
            v = getattr(self, name)
            if not (0.0 < v <= 1.0):
                bad(f"{name} must be in (0, 1], got {v}")
        if self.lost_min_hits < 1 or self.reacquire_hits < 1:
            bad("lost_min_hits and reacquire_hits must be >= 1")
        if not (np.isfinite(self.merge_distinct_memory_s) and self.merge_distinct_memory_s >= 0):
            bad(f"merge_distinct_memory_s must be finite and >= 0, got "
                f"{self.merge_distinct_memory_s}")
        if not (np.isfinite(self.merge_keep_fresher_s) and self.merge_keep_fresher_s >= 0):
            bad(f"merge_keep_fresher_s must be finite and >= 0, got "
                f"{self.merge_keep_fresher_s}")
        if self.merge_steps < 1:
            bad(f"merge_steps must be >= 1, got {self.merge_steps}")
        for name in ("score_false_alarm_density_m3", "score_tentative_coast_s"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v >= 0):
                bad(f"{name} must be finite and >= 0, got {v}")
        if not (np.isfinite(self.score_range_rate_span_mps)
                and self.score_range_rate_span_mps > 0):
            bad(f"score_range_rate_span_mps must be finite and > 0, got "
                f"{self.score_range_rate_span_mps}")
        if not (0.0 < self.score_pd <= 1.0):
            bad(f"score_pd must be in (0, 1], got {self.score_pd}")
        if not (np.isfinite(self.score_confirm) and self.score_confirm > 0):
            bad(f"score_confirm must be finite and > 0, got {self.score_confirm}")
        if np.isnan(self.score_mofn_min) or self.score_mofn_min == np.inf:
            bad(f"score_mofn_min must be a number or -inf, got {self.score_mofn_min}")
        for name in ("surveillance_radius_m", "max_detection_age_s", "init_cell_m"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v > 0):
                bad(f"{name} must be finite and > 0, got {v}")
        for name in ("init_cell_max_new", "max_new_tracks_per_step", "max_tentative_tracks"):
            if getattr(self, name) < 1:
                bad(f"{name} must be >= 1, got {getattr(self, name)}")
        for msg in self.emitters.validate() + self.acoustic_levels.validate():
            bad(msg)

    @property
    def n_state(self) -> int:
        return 2 * self.dims
