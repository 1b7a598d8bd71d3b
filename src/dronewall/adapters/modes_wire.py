"""Wire formats of ADS-B / Mode S receivers (dump1090, readsb, Mode-S Beast, radarcape).

* **Beast binary** (TCP 30005): ``0x1a`` + type + 6-byte big-endian 12 MHz receiver clock +
  1 signal byte + the frame (type ``'1'`` Mode A/C, 2 bytes; ``'2'`` Mode S short, 7 bytes;
  ``'3'`` Mode S long, 14 bytes; ``'4'`` receiver status, 14 bytes); every ``0x1a`` inside
  the body is sent twice. :class:`BeastDeframer` is fed arbitrary chunks of the TCP stream and
  resynchronises on the next escape after garbage.
* **AVR / raw hex** (TCP 30002): one frame per line, ``*HEX;`` or with the receiver clock
  ``@TTTTTTTTTTTTHEX;`` (12 hex digits, 12 MHz), or ``<TTTTTTTTTTTTSSHEX;`` (Beast as hex, with
  the signal byte).
* **SBS-1 BaseStation** (TCP 30003): decoded CSV lines, ``MSG,<type>,<session>,<aircraft>,
  <hex ident>,<flight>,<date gen>,<time gen>,<date log>,<time log>,<callsign>,<altitude ft>,
  <ground speed kt>,<track deg>,<lat>,<lon>,<vertical rate ft/min>,<squawk>,<alert>,
  <emergency>,<spi>,<on ground>``; transmission types 1 identity, 2 surface position,
  3 airborne position, 4 velocity, 5 surveillance altitude, 6 surveillance id, 7 air-to-air,
  8 all-call reply. Other record kinds (``SEL``, ``ID``, ``AIR``, ``STA``, ``CLK``) carry no
  kinematics.

Parsers never raise on wire data: they return ``None`` (or skip) and count the reason in the
given :class:`~dronewall.adapters.counters.MessageCounters`. Units at this edge are the
protocols' (feet, knots, ft/min); :mod:`dronewall.adapters.adsb` converts to SI.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from dronewall.adapters.counters import MessageCounters

ESC = 0x1A
#: Beast frame type -> body length in bytes after the 6-byte clock and the signal byte.
BEAST_BODY = {0x31: 2, 0x32: 7, 0x33: 14, 0x34: 14}
#: Receiver clock of Mode-S Beast / dump1090 timestamps (Hz).
BEAST_CLOCK_HZ = 12e6
#: A Beast buffer longer than this without a complete frame is garbage (bytes).
MAX_PENDING_BYTES = 4096
#: Longest accepted text line (characters); longer lines are malformed and dropped.
MAX_LINE_CHARS = 1024


@dataclass(frozen=True)
class RawFrame:
    """One Mode S (or Mode A/C) frame as hex, with the receiver's clock and signal if sent."""

    hex: str
    rx_clock_s: float | None = None     # receiver clock (12 MHz counter), s; not wall time
    signal_dbfs: float | None = None    # RSSI relative to full scale, dB
    kind: str = "modes"                 # "modes" or "modeac"


def _signal_dbfs(byte: int) -> float | None:
    """Beast signal byte -> dBFS (readsb: level = (byte / 255)^2 of full power)."""
    return None if byte == 0 else 20.0 * math.log10(byte / 255.0)


class BeastDeframer:
    """Turns a Beast byte stream (arbitrary chunks) into :class:`RawFrame` s."""

    def __init__(self, counters: MessageCounters) -> None:
        self.counters = counters
        self._buf = bytearray()

    def feed(self, chunk: bytes) -> list[RawFrame]:
        self._buf += chunk
        out: list[RawFrame] = []
        buf = self._buf
        i = 0
        n = len(buf)
        while True:
            start = buf.find(ESC, i)
            if start < 0:
                if n > i:
                    self.counters.malform("beast: bytes outside a frame")
                i = n
                break
            if start > i:
                self.counters.malform("beast: bytes outside a frame")
            if start + 1 >= n:
                i = start
                break
            typ = buf[start + 1]
            if typ == ESC:  # an escaped 0x1a outside a frame: garbage
                self.counters.malform("beast: bytes outside a frame")
                i = start + 2
                continue
            if typ not in BEAST_BODY:
                self.counters.malform(f"beast: unknown frame type 0x{typ:02x}")
                i = start + 1
                continue
            need = 6 + 1 + BEAST_BODY[typ]
            body = bytearray()
            j = start + 2
            broken = False
            while len(body) < need and j < n:
                b = buf[j]
                if b == ESC:
                    if j + 1 >= n:
                        break
                    if buf[j + 1] != ESC:  # an unescaped 0x1a: a new frame starts here
                        broken = True
                        break
                    j += 2
                else:
                    j += 1
                body.append(b)
            if broken:
                self.counters.malform("beast: truncated frame")
                i = j
                continue
            if len(body) < need:  # wait for more bytes
                i = start
                break
            i = j
            if typ == 0x34:
                continue  # receiver status: no aircraft data
            clock = int.from_bytes(body[:6], "big") / BEAST_CLOCK_HZ
            out.append(RawFrame(body[7:].hex().upper(), clock, _signal_dbfs(body[6]),
                                "modeac" if typ == 0x31 else "modes"))
        del buf[:i]
        if len(buf) > MAX_PENDING_BYTES:
            self.counters.malform("beast: no frame in a long run of bytes")
            buf.clear()
        return out


_HEX = frozenset("0123456789abcdefABCDEF")


def parse_avr(line: str, counters: MessageCounters) -> RawFrame | None:
    """One AVR line -> frame (None and counted when it is not one)."""
    s = line.strip()
    if not s:
        return None
    if len(s) > MAX_LINE_CHARS:
        counters.malform("avr: line too long")
        return None
    if s[0] not in "*@<" or not s.endswith(";"):
        counters.malform("avr: expected '*HEX;', '@CLOCKHEX;' or '<CLOCKSIGHEX;'")
        return None
    body = s[1:-1]
    if not body or not set(body) <= _HEX:
        counters.malform("avr: non-hex characters")
        return None
    clock = sig = None
    if s[0] == "@":
        if len(body) < 12:
            counters.malform("avr: short clock")
            return None
        clock, body = int(body[:12], 16) / BEAST_CLOCK_HZ, body[12:]
    elif s[0] == "<":
        if len(body) < 14:
            counters.malform("avr: short clock")
            return None
        clock, sig, body = (int(body[:12], 16) / BEAST_CLOCK_HZ,
                            _signal_dbfs(int(body[12:14], 16)), body[14:])
    if len(body) not in (4, 14, 28):
        counters.malform("avr: frame length not 2, 7 or 14 bytes")
        return None
    return RawFrame(body.upper(), clock, sig, "modeac" if len(body) == 4 else "modes")


@dataclass(frozen=True)
class SbsRecord:
    """One SBS-1 ``MSG`` line, protocol units; absent fields are None."""

    transmission: int
    icao24: str                 # lower-case hex, 6 digits
    time_utc: datetime | None   # date/time generated (taken as UTC; see parse_sbs)
    callsign: str | None
    altitude_ft: float | None
    ground_speed_kt: float | None
    track_deg: float | None
    lat_deg: float | None
    lon_deg: float | None
    vertical_rate_fpm: float | None
    squawk: str | None
    on_ground: bool | None


def _num(v: str, lo: float, hi: float) -> float | None | str:
    v = v.strip()
    if not v:
        return None
    try:
        x = float(v)
    except ValueError:
        return "bad"
    if not math.isfinite(x) or not lo <= x <= hi:
        return "bad"
    return x


def _flag(v: str) -> bool | None:
    v = v.strip()
    return None if not v else v in ("-1", "1")


def parse_sbs(line: str, counters: MessageCounters) -> SbsRecord | None:
    """One SBS-1 line -> record (None and counted otherwise).

    The BaseStation format has no time zone: dump1090/readsb write UTC when run with ``TZ=UTC``
    and local time otherwise, so a live adapter stamps records with its own wall clock and
    uses this field only when replaying a recording.
    """
    s = line.strip()
    if not s:
        return None
    if len(s) > MAX_LINE_CHARS:
        counters.malform("sbs: line too long")
        return None
    f = s.split(",")
    if f[0] in ("SEL", "ID", "AIR", "STA", "CLK"):
        counters.reject(f"sbs: {f[0]} record (no kinematics)")
        return None
    if f[0] != "MSG" or len(f) < 11:
        counters.malform("sbs: expected 'MSG,<type>,...' with at least 11 fields")
        return None
    f += [""] * (22 - len(f))
    try:
        tt = int(f[1])
    except ValueError:
        counters.malform("sbs: transmission type not a number")
        return None
    if not 1 <= tt <= 8:
        counters.malform("sbs: transmission type not 1-8")
        return None
    ident = f[4].strip().lower().lstrip("~")
    if len(ident) != 6 or not set(ident) <= _HEX:
        counters.malform("sbs: hex ident not 6 hex digits")
        return None
    t_utc = None
    if f[6].strip() and f[7].strip():
        try:
            t_utc = datetime.strptime(f"{f[6].strip()} {f[7].strip()}",
                                      "%Y/%m/%d %H:%M:%S.%f").replace(tzinfo=UTC)
        except ValueError:
            counters.malform("sbs: date/time generated not YYYY/MM/DD HH:MM:SS.fff")
            return None
    vals = {"alt": _num(f[11], -2000, 130_000), "gs": _num(f[12], 0, 5000),
            "trk": _num(f[13], -360, 360), "lat": _num(f[14], -90, 90),
            "lon": _num(f[15], -180, 180), "vr": _num(f[16], -100_000, 100_000)}
    bad = [k for k, v in vals.items() if v == "bad"]
    if bad:
        counters.malform(f"sbs: field {bad[0]} not a number in range")
        return None
    if (vals["lat"] is None) != (vals["lon"] is None):
        counters.malform("sbs: latitude without longitude")
        return None
    cs = f[10].strip() or None
    sq = f[17].strip() or None

    def fl(k: str) -> float | None:
        v = vals[k]
        return v if isinstance(v, float) else None

    return SbsRecord(tt, ident, t_utc, cs, fl("alt"), fl("gs"), fl("trk"), fl("lat"),
                     fl("lon"), fl("vr"), sq, _flag(f[21]))
