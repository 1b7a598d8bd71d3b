"""The per-run metric record of a study: the schema's metrics (``dronewall.metrics.schema``)
read from one run's ``summary.json``.

A metric with a ``path`` in the schema is read from that path; the others are derived here, one
function each in :data:`DERIVED` (a test checks that every schema metric is one or the other).
A value the run does not report is NaN (an empty ``runs.csv`` cell), which aggregates leave out:
no zones -> no airspace metrics; no effectors -> no engagement metrics.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from dronewall.metrics.schema import DETECTION_CLASSES, METRICS, SPEND_BY_TYPE


def _num(x: Any) -> float:
    if isinstance(x, bool):
        return float(x)
    if isinstance(x, (int, float)):
        return float(x)
    return math.nan


def _get(d: Any, keys: Iterable[str]) -> float:
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return math.nan
        d = d[k]
    return _num(d)


def _section(summary: dict[str, Any], key: str) -> dict[str, Any] | None:
    v = summary.get(key)
    return v if isinstance(v, dict) else None


def _uncrewed(summary: dict[str, Any]) -> tuple[float, float, float]:
    """(flown, detected, detected-weighted mean of the per-class median detection latency)."""
    platforms = _section(summary, "platforms") or {}
    by_class = platforms.get("by_class") or {}
    if not isinstance(by_class, dict) or not by_class:
        return math.nan, math.nan, math.nan
    flown = det = 0
    lat_w = lat_n = 0.0
    for c in DETECTION_CLASSES:
        e = by_class.get(c)
        if not isinstance(e, dict):
            continue
        flown += int(e.get("platforms", 0))
        nd = int(e.get("detected_by_any_sensor", 0))
        det += nd
        med = _num(e.get("median_first_detection_after_launch_s"))
        if nd and math.isfinite(med):
            lat_w += nd * med
            lat_n += nd
    return float(flown), float(det), (lat_w / lat_n if lat_n else math.nan)


def _ratio(a: float, b: float) -> float:
    return a / b if math.isfinite(a) and math.isfinite(b) and b > 0 else math.nan


def _classification_correct(summary: dict[str, Any]) -> float:
    """Scored platforms whose reported label was right, summed over their true classes."""
    by = _get_obj(summary, ("tracking", "classification", "by_true_class"))
    if not isinstance(by, dict):
        return math.nan
    vals = [_num(e.get("label_correct")) for e in by.values() if isinstance(e, dict)]
    return float(sum(vals)) if vals and all(math.isfinite(v) for v in vals) else math.nan


def _strobe_steps(summary: dict[str, Any], key: str) -> float:
    """``strobes.by_class.<class>.<key>`` summed over the uncrewed classes (NaN: the run has
    no strobe stage -- no RF finder or acoustic node; 0 when none of them was heard)."""
    by = _get_obj(summary, ("strobes", "by_class"))
    if not isinstance(by, dict):
        return math.nan
    vals = [_num(by[c].get(key, math.nan)) for c in DETECTION_CLASSES
            if isinstance(by.get(c), dict)]
    return float(sum(vals)) if all(math.isfinite(v) for v in vals) else math.nan


def _get_obj(d: Any, keys: Iterable[str]) -> Any:
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def _ammunition_used(summary: dict[str, Any]) -> float:
    en = _section(summary, "engagement") or {}
    stocked, left = en.get("ammunition_stocked"), en.get("ammunition_remaining")
    if not isinstance(stocked, dict) or not isinstance(left, dict):
        return math.nan
    return float(sum(_num(v) for v in stocked.values() if v is not None)
                 - sum(_num(v) for v in left.values() if v is not None))


def violation_duration_error(out: Path) -> float:
    """Mean |tracked - true| duration over tracked violations matched to a true violation of
    the same zone overlapping in time (nearest entry time, each true violation used once), from
    the run's ``events.jsonl`` and ``truth_events.jsonl``; NaN without them or without a match."""
    def read(name: str) -> list[dict[str, Any]] | None:
        p = out / name
        if not p.is_file():
            return None
        with p.open(encoding="utf-8") as f:
            return [e for e in map(json.loads, filter(str.strip, f))
                    if e.get("event") == "violation"]

    tv, gv = read("events.jsonl"), read("truth_events.jsonl")
    if tv is None or gv is None:
        return math.nan
    used: set[int] = set()
    errs = []
    for v in sorted(tv, key=lambda e: (e["entry_t_s"], str(e["track_id"]), e["zone_id"])):
        cands = [k for k, g in enumerate(gv) if k not in used and g["zone_id"] == v["zone_id"]
                 and g["entry_t_s"] <= v["exit_t_s"] and v["entry_t_s"] <= g["exit_t_s"]]
        if not cands:
            continue
        k = min(cands, key=lambda k: (abs(gv[k]["entry_t_s"] - v["entry_t_s"]), k))
        used.add(k)
        errs.append(abs(float(v["duration_s"]) - float(gv[k]["duration_s"])))
    return float(np.mean(errs)) if errs else math.nan


def _violation_duration(summary: dict[str, Any], out: Path | None) -> float:
    air = _section(summary, "airspace")
    if air is None:
        return math.nan
    if "violation_duration_abs_err_s" in air:
        return _num(air["violation_duration_abs_err_s"])
    return violation_duration_error(out) if out is not None else math.nan


#: Derivations of the schema metrics without a plain ``path``: (summary, run folder, metrics
#: read so far) -> value. Applied in schema order, so a derivation may use earlier metrics.
Derivation = Callable[[dict[str, Any], Path | None, dict[str, float]], float]
DERIVED: dict[str, Derivation] = {
    "detected_ratio": lambda s, o, m: _ratio(_uncrewed(s)[1], _uncrewed(s)[0]),
    "uncrewed_flown": lambda s, o, m: _uncrewed(s)[0],
    "uncrewed_detected": lambda s, o, m: _uncrewed(s)[1],
    "detection_latency_s": lambda s, o, m: _uncrewed(s)[2],
    "classification_accuracy": lambda s, o, m: _get(
        s, ("tracking", "classification", "accuracy_30s_after_confirmation")),
    "classification_correct": lambda s, o, m: _classification_correct(s),
    "uncrewed_displayed_ratio": lambda s, o, m: _ratio(_strobe_steps(s, "displayed_steps"),
                                                       _strobe_steps(s, "heard_steps")),
    "uncrewed_tracked_ratio": lambda s, o, m: _ratio(_strobe_steps(s, "tracked_steps"),
                                                     _strobe_steps(s, "heard_steps")),
    "uncrewed_heard_steps": lambda s, o, m: _strobe_steps(s, "heard_steps"),
    "uncrewed_displayed_steps": lambda s, o, m: _strobe_steps(s, "displayed_steps"),
    "uncrewed_tracked_steps": lambda s, o, m: _strobe_steps(s, "tracked_steps"),
    "violation_duration_abs_err_s": lambda s, o, m: _violation_duration(s, o),
    "leak_rate": lambda s, o, m: _ratio(m.get("leakers", math.nan),
                                        m.get("threats_flown", math.nan)),
    "one_way_neutralised_rate": lambda s, o, m: _ratio(m.get("one_way_neutralised", math.nan),
                                                       m.get("one_way_flown", math.nan)),
    "ammunition_used": lambda s, o, m: _ammunition_used(s),
}


def run_metrics(summary: dict[str, Any], out: Path | None = None,
                effector_types: Iterable[str] = ()) -> dict[str, float]:
    """The flat per-run metrics of one run's summary.json: every schema metric (NaN for what
    the run does not report) plus ``spend_eur_<type>`` for each effector type that spent, and
    0.0 for each of ``effector_types`` (the scenario's) that did not fire when the run has
    engagement results. ``out``: the run's folder (event files for the violation duration
    error)."""
    m: dict[str, float] = {}
    for spec in METRICS:
        if spec.path is not None:
            m[spec.name] = _get(summary, spec.path)
        else:
            m[spec.name] = DERIVED[spec.name](summary, out, m)
    en = _section(summary, "engagement")
    by_type = en.get("spend_by_type_eur") if en is not None else None
    if isinstance(by_type, dict):
        for t, v in sorted(by_type.items()):
            m[f"{SPEND_BY_TYPE.prefix}{t}"] = _num(v)
    if en is not None:  # effector types that did not fire spent nothing
        for t in effector_types:
            m.setdefault(f"{SPEND_BY_TYPE.prefix}{t}", 0.0)
    return m
