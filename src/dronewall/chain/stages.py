"""The stages of the chain: tracking -> classification & trust -> airspace -> threat.

Every stage has the same small protocol (:class:`Stage`): ``step(record) -> record`` reads the
typed fields of the :class:`~dronewall.chain.records.StepRecord` it needs and returns a copy
with its own result added; ``finish()`` returns what the stage holds back until the end (events
of episodes still open, per-identity trust records). Stages hold no reference to each other.
The engagement stage lives in :mod:`dronewall.chain.engagement`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from dronewall.airspace import AirspaceConfig, AirspaceMonitor, ZoneSet
from dronewall.airspace.events import AirspaceEvent, Entry, Exit, Violation
from dronewall.airspace.pilot_link import PilotLinks
from dronewall.airspace.pilot_link import annotate as annotate_link
from dronewall.airspace.splits import split_changed
from dronewall.chain.records import Classified, Picture, StepRecord
from dronewall.chain.strobes import StrobeBook, StrobeConfig
from dronewall.classify.bayes import ClassifierConfig
from dronewall.classify.coop_tracks import TRUST_SUSPECT, TRUST_TRUSTED, CoopTrustMonitor
from dronewall.classify.hearing import AcousticNetwork
from dronewall.classify.rf_hearing import RFNetwork
from dronewall.classify.tracks import ClassStep, TrackClassifier
from dronewall.detections import SensorTable
from dronewall.engagement.threat import AssetTable, ThreatConfig, evaluate
from dronewall.geo import Frame
from dronewall.tracking import Engine, StepResult, TrackerConfig
from dronewall.tracking.table import ATTR_NAMES

F64 = NDArray[np.float64]

#: ``coverage(ecef (N, 3), lat (N,), lon (N,), alt (N,)[, up=(S,) bool]) -> (N,) bool``: where
#: independent sensors should see an aircraft (judges cooperative identity claims). ``up``,
#: passed only when the chain knows the sensors' liveness (``StepRecord.listening``): the
#: sensor-table rows listening -- a sensor that is down covers nothing.
Coverage = Callable[..., NDArray[np.bool_]]


class Stage(Protocol):
    """One stage of the chain."""

    name: str

    def step(self, rec: StepRecord) -> StepRecord:
        """Add this stage's result for ``rec.t`` to the record."""
        ...

    def finish(self) -> Any:
        """Close the run; return what the stage held back (stage-specific, typed)."""
        ...


class TrackingStage:
    """The tracking engine; builds the step's :class:`Picture` of confirmed tracks."""

    name = "tracking"

    def __init__(self, config: TrackerConfig, frame: Frame, sensors: SensorTable) -> None:
        self.engine = Engine(config, frame, sensors)
        self.frame = frame
        self.config = config

    def step(self, rec: StepRecord) -> StepRecord:
        res = self.engine.step(rec.t, rec.detections)
        snap = self.engine.snapshot(confirmed_only=True)
        d = self.engine.dims
        n = snap.ids.size
        pos = np.zeros((n, 3))
        vel = np.zeros((n, 3))
        sig_alt = np.full(n, np.nan)
        if n:
            dt = (rec.t - snap.t_state)[:, None]
            pos[:, :d] = snap.x[:, :d] + snap.x[:, d:] * dt
            vel[:, :d] = snap.x[:, d:]
            lat, lon, alt = self.frame.local_to_geodetic(pos)
            if d == 3:   # the position covariance along the local vertical
                up = self.frame.local_up(pos)
                var = np.einsum("ni,nij,nj->n", up, snap.P[:, :3, :3], up)
                sig_alt = np.sqrt(np.clip(var, 0.0, None))
        else:
            lat = lon = alt = np.zeros(0)
        pic = Picture(t=rec.t, tracks=snap, pos=pos, vel=vel, lat_deg=lat, lon_deg=lon,
                      alt_m=alt, cov_h=snap.P[:, :2, :2], engine=res, sigma_alt_m=sig_alt)
        return rec.with_(picture=pic)

    def finish(self) -> StepResult:
        """Process what the engine still buffers (out-of-order window)."""
        return self.engine.flush()


class StrobeStage:
    """Lines of bearing of the emitters the RF finders and acoustic nodes hear, each put on
    the confirmed track that explains it or shown as an unlocated emitter
    (:mod:`dronewall.chain.strobes`). Runs after tracking and classification (a track's
    class tells which signatures it makes)."""

    name = "strobes"

    def __init__(self, frame: Frame, sensors: SensorTable, reach_m: F64 | None = None,
                 config: StrobeConfig | None = None) -> None:
        self.book = StrobeBook(sensors, reach_m, config)
        n = len(sensors)
        self._spos = (np.asarray(frame.to_local(sensors.ecef.reshape(-1, 3))).reshape(-1, 3)
                      if n else np.zeros((0, 3)))
        self._srot = sensors.rot.reshape(-1, 3, 3) @ frame.rot.T if n else np.zeros((0, 3, 3))

    def step(self, rec: StepRecord) -> StepRecord:
        det_strobe, ended = self.book.step(rec.t, rec.detections)
        pic = rec.picture
        if pic is not None and len(pic):
            attr = pic.tracks.attr
            cl = rec.classified
            self.book.attribute(self._spos, self._srot, pic.pos, pic.sigma_radial_m, pic.ids,
                                attr[:, ATTR_NAMES.index("rf_protocol")],
                                attr[:, ATTR_NAMES.index("acoustic_class")],
                                cl.classes.map_class if cl is not None else None)
        else:
            self.book.attribute(self._spos, self._srot, np.zeros((0, 3)), np.zeros(0),
                                np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
        return rec.with_(strobes=self.book.record(rec.t, det_strobe, ended))

    def finish(self) -> None:
        return None


@dataclass(frozen=True)
class ClassificationFinal:
    """``lineage``: new track id -> ended track id it inherited its class from; ``coop``: one
    record per cooperative identity seen (``CoopTrustMonitor.report``)."""

    lineage: dict[int, int]
    coop: list[dict[str, Any]]


class ClassificationStage:
    """Cooperative-identity trust against independent sensors, then Bayesian classification
    (trusted identities only count as evidence)."""

    name = "classification"

    def __init__(self, frame: Frame, coverage: Coverage | None = None,
                 hearing: AcousticNetwork | None = None,
                 config: ClassifierConfig | None = None,
                 rf: RFNetwork | None = None) -> None:
        self.frame = frame
        self.coverage = coverage
        self.hearing = hearing if hearing is not None and len(hearing) else None
        self.rf = rf if rf is not None and len(rf) else None
        self.classifier = (TrackClassifier(frame) if config is None
                           else TrackClassifier(frame, config))
        self.coop = CoopTrustMonitor()
        self._t_prev: float | None = None

    def step(self, rec: StepRecord) -> StepRecord:
        pic = rec.picture
        assert pic is not None, "classification needs the tracking stage's picture"
        n = len(pic)
        if n == 0:  # nothing to assess: the monitors' clocks do not advance
            return rec.with_(classified=Classified(_empty_classes(), np.zeros(0, np.int8)))
        if self.coverage is not None:
            covered = self.coverage(self.frame.from_local(pic.pos), pic.lat_deg, pic.lon_deg,
                                    pic.alt_m, **_up_kw(rec))
        else:
            covered = np.zeros(n, dtype=bool)
        snap = pic.tracks
        trust = self.coop.step(rec.t, snap.identity, snap.last_seen, pic.pos, pic.vel, covered)
        cls = self.classifier.step(rec.t, snap, pic.pos, pic.vel,
                                   coop_trusted=trust == TRUST_TRUSTED,
                                   audible=self._audible(rec, pic),
                                   rf_audible=self._rf_audible(rec, pic))
        self._t_prev = rec.t
        return rec.with_(classified=Classified(cls, trust))

    def _audible(self, rec: StepRecord, pic: Picture) -> tuple[F64, NDArray[np.bool_]] | None:
        """Per track, what the acoustic network should report of it per class this step and
        whether a report fitting it came (:mod:`dronewall.classify.hearing`); a track a report
        fits only together with others gets NaN (no evidence either way)."""
        net = self.hearing
        if net is None:
            return None
        ecef, sd, dt = self._hearing_inputs(rec, pic, net.report_period_s)
        cfg = self.classifier.config
        p = net.p_heard(ecef, cfg.table("sl_mean_db"), cfg.table("sl_sd_db"), dt,
                        up=_up(rec, net.sensor_rows))
        heard, ambiguous = net.heard(ecef, sd, rec.detections)
        p[ambiguous] = np.nan
        return p, heard

    def _rf_audible(self, rec: StepRecord, pic: Picture
                    ) -> tuple[F64, NDArray[np.bool_]] | None:
        """Per track, the probability that the RF direction finders report an emitter there
        this step and whether one of its bearings fitted it
        (:mod:`dronewall.classify.rf_hearing`); ambiguous tracks get NaN (no evidence)."""
        net = self.rf
        if net is None:
            return None
        ecef, sd, dt = self._hearing_inputs(rec, pic, net.report_period_s)
        p = net.p_any(ecef, pic.alt_m, dt, up=_up(rec, net.sensor_rows))
        heard, ambiguous = net.heard(ecef, sd, rec.detections)
        p[ambiguous] = np.nan
        return p, heard

    def _hearing_inputs(self, rec: StepRecord, pic: Picture, period_s: F64
                        ) -> tuple[F64, F64, float]:
        """The tracks' ECEF positions (N, 3) m, horizontal position sds (N,) m, and the step
        length, s (the shortest report period at the first step)."""
        dt = (rec.t - self._t_prev if self._t_prev is not None and rec.t > self._t_prev
              else float(np.min(period_s)))
        sd = np.sqrt(np.clip(np.trace(pic.cov_h, axis1=1, axis2=2), 0.0, None))
        return self.frame.from_local(pic.pos), sd, dt

    def finish(self) -> ClassificationFinal:
        return ClassificationFinal(dict(self.classifier.lineage), self.coop.report())


def _up(rec: StepRecord, rows: NDArray[np.integer]) -> NDArray[np.bool_] | None:
    """Whether the sensors at sensor-table ``rows`` are listening this step (None: all)."""
    if rec.listening is None:
        return None
    return np.asarray(rec.listening, dtype=bool)[np.asarray(rows, dtype=np.int64)]


def _up_kw(rec: StepRecord) -> dict[str, NDArray[np.bool_]]:
    """``{"up": listening}`` for a coverage call when the chain knows the sensors' liveness."""
    return {} if rec.listening is None else {"up": rec.listening}


def _empty_classes() -> ClassStep:
    from dronewall.classify.bayes import N_CLASSES

    return ClassStep(np.zeros(0, np.int64), np.zeros((0, N_CLASSES)), np.zeros(0, np.int64),
                     np.zeros(0, dtype=object), np.zeros(0, np.int64))


class AirspaceStage:
    """Violation analytics on the confirmed tracks: the step's new typed events, violations
    completed with how they are known (:mod:`dronewall.airspace.evidence`)."""

    name = "airspace"

    def __init__(self, zones: ZoneSet, config: AirspaceConfig, frame: Frame,
                 coverage: Coverage | None = None, recent_s: float = 10.0,
                 class_coverage: Callable[..., NDArray[np.bool_]] | None = None) -> None:
        """``class_coverage(ecef, lat, lon, alt, cls)``: where the sensors detect a platform of
        class ``cls`` (a first detection inside is judged against it; None: ``coverage``)."""
        from dronewall.airspace.evidence import RETAIN_S, EvidenceAnnotator

        self.monitor = AirspaceMonitor(zones, config)
        self.frame = frame
        timeout = config.track_timeout_s or 0.0
        self.evidence = EvidenceAnnotator(zones, config.epoch, frame, coverage,
                                          retain_s=max(RETAIN_S, timeout + 60.0),
                                          class_coverage=class_coverage)
        self.recent_s = recent_s
        self.t_last = 0.0
        self._t_prev = -np.inf
        #: short-reach links heard on tracks inside sovereign zones (who flew a drone)
        self.links = PilotLinks(zones, retain_s=max(RETAIN_S, timeout + 60.0))

    def step(self, rec: StepRecord) -> StepRecord:
        pic = rec.picture
        assert pic is not None, "airspace needs the tracking stage's picture"
        self.t_last = rec.t
        t_prev, self._t_prev = self._t_prev, rec.t
        if len(pic):
            rot = self.frame.local_enu_rotation(pic.pos)
            vel_enu = np.einsum("nij,nj->ni", rot, pic.vel)
            # horizontal covariance turned to local east / north (the frame's horizontal
            # axes differ from them by the tangent plane's tilt, < 2 deg within 200 km)
            r2 = rot[:, :2, :2]
            cov_en = r2 @ pic.cov_h @ np.swapaxes(r2, 1, 2)
        else:
            vel_enu = np.zeros((0, 3))
            cov_en = np.zeros((0, 2, 2))
        det = rec.detections
        self.evidence.listening.note(rec.t, rec.listening)
        self.evidence.operators.observe(det.t, det.identity, det.aux)
        # located since the last step: a strong update (a plot, a fix) -- not a prediction
        # turned by one sensor's bearing
        ts = pic.tracks.t_strong
        new = self.monitor.step(rec.t, pic.ids, pic.lat_deg, pic.lon_deg, pic.alt_m,
                                pic.sigma_h_m, vel_enu, pic.sigma_alt_m,
                                located=None if ts is None else ts > t_prev)
        cl = rec.classified
        snap = pic.tracks
        recent = (rec.t - snap.last_seen) <= self.recent_s      # NaN -> False
        kinds = recent.astype(np.int64) @ (1 << np.arange(recent.shape[1], dtype=np.int64))
        from dronewall.catalog import PlatformClass

        self.evidence.observe(
            rec.t, pic.ids, pic.lat_deg, pic.lon_deg, pic.alt_m, vel_enu, pic.sigma_h_m,
            pic.identity, cl.trusted if cl is not None else None,
            cl.trust == TRUST_SUSPECT if cl is not None else None,
            cl.classes.prob[:, int(PlatformClass.BIRD)] if cl is not None and len(pic) else None,
            kinds, snap.hits.astype(np.int64), new,
            # where a track was last *located* (not merely turned by one sensor's bearing)
            last_update=snap.t_update if snap.t_strong is None else snap.t_strong,
            last_seen=snap.last_seen, cov_en=cov_en,
            map_class=cl.classes.map_class if cl is not None and len(pic) else None)
        a = ATTR_NAMES.index("rf_protocol")
        self.links.observe(rec.t, pic.ids, pic.lat_deg, pic.lon_deg, snap.attr[:, a],
                           snap.attr_t[:, a] == rec.t,
                           cl.classes.map_class if cl is not None and len(pic) else None)
        done = self._complete(new)
        # a track that moved onto another target inside a zone: its episode split there
        # (found a couple of minutes late; airspace/splits.py)
        done += [annotate_link(e, self.links) if isinstance(e, Violation) else e
                 for e in split_changed(self.monitor, self.evidence)]
        return rec.with_(events=tuple(done))

    def _complete(self, events: list[AirspaceEvent]) -> list[AirspaceEvent]:
        """Violations completed (with the pilot's link where heard), entries and exits with
        how their crossing is known."""
        return [annotate_link(self.evidence.complete(e), self.links)
                if isinstance(e, Violation) else self.evidence.annotate(e) for e in events]

    def finish(self) -> list[AirspaceEvent]:
        """Close the episodes still open (``ongoing`` violations)."""
        return self._complete(self.monitor.finish(self.t_last))


class ThreatStage:
    """Threat evaluation and ranking of the classified picture against the defended assets;
    the violation state of each track comes from the airspace events of reported sovereign
    zones (latest entry: its p_inside; exit: 0)."""

    name = "threat"

    def __init__(self, assets: AssetTable, config: ThreatConfig | None = None) -> None:
        self.assets = assets
        self.config = config or ThreatConfig()
        self.viol_ids = np.zeros(0, np.int64)     # sorted track ids with an entry/exit seen
        self.viol_p = np.zeros(0)

    def _violations(self, events: tuple[AirspaceEvent, ...]) -> None:
        for e in events:
            if e.zone_kind != "sovereign" or not isinstance(e, Entry | Exit):
                continue
            tk = int(e.track_id)
            p = float(e.p_inside or 0.0) if isinstance(e, Entry) else 0.0
            k = np.searchsorted(self.viol_ids, tk)
            if k < self.viol_ids.size and self.viol_ids[k] == tk:
                self.viol_p[k] = p
            else:
                self.viol_ids = np.insert(self.viol_ids, k, tk)
                self.viol_p = np.insert(self.viol_p, k, p)

    def violation_p(self, ids: NDArray[np.int64]) -> F64:
        """(N,) p_inside of the latest sovereign entry of each track (0: none or exited)."""
        if self.viol_ids.size == 0:
            return np.zeros(ids.size)
        k = np.minimum(np.searchsorted(self.viol_ids, ids), self.viol_ids.size - 1)
        return np.where(self.viol_ids[k] == ids, self.viol_p[k], 0.0)

    def step(self, rec: StepRecord) -> StepRecord:
        self._violations(rec.events)
        pic, cl = rec.picture, rec.classified
        assert pic is not None and cl is not None, "threat needs the classified picture"
        if len(pic) == 0:
            return rec.with_(threats=None)
        ta = evaluate(pic.ids, pic.pos, pic.vel, pic.sigma_radial_m, cl.classes.prob,
                      self.assets, violation_p=self.violation_p(pic.ids),
                      coop_trusted=cl.trusted, config=self.config)
        return rec.with_(threats=ta)

    def finish(self) -> None:
        return None
