"""Confidence intervals that respect their metric's domain (pure numpy/scipy).

Two methods, chosen by the metric's kind (:mod:`dronewall.metrics.schema`):

``wilson_pooled``
    Proportions with their counts (e.g. classification accuracy = correct / scored): the Wilson
    score interval on the counts pooled over the runs, k = sum of successes, n = sum of trials.
    The point estimate is the pooled proportion k / n (the trial-weighted mean of the per-run
    proportions). Always inside [0, 1] and around k / n. It treats the pooled trials as
    independent; when runs differ a lot from each other it is narrower than an interval over
    runs would be.

``bootstrap_percentile``
    Everything else (counts, money, durations, distances, ratios; proportions without counts):
    the percentile bootstrap interval of the mean of the per-run values. ``BOOT_RESAMPLES``
    resamples of the runs with replacement drawn by ``numpy.random.default_rng(BOOT_SEED)``
    as one ``integers(0, n, size=(BOOT_RESAMPLES, n))`` array of indices, the mean of each,
    and the 2.5th and 97.5th percentiles (numpy's default linear interpolation) of those means.
    Deterministic, and inside [min, max] of the values, so never outside the metric's domain
    (a count or a spend is never below zero; a proportion never leaves [0, 1]). The bounds
    are finally clipped to the domain and widened to contain the mean (guards only).

``none``
    No interval: fewer than 2 runs with a value (and no counts to pool).

Each aggregate is ``n, mean, std, median, p10, p90, ci95_low, ci95_high, method`` (plus the
pooled counts and the unweighted mean of the runs for pooled proportions).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from scipy import stats

#: Confidence level of every interval.
CI_LEVEL = 0.95
#: Bootstrap resamples and the seed of their generator (fixed: the same values give the same
#: interval, run after run and machine after machine).
BOOT_RESAMPLES = 4000
BOOT_SEED = 20_250_919
#: Resample rows generated at a time (bounds memory for studies of thousands of runs; the
#: generator's stream is the same as one (BOOT_RESAMPLES, n) draw).
_BOOT_CHUNK_ELEMS = 4_000_000

METHODS: dict[str, str] = {
    "wilson_pooled": "Wilson score interval on the counts pooled over the runs",
    "bootstrap_percentile": (f"percentile bootstrap of the mean over runs ({BOOT_RESAMPLES} "
                             f"resamples, seed {BOOT_SEED})"),
    "none": "no interval (fewer than 2 runs)",
}


def wilson(k: float, n: float, level: float = CI_LEVEL) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion with ``k`` successes in ``n`` trials."""
    if n <= 0:
        return math.nan, math.nan
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = k / n
    den = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z / den * math.sqrt(max(p * (1 - p) / n + z * z / (4 * n * n), 0.0))
    lo = 0.0 if k <= 0 else max(0.0, centre - half)  # exact ends (no rounding residue)
    hi = 1.0 if k >= n else min(1.0, centre + half)
    return lo, hi


def bootstrap_means(x: np.ndarray, resamples: int = BOOT_RESAMPLES,
                    seed: int = BOOT_SEED) -> np.ndarray:
    """Means of ``resamples`` bootstrap resamples of ``x`` (see the module docstring)."""
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    rng = np.random.default_rng(seed)
    chunk = max(1, _BOOT_CHUNK_ELEMS // max(n, 1))
    out = np.empty(resamples, dtype=np.float64)
    for a in range(0, resamples, chunk):
        b = min(resamples, a + chunk)
        idx = rng.integers(0, n, size=(b - a, n))
        out[a:b] = x[idx].mean(axis=1)
    return out


def bootstrap_mean_interval(x: np.ndarray, level: float = CI_LEVEL,
                            resamples: int = BOOT_RESAMPLES,
                            seed: int = BOOT_SEED) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``x`` (at least 2 values)."""
    means = bootstrap_means(x, resamples, seed)
    a = (1 - level) / 2
    lo, hi = np.percentile(means, [100 * a, 100 * (1 - a)])
    return float(lo), float(hi)


def _finite(values: Iterable[float | None]) -> np.ndarray:
    x = np.asarray([math.nan if v is None else float(v) for v in values], dtype=np.float64)
    return x


def summarise(values: Iterable[float | None], *, lower: float | None = 0.0,
              upper: float | None = None, successes: Iterable[float | None] | None = None,
              trials: Iterable[float | None] | None = None,
              level: float = CI_LEVEL) -> dict[str, float | int | str | None]:
    """Aggregate of per-run values of one metric with its confidence interval.

    ``values``: one per run (None / NaN: the run has no value, left out). ``lower`` /
    ``upper``: the metric's domain. ``successes`` / ``trials``: per-run counts of a proportion
    (aligned with ``values``); used (Wilson, pooled) when every run with a value has finite,
    integral counts with 0 <= successes <= trials and trials > 0; else the bootstrap.
    Returns ``n, mean, std, median, p10, p90, ci95_low, ci95_high, method``; None where
    undefined (n = 0; std needs n >= 2). Pooled proportions also give ``successes``,
    ``trials`` and ``mean_of_runs`` (the unweighted mean of the per-run values); their
    ``mean`` is the pooled proportion.
    """
    v = _finite(values)
    ok = np.isfinite(v)
    x = v[ok]
    n = int(x.size)
    out: dict[str, float | int | str | None] = {
        "n": n, "mean": None, "std": None, "median": None, "p10": None, "p90": None,
        "ci95_low": None, "ci95_high": None, "method": "none"}
    if n == 0:
        return out
    mean = float(x.mean())
    out.update(mean=mean, median=float(np.median(x)), p10=float(np.percentile(x, 10)),
               p90=float(np.percentile(x, 90)),
               std=float(x.std(ddof=1)) if n >= 2 else None)
    if successes is not None and trials is not None:
        k, t = _finite(successes)[ok], _finite(trials)[ok]
        usable = (k.size == n and t.size == n and np.isfinite(k).all() and np.isfinite(t).all()
                  and (t > 0).all() and (k >= 0).all() and (k <= t).all()
                  and np.array_equal(k, np.round(k)) and np.array_equal(t, np.round(t)))
        if usable:
            ks, ts = float(k.sum()), float(t.sum())
            p = ks / ts
            lo, hi = wilson(ks, ts, level)
            out.update(mean=p, mean_of_runs=mean, successes=int(ks), trials=int(ts),
                       ci95_low=min(lo, p), ci95_high=max(hi, p), method="wilson_pooled")
            return out
    if n >= 2:
        lo, hi = bootstrap_mean_interval(x, level)
        if lower is not None:
            lo, hi = max(lo, lower), max(hi, lower)
        if upper is not None:
            lo, hi = min(lo, upper), min(hi, upper)
        out.update(ci95_low=min(lo, mean), ci95_high=max(hi, mean),
                   method="bootstrap_percentile")
    return out
