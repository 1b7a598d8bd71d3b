"""Intervals respect their metric's domain: property tests over every metric of the schema, and
reference values for Wilson and the bootstrap."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dronewall.metrics import schema
from dronewall.metrics.intervals import (
    BOOT_RESAMPLES,
    BOOT_SEED,
    bootstrap_mean_interval,
    summarise,
    wilson,
)

FIXED = [m for m in schema.METRICS]


def _values(m: schema.Metric, draw, n: int) -> list[float]:
    lo = -1e4 if m.lower is None else m.lower
    hi = 1.0 if m.upper is not None else 1e7
    if m.kind == "count":
        return [float(draw(st.integers(0, 200))) for _ in range(n)]
    return [draw(st.floats(lo, hi, allow_nan=False, allow_infinity=False)) for _ in range(n)]


@st.composite
def metric_runs(draw):
    m = draw(st.sampled_from(FIXED + [schema.metric("spend_eur_sam_short")]))
    n = draw(st.integers(0, 25))
    vals = _values(m, draw, n)
    # some runs without a value
    vals = [math.nan if draw(st.booleans()) and draw(st.booleans()) else v for v in vals]
    succ = trials = None
    if m.kind == "proportion" and draw(st.booleans()):
        trials = [float(draw(st.integers(1, 60))) for _ in range(n)]
        succ = [float(draw(st.integers(0, int(t)))) for t in trials]
        vals = [s / t if math.isfinite(v) else math.nan for s, t, v in
                zip(succ, trials, vals, strict=True)]
    return m, vals, succ, trials


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(metric_runs())
def test_interval_stays_in_domain_and_contains_the_mean(case) -> None:
    m, vals, succ, trials = case
    a = summarise(vals, lower=m.lower, upper=m.upper, successes=succ, trials=trials)
    n = sum(math.isfinite(v) for v in vals)
    assert a["n"] == n
    if n == 0:
        assert a["mean"] is None and a["ci95_low"] is None and a["method"] == "none"
        return
    assert m.in_domain(a["mean"]), (m.name, a)
    if a["ci95_low"] is None:
        assert n == 1 and a["method"] == "none"
        return
    assert a["method"] in ("wilson_pooled", "bootstrap_percentile")
    assert m.in_domain(a["ci95_low"]) and m.in_domain(a["ci95_high"]), (m.name, a)
    assert a["ci95_low"] <= a["mean"] <= a["ci95_high"], (m.name, a)
    assert a["p10"] <= a["median"] <= a["p90"]


@given(st.integers(0, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_in_unit_interval(kn) -> None:
    k, n = kn
    lo, hi = wilson(k, n)
    if n == 0:
        assert math.isnan(lo)
        return
    assert 0.0 <= lo <= hi <= 1.0


def test_wilson_reference() -> None:
    # Wilson 95 % for 8/10: 0.4902 .. 0.9433 (e.g. statsmodels proportion_confint(8, 10,
    # method="wilson"))
    lo, hi = wilson(8, 10)
    assert lo == pytest.approx(0.49016, abs=1e-5) and hi == pytest.approx(0.94332, abs=1e-5)
    lo, hi = wilson(0, 25)
    assert lo == 0.0 and hi == pytest.approx(0.13319, abs=1e-5)


def test_pooled_proportion_uses_counts() -> None:
    a = summarise([0.5, 1.0], upper=1.0, successes=[1, 10], trials=[2, 10])
    assert a["method"] == "wilson_pooled"
    assert a["mean"] == pytest.approx(11 / 12) and a["mean_of_runs"] == pytest.approx(0.75)
    assert (a["successes"], a["trials"]) == (11, 12)
    assert (a["ci95_low"], a["ci95_high"]) == pytest.approx(wilson(11, 12))
    # the old Student-t interval of the run mean gave 82.3 .. 105.2 % on values like these
    b = summarise([0.9, 0.95, 1.0, 0.92], upper=1.0)
    assert b["method"] == "bootstrap_percentile" and b["ci95_high"] <= 1.0


def test_non_negative_skewed_counts_never_go_below_zero() -> None:
    a = summarise([0, 0, 0, 5], lower=0.0)  # Student t: 1.25 +- 3.98 -> -2.7 .. 5.2
    assert a["ci95_low"] == 0.0 and 1.25 <= a["ci95_high"] <= 5.0


def test_bootstrap_is_the_documented_algorithm() -> None:
    x = np.array([3.0, 7.5, 1.0, 12.0, 0.0, 4.0])
    rng = np.random.default_rng(BOOT_SEED)
    means = x[rng.integers(0, x.size, size=(BOOT_RESAMPLES, x.size))].mean(axis=1)
    ref = np.percentile(means, [2.5, 97.5])
    assert bootstrap_mean_interval(x) == (ref[0], ref[1])
    assert bootstrap_mean_interval(x) == bootstrap_mean_interval(x)  # deterministic
