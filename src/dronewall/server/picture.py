"""One step record -> what the server records and what it sends: store rows and the per-step
delta for the clients (the only place the server turns the chain's typed records into rows and
JSON).

Track columns (the delta's ``tracks``, columnar, one entry per confirmed track): ``id``,
``lat``/``lon`` (deg), ``alt`` (m), ``ve``/``vn``/``vu`` (m/s, local ENU), ``cov`` (Pee, Pen,
Pnn in m^2, local ENU horizontal position covariance), ``sig`` (per-axis 1-sigma, m), ``cls``
(MAP class name), ``p`` (its probability), ``ev`` (evidence label), ``aff`` (affiliation, see
:func:`affiliation`), ``coop`` (cooperative identity, "" none), ``trust`` (none / unverified /
trusted / suspect), ``hits``, ``upd`` (s since the last update), ``viol`` (p_inside of the
latest entry into own airspace, 0 none).

Decimation: a track's state is recorded when it first appears and then every
``record_period_s``; detections, events, recommendations and engagement steps every step; the
ranked threats (top :data:`THREATS_RECORDED`) every ``record_period_s``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dronewall.airspace.event_builder import iso_time
from dronewall.airspace.events import Entry, Exit
from dronewall.catalog import PlatformClass
from dronewall.chain import StepRecord
from dronewall.chain.approval import Proposal
from dronewall.classify.coop_tracks import TRUST_NAMES, TRUST_SUSPECT, TRUST_TRUSTED
from dronewall.detections import DetectionBatch, SensorKind, SensorTable
from dronewall.server.alerts import alert_events, event_alert, sensor_alerts, spoof_alert
from dronewall.server.live import LiveChain
from dronewall.server.strobe_view import strobe_alerts, strobe_events, strobe_rows
from dronewall.store import StepRows

#: Threats kept per recorded step and sent per step (most urgent first).
THREATS_RECORDED = 20
CLASS_NAMES = [c.name.lower() for c in PlatformClass]
_HOSTILE = {int(PlatformClass.ATTACK_DRONE), int(PlatformClass.DECOY),
            int(PlatformClass.RECON_UAV)}
#: MAP probability from which a hostile class makes the track "hostile" (below: "suspect") [E].
P_HOSTILE = 0.6
_R_UPPER = [(i, j) for i in range(4) for j in range(i, 4)]
#: Sensor health goes with every this many step deltas.
SENSORS_EVERY = 5


def affiliation(cls: NDArray[np.int64], p: NDArray[np.float64], trust: NDArray[np.int8],
                evidence: NDArray[np.object_]) -> list[str]:
    """Standard-identity in the spirit of MIL-STD-2525 / APP-6 for the symbol frame:
    ``hostile`` (a hostile class with p >= P_HOSTILE), ``suspect`` (hostile class less sure,
    or a cooperative identity judged spoofed), ``neutral`` (trusted cooperative aircraft,
    birds), ``pending`` (no class evidence yet), ``unknown`` otherwise. No track is "friend":
    own aircraft are not on this picture."""
    out = []
    for c, pk, tr, ev in zip(cls.tolist(), p.tolist(), trust.tolist(), evidence.tolist(),
                             strict=True):
        if tr == TRUST_SUSPECT:
            out.append("suspect")
        elif c in _HOSTILE:
            out.append("hostile" if pk >= P_HOSTILE else "suspect")
        elif tr == TRUST_TRUSTED or c == int(PlatformClass.BIRD):
            out.append("neutral")
        elif ev == "prior":
            out.append("pending")
        else:
            out.append("unknown")
    return out


def remote_id_only(rec: StepRecord) -> dict[int, str]:
    """Track id -> identity of the tracks whose identity came by Remote ID alone (a Remote ID
    receiver updated them, no ADS-B receiver did)."""
    pic = rec.picture
    if pic is None or pic.ids.size == 0:
        return {}
    ls = pic.tracks.last_seen
    k = (np.isfinite(ls[:, int(SensorKind.REMOTE_ID)]) & ~np.isfinite(ls[:, int(SensorKind.ADSB)])
         & (pic.identity != ""))
    return {int(i): str(s) for i, s in zip(pic.ids[k].tolist(), pic.identity[k].tolist(),
                                            strict=True)}


def _f(a: NDArray[np.float64], nd: int) -> list[float | None]:
    r = np.round(np.asarray(a, dtype=np.float64), nd)
    return [None if not math.isfinite(v) else v for v in r.tolist()]


def _obj(a: NDArray[np.float64]) -> list[Any]:
    """Floats as Python objects with NaN -> None (stored as NULL)."""
    a = np.asarray(a, dtype=np.float64)
    o = a.astype(object)
    o[np.isnan(a)] = None
    return o.tolist()


def detection_columns(det: DetectionBatch, sensors: SensorTable) -> dict[str, list[Any]]:
    """A step's detections as store columns (``StepRows.detection_columns``)."""
    cols: dict[str, list[Any]] = {
        "t_s": det.t.astype(float).tolist(),
        "sensor_id": sensors.ids[det.sensor].astype(str).tolist(),
        "meas_kind": det.meas_kind.astype(int).tolist(),
    }
    for i in range(4):
        cols[f"z{i}"] = _obj(det.z[:, i])
    for i, j in _R_UPPER:
        cols[f"r{i}{j}"] = _obj(det.R[:, i, j])
    cols["rcs_dbsm"] = _obj(det.rcs_dbsm)
    cols["snr_db"] = _obj(det.snr_db)
    for i in range(3):
        cols[f"aux{i}"] = _obj(det.aux[:, i])
    cols["class_label"] = det.class_label.astype(int).tolist()
    cols["rf_protocol"] = det.rf_protocol.astype(int).tolist()
    cols["identity"] = [str(v) for v in det.identity.tolist()]
    cols["callsign"] = [str(v) for v in det.callsign.tolist()]
    cols["truth_id"] = det.truth_id.astype(int).tolist()
    return cols


def proposal_dict(p: Proposal, status: str = "pending") -> dict[str, Any]:
    return {"rec_id": p.rec_id, "track_id": p.track_id, "effector_id": p.effector_id,
            "effector_type": p.effector_type, "cost_eur": p.cost_eur, "pk": p.pk,
            "value_eur": p.value_eur, "value_saved_eur": p.value_saved_eur,
            "t_proposed_s": p.t_proposed_s, "t_decide_s": p.t_decide_s,
            "deadline_s": p.deadline_s, "text": p.text, "status": status}


class StepView:
    """Turns step records into store rows and client deltas; keeps what the next step needs
    (previous track ids, last recorded time per track, per-sensor last detection)."""

    def __init__(self, live: LiveChain, record_period_s: float) -> None:
        self.live = live
        self.record_period_s = float(record_period_s)
        #: live feeds' state per sensor id (``LiveFeedsSource.sensor_status``), when any
        self.feed_status: Any = None
        self.prev_ids: set[int] = set()
        self.suspected: set[int] = set()   # tracks whose identity is suspected of spoofing
        self.last_rec_t: dict[int, float] = {}
        self.last_threat_rec = -math.inf
        self.known_recs: set[str] = set()
        n = len(live.sensors.ids)
        self.sensor_last_t = np.full(n, np.nan)
        self.sensor_count = np.zeros(n, np.int64)
        #: whether each sensor was listening at the last step (``StepRecord.listening``)
        self.listening: np.ndarray | None = None
        #: the sensor-health changes already alerted (a count of ``health.n_changes``)
        self.health_seen = 0
        self.grids = {s.id for s in live.scenario.sensors
                      if getattr(s, "type", "") == "acoustic_grid"}
        self.asset_names = list(live.assets.names)
        self.inside: dict[int, float] = {}      # track -> p_inside own sovereign airspace
        self.strobe_alerted: set[int] = set()   # RF strobes alerted as unlocated

    # ------------------------------------------------------------------ tracks

    def tracks(self, rec: StepRecord) -> dict[str, list[Any]]:
        pic, cl = rec.picture, rec.classified
        if pic is None or len(pic) == 0 or cl is None:
            return {k: [] for k in ("id", "lat", "lon", "alt", "ve", "vn", "vu", "cov", "sig",
                                    "cls", "p", "ev", "aff", "coop", "trust", "hits", "upd",
                                    "viol")}
        rot = self.live.frame.local_enu_rotation(pic.pos)
        v = np.einsum("nij,nj->ni", rot, pic.vel)
        r2 = rot[:, :2, :2]
        c = r2 @ pic.cov_h @ np.swapaxes(r2, 1, 2)
        cls = np.asarray(cl.classes.map_class, dtype=np.int64)
        p = np.take_along_axis(np.asarray(cl.classes.prob), cls[:, None], axis=1)[:, 0]
        ev = np.asarray(cl.classes.evidence, dtype=object)
        snap = pic.tracks
        self._inside_own(rec)
        viol = np.array([self.inside.get(int(k), 0.0) for k in pic.ids.tolist()])
        return {
            "id": pic.ids.astype(int).tolist(),
            "lat": _f(pic.lat_deg, 6), "lon": _f(pic.lon_deg, 6), "alt": _f(pic.alt_m, 1),
            "ve": _f(v[:, 0], 2), "vn": _f(v[:, 1], 2), "vu": _f(v[:, 2], 2),
            "cov": np.round(np.stack([c[:, 0, 0], c[:, 0, 1], c[:, 1, 1]], 1), 1).tolist(),
            "sig": _f(pic.sigma_h_m, 1),
            "cls": [CLASS_NAMES[k] for k in cls.tolist()], "p": _f(p, 3),
            "ev": [str(x) for x in ev.tolist()],
            "aff": affiliation(cls, p, cl.trust, ev),
            "coop": [str(x) for x in pic.identity.tolist()],
            "trust": [TRUST_NAMES[int(k)] for k in cl.trust.tolist()],
            "hits": snap.hits.astype(int).tolist(),
            "upd": _f(rec.t - snap.t_update, 1),
            "viol": _f(viol, 3),
        }

    def _inside_own(self, rec: StepRecord) -> None:
        """Per track, p_inside of its latest entry into own sovereign airspace (the reported
        sovereign zones; an exit clears it). Neighbours' zones (``report: false``) do not
        count: leaving Belarus is not leaving Poland."""
        for e in rec.events:
            if e.zone_kind != "sovereign" or e.zone_id in self.live.reference_zones:
                continue
            if isinstance(e, Entry):
                self.inside[int(e.track_id)] = float(e.p_inside or 0.0)
            elif isinstance(e, Exit):
                self.inside.pop(int(e.track_id), None)

    def spoof_alerts(self, ids: list[int], tr: dict[str, list[Any]], t: float, seq: int
                     ) -> list[dict[str, Any]]:
        """Alerts for the tracks whose broadcast identity was newly judged spoofed: the
        operator is told once per track while it lives."""
        out = []
        for k in np.flatnonzero(np.asarray(tr["trust"], dtype=object) == "suspect").tolist():
            tid = ids[k]
            if tid not in self.suspected:
                self.suspected.add(tid)
                out.append(spoof_alert(f"{seq}-s{tid}", tid, tr["coop"][k], t,
                                       iso_time(self.live.scenario.time.start, t),
                                       tr["cls"][k], tr["p"][k]))
        return out

    def health_alerts(self, t: float, seq: int) -> list[dict[str, Any]]:
        """Alerts for the sensors the picture took as down or back since the last step."""
        h = self.live.chain.health
        if h is None or h.n_changes <= self.health_seen:
            return []
        new, self.health_seen = h.changes_since(self.health_seen), h.n_changes
        return sensor_alerts(new, self.live.sensors, self.grids, t,
                             iso_time(self.live.scenario.time.start, t), seq, self.listening)

    def threats(self, rec: StepRecord, k: int = THREATS_RECORDED) -> list[dict[str, Any]]:
        ta = rec.threats
        if ta is None or ta.ids.size == 0:
            return []
        order = ta.order()
        # only tracks that threaten something: birds and trusted cooperative traffic score 0
        # (the same rule as simulate's threats.csv)
        order = order[ta.score[order] > 0][:k]
        out = []
        for i in order.tolist():
            a = int(ta.asset[i])
            out.append({
                "rank": int(ta.rank[i]), "track_id": int(ta.ids[i]),
                "score": round(float(ta.score[i]), 4),
                "value_at_risk_eur": _num(ta.value_at_risk_eur[i], 0),
                "asset": self.asset_names[a] if 0 <= a < len(self.asset_names) else "",
                "t_go_s": _num(ta.t_go_s[i], 1), "p_reach": _num(ta.p_reach[i], 3),
                "violation_p": _num(ta.violation_p[i], 3),
                "inbound": bool(ta.inbound[i])})
        return out

    # ------------------------------------------------------------------ sensors

    def observe_sensors(self, rec: StepRecord) -> None:
        det = rec.detections
        if len(det):
            s, cnt = np.unique(det.sensor, return_counts=True)
            self.sensor_count[s] += cnt
            np.fmax.at(self.sensor_last_t, det.sensor, det.t)
        if rec.listening is not None:
            self.listening = np.asarray(rec.listening, dtype=bool)

    def sensor_health(self, now: float) -> list[dict[str, Any]]:
        """Per sensor: kind, position, detections since start, seconds since the last one,
        and whether the picture takes it as listening (``listening``: False -- down, its
        silence is not counted as evidence; None: not known)."""
        from dronewall.detections import SensorKind

        t = self.live.sensors
        feeds = self.feed_status() if self.feed_status is not None else {}
        out = []
        for i in range(len(t.ids)):
            last = float(self.sensor_last_t[i])
            row = {"id": str(t.ids[i]), "kind": SensorKind(int(t.kind[i])).name.lower(),
                   "lat": float(t.lat_deg[i]), "lon": float(t.lon_deg[i]),
                   "detections": int(self.sensor_count[i]),
                   "since_last_s": None if math.isnan(last) else round(now - last, 1),
                   "listening": (None if self.listening is None
                                 else bool(self.listening[i]))}
            if str(t.ids[i]) in feeds:   # a live feed reports as this sensor
                row["feed"] = feeds[str(t.ids[i])]
            out.append(row)
        return out

    # ------------------------------------------------------------------ one step

    def step(self, rec: StepRecord, seq: int, proposals_closed: list[dict[str, Any]],
             final: bool = False) -> tuple[StepRows, dict[str, Any]]:
        """Store rows and the client delta of one step. ``final``: the source says no step
        follows (a simulated or recorded session's end): the lines of bearing still heard are
        recorded with it, as ``simulate`` ends them with the run."""
        live = self.live
        self.observe_sensors(rec)
        tr = self.tracks(rec)
        ids = tr["id"]
        gone = sorted(self.prev_ids - set(ids))
        self.prev_ids = set(ids)
        for g in gone:
            self.last_rec_t.pop(g, None)
            self.inside.pop(g, None)
            self.suspected.discard(g)
        rows = StepRows(detection_columns=detection_columns(rec.detections, live.sensors))
        t = rec.t
        for k, tid in enumerate(ids):
            if t - self.last_rec_t.get(tid, -math.inf) < self.record_period_s - 1e-6:
                continue
            self.last_rec_t[tid] = t
            cov = tr["cov"][k]
            rows.track_states.append({
                "track_id": tid, "lat_deg": tr["lat"][k], "lon_deg": tr["lon"][k],
                "alt_m": tr["alt"][k], "ve_mps": tr["ve"][k], "vn_mps": tr["vn"][k],
                "vu_mps": tr["vu"][k], "sigma_h_m": tr["sig"][k],
                "cov_en": np.asarray(cov, dtype="<f8").tobytes(), "cls": tr["cls"][k],
                "p_cls": tr["p"][k], "evidence": tr["ev"][k], "identity": tr["coop"][k],
                "trust": TRUST_NAMES.index(tr["trust"][k]), "hits": tr["hits"][k],
                "t_update_s": round(t - (tr["upd"][k] or 0.0), 3)})
        threats = self.threats(rec)
        if t - self.last_threat_rec >= self.record_period_s - 1e-6:
            self.last_threat_rec = t
            rows.threats = [{k: v for k, v in th.items() if k != "inbound"} for th in threats]
        alerts = []
        row_of = {tid: k for k, tid in enumerate(ids)}
        rid = remote_id_only(rec)
        for n, e in enumerate(rec.events):
            if e.zone_id in live.reference_zones:
                continue  # neighbours' airspace: only says where a track came from
            d = e.to_dict()
            rows.events.append({"t_s": float(e.t_s if e.t_s is not None else t),
                                "kind": e.kind, "track_id": int(e.track_id),
                                "zone_id": e.zone_id, "zone_kind": e.zone_kind,
                                "payload": _json(d)})
            k = row_of.get(int(e.track_id))
            a = event_alert(e, f"{seq}-{n}", tr["aff"][k] if k is not None else "unknown",
                            tr["cls"][k] if k is not None else "",
                            tr["p"][k] if k is not None else None,
                            remote_id=rid.get(int(e.track_id), ""),
                            unverified=(tr["coop"][k] if k is not None
                                        and tr["trust"][k] == "unverified" else ""))
            if a is not None:
                alerts.append(a)
        spoofs = self.spoof_alerts(ids, tr, t, seq)
        alerts += spoofs
        for a in self.health_alerts(t, seq):
            alerts.append(a)
            rows.events.append({"t_s": t, "kind": "sensor", "track_id": -1,
                                "zone_id": str(a["zone_id"])[:64], "zone_kind": "sensor",
                                "payload": _json(a["event"])})
        strobes = strobe_rows(rec.strobes, live.sensors, t)
        unlocated = strobe_alerts(strobes, self.strobe_alerted, t,
                                  iso_time(live.scenario.time.start, t), seq)
        alerts += unlocated
        # what the operator was told that no recorded event carries: recorded now
        rows.events += [{**e, "payload": _json(e["payload"])}
                        for e in alert_events(spoofs + unlocated)]
        if rec.strobes is not None and rec.strobes.ended is not None:
            self.strobe_alerted.difference_update(rec.strobes.ended.id.tolist())
            for e in strobe_events(rec.strobes.ended, live.sensors):
                rows.events.append({**e, "payload": _json(e["payload"])})
        if final and rec.strobes is not None:
            for e in strobe_events(rec.strobes, live.sensors, heard_at_end=True):
                rows.events.append({**e, "payload": _json(e["payload"])})
        new_props, eng_rows = [], []
        es = rec.engagement
        if es is not None:
            for p in es.proposals:
                new_props.append(proposal_dict(p))
                if p.rec_id in self.known_recs:
                    continue
                self.known_recs.add(p.rec_id)
                k = row_of.get(p.track_id)
                rows.recommendations.append({
                    "rec_id": p.rec_id, "track_id": p.track_id, "effector_id": p.effector_id,
                    "effector_type": p.effector_type, "cost_eur": p.cost_eur, "pk": p.pk,
                    "value_eur": p.value_eur, "value_saved_eur": p.value_saved_eur,
                    "t_proposed_s": p.t_proposed_s, "t_decide_s": p.t_decide_s,
                    "deadline_s": p.deadline_s, "text": p.text,
                    "track_state": _json(self.track_dict(tr, k) if k is not None else {})})
            for kind, engs in (("committed", es.approved), ("launched", es.launched),
                               ("held", es.held), ("retasked", es.retasked),
                               ("due", tuple(d.engagement for d in es.due))):
                for e in engs:
                    eng_rows.append({"kind": kind, "track_id": int(e.track_id),
                                     "effector_id": e.effector_id, "payload": _json({
                                         "seq": e.seq, "effector_type": e.effector_type,
                                         "shots": e.shots, "cost_eur": e.cost_eur,
                                         "pk": e.pk, "t_launch_s": e.t_launch_s,
                                         "t_intercept_s": e.t_intercept_s,
                                         "lat_deg": e.lat_deg, "lon_deg": e.lon_deg,
                                         "track_class": e.track_class})})
        for c in proposals_closed:
            if c["status"] == "expired":
                eng_rows.append({"kind": "expired", "track_id": int(c["track_id"]),
                                 "effector_id": c["effector_id"],
                                 "payload": _json({"rec_id": c["rec_id"]})})
        rows.engagements = eng_rows
        delta = {"type": "step", "seq": seq, "t": t, "tracks": tr, "gone": gone,
                 "alerts": alerts, "threats": threats, "proposals": new_props,
                 "closed": proposals_closed,
                 "engagements": [{"kind": r["kind"], "track_id": r["track_id"],
                                  "effector_id": r["effector_id"]} for r in eng_rows],
                 "n_detections": len(rec.detections), "strobes": strobes}
        if seq % SENSORS_EVERY == 0:
            delta["sensors"] = self.sensor_health(t)
        return rows, delta

    @staticmethod
    def track_dict(tr: dict[str, list[Any]], k: int) -> dict[str, Any]:
        """Row ``k`` of the track columns as a dict."""
        return {name: col[k] for name, col in tr.items()}


def _num(v: Any, nd: int) -> float | None:
    f = float(v)
    return round(f, nd) if math.isfinite(f) else None


def _json(d: Any) -> str:
    from dronewall.store.integrity import canonical_json

    return canonical_json(d)
