"""SVG building blocks shared by plots and maps: escaped elements, numbers, nice and UTC ticks.

Every function that returns SVG returns ``markupsafe.Markup``; every text or attribute value that
is not already Markup is escaped here, so callers (and jinja2 templates) never escape by hand.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime

import numpy as np
from markupsafe import Markup, escape

INK, MUTED, GRID = "#1c2833", "#5d6d7e", "#e5e8e8"
#: Series colours in the order a plot or map hands them out (colour-blind tolerant, print safe).
PALETTE = ("#2471a3", "#c0392b", "#27ae60", "#e67e22", "#8e44ad", "#17a2b8", "#7f8c8d", "#b9770e")
#: Average glyph advance of the sans-serif UI fonts as a fraction of the font size: enough to
#: reserve room for a label (legend, label collision) without measuring text in a browser.
GLYPH_W = 0.58


def num(v: float) -> str:
    """A coordinate for an attribute: one decimal, '-0.0' folded to '0.0' (stable bytes)."""
    s = f"{float(v):.1f}"
    return "0.0" if s == "-0.0" else s


def _attr_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float | np.floating):
        return num(float(v))
    return str(v)


def el(tag: str, *children: object, **attrs: object) -> Markup:
    """One SVG element. ``class_`` -> ``class``, other underscores -> hyphens (``stroke_width``);
    attributes that are None are left out; children that are not Markup are escaped as text."""
    parts = [f"<{tag}"]
    for k, v in attrs.items():
        if v is None:
            continue
        name = k[:-1] if k.endswith("_") else k.replace("_", "-")
        parts.append(f' {name}="{escape(_attr_value(v))}"')
    if not children:
        return Markup("".join(parts) + "/>")
    body = "".join(str(c if isinstance(c, Markup) else escape(c))
                   for c in children if c is not None)
    return Markup("".join(parts) + ">" + body + f"</{tag}>")


def join(items: Iterable[Markup]) -> Markup:
    return Markup("").join(items)


def points_attr(x: np.ndarray, y: np.ndarray) -> str:
    """``x1,y1 x2,y2 ...`` for polyline/polygon ``points`` (numbers only: nothing to escape)."""
    xs, ys = np.asarray(x, float), np.asarray(y, float)
    return " ".join(f"{num(a)},{num(b)}" for a, b in zip(xs, ys, strict=True))


def path_d(x: np.ndarray, y: np.ndarray, closed: bool = False) -> str:
    xs, ys = np.asarray(x, float), np.asarray(y, float)
    pts = [f"{num(a)},{num(b)}" for a, b in zip(xs, ys, strict=True)]
    if not pts:
        return ""
    return "M" + " L".join(pts) + (" Z" if closed else "")


def text_width(s: str, size: float) -> float:
    """Approximate rendered width of ``s`` in px at font size ``size`` px."""
    return GLYPH_W * size * len(s)


def svg_root(width: float, height: float, *children: object, ident: str | None = None,
             css_class: str = "", label: str = "") -> Markup:
    return el("svg", *children, xmlns="http://www.w3.org/2000/svg", id=ident,
              class_=css_class or None, viewBox=f"0 0 {num(width)} {num(height)}",
              width=num(width), height=num(height), role="img", aria_label=label or None,
              font_family="system-ui, Helvetica, Arial, sans-serif")


def thin(n: int, k: int) -> np.ndarray:
    """Indices of at most ``k`` evenly spaced samples of ``n`` (first and last always kept)."""
    if n <= k:
        return np.arange(n)
    return np.unique(np.r_[np.linspace(0, n - 1, k).astype(np.int64), n - 1])


# ----------------------------------------------------------------------------- numbers and ticks

def nice_step(span: float, n: int = 5) -> float:
    """A 1-2-2.5-5 x 10^k step that cuts ``span`` into about ``n`` intervals."""
    if not np.isfinite(span) or span <= 0:
        return 1.0
    raw = span / max(n, 1)
    mag = 10.0 ** math.floor(math.log10(raw))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= m * mag * (1 + 1e-9):
            return m * mag
    return 10.0 * mag


def nice_ticks(lo: float, hi: float, n: int = 5) -> np.ndarray:
    """Multiples of ``nice_step`` inside [lo, hi] (both ends included when they are multiples)."""
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi < lo:
        return np.zeros(0)
    st = nice_step(hi - lo, n)
    a = math.ceil(lo / st - 1e-9)
    b = math.floor(hi / st + 1e-9)
    return np.round(np.arange(a, b + 1) * st, 12)


def nice_range(lo: float, hi: float, n: int = 5) -> tuple[float, float]:
    """[lo, hi] widened outwards to the nearest nice ticks (a constant becomes a unit interval)."""
    if hi - lo < 1e-12 * max(1.0, abs(lo), abs(hi)):
        d = max(abs(lo) * 0.05, 1.0) if lo != 0 else 1.0
        lo, hi = lo - d, hi + d
    st = nice_step(hi - lo, n)
    return math.floor(lo / st + 1e-9) * st, math.ceil(hi / st - 1e-9) * st


def tick_label(v: float, step: float, percent: bool = False) -> str:
    """Tick text with just enough decimals for ``step``; ``percent``: v is a fraction, in %."""
    if percent:
        v, step = 100.0 * v, 100.0 * step
    dec = max(0, -math.floor(math.log10(step) + 1e-9)) if 0 < step < 1 else 0
    if step > 0 and dec == 0 and not float(step).is_integer():  # 2.5, 25 steps keep one decimal
        dec = 1 if abs(step) < 10 else 0
    s = f"{v:,.{dec}f}".replace(",", "\u202f")  # thin space groups thousands
    if s.startswith("-") and float(s.replace("\u202f", "")) == 0:
        s = s[1:]
    return s + (" %" if percent else "")


# ----------------------------------------------------------------------------- UTC time

#: Tick steps for UTC axes, s: 1 s ... 1 day.
UTC_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
               43200, 86400)


def utc(t_epoch_s: float) -> datetime:
    return datetime.fromtimestamp(float(t_epoch_s), tz=UTC)


def fmt_utc(t_epoch_s: float | None, seconds: bool = True, date: bool = False) -> str:
    """``HH:MM:SS`` (or ``HH:MM``) UTC, optionally prefixed by ``YYYY-MM-DD``; '–' when unknown."""
    if t_epoch_s is None or not np.isfinite(t_epoch_s):
        return "–"
    d = utc(round(float(t_epoch_s)) if seconds else float(t_epoch_s))
    s = d.strftime("%H:%M:%S" if seconds else "%H:%M")
    return f"{d:%Y-%m-%d} {s}" if date else s


def utc_step(span_s: float, n: int = 6) -> float:
    """The smallest clock-friendly step giving at most about ``n`` ticks over ``span_s``."""
    for st in UTC_STEPS_S:
        if span_s / st <= n:
            return float(st)
    return 86400.0 * math.ceil(span_s / n / 86400.0)


def utc_ticks(t0: float, t1: float, n: int = 6) -> list[tuple[float, str]]:
    """(epoch s, label) ticks at whole clock steps inside [t0, t1]; ``HH:MM`` when the step is a
    whole minute, else ``HH:MM:SS``."""
    if not (np.isfinite(t0) and np.isfinite(t1)) or t1 < t0:
        return []
    st = utc_step(max(t1 - t0, 1.0), n)
    a, b = math.ceil(t0 / st - 1e-9), math.floor(t1 / st + 1e-9)
    return [(k * st, fmt_utc(k * st, seconds=st % 60 != 0)) for k in range(int(a), int(b) + 1)]


def utc_title(t0: float, t1: float, label: str = "time") -> str:
    """Axis title for a UTC axis: ``time (UTC, 2025-09-19)`` or with a date range."""
    if not (np.isfinite(t0) and np.isfinite(t1)):
        return f"{label} (UTC)"
    d0, d1 = f"{utc(t0):%Y-%m-%d}", f"{utc(t1):%Y-%m-%d}"
    return f"{label} (UTC, {d0})" if d0 == d1 else f"{label} (UTC, {d0} – {d1})"


def unit_title(label: str, unit: str = "", percent: bool = False) -> str:
    """``altitude (m)``; a proportion axis shows ``(%)``."""
    u = "%" if percent else unit
    return f"{label} ({u})" if u else label
