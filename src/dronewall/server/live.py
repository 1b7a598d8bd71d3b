"""The server's chain and its sources: the same stages ``simulate`` builds
(:class:`dronewall.pipeline.wiring.ChainRun`: tracking -> classification & trust -> airspace ->
threat -> engagement, with the scenario's tracker settings, zones, assets, effectors and ROE),
fed by a live source instead of a batch run, with a person as the approver.

Sources (each yields ``(t, DetectionBatch)`` one step at a time):

* :class:`ScenarioSource` -- the scenario's truth simulator and simulated sensors, seeded as in
  ``simulate`` (the same random streams), with the simulated effects of approved engagements
  (a destroyed drone leaves the truth);
* :class:`DetectionsSource` -- recorded detections: a ``simulate`` output folder
  (``detections.csv``/``.parquet``) or a session in a store.

No scorers and no files: what the chain decides goes to the store and to the clients.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from dronewall.airspace import ZoneSet
from dronewall.chain import (
    AirspaceStage,
    Approver,
    Chain,
    ClassificationStage,
    StepRecord,
    StrobeStage,
    ThreatStage,
    TrackingStage,
)
from dronewall.chain.strobes import StrobeConfig
from dronewall.detections import DetectionBatch, SensorTable
from dronewall.detections.health import SensorHealth
from dronewall.engagement.threat import AssetTable, assets_from_zones
from dronewall.errors import InputError
from dronewall.geo import Frame
from dronewall.scenario import Scenario


def _streams(seed: int) -> list[np.random.Generator]:
    """The random streams of ``simulate`` (truth, sensors, engagement effects, operators)."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)]


@dataclass
class LiveChain:
    """The chain for a scenario's site, and what the server needs to show and record it."""

    scenario: Scenario
    frame: Frame
    chain: Chain
    sensors: SensorTable
    zones: ZoneSet | None
    reference_zones: set[str]
    assets: AssetTable
    engaging: bool
    human_approval: bool
    effects: Any = None        # pipeline.engagement.SimulatedEffects (scenario source only)
    truth: Any = None          # sim.truth.TruthSimulator (scenario source only)
    suite: Any = None          # sensors.SensorSuite
    #: the scenario's own status channel (simulated sources and their replays): the status
    #: reports up to a time (``sensors.status``); None: the source reports (live feeds)
    status: Any = None

    @property
    def step_s(self) -> float:
        return float(self.scenario.time.step_s)

    @property
    def duration_s(self) -> float:
        return float(self.scenario.time.duration_s)


#: Wire feeds (``serve --live``): detections stamped on arrival within this many seconds of
#: each other are one group for the tracker -- one scan of a sensor network reaches the server
#: over some milliseconds, and bearings from several acoustic / RF nodes triangulate only
#: when they are one group (position error <= target speed x tolerance: <= 12 m at 50 m/s).
LIVE_GROUP_TOLERANCE_S = 0.25


def build_live_chain(sc: Scenario, base_dir: Path | None, seed: int, approver: Approver,
                     out_dir: Path, *, engage: bool = True, wire: bool = False) -> LiveChain:
    """The stage chain of ``simulate`` for scenario ``sc`` with ``approver`` deciding the
    engagement recommendations (unless the ROE say ``approval: auto``). ``wire``: fed by wire
    feeds stamped on arrival (groups detections within ``LIVE_GROUP_TOLERANCE_S``)."""
    from dronewall.pipeline.airspace import airspace_config, scenario_zones
    from dronewall.pipeline.classification import classifier_config_for
    from dronewall.pipeline.tracking import tracker_config_for
    from dronewall.pipeline.wiring import (
        acoustic_network,
        class_coverage,
        radar_coverage,
        rf_network,
        sensor_reach_m,
    )
    from dronewall.sensors import SensorSuite
    from dronewall.sim.truth import TruthSimulator

    rng_truth, rng_sens, rng_eng, rng_ops = _streams(seed)
    truth = TruthSimulator(sc, rng_truth)
    suite = SensorSuite.from_scenario(sc, rng_sens)
    frame = Frame(sc.origin.lat_deg, sc.origin.lon_deg, sc.origin.alt_m)
    zoning = scenario_zones(sc, base_dir)
    zones = zoning[0] if zoning is not None else None

    coverage = radar_coverage(suite)
    cfg = tracker_config_for(sc)
    if wire:
        cfg = replace(cfg, time_group_tolerance_s=LIVE_GROUP_TOLERANCE_S)
    hearing = acoustic_network(suite.acoustic) if len(suite.acoustic) else None
    rf = rf_network(suite.rf) if len(suite.rf) else None
    stages: list[Any] = [TrackingStage(cfg, frame, suite.table),
                         ClassificationStage(frame, coverage=coverage, hearing=hearing,
                                             config=classifier_config_for(sc), rf=rf)]
    if len(suite.rf) or len(suite.acoustic):
        # lines of bearing of emitters heard but not located (an RF finder's DJI link)
        stages.append(StrobeStage(frame, suite.table, sensor_reach_m(suite), StrobeConfig(
            acoustic_explain_range_m=cfg.bearing_explain_range_m)))
    if zoning is not None:
        stages.append(AirspaceStage(zoning[0], airspace_config(sc), frame, coverage=coverage,
                                    class_coverage=class_coverage(suite,
                                                                  classifier_config_for(sc))))
    assets = assets_from_zones(zones, frame) if zones is not None else AssetTable.empty()
    stages.append(ThreatStage(assets))
    effects = None
    engaging = bool(engage and sc.effectors)
    human = False
    if engaging:
        from dronewall.pipeline.engagement import build_engagement

        out_dir.mkdir(parents=True, exist_ok=True)
        stage, effects = build_engagement(sc, zones, zoning, frame, truth.platforms, out_dir,
                                          "csv", rng_eng, rng_ops, "planner")
        human = not stage.roe.auto_approve
        if human:  # the operator decides, through the API (server.approver)
            stage.approver = approver
        stages.append(stage)
    # the sensors' liveness: from the wire (live feeds report it, ``sensor_reports``) or from
    # the scenario's outages and status channel (a simulated source, or a replay of one)
    health = (SensorHealth(len(suite.table), sc.sensor_health.stale_after_s) if wire
              else suite.health())
    return LiveChain(sc, frame, Chain(stages, health=health), suite.table, zones,
                     zoning[1] if zoning is not None else set(), assets, engaging, human,
                     effects, truth, suite, None if wire else suite.status.reports)


class ScenarioSource:
    """Truth simulator + simulated sensors, one step per call; approved engagements are
    resolved against the truth after the chain (:meth:`after`)."""

    def __init__(self, live: LiveChain) -> None:
        if live.truth is None or live.suite is None:
            raise ValueError("ScenarioSource needs the chain's truth simulator and sensors")
        self.live = live
        self._it = live.truth.states()
        self._state: Any = None

    def next(self) -> tuple[float, DetectionBatch] | None:
        try:
            st = next(self._it)
        except StopIteration:
            return None
        self._state = st
        return float(st.t), self.live.suite.observe(st, self.live.truth.platforms)

    def exhausted(self) -> bool:
        """True once the step just returned was the scenario's last."""
        assert self.live.truth is not None
        return self._state is not None and float(self._state.t) >= float(
            self.live.truth.times[-1])

    def after(self, rec: StepRecord) -> None:
        """Simulated effects of the engagements due at this step: kills leave the truth."""
        fx = self.live.effects
        if fx is None or self._state is None:
            return
        killed = fx.observe(self._state, rec)
        if killed.size:
            self.live.truth.kill(killed, rec.t)


class DetectionsSource:
    """Recorded detection batches, grouped by step time."""

    def __init__(self, batches: Iterator[tuple[float, DetectionBatch]]) -> None:
        self._it = batches
        self._ahead: tuple[float, DetectionBatch] | None = None
        self._started = False

    def next(self) -> tuple[float, DetectionBatch] | None:
        """The next recorded step (one is read ahead, so :meth:`exhausted` can tell)."""
        if not self._started:
            self._started = True
            self._ahead = next(self._it, None)
        item, self._ahead = self._ahead, (next(self._it, None) if self._ahead is not None
                                          else None)
        return item

    def exhausted(self) -> bool:
        """True once the step just returned was the last recorded one."""
        return self._started and self._ahead is None

    def after(self, rec: StepRecord) -> None:
        return None


# ---------------------------------------------------------------------- recorded detections

_R_UPPER = [(i, j) for i in range(4) for j in range(i, 4)]


def batch_from_columns(cols: dict[str, Any], sensors: SensorTable, where: str) -> DetectionBatch:
    """A batch from the documented detection columns (docs/detections.md); ``sensor_id`` must
    name a sensor of ``sensors``."""
    index = {str(s): i for i, s in enumerate(sensors.ids.tolist())}
    sid = [str(s) for s in cols["sensor_id"]]
    unknown = sorted({s for s in sid if s not in index})
    if unknown:
        raise InputError(f"{where}: sensor_id {unknown[:5]} not in the scenario's sensors "
                         f"({', '.join(list(index)[:8])}, ...); expected the scenario the "
                         "detections were recorded with (--scenario)")
    m = len(sid)

    def f(name: str) -> np.ndarray:
        return np.array([np.nan if v is None else v for v in cols[name]], dtype=np.float64) \
            if m else np.zeros(0)

    z = np.stack([f(f"z{i}") for i in range(4)], axis=1) if m else np.zeros((0, 4))
    R = np.zeros((m, 4, 4))
    for i, j in _R_UPPER:
        v = np.nan_to_num(f(f"r{i}{j}"))
        R[:, i, j] = v
        R[:, j, i] = v
    aux = np.stack([f("aux0"), f("aux1"), f("aux2")], axis=1) if m else np.zeros((0, 3))
    return DetectionBatch.create(
        t=f("t_s"), sensor=np.array([index[s] for s in sid], dtype=np.int32),
        meas_kind=np.asarray(cols["meas_kind"], dtype=np.int8), z=z, R=R,
        class_label=np.asarray(cols["class_label"], dtype=np.int16),
        rf_protocol=np.asarray(cols["rf_protocol"], dtype=np.int16),
        identity=np.array([str(v or "") for v in cols["identity"]], dtype=object),
        callsign=np.array([str(v or "") for v in cols["callsign"]], dtype=object),
        rcs_dbsm=f("rcs_dbsm"), snr_db=f("snr_db"), aux=aux,
        truth_id=np.asarray(cols["truth_id"], dtype=np.int32))


def run_dir_batches(run_dir: Path, sensors: SensorTable, step_s: float
                    ) -> Iterator[tuple[float, DetectionBatch]]:
    """The detections of a ``simulate`` output folder as one batch per step of ``step_s``."""
    path = next((run_dir / f"detections.{x}" for x in ("parquet", "csv")
                 if (run_dir / f"detections.{x}").is_file()), None)
    if path is None:
        raise InputError(f"--replay {run_dir}: no detections.csv or detections.parquet; "
                         "expected the output folder of 'dronewall simulate'")
    if path.suffix == ".csv":
        import pyarrow.csv as pacsv

        tbl = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            column_types={"identity": "string", "callsign": "string",
                          "sensor_id": "string"}, strings_can_be_null=False))
    else:
        import pyarrow.parquet as pq

        tbl = pq.read_table(path)
    missing = [c for c in ("t_s", "sensor_id", "meas_kind", "z0", "r00", "truth_id")
               if c not in tbl.column_names]
    if missing:
        raise InputError(f"{path}: missing columns {missing}; expected the detection layout "
                         "of docs/detections.md")
    t = tbl.column("t_s").to_numpy()
    k = np.floor(t / step_s + 1e-9).astype(np.int64)
    order = np.argsort(k, kind="stable")
    tbl = tbl.take(order)
    k = k[order]
    bounds = np.flatnonzero(np.diff(k)) + 1
    starts = np.r_[0, bounds]
    ends = np.r_[bounds, k.size]
    last = int(k[-1]) if k.size else -1
    j = 0
    for step in range(0, last + 1):
        if j < starts.size and k[starts[j]] == step:
            part = tbl.slice(int(starts[j]), int(ends[j] - starts[j])).to_pydict()
            j += 1
            yield step * step_s, batch_from_columns(part, sensors, str(path))
        else:
            yield step * step_s, DetectionBatch.empty()


def store_batches(rows_by_step: Iterator[tuple[int, float, list[dict[str, Any]]]],
                  sensors: SensorTable) -> Iterator[tuple[float, DetectionBatch]]:
    """Recorded steps of a store session as batches."""
    for _seq, t_s, rows in rows_by_step:
        if not rows:
            yield t_s, DetectionBatch.empty()
            continue
        cols = {k: [r[k] for r in rows] for k in rows[0]}
        yield t_s, batch_from_columns(cols, sensors, "store")
