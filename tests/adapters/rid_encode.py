"""A small Open Drone ID (ASTM F3411) encoder for tests, written from the message layouts
(25-byte messages, little-endian fields, scale factors of the standard)."""

from __future__ import annotations

import struct


def _hdr(mtype: int) -> bytes:
    return bytes([(mtype << 4) | 2])   # protocol version 2


def basic_id(uas_id: str, ua_type: int = 2, id_type: int = 1) -> bytes:
    return _hdr(0) + bytes([(id_type << 4) | ua_type]) + uas_id.encode().ljust(20, b"\0") \
        + b"\0" * 3


def _alt(m: float) -> int:
    return int(round((m + 1000) / 0.5))


def location(lat: float, lon: float, alt_geo: float, *, speed: float = 10.0,
             course: float = 90.0, vspeed: float = 0.0, h_acc: int = 10, v_acc: int = 4,
             status: int = 2, alt_baro: float | None = None, tenths: int = 1234) -> bytes:
    ew = 1 if course >= 180 else 0
    direction = int(round(course - 180 * ew))
    if speed <= 63.75:
        mult, sp = 0, int(round(speed / 0.25))
    else:
        mult, sp = 1, int(round((speed - 63.75) / 0.75))
    flags = (status << 4) | (0 << 2) | (ew << 1) | mult
    body = bytes([flags, direction, sp]) + struct.pack("<b", int(round(vspeed / 0.5)))
    body += struct.pack("<ii", int(round(lat * 1e7)), int(round(lon * 1e7)))
    body += struct.pack("<HHH", _alt(alt_baro if alt_baro is not None else alt_geo),
                        _alt(alt_geo), _alt(50.0))
    body += bytes([(v_acc << 4) | h_acc, (4 << 4) | 2]) + struct.pack("<H", tenths)
    body += bytes([1, 0])
    return _hdr(1) + body


def system(op_lat: float, op_lon: float, op_alt: float) -> bytes:
    body = bytes([1 | (1 << 2)]) + struct.pack("<ii", int(round(op_lat * 1e7)),
                                               int(round(op_lon * 1e7)))
    body += struct.pack("<HBHH", 1, 0, _alt(-1000), _alt(-1000)) + bytes([0x12])
    body += struct.pack("<H", _alt(op_alt)) + b"\0" * 5
    return _hdr(4) + body


def operator_id(text: str) -> bytes:
    return _hdr(5) + b"\0" + text.encode().ljust(20, b"\0") + b"\0" * 3


def pack(*msgs: bytes) -> bytes:
    return _hdr(0xF) + bytes([25, len(msgs)]) + b"".join(msgs)
