"""A small ADS-B (DF17) encoder for tests, written from the published message layouts
(RTCA DO-260B / ICAO Annex 10 Vol IV; "The 1090 MHz Riddle" by Junzi Sun): airborne position
with CPR, identification, airborne velocity (subtype 1), and the Beast / AVR framings.

It is independent of the decoder under test (pyModeS), so a round trip checks both.
"""

from __future__ import annotations

import math

GENERATOR = 0x1FFF409   # CRC-24 of Mode S, x^24 + ... (0xFFF409 with the leading bit)
NZ = 15
CHARSET = "#ABCDEFGHIJKLMNOPQRSTUVWXYZ##### ###############0123456789######"


def crc24(msg_bits: int, n_bits: int) -> int:
    """Remainder of the first ``n_bits - 24`` bits followed by 24 zeros (the parity)."""
    data = msg_bits >> 24 << 24
    for i in range(n_bits - 1, 23, -1):
        if data >> i & 1:
            data ^= GENERATOR << (i - 24)
    return data & 0xFFFFFF


def _frame(me: int, icao: int, df: int = 17, ca: int = 5) -> str:
    bits = (df << 107) | (ca << 104) | (icao << 80) | (me << 24)
    bits |= crc24(bits, 112)
    return f"{bits:028X}"


def nl(lat: float) -> int:
    if lat == 0:
        return 59
    if abs(lat) == 87:
        return 2
    if abs(lat) > 87:
        return 1
    a = 1 - math.cos(math.pi / (2 * NZ))
    b = math.cos(math.pi / 180 * abs(lat)) ** 2
    return int(math.floor(2 * math.pi / math.acos(1 - a / b)))


def cpr_encode(lat: float, lon: float, odd: int) -> tuple[int, int]:
    dlat = 360.0 / (4 * NZ - odd)
    yz = math.floor(2**17 * (lat % dlat) / dlat + 0.5)
    rlat = dlat * (yz / 2**17 + math.floor(lat / dlat))
    dlon = 360.0 / max(nl(rlat) - odd, 1)
    xz = math.floor(2**17 * (lon % dlon) / dlon + 0.5)
    return yz % 2**17, xz % 2**17


def altitude_field(alt_ft: float) -> int:
    n = int(round((alt_ft + 1000) / 25))
    return ((n >> 4) << 5) | (1 << 4) | (n & 0xF)


def airborne_position(icao: int, lat: float, lon: float, alt_ft: float, odd: int,
                      tc: int = 11) -> str:
    yz, xz = cpr_encode(lat, lon, odd)
    me = (tc << 51) | (0 << 49) | (0 << 48) | (altitude_field(alt_ft) << 36) | (0 << 35) \
        | (odd << 34) | (yz << 17) | xz
    return _frame(me, icao)


def identification(icao: int, callsign: str) -> str:
    cs = callsign.ljust(8)[:8]
    chars = 0
    for ch in cs:
        chars = (chars << 6) | CHARSET.index(ch)
    me = (4 << 51) | (0 << 48) | chars
    return _frame(me, icao)


def velocity(icao: int, v_east_kt: float, v_north_kt: float, vr_fpm: float) -> str:
    dew, vew = int(v_east_kt < 0), int(round(abs(v_east_kt))) + 1
    dns, vns = int(v_north_kt < 0), int(round(abs(v_north_kt))) + 1
    svr, vr = int(vr_fpm < 0), int(round(abs(vr_fpm) / 64)) + 1
    me = (19 << 51) | (1 << 48) | (0 << 47) | (0 << 46) | (0 << 43) | (dew << 42) \
        | (vew << 32) | (dns << 31) | (vns << 21) | (0 << 20) | (svr << 19) | (vr << 10)
    return _frame(me, icao)


def beast(hex_frame: str, clock_s: float, signal: int = 0x80) -> bytes:
    body = int(clock_s * 12e6).to_bytes(6, "big") + bytes([signal]) + bytes.fromhex(hex_frame)
    typ = {2: b"1", 7: b"2", 14: b"3"}[len(hex_frame) // 2]
    return b"\x1a" + typ + body.replace(b"\x1a", b"\x1a\x1a")


def avr(hex_frame: str, clock_s: float | None = None) -> str:
    if clock_s is None:
        return f"*{hex_frame};"
    return f"@{int(clock_s * 12e6):012X}{hex_frame};"


def flight(icao: int, callsign: str, lat0: float, lon0: float, alt_ft: float,
           v_east_mps: float, v_north_mps: float, seconds: int, rate_hz: float = 2.0
           ) -> list[tuple[float, str, tuple[float, float, float]]]:
    """(t, frame hex, true (lat, lon, alt_ft)) of a straight flight: positions alternating
    even/odd at ``rate_hz``, an identification and a velocity message every second."""
    out = []
    r_e = 6_371_000.0
    kt = 1852 / 3600
    n = int(seconds * rate_hz)
    for k in range(n):
        t = k / rate_hz
        lat = lat0 + math.degrees(v_north_mps * t / r_e)
        lon = lon0 + math.degrees(v_east_mps * t / (r_e * math.cos(math.radians(lat0))))
        out.append((t, airborne_position(icao, lat, lon, alt_ft, k % 2), (lat, lon, alt_ft)))
        if k % int(rate_hz) == 0:
            out.append((t + 0.1, identification(icao, callsign), (lat, lon, alt_ft)))
            out.append((t + 0.2, velocity(icao, v_east_mps / kt, v_north_mps / kt, 0.0),
                        (lat, lon, alt_ft)))
    out.sort(key=lambda x: x[0])
    return out


def operational_status(icao: int, nacp: int, version: int = 2) -> str:
    """Airborne operational status (type code 31, subtype 0) with NACp."""
    me = (31 << 51) | (0 << 48) | (0 << 32) | (0 << 16) | (version << 13) | (0 << 12) \
        | (nacp << 8) | (0 << 6) | (3 << 4)
    return _frame(me, icao)
