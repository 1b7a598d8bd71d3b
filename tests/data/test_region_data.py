"""Shipped region data (src/dronewall/data/zones): structure, validity and real-world point checks.

Expected values come from ../shared/research/real-data.md section 1.3 (point checks) and are
documented in docs/region-data.md. Fast, no network, shapely + pyproj only.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

import pytest
import shapely
from pyproj import Geod
from shapely.geometry import LineString, Point, shape

FILES = ("sovereign-maritime.geojson", "sovereign-land.geojson", "airports.geojson")
COUNTRIES = {
    "NOR",
    "FIN",
    "EST",
    "LVA",
    "LTU",
    "POL",
    "BLR",
    "RUS",
    "UKR",
    "MDA",
    "ROU",
    "DNK",
    "DEU",
    "SWE",
}
SOVEREIGN_IDS = (COUNTRIES - {"RUS"}) | {"RUS-kaliningrad", "RUS-west"}
REQUIRED = ("id", "kind", "country", "name", "source")
MAX_BYTES = 2_200_000

# (name, lat, lon, expected country in maritime file, expected in land file); None = no country
POINTS = [
    # real-data.md 1.3: only the maritime data has Vaindloo and its territorial sea
    ("Vaindloo", 59.8167, 26.3583, "EST", None),
    # high-seas corridor between the Finnish and Estonian territorial seas
    ("Gulf of Finland corridor", 59.85, 25.0, None, None),
    # Oresund: Danish territorial sea, not land
    ("Oresund", 55.60, 12.80, "DNK", None),
    ("Copenhagen Kastrup", 55.6179, 12.656, "DNK", "DNK"),
    ("Tallinn", 59.437, 24.745, "EST", "EST"),
    ("Przewodow", 50.47, 23.93, "POL", "POL"),
    ("Wyryki-Wola", 51.63, 23.38, "POL", "POL"),
    ("Kaliningrad", 54.71, 20.51, "RUS", "RUS"),
    ("Minsk", 53.90, 27.56, "BLR", "BLR"),
    ("Tiraspol (Transnistria inside MDA)", 46.84, 29.63, "MDA", "MDA"),
    # Crimea policy (docs/region-data.md): de-jure, Crimea is UKR only
    ("Simferopol", 44.95, 34.10, "UKR", "UKR"),
    ("Sevastopol", 44.60, 33.52, "UKR", "UKR"),
    ("Moscow", 55.75, 37.62, "RUS", "RUS"),
]


@cache
def load(name: str) -> dict:
    path = resources.files("dronewall.data") / "zones" / name
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def geoms(name: str) -> tuple[tuple[dict, shapely.Geometry], ...]:
    out = []
    for f in load(name)["features"]:
        g = shape(f["geometry"])
        shapely.prepare(g)
        out.append((f["properties"], g))
    return tuple(out)


def countries_at(name: str, lat: float, lon: float) -> set[str]:
    p = Point(lon, lat)
    return {props["country"] for props, g in geoms(name) if g.covers(p)}


def ids_at(name: str, lat: float, lon: float) -> list[str]:
    p = Point(lon, lat)
    return [props["id"] for props, g in geoms(name) if g.covers(p)]


# --------------------------------------------------------------------------------------------
# structure
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_file_loads_small_and_sorted(name):
    fc = load(name)
    assert fc["type"] == "FeatureCollection"
    assert fc["features"], name
    ids = [f["properties"]["id"] for f in fc["features"]]
    assert ids == sorted(ids), "features must be sorted by id (deterministic output)"
    assert len(ids) == len(set(ids)), "ids must be unique"
    size = len((resources.files("dronewall.data") / "zones" / name).read_bytes())
    assert size <= MAX_BYTES, f"{name} is {size} bytes"


@pytest.mark.parametrize("name", FILES)
def test_required_properties(name):
    kind = "airport" if name == "airports.geojson" else "sovereign"
    for f in load(name)["features"]:
        p = f["properties"]
        for key in REQUIRED:
            assert isinstance(p.get(key), str) and p[key], (p.get("id"), key)
        assert p["kind"] == kind
        assert p["country"] in COUNTRIES, p
        if kind == "airport":
            assert p["floor_m"] == 0
            assert p["ceiling_m"] > 0
            assert p["zone"] in ("runway-buffer", "circle")


@pytest.mark.parametrize("name", FILES)
def test_geometries_valid_ccw_wgs84(name):
    for props, g in geoms(name):
        assert g.geom_type in ("Polygon", "MultiPolygon"), props["id"]
        assert not g.is_empty and g.is_valid, (props["id"], shapely.is_valid_reason(g))
        minx, miny, maxx, maxy = g.bounds  # [lon, lat] order (RFC 7946), Europe window
        assert -30 <= minx <= maxx <= 45 and 34 <= miny <= maxy <= 82, (props["id"], g.bounds)
        for poly in shapely.get_parts(g):
            assert shapely.is_ccw(poly.exterior), f"{props['id']}: exterior ring must be CCW"
            assert all(not shapely.is_ccw(r) for r in poly.interiors), props["id"]


@pytest.mark.parametrize("name", FILES[:2])
def test_sovereign_feature_set(name):
    ids = {props["id"] for props, _ in geoms(name)}
    assert ids == SOVEREIGN_IDS
    by_id = {props["id"]: props for props, _ in geoms(name)}
    assert by_id["RUS-kaliningrad"]["country"] == "RUS"
    assert by_id["RUS-west"]["country"] == "RUS"


@pytest.mark.parametrize("name", FILES[:2])
def test_sovereign_features_do_not_overlap(name):
    items = geoms(name)
    tree = shapely.STRtree([g for _, g in items])
    for i, (pa, ga) in enumerate(items):
        for j in tree.query(ga):
            if j <= i:
                continue
            pb, gb = items[j]
            # features are resolved on the 1e-5 degree grid they are stored on; a floating-point
            # overlay also reports sub-grid (< ~1 m wide) slivers along shared borders
            area = shapely.intersection(ga, gb, grid_size=1e-5).area
            assert area < 1e-9, (pa["id"], pb["id"], area)  # < ~10 m^2


def test_maritime_carries_odbl_attribution():
    meta = load("sovereign-maritime.geojson")["metadata"]
    assert meta["licence"] == "ODbL-1.0"
    assert "OpenStreetMap contributors" in meta["attribution"]
    notice = (resources.files("dronewall.data") / "zones" / "NOTICE.md").read_text("utf-8")
    assert "© OpenStreetMap contributors" in notice and "ODbL" in notice


# --------------------------------------------------------------------------------------------
# real-world point checks (real-data.md 1.3)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("label,lat,lon,maritime,land", POINTS, ids=[p[0] for p in POINTS])
def test_point_in_country(label, lat, lon, maritime, land):
    assert countries_at("sovereign-maritime.geojson", lat, lon) == (
        {maritime} if maritime else set()
    ), label
    assert countries_at("sovereign-land.geojson", lat, lon) == ({land} if land else set()), label


def test_kaliningrad_is_its_own_feature():
    assert ids_at("sovereign-maritime.geojson", 54.71, 20.51) == ["RUS-kaliningrad"]
    assert ids_at("sovereign-land.geojson", 54.71, 20.51) == ["RUS-kaliningrad"]
    assert ids_at("sovereign-maritime.geojson", 55.75, 37.62) == ["RUS-west"]


def test_vaindloo_negative_case_land_only():
    """Estonia 19 Sep 2025: land-only data cannot see the Vaindloo violation."""
    assert ids_at("sovereign-land.geojson", 59.8167, 26.3583) == []
    assert ids_at("sovereign-maritime.geojson", 59.8167, 26.3583) == ["EST"]


@pytest.mark.parametrize(
    "lat,expected_km", [(59.70, 132), (59.75, 103), (59.80, 74), (59.82, 51), (59.85, 28)]
)
def test_est_maritime_west_east_length(lat, expected_km):
    """real-data.md 1.3: length of a west-east line inside the EST maritime polygon."""
    est = next(g for p, g in geoms("sovereign-maritime.geojson") if p["id"] == "EST")
    line = LineString([(20.0 + i * 0.005, lat) for i in range(2001)])  # 20-30 E
    km = (
        sum(
            Geod(ellps="WGS84").geometry_length(part)
            for part in shapely.get_parts(line.intersection(est))
        )
        / 1000
    )
    assert km == pytest.approx(expected_km, rel=0.03), km


# --------------------------------------------------------------------------------------------
# airports
# --------------------------------------------------------------------------------------------

AIRPORTS = [  # ICAO, country, reference point from real-data.md 1.6 (lat, lon)
    ("EKCH", "DNK", 55.6179, 12.656),
    ("EPWA", "POL", 52.1657, 20.9671),
    ("EETN", "EST", 59.4133, 24.8328),
    ("LROP", "ROU", 44.5722, 26.1022),
    ("ENGM", "NOR", 60.1939, 11.1004),
    ("EDDM", "DEU", 48.3538, 11.7861),
    ("EKYT", "DNK", 57.09276, 9.84924),
    ("EPRZ", "POL", 50.11, 22.019),
    ("EPLB", "POL", 51.24028, 22.71361),
    ("LUKK", "MDA", 46.9277, 28.931),
    ("EEEI", "EST", 59.2603, 24.2085),
    ("LRFT", "ROU", 44.3923, 27.7267),  # Fetesti air base (OurAirports ident LR80, gps LRFT)
    ("UMKK", "RUS", 54.89, 20.5926),  # Kaliningrad Khrabrovo
]


@pytest.mark.parametrize("icao,country,lat,lon", AIRPORTS, ids=[a[0] for a in AIRPORTS])
def test_airport_present_with_country(icao, country, lat, lon):
    by_id = {p["id"]: (p, g) for p, g in geoms("airports.geojson")}
    assert icao in by_id, icao
    props, g = by_id[icao]
    assert props["country"] == country
    assert props["kind"] == "airport"
    assert g.covers(Point(lon, lat)), "reference point must be inside its zone"
    # the zone reaches at least ~5 km (minus polygonisation) from the reference point
    assert g.covers(Point(lon, lat).buffer(0.03)), icao
    # and the airport itself lies in the sovereign territory of the same country
    assert countries_at("sovereign-maritime.geojson", lat, lon) == {country}


def test_kastrup_zone_is_runway_aligned():
    props = next(p for p, _ in geoms("airports.geojson") if p["id"] == "EKCH")
    assert props["zone"] == "runway-buffer"


def test_airport_ids_mostly_icao():
    props = [p for p, _ in geoms("airports.geojson")]
    assert len(props) > 300
    with_icao = [p for p in props if p["icao"]]
    assert all(p["id"] == p["icao"] for p in with_icao)
    assert len(with_icao) / len(props) > 0.8
