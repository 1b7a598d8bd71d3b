"""Shared SVG drawing for the offline reports (incident, study): plots and maps as Markup.

Everything returns ``markupsafe.Markup``: drop it into a jinja2 template with autoescape on, no
``|safe`` and no "already escaped" rule. All text (labels, titles, tooltips) passed in as plain
``str`` is escaped here; a hostile label such as ``<script>`` is drawn as text. Output is
deterministic: same input, same bytes (fixed number formatting, fixed-seed jitter, no ids
generated from memory addresses or clocks).

Building blocks (``svg.core``)
    el(tag, *children, **attrs) -> Markup      one element; ``class_``, ``stroke_width`` ...
    nice_step(span, n), nice_ticks(lo, hi, n), nice_range(lo, hi, n), tick_label(v, step, percent)
    utc_ticks(t0, t1, n) -> [(epoch_s, "HH:MM" | "HH:MM:SS")], utc_title(t0, t1, label),
    fmt_utc(epoch_s, seconds=True, date=False), unit_title(label, unit, percent)
    PALETTE, INK, MUTED, GRID                  colours shared by both reports

Plots (``svg.plot``)
    Axis(label, unit, kind="linear"|"utc"|"category", lo, hi, domain=(lo, hi), include_zero,
         percent, categories)
        Axis.utc("time")                 x in Unix epoch seconds; ticks HH:MM[:SS] UTC, the title
                                         "time (UTC, 2025-09-19)" - never "seconds from start"
        Axis.quantity("altitude", "m")   title "altitude (m)", never below 0
        Axis.proportion("P(inside)")     fixed 0-1, ticks and title in %
        Axis.count("tracks"), Axis.category("doctrine", names)
    p = Plot(x_axis, y_axis, width=640, height=220, title="", ident="plot-alt")
    p.line(x, y, colour=None, label=None)      NaN breaks the line; long lines are thinned
    p.step(x, y), p.points(x, y, y_lo=, y_hi=, titles=) (error bars), p.bars(x, h, width=),
    p.hist(values, edges=None), p.strip(values, x=0), p.band(x0, x1) (shaded x interval),
    p.hline(y, text=), p.vline(x, text=)
    p.render() -> Markup                      legend row on top when layers have labels

Maps (``svg.geomap``)
    proj = Projection.fit(lat, lon, width=640, height=420, margin=0.08, min_span_m=4000)
    proj = Projection.fit_box(lat_min, lat_max, lon_min, lon_max, width, height)
        azimuthal equidistant about the view centre; proj.px(lat, lon) -> (x, y) pixels,
        proj.latlon(x, y) inverse; proj.lonlat_bbox(margin) for clipping data to the view
    m = Map(proj, ident="map", title="", background=sea colour)
    m.polygons(geoms, fill=, stroke=, fill_opacity=, dash=, css_class=, titles=, names=, legend=)
    m.lines(geoms, stroke=, width=, dash=, css_class=, legend=)   e.g. coastline, 12-nm line
    m.points(lat, lon, labels=, titles=, shape="circle"|"ring"|"square"|"triangle"|"diamond"|
             "cross"|"plus", size=, fill=, priority=, legend=)  towns, airports, sensors, events
    m.track(lat, lon, t_epoch, colour=, label=, highlight=(t0, t1), legend=)  direction arrows
             and UTC clock ticks along the path; the part inside ``highlight`` drawn thicker
    m.render(graticule=True, scale_bar=True, north_arrow=True) -> Markup
        graticule with lon/lat labels, scale bar in km, north arrow, frame, legend under the
        map; labels placed by priority without overlaps
    (geometries: shapely, WGS84 lon/lat; lat/lon arrays in degrees)
"""

from dronewall.report.svg.core import (
    GRID,
    INK,
    MUTED,
    PALETTE,
    el,
    fmt_utc,
    join,
    nice_range,
    nice_step,
    nice_ticks,
    svg_root,
    tick_label,
    unit_title,
    utc_ticks,
    utc_title,
)
from dronewall.report.svg.geomap import Map, Projection, marker
from dronewall.report.svg.plot import Axis, Plot

__all__ = ["GRID", "INK", "MUTED", "PALETTE", "Axis", "Map", "Plot", "Projection", "el", "fmt_utc",
           "join", "marker", "nice_range", "nice_step", "nice_ticks", "svg_root", "tick_label",
           "unit_title", "utc_ticks", "utc_title"]
