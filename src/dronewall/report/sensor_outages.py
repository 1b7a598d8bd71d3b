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

from dronewall.errors import DataFormatError
from dronewall.inputs import excerpt, iter_json_lines

#: An episode's sensors are checked from this long before its first detection when its entry
#: window has no earliest bound, s: the path back a pop-up's coverage is judged on.
LOOK_BACK_S = 600.0


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
    return Outage(str(d["sensor"]), str(d.get("sensor_kind", "")), nodes,
                  float(d["t_s"]), None if up is None else float(up["t_s"]),
                  str(d.get("reason", "")), str(d.get("time", "")),
                  None if up is None else str(up.get("time", "")))


def episode_outages(outages: list[Outage], v: dict[str, Any]) -> list[Outage]:
    """The outages that overlap episode ``v``: from the earliest bound of its entry window (or
    ``LOOK_BACK_S`` before its entry) to its exit (open: to the end)."""
    win = v.get("entry_window_t_s") or [None, None]
    entry = v.get("entry_t_s")
    t0 = win[0] if win and win[0] is not None else (
        float(entry) - LOOK_BACK_S if entry is not None else float("-inf"))
    t1 = v.get("exit_t_s")
    return [o for o in outages
            if o.overlaps(float(t0), float("inf") if t1 is None else float(t1))]


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
