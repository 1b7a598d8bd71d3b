"""A simulated run's chain, sinks and scorers, built from a scenario.

:class:`ChainRun` builds the stage chain (:mod:`dronewall.chain`) for a scenario -- the same
stages the live server runs -- and connects each step record to

* sinks: the ``tracks`` and ``threats`` tables, the event files (at the end);
* scorers, which compare the record with the truth: tracking (GOSPA, continuity), classification,
  threat ranking, airspace events (a second monitor on the true positions), and the simulated
  effects of engagements (kills leave the truth).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from dronewall.airspace import ZoneSet
from dronewall.chain import (
    AirspaceStage,
    Chain,
    ClassificationStage,
    StepRecord,
    ThreatStage,
    TrackingStage,
)
from dronewall.chain.stages import ClassificationFinal, StrobeStage
from dronewall.chain.strobes import StrobeConfig
from dronewall.detections import DetectionBatch
from dronewall.engagement.threat import AssetTable, assets_from_zones
from dronewall.geo import Frame
from dronewall.scenario import Scenario
from dronewall.sim.state import TruthState

if TYPE_CHECKING:
    from collections.abc import Callable

    from dronewall.classify.bayes import ClassifierConfig
    from dronewall.classify.hearing import AcousticNetwork
    from dronewall.classify.rf_hearing import RFNetwork
    from dronewall.detections.health import SensorHealth
    from dronewall.sensors import SensorSuite
    from dronewall.sensors.acoustic import AcousticModel
    from dronewall.sensors.rf import RFModel


class ChainRun:
    """One simulated run's chain and what consumes its records (see the module docstring)."""

    def __init__(self, sc: Scenario, seed: int, out: Path, fmt: str, frame: Frame, suite: Any,
                 plat: Any, zones: ZoneSet | None,
                 zoning: tuple[ZoneSet, set[str]] | None, rng_eng: np.random.Generator, *,
                 track: bool, engaging: bool, doctrine: str,
                 rng_ops: np.random.Generator | None = None, truth_future: Any = None) -> None:
        from dronewall.pipeline.airspace import AirspaceRecorder, airspace_config

        self.sc, self.out, self.fmt, self.plat, self.suite = sc, out, fmt, plat, suite
        self.track = track
        stages: list[Any] = []
        self.air_rec = None
        self.tracks = self.tscore = self.cscore = self.threats = self.thscore = None
        self.strobes: Any = None
        self.effects = None
        # the perfect-information oracle: a truth picture instead of tracking (pipeline.oracle)
        self.oracle = None
        if engaging and doctrine == "oracle":
            from dronewall.pipeline.engagement import build_oracle_chain

            oracle_stages, self.oracle, self.effects = build_oracle_chain(
                sc, zones, zoning, frame, plat, out, fmt, rng_eng, rng_ops, truth_future)
            self.chain: Chain | None = Chain(oracle_stages)
            self.t_air = 0.0
            return
        if track:
            from dronewall.pipeline.classification import (
                ClassificationScorer,
                classifier_config_for,
            )
            from dronewall.pipeline.threat import ThreatScorer, ThreatWriter
            from dronewall.pipeline.tracking import (
                TrackingScorer,
                TrackWriter,
                seen_by_window_s,
                spoofed_identities,
                tracker_config_for,
            )

            cfg = tracker_config_for(sc)
            stages.append(TrackingStage(cfg, frame, suite.table))
            stages.append(ClassificationStage(
                frame, coverage=radar_coverage(suite),
                hearing=acoustic_network(suite.acoustic) if len(suite.acoustic) else None,
                config=classifier_config_for(sc),
                rf=rf_network(suite.rf) if len(suite.rf) else None))
            if len(suite.rf) or len(suite.acoustic):
                from dronewall.catalog import PlatformClass
                from dronewall.pipeline.strobes import StrobeRecorder

                stages.append(StrobeStage(frame, suite.table, sensor_reach_m(suite),
                                          StrobeConfig(acoustic_explain_range_m=(
                                              cfg.bearing_explain_range_m))))
                self.strobes = StrobeRecorder(out, suite.table, sc.time.start, len(plat),
                                              plat.ids, plat.cls,
                                              [c.name.lower() for c in PlatformClass])
            self.tracks = TrackWriter(out, fmt, seen_by_window_s(sc))
            self.tscore = TrackingScorer(frame, len(plat), platform_cls=plat.cls)
            self.cscore = ClassificationScorer(plat.cls, zoning[1] if zoning else None)
            self.spoofed = spoofed_identities(sc, plat)
        if zoning is not None:
            # a platform's cooperative identity: its ADS-B address, else its Remote ID serial
            coop_id = np.where(plat.icao24.astype(str) != "", plat.icao24.astype(str),
                               plat.rid_serial.astype(str))
            rid_only = (plat.icao24.astype(str) == "") & (plat.rid_serial.astype(str) != "")
            self.air_rec = AirspaceRecorder(sc, zoning[0], plat.ids, coop_id, out,
                                            zoning[1], plat.cls, rid_only)
            if track:
                stages.append(AirspaceStage(
                    zoning[0], airspace_config(sc), frame,
                    coverage=radar_coverage(suite),
                    class_coverage=class_coverage(suite, classifier_config_for(sc))))
        if track:
            assets = assets_from_zones(zones, frame) if zones is not None else AssetTable.empty()
            stages.append(ThreatStage(assets))
            self.threats = ThreatWriter(assets, out, fmt)
            self.thscore = ThreatScorer(assets)
        if engaging:
            from dronewall.pipeline.engagement import build_engagement

            stage, self.effects = build_engagement(sc, zones, zoning, frame, plat, out, fmt,
                                                   rng_eng, rng_ops, doctrine)
            stages.append(stage)
        # the sensors' liveness from their simulated status reports (outages: sensors.status)
        self.chain = Chain(stages, health=suite.health()) if track else None
        self.t_air = 0.0

    def step(self, st: TruthState, det: DetectionBatch) -> NDArray[np.int64]:
        """Run the chain on one step's detections; feed sinks and scorers. Returns the platforms
        killed at this step (they leave the truth from the next step on)."""
        if self.oracle is not None:
            self.oracle.observe_truth(st)
        if self.chain is None:
            rec = StepRecord(t=st.t, detections=det)
        else:
            rec = self.chain.step(st.t, det, self.suite.status.reports(st.t))
        if self.tracks is not None:
            assert self.tscore is not None and self.cscore is not None
            self.tscore.observe(st, det, rec)
            self.tracks.write(rec)
            self.cscore.observe(rec, self.tscore.matches)
            if self.strobes is not None:
                self.strobes.observe(st.t, det, rec, self.tscore.matches[0])
        if self.air_rec is not None:
            import time

            t0 = time.perf_counter()
            self.air_rec.observe(st, rec)
            self.t_air += time.perf_counter() - t0
        if self.threats is not None:
            assert self.thscore is not None
            self.threats.write(rec)
            self.thscore.observe(rec)
        if self.effects is not None:
            return self.effects.observe(st, rec)
        return np.zeros(0, dtype=np.int64)

    def finish(self, summary: dict[str, Any], files: dict[str, str],
               timing: dict[str, float]) -> None:
        """Close the chain, sinks and scorers; add their parts to ``summary``/``files``."""
        finals = self.chain.finish() if self.chain is not None else {}
        followed = None
        if self.chain is not None and self.oracle is None:
            assert self.tscore is not None and self.cscore is not None
            assert self.tracks is not None and self.threats is not None
            assert self.thscore is not None
            from dronewall.pipeline.tracking import coop_summary

            followed = self.tscore.follower.majority()
            metrics = self.tscore.metrics()
            files.update(self.tracks.close())
            entered = (self.air_rec.truth_sovereign_entries() if self.air_rec is not None
                       else None)
            metrics["classification"] = self.cscore.summary(followed, entered)
            cf: ClassificationFinal = finals["classification"]
            with open(self.out / "coop_trust.jsonl", "w", encoding="utf-8") as f:
                for r in cf.coop:
                    f.write(json.dumps(r, sort_keys=True) + "\n")
            metrics["cooperative_trust"] = coop_summary(cf.coop, self.spoofed)
            files["coop_trust"] = str(self.out / "coop_trust.jsonl")
            summary["tracking"] = metrics
            if self.strobes is not None:
                summary["strobes"], files["strobes"] = self.strobes.finish()
            if self.chain.health is not None:
                summary["sensor_health"], files["sensor_health"] = health_summary(
                    self.chain.health, self.suite, self.sc, self.out)
                summary["sensor_health"]["down_share_by_type"] = self.suite.status.down_share(
                    self.suite.table, float(self.sc.time.duration_s))
            summary["threat"] = self.thscore.summary(followed, self.plat.cls)
            files.update(self.threats.close())
            for name, sec in self.chain.timings_s.items():
                timing[f"{name}_s"] = round(sec, 3)
        if self.effects is not None:
            en = self.effects.finish(finals["engagement"])
            summary["engagement"] = en["summary"]
            files.update(en["files"])
        if self.air_rec is not None:
            ar = self.air_rec.finish(finals.get("airspace", []), followed,
                                     self.tscore.continuity.first_match_t
                                     if self.tscore is not None else None,
                                     self.tscore.follower.during
                                     if self.tscore is not None else None)
            summary["airspace"] = ar["summary"]
            files.update(ar["files"])
            timing["airspace_scoring_s"] = round(self.t_air, 3)


def sensor_reach_m(suite: SensorSuite) -> NDArray[np.float64]:
    """(S,) per sensor-table row, the farthest a target it could report may be, m (NaN: no
    bound -- cooperative receivers): a radar's or camera's maximum range, the acoustic nodes'
    and RF finders' reach as their silence is read (``hearing``, ``rf_hearing``)."""
    reach = np.full(len(suite.table), np.nan)
    if len(suite.radar):
        reach[suite.radar.rows] = suite.radar.max_range_m
    if len(suite.eoir):
        reach[suite.eoir.rows] = suite.eoir.max_range_m
    ac = acoustic_network(suite.acoustic) if len(suite.acoustic) else None
    if ac is not None:
        reach[suite.acoustic.rows] = ac.max_range_m
    rf = rf_network(suite.rf) if len(suite.rf) else None
    if rf is not None:
        reach[suite.rf.rows] = rf.max_range_m
    return reach


def health_summary(health: SensorHealth, suite: SensorSuite, sc: Scenario, out: Path
                   ) -> tuple[dict[str, Any], str]:
    """The run's record of the sensors' liveness -- which silence the classifier and the
    violation evidence did not count, and from when: ``sensor_health.jsonl`` (one line per
    sensor, or acoustic grid, taken as down or back: ``t_s``, ``time`` UTC, ``sensor``,
    ``sensor_kind``, ``nodes``, ``listening``, ``reason``, and where it could see --
    ``lat_deg``, ``lon_deg``, ``reach_m``: the sensor, or the middle of a grid's nodes and the
    farthest reach from there; absent for cooperative receivers; read by ``report
    incident``) and the summary's part (the scenario's outages, the status channel, the
    changes, the sensors down at the end). Returns (summary part, file path)."""
    from dronewall.airspace.event_builder import iso_time
    from dronewall.airspace.geometry import near_dists_m
    from dronewall.detections.health import group_changes

    table = suite.table
    index = table.index()
    reach = sensor_reach_m(suite)
    grids = {s.id for s in sc.sensors if getattr(s, "type", "") == "acoustic_grid"}
    recs: list[dict[str, Any]] = []
    for g in group_changes(health.changes, table.ids, table.kind, grids,
                           merge_s=sc.sensor_health.status_period_s, with_ids=True):
        rows = np.array([index[x] for x in g.pop("sensor_ids")])  # type: ignore[attr-defined]
        rec: dict[str, Any] = {**g, "time": iso_time(sc.time.start, float(g["t_s"]))}  # type: ignore[arg-type]
        if np.isfinite(reach[rows]).all():
            la, lo = table.lat_deg[rows], table.lon_deg[rows]
            c_la, c_lo = float(la.mean()), float(lo.mean())
            spread = near_dists_m(la, lo, c_la, c_lo)
            rec.update(lat_deg=round(c_la, 5), lon_deg=round(c_lo, 5),
                       reach_m=round(float((spread + reach[rows]).max())))
        recs.append(rec)
    path = out / "sensor_health.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r, sort_keys=True) + "\n")
    ids = table.ids.astype(str)
    return {
        "outages_in_scenario": len(sc.outages),
        "status_period_s": sc.sensor_health.status_period_s,
        "stale_after_s": sc.sensor_health.stale_after_s,
        "changes": recs,
        "down_at_end": [str(ids[r]) for r in health.down_rows().tolist()],
    }, str(path)


def class_coverage(suite: SensorSuite, config: ClassifierConfig
                   ) -> Callable[..., NDArray[np.bool_]]:
    """``coverage(ecef, lat, lon, alt, cls)`` (N,): where the suite's sensors detect a platform
    of class ``cls`` (``PlatformClass``; -1: unknown) with probability >= 0.5 per report -- a
    radar on the class's typical RCS (``config.rcs_mean_dbsm``), an acoustic node on its source
    level (``sl_mean_db``), an RF finder on a link emitter (``rf_emit_p`` x its Pd). Against
    this a first detection inside is judged a pop-up (``Entry.covered_before_s``): a 0.01 m^2
    quadcopter inside a radar's 1 m^2 coverage was not "in coverage" for that radar."""
    from dronewall.catalog import PlatformClass

    rcs = 10.0 ** (config.table("rcs_mean_dbsm") / 10.0)
    sl, emit = config.table("sl_mean_db"), config.table("rf_emit_p")
    hearing = acoustic_network(suite.acoustic) if len(suite.acoustic) else None
    rf = rf_network(suite.rf) if len(suite.rf) else None

    def coverage(ecef: Any, lat: Any, lon: Any, alt: Any, cls: int = -1,
                 up: NDArray[np.bool_] | None = None) -> NDArray[np.bool_]:
        c = int(cls) if 0 <= int(cls) < rcs.size else int(PlatformClass.UNKNOWN)
        out = np.asarray(suite.radar.covers(ecef, lat, lon, alt, rcs_m2=float(rcs[c]), up=up),
                         bool)
        if hearing is not None:
            p = hearing.p_heard(ecef, sl[c:c + 1], np.zeros(1),
                                float(np.max(hearing.report_period_s)),
                                up=None if up is None else up[hearing.sensor_rows])[:, 0]
            out = out | (p >= 0.5)
        if rf is not None:
            pa = rf.p_any(ecef, np.asarray(alt, np.float64), float(np.max(rf.report_period_s)),
                          up=None if up is None else up[rf.sensor_rows])
            out = out | (emit[c] * pa >= 0.5)
        return out

    return coverage


def radar_coverage(suite: SensorSuite) -> Callable[..., NDArray[np.bool_]]:
    """``coverage(ecef, lat, lon, alt, up=None)`` (N,): where the suite's radars see a 1 m^2
    aircraft (Pd >= 0.5 per scan), with only the radars listening (``up`` (S,) per sensor-table
    row; None: all) -- the independent coverage a cooperative identity claim is judged
    against."""
    def coverage(ecef: Any, lat: Any, lon: Any, alt: Any,
                 up: NDArray[np.bool_] | None = None) -> NDArray[np.bool_]:
        return np.asarray(suite.radar.covers(ecef, lat, lon, alt, up=up), bool)

    return coverage


def rf_network(model: RFModel) -> RFNetwork:
    """The simulated RF direction finders as the classifier reads RF silence from them
    (:mod:`dronewall.classify.rf_hearing`): the sensor model's own Pd curve and reporting."""
    from dronewall.classify.rf_hearing import RFNetwork

    return RFNetwork(
        sensor_rows=model.rows.astype(np.int64), ecef=model.ecef, rot=model.rot,
        height_m=model.height_m, range50_m=model.range50_m, pd_max=model.pd_max,
        sigma_bearing_rad=model.sig_b,
        report_period_s=np.asarray(model.schedule.period_s, dtype=np.float64))


def acoustic_network(model: AcousticModel) -> AcousticNetwork:
    """The simulated acoustic nodes' positions and calibration as the classifier reads silence
    from them (:mod:`dronewall.classify.hearing`): Pd 0.5 at the received level
    noise + SNR50 - processing gain, the simulator's logistic width."""
    from dronewall.classify.hearing import AcousticNetwork
    from dronewall.sensors.acoustic import LOGISTIC_WIDTH_DB, PROCESSING_GAIN_DB

    return AcousticNetwork(
        sensor_rows=model.rows.astype(np.int64), ecef=model.ecef, rot=model.rot,
        rl50_db=model.noise_db + model.snr50_db - PROCESSING_GAIN_DB,
        width_db=LOGISTIC_WIDTH_DB, sigma_bearing_rad=model.sig_b,
        report_period_s=model.report_period_s)
