"""SAPIENT on the wire: 4-byte little-endian length + one serialized ``SapientMessage``;
UUID (node ids) and ULID (report, object, task ids) rules.

The framing is BSI Flex 335 v2.0's as implemented by Dstl's Apex middleware
(``struct.pack("<I", len(payload))`` before each message).
"""

from __future__ import annotations

import re
import struct
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from dronewall.adapters.counters import MessageCounters

#: Largest accepted message (bytes). A length beyond it cannot be resynchronised: the stream
#: is dropped (a node sending such frames is broken or hostile).
MAX_MESSAGE_BYTES = 1 << 20
_ULID = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def pb() -> Any:
    """The generated message module (imported on first use: protobuf is an optional extra)."""
    from dronewall.adapters.sapient import dronewall_sapient_pb2

    return dronewall_sapient_pb2


def frame(msg: Any) -> bytes:
    payload = msg.SerializeToString()
    return struct.pack("<I", len(payload)) + payload


class FrameError(Exception):
    """The stream cannot continue (a length over the limit)."""


class Deframer:
    """Complete payloads of a byte stream arriving in arbitrary chunks."""

    def __init__(self, counters: MessageCounters) -> None:
        self.counters = counters
        self._buf = bytearray()

    def feed(self, chunk: bytes) -> list[bytes]:
        self._buf += chunk
        out = []
        while len(self._buf) >= 4:
            (n,) = struct.unpack_from("<I", self._buf, 0)
            if n > MAX_MESSAGE_BYTES:
                self.counters.malform("sapient: message length over the limit")
                self._buf.clear()
                raise FrameError(f"message length {n} > {MAX_MESSAGE_BYTES} bytes")
            if len(self._buf) < 4 + n:
                break
            out.append(bytes(self._buf[4:4 + n]))
            del self._buf[:4 + n]
        return out


def is_uuid(s: str) -> bool:
    try:
        uuid.UUID(s)
    except (ValueError, AttributeError, TypeError):
        return False
    return len(s) == 36


def is_ulid(s: str) -> bool:
    return bool(_ULID.match(s or ""))


def new_ulid(t: datetime | None = None, rand: int | None = None) -> str:
    """A ULID: 48-bit Unix milliseconds + 80 random bits, Crockford base 32 (26 chars)."""
    import secrets

    ms = int((t or datetime.now(UTC)).timestamp() * 1000) & ((1 << 48) - 1)
    r = secrets.randbits(80) if rand is None else rand & ((1 << 80) - 1)
    v = (ms << 80) | r
    return "".join(_CROCKFORD[(v >> (5 * i)) & 31] for i in range(25, -1, -1))


def stamp(msg: Any, t: datetime | None = None) -> None:
    """Set the envelope timestamp (UTC)."""
    msg.timestamp.FromDatetime((t or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None))


def read_messages(sock: Any, counters: MessageCounters) -> Iterator[Any]:
    """The SapientMessages arriving on a connected socket, until it closes (or sends a
    length over the limit, or a payload that does not parse -- counted as malformed)."""
    from google.protobuf.message import DecodeError

    d = Deframer(counters)
    try:
        while chunk := sock.recv(65536):
            for p in d.feed(chunk):
                m = pb().SapientMessage()
                try:
                    m.ParseFromString(p)
                except DecodeError:
                    counters.malform("sapient: not a SapientMessage")
                    continue
                yield m
    except (OSError, FrameError):
        return
