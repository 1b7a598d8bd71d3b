"""Tracking inside ``simulate``: engine settings for a scenario, the ``tracks`` table, and the
score of the tracked picture against truth.

Scoring rules (documented in docs/tracking.md, "Metrics in simulate"):

* truth at a scan = active platforms that some sensor truly detected within the last
  ``DETECTABLE_WINDOW_S`` (a platform nobody can see cannot be tracked; counting it would
  measure sensor coverage, which summary.json reports separately);
* tracks = confirmed tracks, extrapolated to the scan time with their velocity;
* distance = horizontal distance in the engine frame (x, y). The frame's z axis is the vertical
  at the origin; at 200 km from the origin an altitude error e adds at most e * sin(1.8 deg)
  = 0.03 e of horizontal error.
* GOSPA cut-off ``GOSPA_C_M`` = 500 m, p = 1, alpha = 2: wider than the 100 m of the 2-D
  benchmark because acoustic-only tracks carry errors of a few hundred metres.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from dronewall.catalog import PLATFORMS, AcousticClass, PlatformClass, RFProtocol
from dronewall.chain import StepRecord
from dronewall.classify.coop_tracks import TRUST_NAMES
from dronewall.classify.labels import LABEL_NAMES, reported_labels
from dronewall.detections import DetectionBatch, MeasKind, SensorKind
from dronewall.geo import Frame
from dronewall.io import TableWriter
from dronewall.metrics import ScanData, tracking_metrics
from dronewall.metrics.continuity import ContinuityScorer
from dronewall.metrics.origin import UpdateOrigins
from dronewall.pipeline.follow import TruthFollower
from dronewall.scenario import Scenario
from dronewall.sim.state import PlatformTable, TruthState
from dronewall.tracking import ATTR_NAMES, TrackerConfig
from dronewall.tracking.acoustic_gate import AcousticLevels
from dronewall.tracking.emitters import EmitterParams

#: A truth platform is scored while some sensor truly detected it within this window, s.
DETECTABLE_WINDOW_S = 10.0
#: Two true position-type detections of a platform within this window make it trackable (the
#: start of the confirmation latency), s.
FIX_PAIR_WINDOW_S = 30.0
#: Figures of the continuity score by detection origin kept in the summary beside the
#: distance-based ones.
BY_ORIGIN_KEYS = ("identity_switches", "identity_switches_per_truth",
                  "identity_switches_close_pair", "identity_switches_after_gap",
                  "handovers", "reacquisitions", "fragments_per_truth_mean", "completeness",
                  "false_track_steps_per_scan", "duplicate_track_steps_per_scan",
                  "unscored_track_steps_per_scan")
#: GOSPA cut-off for simulated multi-sensor scenarios, m.
GOSPA_C_M = 500.0
_TRUST = np.array(TRUST_NAMES, dtype=object)


def spoofed_identities(sc: Scenario, plat: PlatformTable) -> dict[str, str]:
    """Identities the scenario spoofs -> spoofing kind (ghost: the ghost's identity; offset /
    jump: the victim's broadcast identity)."""
    from dronewall.sensors.cooperative import ghost_identity

    out: dict[str, str] = {}
    index = {str(p): i for i, p in enumerate(plat.ids.tolist())}
    for sp in sc.spoofing:
        if sp.kind == "ghost":
            out[ghost_identity(sp)] = "ghost"
        elif sp.platform_id in index:
            ident = str(plat.icao24[index[sp.platform_id]])
            if ident:
                out[ident] = sp.kind
    return out


def coop_summary(records: list[dict[str, Any]], spoofed: dict[str, str]) -> dict[str, Any]:
    """Cooperative-trust scoring: which spoofed identities were flagged, which genuine ones were
    flagged wrongly (``records`` from :meth:`CoopTrustMonitor.report`)."""
    flagged = {r["identity"] for r in records if r["spoofing_suspected"]}
    seen = {r["identity"] for r in records}
    return {
        "identities_seen": len(seen),
        "identities_flagged": sorted(flagged),
        "spoofed_in_scenario": dict(sorted(spoofed.items())),
        "spoofed_flagged": sorted(flagged & set(spoofed)),
        "spoofed_missed": sorted((set(spoofed) & seen) - flagged),
        "spoofed_never_tracked": sorted(set(spoofed) - seen),
        "genuine_flagged": sorted(flagged - set(spoofed)),
        "genuine_trusted_or_unverified": len(seen - set(spoofed) - flagged),
    }


def radar_false_alarm_density_m3(sc: Scenario) -> float:
    """The highest false-alarm density of the scenario's radars, per scan per m^3 (0: no
    radar): each radar's ``false_alarms_per_scan`` spread over its coverage -- the sector's
    area between min and max range times the height band false alarms occupy
    (``FALSE_ALARM_MAX_HEIGHT_M``) -- as the radar's CFAR setting would give it. The tracker's
    score (``TrackerConfig.score_false_alarm_density_m3``) uses it to tell a target's plots
    from chance alignments of false alarms."""
    from dronewall.sensors.common import sector_span_deg
    from dronewall.sensors.radar import FALSE_ALARM_MAX_HEIGHT_M

    best = 0.0
    for s in sc.sensors:
        if getattr(s, "type", "") != "radar" or s.false_alarms_per_scan <= 0:
            continue
        span = float(sector_span_deg(np.array([s.sector_deg[0]]), np.array([s.sector_deg[1]]))[0])
        area = np.radians(span) / 2.0 * (s.max_range_m ** 2 - s.min_range_m ** 2)
        best = max(best, s.false_alarms_per_scan / (area * FALSE_ALARM_MAX_HEIGHT_M))
    return float(best)


#: Lower bound of :func:`coast_floor_s`, s.
MIN_COAST_S = 4.0
#: Strong updates below which a track is *young* (``TrackerConfig.young_coast_hits``).
YOUNG_COAST_HITS = 8


#: A confirmed track an EO/IR camera keeps updating stays reported past its coast while its
#: 1-sigma horizontal error stays within this, m (``TrackerConfig.precise_coast_sd_m``): the
#: camera's angles hold it through the radar's missed scans. Copenhagen seed 1: ids 46 -> 39,
#: GOSPA -3.6 %; seed 2 47 -> 45 (docs/benchmarks.md s.6, "A camera holds its target").
PRECISE_COAST_SD_M = 100.0


def _longest_scan_s(sc: Scenario) -> float:
    """The slowest sensor's scan period, s (1 s for sensors that report every second)."""
    return float(max((getattr(s, "scan_period_s", 1.0) for s in sc.sensors), default=1.0))


def coast_floor_s(sc: Scenario) -> float:
    """The shortest coast of a confirmed track, s (``TrackerConfig.coast_time_s``): two scans of
    the slowest sensor, at least ``MIN_COAST_S``.

    A track coasts for 2.5 times its own revisit envelope (the gaps its sensors leave), never
    less than this floor and never more than ``max_coast_s``; past it the track is *lost* --
    no longer reported, kept for re-acquisition under its own id (``lost_window_s``). The
    floor is what a densely updated track gets: two missed scans of its radar end its report.
    It was 10 s (three scans, at least 10 s) from before the revisit envelope and the lost
    state existed; a one-way drone's track was then drawn for 10 s past its impact. Flagship
    seeds 1 / 2 / 10 / 11, with :func:`young_coast_floor_s` (docs/benchmarks.md s.6, "A
    shorter coast for densely updated tracks"): false tracks per scan 0.133 / 0.155 / 0.217 /
    0.139 -> 0.096 / 0.121 / 0.189 / 0.113, GOSPA lower on all four, ids and switches equal
    in total.
    """
    return max(MIN_COAST_S, 2.0 * _longest_scan_s(sc))


def young_coast_floor_s(sc: Scenario) -> float:
    """The shortest coast of a young confirmed track (fewer than ``YOUNG_COAST_HITS`` strong
    updates), s: three scans of the slowest sensor, at least 10 s -- the floor every track had
    before :func:`coast_floor_s`. A track confirmed on three or four plots rests its revisit
    envelope on a few intervals; with the 4 s floor such tracks were reported for 4-5 s and
    lost (flagship seeds 1 / 2 / 10 / 11: ids reported for 10 steps or fewer 4 -> 19).
    With the scenario option ``tracking.slow_coast`` also the floor of a *slow* track
    (``TrackerConfig.slow_coast_time_s``: under 25 m/s, a bird or a hovering multirotor,
    whose estimate runs off slowly)."""
    return max(10.0, 3.0 * _longest_scan_s(sc))


def seen_by_window_s(sc: Scenario) -> float:
    """The ``seen_by`` window of the tracks table, s: it lists the sensor kinds that updated a
    track within the window the coast floor had before it was shortened -- the young floor --
    so that the table and the incident report's sensor counts mean what they meant."""
    return young_coast_floor_s(sc)


def tracker_config_for(sc: Scenario) -> TrackerConfig:
    """Engine settings for a simulated multi-sensor scenario.

    Radar scan periods of up to a few seconds and 1 Hz acoustic reports: a track coasts for at
    least two scans of the slowest sensor (at least 4 s, :func:`coast_floor_s`), longer for
    tracks whose sensors revisit them rarely (revisit-scaled coast, below), and is then kept
    unreported as lost for re-acquisition under its own id; IMM (CV + manoeuvre CV +
    coordinated turns at +-3 deg/s) for turning aircraft and drones; no reorder window (the
    simulator delivers each step in order).
    """
    # A confirmed track is reported while coasting for up to this many of its revisit
    # envelope (the long gaps its sensors leave: quick to rise, slow to fall; bounded below by
    # coast_time_s, above by max_coast_s). Long-range radar plots of small targets arrive every
    # 5-15 s with gaps of 15-60 s (Pd per scan ~0.3-0.5).
    coast_revisit_factor = 2.5
    # After that it is kept, unreported, as *lost* for re-acquisition under its own id: it
    # takes plots again while its horizontal sd is under lost_reassoc_max_sd_m (97 % of the
    # gaps between plots of radar tracks 40-80 km out were <= 60 s on the flagship raid), and
    # after that waits, up to lost_window_s after its last strong update and while its sd
    # stays under lost_max_sd_m, for a newly confirmed track it clearly continues (stitch:
    # the older id is kept). Flagship seeds 1-4: ids per platform 2.04-2.35 -> 1.57-1.88
    # (docs/benchmarks.md s.6, "Stitching across long gaps"): with an 800 m deletion limit a
    # far Shahed's track was deleted 24 s after its last plot, 4 s before the next one came.
    lost_window_s = 300.0
    lost_reassoc_max_sd_m = 800.0
    # ... and only plots within 3 (normalised) sigma of its prediction, not the 4 of a
    # reported track's gate: in the drone streams a far plot in a lost track's gate was often
    # a neighbour's (one no track held yet), and re-acquiring on it moved the lost track onto
    # that neighbour. Flagship seeds 1-4, 10, 11: switches 188 -> 176, wrong re-joins 96 ->
    # 84, GOSPA lower on all six (-0.07 to -0.7 %), false tracks lower or equal, ids equal
    # (docs/benchmarks.md s.6, "A lost track re-acquires only close plots").
    lost_gate = 3.0
    lost_max_sd_m = 3_000.0
    # ... and under lost_fast_max_sd_m for a lost track moving at >= 25 m/s (one-way drones,
    # aircraft: they fly on along their course, so a stitch stays telling after the IMM's
    # prediction has grown vague; bird flocks wander and keep 3 km). Flagship seeds 1-4: ids
    # per platform 1.69 / 1.78 / 1.54 / 1.82 -> 1.67 / 1.76 / 1.52 / 1.75, Poland 1.59 ->
    # 1.19, the other figures unchanged (docs/benchmarks.md s.6, "Fast lost tracks kept
    # vaguer"). 8 km for every track gave 6-12 % fewer ids but one more over-claimed flock
    # episode (seed 2, measured before the silence evidence).
    lost_fast_max_sd_m = 8_000.0
    # Lost tracks are predicted with their own models (tracking/lost.py), not the IMM: over
    # minutes its turn models average the velocity away (a 45 m/s Gerbera's lost track slowed
    # to 22-25 m/s, fell under lost_fast_speed_mps and was deleted at 3 km sd 75-160 s after
    # its last plot). Fast ones fly on at constant velocity (q 3 m^2/s^3, the quiet model's);
    # slow ones (birds) forget their heading in 30 s (Ornstein-Uhlenbeck velocity, sd 12.5 m/s
    # per axis): a bird on the flagship raid was a median 1.2 km from where it was last seen
    # after a median 2-4 min gap. Flagship seeds 1-4 (with the score-confirmed tracks kept
    # lost, management.py): ids per platform 1.67 / 1.76 / 1.52 / 1.75 -> 1.33 / 1.30 / 1.26 /
    # 1.31 (docs/benchmarks.md s.6, "Lost tracks predicted as what they are").
    lost_q_m2ps3 = 3.0
    lost_slow_tau_s = 30.0
    # every confirmed track may be lost and re-acquired (re-acquisition needs two strong
    # updates, so one clutter plot cannot bring a lost track back)
    lost_min_hits = 2
    # Upper bound of that coast, s: a 40 s coast of a 40 m/s target at IMM manoeuvre noise
    # grows the position sd to ~1 km; beyond that re-association is a guess.
    max_coast_s = 40.0
    # Known-rate coordinated-turn models added to the IMM, deg/s: the standard-rate turn of
    # aircraft, also typical of Shahed-class waypoint turns. With a 5 s radar scan a 165 m/s
    # MiG-31 turning at 3 deg/s changes its radial velocity by ~40 m/s between plots: the CV
    # models (even at q = 40 m^2/s^3) put those plots outside the gate in range-rate and the
    # track was replaced at every waypoint (Estonia scenario: a new id per MiG per turn; with
    # the CT models one id each). Eastern-poland raid: GOSPA 3468 -> 3441, tracking time +10 %.
    turn_rate_dps = 3.0
    # Two tracks one radar saw apart in one scan stay two for this long, s (no duplicate
    # merge): far flocks and drones a few hundred metres apart are seen together only on some
    # scans, and merging them in between put one target's id on the other.
    merge_distinct_memory_s = 60.0
    # A duplicate merge keeps the id of a track located 5 s or more later than the older one:
    # the older one coasted onto the younger one's target (a flock's track onto a drone's);
    # flagship seeds 1-4, 10, 11: switches 176 -> 162 (docs/benchmarks.md s.6).
    merge_keep_fresher_s = 5.0
    return TrackerConfig(dims=3, coast_time_s=coast_floor_s(sc),
                         young_coast_time_s=young_coast_floor_s(sc),
                         young_coast_hits=YOUNG_COAST_HITS,
                         slow_coast_time_s=(young_coast_floor_s(sc) if sc.tracking.slow_coast
                                            else 0.0),
                         precise_coast_sd_m=PRECISE_COAST_SD_M,
                         ground_floor_m=(-np.inf if sc.tracking.ground_floor_m is None
                                         else sc.tracking.ground_floor_m),
                         score_false_alarm_density_m3=(radar_false_alarm_density_m3(sc)
                                                       if sc.tracking.track_score else 0.0),
                         tentative_coast_time_s=max(3.0, 1.5 * _longest_scan_s(sc)),
                         coast_revisit_factor=coast_revisit_factor,
                         max_coast_time_s=max_coast_s,
                         lost_window_s=lost_window_s, lost_max_sd_m=lost_max_sd_m,
                         lost_fast_max_sd_m=lost_fast_max_sd_m,
                         lost_q_horizontal_m2ps3=lost_q_m2ps3, lost_slow_tau_s=lost_slow_tau_s,
                         lost_reassoc_max_sd_m=lost_reassoc_max_sd_m,
                         lost_gate_mahalanobis=lost_gate,
                         lost_min_hits=lost_min_hits,
                         merge_distinct_memory_s=merge_distinct_memory_s,
                         merge_keep_fresher_s=merge_keep_fresher_s,
                         imm=True, imm_turn_rate_dps=turn_rate_dps,
                         emitters=EmitterParams(signatures=emitter_signatures()),
                         acoustic_levels=AcousticLevels(
                             levels=acoustic_levels() if sc.tracking.acoustic_level_gate else ()),
                         latency_window_s=0.0)


#: Margin on a catalogue platform's acoustic source level when it bounds the range at which a
#: node hears it (emitter cross-fixes), dB [E]: the catalogue levels are estimates, a given
#: airframe, payload or throttle setting is louder, and the node's reported level has its own
#: error. +10 dB allows 3.2x the nominal range.
EMITTER_LEVEL_MARGIN_DB = 10.0


def emitter_signatures() -> tuple[tuple[int, int, float, float], ...]:
    """(RF protocol, acoustic class, loudest source level + margin dB, top speed m/s) of every
    catalogue platform that emits (``tracking.emitters``): the RF and acoustic features that
    may be paired into a two-bearing fix of one emitter, and how fast such a platform can
    fly. From the catalogue, not the scenario: the wall knows the emitter types, not which
    are in the air."""
    best: dict[tuple[int, int], tuple[float, float]] = {}
    for p in PLATFORMS.values():
        if p.rf_protocol == RFProtocol.NONE or p.acoustic_class == AcousticClass.NONE:
            continue
        key = (int(p.rf_protocol), int(p.acoustic_class))
        sl, v = best.get(key, (-np.inf, 0.0))
        best[key] = (max(sl, p.acoustic_sl_db + EMITTER_LEVEL_MARGIN_DB),
                     max(v, p.max_speed_mps))
    return tuple((k[0], k[1], v[0], v[1]) for k, v in sorted(best.items()))


def acoustic_levels() -> tuple[tuple[int, float, float], ...]:
    """(acoustic class, quietest, loudest source level dB re 20 uPa @ 1 m) over the catalogue
    platforms of each acoustic signature class (``tracking.acoustic_gate``). From the
    catalogue, not the scenario: the wall knows how loud each kind of engine is."""
    lv: dict[int, tuple[float, float]] = {}
    for p in PLATFORMS.values():
        if p.acoustic_class == AcousticClass.NONE or not np.isfinite(p.acoustic_sl_db):
            continue
        lo, hi = lv.get(int(p.acoustic_class), (np.inf, -np.inf))
        lv[int(p.acoustic_class)] = (min(lo, p.acoustic_sl_db), max(hi, p.acoustic_sl_db))
    return tuple((c, v[0], v[1]) for c, v in sorted(lv.items()))


_CLASS_NAMES = np.array([c.name.lower() for c in PlatformClass], dtype=object)
_LABEL_NAMES = np.array(LABEL_NAMES, dtype=object)


class TrackWriter:
    """Sink: one ``tracks`` row per confirmed track per step (``docs/outputs.md``)."""

    def __init__(self, out: Path, fmt: str, seen_window_s: float) -> None:
        self.writer = TableWriter(out / "tracks", fmt)
        #: ``seen_by`` lists the sensor kinds that updated a track within this many s
        self.seen_window_s = seen_window_s
        kind_names = [k.name.lower() for k in SensorKind]
        # "radar;acoustic"-style label for every subset of sensor kinds (bit k = SensorKind k)
        self._seen_names = np.array(
            [";".join(n for k, n in enumerate(kind_names) if m >> k & 1)
             for m in range(1 << len(kind_names))], dtype=object).astype(str)

    def write(self, rec: StepRecord) -> None:
        pic, cl = rec.picture, rec.classified
        if pic is None or cl is None or len(pic) == 0:
            return
        snap, n = pic.tracks, len(pic)
        recent = (rec.t - snap.last_seen) <= self.seen_window_s  # NaN -> False
        bits = recent.astype(np.int64) @ (1 << np.arange(recent.shape[1], dtype=np.int64))
        probs = cl.classes.prob
        label, p_label, _ = reported_labels(probs)
        pos, vel = pic.pos, pic.vel
        self.writer.append({
            "t_s": np.full(n, rec.t), "track_id": snap.ids,
            "lat_deg": pic.lat_deg, "lon_deg": pic.lon_deg, "alt_m": pic.alt_m,
            "x_m": pos[:, 0], "y_m": pos[:, 1], "z_m": pos[:, 2],
            "vx_mps": vel[:, 0], "vy_mps": vel[:, 1], "vz_mps": vel[:, 2],
            "pos_sd_m": pic.sigma_radial_m,
            "alt_sd_m": np.full(n, np.nan) if pic.sigma_alt_m is None else pic.sigma_alt_m,
            "hits": snap.hits, "last_update_t_s": snap.t_update,
            "identity": snap.identity.astype(str).tolist(),
            "coop_trust": _TRUST[cl.trust].tolist(),
            "seen_by": self._seen_names[bits].tolist(),
            "class": _CLASS_NAMES[np.argmax(probs, axis=1)].astype(str).tolist(),
            "p_class": probs.max(axis=1),
            # the reported label: the class, or the Shahed/Gerbera group when only it is decided
            "label": _LABEL_NAMES[label].astype(str).tolist(), "p_label": p_label,
            "class_evidence": cl.classes.evidence.astype(str).tolist(),
            # last sensor attributes from associated detections (NaN none): classification input
            **{f"last_{name}": snap.attr[:, k] for k, name in enumerate(ATTR_NAMES)},
        })

    def close(self) -> dict[str, str]:
        # always a file: a run with no confirmed track has a header-only tracks table
        return {"tracks": str(self.writer.close(empty_track_columns()))}


def empty_track_columns() -> dict[str, Any]:
    """The tracks table's columns and Arrow types, for a run with no confirmed track (the
    same names and order :meth:`TracksWriter.write` writes)."""
    import pyarrow as pa

    f, i, t = pa.float64(), pa.int64(), pa.string()
    cols: dict[str, Any] = {n: f for n in (
        "t_s", "track_id", "lat_deg", "lon_deg", "alt_m", "x_m", "y_m", "z_m", "vx_mps",
        "vy_mps", "vz_mps", "pos_sd_m", "alt_sd_m", "hits", "last_update_t_s")}
    cols["track_id"] = cols["hits"] = i
    cols.update({"identity": t, "coop_trust": t, "seen_by": t, "class": t, "p_class": f,
                 "label": t, "p_label": f, "class_evidence": t})
    cols.update({f"last_{name}": f for name in ATTR_NAMES})
    return cols


class TrackingScorer:
    """Scores the confirmed tracks against truth: GOSPA, breaks, switches, latency (see the
    module docstring), and which platform each track followed (``follower``)."""

    def __init__(self, frame: Frame, n_platforms: int, min_bearings: int = 3,
                 platform_cls: np.ndarray | None = None) -> None:
        self.frame = frame
        #: each platform's true class (``PlatformClass``), for the per-class continuity figures
        self.platform_cls = (None if platform_cls is None
                             else np.asarray(platform_cls, dtype=np.int64).reshape(-1))
        self.min_bearings = min_bearings
        # CLEAR-MOT by distance (the acceptance figures); the tracks' detection origins only
        # break its switches down by what fed the old track
        self.continuity = ContinuityScorer(n_platforms, match_by_origin=False)
        #: the same with the correspondences decided by detection origin where distance
        #: cannot (``continuity.by_detection_origin`` in the summary; ``metrics/origin.py``)
        self.continuity_origin = ContinuityScorer(n_platforms)
        self.origins = UpdateOrigins()
        #: whether any track update carried a truth id yet (none in a replay without truth)
        self.origins_seen = False
        self.fixable_t = np.full(n_platforms, np.nan)
        # fixes in a run (each within FIX_PAIR_WINDOW_S of the previous), its last fix, and
        # when a platform first had three: the latency measured from there is the tracker's
        # own delay, apart from the wait for the sensors' third fix
        self.fix_run = np.zeros(n_platforms, np.int64)
        self.last_fix_t = np.full(n_platforms, -np.inf)
        self.third_fix_t = np.full(n_platforms, np.nan)
        self.last_pos_det = np.full(n_platforms, -np.inf)
        # last RF bearing naming a link protocol / last classified acoustic bearing, s
        self.last_rf_det = np.full(n_platforms, -np.inf)
        self.last_ac_det = np.full(n_platforms, -np.inf)
        #: this step's matches (platform indices, track ids), for other scorers
        self.matches: tuple[np.ndarray, np.ndarray] = (np.zeros(0, np.int64),
                                                       np.zeros(0, np.int64))
        self.last_true_det = np.full(n_platforms, -np.inf)
        self.first_det = np.full(n_platforms, np.nan)
        self.scans: list[ScanData] = []
        self.quarantined: dict[str, int] = {}
        self.max_tracks = 0
        self.confirmed_ids: set[int] = set()
        self.follower = TruthFollower(frame, n_platforms)

    def observe(self, st: TruthState, det: DetectionBatch, rec: StepRecord) -> None:
        pic = rec.picture
        assert pic is not None
        if pic.engine is not None:
            for k, v in pic.engine.quarantined.items():
                self.quarantined[k] = self.quarantined.get(k, 0) + v
            self.max_tracks = max(self.max_tracks, pic.engine.n_tracks)
            self.origins.add(pic.engine.update_origin)
            self.origins.forget(pic.engine.deleted)
            self.origins_seen |= bool((pic.engine.update_origin[:, 1] >= 0).any())
        ok = det.truth_id >= 0
        if ok.any():
            np.maximum.at(self.last_true_det, det.truth_id[ok], det.t[ok])
            np.fmin.at(self.first_det, det.truth_id[ok], det.t[ok])
            self._fixable(st.t, det, ok)
        if len(pic):
            self.confirmed_ids.update(pic.ids.tolist())
            self.follower.observe(st.active, st.ecef, pic.ids, pic.pos, st.t)
        # scoring data: detectable truth vs confirmed tracks, horizontal (x, y)
        vis = st.active & (st.t - self.last_true_det <= DETECTABLE_WINDOW_S)
        tpos = self.frame.to_local(st.ecef[vis])
        self.scans.append(ScanData(st.t, np.flatnonzero(vis), tpos[:, :2], pic.ids,
                                   pic.pos[:, :2]))
        other = st.active & ~vis
        opos = self.frame.to_local(st.ecef[other])[:, :2] if other.any() else np.zeros((0, 2))
        org = self.origins.origin(pic.ids) if self.origins_seen else None
        oid = np.flatnonzero(other)
        self.matches = self.continuity.scan(st.t, np.flatnonzero(vis), tpos[:, :2], pic.ids,
                                            pic.pos[:, :2], opos, track_origin=org,
                                            other_ids=oid)
        if org is not None:
            self.continuity_origin.scan(st.t, np.flatnonzero(vis), tpos[:, :2], pic.ids,
                                        pic.pos[:, :2], opos, track_origin=org, other_ids=oid)

    def _fixable(self, t: float, det: DetectionBatch, ok: np.ndarray) -> None:
        """Platforms the sensors have made trackable by now (the start of the confirmation
        latency): a second true position-type detection (radar plot, cooperative or EO/IR
        position) within ``FIX_PAIR_WINDOW_S`` of an earlier one -- two fixes are the least
        any tracker needs to tell a target from a false alarm -- or angle-only detections
        from at least ``min_bearings`` distinct sensors in one step (enough to triangulate),
        or an RF bearing naming a link protocol and a classified acoustic bearing within
        ``EmitterParams.window_s`` of each other (an emitter cross-fix, ``tracking/emitters``).
        """
        tid = det.truth_id[ok].astype(np.int64)
        mk = det.meas_kind[ok]
        pos_kind = np.isin(mk, [int(MeasKind.RADAR), int(MeasKind.POSITION), int(MeasKind.XY)])
        seen = np.unique(tid[pos_kind])
        fix = seen[t - self.last_pos_det[seen] <= FIX_PAIR_WINDOW_S]
        self.last_pos_det[seen] = t
        ang = ~pos_kind
        tri = np.zeros(0, np.int64)
        if ang.any():
            pairs = np.unique(tid[ang] * (1 << 32) + det.sensor[ok][ang].astype(np.int64))
            p, c = np.unique(pairs >> 32, return_counts=True)
            tri = p[c >= self.min_bearings]
            # emitter cross-fixes: an RF bearing with a protocol and a node's classified one
            bear = mk == int(MeasKind.BEARING)
            rf = bear & (det.rf_protocol[ok] >= 0)
            ac = bear & (det.class_label[ok] >= 0) & ~rf
            prf, pac = np.unique(tid[rf]), np.unique(tid[ac])
            w = EmitterParams().window_s
            emit = np.union1d(prf[t - self.last_ac_det[prf] <= w],
                              pac[t - self.last_rf_det[pac] <= w])
            self.last_rf_det[prf] = t
            self.last_ac_det[pac] = t
            tri = np.union1d(tri, emit)
            fix = np.union1d(fix, tri)
        if fix.size:
            new = np.isnan(self.fixable_t[fix])
            self.fixable_t[fix[new]] = t
        evt = np.union1d(seen, tri)            # platforms fixed at this step
        if evt.size:
            run = t - self.last_fix_t[evt] <= FIX_PAIR_WINDOW_S
            self.fix_run[evt] = np.where(run, self.fix_run[evt] + 1, 1)
            self.last_fix_t[evt] = t
            third = evt[(self.fix_run[evt] >= 3) & np.isnan(self.third_fix_t[evt])]
            self.third_fix_t[third] = t

    def metrics(self) -> dict[str, Any]:
        fd = {int(i): float(v) for i, v in enumerate(self.first_det) if np.isfinite(v)}
        m = tracking_metrics(self.scans, c=GOSPA_C_M, p=1.0, first_detection_time=fd)
        metrics: dict[str, Any] = {k: (round(v, 3) if isinstance(v, float) else v)
                                   for k, v in m.as_dict().items()}
        metrics["gospa_cutoff_m"] = GOSPA_C_M
        metrics["confirmed_tracks"] = len(self.confirmed_ids)
        metrics["platforms_ever_detectable"] = len(fd)
        metrics["max_live_tracks"] = self.max_tracks
        metrics["quarantined"] = dict(sorted(self.quarantined.items()))
        # CLEAR-MOT continuity with failure kinds apart (docs/tracking.md, "Metrics")
        metrics["continuity"] = self.continuity.summary(self.fixable_t, self.third_fix_t)
        if self.origins_seen:
            by = self.continuity_origin.summary(self.fixable_t, self.third_fix_t)
            metrics["continuity"]["by_detection_origin"] = {k: by[k] for k in BY_ORIGIN_KEYS}
        if self.platform_cls is not None:
            names = [c.name.lower() for c in PlatformClass]
            metrics["continuity"]["by_class"] = self.continuity.by_group(
                self.platform_cls, names, self.fixable_t, self.third_fix_t)
        metrics["unique_track_ids_per_platform"] = (
            round(metrics["unique_track_ids"] / len(fd), 3) if fd else None)
        return metrics
