"""Zones: loading (GeoJSON, KML, inline specs), validation, repair, and the indexed ``ZoneSet``.

A zone is a polygonal area in WGS84 ``(lon, lat)`` with an optional altitude band
``[floor_m, ceiling_m]`` (metres above the WGS84 ellipsoid, the same reference as track
``alt_m``). See ``docs/airspace.md`` for the file format, the checks and the repairs.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from dronewall.airspace.geometry import (
    MAX_ACCURATE_PART_RADIUS_M,
    MAX_CIRCLE_RADIUS_M,
    PartPlanes,
    ZoneEdges,
    circle_polygon,
)
from dronewall.errors import DataFormatError
from dronewall.inputs import excerpt, finite_number
from dronewall.inputs.jsondoc import load_json
from dronewall.inputs.limits import MAX_DOCUMENT_BYTES

#: Largest |floor_m|, |ceiling_m| or radius_m written in a zone file, m (ten times the Karman
#: line; larger values are typos or garbage).
MAX_ZONE_METRES = 1.0e6

#: Zone kinds of the issue; anything else is an error (typos must not pass silently).
ZONE_KINDS = ("sovereign", "airport", "infrastructure", "no_fire", "engagement", "custom")
#: ISO 3166-1 alpha-3 shape (the code list itself is not checked: disputed and user-assigned
#: codes such as XKX must stay usable).
COUNTRY_RE = re.compile(r"^[A-Z]{3}$")
#: Properties a feature may carry; others are kept out of the zone but not rejected (real
#: files carry many extra attributes).
KNOWN_PROPERTIES = ("id", "kind", "country", "name", "floor_m", "ceiling_m", "radius_m",
                    "value_eur")


@dataclass(frozen=True)
class Zone:
    """One zone. ``geometry`` is a shapely Polygon / MultiPolygon in (lon_deg, lat_deg),
    valid, exteriors counter-clockwise. ``source`` names the file and feature it came from."""

    id: str
    kind: str
    geometry: shapely.Geometry
    country: str = ""
    name: str = ""
    floor_m: float | None = None
    ceiling_m: float | None = None
    source: str = ""
    #: What the defended asset is worth to the defender (EUR, threat evaluation and engagement
    #: planning weight); 0: not a defended asset.
    value_eur: float = 0.0


class ZoneSet:
    """An immutable, indexed set of zones (Z zones, P polygon parts).

    Index structures (built once): ``tree`` (STRtree over the prepared parts in lon/lat),
    ``part_zone`` (P,) zone index of each part, ``parts`` (P,) prepared polygons,
    ``zone_parts`` list of part-index arrays per zone, ``edges`` (:class:`ZoneEdges`),
    ``planes`` (:class:`PartPlanes`), ``floor_m`` / ``ceiling_m`` (Z,) (+-inf when absent),
    ``countries`` sorted tuple of country codes, ``country_code`` (Z,) index into it (-1: none),
    ``sovereign`` (Z,) bool. ``repairs`` lists what was repaired on load (one line each).
    """

    def __init__(self, zones: Sequence[Zone], repairs: Sequence[str] = ()) -> None:
        seen: dict[str, str] = {}
        for z in zones:
            if z.id in seen:
                raise DataFormatError(f"{z.source}: field 'id': duplicate zone id {z.id!r} "
                                      f"(first at {seen[z.id]}); ids must be unique")
            seen[z.id] = z.source
        self.zones: tuple[Zone, ...] = tuple(zones)
        self.repairs: tuple[str, ...] = tuple(repairs)
        parts: list[shapely.Polygon] = []
        part_zone: list[int] = []
        for i, z in enumerate(self.zones):
            for p in shapely.get_parts(z.geometry):
                parts.append(p)
                part_zone.append(i)
        self.part_zone: NDArray[np.int64] = np.asarray(part_zone, dtype=np.int64)
        self.parts = np.array(parts, dtype=object)
        shapely.prepare(self.parts)
        self.tree = shapely.STRtree(self.parts)
        self.zone_parts = [np.flatnonzero(self.part_zone == i) for i in range(len(self.zones))]
        self.edges = ZoneEdges([z.geometry for z in self.zones])
        self.planes = PartPlanes(parts)
        self.floor_m = np.array([-np.inf if z.floor_m is None else z.floor_m for z in self.zones])
        self.ceiling_m = np.array([np.inf if z.ceiling_m is None else z.ceiling_m
                                   for z in self.zones])
        self.countries: tuple[str, ...] = tuple(sorted({z.country for z in self.zones
                                                        if z.country}))
        cidx = {c: k for k, c in enumerate(self.countries)}
        self.country_code = np.array([cidx.get(z.country, -1) for z in self.zones],
                                     dtype=np.int64)
        self.sovereign = np.array([z.kind == "sovereign" for z in self.zones], dtype=bool)
        #: (Z,) defended-asset value in EUR (0: not a defended asset)
        self.value_eur = np.array([z.value_eur for z in self.zones], dtype=np.float64)
        big = np.flatnonzero(self.planes.max_radius_m > MAX_ACCURATE_PART_RADIUS_M)
        if len(big):
            self.repairs += tuple(
                f"{self.zones[self.part_zone[k]].source}: part {k} reaches "
                f"{self.planes.max_radius_m[k] / 1e3:.0f} km from its centre; depth error may "
                f"exceed 0.5 % there" for k in big)

    def __len__(self) -> int:
        return len(self.zones)

    @property
    def ids(self) -> list[str]:
        return [z.id for z in self.zones]

    # ----------------------------------------------------------------- constructors

    @classmethod
    def from_file(cls, path: str | Path, repair: bool = True) -> ZoneSet:
        """Load a ``.geojson`` / ``.json`` or ``.kml`` file (see ``docs/airspace.md``).

        ``repair=True`` fixes invalid polygons with ``shapely.make_valid`` and normalises
        winding, recording one line per repair in ``repairs``; ``repair=False`` makes invalid
        geometry an error.
        """
        p = Path(path)
        if p.suffix.lower() == ".kml":
            return load_kml(p, repair=repair)
        return load_geojson(p, repair=repair)

    @classmethod
    def from_specs(cls, specs: Iterable[Mapping[str, Any]], source: str = "zones",
                   repair: bool = True) -> ZoneSet:
        """Zones from inline specs (scenario ``ZoneSpec`` as plain dicts).

        Each spec: ``id``, ``kind``, ``country`` (required for sovereign), optional ``name``,
        ``floor_m``, ``ceiling_m`` and ``area``: ``{"center": [lat, lon], "radius_m": r}``
        (a geodesic circle, polygon within 1 m) or ``{"polygon": [[lat, lon], ...]}``.
        Note the ``[lat, lon]`` order of scenario files (GeoJSON uses ``[lon, lat]``).
        """
        zones: list[Zone] = []
        repairs: list[str] = []
        for i, spec in enumerate(specs):
            where = f"{source}[{i}]"
            if not isinstance(spec, Mapping):
                raise DataFormatError(f"{where}: expected a mapping with id, kind, area; "
                                      f"got {type(spec).__name__}")
            props = dict(spec)
            area = props.pop("area", None)
            if not isinstance(area, Mapping):
                raise DataFormatError(f"{where}: field 'area': expected {{center, radius_m}} "
                                      f"or {{polygon}}, got {area!r}")
            if area.get("polygon") is not None:
                pts = area["polygon"]
                try:
                    ring = [(float(q[1]), float(q[0])) for q in pts]
                    if ring and ring[0] != ring[-1]:
                        ring.append(ring[0])  # scenario polygons are given open
                except (TypeError, ValueError, IndexError):
                    raise DataFormatError(f"{where}: field 'area.polygon': expected a list of "
                                          f"[lat_deg, lon_deg], got {pts!r}") from None
                geom_json: dict[str, Any] = {"type": "Polygon", "coordinates": [ring]}
            elif area.get("center") is not None:
                c = area["center"]
                try:
                    geom_json = {"type": "Point", "coordinates": [float(c[1]), float(c[0])]}
                except (TypeError, ValueError, IndexError):
                    raise DataFormatError(f"{where}: field 'area.center': expected "
                                          f"[lat_deg, lon_deg], got {c!r}") from None
                props["radius_m"] = area.get("radius_m")
            else:
                raise DataFormatError(f"{where}: field 'area': needs center + radius_m or "
                                      f"polygon, got {dict(area)!r}")
            zones.append(_zone_from_feature(geom_json, props, where, repair, repairs))
        return cls(zones, repairs)

    @classmethod
    def concat(cls, sets: Iterable[ZoneSet]) -> ZoneSet:
        """One set from several (ids must stay unique across them)."""
        zones: list[Zone] = []
        repairs: list[str] = []
        for s in sets:
            zones.extend(s.zones)
            repairs.extend(s.repairs)
        return cls(zones, repairs)


# --------------------------------------------------------------------------- feature parsing

def _fail(where: str, field: str, value: Any, expected: str) -> DataFormatError:
    return DataFormatError(f"{where}: field '{field}': got {excerpt(value)}; expected {expected}")


def _opt_float(props: Mapping[str, Any], key: str, where: str) -> float | None:
    v = props.get(key)
    if v is None:
        return None
    return finite_number(v, f"{where}: field '{key}'", lo=-MAX_ZONE_METRES,
                         hi=MAX_ZONE_METRES, what="a finite number of metres")


def _ring(coords: Any, where: str, field: str, repairs: list[str]) -> list[tuple[float, float]]:
    if not isinstance(coords, list):
        raise _fail(where, field, coords, "a list of [lon, lat] positions")
    out: list[tuple[float, float]] = []
    for k, pos in enumerate(coords):
        if (not isinstance(pos, (list, tuple)) or len(pos) < 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                           for v in pos[:2])):
            raise _fail(where, f"{field}[{k}]", pos, "[lon_deg, lat_deg] numbers")
        lon, lat = float(pos[0]), float(pos[1])
        if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
            raise _fail(where, f"{field}[{k}]", pos, "longitude in [-180, 180] (GeoJSON "
                        "order is [lon, lat])")
        if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
            raise _fail(where, f"{field}[{k}]", pos, "latitude in [-90, 90] (GeoJSON order "
                        "is [lon, lat])")
        out.append((lon, lat))
    if len(out) >= 2 and out[0] != out[-1]:
        out.append(out[0])
        repairs.append(f"{where}: {field}: ring was not closed; closed it")
    if len(set(out)) < 3:
        raise _fail(where, field, coords, "a ring of at least 3 distinct positions")
    return out


def _polygon(rings: Any, where: str, field: str, repairs: list[str]) -> shapely.Polygon:
    if not isinstance(rings, list) or not rings:
        raise _fail(where, field, rings, "a list of rings (exterior first, then holes)")
    shell = _ring(rings[0], where, f"{field}[0]", repairs)
    holes = [_ring(r, where, f"{field}[{k}]", repairs) for k, r in enumerate(rings[1:], 1)]
    return shapely.Polygon(shell, holes)


def _zone_from_feature(geom: Any, props: Mapping[str, Any] | None, where: str, repair: bool,
                       repairs: list[str]) -> Zone:
    """Validate one feature's properties and geometry; return the zone (see module doc)."""
    if props is None:
        props = {}
    if not isinstance(props, Mapping):
        raise _fail(where, "properties", props, "an object with id, kind (and country)")
    zid = props.get("id")
    if isinstance(zid, bool) or not isinstance(zid, (str, int)) or str(zid).strip() == "":
        raise _fail(where, "id", zid, "a non-empty string (or integer) zone id")
    zid = str(zid)
    kind = props.get("kind")
    if kind not in ZONE_KINDS:
        raise _fail(where, "kind", kind, "one of " + ", ".join(ZONE_KINDS))
    country = props.get("country")
    if country is None or country == "":
        if kind == "sovereign":
            raise _fail(where, "country", country, "an ISO 3166 alpha-3 code (e.g. POL) for a "
                        "sovereign zone")
        country = ""
    elif not isinstance(country, str) or not COUNTRY_RE.match(country):
        raise _fail(where, "country", country, "an ISO 3166 alpha-3 code: three upper-case "
                    "letters, e.g. POL")
    name = props.get("name")
    if name is None:
        name = ""
    elif not isinstance(name, str):
        raise _fail(where, "name", name, "a string")
    floor_m = _opt_float(props, "floor_m", where)
    ceiling_m = _opt_float(props, "ceiling_m", where)
    if floor_m is not None and ceiling_m is not None and floor_m >= ceiling_m:
        raise _fail(where, "ceiling_m", ceiling_m, f"a ceiling above floor_m = {floor_m}")
    value_eur = props.get("value_eur")
    if value_eur is None:
        value_eur = 0.0
    elif isinstance(value_eur, str):
        raise _fail(where, "value_eur", value_eur, "a finite, non-negative number of euros")
    else:
        value_eur = finite_number(value_eur, f"{where}: field 'value_eur'", lo=0.0,
                                  what="a finite, non-negative number of euros")

    if not isinstance(geom, Mapping):
        raise _fail(where, "geometry", geom, "a Polygon, MultiPolygon or Point geometry")
    gtype = geom.get("type")
    coords = geom.get("coordinates")
    if gtype == "Polygon":
        g: shapely.Geometry = _polygon(coords, where, "geometry.coordinates", repairs)
    elif gtype == "MultiPolygon":
        if not isinstance(coords, list) or not coords:
            raise _fail(where, "geometry.coordinates", coords, "a list of polygons")
        g = shapely.MultiPolygon([_polygon(c, where, f"geometry.coordinates[{k}]", repairs)
                                  for k, c in enumerate(coords)])
    elif gtype == "Point":
        if (not isinstance(coords, list) or len(coords) < 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                           for v in coords[:2])):
            raise _fail(where, "geometry.coordinates", coords, "[lon_deg, lat_deg]")
        lon, lat = float(coords[0]), float(coords[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise _fail(where, "geometry.coordinates", coords, "[lon_deg, lat_deg] in range")
        r = _opt_float(props, "radius_m", where)
        if r is None or not 0.0 < r <= MAX_CIRCLE_RADIUS_M:
            raise _fail(where, "radius_m", props.get("radius_m"),
                        f"a radius in metres in (0, {MAX_CIRCLE_RADIUS_M:.0f}] for a Point zone")
        g = circle_polygon(lat, lon, r)
    else:
        raise _fail(where, "geometry.type", gtype, "Polygon, MultiPolygon or Point")

    x0, _, x1, _ = g.bounds
    if x1 - x0 > 180.0:
        raise _fail(where, "geometry", f"longitudes {x0}..{x1}",
                    "a zone not crossing the antimeridian (split it at +-180 deg)")
    if not g.is_valid:
        reason = shapely.is_valid_reason(g)
        if not repair:
            raise _fail(where, "geometry", reason, "a valid polygon (no self-intersection, "
                        "holes inside the shell)")
        fixed = shapely.make_valid(g)
        polys = [p for p in shapely.get_parts(fixed)
                 if p.geom_type in ("Polygon", "MultiPolygon")]
        g = shapely.unary_union(polys) if polys else shapely.Polygon()
        if g.is_empty or g.area == 0.0:
            raise _fail(where, "geometry", reason, "a polygon with a non-zero area")
        repairs.append(f"{where}: invalid geometry ({reason}); repaired with make_valid")
    oriented = shapely.orient_polygons(g, exterior_cw=False)
    if not shapely.equals_exact(oriented, g, tolerance=0.0):
        repairs.append(f"{where}: ring winding normalised (exterior counter-clockwise)")
    g = oriented
    return Zone(id=zid, kind=str(kind), geometry=g, country=country, name=name,
                floor_m=floor_m, ceiling_m=ceiling_m, source=where, value_eur=float(value_eur))


# --------------------------------------------------------------------------- file loaders

def load_geojson(path: Path, repair: bool = True) -> ZoneSet:
    """Load a GeoJSON FeatureCollection (or a single Feature) of zones."""
    data = load_json(path, "zone file")
    if isinstance(data, Mapping) and data.get("type") == "Feature":
        feats: Any = [data]
    elif isinstance(data, Mapping) and data.get("type") == "FeatureCollection":
        feats = data.get("features")
        if not isinstance(feats, list):
            raise DataFormatError(f"{path}: field 'features': expected a list of features, "
                                  f"got {feats!r}")
    else:
        raise DataFormatError(f"{path}: expected a GeoJSON FeatureCollection or Feature at "
                              f"the top level")
    zones: list[Zone] = []
    repairs: list[str] = []
    for i, f in enumerate(feats):
        where = f"{path}: feature {i}"
        if not isinstance(f, Mapping) or f.get("type") != "Feature":
            raise _fail(where, "type", f.get("type") if isinstance(f, Mapping) else f,
                        "'Feature'")
        zones.append(_zone_from_feature(f.get("geometry"), f.get("properties"), where, repair,
                                        repairs))
    return ZoneSet(zones, repairs)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if _local(c.tag) == name]


def _descendants(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el.iter() if _local(c.tag) == name]


def _kml_coords(el: ET.Element | None, where: str, field: str) -> list[list[float]]:
    if el is None or el.text is None:
        raise _fail(where, field, None, "a <coordinates> element with 'lon,lat[,alt]' tuples")
    out: list[list[float]] = []
    for tok in el.text.split():
        try:
            out.append([float(v) for v in tok.split(",")][:2])
        except ValueError:
            raise _fail(where, field, tok, "'lon,lat[,alt]' numbers") from None
    return out


def _kml_polygon(poly: ET.Element, where: str) -> list[list[list[float]]]:
    rings: list[list[list[float]]] = []
    outer = _children(poly, "outerBoundaryIs")
    if not outer:
        raise _fail(where, "Polygon", "no outerBoundaryIs", "<outerBoundaryIs><LinearRing>")
    for b in outer + _children(poly, "innerBoundaryIs"):
        lr = _descendants(b, "coordinates")
        rings.append(_kml_coords(lr[0] if lr else None, where, _local(b.tag)))
    return rings


def load_kml(path: Path, repair: bool = True) -> ZoneSet:
    """Load zones from a KML file: one zone per Placemark with a Polygon, MultiGeometry of
    Polygons, or Point (+ ``radius_m``). Properties come from ``<ExtendedData>`` (``Data`` /
    ``SimpleData`` elements named as the GeoJSON properties); ``<name>`` is used when no
    ``name`` property is given. Altitudes in coordinates are ignored (use floor_m/ceiling_m)."""
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise DataFormatError(f"{path}: {size:,} bytes; a zone file may have at most "
                                  f"{MAX_DOCUMENT_BYTES:,} bytes (docs/limits.md)")
        root = ET.parse(path).getroot()
    except OSError as e:
        raise DataFormatError(f"{path}: cannot read zone file ({e.strerror})") from e
    except ET.ParseError as e:
        line, col = e.position
        raise DataFormatError(f"{path}: line {line}, column {col}: invalid XML ({e})") from e
    except LookupError as e:     # <?xml encoding="..."?> names no codec Python knows
        raise DataFormatError(f"{path}: line 1: {e} in the XML declaration; expected "
                              'encoding="UTF-8"') from None
    zones: list[Zone] = []
    repairs: list[str] = []
    for i, pm in enumerate(_descendants(root, "Placemark")):
        where = f"{path}: Placemark {i}"
        props: dict[str, Any] = {}
        for d in _descendants(pm, "Data"):
            v = _children(d, "value")
            props[d.get("name", "")] = v[0].text.strip() if v and v[0].text else None
        for d in _descendants(pm, "SimpleData"):
            props[d.get("name", "")] = d.text.strip() if d.text else None
        if "id" not in props and pm.get("id"):
            props["id"] = pm.get("id")
        nm = _children(pm, "name")
        if "name" not in props and nm and nm[0].text:
            props["name"] = nm[0].text.strip()
        for key in ("floor_m", "ceiling_m", "radius_m"):
            if props.get(key) == "":
                props[key] = None
        polys = _descendants(pm, "Polygon")
        points = _descendants(pm, "Point")
        if polys:
            rings = [_kml_polygon(p, where) for p in polys]
            geom: dict[str, Any] = ({"type": "Polygon", "coordinates": rings[0]} if len(rings) == 1
                                    else {"type": "MultiPolygon", "coordinates": rings})
        elif points:
            c = _kml_coords(_descendants(points[0], "coordinates")[0]
                            if _descendants(points[0], "coordinates") else None, where, "Point")
            geom = {"type": "Point", "coordinates": c[0] if c else None}
        else:
            raise _fail(where, "geometry", None, "a Polygon, MultiGeometry of Polygons or Point")
        zones.append(_zone_from_feature(geom, props, where, repair, repairs))
    if not zones:
        raise DataFormatError(f"{path}: no <Placemark> with a zone found")
    return ZoneSet(zones, repairs)
