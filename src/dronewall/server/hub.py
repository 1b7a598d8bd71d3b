"""Fan-out of per-step deltas to WebSocket clients.

The runner thread hands each step's delta to :meth:`Hub.publish`; the hub encodes it once and
queues the same text for every client on the event loop. A client that falls behind by more
than ``QUEUE_STEPS`` steps loses its oldest queued steps and is sent a full snapshot first
(``resync``): a slow browser never slows the chain or the other clients, and memory per client
stays bounded.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Steps queued per client before the oldest are dropped (and a snapshot is sent instead).
QUEUE_STEPS = 8


@dataclass(eq=False)
class Client:
    queue: deque[str] = field(default_factory=lambda: deque(maxlen=QUEUE_STEPS))
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    resync: bool = False
    dropped: int = 0
    user: str = ""


class Hub:
    def __init__(self, snapshot: Callable[[], dict[str, Any]]) -> None:
        self.clients: set[Client] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.snapshot = snapshot
        self.published = 0
        self.last_encode_s = 0.0

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def publish(self, kind: str, msg: dict[str, Any]) -> None:
        """Thread-safe: encode once, queue for every client on the event loop."""
        t0 = time.perf_counter()
        text = json.dumps(msg, separators=(",", ":"), allow_nan=False)
        self.last_encode_s = time.perf_counter() - t0
        self.published += 1
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._fanout, text)

    def _fanout(self, text: str) -> None:
        for c in self.clients:
            if len(c.queue) == c.queue.maxlen:
                c.resync = True
                c.dropped += 1
            c.queue.append(text)
            c.wake.set()

    def add(self, user: str) -> Client:
        c = Client(user=user)
        self.clients.add(c)
        return c

    def remove(self, c: Client) -> None:
        self.clients.discard(c)

    async def next_messages(self, c: Client) -> list[str]:
        """Wait for queued texts (a snapshot first after a drop)."""
        while not c.queue:
            c.wake.clear()
            await c.wake.wait()
        out = []
        if c.resync:
            c.resync = False
            out.append(json.dumps(self.snapshot(), separators=(",", ":"), allow_nan=False))
            c.queue.clear()
            return out
        while c.queue:
            out.append(c.queue.popleft())
        return out
