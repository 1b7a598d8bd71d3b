"""Maps: a local azimuthal-equidistant projection and a layered SVG map (polygons, lines, points
with labels, tracks with direction arrows and UTC time ticks, graticule, scale bar, north arrow,
legend).

Projection: spherical azimuthal equidistant about the view centre (R = 6,371,008.8 m, the mean
Earth radius). Distances from the centre are exact on the sphere; the scale error across a
500 km wide view is below 0.1 % (transverse scale = c / sin c, c = angular distance), far below
what a report map can show. Geometries are given in WGS84 lon/lat (shapely) or as lat/lon
arrays in degrees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from markupsafe import Markup

from dronewall.report.svg.core import (
    INK,
    MUTED,
    PALETTE,
    el,
    fmt_utc,
    join,
    nice_step,
    num,
    path_d,
    svg_root,
    text_width,
    utc_step,
)

R_EARTH_M = 6_371_008.8
#: Vertex tolerance for drawing, px: detail below this cannot be seen and only costs bytes.
SIMPLIFY_PX = 0.35
#: Graticule steps, degrees.
GRATICULE_STEPS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)


@dataclass(frozen=True)
class Projection:
    """Azimuthal equidistant projection about (lat0, lon0), then to pixels: ``scale`` px per
    metre, the projected point (cx_m, cy_m) at the centre of a ``width`` x ``height`` view."""

    lat0: float
    lon0: float
    scale: float
    cx_m: float
    cy_m: float
    width: int
    height: int

    @classmethod
    def fit(cls, lat: object, lon: object, width: int = 640, height: int = 420,
            margin: float = 0.08, min_span_m: float = 4_000.0) -> Projection:
        """The view that shows all (lat, lon) points with ``margin`` (fraction of the view) on
        each side, at least ``min_span_m`` wide and high, north up, centred on the points."""
        la, lo = np.asarray(lat, float).ravel(), np.asarray(lon, float).ravel()
        ok = np.isfinite(la) & np.isfinite(lo)
        if not ok.any():
            raise ValueError("Projection.fit: no finite point")
        la, lo = la[ok], lo[ok]
        lat0 = float((la.min() + la.max()) / 2)
        lon0 = float((lo.min() + lo.max()) / 2)
        base = cls(lat0, lon0, 1.0, 0.0, 0.0, width, height)
        x, y = base.xy_m(la, lo)
        sx = max(float(np.ptp(x)), min_span_m)
        sy = max(float(np.ptp(y)), min_span_m)
        scale = min(width * (1 - 2 * margin) / sx, height * (1 - 2 * margin) / sy)
        return cls(lat0, lon0, scale, float((x.max() + x.min()) / 2),
                   float((y.max() + y.min()) / 2), width, height)

    @classmethod
    def fit_box(cls, lat_min: float, lat_max: float, lon_min: float, lon_max: float,
                width: int = 640, height: int = 420, margin: float = 0.0) -> Projection:
        """The view showing a lat/lon box (its corners and edge midpoints)."""
        mla, mlo = (lat_min + lat_max) / 2, (lon_min + lon_max) / 2
        la = np.array([lat_min, lat_min, lat_max, lat_max, lat_min, lat_max, mla, mla])
        lo = np.array([lon_min, lon_max, lon_min, lon_max, mlo, mlo, lon_min, lon_max])
        return cls.fit(la, lo, width, height, margin, 1.0)

    def xy_m(self, lat: object, lon: object) -> tuple[np.ndarray, np.ndarray]:
        """Projected metres east / north of the centre."""
        p, l_ = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float) - self.lon0)
        p0 = math.radians(self.lat0)
        cosc = np.clip(math.sin(p0) * np.sin(p) + math.cos(p0) * np.cos(p) * np.cos(l_), -1, 1)
        c = np.arccos(cosc)
        k = np.where(c < 1e-12, 1.0, c / np.where(c < 1e-12, 1.0, np.sin(c)))
        x = R_EARTH_M * k * np.cos(p) * np.sin(l_)
        y = R_EARTH_M * k * (math.cos(p0) * np.sin(p) - math.sin(p0) * np.cos(p) * np.cos(l_))
        return x, y

    def latlon_m(self, x: object, y: object) -> tuple[np.ndarray, np.ndarray]:
        """Inverse of ``xy_m``."""
        x, y = np.asarray(x, float), np.asarray(y, float)
        rho = np.hypot(x, y)
        c = rho / R_EARTH_M
        p0 = math.radians(self.lat0)
        safe = np.where(rho < 1e-9, 1.0, rho)
        lat = np.arcsin(np.clip(np.cos(c) * math.sin(p0) + y * np.sin(c) * math.cos(p0) / safe,
                                -1, 1))
        lon = np.arctan2(x * np.sin(c),
                         safe * math.cos(p0) * np.cos(c) - y * math.sin(p0) * np.sin(c))
        lat = np.where(rho < 1e-9, p0, lat)
        lon = np.where(rho < 1e-9, 0.0, lon)
        return np.degrees(lat), self.lon0 + np.degrees(lon)

    def px(self, lat: object, lon: object) -> tuple[np.ndarray, np.ndarray]:
        """Pixel coordinates (x right, y down)."""
        x, y = self.xy_m(lat, lon)
        return (self.width / 2 + (x - self.cx_m) * self.scale,
                self.height / 2 - (y - self.cy_m) * self.scale)

    def latlon(self, px: object, py: object) -> tuple[np.ndarray, np.ndarray]:
        """Inverse of ``px``."""
        x = (np.asarray(px, float) - self.width / 2) / self.scale + self.cx_m
        y = (self.height / 2 - np.asarray(py, float)) / self.scale + self.cy_m
        return self.latlon_m(x, y)

    def lonlat_bbox(self, margin: float = 0.05) -> tuple[float, float, float, float]:
        """(lon_min, lat_min, lon_max, lat_max) covering the view plus ``margin`` of it."""
        mx, my = margin * self.width, margin * self.height
        u = np.linspace(-mx, self.width + mx, 9)
        v = np.linspace(-my, self.height + my, 9)
        px = np.r_[u, u, np.full(9, -mx), np.full(9, self.width + mx)]
        py = np.r_[np.full(9, -my), np.full(9, self.height + my), v, v]
        la, lo = self.latlon(px, py)
        return float(lo.min()), float(la.min()), float(lo.max()), float(la.max())

    @property
    def m_per_px(self) -> float:
        return 1.0 / self.scale


def _geom_px(proj: Projection, geom: shapely.Geometry) -> shapely.Geometry:
    """Clip a lon/lat geometry to the view, project to pixels and simplify for drawing."""
    g = shapely.clip_by_rect(geom, *proj.lonlat_bbox(0.08))
    if g.is_empty:
        return g

    def f(c: np.ndarray) -> np.ndarray:
        x, y = proj.px(c[:, 1], c[:, 0])
        return np.c_[x, y]

    return shapely.simplify(shapely.transform(g, f), SIMPLIFY_PX)


def _poly_d(g: shapely.Geometry) -> str:
    d = []
    for p in shapely.get_parts(g):
        if isinstance(p, shapely.Polygon) and not p.is_empty:
            for ring in (p.exterior, *p.interiors):
                c = np.asarray(ring.coords)
                if c.shape[0] >= 3:
                    d.append(path_d(c[:, 0], c[:, 1], closed=True))
    return " ".join(d)


def _line_d(g: shapely.Geometry) -> str:
    d = []
    for p in shapely.get_parts(g):
        if isinstance(p, shapely.LineString | shapely.LinearRing) and not p.is_empty:
            c = np.asarray(p.coords)
            d.append(path_d(c[:, 0], c[:, 1]))
        elif isinstance(p, shapely.Polygon) and not p.is_empty:
            d.append(_line_d(p.boundary))
    return " ".join(x for x in d if x)


def marker(shape: str, x: float, y: float, size: float, **attrs: object) -> Markup:
    """A point symbol centred on (x, y): circle, ring, square, triangle, diamond, cross, plus."""
    s = size
    if shape in ("circle", "ring"):
        return el("circle", cx=x, cy=y, r=s, **attrs)
    shapes = {
        "square": [(-s, -s), (s, -s), (s, s), (-s, s)],
        "triangle": [(0, -1.2 * s), (1.1 * s, 0.8 * s), (-1.1 * s, 0.8 * s)],
        "diamond": [(0, -1.3 * s), (1.1 * s, 0), (0, 1.3 * s), (-1.1 * s, 0)],
    }
    if shape in shapes:
        xs, ys = zip(*shapes[shape], strict=False)
        return el("path", d=path_d(np.add(xs, x), np.add(ys, y), closed=True), **attrs)
    if shape in ("cross", "plus"):
        a = s if shape == "plus" else s * 0.75
        d = (f"M{num(x - a)},{num(y)} L{num(x + a)},{num(y)} M{num(x)},{num(y - a)} L{num(x)},"
             f"{num(y + a)}" if shape == "plus" else
             f"M{num(x - a)},{num(y - a)} L{num(x + a)},{num(y + a)} M{num(x - a)},{num(y + a)} "
             f"L{num(x + a)},{num(y - a)}")
        stroke = attrs.pop("fill", INK)
        attrs.pop("stroke", None)
        width = attrs.pop("stroke_width", 2.0)
        return el("path", d=d, stroke=stroke, stroke_width=width, fill="none", **attrs)
    raise ValueError(f"unknown marker shape {shape!r}")


@dataclass
class _Label:
    x: float
    y: float
    text: str
    priority: float
    size: float
    colour: str
    weight: str
    anchors: tuple[str, ...]  # candidate positions: e, w, n, s, c (centred on the point)
    css_class: str
    gap: float


class Map:
    """A layered map. Layers draw in the order they are added; labels go on top, placed
    greedily by priority (lower first) so that no two overlap (a label that fits nowhere is
    left out; its point keeps a hover tooltip). ``render()`` adds graticule, scale bar, north
    arrow, frame and a legend under the map and returns Markup."""

    def __init__(self, proj: Projection, *, ident: str | None = None, title: str = "",
                 background: str = "#dce8f1", css_class: str = "map") -> None:
        self.proj = proj
        self.ident, self.title, self.css_class = ident, title, css_class
        self.background = background
        self.body: list[Markup] = []
        self.labels: list[_Label] = []
        self.legend: list[tuple[str, dict[str, object], str]] = []

    def _legend(self, kind: str, label: str | None, **style: object) -> None:
        if label and all(lab != label for _, _, lab in self.legend):
            self.legend.append((kind, style, label))

    # -- layers ---------------------------------------------------------------------------------

    def polygons(self, geoms: list[shapely.Geometry], *, fill: str = "#f3efe6",
                 stroke: str = "#8c8c8c", stroke_width: float = 0.8, fill_opacity: float = 1.0,
                 dash: str | None = None, css_class: str = "area", titles: list[str] | None = None,
                 names: list[str] | None = None, name_colour: str = MUTED, name_size: float = 12.0,
                 name_priority: float = 5.0, legend: str | None = None) -> Map:
        """Filled (multi)polygons in lon/lat. ``names`` label each polygon at a point inside
        its visible part (e.g. country names)."""
        drawn = False
        for i, g in enumerate(geoms):
            gp = _geom_px(self.proj, g)
            d = _poly_d(gp)
            if not d:
                continue
            drawn = True
            tip = el("title", titles[i]) if titles and i < len(titles) else None
            self.body.append(el("path", tip, class_=css_class, d=d, fill=fill,
                                fill_opacity=fill_opacity, fill_rule="evenodd", stroke=stroke,
                                stroke_width=stroke_width, stroke_dasharray=dash))
            if names and i < len(names) and names[i]:
                vis = shapely.intersection(gp, shapely.box(0, 0, self.proj.width, self.proj.height))
                if not vis.is_empty and vis.area > 2500:  # px²: room for a name
                    p = shapely.get_parts(vis)
                    big = p[int(np.argmax(shapely.area(p)))]
                    c = big.representative_point()
                    self.labels.append(_Label(c.x, c.y, names[i], name_priority, name_size,
                                              name_colour, "600", ("c",), css_class + "-name", 0))
        if drawn:  # the legend lists only what the view shows
            self._legend("fill", legend, fill=fill, stroke=stroke, fill_opacity=fill_opacity,
                         dash=dash)
        return self

    def lines(self, geoms: list[shapely.Geometry], *, stroke: str = INK, width: float = 1.0,
              dash: str | None = None, opacity: float = 1.0, css_class: str = "line",
              legend: str | None = None) -> Map:
        """(Multi)line strings in lon/lat (polygons are drawn as their outline)."""
        d = " ".join(x for x in (_line_d(_geom_px(self.proj, g)) for g in geoms) if x)
        if d:
            self.body.append(el("path", class_=css_class, d=d, fill="none", stroke=stroke,
                                stroke_width=width, stroke_dasharray=dash, stroke_opacity=opacity,
                                stroke_linejoin="round"))
            self._legend("line", legend, stroke=stroke, width=width, dash=dash)
        return self

    def points(self, lat: object, lon: object, *, labels: list[str] | None = None,
               titles: list[str] | None = None, shape: str = "circle", size: float = 3.0,
               fill: str = INK, stroke: str = "#fff", css_class: str = "point",
               priority: object = 10.0, label_size: float = 11.0, label_colour: str = INK,
               label_weight: str = "400", legend: str | None = None) -> Map:
        """Point symbols with optional labels (``priority``: scalar or per point, lower wins a
        label slot first) and hover ``titles``. Points outside the view are skipped."""
        la, lo = np.asarray(lat, float).ravel(), np.asarray(lon, float).ravel()
        x, y = self.proj.px(la, lo)
        pri = np.broadcast_to(np.asarray(priority, float), la.shape)
        w, h = self.proj.width, self.proj.height
        out = []
        for i in range(la.size):
            if not (np.isfinite(x[i]) and np.isfinite(y[i]) and -5 <= x[i] <= w + 5
                    and -5 <= y[i] <= h + 5):
                continue
            xi, yi = float(x[i]), float(y[i])
            tip = titles[i] if titles and i < len(titles) else (labels[i] if labels else None)
            sym = marker(shape, xi, yi, size, fill=fill if shape != "ring" else "none",
                         stroke=stroke if shape != "ring" else fill,
                         stroke_width=1.0 if shape != "ring" else 1.8)
            out.append(el("g", el("title", tip) if tip else None, sym, class_=css_class))
            if labels and i < len(labels) and labels[i]:
                self.labels.append(_Label(xi, yi, str(labels[i]), float(pri[i]), label_size,
                                          label_colour, label_weight, ("e", "w", "n", "s"),
                                          css_class + "-label", size + 3))
        self.body.append(join(out))
        if out:
            self._legend("marker", legend, shape=shape, fill=fill, stroke=stroke, size=size)
        return self

    def track(self, lat: object, lon: object, t_epoch: object = None, *, colour: str = PALETTE[0],
              width: float = 2.0, label: str | None = None, legend: str | None = None,
              arrows: bool = True, arrow_spacing_px: float = 80.0, time_ticks: bool = True,
              highlight: tuple[float, float] | None = None, highlight_colour: str = "#c0392b",
              highlight_legend: str | None = None, css_class: str = "track",
              tick_priority: float = 2.0) -> Map:
        """A moving object's path: polyline, direction arrowheads every ``arrow_spacing_px`` along
        it, UTC clock ticks (``HH:MM`` or ``HH:MM:SS``) at whole clock steps when ``t_epoch``
        (Unix s) is given, the part within ``highlight`` = (t0, t1) drawn thicker in
        ``highlight_colour``, and ``label`` at the start."""
        la, lo = np.asarray(lat, float).ravel(), np.asarray(lon, float).ravel()
        t = None if t_epoch is None else np.asarray(t_epoch, float).ravel()
        ok = np.isfinite(la) & np.isfinite(lo) & (np.isfinite(t) if t is not None else True)
        la, lo = la[ok], lo[ok]
        t = t[ok] if t is not None else None
        if la.size == 0:
            return self
        x, y = self.proj.px(la, lo)
        line = shapely.simplify(shapely.LineString(np.c_[x, y]) if x.size > 1
                                else shapely.Point(x[0], y[0]), SIMPLIFY_PX)
        parts = [el("path", class_=css_class, d=_line_d(line), fill="none", stroke=colour,
                    stroke_width=width, stroke_linejoin="round", stroke_linecap="round")]
        if highlight is not None and t is not None:
            m = (t >= highlight[0]) & (t <= highlight[1])
            if m.sum() >= 2:
                runs = np.flatnonzero(np.diff(np.r_[0, m.astype(np.int8), 0]))
                segs = [shapely.LineString(np.c_[x[a:b], y[a:b]]) for a, b in
                        zip(runs[::2], runs[1::2], strict=False) if b - a >= 2]
                parts.append(el("path", class_=css_class + "-inside",
                                d=_line_d(shapely.simplify(shapely.MultiLineString(segs),
                                                           SIMPLIFY_PX)),
                                fill="none", stroke=highlight_colour, stroke_width=width + 1.6,
                                stroke_linejoin="round", stroke_linecap="round"))
        seg = np.hypot(np.diff(x), np.diff(y))
        s = np.r_[0.0, np.cumsum(seg)]
        total = float(s[-1])
        if arrows and total > arrow_spacing_px * 0.6:
            marks = np.arange(arrow_spacing_px / 2, total, arrow_spacing_px)
            parts.append(el("path", class_=css_class + "-arrows",
                            d=" ".join(_arrowhead(x, y, s, m, 5.5) for m in marks), fill=colour,
                            stroke="none"))
        if time_ticks and t is not None and t.size > 1 and total > 20:
            n = int(np.clip(total / 90.0, 2, 8))
            st = utc_step(float(t[-1] - t[0]) or 1.0, n)
            ticks = np.arange(math.ceil(t[0] / st - 1e-9), math.floor(t[-1] / st + 1e-9) + 1) * st
            tick_d = []
            for tk in ticks:
                px_, py_ = float(np.interp(tk, t, x)), float(np.interp(tk, t, y))
                if not (0 <= px_ <= self.proj.width and 0 <= py_ <= self.proj.height):
                    continue
                sk = float(np.interp(tk, t, s))
                ux, uy = _direction(x, y, s, sk)
                nx, ny = -uy * 5, ux * 5
                tick_d.append(f"M{num(px_ - nx)},{num(py_ - ny)} L{num(px_ + nx)},{num(py_ + ny)}")
                self.labels.append(_Label(px_, py_, fmt_utc(tk, seconds=st % 60 != 0),
                                          tick_priority, 10.0, colour, "600",
                                          ("e", "w", "n", "s"), css_class + "-time", 7))
            if tick_d:
                parts.append(el("path", class_=css_class + "-ticks", d=" ".join(tick_d),
                                stroke=colour, stroke_width=1.6, fill="none"))
        if label:
            self.labels.append(_Label(float(x[0]), float(y[0]), label, tick_priority - 1, 11.0,
                                      colour, "700", ("w", "e", "n", "s"), css_class + "-label", 6))
        self.body.append(el("g", *parts, class_=css_class + "-group"))
        self._legend("track", legend, stroke=colour, width=width)
        if highlight is not None:
            self._legend("line", highlight_legend, stroke=highlight_colour, width=width + 1.6,
                         dash=None)
        return self

    # -- furniture ------------------------------------------------------------------------------

    def _graticule(self) -> tuple[Markup, list[tuple[float, float, float, float]]]:
        proj = self.proj
        lo0, la0, lo1, la1 = proj.lonlat_bbox(0.0)
        w, h = proj.width, proj.height
        step = next((s for s in GRATICULE_STEPS if (lo1 - lo0) / s <= 6 and (la1 - la0) / s <= 6),
                    GRATICULE_STEPS[-1])
        dec = max(0, -math.floor(math.log10(step) + 1e-9)) + (1 if step in (0.25, 0.05) else 0)
        d, labels, boxes = [], [], []
        for lon in np.arange(math.ceil(lo0 / step) * step, lo1 + 1e-9, step):
            lat = np.linspace(la0 - 0.1 * (la1 - la0), la1 + 0.1 * (la1 - la0), 40)
            x, y = proj.px(lat, np.full(lat.size, lon))
            d.append(path_d(x, y))
            o = np.argsort(y)
            xb = float(np.interp(h, y[o], x[o]))
            if 30 < xb < w - 30:
                txt = f"{abs(lon):.{dec}f}°{'E' if lon >= 0 else 'W'}"
                labels.append(el("text", txt, x=xb, y=float(h - 4), font_size=9.5,
                                 text_anchor="middle", fill=MUTED, class_="graticule-label"))
                tw = text_width(txt, 9.5)
                boxes.append((xb - tw / 2, h - 14.0, xb + tw / 2, float(h)))
        for lat in np.arange(math.ceil(la0 / step) * step, la1 + 1e-9, step):
            lon = np.linspace(lo0 - 0.1 * (lo1 - lo0), lo1 + 0.1 * (lo1 - lo0), 40)
            x, y = proj.px(np.full(lon.size, lat), lon)
            d.append(path_d(x, y))
            o = np.argsort(x)
            yb = float(np.interp(0.0, x[o], y[o]))
            if 20 < yb < h - 40:
                txt = f"{abs(lat):.{dec}f}°{'N' if lat >= 0 else 'S'}"
                labels.append(el("text", txt, x=3.0, y=yb - 3, font_size=9.5, fill=MUTED,
                                 class_="graticule-label"))
                boxes.append((0.0, yb - 13, 3 + text_width(txt, 9.5), yb))
        lines = el("path", class_="graticule", d=" ".join(d), fill="none", stroke="#7f8c8d",
                   stroke_opacity=0.45, stroke_width=0.6, stroke_dasharray="2 3")
        halo = [el("g", *labels, stroke="#fff", stroke_width=2.5, paint_order="stroke")]
        return join([lines, *halo]), boxes

    def _scale_bar(self) -> tuple[Markup, tuple[float, float, float, float]]:
        w, h = self.proj.width, self.proj.height
        target_m = w / 5 * self.proj.m_per_px
        bar = nice_step(target_m, 1)
        while bar * self.proj.scale > w / 3:
            bar /= 2
        bl = bar * self.proj.scale
        x0, y0 = 14.0, h - 28.0
        lab = f"{bar / 1000:g} km" if bar >= 1000 else f"{bar:.0f} m"
        box = (x0 - 6, y0 - 20, x0 + bl + 6 + text_width(lab, 11) / 2, y0 + 8)
        return el("g", el("rect", x=box[0], y=box[1], width=box[2] - box[0], height=28.0,
                          fill="#fff", fill_opacity=0.85),
                  el("rect", x=x0, y=y0 - 2, width=bl / 2, height=5.0, fill=INK),
                  el("rect", x=x0 + bl / 2, y=y0 - 2, width=bl / 2, height=5.0, fill="#fff",
                     stroke=INK, stroke_width=1.0),
                  el("text", "0", x=x0, y=y0 - 6, font_size=11.0, fill=INK, text_anchor="middle"),
                  el("text", lab, x=x0 + bl, y=y0 - 6, font_size=11.0, fill=INK,
                     text_anchor="middle"), class_="scale-bar"), box

    def _north_arrow(self) -> tuple[Markup, tuple[float, float, float, float]]:
        nx, ny = self.proj.width - 24.0, 10.0
        return el("g", el("circle", cx=nx, cy=ny + 15, r=15.0, fill="#fff", fill_opacity=0.85),
                  el("path", d=f"M{num(nx)},{num(ny)} L{num(nx + 7)},{num(ny + 22)} L{num(nx)},"
                     f"{num(ny + 17)} L{num(nx - 7)},{num(ny + 22)} Z", fill=INK),
                  el("text", "N", x=nx, y=ny + 36, font_size=11.0, font_weight="700",
                     text_anchor="middle", fill=INK), class_="north-arrow"), \
            (nx - 16, ny - 2, nx + 16, ny + 40)

    def _place_labels(self, reserved: list[tuple[float, float, float, float]]) -> Markup:
        taken = list(reserved)
        out = []
        w, h = self.proj.width, self.proj.height
        order = sorted(range(len(self.labels)), key=lambda i: (self.labels[i].priority, i))
        for i in order:
            lb = self.labels[i]
            tw, th = text_width(lb.text, lb.size), lb.size
            for a in lb.anchors:
                if a == "e":
                    bx = (lb.x + lb.gap, lb.y - th / 2, lb.x + lb.gap + tw, lb.y + th / 2)
                elif a == "w":
                    bx = (lb.x - lb.gap - tw, lb.y - th / 2, lb.x - lb.gap, lb.y + th / 2)
                elif a == "n":
                    bx = (lb.x - tw / 2, lb.y - lb.gap - th, lb.x + tw / 2, lb.y - lb.gap)
                elif a == "s":
                    bx = (lb.x - tw / 2, lb.y + lb.gap, lb.x + tw / 2, lb.y + lb.gap + th)
                else:
                    bx = (lb.x - tw / 2, lb.y - th / 2, lb.x + tw / 2, lb.y + th / 2)
                if bx[0] < 1 or bx[1] < 1 or bx[2] > w - 1 or bx[3] > h - 1:
                    continue
                if any(bx[0] < b[2] and b[0] < bx[2] and bx[1] < b[3] and b[1] < bx[3]
                       for b in taken):
                    continue
                taken.append(bx)
                out.append(el("text", lb.text, class_=lb.css_class, x=bx[0], y=bx[3] - 0.22 * th,
                              font_size=lb.size, font_weight=lb.weight, fill=lb.colour))
                break
        return el("g", *out, class_="labels", stroke="#fff", stroke_width=3.0,
                  stroke_linejoin="round", paint_order="stroke")

    def _legend_svg(self, y0: float) -> tuple[Markup, float]:
        if not self.legend:
            return Markup(""), 0.0
        items, x, y = [], 8.0, y0 + 16
        for kind, st, lab in self.legend:
            wd = 30 + text_width(lab, 11.5) + 10
            if x + wd > self.proj.width and x > 8:
                x, y = 8.0, y + 20
            if kind == "fill":
                sym = el("rect", x=0.0, y=-5.0, width=18.0, height=11.0, fill=st["fill"],
                         fill_opacity=max(float(st["fill_opacity"]), 0.3), stroke=st["stroke"],
                         stroke_dasharray=st["dash"])
            elif kind in ("line", "track"):
                sym = el("line", x1=0.0, x2=18.0, y1=0.5, y2=0.5, stroke=st["stroke"],
                         stroke_width=st["width"], stroke_dasharray=st.get("dash"))
                if kind == "track":
                    sym = join([sym, el("path", d="M18,0.5 L10,-3.5 L10,4.5 Z", fill=st["stroke"])])
            else:
                shape = str(st["shape"])
                sym = marker(shape, 9.0, 0.5, min(float(st["size"]), 5.0),
                             fill=st["fill"] if shape != "ring" else "none",
                             stroke=st["stroke"] if shape != "ring" else st["fill"])
            items.append(el("g", sym, el("text", lab, x=24.0, y=4.5, font_size=11.5, fill=INK),
                            transform=f"translate({num(x)},{num(y)})"))
            x += wd
        return el("g", *items, class_="legend"), y - y0 + 12

    def render(self, graticule: bool = True, scale_bar: bool = True,
               north_arrow: bool = True) -> Markup:
        w, h = self.proj.width, self.proj.height
        furniture, reserved = [], []
        if graticule:
            g, boxes = self._graticule()
            furniture.append(g)
            reserved += boxes
        if scale_bar:
            g, box = self._scale_bar()
            furniture.append(g)
            reserved.append(box)
        if north_arrow:
            g, box = self._north_arrow()
            furniture.append(g)
            reserved.append(box)
        labels = self._place_labels(reserved)
        legend, legend_h = self._legend_svg(float(h))
        inner = el("svg", el("rect", class_="background", width=float(w), height=float(h),
                             fill=self.background), *self.body, labels, *furniture,
                   el("rect", width=float(w), height=float(h), fill="none", stroke=INK),
                   x=0.0, y=0.0, width=float(w), height=float(h), viewBox=f"0 0 {w} {h}",
                   overflow="hidden")
        return svg_root(w, h + legend_h, inner, legend, ident=self.ident,
                        css_class=self.css_class, label=self.title or "map")


def _direction(x: np.ndarray, y: np.ndarray, s: np.ndarray, at: float) -> tuple[float, float]:
    """Unit direction of travel at arc length ``at`` (px), from points ±6 px along the path."""
    a = np.interp(at - 6, s, x), np.interp(at - 6, s, y)
    b = np.interp(at + 6, s, x), np.interp(at + 6, s, y)
    dx, dy = b[0] - a[0], b[1] - a[1]
    n = math.hypot(dx, dy)
    return (1.0, 0.0) if n < 1e-9 else (dx / n, dy / n)


def _arrowhead(x: np.ndarray, y: np.ndarray, s: np.ndarray, at: float, size: float) -> str:
    px, py = float(np.interp(at, s, x)), float(np.interp(at, s, y))
    ux, uy = _direction(x, y, s, at)
    tip = (px + ux * size, py + uy * size)
    b1 = (px - ux * size - uy * size * 0.8, py - uy * size + ux * size * 0.8)
    b2 = (px - ux * size + uy * size * 0.8, py - uy * size - ux * size * 0.8)
    mid = (px - ux * size * 0.4, py - uy * size * 0.4)
    return (f"M{num(tip[0])},{num(tip[1])} L{num(b1[0])},{num(b1[1])} L{num(mid[0])},"
            f"{num(mid[1])} L{num(b2[0])},{num(b2[1])} Z")
