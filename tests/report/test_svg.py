"""Shared SVG module: ticks, units, UTC axes, projection, escaping, determinism."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import numpy as np
import pytest
import shapely
from markupsafe import Markup

from dronewall.report import svg
from dronewall.report.svg.core import utc_step

T0 = datetime(2025, 9, 19, 6, 58, tzinfo=UTC).timestamp()


def _texts(markup: str, cls: str | None = None) -> list[str]:
    pat = (r"<text[^>]*>([^<]*)</text>" if cls is None
           else rf'<text[^>]*class="{cls}"[^>]*>([^<]*)</text>')
    return re.findall(pat, markup)


@pytest.mark.parametrize("lo,hi", [(0.0, 1.0), (-3.2, 17.9), (7430.0, 7562.0), (0.001, 0.0093),
                                   (1e5, 3.7e6), (-50.0, -2.0)])
def test_nice_ticks_inside_range_and_round(lo: float, hi: float) -> None:
    t = svg.nice_ticks(lo, hi, 5)
    assert 2 <= t.size <= 11
    assert t.min() >= lo - 1e-12 and t.max() <= hi + 1e-12
    st = np.diff(t)
    assert np.allclose(st, st[0])
    mant = st[0] / 10 ** np.floor(np.log10(st[0]))
    assert any(np.isclose(mant, m) for m in (1, 2, 2.5, 5, 10))
    a, b = svg.nice_range(lo, hi, 5)
    assert a <= lo and b >= hi and (b - a) < 3 * (hi - lo)


def test_tick_labels_and_percent() -> None:
    assert svg.tick_label(7500.0, 50.0) == "7\u202f500"
    assert svg.tick_label(0.25, 0.05) == "0.25"
    assert svg.tick_label(2.5, 2.5) == "2.5"
    assert svg.tick_label(0.5, 0.2, percent=True) == "50 %"
    assert svg.tick_label(-0.0, 1.0) == "0"


def test_utc_ticks_are_clock_times() -> None:
    ticks = svg.utc_ticks(T0, T0 + 12 * 60, 6)  # 06:58 .. 07:10
    labels = [lab for _, lab in ticks]
    assert labels == ["07:00", "07:05", "07:10"] or labels[0] == "06:58"
    assert all(re.fullmatch(r"\d\d:\d\d", s) for s in labels)
    assert all(T0 <= v <= T0 + 720 for v, _ in ticks)
    short = svg.utc_ticks(T0 + 3, T0 + 40, 6)  # 37 s: seconds shown
    assert all(re.fullmatch(r"\d\d:\d\d:\d\d", s) for _, s in short) and len(short) >= 3
    assert utc_step(3600, 6) == 600
    assert svg.utc_title(T0, T0 + 60) == "time (UTC, 2025-09-19)"
    assert svg.utc_title(T0, T0 + 86400).endswith("2025-09-19 – 2025-09-20)")
    assert svg.fmt_utc(T0) == "06:58:00" and svg.fmt_utc(float("nan")) == "–"


def test_plot_axes_units_time_and_domain() -> None:
    t = T0 + np.arange(0.0, 900.0, 5.0)
    alt = 7500 + 60 * np.sin(t / 90)
    p = svg.Plot(svg.Axis.utc(), svg.Axis.quantity("altitude", "m"), ident="alt", title="Alt")
    p.line(t, alt, label="track 7").band(T0 + 100, T0 + 500, label="inside")
    out = p.render()
    assert isinstance(out, Markup) and out.startswith("<svg") and 'id="alt"' in out
    titles = _texts(out, "axis-title x") + _texts(out, "axis-title y")
    assert titles == ["time (UTC, 2025-09-19)", "altitude (m)"]
    xt = [s for s in _texts(out) if re.fullmatch(r"\d\d:\d\d", s)]
    assert xt[:2] == ["07:00", "07:02"] or xt[0] == "07:00"
    assert "t+" not in out and "seconds" not in out
    # y ticks: numbers inside the data's nice range
    yt = [float(s.replace("\u202f", "")) for s in _texts(out) if re.fullmatch(r"[\d\u202f]+", s)]
    assert yt and min(yt) >= 7400 and max(yt) <= 7600
    # a proportion stays on 0-100 % whatever the data
    q = svg.Plot(svg.Axis.quantity("depth", "km"), svg.Axis.proportion("P(inside)"))
    q.points([1.0, 2.0, 3.0], [0.97, 0.99, 1.0], y_lo=[0.9, 0.95, 0.99], y_hi=[1.0, 1.0, 1.0])
    qo = q.render()
    assert "P(inside) (%)" in qo and "0 %" in _texts(qo) and "100 %" in _texts(qo)
    assert qo.count('class="errorbar"') == 3
    # a count never goes below zero even when the data hugs it
    c = svg.Plot(svg.Axis.category("doctrine", ["a", "b"]), svg.Axis.count("leakers"))
    c.bars([0, 1], [1, 4])
    co = c.render()
    assert "-" not in "".join(s for s in _texts(co) if s[:1] == "-")
    assert "a" in _texts(co) and "leakers" in _texts(co)


def test_hist_step_strip_render() -> None:
    rng = np.random.default_rng(3)
    h = svg.Plot(svg.Axis.quantity("duration", "min"), svg.Axis.count("episodes"))
    h.hist(rng.gamma(2.0, 3.0, 200))
    ho = h.render()
    heights = [float(m) for m in re.findall(r'class="bar"[^>]*height="([\d.]+)"', ho)]
    assert len(heights) >= 5
    s = svg.Plot(svg.Axis.utc(), svg.Axis.count("tracks")).step(T0 + np.arange(5.0) * 60,
                                                                [0, 2, 3, 1, 0]).render()
    assert "M" in s and "L" in s
    a = svg.Plot(svg.Axis.category("", ["runs"]), svg.Axis.quantity("x", "s"))
    ao = a.strip(rng.normal(10, 1, 30)).render()
    assert ao.count('class="strip"') == 30 and "runs" in _texts(ao)


def test_projection_round_trip_and_distances() -> None:
    pr = svg.Projection.fit([57.5, 61.5], [22.0, 30.0], 800, 600)  # ~450 km x 450 km
    rng = np.random.default_rng(1)
    la, lo = rng.uniform(57.5, 61.5, 500), rng.uniform(22.0, 30.0, 500)
    x, y = pr.px(la, lo)
    la2, lo2 = pr.latlon(x, y)
    assert np.max(np.abs(la2 - la)) < 1e-9 and np.max(np.abs(lo2 - lo)) < 1e-9
    # every point fits in the view
    assert x.min() >= 0 and x.max() <= 800 and y.min() >= 0 and y.max() <= 600
    # distances from the centre are exact (great circle); others within 0.2 %
    from pyproj import Geod
    g = Geod(ellps="sphere")
    g = Geod(a=6_371_008.8, b=6_371_008.8)
    _, _, d = g.inv(lo[:-1], la[:-1], lo[1:], la[1:])
    dpx = np.hypot(np.diff(x), np.diff(y)) * pr.m_per_px
    assert np.max(np.abs(dpx / d - 1)) < 2e-3
    # north is up at the centre: a point due north has the same x and a smaller y
    xa, ya = pr.px([pr.lat0, pr.lat0 + 0.5], [pr.lon0, pr.lon0])
    assert abs(xa[1] - xa[0]) < 1e-6 and ya[1] < ya[0]
    b = pr.lonlat_bbox(0.0)
    assert b[0] <= 22.0 and b[2] >= 30.0 and b[1] <= 57.5 and b[3] >= 61.5


def _map(label: str = "Narva") -> Markup:
    pr = svg.Projection.fit([59.5, 60.1], [25.5, 27.5], 640, 420)
    m = svg.Map(pr, ident="m", title="test")
    m.polygons([shapely.box(26.0, 59.7, 26.8, 59.9)], names=["Estonia"], legend="zone",
               css_class="zone")
    m.lines([shapely.LineString([(25.5, 59.6), (27.5, 59.65)])], stroke="#00f", dash="4 3",
            legend="12-nm line", css_class="tsea")
    m.points([59.8, 59.6], [26.4, 27.0], labels=[label, "Kunda"], legend="town", css_class="town")
    t = T0 + np.arange(100) * 10.0
    m.track(np.full(100, 59.8), np.linspace(27.4, 25.6, 100), t, label="track 7",
            highlight=(t[20], t[60]), legend="track", highlight_legend="inside")
    return m.render()


def test_map_layers_furniture_and_track_marks() -> None:
    out = _map()
    for cls in ('class="zone"', 'class="tsea"', 'class="town"', 'class="track"',
                'class="track-inside"', 'class="track-arrows"', 'class="track-ticks"',
                'class="graticule"', 'class="scale-bar"', 'class="north-arrow"', 'class="legend"'):
        assert cls in out, cls
    # direction arrows along the path (every 80 px of ~550 px), UTC tick labels on the track
    arrows = re.search(r'class="track-arrows" d="([^"]*)"', out).group(1)
    assert arrows.count("M") >= 5
    times = _texts(out, "track-time")
    assert len(times) >= 3 and all(re.fullmatch(r"\d\d:\d\d(:\d\d)?", s) for s in times)
    assert any("°E" in s for s in _texts(out, "graticule-label"))
    assert any("°N" in s for s in _texts(out, "graticule-label"))
    assert re.search(r">\d+ km</text>", out)
    assert "Estonia" in _texts(out, "zone-name") and "Narva" in _texts(out, "town-label")
    # arrows point west (the track flies from 27.4 E to 25.6 E): tip x < base x
    first = re.match(r"M([\d.]+),[\d.]+ L([\d.]+),", arrows)
    assert float(first.group(1)) < float(first.group(2))


def test_hostile_labels_are_escaped() -> None:
    out = _map("<script>alert(1)</script>")
    assert "<script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    p = svg.Plot(svg.Axis("a\"><script>", "m"), svg.Axis.count("n"), title="<img src=x>")
    p.points([1.0], [1.0], titles=['"><script>'])
    o = p.render()
    assert "<script>" not in o and "<img" not in o and "&#34;&gt;&lt;script&gt;" in o
    assert str(svg.el("text", Markup("<tspan>ok</tspan>"))) == "<text><tspan>ok</tspan></text>"


def test_deterministic_bytes() -> None:
    assert str(_map()) == str(_map())
    rng = np.random.default_rng(5)
    v = rng.normal(0, 1, 50)

    def plot() -> str:
        p = svg.Plot(svg.Axis.category("", ["a"]), svg.Axis.quantity("v", "s", non_negative=False))
        return str(p.strip(v).hist(v).render())

    assert plot() == plot()


def test_cross_and_plus_markers_take_a_stroke_width() -> None:
    from dronewall.report.svg.geomap import marker

    m = str(marker("cross", 1, 2, 3, fill="red", stroke_width=1.5))
    assert 'stroke="red"' in m and 'stroke-width="1.5"' in m and 'fill="none"' in m
    assert 'stroke-width="2.0"' in str(marker("plus", 1, 2, 3))
