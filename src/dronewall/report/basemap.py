"""Background layers for report maps, from the shipped region data (never from the network).

Land of every country (Natural Earth: the 14 zone-file countries at 25 m from
``data/zones/sovereign-land.geojson``, the others from ``data/basemap/countries.geojson``), the
territorial sea (OSM maritime polygons minus land), the coastline, the 12-nm territorial-sea limit,
towns (GeoNames) and airports. Coastline and 12-nm limit are derived per view:

* coastline = outline of the union of all land, minus the artificial edges of the clip box;
* 12-nm limit = outlines of the maritime (land + territorial sea) polygons, minus everything
  within ``LAND_GAP_M`` of land: what is left runs at sea - the outer limit of the territorial
  sea and the lateral sea borders between two states (e.g. Estonia-Russia in Narva Bay).

Land and maritime data come from different sources (Natural Earth vs OpenStreetMap, median
0.4-1.4 km apart along land borders, docs/region-data.md), which is why land borders are
removed with a gap rather than matched exactly.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import shapely

from dronewall.report import svg

#: Maritime outline parts closer than this to land are land borders, not the 12-nm limit [E]
#: (a few times the NE-vs-OSM border offset).
LAND_GAP_M = 2_500.0
#: Clip margin around the view (fraction): the clip box's own edges stay outside the drawing.
CLIP_MARGIN = 0.25
#: At most this many towns (largest first) get a dot in one view; labels are placed without
#: overlap among them.
MAX_TOWNS = 70
M_PER_DEG = 111_320.0

LAND_FILL, LAND_SUBJECT_FILL = "#efebe2", "#fbf9f4"
SEA_FILL, TSEA_FILL = "#d4e4ef", "#e3eef5"
COAST, BORDER, TSEA_LINE = "#5b7a93", "#8a8a8a", "#2e86c1"


@lru_cache(maxsize=8)
def _features(folder: str, name: str) -> tuple[tuple[dict, shapely.Geometry], ...]:
    path = resources.files("dronewall.data").joinpath(folder, name)
    fc = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for f in fc["features"]:
        g = f.get("geometry")
        out.append((f.get("properties") or {}, shapely.geometry.shape(g) if g else None))
    return tuple(out)


@lru_cache(maxsize=1)
def _towns() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    feats = _features("basemap", "places.geojson")
    lon = np.array([g.x for _, g in feats])
    lat = np.array([g.y for _, g in feats])
    return (lat, lon, np.array([p["name"] for p, _ in feats]),
            np.array([p["country"] for p, _ in feats]),
            np.array([p["population"] for p, _ in feats], dtype=np.int64))


@dataclass
class Basemap:
    """Background layers clipped to one view (lon/lat shapely geometries, arrays in degrees)."""

    land: list[tuple[str, str, shapely.Geometry]]  # (ISO alpha-3, name, polygon)
    territorial_sea: list[shapely.Geometry]
    coastline: shapely.Geometry
    tsea_limit: shapely.Geometry
    towns: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # lat, lon, name, population
    airports: tuple[np.ndarray, np.ndarray, list[str], list[str]]  # lat, lon, label, tooltip


def _iso_scale(g: shapely.Geometry, k: float) -> shapely.Geometry:
    """Stretch lon by k = cos(lat0) (k < 1) or back (1/k): locally isotropic degrees, so a
    buffer in degrees of latitude is a buffer in metres / M_PER_DEG."""
    return shapely.transform(g, lambda c: c * np.array([k, 1.0]))


def load_basemap(proj: svg.Projection) -> Basemap:
    lo0, la0, lo1, la1 = proj.lonlat_bbox(CLIP_MARGIN)
    box = shapely.box(lo0, la0, lo1, la1)
    land = []
    for folder, name in (("zones", "sovereign-land.geojson"), ("basemap", "countries.geojson")):
        for p, g in _features(folder, name):
            if g is None or not g.intersects(box):
                continue
            c = shapely.clip_by_rect(g, lo0, la0, lo1, la1)
            if not c.is_empty:
                land.append((str(p.get("country", "")), str(p.get("name", "")), c))
    land_u = shapely.union_all([g for _, _, g in land]) if land else shapely.Polygon()
    k = math.cos(math.radians(proj.lat0))
    gap = LAND_GAP_M / M_PER_DEG
    edge = _iso_scale(box.exterior, k).buffer(gap)
    coast = shapely.difference(_iso_scale(land_u.boundary, k), edge) if land else None
    coast = _iso_scale(coast, 1 / k) if coast is not None else shapely.MultiLineString()
    tsea, limits = [], []
    land_buf = _iso_scale(land_u, k).buffer(gap) if land else shapely.Polygon()
    for _, g in _features("zones", "sovereign-maritime.geojson"):
        if g is None or not g.intersects(box):
            continue
        c = shapely.clip_by_rect(g, lo0, la0, lo1, la1)
        sea = shapely.difference(c, land_u)
        if not sea.is_empty:
            tsea.append(sea)
        ln = shapely.difference(_iso_scale(c.boundary, k), shapely.union(land_buf, edge))
        if not ln.is_empty:
            limits.append(_iso_scale(ln, 1 / k))
    lat, lon, name, _cc, pop = _towns()
    inside = (lon >= lo0) & (lon <= lo1) & (lat >= la0) & (lat <= la1)
    x, y = proj.px(lat, lon)
    inside &= (x >= 0) & (x <= proj.width) & (y >= 0) & (y <= proj.height)
    idx = np.flatnonzero(inside)[:MAX_TOWNS]  # the file is sorted by population
    towns = (lat[idx], lon[idx], name[idx], pop[idx])
    a_lat, a_lon, a_lab, a_tip = [], [], [], []
    for p, _ in _features("zones", "airports.geojson"):
        rp = p.get("ref_point") or [None, None]
        if rp[0] is None or not (lo0 <= rp[0] <= lo1 and la0 <= rp[1] <= la1):
            continue
        a_lon.append(float(rp[0]))
        a_lat.append(float(rp[1]))
        a_lab.append(str(p.get("icao") or p.get("name") or ""))
        a_tip.append(f"{p.get('name', '')} ({p.get('icao') or 'no ICAO'}"
                     f"{', military' if p.get('military') else ''})")
    return Basemap(land, tsea, coast,
                   shapely.union_all(limits) if limits else shapely.MultiLineString(), towns,
                   (np.array(a_lat), np.array(a_lon), a_lab, a_tip))


def draw_basemap(m: svg.Map, bm: Basemap, subject_country: str | None = None,
                 airports: bool = True, towns: bool = True) -> None:
    """Add the background layers to ``m`` (call before the incident layers)."""
    m.polygons(bm.territorial_sea, fill=TSEA_FILL, stroke="none", css_class="territorial-sea",
               legend="territorial sea (12 nm)")
    others = [(c, n, g) for c, n, g in bm.land if c != subject_country]
    subj = [(c, n, g) for c, n, g in bm.land if c == subject_country]
    m.polygons([g for _, _, g in others], fill=LAND_FILL, stroke=BORDER, stroke_width=0.8,
               css_class="land", names=[n.upper() for _, n, _ in others], name_colour="#7b7d7d",
               name_size=11.5, name_priority=4.0, legend="neighbouring land")
    m.polygons([g for _, _, g in subj], fill=LAND_SUBJECT_FILL, stroke=BORDER, stroke_width=0.8,
               css_class="land land-subject", names=[n.upper() for _, n, _ in subj],
               name_colour="#566573", name_size=12.0, name_priority=3.5,
               legend=f"{subj[0][1]} (land)" if subj else None)
    m.lines([bm.coastline], stroke=COAST, width=0.9, css_class="coastline", legend="coastline")
    m.lines([bm.tsea_limit], stroke=TSEA_LINE, width=1.1, dash="6 3", css_class="tsea-limit",
            legend="12-nm limit / sea border")
    if towns and bm.towns[0].size:
        lat, lon, name, pop = bm.towns
        m.points(lat, lon, labels=[str(n) for n in name],
                 titles=[f"{n} (pop. {p:,})".replace(",", " ") for n, p in zip(name, pop,
                                                                              strict=True)],
                 shape="circle", size=2.4, fill="#4d5656", css_class="town",
                 priority=10.0 - np.log10(np.maximum(pop, 1)), label_size=10.5,
                 label_colour="#4d5656", legend="town (GeoNames)")
    if airports and bm.airports[0].size:
        lat, lon, lab, tip = bm.airports
        m.points(lat, lon, labels=lab, titles=tip, shape="square", size=3.2, fill="#1f618d",
                 css_class="airport", priority=4.5, label_size=10.0, label_colour="#1f618d",
                 legend="airport / air base")
