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
from dronewall.detections import DetectionBatch
from dronewall.scenario.live import LiveConfig


class _Adapter:
    def __init__(self, spec: Any, sensor_row: int, sigma_m: float, epoch_wall: float,
                 sink: LiveFeedsSource) -> None:
        self.spec = spec
        self.row = sensor_row
        self.feed: Any
        if spec.protocol == "remote_id":
            self.feed = RemoteIdFeed()
            self.to_batch = rid_reports_to_batch
        else:
            self.feed = AdsbFeed(spec.format, sigma_m=sigma_m)
            self.to_batch = reports_to_batch
        self.epoch = epoch_wall
        self.sink = sink
        host, _, port = spec.connect.rpartition(":")
        self.client = TcpFeedClient(host.strip("[]"), int(port), self._on_bytes,
                                    name=f"feed-{spec.id}")
        self.shed = 0

    def _on_bytes(self, chunk: bytes) -> bool:
        got = self.feed.feed(chunk, time.time() - self.epoch)
        reps = [getattr(h, "report", h) for h in got]
        reps = [r for r in reps if r is not None]
        if reps:
            self.sink._add(self, reps)
        return not self.sink.stop_evt.is_set()

    def status(self) -> dict[str, Any]:
        c = self.client
        return {"id": self.spec.id, "protocol": self.spec.protocol, "format": self.spec.format,
                "connect": self.spec.connect, "sensor": self.spec.sensor,
                "connected": c.connected, "connects": c.connects, "bytes_read": c.bytes_read,
                "last_error": c.last_error, "shed_reports": self.shed,
                "messages": self.feed.counters.to_dict()}


class LiveFeedsSource:
    """Runner source: ``next()`` -> (step end time, the step's detections) on the wall clock."""

    def __init__(self, cfg: LiveConfig, sensor_ids: list[str], sigma_m: dict[str, float],
                 step_s: float, epoch_wall: float | None = None) -> None:
        self.cfg = cfg
        self.step_s = float(step_s)
        self.epoch = time.time() if epoch_wall is None else float(epoch_wall)
        self.stop_evt = threading.Event()
        self._lock = threading.Lock()
        self._pending: list[tuple[_Adapter, list[Any]]] = []
        self._n_pending = 0
        self._k = 0
        index = {s: i for i, s in enumerate(sensor_ids)}
        self.adapters = [_Adapter(a, index[a.sensor], sigma_m.get(a.sensor, 10.0),
                                  self.epoch, self) for a in cfg.adapters]
        self._started = False

    def start(self) -> None:
        if not self._started:
            self._started = True
            for a in self.adapters:
                a.client.start()

    def close(self) -> None:
        self.stop_evt.set()
        for a in self.adapters:
            a.client.stop()

    def _add(self, adapter: _Adapter, reps: list[Any]) -> None:
        with self._lock:
            room = self.cfg.max_reports_per_step - self._n_pending
            if room < len(reps):
                adapter.shed += len(reps) - max(room, 0)
                reps = reps[:max(room, 0)]
            if reps:
                self._pending.append((adapter, reps))
                self._n_pending += len(reps)

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
        batches = [a.to_batch(reps, a.row) for a, reps in pending]
        batch = DetectionBatch.concat(batches) if batches else DetectionBatch.empty()
        if len(batch):   # a report read between the step's end and this drain: at the end
            np.minimum(batch.t, t, out=batch.t)
        return t, batch

    def after(self, rec: StepRecord) -> None:
        return None

    def status(self) -> list[dict[str, Any]]:
        return [a.status() for a in self.adapters]
