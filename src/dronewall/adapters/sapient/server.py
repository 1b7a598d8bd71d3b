"""The DMM's TCP listener: one asyncio loop in a daemon thread, one task per node connection.

Each connection is deframed (4-byte little-endian length), every message handled by the
:class:`~dronewall.adapters.sapient.dmm.FusionNode` (replies written back on the same
connection), detections handed to ``on_detections`` (from the listener thread). A connection
sending a length over the limit is closed (the stream cannot be resynchronised); nothing a
node sends stops the listener.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

from dronewall.adapters.sapient.dmm import FusionNode, Handled, SapientDetection
from dronewall.adapters.sapient.wire import Deframer, FrameError, frame

#: Connections at most; more are closed at once (counted).
MAX_CONNECTIONS = 1000


class DmmServer:
    def __init__(self, host: str, port: int, node: FusionNode, *,
                 clock: Callable[[], float] = time.time,
                 on_detections: Callable[[list[SapientDetection]], None] | None = None,
                 on_message: Callable[[Handled], None] | None = None) -> None:
        self.host, self.port = host, int(port)
        self.node = node
        self.clock = clock
        self.on_detections = on_detections
        self.on_message = on_message
        self.connections = 0
        self.bound_port: int | None = None
        self._writers: dict[str, asyncio.StreamWriter] = {}   # node id -> its connection
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="dronewall-sapient-dmm",
                                       daemon=True)

    def start(self, timeout: float = 10.0) -> DmmServer:
        self.thread.start()
        self._ready.wait(timeout)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(loop.stop)
        self.thread.join(5.0)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._server = loop.run_until_complete(
                asyncio.start_server(self._conn, self.host, self.port))
            self.bound_port = self._server.sockets[0].getsockname()[1]
        except OSError as e:
            self._error = e
            self._ready.set()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            self._server.close()
            pending = asyncio.all_tasks(loop)   # open node connections
            for t in pending:
                t.cancel()
            with contextlib.suppress(Exception):
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.run_until_complete(self._server.wait_closed())
            loop.close()

    async def _conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.connections >= MAX_CONNECTIONS:
            self.node.counters.reject("sapient: too many connections")
            writer.close()
            return
        self.connections += 1
        deframer = Deframer(self.node.counters)
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                try:
                    payloads = deframer.feed(chunk)
                except FrameError:
                    break
                for p in payloads:
                    h = self.node.handle(p, self.clock())
                    if h.kind == "registration" and h.node_id in self.node.nodes:
                        self._writers[h.node_id] = writer
                    for r in h.replies:
                        writer.write(frame(r))
                    if h.detections and self.on_detections is not None:
                        self.on_detections(h.detections)
                    if self.on_message is not None:
                        self.on_message(h)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self.connections -= 1
            for k in [k for k, w in self._writers.items() if w is writer]:
                del self._writers[k]
            with contextlib.suppress(Exception):
                writer.close()

    def send(self, node_id: str, msg: Any) -> bool:
        """Send ``msg`` (e.g. a Task) to a connected node from any thread; False when the
        node is not connected."""
        loop, w = self._loop, self._writers.get(node_id)
        if loop is None or w is None or loop.is_closed():
            return False

        def write() -> None:
            with contextlib.suppress(Exception):
                w.write(frame(msg))
        loop.call_soon_threadsafe(write)
        return True

    def status(self) -> dict[str, Any]:
        return {"listen": f"{self.host}:{self.bound_port or self.port}",
                "connections": self.connections,
                "nodes": [{"node_id": n.node_id, "name": n.name, "types": n.node_types,
                           "status": n.status, "mode": n.mode, "detections": n.detections,
                           "bound": n.binding is not None,
                           "connected": n.node_id in self._writers,
                           "alerts": n.alerts[-5:], "tasks": dict(list(n.tasks.items())[-5:])}
                          for n in self.node.nodes.values()]}
