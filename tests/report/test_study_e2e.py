"""End to end: a small real study (runner -> runs.csv / summary.json -> report.html), and every
number on the report's headline tiles and key-numbers tables checked against values recomputed
here, independently, from runs.csv with the documented methods (docs/montecarlo.md):

- proportions with counts: Wilson score interval (z = 1.959964) on the counts pooled over the
  runs; the estimate is the pooled share;
- everything else: mean of the runs; interval = 2.5th / 97.5th percentiles of the means of 4000
  bootstrap resamples drawn as ``default_rng(20250919).integers(0, n, size=(4000, n))``;
- median, p10, p90: numpy percentiles of the per-run values.

The metric names and kinds are written out here on purpose: if the runner, the schema or the
report renames a metric, these tests fail.
"""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from dronewall.metrics import schema
from dronewall.pipeline.study import run_study
from dronewall.report.study import write_study_report

# a long module-wide run: collected first (tests/conftest.py); `--dist loadfile` gives the
# whole module to one worker, and the session-scoped run is computed once there
pytestmark = pytest.mark.heavy

REPO = Path(__file__).resolve().parents[2]
RZESZOW = REPO / "scenarios" / "rzeszow-layered-defence.yaml"

#: Proportions and their (numerator, denominator) count columns in runs.csv.
PROPORTIONS = {"detected_ratio": ("uncrewed_detected", "uncrewed_flown"),
               "classification_accuracy": ("classification_correct", "classification_scored"),
               "uncrewed_displayed_ratio": ("uncrewed_displayed_steps", "uncrewed_heard_steps"),
               "uncrewed_tracked_ratio": ("uncrewed_tracked_steps", "uncrewed_heard_steps"),
               "leak_rate": ("leakers", "threats_flown"),
               "one_way_neutralised_rate": ("one_way_neutralised", "one_way_flown")}
#: Metrics whose per-run value may be negative (everything else is >= 0).
SIGNED = {"alert_latency_s"}
HEADLINE = ["detected_ratio", "alert_latency_s", "warning_lead_time_s", "classification_accuracy",
            "violation_episodes_true", "violation_episodes_reported", "neutralised", "leakers",
            "leak_rate", "one_way_neutralised_rate", "one_way_in_flight", "value_lost_eur",
            "spend_eur", "cost_exchange_ratio", "spend_per_neutralised_eur", "waste_share"]
NOT_METRICS = {"run", "point", "seed", "status", "error", "wall_s"}
Z95 = 1.959963984540054
BOOT_SEED, BOOT_N = 20_250_919, 4000

#: A small defended plant (also used by tests/pipeline/test_montecarlo.py): fast runs.
SMALL = (REPO / "tests" / "data" / "mc-small.yaml").read_text()


def _wilson(k: float, n: float) -> tuple[float, float]:
    p = k / n
    den = 1 + Z95 ** 2 / n
    c = (p + Z95 ** 2 / (2 * n)) / den
    h = Z95 / den * math.sqrt(p * (1 - p) / n + Z95 ** 2 / (4 * n * n))
    return (0.0 if k == 0 else c - h), (1.0 if k == n else c + h)


def expected(rows: list[dict[str, str]], name: str) -> dict[str, float] | None:
    """The aggregate of one metric over runs.csv rows, recomputed from scratch."""
    def col(c: str) -> np.ndarray:
        return np.array([float(r[c]) if r[c] != "" else np.nan for r in rows])

    v = col(name)
    ok = np.isfinite(v)
    x = v[ok]
    if x.size == 0:
        return None
    out = {"mean": x.mean(), "median": np.median(x), "p10": np.percentile(x, 10),
           "p90": np.percentile(x, 90), "ci95_low": np.nan, "ci95_high": np.nan,
           "method": "none"}
    if name in PROPORTIONS:
        k, n = (col(c)[ok] for c in PROPORTIONS[name])
        out["mean"] = k.sum() / n.sum()
        out["ci95_low"], out["ci95_high"] = _wilson(k.sum(), n.sum())
        out["method"] = "Wilson"
    elif x.size >= 2:
        idx = np.random.default_rng(BOOT_SEED).integers(0, x.size, size=(BOOT_N, x.size))
        lo, hi = np.percentile(x[idx].mean(axis=1), [2.5, 97.5])
        out["ci95_low"], out["ci95_high"] = min(lo, x.mean()), max(hi, x.mean())
        out["method"] = "bootstrap"
    return out


_UNIT = re.compile(r"^(?P<neg>[−-])?€?(?P<num>[\d,]+(?:\.\d+)?)\s*(?P<suf>bn|M|k)?\s*"
                   r"(?P<unit>%|s|m|×)?$")


def parse_shown(text: str) -> tuple[float, float]:
    """(value, half of the last shown digit) of a formatted number such as '€161.4 k',
    '93.2 %', '11.6 s', '262 m', '29.6×' or '1.25'."""
    m = _UNIT.match(text.strip())
    assert m, f"cannot read the number {text!r}"
    num = m.group("num").replace(",", "")
    dec = len(num.split(".")[1]) if "." in num else 0
    scale = {"bn": 1e9, "M": 1e6, "k": 1e3, None: 1.0}[m.group("suf")]
    if m.group("unit") == "%":
        scale /= 100.0
    sign = -1.0 if m.group("neg") else 1.0
    return sign * float(num) * scale, 0.5 * 10.0 ** -dec * scale


SPAN = re.compile(r'<span class="value" data-metric="([^"]+)" data-field="([^"]+)" '
                  r'data-value="([^"]*)">([^<]*)</span>')
GROUP = re.compile(r'data-group="([^"]+)"')
ROW = re.compile(r'<tr data-metric="([^"]+)">(.*?)</tr>', re.DOTALL)


def page_numbers(html: str) -> list[tuple[str, str, str, str, str]]:
    """(group, metric, field, exact value, shown text) of every number on the page."""
    groups = [(m.start(), m.group(1)) for m in GROUP.finditer(html)]
    out = []
    for m in SPAN.finditer(html):
        g = [name for pos, name in groups if pos < m.start()]
        assert g, f"number outside a group: {m.group(0)}"
        out.append((g[-1], m.group(1), m.group(2), m.group(3), m.group(4)))
    return out


def check_page_against_runs(study: Path, groups: dict[str, list[dict[str, str]]]) -> int:
    html = (study / "report.html").read_text(encoding="utf-8")
    with (study / "runs.csv").open(newline="") as f:
        cols = csv.DictReader(f).fieldnames or []
    metric_cols = [c for c in cols if c not in NOT_METRICS and "[" not in c and "." not in c]
    nums = page_numbers(html)
    checked = 0
    for group, metric, fld, exact, text in nums:
        assert metric in metric_cols, f"the page shows {metric!r}, which runs.csv does not have"
        exp = expected(groups[group], metric)
        assert exp is not None, (group, metric)
        want = exp[fld]
        if not math.isfinite(want):
            assert exact == "" and text == "–", (group, metric, fld, exact, text)
            continue
        assert float(exact) == pytest.approx(want, rel=1e-9, abs=1e-9), (group, metric, fld)
        shown, half = parse_shown(text)
        assert abs(shown - want) <= half * (1 + 1e-9) + 1e-12, (group, metric, fld, text, want)
        checked += 1
    # every metric with a value has its key-numbers row (with the right method) and every
    # headline metric its tile, in every group
    for group, rows in groups.items():
        body = re.search(rf'<tbody data-group="{group}">(.*?)</tbody>', html, re.DOTALL).group(1)
        shown_rows = {m.group(1): m.group(2) for m in ROW.finditer(body)}
        tiles = re.search(rf'<div class="tiles" data-group="{group}">(.*?)\n</div>', html,
                          re.DOTALL).group(1)
        for c in metric_cols:
            exp = expected(rows, c)
            if exp is None:
                assert c not in shown_rows, (group, c)
                continue
            assert c in shown_rows, f"{group}: metric {c} has values but no row on the page"
            method_cell = re.search(r'<td class="method"[^>]*>([^<]*)</td>', shown_rows[c])
            assert method_cell.group(1).startswith(exp["method"].replace("none", "–")), (c,)
            fields = {f for g, m, f, _, _ in nums if g == group and m == c}
            assert {"mean", "median", "p10", "p90"} <= fields, (group, c, fields)
            if c in HEADLINE:
                tile = re.search(rf'<div class="tile" data-metric="{c}".*?'
                                 r'<div class="tile-method">([^<]*)</div>', tiles, re.DOTALL)
                assert tile, f"{group}: no headline tile for {c}"
                if exp["method"] == "none":
                    assert re.fullmatch(r"\d+ runs?", tile.group(1)), (c, tile.group(1))
                else:
                    assert tile.group(1).startswith(exp["method"]), (c,)
    return checked


def check_summary_domains(summary: dict) -> None:
    blocks = [summary["aggregates"]] if summary["aggregates"] else []
    blocks += [p["aggregates"] for p in (summary["sweep"] or {}).get("points", [])]
    assert blocks
    for aggs in blocks:
        for name, a in aggs.items():
            if not a["n"]:
                continue
            lo, mean, hi = a["ci95_low"], a["mean"], a["ci95_high"]
            if lo is None:
                assert a["n"] == 1 and a["method"] == "none", name
                continue
            assert lo <= mean <= hi, (name, a)
            if name not in SIGNED:
                assert lo >= 0.0, (name, a)
            if name in PROPORTIONS:
                assert hi <= 1.0 and a["method"] == "wilson_pooled", (name, a)
            else:
                assert a["method"] == "bootstrap_percentile", (name, a)


def _ok_rows(study: Path) -> list[dict[str, str]]:
    with (study / "runs.csv").open(newline="") as f:
        return [r for r in csv.DictReader(f) if r["status"] == "ok"]


@pytest.fixture(scope="session")  # once per worker, whatever the test order
def rzeszow_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("e2e") / "study"
    run_study(RZESZOW, out, 3, workers=2, duration_s=150.0, progress=False)
    write_study_report(out)
    return out


def test_every_number_on_the_page_matches_runs_csv(rzeszow_study: Path) -> None:
    rows = _ok_rows(rzeszow_study)
    assert len(rows) == 3
    checked = check_page_against_runs(rzeszow_study, {"all": rows})
    assert checked >= 100  # tiles + key numbers of ~30 metrics
    html = (rzeszow_study / "report.html").read_text(encoding="utf-8")
    # the methods are named on the page
    assert "Wilson score interval on the counts pooled over the runs" in html
    assert "percentile bootstrap of the mean over runs (4000 resamples, seed 20250919)" in html
    assert "http://" not in html and "https://" not in html


def test_summary_intervals_stay_in_their_domain(rzeszow_study: Path) -> None:
    s = json.loads((rzeszow_study / "summary.json").read_text())
    check_summary_domains(s)
    # the schema and this test agree on the proportions and their counts
    for name, (num, den) in PROPORTIONS.items():
        m = schema.metric(name)
        assert (m.kind, m.numerator, m.denominator) == ("proportion", num, den)
    assert s["metrics"][:len(schema.METRICS)] == [m.name for m in schema.METRICS] or \
        set(m.name for m in schema.METRICS) <= set(s["metrics"])
    assert [m.name for m in schema.headline_metrics()] == HEADLINE


def test_study_where_every_run_failed(tmp_path: Path) -> None:
    sc = tmp_path / "small.yaml"
    sc.write_text(SMALL)
    out = tmp_path / "study"
    run_study(sc, out, 2, workers=1, duration_s=60.0, progress=False,
              sweep=["effectors[gun].count=-1"])
    write_study_report(out)
    s = json.loads((out / "summary.json").read_text())
    assert s["aggregates"] is None and s["runs_ok"] == 0
    assert all(a["n"] == 0 for a in s["sweep"]["points"][0]["aggregates"].values())
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "greater than or equal to 0" in html and "No successful runs at this point" in html
    assert not page_numbers(html)


def test_sweep_numbers_match_runs_csv_per_point(tmp_path: Path) -> None:
    sc = tmp_path / "small.yaml"
    sc.write_text(SMALL)
    out = tmp_path / "study"
    run_study(sc, out, 3, workers=1, duration_s=150.0, progress=False,
              sweep=["effectors[icpt].count=2,8"])
    write_study_report(out)
    s = json.loads((out / "summary.json").read_text())
    assert s["aggregates"] is None and len(s["sweep"]["points"]) == 2
    check_summary_domains(s)
    rows = _ok_rows(out)
    groups = {f"point-{k}": [r for r in rows if r["point"] == str(k)] for k in (0, 1)}
    assert [len(g) for g in groups.values()] == [3, 3]
    assert check_page_against_runs(out, groups) >= 150
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count('class="plot sweep-panel"') >= 4 and "count=2" in html
