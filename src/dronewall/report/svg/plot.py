"""Plots: axes with nice ticks, units in the axis titles, UTC time axes; line, step, points with
error bars, bars, histogram, strip; reference bands and lines; a legend row.

A ``Plot`` collects layers and draws them in ``render()``, when all data ranges are known. Axis
ranges come from the data unless fixed, are widened to nice ticks, and never leave the axis's
``domain`` (a proportion stays within 0-1, an altitude or a count never goes below 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from markupsafe import Markup

from dronewall.report.svg.core import (
    GRID,
    INK,
    MUTED,
    PALETTE,
    el,
    join,
    nice_range,
    nice_step,
    nice_ticks,
    num,
    path_d,
    svg_root,
    text_width,
    thin,
    tick_label,
    unit_title,
    utc_ticks,
    utc_title,
)

#: Polylines are thinned to at most this many vertices (evenly spaced samples, ends kept).
MAX_LINE_POINTS = 800
TICK_FONT, TITLE_FONT = 11.0, 12.0


@dataclass(frozen=True)
class Axis:
    """One plot axis.

    kind: ``linear`` (values in ``unit``), ``utc`` (values are Unix epoch seconds; ticks are UTC
    clock times, the title carries the date) or ``category`` (values are indices into
    ``categories``). ``lo``/``hi`` fix the view; otherwise it is the data range widened to nice
    ticks, clamped to ``domain``. ``percent``: values are fractions 0-1, ticks and title in %.
    """

    label: str
    unit: str = ""
    kind: Literal["linear", "utc", "category"] = "linear"
    lo: float | None = None
    hi: float | None = None
    domain: tuple[float | None, float | None] = (None, None)
    include_zero: bool = False
    percent: bool = False
    categories: tuple[str, ...] = ()
    n_ticks: int = 5

    @classmethod
    def utc(cls, label: str = "time", lo: float | None = None, hi: float | None = None) -> Axis:
        return cls(label, kind="utc", lo=lo, hi=hi, n_ticks=6)

    @classmethod
    def proportion(cls, label: str, percent: bool = True) -> Axis:
        """A probability or rate: always the whole 0-1 (0-100 %) range."""
        return cls(label, lo=0.0, hi=1.0, domain=(0.0, 1.0), percent=percent)

    @classmethod
    def quantity(cls, label: str, unit: str, non_negative: bool = True,
                 include_zero: bool = False) -> Axis:
        """A physical quantity (altitude m, speed m/s, depth km, ...)."""
        return cls(label, unit, domain=(0.0, None) if non_negative else (None, None),
                   include_zero=include_zero)

    @classmethod
    def count(cls, label: str) -> Axis:
        return cls(label, domain=(0.0, None), include_zero=True)

    @classmethod
    def category(cls, label: str, names: list[str] | tuple[str, ...]) -> Axis:
        return cls(label, kind="category", categories=tuple(str(n) for n in names))

    def title(self, lo: float, hi: float) -> str:
        if self.kind == "utc":
            return utc_title(lo, hi, self.label)
        return unit_title(self.label, self.unit, self.percent)

    def view(self, data_lo: float, data_hi: float) -> tuple[float, float]:
        """The plotted range for data spanning [data_lo, data_hi] (NaN when there is no data)."""
        if self.kind == "category":
            return -0.5, max(len(self.categories), 1) - 0.5
        lo = self.lo if self.lo is not None else data_lo
        hi = self.hi if self.hi is not None else data_hi
        if not (np.isfinite(lo) and np.isfinite(hi)):
            lo, hi = (0.0, 1.0) if self.kind != "utc" else (0.0, 60.0)
        if self.include_zero:
            lo, hi = min(lo, 0.0), max(hi, 0.0)
        if self.kind == "utc":
            return (lo, hi) if hi > lo else (lo - 30.0, hi + 30.0)
        if self.lo is None or self.hi is None:
            nlo, nhi = nice_range(lo, hi, self.n_ticks)
            lo = self.lo if self.lo is not None else nlo
            hi = self.hi if self.hi is not None else nhi
        dlo, dhi = self.domain
        if dlo is not None:
            lo = max(lo, dlo)
        if dhi is not None:
            hi = min(hi, dhi)
        if hi <= lo:
            hi = lo + 1.0
        return float(lo), float(hi)

    def ticks(self, lo: float, hi: float) -> list[tuple[float, str]]:
        if self.kind == "utc":
            return utc_ticks(lo, hi, self.n_ticks)
        if self.kind == "category":
            return [(float(i), c) for i, c in enumerate(self.categories)]
        vals = nice_ticks(lo, hi, self.n_ticks)
        st = float(vals[1] - vals[0]) if vals.size > 1 else nice_step(hi - lo, self.n_ticks)
        return [(float(v), tick_label(float(v), st, self.percent)) for v in vals]


@dataclass
class _Layer:
    kind: str
    x: np.ndarray
    y: np.ndarray
    style: dict[str, object] = field(default_factory=dict)


def _arr(v: object) -> np.ndarray:
    return np.asarray(v, dtype=np.float64).ravel()


class Plot:
    """A 2-D plot; add layers, then ``render()`` returns the SVG as Markup.

    ``x``/``y`` are Axis objects. ``ident`` becomes the svg ``id``; ``title`` is drawn top left.
    Colours default to PALETTE in the order layers are added.
    """

    def __init__(self, x: Axis, y: Axis, *, width: int = 640, height: int = 220, title: str = "",
                 ident: str | None = None, css_class: str = "plot") -> None:
        self.xa, self.ya = x, y
        self.width, self.height = width, height
        self.title, self.ident, self.css_class = title, ident, css_class
        self.layers: list[_Layer] = []
        self.legend: list[tuple[str, str, str]] = []  # (symbol kind, colour, label)
        self._n_colours = 0

    # -- layers ---------------------------------------------------------------------------------

    def _colour(self, colour: str | None) -> str:
        if colour:
            return colour
        c = PALETTE[self._n_colours % len(PALETTE)]
        self._n_colours += 1
        return c

    def _add(self, kind: str, x: object, y: object, label: str | None, sym: str,
             **style: object) -> Plot:
        style["colour"] = self._colour(style.get("colour"))  # type: ignore[arg-type]
        self.layers.append(_Layer(kind, _arr(x), _arr(y), style))
        if label:
            self.legend.append((sym, str(style["colour"]), label))
        return self

    def line(self, x: object, y: object, *, colour: str | None = None, width: float = 1.6,
             dash: str | None = None, label: str | None = None, css_class: str = "series") -> Plot:
        """A polyline; NaN values break it."""
        return self._add("line", x, y, label, "line", colour=colour, width=width, dash=dash,
                         css_class=css_class)

    def step(self, x: object, y: object, *, colour: str | None = None, width: float = 1.6,
             label: str | None = None, css_class: str = "series") -> Plot:
        """A step function: y[i] holds from x[i] to x[i+1] (counts, states)."""
        x, y = _arr(x), _arr(y)
        if x.size:
            xs = np.repeat(x, 2)[1:]
            ys = np.repeat(y, 2)[:-1]
            x, y = xs, ys
        return self._add("line", x, y, label, "line", colour=colour, width=width, dash=None,
                         css_class=css_class)

    def points(self, x: object, y: object, *, y_lo: object = None, y_hi: object = None,
               colour: str | None = None, r: float = 3.0, label: str | None = None,
               titles: list[str] | None = None, css_class: str = "points") -> Plot:
        """Markers, with vertical error bars from ``y_lo`` to ``y_hi`` (absolute values) if given;
        ``titles`` become hover tooltips."""
        n = _arr(x).size
        lo = _arr(y_lo) if y_lo is not None else np.full(n, np.nan)
        hi = _arr(y_hi) if y_hi is not None else np.full(n, np.nan)
        return self._add("points", x, y, label, "dot", colour=colour, r=r, lo=lo, hi=hi,
                         titles=titles, css_class=css_class)

    def bars(self, x: object, height: object, *, width: object = None, base: float = 0.0,
             colour: str | None = None, label: str | None = None, css_class: str = "bar") -> Plot:
        """Bars centred on ``x`` of ``width`` data units (default 0.8 of the smallest spacing)."""
        x, h = _arr(x), _arr(height)
        if width is None:
            d = np.diff(np.unique(x))
            width = 0.8 * (float(d.min()) if d.size else 1.0)
        w = np.broadcast_to(_arr(width), x.shape).copy()
        return self._add("bars", x, h, label, "rect", colour=colour, w=w, base=base,
                         css_class=css_class)

    def hist(self, values: object, *, edges: object = None, colour: str | None = None,
             label: str | None = None, css_class: str = "bar") -> Plot:
        """Histogram of the finite ``values``: nice bin edges unless given; y is a count."""
        v = _arr(values)
        v = v[np.isfinite(v)]
        if edges is None:
            if v.size == 0:
                return self
            lo, hi = float(v.min()), float(v.max())
            if hi - lo < 1e-9:
                lo, hi = lo - 0.5, hi + 0.5
            st = nice_step(hi - lo, int(np.clip(np.ceil(np.sqrt(v.size)) + 2, 5, 30)))
            e = np.arange(np.floor(lo / st) * st, hi + st, st)
        else:
            e = _arr(edges)
        cnt, _ = np.histogram(v, e)
        return self.bars((e[:-1] + e[1:]) / 2, cnt, width=np.diff(e) * 0.96, colour=colour,
                         label=label, css_class=css_class)

    def strip(self, values: object, *, x: float = 0.0, spread: float = 0.3,
              colour: str | None = None, label: str | None = None, seed: int = 0) -> Plot:
        """One dot per value at ``x`` with a fixed-seed jitter of ±spread (reproducible bytes)."""
        v = _arr(values)
        v = v[np.isfinite(v)]
        jit = np.random.default_rng(seed).uniform(-spread, spread, v.size)
        return self.points(x + jit, v, colour=colour, r=2.8, label=label, css_class="strip")

    def band(self, x0: float, x1: float, *, colour: str = "#c0392b", opacity: float = 0.12,
             label: str | None = None) -> Plot:
        """A shaded vertical band from x0 to x1 (e.g. the time inside a zone)."""
        return self._add("band", [x0, x1], [np.nan, np.nan], label, "band", colour=colour,
                         opacity=opacity)

    def hline(self, y: float, *, colour: str = INK, dash: str = "5 3", label: str | None = None,
              text: str = "") -> Plot:
        return self._add("hline", [np.nan], [y], label, "line", colour=colour, dash=dash, text=text)

    def vline(self, x: float, *, colour: str = INK, dash: str = "5 3", label: str | None = None,
              text: str = "") -> Plot:
        return self._add("vline", [x], [np.nan], label, "line", colour=colour, dash=dash, text=text)

    # -- drawing --------------------------------------------------------------------------------

    def _data_range(self) -> tuple[float, float, float, float]:
        xs, ys = [np.zeros(0)], [np.zeros(0)]
        for ly in self.layers:
            xs.append(ly.x)
            ys.append(ly.y)
            if ly.kind == "bars":
                w = np.asarray(ly.style["w"], float)
                xs += [ly.x - w / 2, ly.x + w / 2]
                ys.append(np.array([float(ly.style["base"])]))  # type: ignore[arg-type]
            if ly.kind == "points":
                ys += [np.asarray(ly.style["lo"], float), np.asarray(ly.style["hi"], float)]
        x, y = np.concatenate(xs), np.concatenate(ys)
        x, y = x[np.isfinite(x)], y[np.isfinite(y)]
        return (float(x.min()) if x.size else np.nan, float(x.max()) if x.size else np.nan,
                float(y.min()) if y.size else np.nan, float(y.max()) if y.size else np.nan)

    def render(self) -> Markup:
        dx0, dx1, dy0, dy1 = self._data_range()
        x0, x1 = self.xa.view(dx0, dx1)
        y0, y1 = self.ya.view(dy0, dy1)
        yt = self.ya.ticks(y0, y1)
        xt = self.xa.ticks(x0, x1)
        left = int(max([text_width(s, TICK_FONT) for _, s in yt] + [10]) + 16)
        right = 16
        legend, legend_h = self._legend(left)
        top = 26 + legend_h
        bottom = 40
        w, h = self.width, self.height + legend_h
        pw, ph = w - left - right, h - top - bottom

        def X(v: np.ndarray | float) -> np.ndarray:
            return left + (np.asarray(v, float) - x0) / (x1 - x0) * pw

        def Y(v: np.ndarray | float) -> np.ndarray:
            return top + ph - (np.asarray(v, float) - y0) / (y1 - y0) * ph

        out: list[Markup] = []
        for v, lab in yt:
            py = float(Y(v))
            out.append(el("line", x1=float(left), x2=float(left + pw), y1=py, y2=py, stroke=GRID))
            out.append(el("text", lab, x=float(left - 6), y=py + 4, font_size=TICK_FONT,
                          text_anchor="end", fill=MUTED))
        for v, lab in xt:
            px = float(X(v))
            if px < left - 0.5 or px > left + pw + 0.5:
                continue
            out.append(el("line", x1=px, x2=px, y1=float(top + ph), y2=float(top + ph + 4),
                          stroke=MUTED))
            out.append(el("text", lab, x=px, y=float(top + ph + 16), font_size=TICK_FONT,
                          text_anchor="middle", fill=MUTED))
        body = [self._draw(ly, X, Y, left, top, ph) for ly in self.layers]
        area = el("svg", *body, x=float(left), y=float(top), width=float(pw), height=float(ph),
                  viewBox=f"{num(left)} {num(top)} {num(pw)} {num(ph)}", overflow="hidden")
        out.append(area)
        out.append(el("path", d=f"M{left},{top} L{left},{top + ph} L{left + pw},{top + ph}",
                      fill="none", stroke=INK))
        out.append(el("text", self.xa.title(x0, x1), class_="axis-title x", x=left + pw / 2,
                      y=float(h - 6), font_size=TITLE_FONT, text_anchor="middle", fill=INK))
        out.append(el("text", self.ya.title(y0, y1), class_="axis-title y", x=float(left),
                      y=float(top - 8), font_size=TITLE_FONT, fill=INK))
        if self.title:
            out.append(el("text", self.title, class_="plot-title", x=float(w - right),
                          y=float(top - 8), font_size=12.5, font_weight="700",
                          text_anchor="end", fill=INK))
        return svg_root(w, h, legend, *out, ident=self.ident, css_class=self.css_class,
                        label=self.title or self.ya.label)

    def _draw(self, ly: _Layer, X, Y, left: float, top: float, ph: float) -> Markup:  # noqa: ANN001
        s = ly.style
        col = str(s["colour"])
        if ly.kind == "line":
            ok = np.isfinite(ly.x) & np.isfinite(ly.y)
            runs = np.flatnonzero(np.diff(np.r_[0, ok.astype(np.int8), 0]))
            parts = []
            for a, b in zip(runs[::2], runs[1::2], strict=False):
                k = a + thin(int(b - a), MAX_LINE_POINTS)
                parts.append(path_d(X(ly.x[k]), Y(ly.y[k])))
            return el("path", class_=s["css_class"], d=" ".join(p for p in parts if p),
                      fill="none", stroke=col, stroke_width=float(s["width"]),  # type: ignore[arg-type]
                      stroke_dasharray=s["dash"], stroke_linejoin="round")
        if ly.kind == "points":
            out = []
            titles = s.get("titles") or []
            lo, hi = np.asarray(s["lo"], float), np.asarray(s["hi"], float)
            for i, (a, b) in enumerate(zip(ly.x, ly.y, strict=False)):
                if not (np.isfinite(a) and np.isfinite(b)):
                    continue
                px, py = float(X(a)), float(Y(b))
                if np.isfinite(lo[i]) and np.isfinite(hi[i]):
                    ya, yb = float(Y(lo[i])), float(Y(hi[i]))
                    out.append(el("path", class_="errorbar", d=f"M{num(px)},{num(ya)} L{num(px)},"
                                  f"{num(yb)} M{num(px - 4)},{num(ya)} L{num(px + 4)},{num(ya)} "
                                  f"M{num(px - 4)},{num(yb)} L{num(px + 4)},{num(yb)}",
                                  stroke=col, stroke_width=1.3, fill="none"))
                tip = el("title", titles[i]) if i < len(titles) else None
                out.append(el("circle", tip, class_=s["css_class"], cx=px, cy=py,
                              r=float(s["r"]), fill=col, fill_opacity=0.8,  # type: ignore[arg-type]
                              stroke="#fff", stroke_width=0.6))
            return join(out)
        if ly.kind == "bars":
            out = []
            base = float(s["base"])  # type: ignore[arg-type]
            for a, hgt, wd in zip(ly.x, ly.y, np.asarray(s["w"], float), strict=False):
                if not (np.isfinite(a) and np.isfinite(hgt)) or hgt == base:
                    continue
                xa, xb = float(X(a - wd / 2)), float(X(a + wd / 2))
                ya, yb = float(Y(max(hgt, base))), float(Y(min(hgt, base)))
                out.append(el("rect", class_=s["css_class"], x=xa, y=ya, width=max(xb - xa, 1.0),
                              height=max(yb - ya, 0.5), fill=col, fill_opacity=0.8))
            return join(out)
        if ly.kind == "band":
            a, b = float(X(ly.x[0])), float(X(ly.x[1]))
            return el("rect", class_="band", x=min(a, b), y=float(top), width=abs(b - a),
                      height=float(ph), fill=col, fill_opacity=float(s["opacity"]))  # type: ignore[arg-type]
        if ly.kind == "hline":
            py = float(Y(ly.y[0]))
            return join([el("line", class_="ref", x1=-1e4, x2=1e4, y1=py, y2=py, stroke=col,
                            stroke_dasharray=s["dash"], stroke_width=1.2),
                         el("text", s["text"], x=float(left + 4), y=py - 3,
                            font_size=10.5, fill=col) if s["text"] else None])
        if ly.kind == "vline":
            px = float(X(ly.x[0]))
            txt = el("text", s["text"], x=px + 3, y=float(top + 11), font_size=10.5,
                     fill=col) if s["text"] else None
            return join([el("line", class_="ref", x1=px, x2=px, y1=float(top),
                            y2=float(top + ph), stroke=col, stroke_dasharray=s["dash"],
                            stroke_width=1.2)] + ([txt] if txt else []))
        raise ValueError(f"unknown layer kind {ly.kind}")

    def _legend(self, left: int) -> tuple[Markup, int]:
        if not self.legend:
            return Markup(""), 0
        items, x, y = [], float(left), 14.0
        for sym, col, lab in self.legend:
            wd = 26 + text_width(lab, 11.0) + 12
            if x + wd > self.width and x > left:
                x, y = float(left), y + 17
            if sym == "line":
                s = el("line", x1=0.0, x2=16.0, y1=-4.0, y2=-4.0, stroke=col, stroke_width=2.2)
            elif sym == "dot":
                s = el("circle", cx=8.0, cy=-4.0, r=3.5, fill=col)
            else:
                op = 0.15 if sym == "band" else 0.8
                s = el("rect", x=0.0, y=-9.0, width=16.0, height=10.0, fill=col, fill_opacity=op)
            items.append(el("g", s, el("text", lab, x=22.0, y=0.0, font_size=11.0, fill=INK),
                            transform=f"translate({num(x)},{num(y)})"))
            x += wd
        return el("g", *items, class_="legend"), int(y + 6)
