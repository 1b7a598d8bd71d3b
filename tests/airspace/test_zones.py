"""Zone files: validation errors name the feature and field; repairs; KML; specs; concat."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from air_helpers import LAT0, LON0, of, run, square_spec

from dronewall.airspace import ZoneSet
from dronewall.errors import DataFormatError

SQUARE = [[20.0, 52.0], [20.1, 52.0], [20.1, 52.1], [20.0, 52.1], [20.0, 52.0]]


def _feature(props: dict[str, Any] | None, geom: dict[str, Any] | None = None) -> dict:
    return {"type": "Feature", "properties": props,
            "geometry": geom or {"type": "Polygon", "coordinates": [SQUARE]}}


def _write(tmp_path: Path, *features: dict) -> Path:
    p = tmp_path / "zones.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": list(features)}))
    return p


OK = {"id": "a", "kind": "custom"}


@pytest.mark.parametrize("props,geom,field", [
    ({"kind": "custom"}, None, "'id'"),
    ({"id": "b", "kind": "airfield"}, None, "'kind'"),
    ({"id": "b", "kind": "sovereign"}, None, "'country'"),
    ({"id": "b", "kind": "sovereign", "country": "Pl"}, None, "'country'"),
    ({"id": "b", "kind": "sovereign", "country": "POLAND"}, None, "'country'"),
    ({"id": "b", "kind": "custom", "floor_m": 500, "ceiling_m": 100}, None, "'ceiling_m'"),
    ({"id": "b", "kind": "custom", "floor_m": "high"}, None, "'floor_m'"),
    ({"id": "b", "kind": "infrastructure"}, {"type": "Point", "coordinates": [20, 52]},
     "'radius_m'"),
    ({"id": "b", "kind": "custom"}, {"type": "LineString", "coordinates": [[20, 52], [21, 52]]},
     "'geometry.type'"),
    ({"id": "b", "kind": "custom"}, {"type": "Polygon", "coordinates": [[[52, 200], [52, 20],
                                                                         [53, 20]]]},
     "'geometry.coordinates[0][0]'"),
    (None, None, "'id'"),
])
def test_bad_features_name_feature_index_and_field(tmp_path: Path, props: Any, geom: Any,
                                                   field: str) -> None:
    p = _write(tmp_path, _feature(OK), _feature(props, geom))
    with pytest.raises(DataFormatError) as ei:
        ZoneSet.from_file(p)
    msg = str(ei.value)
    assert str(p) in msg and "feature 1" in msg and field in msg and "expected" in msg


def test_invalid_geometry_is_an_error_or_a_counted_repair(tmp_path: Path) -> None:
    bowtie = [[20.0, 52.0], [20.1, 52.1], [20.1, 52.0], [20.0, 52.1], [20.0, 52.0]]
    p = _write(tmp_path, _feature(OK), _feature({"id": "bow", "kind": "custom"},
                                                {"type": "Polygon", "coordinates": [bowtie]}))
    with pytest.raises(DataFormatError, match=r"feature 1: field 'geometry'.*Self-intersection"):
        ZoneSet.from_file(p, repair=False)
    zs = ZoneSet.from_file(p)
    assert any("feature 1" in r and "make_valid" in r for r in zs.repairs)
    bow = zs.zones[1].geometry
    assert bow.is_valid and bow.area == pytest.approx(0.005, rel=1e-6)


def test_winding_is_normalised_and_reported(tmp_path: Path) -> None:
    cw = SQUARE[::-1]
    p = _write(tmp_path, _feature(OK, {"type": "Polygon", "coordinates": [cw]}))
    zs = ZoneSet.from_file(p)
    assert zs.zones[0].geometry.exterior.is_ccw
    assert any("winding" in r for r in zs.repairs)
    # inside test unaffected
    n = 50
    lon = np.linspace(19.95, 20.15, n)
    ev = run(zs, np.arange(n) * 2.0, np.full(n, 52.05), lon)
    assert len(of(ev, "entry")) == 1


def test_duplicate_ids_and_bad_json(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="duplicate zone id 'a'"):
        ZoneSet.from_file(_write(tmp_path, _feature(OK), _feature(OK)))
    p = tmp_path / "broken.geojson"
    p.write_text('{"type": "FeatureCollection",\n "features": [}')
    with pytest.raises(DataFormatError, match=r"line 2"):
        ZoneSet.from_file(p)


KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2">
 <Document>
  <Placemark id="pl1">
   <name>Sovereign square</name>
   <ExtendedData>
    <Data name="id"><value>POL-sq</value></Data>
    <Data name="kind"><value>sovereign</value></Data>
    <Data name="country"><value>POL</value></Data>
    <Data name="ceiling_m"><value>5000</value></Data>
   </ExtendedData>
   <Polygon><outerBoundaryIs><LinearRing><coordinates>
     20.0,52.0,0 20.1,52.0,0 20.1,52.1,0 20.0,52.1,0 20.0,52.0,0
   </coordinates></LinearRing></outerBoundaryIs>
   <innerBoundaryIs><LinearRing><coordinates>
     20.04,52.04 20.06,52.04 20.06,52.06 20.04,52.06 20.04,52.04
   </coordinates></LinearRing></innerBoundaryIs></Polygon>
  </Placemark>
  <Placemark>
   <ExtendedData><SchemaData schemaUrl="#z">
    <SimpleData name="id">plant</SimpleData>
    <SimpleData name="kind">infrastructure</SimpleData>
    <SimpleData name="radius_m">1500</SimpleData>
   </SchemaData></ExtendedData>
   <Point><coordinates>20.5,52.5</coordinates></Point>
  </Placemark>
 </Document>
</kml>
"""


def test_kml_polygons_and_points_load(tmp_path: Path) -> None:
    p = tmp_path / "zones.kml"
    p.write_text(KML)
    zs = ZoneSet.from_file(p)
    a, b = zs.zones
    assert (a.id, a.kind, a.country, a.name, a.ceiling_m) == ("POL-sq", "sovereign", "POL",
                                                              "Sovereign square", 5000.0)
    assert len(a.geometry.interiors) == 1
    assert a.geometry.area == pytest.approx(0.01 - 0.0004, rel=1e-9)
    assert b.kind == "infrastructure" and b.geometry.area > 0
    n = 80
    ev = run(zs, np.arange(n) * 2.0, np.full(n, 52.02), np.linspace(19.98, 20.12, n))
    assert len(of(ev, "violation", "POL-sq")) == 1


def test_kml_errors_name_the_placemark(tmp_path: Path) -> None:
    p = tmp_path / "bad.kml"
    p.write_text(KML.replace("<value>sovereign</value>", "<value>sov</value>"))
    with pytest.raises(DataFormatError, match=r"Placemark 0: field 'kind'"):
        ZoneSet.from_file(p)
    p.write_text(KML.replace("</Document>", ""))
    with pytest.raises(DataFormatError, match=r"line \d+, column \d+: invalid XML"):
        ZoneSet.from_file(p)


def test_specs_circle_is_within_a_metre_and_concat_checks_ids() -> None:
    from pyproj import Geod

    zs = ZoneSet.from_specs([{"id": "c", "kind": "no_fire", "name": "City",
                              "area": {"center": [LAT0, LON0], "radius_m": 5000.0}}])
    ring = np.asarray(zs.zones[0].geometry.exterior.coords)
    d = Geod(ellps="WGS84").inv(np.full(len(ring), LON0), np.full(len(ring), LAT0),
                                ring[:, 0], ring[:, 1])[2]
    assert np.allclose(d, 5000.0, atol=1e-6)
    # midpoints of the sides (the polygon's farthest points inside the circle)
    mid = 0.5 * (ring[1:] + ring[:-1])
    dm = Geod(ellps="WGS84").inv(np.full(len(mid), LON0), np.full(len(mid), LAT0),
                                 mid[:, 0], mid[:, 1])[2]
    assert 5000.0 - dm.min() < 1.0
    sq = ZoneSet.from_specs([square_spec()])
    both = ZoneSet.concat([zs, sq])
    assert both.ids == ["c", "SQ"]
    with pytest.raises(DataFormatError, match="duplicate zone id 'SQ'"):
        ZoneSet.concat([sq, sq])
    with pytest.raises(DataFormatError, match=r"zones\[0\]: field 'area'"):
        ZoneSet.from_specs([{"id": "x", "kind": "custom"}])
