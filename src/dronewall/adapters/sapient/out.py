"""SAPIENT out: the fused picture as a child fusion node's reports to a higher fusion node.

dronewall registers with the parent DMM as ``NODE_TYPE_FUSION_NODE`` (name ``dronewall``), sends
a StatusReport every ``status_every_s`` and, at most every ``every_s`` seconds of session time,
one DetectionReport per track of the step delta (docs/serve.md ``tracks`` columns): location in
WGS84 degrees / metres with the track's horizontal 1-sigma as x/y errors (converted to degrees),
ENU velocity, the class and its probability as the classification, the cooperative identity
(if any) as ``id``. A track keeps one object ULID for its life (time part: the session start,
random part: the track id), so the parent can associate its reports.

Sending never blocks the picture: reports go through a bounded queue to a sender thread that
connects (reconnecting with back-off, re-registering after each connection) and reads the
parent's RegistrationAck and Error replies; reports that do not fit the queue are shed and
counted.
"""

from __future__ import annotations

import math
import queue
import socket
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from dronewall.adapters.counters import MessageCounters
from dronewall.adapters.net import BACKOFF_S
from dronewall.adapters.sapient.dmm import registration_message
from dronewall.adapters.sapient.wire import frame, new_ulid, pb, read_messages, stamp

M_PER_DEG = 111_132.0
QUEUE_MESSAGES = 20_000


class SapientOut:
    def __init__(self, host: str, port: int, *, every_s: float = 2.0,
                 status_every_s: float = 10.0, node_id: str | None = None) -> None:
        self.host, self.port = host, int(port)
        self.every_s, self.status_every_s = float(every_s), float(status_every_s)
        self.node_id = node_id or str(uuid.uuid4())
        self.counters = MessageCounters()     # accepted = sent
        self.replies = MessageCounters()
        self.acks: list[bool] = []
        self.errors: list[str] = []
        self.connected = False
        self._epoch_ms = int(time.time() * 1000)
        self._q: queue.Queue[Any] = queue.Queue(QUEUE_MESSAGES)
        self._stop = threading.Event()
        self._next_t: float | None = None
        self._next_status = 0.0
        self._thread = threading.Thread(target=self._run, name="dronewall-sapient-out",
                                        daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ picture side

    def object_ulid(self, track_id: int) -> str:
        return new_ulid(datetime.fromtimestamp(self._epoch_ms / 1000, UTC), rand=int(track_id))

    def step(self, delta: dict[str, Any]) -> None:
        t = float(delta.get("t", 0.0))
        if t >= self._next_status:
            self._put(self._status())
            self._next_status = t + self.status_every_s
        if self._next_t is not None and t < self._next_t:
            return
        self._next_t = t + self.every_s
        for m in self.reports(delta):
            self._put(m)

    def reports(self, delta: dict[str, Any]) -> list[Any]:
        P = pb()
        tr = delta.get("tracks") or {}
        now = datetime.now(UTC)
        out = []
        for i, tid in enumerate(tr.get("id", [])):
            lat, lon, alt = tr["lat"][i], tr["lon"][i], tr["alt"][i]
            if lat is None or lon is None:
                continue
            sig = tr["sig"][i] if tr["sig"][i] is not None else 1000.0
            loc = P.Location(x=lon, y=lat, z=alt if alt is not None else 0.0,
                             x_error=sig / (M_PER_DEG * max(math.cos(math.radians(lat)), 1e-6)),
                             y_error=sig / M_PER_DEG, coordinate_system=1, datum=1)
            d = P.DetectionReport(
                report_id=new_ulid(now), object_id=self.object_ulid(tid), location=loc,
                enu_velocity=P.ENUVelocity(east_rate=tr["ve"][i] or 0.0,
                                           north_rate=tr["vn"][i] or 0.0,
                                           up_rate=tr["vu"][i] or 0.0),
                classification=[P.DetectionReport.DetectionReportClassification(
                    type=str(tr["cls"][i]), confidence=float(tr["p"][i] or 0.0))])
            if tr["coop"][i]:
                d.id = str(tr["coop"][i])
            m = P.SapientMessage(node_id=self.node_id, detection_report=d)
            stamp(m, now)
            out.append(m)
        return out

    def _status(self) -> Any:
        P = pb()
        m = P.SapientMessage(node_id=self.node_id, status_report=P.StatusReport(
            report_id=new_ulid(), system=P.StatusReport.System.Value("SYSTEM_OK"),
            info=P.StatusReport.Info.Value("INFO_NEW"), mode="default"))
        stamp(m)
        return m

    def _put(self, m: Any) -> None:
        try:
            self._q.put_nowait(m)
        except queue.Full:
            self.counters.reject("sapient out: queue full, report shed")

    # ------------------------------------------------------------------ sender thread

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            try:
                with socket.create_connection((self.host, self.port), timeout=5.0) as s:
                    self.connected, attempt = True, 0
                    s.settimeout(5.0)
                    threading.Thread(target=self._read, args=(s,), daemon=True).start()
                    s.sendall(frame(registration_message(self.node_id, "dronewall",
                                                         "NODE_TYPE_FUSION_NODE")))
                    while not self._stop.is_set():
                        try:
                            m = self._q.get(timeout=0.5)
                        except queue.Empty:
                            continue
                        s.sendall(frame(m))
                        self.counters.accept()
            except OSError:
                pass
            self.connected = False
            wait = BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)]
            attempt += 1
            self._stop.wait(wait)

    def _read(self, s: socket.socket) -> None:
        for m in read_messages(s, self.replies):
            kind = m.WhichOneof("content")
            if kind == "registration_ack":
                self.acks.append(m.registration_ack.acceptance)
            elif kind == "error":
                self.errors.extend(m.error.error_message[:5])
                del self.errors[:-50]
            self.replies.accept()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(3.0)

    def status(self) -> dict[str, Any]:
        return {"protocol": "sapient", "send": f"{self.host}:{self.port}",
                "node_id": self.node_id, "connected": self.connected,
                "registration_accepted": (self.acks[-1] if self.acks else None),
                "errors_from_parent": self.errors[-5:], "every_s": self.every_s,
                "messages": self.counters.to_dict()}
