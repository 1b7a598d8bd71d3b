"""Live wire feeds as the server's source (``dronewall serve --live FILE``, docs/interop.md).

One :class:`~dronewall.adapters.net.TcpFeedClient` thread per adapter reads its receiver,
decodes on arrival (stamped with the wall clock as session time) and appends the position
reports to a buffer; :meth:`LiveFeedsSource.next` waits for the end of each step on the wall
clock and hands the chain everything received during the step as one detection batch. A
buffer that would exceed ``max_reports_per_step`` sheds the newest reports with a count (the
engine never falls behind without saying so); wire errors are counted per adapter and never
stop the feed.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from dronewall.adapters.adsb import reports_to_batch
from dronewall.adapters.adsb_feed import AdsbFeed
from dronewall.adapters.net import TcpFeedClient
from dronewall.adapters.remote_id import RemoteIdFeed, rid_reports_to_batch
from dronewall.chain import StepRecord
from dronewall.detections import DetectionBatch, SensorTable
from dronewall.detections.health import StatusReports
from dronewall.errors import InputError
from dronewall.scenario.live import LiveConfig


class _Adapter:
    def __init__(self, spec: Any, sensor_row: int, sigma_m: float, epoch_wall: float,
                 sink: LiveFeedsSource, site: tuple[float, float] | None = None) -> None:
        self.spec = spec
        self.row = sensor_row
        self.feed: Any
        if spec.protocol == "remote_id":
            self.feed = RemoteIdFeed()
            self._batch = rid_reports_to_batch
        else:
            self.feed = AdsbFeed(spec.format, sigma_m=sigma_m, receiver_at=site)
            self._batch = reports_to_batch
        self.epoch = epoch_wall
        self.sink = sink
        host, _, port = spec.connect.rpartition(":")
        self.client = TcpFeedClient(host.strip("[]"), int(port), self._on_bytes,
                                    name=f"feed-{spec.id}")
        self.shed = 0

    def to_batch(self, reps: list[Any]) -> DetectionBatch:
        return self._batch(reps, self.row)

    def _on_bytes(self, chunk: bytes) -> bool:
        got = self.feed.feed(chunk, time.time() - self.epoch)
        reps = [getattr(h, "report", h) for h in got]
        reps = [r for r in reps if r is not None]
        if reps:
            self.sink._add(self, reps)
        return not self.sink.stop_evt.is_set()

    def start(self) -> None:
        self.client.start()

    def stop(self) -> None:
        self.client.stop()

    def status(self) -> dict[str, Any]:
        c = self.client
        return {"id": self.spec.id, "protocol": self.spec.protocol, "format": self.spec.format,
                "connect": self.spec.connect, "sensor": self.spec.sensor,
                "connected": c.connected, "connects": c.connects, "bytes_read": c.bytes_read,
                "last_error": c.last_error, "shed_reports": self.shed,
                "messages": self.feed.counters.to_dict()}


class _SapientAdapter:
    """A SAPIENT fusion node listening for the configured nodes (docs/interop.md)."""

    def __init__(self, spec: Any, sensors: SensorTable, specs: dict[str, Any],
                 epoch_wall: float, sink: LiveFeedsSource) -> None:
        from dronewall.adapters.sapient.dmm import Binding, FusionNode
        from dronewall.adapters.sapient.server import DmmServer

        self.spec, self.sink, self.shed = spec, sink, 0
        bindings = {}
        #: node name / id -> the site sensor (or acoustic grid) it is, for sensor health
        self.bound: dict[str, str] = {}
        #: node name / id -> its sensor-table row (its liveness: ``sensor_reports``)
        self.row_of: dict[str, int] = {}
        for name, sid, r in _node_rows(spec.nodes, sensors):
            self.row_of[name] = r
            ss = specs.get(sid)
            bindings[name] = Binding(
                r, float(sensors.lat_deg[r]), float(sensors.lon_deg[r]), float(sensors.alt_m[r]),
                getattr(ss, "sigma_range_m", None),
                getattr(ss, "sigma_az_deg", None) or getattr(ss, "sigma_bearing_deg", None),
                getattr(ss, "sigma_el_deg", None), kind=int(sensors.kind[r]),
                classes=spec.classes, min_confidence=spec.min_confidence,
                sigma_range_rate_mps=getattr(ss, "sigma_range_rate_mps", None))
            self.bound[name] = sid
        self.grids = {nb.sensor for nb in spec.nodes if nb.node is None}
        self.node = FusionNode(bindings)
        self.sensors = sensors
        host, _, port = spec.listen.rpartition(":")
        self.server = DmmServer(host.strip("[]"), int(port), self.node,
                                clock=lambda: time.time() - epoch_wall,
                                on_detections=lambda d: self.sink._add(self, d))
        try:   # listening now: a port in use is a start-up error, not a dead feed later
            self.server.start()
        except OSError as e:
            raise InputError(f"live config adapter {spec.id!r}: cannot listen on TCP "
                             f"{spec.listen} ({e.strerror or e})") from None

    def to_batch(self, dets: list[Any]) -> DetectionBatch:
        from dronewall.adapters.sapient.dmm import detections_to_batch

        return detections_to_batch(dets, self.sensors)

    def start(self) -> None:
        return None   # listening since construction

    def stop(self) -> None:
        self.server.stop()

    def reports(self, t0: float, t1: float) -> tuple[list[int], list[bool]]:
        """(rows, ok) of the bound nodes' liveness in (t0, t1] s: OK for a connected node
        that reported (status or detection) then and did not say it stopped; not OK for one
        whose last status was ERROR / GOODBYE or whose connection is closed."""
        rows: list[int] = []
        ok: list[bool] = []
        for n in list(self.node.nodes.values()):
            r = self.row_of.get(n.node_id if n.node_id in self.row_of else n.name)
            if r is None:
                continue
            stopped = n.status in ("ERROR", "GOODBYE")
            if stopped or n.node_id not in self.server._writers:
                rows.append(r)
                ok.append(False)
            elif t0 < n.last_report_t <= t1:
                rows.append(r)
                ok.append(True)
        return rows, ok

    def status(self) -> dict[str, Any]:
        return {"id": self.spec.id, "protocol": "sapient", "format": self.spec.format,
                "shed_reports": self.shed, **self.server.status(),
                "messages": self.node.counters.to_dict()}


def _node_rows(nodes: list[Any], sensors: SensorTable) -> list[tuple[str, str, int]]:
    """(node name or id, site sensor id, sensor-table row) of each bound node; an acoustic
    grid binding (no ``node``) expands to its nodes ``<grid>-<k>``, which are table rows."""
    index = sensors.index()
    out = []
    for nb in nodes:
        if nb.node is not None:
            out.append((nb.node, nb.sensor, index[nb.sensor]))
            continue
        pre = f"{nb.sensor}-"
        for sid, r in index.items():
            if sid.startswith(pre) and sid[len(pre):].isdigit():
                out.append((sid, nb.sensor, r))
    return out


class _AsterixAdapter:
    """A UDP listener for ASTERIX CAT048 / CAT062 of the configured SAC/SIC."""

    def __init__(self, spec: Any, sensors: SensorTable, specs: dict[str, Any],
                 epoch_wall: float, sink: LiveFeedsSource) -> None:
        import math

        from dronewall.adapters.asterix import AsterixDecoder, RadarSite
        from dronewall.adapters.net import UdpListener

        self.spec, self.sink, self.shed, self.epoch = spec, sink, 0, epoch_wall
        index = sensors.index()
        sites = {}
        for rb in spec.radars:
            r = index[rb.sensor]
            ss = specs.get(rb.sensor)
            sites[(rb.sac, rb.sic)] = RadarSite(
                r, float(sensors.alt_m[r]), float(getattr(ss, "sigma_range_m", 50.0)),
                math.radians(float(getattr(ss, "sigma_az_deg", 0.2))),
                float(sensors.lat_deg[r]), float(sensors.lon_deg[r]))
        self.decoder = AsterixDecoder(sites)
        host, _, port = spec.listen.rpartition(":")
        try:   # bound now: a port in use is a start-up error, not a dead feed later
            self.listener = UdpListener(host.strip("[]"), int(port), self._on_datagram,
                                        name=f"asterix-{spec.id}")
        except OSError as e:
            raise InputError(f"live config adapter {spec.id!r}: cannot listen on UDP "
                             f"{spec.listen} ({e.strerror or e})") from None

    def _on_datagram(self, data: bytes) -> bool:
        reps = self.decoder.datagram(data, time.time() - self.epoch)
        if reps:
            self.sink._add(self, reps)
        return not self.sink.stop_evt.is_set()

    def to_batch(self, reps: list[Any]) -> DetectionBatch:
        from dronewall.adapters.asterix import asterix_to_batch

        return asterix_to_batch(reps)

    def start(self) -> None:
        self.listener.start()

    def stop(self) -> None:
        self.listener.stop()

    def status(self) -> dict[str, Any]:
        return {"id": self.spec.id, "protocol": "asterix", "format": self.spec.format,
                "listen": f"{self.listener.host}:{self.listener.bound_port}",
                "datagrams": self.listener.datagrams, "bytes_read": self.listener.bytes_read,
                "shed_reports": self.shed, "messages": self.decoder.counters.to_dict()}


class LiveFeedsSource:
    """Runner source: ``next()`` -> (step end time, the step's detections) on the wall clock."""

    def __init__(self, cfg: LiveConfig, sensors: SensorTable, specs: dict[str, Any],
                 step_s: float, epoch_wall: float | None = None) -> None:
        """``sensors``: the chain's sensor table; ``specs``: the site's sensor specs by id
        (receiver sigma, radar sigmas for SAPIENT defaults)."""
        self.cfg = cfg
        self.step_s = float(step_s)
        self.epoch = time.time() if epoch_wall is None else float(epoch_wall)
        self.stop_evt = threading.Event()
        self._lock = threading.Lock()
        self._pending: list[tuple[_Adapter, list[Any]]] = []
        self._n_pending = 0
        self._carry: list[DetectionBatch] = []
        self._k = 0
        self._t_status = float("-inf")
        index = sensors.index()
        self.adapters: list[Any] = []
        for a in cfg.adapters:
            if a.protocol == "sapient":
                self.adapters.append(_SapientAdapter(a, sensors, specs, self.epoch, self))
            elif a.protocol == "asterix":
                self.adapters.append(_AsterixAdapter(a, sensors, specs, self.epoch, self))
            else:
                r = index[a.sensor]
                self.adapters.append(_Adapter(
                    a, r, float(getattr(specs.get(a.sensor), "sigma_m", 10.0)), self.epoch,
                    self, (float(sensors.lat_deg[r]), float(sensors.lon_deg[r]))))
        self._started = False

    def start(self) -> None:
        if not self._started:
            self._started = True
            for a in self.adapters:
                a.start()

    def close(self) -> None:
        self.stop_evt.set()
        for a in self.adapters:
            a.stop()

    def _add(self, adapter: _Adapter, reps: list[Any]) -> None:
        with self._lock:
            room = self.cfg.max_reports_per_step - self._n_pending
            if room < len(reps):
                adapter.shed += len(reps) - max(room, 0)
                reps = reps[:max(room, 0)]
            if reps:
                self._pending.append((adapter, reps))
                self._n_pending += len(reps)

    #: the source is the clock: each step is handed over when it ends on the wall clock
    wall_clock = True

    def next(self) -> tuple[float, DetectionBatch] | None:
        self.start()
        self._k += 1
        t = self._k * self.step_s
        while not self.stop_evt.is_set():
            dt = self.epoch + t - time.time()
            if dt <= 0:
                break
            self.stop_evt.wait(min(dt, 0.2))
        if self.stop_evt.is_set():
            return None
        with self._lock:
            pending, self._pending, self._n_pending = self._pending, [], 0
        batches = self._carry + [a.to_batch(reps) for a, reps in pending]
        batch = DetectionBatch.concat(batches) if batches else DetectionBatch.empty()
        # a report stamped after the step's end (read between the end and this drain, which
        # may run late on a busy machine) belongs to the next step: carried, not re-stamped
        # -- re-stamping split one sensor scan across two steps (its bearings no longer
        # triangulated together)
        late = batch.t > t
        self._carry = [batch.take(np.flatnonzero(late))] if late.any() else []
        return t, batch.take(np.flatnonzero(~late)) if late.any() else batch

    def after(self, rec: StepRecord) -> None:
        return None

    def sensor_reports(self, t: float) -> StatusReports:
        """The step's signs of life for the picture's sensor health
        (:mod:`dronewall.detections.health`), up to session time ``t`` s: SAPIENT nodes by their
        reports, status and connection (:meth:`_SapientAdapter.reports`), ADS-B / Remote ID
        receivers OK while connected. ASTERIX radars live by their plots (no status here).
        Sensors of the site that no adapter feeds never report: the picture takes them as
        down, and reads no silence from them."""
        t0, self._t_status = self._t_status, t
        rows: list[int] = []
        ok: list[bool] = []
        for a in self.adapters:
            if isinstance(a, _SapientAdapter):
                r, o = a.reports(t0, t)
                rows += r
                ok += o
            elif isinstance(a, _Adapter):
                rows.append(a.row)
                ok.append(bool(a.client.connected))
        return StatusReports.of(rows, ok)

    def status(self) -> list[dict[str, Any]]:
        return [a.status() for a in self.adapters]

    def sensor_status(self) -> dict[str, dict[str, Any]]:
        """Per site sensor fed by an adapter: the feed's protocol and state (SAPIENT: the
        bound node's last StatusReport), for the COP's sensor health."""
        out: dict[str, dict[str, Any]] = {}
        for a in self.adapters:
            if isinstance(a, _SapientAdapter):
                for n in a.node.nodes.values():
                    name = n.node_id if n.node_id in a.bound else n.name
                    sid = a.bound.get(name)
                    if sid is None:
                        continue
                    # a node of an acoustic grid is its own sensor row (<grid>-<k>)
                    out[name if sid in a.grids else sid] = {
                        "protocol": "sapient", "node": n.name or n.node_id,
                        "state": n.status or "REGISTERED", "mode": n.mode,
                        "connected": n.node_id in a.server._writers}
            elif isinstance(a, _AsterixAdapter):
                for rb in a.spec.radars:
                    out[rb.sensor] = {"protocol": "asterix", "state": "LISTENING",
                                      "datagrams": a.listener.datagrams}
            else:
                c = a.client
                out[a.spec.sensor] = {"protocol": a.spec.protocol,
                                      "state": "CONNECTED" if c.connected else "DISCONNECTED",
                                      "last_error": c.last_error}
        return out
