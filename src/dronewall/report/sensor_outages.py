"""Sensors that were down, for the incident report: a run's ``sensor_health.jsonl`` (written by
``simulate``; docs/outputs.md) turned into outage intervals, and the ones that overlap an
episode. An investigator must know that a radar was down while a track crossed: the entry
was not observed because nobody could look, and the picture read no silence from it
(``docs/classification.md``, "Sensors that are down")."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dronewall.airspace.geometry import M_PER_DEG
from dronewall.errors import DataFormatError
from dronewall.inputs import excerpt, iter_json_lines

#: An episode's sensors are checked from this long before its first detection when its entry
#: window has no earliest bound, s: the path back a pop-up's coverage is judged on.
LOOK_BACK_S = 600.0
#: An outage counts for an episode whose path (entry, deepest point, exit) comes within the
#: sensor's reach plus this margin, m: the track's position error and the path between the
#: points the record names.
REACH_MARGIN_M = 5_000.0


@dataclass(frozen=True)
class Outage:
    """One sensor (or acoustic grid) down from ``t0_s`` to ``t1_s`` (None: still down at the
    end of the record), with the reason the picture gave and the time stamps in UTC."""

    sensor: str
    kind: str
    nodes: int
    t0_s: float
    t1_s: float | None
    reason: str
    time0: str
    time1: str | None
    #: where the sensor (or the middle of a grid) stands and how far it could see, deg / m
    #: (None: not recorded -- every episode of its time counts)
    lat_deg: float | None = None
    lon_deg: float | None = None
    reach_m: float | None = None

    def overlaps(self, t0: float, t1: float) -> bool:
        return self.t0_s <= t1 and (self.t1_s is None or self.t1_s >= t0)


def load_outages(path: Path) -> list[Outage]:
    """The outages of a ``sensor_health.jsonl`` file, in time order; a malformed line is a
    DataFormatError naming the file, line and field."""
    # per sensor (or grid): the record that began its outage, the nodes down now and at most
    down: dict[str, dict[str, Any]] = {}
    count: dict[str, int] = {}
    peak: dict[str, int] = {}
    out: list[Outage] = []
    for n, rec in iter_json_lines(path, "sensor health file"):
        where = f"{path}: line {n}"
        if not isinstance(rec, dict):
            raise DataFormatError(f"{where}: got {excerpt(rec)}; expected a JSON object")
        t, sid, up = rec.get("t_s"), rec.get("sensor"), rec.get("listening")
        for f, ok, want in (
                ("t_s", isinstance(t, (int, float)) and not isinstance(t, bool)
                 and math.isfinite(t), "seconds since the start (a finite number)"),
                ("sensor", isinstance(sid, str) and sid != "", "a sensor id"),
                ("listening", isinstance(up, bool), "true or false")):
            if not ok:
                raise DataFormatError(f"{where}, field '{f}': got {excerpt(rec.get(f))}; "
                                      f"expected {want}")
        nodes = rec.get("nodes", 1)
        nodes = nodes if isinstance(nodes, int) and not isinstance(nodes, bool) and nodes > 0 \
            else 1
        if not up:
            down.setdefault(sid, rec)
            count[sid] = count.get(sid, 0) + nodes
            peak[sid] = max(peak.get(sid, 0), count[sid])
        elif sid in down:
            count[sid] = max(count.get(sid, 0) - nodes, 0)
            if count[sid] == 0:    # the last of its nodes is back
                out.append(_outage(down.pop(sid), rec, peak.pop(sid)))
    out += [_outage(d, None, peak.get(s, 1)) for s, d in down.items()]
    return sorted(out, key=lambda o: (o.t0_s, o.sensor))


def _outage(d: dict[str, Any], up: dict[str, Any] | None, nodes: int) -> Outage:
    geo = [d.get(k) for k in ("lat_deg", "lon_deg", "reach_m")]
    ok = all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
             for x in geo)
    return Outage(str(d["sensor"]), str(d.get("sensor_kind", "")), nodes,
                  float(d["t_s"]), None if up is None else float(up["t_s"]),
                  str(d.get("reason", "")), str(d.get("time", "")),
                  None if up is None else str(up.get("time", "")),
                  *([float(x) for x in geo] if ok else [None, None, None]))


def episode_outages(outages: list[Outage], v: dict[str, Any]) -> list[Outage]:
    """The outages that overlap episode ``v`` in time -- from the earliest bound of its entry
    window (or ``LOOK_BACK_S`` before its entry) to its exit (open: to the end) -- and in
    place: the sensor could see some of the episode's path (its entry, deepest point and exit
    within the sensor's reach + ``REACH_MARGIN_M``). A first detection inside keeps every
    outage of its time (the path before it is not recorded), as does a sensor whose place
    or reach the record lacks."""
    win = v.get("entry_window_t_s") or [None, None]
    entry = v.get("entry_t_s")
    t0 = win[0] if win and win[0] is not None else (
        float(entry) - LOOK_BACK_S if entry is not None else float("-inf"))
    t1 = v.get("exit_t_s")
    path = [] if v.get("evidence") == "first_detected_inside" else _path(v)
    return [o for o in outages
            if o.overlaps(float(t0), float("inf") if t1 is None else float(t1))
            and (not path or o.reach_m is None
                 or _dist_to_path_m(o, path) <= o.reach_m + REACH_MARGIN_M)]


def _path(v: dict[str, Any]) -> list[tuple[float, float]]:
    """The episode's entry, deepest point and exit (lat, lon deg) that the record names."""
    out = []
    for k in ("entry_point", "max_depth_point", "exit_point"):
        p = v.get(k)
        if isinstance(p, (list, tuple)) and len(p) >= 2 and all(
                isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
                for x in p[:2]):
            out.append((float(p[0]), float(p[1])))
    return out


def _dist_to_path_m(o: Outage, path: list[tuple[float, float]]) -> float:
    """Distance from the sensor to the polyline ``path``, m (local equirectangular)."""
    assert o.lat_deg is not None and o.lon_deg is not None
    k = M_PER_DEG * math.cos(math.radians(o.lat_deg))
    xy = [((lo - o.lon_deg) * k, (la - o.lat_deg) * M_PER_DEG) for la, lo in path]
    if len(xy) == 1:
        return math.hypot(*xy[0])
    best = math.inf
    for (ax, ay), (bx, by) in zip(xy[:-1], xy[1:], strict=True):
        dx, dy = bx - ax, by - ay
        u = max(0.0, min(1.0, -(ax * dx + ay * dy) / (dx * dx + dy * dy or 1.0)))
        best = min(best, math.hypot(ax + u * dx, ay + u * dy))
    return best


def outage_text(o: dict[str, Any], fmt: Callable[[float], str] | None = None) -> str:
    """One line of an outage (:class:`Outage` as a dict): "radar-lublin (radar) down 01:20:30
    to 01:30:00 (no status or report for 30 s)"; ``fmt`` formats a time in s (None: the UTC
    times of the record)."""
    n = int(o.get("nodes") or 1)
    what = f"{o['sensor']} ({o['kind']}{f', {n} nodes' if n > 1 else ''})"
    t0 = fmt(float(o["t0_s"])) if fmt is not None else str(o["time0"])
    t1 = ("the end of the record" if o.get("t1_s") is None else
          fmt(float(o["t1_s"])) if fmt is not None else str(o["time1"]))
    return f"{what} down {t0} to {t1} ({o['reason']})"
