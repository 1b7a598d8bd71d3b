"""Map layers for the web COP as GeoJSON, from the shipped region data only (no tiles, no
network): land per country, territorial sea, coastline, the 12-nm limit, towns, airports
(``dronewall.report.basemap``, the same layers the offline reports draw), and the scenario's
zones, sensors and effector sites. Built once per server for the scenario's region.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

from dronewall.server.live import LiveChain

#: Simplification tolerance of background polygons and lines, degrees (~150 m): finer detail
#: cannot be seen at the zoom levels a regional picture uses and only costs bytes.
SIMPLIFY_DEG = 0.0015
#: Towns sent to the client (largest first); the client shows more as the operator zooms in.
MAX_TOWNS = 400


def _feature(geom: shapely.Geometry, props: dict[str, Any], tol: float = SIMPLIFY_DEG
             ) -> dict[str, Any] | None:
    if geom is None or geom.is_empty:
        return None
    g = shapely.simplify(geom, tol, preserve_topology=True) if tol else geom
    g = shapely.set_precision(g, 1e-5)
    if g.is_empty:
        return None
    return {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(g)}


def _fc(feats: list[dict[str, Any] | None]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [f for f in feats if f is not None]}


def region_bbox(live: LiveChain) -> tuple[float, float, float, float]:
    """(lat_min, lat_max, lon_min, lon_max) of the scenario's region (or 1.5 deg around the
    origin when it declares none)."""
    r = live.scenario.region
    if r is not None:
        return r.lat_min, r.lat_max, r.lon_min, r.lon_max
    o = live.scenario.origin
    return o.lat_deg - 1.0, o.lat_deg + 1.0, o.lon_deg - 1.5, o.lon_deg + 1.5


def map_layers(live: LiveChain) -> dict[str, Any]:
    from dronewall.report import basemap as bmod
    from dronewall.report.svg import Projection

    la0, la1, lo0, lo1 = region_bbox(live)
    # a view somewhat larger than the region: the operator pans around its edges
    dla, dlo = (la1 - la0) * 0.6, (lo1 - lo0) * 0.6
    proj = Projection.fit_box(la0 - dla, la1 + dla, lo0 - dlo, lo1 + dlo, 1600, 1200)
    bm = bmod.load_basemap(proj)
    sc = live.scenario
    own = {z.country for z in (live.zones.zones if live.zones else [])
           if z.kind == "sovereign" and z.id not in live.reference_zones}
    land = _fc([_feature(g, {"country": c, "name": n, "own": c in own}) for c, n, g in bm.land])
    tsea = _fc([_feature(g, {}) for g in bm.territorial_sea])
    coast = _fc([_feature(bm.coastline, {})])
    limit = _fc([_feature(bm.tsea_limit, {})])
    lat, lon, name, _cc, pop = bmod._towns()
    box = (lon >= lo0 - dlo) & (lon <= lo1 + dlo) & (lat >= la0 - dla) & (lat <= la1 + dla)
    idx = np.flatnonzero(box)[:MAX_TOWNS]
    towns = _fc([{"type": "Feature", "properties": {"name": str(name[i]),
                                                    "population": int(pop[i]),
                                                    "rank": k},
                  "geometry": {"type": "Point", "coordinates": [round(float(lon[i]), 5),
                                                                round(float(lat[i]), 5)]}}
                 for k, i in enumerate(idx.tolist())])
    a_lat, a_lon, a_lab, a_tip = bm.airports
    airports = _fc([{"type": "Feature", "properties": {"label": a_lab[i], "name": a_tip[i]},
                     "geometry": {"type": "Point", "coordinates": [round(float(a_lon[i]), 5),
                                                                   round(float(a_lat[i]), 5)]}}
                    for i in range(len(a_lab))])
    clip = shapely.box(lo0 - dlo, la0 - dla, lo1 + dlo, la1 + dla)
    zones = []
    for z in (live.zones.zones if live.zones else []):
        if z.kind == "sovereign" and z.id in live.reference_zones:
            continue
        g = shapely.intersection(z.geometry, clip)
        zones.append(_feature(g, {"id": z.id, "kind": z.kind, "name": z.name or z.id,
                                  "country": z.country, "value_eur": float(z.value_eur)},
                              tol=SIMPLIFY_DEG if z.kind == "sovereign" else 0.0))
    from dronewall.detections import SensorKind

    t = live.sensors
    kinds = [SensorKind(int(k)).name.lower() for k in t.kind.tolist()]
    sensors = _fc([{"type": "Feature", "properties": {"id": str(t.ids[i]), "kind": kinds[i]},
                    "geometry": {"type": "Point",
                                 "coordinates": [round(float(t.lon_deg[i]), 5),
                                                 round(float(t.lat_deg[i]), 5)]}}
                   for i in range(len(t.ids))])
    effectors = _fc([{"type": "Feature",
                      "properties": {"id": e.id, "type": str(e.type),
                                     "count": getattr(e, "count", None)},
                      "geometry": {"type": "Point", "coordinates": [e.position[1],
                                                                    e.position[0]]}}
                     for e in sc.effectors])
    return {"bbox": [lo0, la0, lo1, la1], "land": land, "territorial_sea": tsea,
            "coastline": coast, "tsea_limit": limit, "towns": towns, "airports": airports,
            "zones": _fc(zones), "sensors": sensors, "effectors": effectors}
