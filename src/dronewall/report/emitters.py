"""Emitters heard but not located, for the incident report: a run's ``strobes.jsonl`` (written
by ``simulate``; docs/outputs.md) read back as the lines of bearing no track explained.

An RF finder that heard a DJI link on one bearing for 25 minutes is evidence of a drone's
controller in that direction -- not of where it was, nor of a violation. The report lists
such strobes as exactly that: which sensor, which way, what, when, for how long, and how far
the emitter could be; the map draws each as the sector it leaves open from the sensor
(``report.emitter_map``), never as a position."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dronewall.errors import DataFormatError
from dronewall.inputs import excerpt, iter_json_lines

#: A strobe is listed when no track explained it for at least this share of its life.
UNLOCATED_SHARE = 0.5
#: Acoustic strobes are listed only when heard this long, s (a node's few confused bearings
#: of a passing target are not worth an investigator's time; an RF link always is).
MIN_ACOUSTIC_S = 60.0
#: Lines listed at most (the longest first); the rest are counted.
MAX_LISTED = 50

@dataclass(frozen=True)
class Emitter:
    """One line of bearing no track explained (most of its life)."""

    sensor: str
    kind: str
    signature: str
    what: str
    t0_s: float
    t1_s: float
    time0: str
    time1: str
    bearings: int
    bearing_deg: float
    sd_deg: float
    span_deg: tuple[float, float]
    reach_m: float
    lat_deg: float
    lon_deg: float

    @property
    def duration_s(self) -> float:
        return self.t1_s - self.t0_s


def _num(rec: dict[str, object], f: str, where: str, lo: float = -math.inf,
         hi: float = math.inf, what: str = "a finite number") -> float:
    v = rec.get(f)
    if not (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            and lo <= v <= hi):
        raise DataFormatError(f"{where}, field '{f}': got {excerpt(v)}; expected {what}")
    return float(v)


def load_emitters(path: Path) -> tuple[list[Emitter], int]:
    """The unlocated strobes of a ``strobes.jsonl`` file worth listing, longest first (at most
    ``MAX_LISTED``), and how many more there were; a malformed line is a DataFormatError
    naming the file, line and field."""
    out: list[Emitter] = []
    total = 0

    def rank(e: Emitter) -> tuple[float, float, str]:
        return -e.duration_s, e.t0_s, e.sensor

    for n, rec in iter_json_lines(path, "strobes file"):
        where = f"{path}: line {n}"
        if not isinstance(rec, dict):
            raise DataFormatError(f"{where}: got {excerpt(rec)}; expected a JSON object")
        for f in ("sensor", "sensor_kind", "signature"):
            if not isinstance(rec.get(f), str) or not rec.get(f):
                raise DataFormatError(f"{where}, field '{f}': got {excerpt(rec.get(f))}; "
                                      "expected a non-empty string")
        t0, t1 = _num(rec, "t_first_s", where), _num(rec, "t_last_s", where)
        share = _num(rec, "on_track_share", where)
        if share >= UNLOCATED_SHARE:
            continue
        kind = str(rec["sensor_kind"])
        if kind != "rf" and t1 - t0 < MIN_ACOUSTIC_S:
            continue
        span = rec.get("bearing_span_deg")
        b = _num(rec, "bearing_deg", where)
        lo, hi = (float(span[0]), float(span[1])) if (
            isinstance(span, list) and len(span) == 2
            and all(isinstance(x, (int, float)) and math.isfinite(x) for x in span)) else (b, b)
        what = rec.get("what")
        out.append(Emitter(str(rec["sensor"]), kind, str(rec["signature"]),
                           what if isinstance(what, str) and what else str(rec["signature"]),
                           t0, t1,
                           str(rec.get("time_first", "")), str(rec.get("time_last", "")),
                           int(_num(rec, "bearings", where)), b,
                           _num(rec, "bearing_sd_deg", where, 0.0, 180.0,
                                "a spread from 0 to 180 deg"), (lo, hi),
                           _num(rec, "reach_m", where, 1.0, 1e6, "a reach from 1 m to 1,000 km"),
                           _num(rec, "lat_deg", where, -90.0, 90.0, "a latitude, deg"),
                           _num(rec, "lon_deg", where, -180.0, 180.0, "a longitude, deg")))
        total += 1
        if len(out) >= 2 * MAX_LISTED:   # memory stays bounded however long the record
            out = sorted(out, key=rank)[:MAX_LISTED]
    out.sort(key=rank)
    return out[:MAX_LISTED], total - min(total, MAX_LISTED)


def emitter_text(e: Emitter, fmt: Callable[[float], str] | None = None) -> str:
    """One line: "rf-wlodawa (rf, 51.5500 N 23.5000 E): DJI OcuSync link heard on bearing
    56 deg +-6 deg (41-62 deg over its life), 415 bearings from 01:10:02 to 01:35:40 (25.6
    min); no track located it: range unknown, up to 29 km" (``what``: the record's words
    for the signature, written by ``simulate``; the signature itself when absent)."""
    t0 = fmt(e.t0_s) if fmt is not None else e.time0
    t1 = fmt(e.t1_s) if fmt is not None else e.time1
    width = (e.span_deg[1] - e.span_deg[0]) % 360.0     # clockwise from the first to the last
    span = (f" ({e.span_deg[0]:.0f}\u2013{e.span_deg[1]:.0f}\u00b0 over its life)"
            if width >= 1.0 else "")
    return (f"{e.sensor} ({e.kind}, {e.lat_deg:.4f} N {e.lon_deg:.4f} E): {e.what} heard on "
            f"bearing {e.bearing_deg:.0f}\u00b0 \u00b1{e.sd_deg:.0f}\u00b0{span}, {e.bearings} "
            f"bearings from {t0} to {t1} ({e.duration_s / 60:.1f} min); no track located it: "
            f"range unknown, up to {e.reach_m / 1000:.0f} km")
