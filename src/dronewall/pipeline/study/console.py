"""Console summary of a study: runs, failures, the schema's headline metrics with their
confidence intervals (per sweep point when the study has a sweep), files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dronewall.metrics.intervals import METHODS
from dronewall.metrics.schema import Metric, format_value, headline_metrics
from dronewall.pipeline.study.runner import StudyResult

#: What an operator or analyst wants first: violations, leakers, kills, spend, cost-exchange;
#: the other headline metrics follow in schema order.
CONSOLE_LEAD = ("violation_episodes_true", "violation_episodes_reported", "leakers",
                "neutralised", "one_way_neutralised_rate", "one_way_in_flight", "spend_eur",
                "cost_exchange_ratio")


def console_order() -> list[Metric]:
    """Headline metrics in console order (:data:`CONSOLE_LEAD` first)."""
    heads = headline_metrics()
    lead = [m for name in CONSOLE_LEAD for m in heads if m.name == name]
    return lead + [m for m in heads if m.name not in CONSOLE_LEAD]


def _headlines(c: Any, aggs: dict[str, Any], indent: str) -> set[str]:
    used = set()
    for m in console_order():
        a = aggs.get(m.name)
        if not a or a.get("mean") is None or not a.get("n"):
            continue
        lo, hi = a.get("ci95_low"), a.get("ci95_high")
        ci = (f" (95 % CI {format_value(m, lo)} .. {format_value(m, hi)})"
              if lo is not None and hi is not None else "")
        c.print(f"{indent}{m.label}: {format_value(m, a['mean'])}{ci}, n={a['n']}",
                highlight=False)
        used.add(str(a.get("method")))
    return used


def print_study(res: StudyResult, report: Path | None = None, console: Any = None) -> None:
    """Console summary of a study: runs, failures, headline means with 95 % CIs, files."""
    from rich.console import Console
    from rich.markup import escape

    c = console or Console()
    s = res.summary
    c.print(f"[bold]study[/bold] {escape(str(s.get('scenario', '')))}: {s.get('runs_ok', 0)} of "
            f"{s.get('runs_requested', 0)} runs ok, backend {s.get('backend')} "
            f"x{s.get('workers')}")
    for f in res.failures[:10]:
        c.print(f"  [red]run {f.get('run')} failed[/red] "
                f"({escape(str(f.get('params') or ''))}): {escape(str(f.get('error')))}",
                highlight=False)
    methods: set[str] = set()
    if res.sweep:
        for p in res.sweep.get("points", []):
            where = ", ".join(f"{k}={v}" for k, v in p["params"].items())
            c.print(f"  [bold]{escape(where)}[/bold]: {p['runs_ok']} runs ok", highlight=False)
            methods |= _headlines(c, p.get("aggregates") or {}, "    ")
    else:
        methods |= _headlines(c, res.aggregates, "  ")
    for k in sorted(methods - {"none"}):
        c.print(f"  [dim]CI: {k} = {METHODS.get(k, k)}[/dim]", highlight=False)
    c.print(f"  runs.csv, summary.json -> {res.out_dir}")
    if report is not None:
        c.print(f"  report -> {report}")
