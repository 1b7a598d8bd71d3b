"""Study report: one offline HTML page for a Monte-Carlo study directory (docs/study-report.md).

This module prepares plain data for the jinja2 template ``templates/study.html.j2`` (autoescape
on; no HTML is built here). Every number in the headline tiles and the key-numbers tables is a
``summary.json`` aggregate of a metric of the schema (``dronewall.metrics.schema``), shown with
its unit, its 95 % interval and the interval's method; a study with a parameter sweep is shown
per sweep point, never pooled. Maps and plots come from ``study_map`` / ``study_figures``
(shared SVG module ``dronewall.report.svg``); run-0 details from ``runs/run-0000/``.

Every input is optional: what is missing is left out with a note, never an exception.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import jinja2
import numpy as np

from dronewall.errors import DataFormatError, InputError
from dronewall.inputs import check_output_file, excerpt, load_json, write_output_text
from dronewall.inputs.limits import MAX_STUDY_RUNS
from dronewall.metrics import schema
from dronewall.metrics.intervals import METHODS
from dronewall.report.study_figures import (
    WIDE_AFTER,
    Group,
    plot_across_runs,
    plot_air_picture,
    plot_spend,
    plot_sweep,
)
from dronewall.report.study_inputs import Study, load_study, to_float
from dronewall.report.study_map import (
    MAX_DRAWN_TRACKS,
    Run0,
    detail_projection,
    draw_map,
    load_run0,
    overview_projection,
)

#: Rows of the failed-runs table (the rest is counted).
MAX_FAILED_ROWS = 200
#: Short names of the interval methods for table cells (the full ones are in METHODS).
METHOD_SHORT = {"wilson_pooled": "Wilson, pooled counts", "bootstrap_percentile": "bootstrap",
                "none": "–"}

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("dronewall.report", "templates"),
                          autoescape=True, undefined=jinja2.StrictUndefined,
                          trim_blocks=True, lstrip_blocks=True)


def _int(x: Any, default: int = 0) -> int:
    v = to_float(x)
    return int(v) if math.isfinite(v) else default


def _num(value: float | None) -> str:
    """A float as data: the exact value for ``data-value`` attributes (tests read them)."""
    return "" if value is None or not math.isfinite(value) else repr(float(value))


def _number(m: schema.Metric, field: str, value: Any) -> dict[str, str]:
    v = to_float(value)
    fin = math.isfinite(v)
    return {"metric": m.name, "field": field, "value": _num(v if fin else None),
            "text": schema.format_value(m, v if fin else None)}


def _method(a: dict[str, Any]) -> dict[str, str]:
    mid = str(a.get("method") or "")
    if not mid:  # a summary.json written before methods were recorded
        return {"id": "unrecorded", "short": "not recorded",
                "long": "written by an older dronewall: re-run the study for intervals "
                        "that respect each metric's domain"}
    short = METHOD_SHORT.get(mid, mid)
    if mid == "wilson_pooled" and a.get("trials") is not None:
        short = f"{short} {a.get('successes')}/{a.get('trials')}"
    return {"id": mid, "short": short, "long": METHODS.get(mid, mid)}


def _metric_row(m: schema.Metric, a: dict[str, Any]) -> dict[str, Any]:
    return {"metric": m.name, "label": m.label, "meaning": m.meaning,
            "unit": schema.display_unit(m), "kind": m.kind,
            "n": _int(a.get("n")),
            "mean": _number(m, "mean", a.get("mean")),
            "low": _number(m, "ci95_low", a.get("ci95_low")),
            "high": _number(m, "ci95_high", a.get("ci95_high")),
            "median": _number(m, "median", a.get("median")),
            "p10": _number(m, "p10", a.get("p10")), "p90": _number(m, "p90", a.get("p90")),
            "method": _method(a)}


def _has_value(a: Any) -> bool:
    return isinstance(a, dict) and _int(a.get("n")) > 0 and a.get("mean") is not None


def metric_names(st: Study) -> list[str]:
    """The study's metrics: summary.json's list (the runner's column order), else the runs.csv
    columns the schema knows; names the schema does not know are not shown."""
    names = [n for n in (st.summary.get("metrics") or []) if isinstance(n, str)]
    if not names:
        names = schema.column_order(st.columns)
    return [n for n in names if schema.is_metric(n)]


def _short(params: dict[str, Any]) -> str:
    return ", ".join(f"{str(k).rsplit('.', 1)[-1]}={v}" for k, v in params.items())


def groups(st: Study) -> list[Group]:
    """All runs (no sweep) or one group per sweep point, with summary.json's aggregates."""
    sw = st.summary.get("sweep")
    ok = st.ok_rows()
    pts = [p for p in (sw.get("points") or []) if isinstance(p, dict)] \
        if isinstance(sw, dict) else []
    if not pts:
        aggs = st.summary.get("aggregates")
        return [Group("all", "all runs", {}, aggs if isinstance(aggs, dict) else {}, ok,
                      _int(st.summary.get("runs_ok"), len(ok)),
                      len(st.runs) - len(ok))]
    out = []
    for i, p in enumerate(pts):
        params = p.get("params") if isinstance(p.get("params"), dict) else {}
        k = _int(p.get("point"), i)
        rows = [r for r in ok if r.get("point") == str(k)] if "point" in st.columns else \
            [r for r in ok if all(r.get(a) == str(b) for a, b in params.items())]
        aggs = p.get("aggregates")
        out.append(Group(f"point-{k}", _short(params) or f"point {k}", params,
                         aggs if isinstance(aggs, dict) else {}, rows,
                         _int(p.get("runs_ok")), _int(p.get("runs_failed"))))
    return out


def _group_view(g: Group, names: list[str]) -> dict[str, Any]:
    tiles = [_metric_row(m, g.aggregates[m.name]) for m in schema.headline_metrics()
             if m.name in names and _has_value(g.aggregates.get(m.name))]
    rows = [_metric_row(schema.metric(n), g.aggregates[n]) for n in names
            if _has_value(g.aggregates.get(n))]
    return {"key": g.key, "label": g.label, "params": g.params, "runs_ok": g.runs_ok,
            "runs_failed": g.runs_failed, "tiles": tiles, "rows": rows}


def _failed(st: Study) -> tuple[list[dict[str, str]], int]:
    failed = st.summary.get("runs_failed")
    if not isinstance(failed, list):
        failed = [{"run": r.get("run"), "seed": r.get("seed"), "error": r.get("error"),
                   "params": {p: r.get(p) for p in st.sweep_params()}}
                  for r in st.runs if (r.get("status") or "ok") != "ok"]
    rows = []
    for f in failed[:MAX_FAILED_ROWS]:
        f = f if isinstance(f, dict) else {"error": str(f)}
        params = f.get("params") or {}
        ptxt = (", ".join(f"{k} = {v}" for k, v in params.items()) if isinstance(params, dict)
                else str(params))
        rows.append({"run": str(f.get("run", "–")), "seed": str(f.get("seed", "–")),
                     "params": ptxt or "–", "error": str(f.get("error") or "unknown error")})
    return rows, max(0, len(failed) - MAX_FAILED_ROWS)


def _run0_tables(r0: Run0) -> dict[str, list[dict[str, Any]]]:
    eng: list[dict[str, Any]] = []
    eg = r0.engagements
    if eg is not None and "effector_type" in eg and len(eg["result"]):
        n = len(eg["result"])
        shots = np.asarray(eg["shots"], float) if "shots" in eg else np.ones(n)
        cost = np.asarray(eg["cost_eur"], float) if "cost_eur" in eg else np.zeros(n)
        by: dict[str, list[float]] = {}
        for t, r, s, c in zip(eg["effector_type"], eg["result"], shots, cost, strict=True):
            b = by.setdefault(str(t), [0, 0.0, 0, 0, 0.0])
            b[0] += 1
            b[1] += s if np.isfinite(s) else 0.0
            b[2] += str(r) == "kill"
            b[3] += str(r) == "miss"
            b[4] += c if np.isfinite(c) else 0.0
        spend = schema.metric("spend_eur")
        eng = [{"type": k.replace("_", " "), "engagements": v[0], "shots": f"{v[1]:.0f}",
                "kills": v[2], "misses": v[3], "other": v[0] - v[2] - v[3],
                "spend": schema.format_value(spend, v[4])}
               for k, v in sorted(by.items(), key=lambda kv: -kv[1][4])]
    by_z: dict[str, list[int]] = {}
    for v in r0.violations:
        z = f"{v.get('zone_name') or v.get('zone_id')} ({v.get('zone_kind', '')})"
        b = by_z.setdefault(z, [0, 0])
        b[0] += 1
        b[1] += not v.get("identity")
    viol = [{"zone": k, "all": a, "non_cooperative": b}
            for k, (a, b) in sorted(by_z.items(), key=lambda kv: -kv[1][0])]
    return {"engagements": eng, "violations": viol}


def _maps(st: Study, r0: Run0) -> list[dict[str, Any]]:
    ov = overview_projection(st, r0)
    if ov is None:
        return []
    n_tr = len(r0.tracks.lat) if r0.tracks else 0
    drawn = (f"the {MAX_DRAWN_TRACKS} longest of {n_tr} tracks" if n_tr > MAX_DRAWN_TRACKS
             else f"{n_tr} tracks")
    seed = st.runs[0].get("seed", "–") if st.runs else "–"
    common = (f"Zones by kind; sensors with their nominal coverage (dashed footprint per sensor "
              f"type); true paths (grey) and {drawn} coloured by the tracker's final class; "
              f"violation entry points; engagement intercept points (● kill, ○ miss) of run 0, "
              f"seed {seed}.")
    out = [{"svg": draw_map(st, r0, ov, "map", "situation map"), "caption": "Overview. " + common}]
    det = detail_projection(st, r0, ov)
    if det is not None:
        km = det.width * det.m_per_px / 1000, det.height * det.m_per_px / 1000
        out.append({"svg": draw_map(st, r0, det, "map-detail", "defended area", detail=True),
                    "caption": f"Defended area, {km[0]:.0f} km × {km[1]:.0f} km: zones, effector "
                               "sites (■) and where the engagements took place."})
    return out


def _figures(st: Study, gs: list[Group], names: list[str]) -> dict[str, Any]:
    heads = [m for m in schema.headline_metrics() if m.name in names
             and any(_has_value(g.aggregates.get(m.name)) for g in gs)]
    across = [{"metric": m.name, "svg": plot_across_runs(m, gs),
               "caption": f"{m.label} per run ({m.meaning}); black: mean with its 95 % "
                          "interval from summary.json."} for m in heads]
    spend_types = [schema.metric(n) for n in names if schema.SPEND_BY_TYPE.matches(n)
                   and any(_has_value(g.aggregates.get(n)) for g in gs)]
    sweep = []
    params = st.sweep_params()
    for i, m in enumerate(heads):
        s = plot_sweep(m, gs, params, f"plot-sweep-{i}")
        if s is not None:
            sweep.append({"metric": m.name, "svg": s})
    return {"across": across, "across_wide": len(gs) > WIDE_AFTER,
            "spend": plot_spend(spend_types, gs), "sweep": sweep,
            "sweep_x": params[0] if params else "", "sweep_others": params[1:]}


def _meta(st: Study, gs: list[Group], n_failed: int) -> list[tuple[str, str]]:
    sm, sc = st.summary, st.scenario
    tm = sc.get("time") if isinstance(sc.get("time"), dict) else {}
    dur = to_float(tm.get("duration_s"))
    n_ok = _int(sm.get("runs_ok"), len(st.ok_rows()))
    n_req = sm.get("runs_requested", len(st.runs) or n_ok + n_failed)
    runs = f"{n_ok} ok / {n_req} requested" + (f", {n_failed} failed" if n_failed else "")
    meta = [("Scenario date", str(tm.get("start") or "–").replace("+00:00", "Z")),
            ("Simulated", f"{dur / 60:.0f} min" if math.isfinite(dur) else "–"),
            ("Runs", runs)]
    if st.sweep_params():
        meta.append(("Sweep", f"{', '.join(st.sweep_params())} ({len(gs)} points, "
                              f"{sm.get('runs_per_point', '–')} runs each)"))
    meta.append(("Base seed", str(sm.get("base_seed", "–"))))
    workers = f", {sm.get('workers')} workers" if sm.get("workers") else ""
    meta.append(("Backend", f"{sm.get('backend', '–')}{workers}"))
    wall = to_float((sm.get("timing") or {}).get("wall_s"))
    meta.append(("Study wall time", f"{wall:.0f} s" if math.isfinite(wall) else "–"))
    return meta


def study_context(st: Study) -> dict[str, Any]:
    """Everything the template shows, as plain data and SVG Markup."""
    names = metric_names(st)
    gs = groups(st)
    failed, more = _failed(st)
    n_failed = len(st.summary["runs_failed"]) if isinstance(st.summary.get("runs_failed"), list) \
        else sum(1 for r in st.runs if (r.get("status") or "ok") != "ok")
    views = [_group_view(g, names) for g in gs]
    used = sorted({r["method"]["id"] for v in views for r in v["rows"]} - {"none"})
    r0 = load_run0(st)
    air, air_cap = plot_air_picture(st, r0)
    desc = str(st.scenario.get("description") or "").strip()
    return {
        "title": st.summary.get("scenario") or st.scenario.get("name") or st.dir.name,
        "description": desc.replace("://", ":\u200b//"),  # a URL in text is never a link
        "meta": _meta(st, gs, n_failed), "sweep": bool(st.sweep_params()),
        "sweep_params": st.sweep_params(), "groups": views,
        "methods": [{"id": k, "short": METHOD_SHORT.get(k, k),
                     "long": METHODS.get(k, "not recorded in summary.json (older study)")}
                    for k in used],
        "maps": _maps(st, r0), "map_notes": r0.notes, "run0": _run0_tables(r0),
        "air_picture": air, "air_caption": air_cap, "figures": _figures(st, gs, names),
        "failed": failed, "failed_more": more, "n_failed": n_failed, "dir_name": st.dir.name,
    }


def render_study_html(st: Study) -> str:
    return _ENV.get_template("study.html.j2").render(**study_context(st))


#: Keys every study summary.json has (``pipeline.study.runner``); a folder whose summary.json
#: lacks them is not a study (e.g. the output of a single ``simulate`` run).
STUDY_SUMMARY_KEYS = ("runs_per_point", "runs_requested", "metrics")
#: How an existing study report is recognised before it is replaced (its <title> ends so).
REPORT_TITLE_MARK = "Monte-Carlo study report</title>"


def check_study_dir(study_dir: Path) -> None:
    """InputError unless ``study_dir`` holds a finished study (its summary.json)."""
    d = Path(study_dir)
    hint = "expected the output folder of 'dronewall simulate SCENARIO --runs N --out DIR'"
    if not d.is_dir():
        raise InputError(f"{d}: not a folder; {hint}")
    sj = d / "summary.json"
    if not sj.is_file():
        why = "no summary.json"
        if (d / "partial-summary.json").is_file():
            why += " (partial-summary.json: the study was interrupted before it finished)"
        elif (d / ".dronewall-incomplete").exists():
            why += " (the run in it is still going or was killed before it finished)"
        raise InputError(f"{d}: {why}; {hint}")
    try:
        summary = load_json(sj, "study summary")
    except DataFormatError as e:
        raise InputError(f"{e}; {hint}") from None
    if not isinstance(summary, dict) or not all(k in summary for k in STUDY_SUMMARY_KEYS):
        raise InputError(f"{sj}: not the summary of a study (no "
                         f"{', '.join(STUDY_SUMMARY_KEYS)}); {hint}")
    for k in ("runs_per_point", "runs_requested"):   # the page counts and divides by them
        v = summary[k]
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_STUDY_RUNS:
            raise InputError(f"{sj}: field '{k}': got {excerpt(v)}; expected an integer from 1 "
                             f"to {MAX_STUDY_RUNS:,} (docs/limits.md)")
    names = summary["metrics"]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InputError(f"{sj}: field 'metrics': got {excerpt(names)}; expected a list of "
                         "metric names")


def _check_report_target(out: Path) -> None:
    """Never overwrite a file that is not a study report written by dronewall."""
    check_output_file(out)
    if out.is_file():
        try:
            with out.open("rb") as f:
                head = f.read(4096).decode("utf-8", "replace")
        except OSError:
            head = ""
        if REPORT_TITLE_MARK not in head:
            raise InputError(f"--out {out}: exists and is not a dronewall study report; refusing "
                             "to overwrite it (remove it or choose another path)")


def write_study_report(study_dir: Path, out: Path | None = None) -> Path:
    """Write the offline HTML report of a Monte-Carlo study directory; return its path.

    ``out`` defaults to ``study_dir / "report.html"``. The folder must hold a finished study
    (InputError otherwise) and ``out`` is replaced only if it is an earlier study report.
    Missing inputs are left out of the page with a note.
    """
    check_study_dir(Path(study_dir))
    out = Path(out) if out is not None else Path(study_dir) / "report.html"
    _check_report_target(out)
    st = load_study(Path(study_dir))
    write_output_text(out, render_study_html(st))
    return out
