"""Plots of the study report, drawn with the shared SVG module (``dronewall.report.svg``).

Per-run dots come from ``runs.csv``; every mean and interval drawn comes from the ``summary.json``
aggregates (the same numbers as the tables), so a figure never shows an interval the tables do
not. Sweep points are separate groups, never pooled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from markupsafe import Markup

from dronewall.metrics.schema import Metric, format_value
from dronewall.report import svg
from dronewall.report.study_inputs import Study, read_columns, to_float
from dronewall.report.study_map import CLASS_COLOURS, CLASS_LABELS, CLASS_ORDER, Run0, inline_svg

FIG_W = 960
HALF_W = 470
#: Time series are resampled to at most this many instants.
SERIES_MAX_POINTS = 400
THREAT_CLASSES = ("attack_drone", "decoy", "recon_uav")


@dataclass
class Group:
    """One group of runs aggregated together: the whole study without a sweep, else one sweep
    point. ``aggregates`` are summary.json's; ``rows`` the runs.csv rows of its successful
    runs."""

    key: str  # "all" or "point-<k>"
    label: str
    params: dict[str, Any]
    aggregates: dict[str, Any]
    rows: list[dict[str, str]]
    runs_ok: int
    runs_failed: int


#: Room above the highest value of a plot, as a fraction of it (dots on the frame are hard to
#: read).
HEADROOM = 0.08


def axis_for(m: Metric, values: np.ndarray | None = None) -> svg.Axis:
    """The y axis of a metric: proportions 0-100 %, counts and non-negative quantities from 0;
    ``values`` (everything drawn) give some headroom above the highest one."""
    if m.kind == "proportion":
        return svg.Axis.proportion(m.label)
    v = np.asarray(values if values is not None else [], dtype=np.float64)
    v = v[np.isfinite(v)]
    top = float(v.max()) if v.size else np.nan
    lo = float(v.min()) if v.size else np.nan
    hi = top + HEADROOM * (top - min(lo, 0.0)) if v.size and top > 0 else None
    non_negative = m.lower is not None
    low = lo - HEADROOM * (top - lo) if v.size and not non_negative and top > lo else None
    return svg.Axis(m.label, "" if m.unit in ("1", "count") else m.unit, lo=low, hi=hi,
                    domain=(0.0, None) if non_negative else (None, None),
                    include_zero=non_negative)


def _agg(a: dict[str, Any] | None, key: str) -> float:
    return to_float((a or {}).get(key))


#: More sweep points than this: the across-runs plots take the full page width.
WIDE_AFTER = 3


def _categories(groups: list[Group]) -> tuple[str, list[str]]:
    """(axis title, one short label per group): the sweep values only ("8 · planner"), the
    axis title naming the parameters; "all runs" without a sweep."""
    if len(groups) == 1 and not groups[0].params:
        return "", [groups[0].label]
    names = [str(k).rsplit(".", 1)[-1] for k in groups[0].params]
    return " · ".join(names), [" · ".join(str(v) for v in g.params.values()) or g.label
                               for g in groups]


def plot_across_runs(m: Metric, groups: list[Group]) -> Markup:
    """Per-run values (dots) of each group, and the group's mean with its interval (black
    marker and bar), from the aggregates."""
    title, names = _categories(groups)
    runs = [np.array([to_float(r.get(m.name)) for r in g.rows]) for g in groups]
    mean = np.array([_agg(g.aggregates.get(m.name), "mean") for g in groups])
    lo = np.array([_agg(g.aggregates.get(m.name), "ci95_low") for g in groups])
    hi = np.array([_agg(g.aggregates.get(m.name), "ci95_high") for g in groups])
    p = svg.Plot(svg.Axis.category(title, names),
                 axis_for(m, np.concatenate([*runs, mean, lo, hi])),
                 width=FIG_W if len(groups) > WIDE_AFTER else HALF_W, height=250,
                 ident=f"plot-{m.name}", css_class="plot across-runs")
    for i, v in enumerate(runs):
        p.strip(v, x=i - 0.12, spread=0.16, colour=svg.PALETTE[0], seed=i,
                label="runs" if i == 0 else None)
    xs = np.arange(len(groups), dtype=float) + 0.25
    tips = [f"{g.label}: mean {format_value(m, a)} (95 % CI {format_value(m, b)} – "
            f"{format_value(m, c)})" for g, a, b, c in zip(groups, mean, lo, hi, strict=True)]
    p.points(xs, mean, y_lo=lo, y_hi=hi, colour=svg.INK, r=4.0, label="mean, 95 % CI",
             titles=tips, css_class="mean-ci")
    return inline_svg(p.render())


def plot_spend(types: list[Metric], groups: list[Group]) -> Markup | None:
    """Mean spend per run by effector type (bars, one colour per group) with interval bars."""
    if not types:
        return None
    names = [t.label.removeprefix("Spend: ") for t in types]
    p = svg.Plot(svg.Axis.category("effector type", names),
                 svg.Axis.quantity("mean spend per run", "EUR", include_zero=True),
                 width=FIG_W, height=280, ident="plot-spend", css_class="plot spend")
    k = len(groups)
    w = 0.8 / k
    for j, g in enumerate(groups):
        x = np.arange(len(types)) - 0.4 + w * (j + 0.5)
        mean = np.array([_agg(g.aggregates.get(t.name), "mean") for t in types])
        lo = np.array([_agg(g.aggregates.get(t.name), "ci95_low") for t in types])
        hi = np.array([_agg(g.aggregates.get(t.name), "ci95_high") for t in types])
        col = svg.PALETTE[j % len(svg.PALETTE)]
        p.bars(x, np.nan_to_num(mean), width=w * 0.9, colour=col,
               label=g.label if k > 1 else "mean per run")
        p.points(x, mean, y_lo=lo, y_hi=hi, colour=svg.INK, r=1.5,
                 label="95 % CI" if j == 0 else None,
                 titles=[f"{g.label}, {t.label}: {format_value(t, a)}"
                         for t, a in zip(types, mean, strict=True)], css_class="spend-ci")
    return inline_svg(p.render())


def plot_sweep(m: Metric, groups: list[Group], params: list[str], ident: str) -> Markup | None:
    """Mean with interval error bars against the first sweep parameter, one line per value of
    the other parameters."""
    if not params or len(groups) < 2:
        return None
    xp, others = params[0], params[1:]
    xs_raw = [g.params.get(xp) for g in groups]
    numeric = all(np.isfinite(to_float(x)) and not isinstance(x, bool) for x in xs_raw)
    cats = list(dict.fromkeys(str(x) for x in xs_raw))
    if numeric:  # a margin on both sides, so the end points and their bars are not on the frame
        xv = [to_float(x) for x in xs_raw]
        pad = 0.06 * max(max(xv) - min(xv), 1.0)
        xa = svg.Axis(xp, lo=min(xv) - pad, hi=max(xv) + pad, n_ticks=min(len(cats) + 1, 6))
    else:
        xa = svg.Axis.category(xp, cats)

    def xval(x: Any) -> float:
        return to_float(x) if numeric else float(cats.index(str(x)))

    lines: dict[str, list[Group]] = {}
    for g in groups:
        lines.setdefault(", ".join(f"{k}={g.params.get(k)}" for k in others), []).append(g)
    drawn = np.array([_agg(g.aggregates.get(m.name), k) for g in groups
                      for k in ("mean", "ci95_low", "ci95_high")])
    p = svg.Plot(xa, axis_for(m, drawn), width=HALF_W, height=250, ident=ident,
                 css_class="plot sweep-panel")
    any_value = False
    for i, (name, gs) in enumerate(lines.items()):
        gs = sorted(gs, key=lambda g: xval(g.params.get(xp)))
        x = np.array([xval(g.params.get(xp)) for g in gs])
        a = [g.aggregates.get(m.name) for g in gs]
        mean = np.array([_agg(v, "mean") for v in a])
        any_value |= bool(np.isfinite(mean).any())
        col = svg.PALETTE[i % len(svg.PALETTE)]
        p.line(x, mean, colour=col, label=name or None)
        p.points(x, mean, y_lo=[_agg(v, "ci95_low") for v in a],
                 y_hi=[_agg(v, "ci95_high") for v in a], colour=col, r=3.5,
                 titles=[f"{g.label}: {format_value(m, v)}" for g, v in zip(gs, mean, strict=True)])
    return inline_svg(p.render()) if any_value else None


def _start_epoch(st: Study) -> float:
    tm = st.scenario.get("time") if isinstance(st.scenario.get("time"), dict) else {}
    try:
        return datetime.fromisoformat(str(tm.get("start")).replace("Z", "+00:00")).timestamp()
    except (TypeError, ValueError):
        return 0.0


def plot_air_picture(st: Study, r0: Run0) -> tuple[Markup | None, str]:
    """Confirmed tracks alive in run 0 by the tracker's current class, the true number of
    threat platforms airborne (dashed) and the kills (crosses on the time axis), UTC."""
    tr = read_columns(st.run0 / "tracks.csv", ["t_s", "track_id", "class"])
    if not tr or "t_s" not in tr or len(tr["t_s"]) == 0:
        return None, "Run 0 has no tracks."
    t0 = _start_epoch(st)
    t = np.asarray(tr["t_s"], dtype=np.float64)
    cls = (np.asarray([str(c) if c is not None else "unknown" for c in tr["class"]])
           if "class" in tr else np.full(t.size, "unknown"))
    tu, ti = np.unique(t, return_inverse=True)
    present = [c for c in CLASS_ORDER if (cls == c).any()]
    present += sorted(set(np.unique(cls).tolist()) - set(present))
    k = svg.core.thin(tu.size, SERIES_MAX_POINTS)
    p = svg.Plot(svg.Axis.utc("time"), svg.Axis.count("confirmed tracks"), width=FIG_W,
                 height=280, ident="plot-threats", css_class="plot air-picture")
    for c in present:
        n = np.bincount(ti[cls == c], minlength=tu.size).astype(float)
        p.step(t0 + tu[k], n[k], colour=CLASS_COLOURS.get(c, "#95a5a6"),
               label=f"tracks: {CLASS_LABELS.get(c, c)}")
    cap = ["Confirmed tracks alive in run 0 by the tracker's current class"]
    tt = read_columns(st.run0 / "truth.csv", ["t_s", "platform_id"])
    pl = read_columns(st.run0 / "platforms.csv", ["platform_id", "class"])
    if tt and pl and {"t_s", "platform_id"} <= set(tt) and {"platform_id", "class"} <= set(pl) \
            and len(tt["t_s"]):
        threat = {str(a) for a, c in zip(pl["platform_id"], pl["class"], strict=True)
                  if str(c) in THREAT_CLASSES}
        sel = np.isin(np.asarray([str(x) for x in tt["platform_id"]]), sorted(threat))
        tt_t = np.asarray(tt["t_s"], dtype=np.float64)
        tu2, n2 = np.unique(tt_t[sel], return_counts=True)
        full = np.zeros(tu.size)
        if tu2.size:
            at = np.searchsorted(tu, tu2)
            ok = (at < tu.size) & (tu[np.minimum(at, tu.size - 1)] == tu2)
            full[at[ok]] = n2[ok]
        p.line(t0 + tu[k], full[k], colour=svg.INK, dash="6 3",
               label="true threats airborne")
        cap.append("the true number of threat platforms (attack drones, decoys, recon UAVs) "
                   "airborne (dashed)")
    eg = r0.engagements
    if eg is not None and len(eg["result"]):
        tcol = next((c for c in ("t_resolved_s", "t_intercept_s", "t_s") if c in eg), None)
        kills = np.asarray([str(r) == "kill" for r in eg["result"]], dtype=bool)
        if tcol is not None and kills.any():
            kt = np.asarray(eg[tcol], dtype=np.float64)[kills]
            kt = kt[np.isfinite(kt)]
            p.points(t0 + kt, np.zeros(kt.size), colour="#000000", r=2.5,
                     label="kill", css_class="kill")
            cap.append(f"{kt.size} kills (dots on the time axis)")
    return inline_svg(p.render()), "; ".join(cap) + "."
