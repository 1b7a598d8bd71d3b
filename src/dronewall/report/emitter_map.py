"""The incident report's map of emitters heard but not located: for each listed line of
bearing (``report.emitters``), the sector it leaves open -- from the sensor, between the
first and last bearings of its life widened by two standard deviations of its spread, out
to the sensor's reach -- numbered like the list.

A sector is what the sensor establishes: the emitter was somewhere in it, at a range nobody
measured. It is drawn as an area from the sensor, never as a point."""

from __future__ import annotations

import numpy as np
import shapely
from markupsafe import Markup

from dronewall.report import svg
from dronewall.report.basemap import draw_basemap, load_basemap
from dronewall.report.emitters import Emitter

#: Sectors drawn at most (the list's first, i.e. longest heard); the list has them all.
MAX_DRAWN = 12
#: Half-width added on each side of a sector, in standard deviations of its spread.
SECTOR_SD = 2.0
#: Arc vertex spacing, deg.
ARC_STEP_DEG = 2.0
MAP_W, MAP_H = 760, 460
SECTOR_RF = "#b9770e"
SECTOR_ACOUSTIC = "#7d3c98"
ZONE_GREY = "#5d6d7e"


def sector(e: Emitter) -> shapely.Polygon:
    """The sector (lon/lat polygon) from the sensor between the first and the last bearing
    of ``e``'s life, each widened by ``SECTOR_SD`` sd, out to its reach (a full disc when
    that covers the whole circle). Distances and azimuths are exact about the sensor
    (azimuthal equidistant projection centred on it)."""
    lo, hi = e.span_deg
    width = (hi - lo) % 360.0 + 2 * SECTOR_SD * max(e.sd_deg, 0.0)
    a0 = lo - SECTOR_SD * max(e.sd_deg, 0.0)
    about = svg.Projection(e.lat_deg, e.lon_deg, 1.0, 0.0, 0.0, 1, 1)
    full = width >= 360.0
    n = max(2, int(np.ceil(min(width, 360.0) / ARC_STEP_DEG)) + 1)
    az = np.radians(a0 + np.linspace(0.0, min(width, 360.0), n))
    x, y = e.reach_m * np.sin(az), e.reach_m * np.cos(az)
    if not full:   # the apex at the sensor
        x, y = np.r_[0.0, x], np.r_[0.0, y]
    lat, lon = about.latlon_m(x, y)
    return shapely.Polygon(np.column_stack([lon, lat]))


def emitter_map(emitters: list[Emitter], zone_shapes: dict[str, shapely.Geometry],
                subject_country: str | None = None) -> Markup | None:
    """SVG map of the first ``MAX_DRAWN`` emitters' sectors (numbered E1.. like the list),
    their sensors and the report's zones (``subject_country``: the ISO3 code of the country
    whose airspace the report is about, drawn as such); None when there is none."""
    drawn = emitters[:MAX_DRAWN]
    if not drawn:
        return None
    sectors = [sector(e) for e in drawn]
    lat = np.concatenate([np.asarray(s.exterior.coords)[:, 1] for s in sectors])
    lon = np.concatenate([np.asarray(s.exterior.coords)[:, 0] for s in sectors])
    proj = svg.Projection.fit(lat, lon, MAP_W, MAP_H, margin=0.06, min_span_m=10_000.0)
    mp = svg.Map(proj, ident="emitter-map", title="emitters heard but not located",
                 background="#d4e4ef")
    draw_basemap(mp, load_basemap(proj), subject_country=subject_country, airports=True)
    if zone_shapes:
        ids = sorted(zone_shapes)
        mp.polygons([zone_shapes[z] for z in ids], fill=ZONE_GREY, fill_opacity=0.04,
                    stroke=ZONE_GREY, stroke_width=1.0, dash="5 3", css_class="zone",
                    titles=[f"zone {z}" for z in ids], legend="zone")
    for kind, colour, what in (("rf", SECTOR_RF, "RF link"),
                               ("acoustic", SECTOR_ACOUSTIC, "acoustic")):
        pick = [i for i, e in enumerate(drawn) if (e.kind == "rf") == (kind == "rf")]
        if not pick:
            continue
        mp.polygons([sectors[i] for i in pick], fill=colour, fill_opacity=0.12, stroke=colour,
                    stroke_width=1.2, css_class=f"sector sector-{kind}",
                    titles=[f"E{i + 1}: {drawn[i].sensor} heard {drawn[i].what}, bearing "
                            f"{drawn[i].span_deg[0]:.0f}-{drawn[i].span_deg[1]:.0f} deg "
                            f"+-{SECTOR_SD:.0f} sd, range unknown (up to "
                            f"{drawn[i].reach_m / 1000:.0f} km)" for i in pick],
                    legend=f"{what} heard: the sector it came from (range unknown)")
    sensors: dict[str, tuple[float, float, list[str]]] = {}
    for i, e in enumerate(drawn):
        sensors.setdefault(e.sensor, (e.lat_deg, e.lon_deg, []))[2].append(f"E{i + 1}")
    names = sorted(sensors)
    mp.points([sensors[s][0] for s in names], [sensors[s][1] for s in names],
              labels=[f"{s} ({', '.join(sensors[s][2])})" for s in names],
              titles=[f"sensor {s}" for s in names], shape="triangle", size=5.0,
              fill="#1b2631", css_class="sensor", priority=1.0, label_weight="700",
              legend="sensor that heard it")
    return mp.render()
