"""``dronewall sapient-asm``: a scenario's simulated sensors as SAPIENT edge nodes (ASMs).

For acceptance tests of a fusion node (dronewall's own or a vendor's): each radar, EO/IR, RF
and acoustic sensor of the scenario (``kinds``; each node of an acoustic grid, named
``<grid>-<k>``) registers as one node over its own TCP connection
(node id: a UUID derived from the scenario and sensor id, so it is the same on every run;
name: the sensor id), sends a StatusReport with its location every ``status_every_s``, and
for every simulated detection a DetectionReport with a ``range_bearing`` (true north,
degrees and metres; range and elevation where the sensor measures them) and the measurement
errors as 1-sigma, and the sensor's class label (camera class, micro-Doppler or acoustic
signature) as a classification of that name without a confidence; a Doppler radar's range
rate as a ``track_info`` ``radialVelocity`` (m/s, 1-sigma in ``error``), declared in its
registration (the fusion node's module docstring). The sensors report
plots, not tracks (tracking type NONE): every detection has a fresh object ULID. Time runs
``speed`` times faster than the wall clock. Replies from the fusion node (RegistrationAck,
Error) are read and counted. The scenario's ``outages`` hold: a node that is down sends no
detections, and no StatusReport (a silent failure) or one with SYSTEM_ERROR at its start
(announced).
"""

from __future__ import annotations

import contextlib
import math
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from dronewall.adapters.counters import MessageCounters
from dronewall.adapters.sapient.classes import label_name
from dronewall.adapters.sapient.dmm import registration_message
from dronewall.adapters.sapient.wire import frame, new_ulid, pb, read_messages, stamp
from dronewall.detections import MeasKind, SensorKind

NODE_TYPES = {SensorKind.RADAR: "NODE_TYPE_RADAR", SensorKind.EOIR: "NODE_TYPE_CAMERA",
              SensorKind.RF: "NODE_TYPE_PASSIVE_RF", SensorKind.ACOUSTIC: "NODE_TYPE_ACOUSTIC"}
KIND_NAMES = {"radar": SensorKind.RADAR, "eoir": SensorKind.EOIR, "rf": SensorKind.RF,
              "acoustic": SensorKind.ACOUSTIC}
NAMESPACE = uuid.UUID("6b1f3c9e-2f0a-4c55-9a53-7d4e0f2c8a11")


def node_uuid(scenario: str, sensor_id: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{scenario}/{sensor_id}"))


@dataclass
class AsmNode:
    row: int
    sensor_id: str
    node_id: str
    kind: SensorKind
    lat: float
    lon: float
    alt: float
    sock: socket.socket | None = None
    acks: list[bool] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class AsmSimulator:
    def __init__(self, scenario_path: Path, host: str, port: int, *, speed: float = 1.0,
                 seed: int | None = None, kinds: tuple[str, ...] = ("radar", "eoir", "rf"),
                 status_every_s: float = 5.0, log: Callable[[str], None] | None = None
                 ) -> None:
        from dronewall.scenario import load_scenario

        self.sc = load_scenario(scenario_path)
        self.host, self.port = host, port
        self.speed, self.status_every_s = float(speed), float(status_every_s)
        self.seed = self.sc.seed if seed is None else seed
        self.kinds = {KIND_NAMES[k] for k in kinds}
        self.log = log or (lambda _m: None)
        self.counters = MessageCounters()   # messages sent: accepted = sent
        self.replies = MessageCounters()    # replies: accepted = acks / errors read
        self.nodes: list[AsmNode] = []
        self.lost = 0
        self.tasks: list[str] = []   # task ids received (acknowledged as accepted)
        self._lock = threading.Lock()

    def _connect(self) -> None:
        from dronewall.sensors import SensorSuite

        tbl = SensorSuite.from_scenario(self.sc, np.random.default_rng(0)).table
        specs = {str(getattr(s, "id", "")): s for s in self.sc.sensors}
        for i, sid in enumerate(tbl.ids.tolist()):
            k = SensorKind(int(tbl.kind[i]))
            if k not in self.kinds:
                continue
            n = AsmNode(i, str(sid), node_uuid(self.sc.name, str(sid)), k,
                        float(tbl.lat_deg[i]), float(tbl.lon_deg[i]), float(tbl.alt_m[i]))
            n.sock = socket.create_connection((self.host, self.port), timeout=10.0)
            threading.Thread(target=self._read, args=(n,), daemon=True).start()
            doppler = k == SensorKind.RADAR and getattr(
                specs.get(str(sid)), "sigma_range_rate_mps", None) is not None
            self._send(n, registration_message(
                n.node_id, n.sensor_id, NODE_TYPES[k],
                track_info=(("radialVelocity", "m/s"),) if doppler else ()))
            self.nodes.append(n)
        self.log(f"{len(self.nodes)} nodes registered with {self.host}:{self.port}")

    def _send(self, n: AsmNode, msg: Any) -> None:
        if n.sock is None:
            return
        try:
            with self._lock:
                n.sock.sendall(frame(msg))
        except OSError as e:   # the fusion node went away: this node stops
            self.log(f"{n.sensor_id}: connection lost ({e.strerror or e})")
            with contextlib.suppress(OSError):
                n.sock.close()
            n.sock = None
            self.lost += 1
            return
        self.counters.accept()

    def _read(self, n: AsmNode) -> None:
        sock = n.sock
        assert sock is not None
        for m in read_messages(sock, self.replies):
            kind = m.WhichOneof("content")
            if kind == "registration_ack":
                n.acks.append(m.registration_ack.acceptance)
                if not m.registration_ack.acceptance:
                    self.log(f"{n.sensor_id}: registration refused: "
                             + "; ".join(m.registration_ack.ack_response_reason))
            elif kind == "task":   # a pointable node: accept and acknowledge
                P = pb()
                ack = P.SapientMessage(node_id=n.node_id, destination_id=m.node_id,
                                       task_ack=P.TaskAck(
                                           task_id=m.task.task_id,
                                           task_status=P.TaskAck.TaskStatus.Value(
                                               "TASK_STATUS_ACCEPTED")))
                stamp(ack)
                self.tasks.append(m.task.task_id)
                self._send(n, ack)
            elif kind == "error":
                n.errors.extend(m.error.error_message)
                self.log(f"{n.sensor_id}: error from the fusion node: "
                         + "; ".join(m.error.error_message))
            self.replies.accept()

    def _status(self, n: AsmNode, when: datetime, ok: bool = True) -> None:
        P = pb()
        m = P.SapientMessage(node_id=n.node_id, status_report=P.StatusReport(
            report_id=new_ulid(when),
            system=P.StatusReport.System.Value("SYSTEM_OK" if ok else "SYSTEM_ERROR"),
            info=P.StatusReport.Info.Value("INFO_NEW"), mode="default",
            node_location=P.Location(x=n.lon, y=n.lat, z=n.alt, coordinate_system=1,
                                     datum=1)))
        stamp(m, when)
        self._send(n, m)

    def _detections(self, batch: Any, when: datetime) -> int:
        P = pb()
        by_row = {n.row: n for n in self.nodes}
        sent = 0
        for i in range(len(batch)):
            n = by_row.get(int(batch.sensor[i]))
            if n is None:
                continue
            mk, z, R = int(batch.meas_kind[i]), batch.z[i], batch.R[i]
            rv = None
            rb = P.RangeBearing(azimuth=math.degrees(z[0] if mk != MeasKind.RADAR else z[1]),
                                coordinate_system=1, datum=1)
            if mk == MeasKind.RADAR:
                rb.range, rb.elevation = float(z[0]), math.degrees(z[2])
                rb.range_error = math.sqrt(R[0, 0])
                rb.azimuth_error = math.degrees(math.sqrt(R[1, 1]))
                rb.elevation_error = math.degrees(math.sqrt(R[2, 2]))
                if math.isfinite(z[3]):   # Doppler: track_info, declared at registration
                    rv = P.DetectionReport.TrackObjectInfo(
                        type="radialVelocity", value=f"{z[3]:.3f}", error=math.sqrt(R[3, 3]))
            elif mk == MeasKind.AZEL:
                rb.elevation = math.degrees(z[1])
                rb.azimuth_error = math.degrees(math.sqrt(R[0, 0]))
                rb.elevation_error = math.degrees(math.sqrt(R[1, 1]))
            elif mk == MeasKind.BEARING:
                rb.azimuth_error = math.degrees(math.sqrt(R[0, 0]))
            else:
                continue
            dr = P.DetectionReport(report_id=new_ulid(when), object_id=new_ulid(when),
                                   range_bearing=rb)
            if rv is not None:
                dr.track_info.append(rv)
            name = label_name(n.kind, int(batch.class_label[i]))
            if name is not None:   # the sensor's own classification, no confidence
                dr.classification.add(type=name)
            m = P.SapientMessage(node_id=n.node_id, detection_report=dr)
            stamp(m, when)
            self._send(n, m)
            sent += 1
        return sent

    def run(self, duration_s: float | None = None, stop: threading.Event | None = None,
            start_wall: float | None = None) -> dict[str, Any]:
        """Stream the scenario; ``start_wall``: the wall-clock instant (Unix s) of scenario
        time 0, so that several simulators (e.g. one for the radars, one for an acoustic
        grid) send the same scenario second at the same moment; default: now."""
        from dronewall.pipeline.simulate import _rngs
        from dronewall.sensors import SensorSuite
        from dronewall.sim.truth import TruthSimulator

        rng_truth, rng_sens, _, _ = _rngs(self.seed)   # the random streams of simulate
        truth = TruthSimulator(self.sc, rng_truth)
        suite = SensorSuite.from_scenario(self.sc, rng_sens)
        self._connect()
        start = self.sc.time.start
        t0_wall = time.monotonic()
        if start_wall is not None:
            t0_wall += start_wall - time.time()
        next_status = 0.0
        n_det = 0
        try:
            for st in truth.states():
                t = float(st.t)
                if duration_s is not None and t > duration_s:
                    break
                if stop is not None and stop.is_set():
                    break
                if self.nodes and all(n.sock is None for n in self.nodes):
                    break   # every connection lost
                delay = t / self.speed - (time.monotonic() - t0_wall)
                if delay > 0:
                    time.sleep(delay)
                when = start + timedelta(seconds=t)
                # the scenario's outages: a node down sends no status (a silent failure) or
                # one ERROR at the start (announced), and no detections (suite.observe)
                down = suite.status.down(t)
                rep = suite.status.reports(t)
                stopped = set(rep.rows[~rep.ok].tolist())
                for n in self.nodes:
                    if n.row in stopped:
                        self._status(n, when, ok=False)
                if t >= next_status:
                    for n in self.nodes:
                        if not down[n.row]:
                            self._status(n, when)
                    next_status = t + self.status_every_s
                n_det += self._detections(suite.observe(st, truth.platforms), when)
        finally:
            time.sleep(0.2)   # let the last replies arrive
            for n in self.nodes:
                if n.sock is not None:
                    with contextlib.suppress(OSError):
                        n.sock.close()
        return {"nodes": len(self.nodes), "detections_sent": n_det,
                "messages_sent": self.counters.accepted,
                "registrations_accepted": sum(all(n.acks) and bool(n.acks)
                                              for n in self.nodes),
                "errors": sum(len(n.errors) for n in self.nodes),
                "connections_lost": self.lost}
