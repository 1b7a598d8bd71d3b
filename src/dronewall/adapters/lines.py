"""Splitting a text stream that arrives in arbitrary chunks into lines, with limits."""

from __future__ import annotations

from dronewall.adapters.counters import MessageCounters


class LineSplitter:
    """Complete lines of ``chunk`` s; a partial line waits for the next chunk. A line longer
    than ``max_chars`` or not ASCII/UTF-8 is dropped and counted as malformed."""

    def __init__(self, counters: MessageCounters, what: str, max_chars: int) -> None:
        self.counters, self.what, self.max_chars = counters, what, max_chars
        self._buf = bytearray()

    def lines(self, chunk: bytes) -> list[str]:
        self._buf += chunk
        *done, rest = self._buf.split(b"\n")
        self._buf = bytearray(rest)
        if len(self._buf) > self.max_chars:
            self.counters.malform(f"{self.what}: line too long")
            self._buf.clear()
        out = []
        for b in done:
            try:
                out.append(b.decode("utf-8").rstrip("\r"))
            except UnicodeDecodeError:
                self.counters.malform(f"{self.what}: not UTF-8 text")
        return out
