"""Aggregates of a study: per metric over the successful runs of one sweep point, with the
confidence interval its kind calls for (``dronewall.metrics.intervals``). Sweep points are
aggregated separately; a study with a sweep has no pooled headline."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from dronewall.metrics.intervals import summarise
from dronewall.metrics.schema import metric


def aggregate(values: Iterable[float | None], name: str,
              successes: Iterable[float | None] | None = None,
              trials: Iterable[float | None] | None = None) -> dict[str, Any]:
    """Aggregate of one metric's per-run values (``name`` gives the domain and the kind;
    ``successes`` / ``trials``: a proportion's per-run counts)."""
    m = metric(name)
    return summarise(values, lower=m.lower, upper=m.upper, successes=successes, trials=trials)


def aggregates(metrics: Sequence[dict[str, float]], names: Sequence[str]) -> dict[str, Any]:
    """``{name: aggregate}`` over per-run metric records (one dict per successful run).
    Proportions use their numerator and denominator metrics as pooled counts."""
    def col(n: str | None) -> list[float]:
        return [r.get(n, math.nan) if n else math.nan for r in metrics]

    out: dict[str, Any] = {}
    for n in names:
        m = metric(n)
        if m.kind == "proportion":
            out[n] = aggregate(col(n), n, col(m.numerator), col(m.denominator))
        else:
            out[n] = aggregate(col(n), n)
    return out


def timing_aggregate(wall_s: Iterable[float]) -> dict[str, Any]:
    """n, mean, std, median, p10, p90 of the runs' wall times, s (no interval: not a metric)."""
    a = summarise(wall_s, lower=0.0)
    return {k: a[k] for k in ("n", "mean", "std", "median", "p10", "p90")}
