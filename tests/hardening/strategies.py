"""Hypothesis strategies for every file format the CLI reads, and for engine batches.

Each format has a *structured* generator (the real schema, every field drawn from a pool that
mixes valid values with the edge cases a new user or a broken exporter produces: huge and
non-finite numbers, 400-digit integers, dates in year 1 or 9999, wrong types, empty strings)
and all formats share a *byte mutator* (bad UTF-8, truncation, deleted or doubled lines, deep
nesting, very long fields, NUL and BOM bytes) applied on top. Together they reach both the
validators and the code behind them.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from hypothesis import strategies as st

# --------------------------------------------------------------------------- shared pools

#: Number-like tokens for text formats (CSV cells, Toffolo fields).
NUM_TOKENS = ["0", "-0", "1", "-1", "0.5", "2", "10", "100", "1e308", "-1e308", "1e309", "1e-320",
              "nan", "NaN", "inf", "-inf", "Infinity", "1e20", "-1e20", "1e300",
              "99999999999999999999999999", "9" * 400, "0x10", "1_000", " 1 ", "", "abc",
              "1,5", "\uff12", "1e", ".", "+", "-", "4294967296", "1099511627776"]
#: Date-like tokens.
DATE_TOKENS = ["2025-09-10T00:30:00Z", "2025-09-10T00:30:00+02:00", "2025-09-10T00:30:00",
               "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2025-13-40T99:99:99Z",
               "1900-01-01T00:00:00Z", "2199-12-31T23:59:59Z", "yesterday", "", "1e20",
               "2025-09-10", "1757464200"]
#: JSON values of the wrong kind or at the edges.
JSON_EDGES: list[Any] = [None, True, False, 0, -1, 1, 0.5, 1e308, -1e308, 1e-320, 10**30,
                         float("nan"), float("inf"), "", "x", "1", [], {}, [1, 2], {"a": 1},
                         "\u0000", "A" * 300]


def json_text(obj: Any) -> str:
    """JSON with NaN/Infinity allowed (what careless writers produce)."""
    return json.dumps(obj, allow_nan=True)


#: Chance (1 in N) that a field gets an edge value instead of a valid one: low enough that
#: many documents are valid throughout (and reach the code behind the validators).
EDGE_ONE_IN = 16


def rare(draw: st.DrawFn, n: int) -> bool:
    """True about once in ``n`` draws (on the largest value: hypothesis favours small ones)."""
    return draw(st.integers(0, n - 1)) == n - 1


@st.composite
def _mostly(draw: st.DrawFn, valid: st.SearchStrategy[Any],
            edge: st.SearchStrategy[Any]) -> Any:
    # (a composite, not a flatmap: strategies are drawn, never built, per example -- building
    # and validating strategy objects per draw was most of the generation time)
    return draw(edge) if rare(draw, EDGE_ONE_IN) else draw(valid)


def num_token(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Mostly valid numbers, sometimes an edge token."""
    return _mostly(valid, st.sampled_from(NUM_TOKENS))


def floats_text(lo: float, hi: float) -> st.SearchStrategy[str]:
    return st.floats(lo, hi, allow_nan=False).map(lambda v: f"{v:.6g}")


def jvalue(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A JSON field value: mostly valid, sometimes an edge of any type."""
    return _mostly(valid, st.one_of(st.sampled_from(JSON_EDGES),
                                    st.integers(-(10**400), 10**400)))


# --------------------------------------------------------------------------- byte mutator

_INSERTS = [b"\xff", b"\xfe\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\r", b"\r\n", b'"',
            b"'", b",", b"\n", b"[", b"]", b"{", b"}", b":", b"&a ", b"*a", b"!!python/object ",
            b"- ", b"  ", b"\t", b"#", b"1e999", b"-1e999", b"9" * 40, b"\xef\xbb\xbf",
            b"<", b">", b"&lol;", b"NaN", b"null"]


_KINDS = st.sampled_from(["insert", "insert", "replace", "delete", "truncate", "dup_line",
                          "deep", "long", "flip"])
_INSERT = st.sampled_from(_INSERTS)
_REPLACE = st.sampled_from(_INSERTS + [t.encode() for t in NUM_TOKENS if len(t) < 50])
_DEEP_N = st.sampled_from([40, 100, 1_000, 20_000])
_DEEP_OPENER = st.sampled_from([b"[", b"{\"a\":", b"- ", b"<a>"])
_LONG_CHAR = st.sampled_from([b"9", b"a", b" "])
_LONG_N = st.sampled_from([1_000, 140_000])


@st.composite
def mutated(draw: st.DrawFn, seed: bytes, max_mutations: int = 4) -> bytes:
    """``seed`` with 0..max_mutations random edits (positions and edits drawn)."""
    return mutate(draw, seed, max_mutations)


def mutate(draw: st.DrawFn, seed: bytes, max_mutations: int = 4) -> bytes:
    """The edits of :func:`mutated`, drawn with ``draw`` inside another strategy."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(0, max_mutations))):
        kind = draw(_KINDS)
        pos = draw(st.integers(0, len(data)))
        if kind == "insert":
            data[pos:pos] = draw(_INSERT)
        elif kind == "replace":
            end = min(len(data), pos + draw(st.integers(1, 12)))
            data[pos:end] = draw(_REPLACE)
        elif kind == "delete":
            end = min(len(data), pos + draw(st.integers(1, 40)))
            del data[pos:end]
        elif kind == "truncate":
            del data[pos:]
        elif kind == "dup_line":
            a = data.rfind(b"\n", 0, pos) + 1
            b = data.find(b"\n", pos)
            b = len(data) if b < 0 else b + 1
            data[b:b] = data[a:b] * draw(st.integers(1, 3))
        elif kind == "deep":
            n = draw(_DEEP_N)
            data[pos:pos] = draw(_DEEP_OPENER) * n
        elif kind == "long":
            data[pos:pos] = draw(_LONG_CHAR) * draw(_LONG_N)
        elif kind == "flip" and data:
            i = min(pos, len(data) - 1)
            data[i] ^= 1 << draw(st.integers(0, 7))
    return bytes(data)


@st.composite
def text_or_mutated(draw: st.DrawFn, doc: st.SearchStrategy[str]) -> bytes:
    """A generated document as UTF-8, left as is (half the time) or mutated."""
    raw = draw(doc).encode()
    return raw if draw(st.booleans()) else mutate(draw, raw)


# --------------------------------------------------------------------------- CSV formats

def _csv(header: list[str], rows: list[list[str]]) -> str:
    def cell(c: str) -> str:
        return f'"{c}"' if ("," in c or '"' in c or "\n" in c) and '"' not in c else c
    return "\n".join([",".join(header)] + [",".join(cell(c) for c in r) for r in rows]) + "\n"


_ANY_TOKEN = st.sampled_from(NUM_TOKENS)


@st.composite
def csv_table(draw: st.DrawFn, columns: dict[str, st.SearchStrategy[str]],
              required: list[str], max_rows: int = 30) -> str:
    """A CSV table: the required columns (sometimes one missing), optional ones, a stray one,
    in any order; each cell from its column's strategy."""
    cols = list(required)
    if rare(draw, 20) and cols:
        cols.remove(draw(st.sampled_from(cols)))
    for c in columns:
        if c not in cols and draw(st.booleans()):
            cols.append(c)
    if rare(draw, 20):
        cols.append(draw(st.sampled_from(["extra", "", "time", "id"])))
    cols = draw(st.permutations(cols))
    n = draw(st.integers(0, max_rows))
    rows = []
    for _ in range(n):
        rows.append([draw(columns.get(c, _ANY_TOKEN)) for c in cols])
    if rows and rare(draw, 20):
        rows[draw(st.integers(0, len(rows) - 1))].pop()          # a short row
    return _csv(list(cols), rows)


def detections_csv() -> st.SearchStrategy[str]:
    """Neutral 2-D detections: scan,time,x,y (``dronewall track``)."""
    return csv_table({
        "scan": _mostly(st.integers(0, 40).map(str), st.sampled_from(
            NUM_TOKENS + ["999999999999", "-1", "10000001", "1.5"])),
        "time": num_token(floats_text(0, 60)),
        "x": num_token(floats_text(-5e4, 5e4)),
        "y": num_token(floats_text(-5e4, 5e4)),
        "truth": st.integers(-1, 5).map(str)}, ["scan", "time", "x", "y"], 60).map(
        _sorted_scans)


def _sorted_scans(text: str) -> str:
    """Mostly keep scans ascending (the valid case), so the engine gets exercised."""
    lines = text.splitlines()
    if len(lines) < 3:
        return text
    head = lines[0].split(",")
    if "scan" not in head:
        return text
    k = head.index("scan")

    def key(ln: str) -> float:
        parts = ln.split(",")
        try:
            return float(parts[k])
        except (ValueError, IndexError):
            return 0.0
    return "\n".join([lines[0]] + sorted(lines[1:], key=key)) + "\n"


def scenario_json() -> st.SearchStrategy[str]:
    """scenario.json of the track command."""
    return st.fixed_dictionaries(
        {"sigma": jvalue(st.floats(1, 100)), "pd": jvalue(st.floats(0.5, 1.0)),
         "clutter_density_per_m2": jvalue(st.floats(1e-10, 1e-6)),
         "dt": jvalue(st.floats(0.5, 5))},
        optional={"scans": jvalue(st.integers(0, 80)), "other": jvalue(st.integers())},
    ).map(json_text)


def tracks_csv() -> st.SearchStrategy[str]:
    """Neutral tracks: time,track_id,lat,lon,alt_m[,sigma_m] (violations, report incident)."""
    return csv_table({
        "time": st.one_of(num_token(floats_text(0, 600)), st.sampled_from(DATE_TOKENS)),
        "track_id": st.sampled_from(["a", "b", "1", "", "x" * 50, "\u00e9"]),
        "lat": num_token(floats_text(51.9, 52.2)),
        "lon": num_token(floats_text(22.8, 23.4)),
        "alt_m": num_token(floats_text(0, 3000)),
        "sigma_m": num_token(floats_text(1, 500)),
        "seen_by": st.sampled_from(["", "radar", "radar;acoustic", "1"])},
        ["time", "track_id", "lat", "lon", "alt_m"], 40)


def adsb_csv() -> st.SearchStrategy[str]:
    """ADS-B reports: time,icao24,lat,lon,alt_m[,callsign,groundspeed_mps,track_deg,...]."""
    t0 = 1_757_460_000.0
    return csv_table({
        "time": st.one_of(num_token(floats_text(t0, t0 + 3600)), st.sampled_from(DATE_TOKENS)),
        "icao24": st.sampled_from(["abc123", "4ca7b1", "", "ABC123", "zzzzzz", "x" * 30]),
        "lat": num_token(floats_text(50, 54)), "lon": num_token(floats_text(20, 25)),
        "alt_m": num_token(floats_text(0, 12000)),
        "callsign": st.sampled_from(["LOT123", "", "X" * 20]),
        "groundspeed_mps": num_token(floats_text(0, 300)),
        "track_deg": num_token(floats_text(0, 360)),
        "vertical_rate_mps": num_token(floats_text(-20, 20))},
        ["time", "icao24", "lat", "lon", "alt_m"], 40)


# --------------------------------------------------------------------------- JSON formats

def _ring(draw: st.DrawFn) -> list[list[Any]]:
    lon0, lat0 = draw(st.floats(22.0, 24.0)), draw(st.floats(51.5, 52.5))
    n = draw(st.integers(2, 7))
    pts = [[lon0 + 0.1 * np.cos(2 * np.pi * k / n), lat0 + 0.1 * np.sin(2 * np.pi * k / n)]
           for k in range(n)]
    if rare(draw, 5):
        pts[draw(st.integers(0, n - 1))] = draw(st.lists(jvalue(st.floats(-200, 200)),
                                                         max_size=3))
    if draw(st.booleans()):
        pts.append(pts[0])
    return pts


#: Zone properties of feature i (built once: strategy objects are costly to build per draw).
_ZONE_PROPS = [st.fixed_dictionaries(
    {"id": jvalue(st.just(f"Z{i}")),
     "kind": jvalue(st.sampled_from(["sovereign", "airport", "custom", "no_fire", "castle"]))},
    optional={"country": jvalue(st.sampled_from(["POL", "BLR", "pl", ""])),
              "name": jvalue(st.text(max_size=8)),
              "floor_m": jvalue(st.floats(-100, 3000)),
              "ceiling_m": jvalue(st.floats(100, 20000)),
              "radius_m": jvalue(st.floats(10, 50000)),
              "value_eur": jvalue(st.floats(0, 1e9))}) for i in range(5)]
_LON = jvalue(st.floats(-180, 180))
_LAT = jvalue(st.floats(-90, 90))


@st.composite
def zone_feature(draw: st.DrawFn, i: int) -> dict[str, Any]:
    props = draw(_ZONE_PROPS[i])
    gtype = draw(st.sampled_from(["Polygon", "Polygon", "MultiPolygon", "Point", "LineString"]))
    if gtype == "Polygon":
        coords: Any = [_ring(draw)]
    elif gtype == "MultiPolygon":
        coords = [[_ring(draw)] for _ in range(draw(st.integers(1, 3)))]
    elif gtype == "Point":
        coords = [draw(_LON), draw(_LAT)]
    else:
        coords = _ring(draw)
    if rare(draw, 10):
        coords = draw(st.sampled_from(JSON_EDGES))
    geom: Any = {"type": gtype, "coordinates": coords}
    if rare(draw, 15):
        geom = draw(st.sampled_from(JSON_EDGES))
    return {"type": draw(st.sampled_from(["Feature"] * 9 + ["Featur"])),
            "properties": props if draw(st.integers(0, 14)) else draw(st.sampled_from(JSON_EDGES)),
            "geometry": geom}


@st.composite
def zones_geojson(draw: st.DrawFn) -> str:
    feats = [draw(zone_feature(i)) for i in range(draw(st.integers(0, 4)))]
    top: Any = {"type": "FeatureCollection", "features": feats}
    r = draw(st.integers(0, 19))
    if r == 19:
        top = feats[0] if feats else {}
    elif r == 18:
        top["features"] = draw(st.sampled_from(JSON_EDGES))
    elif r == 17:
        top = draw(st.sampled_from(JSON_EDGES))
    return json_text(top)


@st.composite
def zones_kml(draw: st.DrawFn) -> str:
    marks = []
    for i in range(draw(st.integers(0, 3))):
        data = "".join(f'<Data name="{k}"><value>{v}</value></Data>' for k, v in draw(
            st.lists(st.tuples(st.sampled_from(["id", "kind", "country", "floor_m", "ceiling_m",
                                                "radius_m", "value_eur"]),
                               st.sampled_from([f"Z{i}", "custom", "sovereign", "POL", "100",
                                                "1e999", "nan", "", "9" * 400, "-5"])),
                     max_size=6)))
        ring = " ".join(f"{p[0]},{p[1]}" if isinstance(p, list) and len(p) >= 2 else str(p)
                        for p in _ring(draw))
        geom = draw(st.sampled_from([
            (f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{ring}</coordinates>"
             "</LinearRing></outerBoundaryIs></Polygon>"),
            "<Point><coordinates>23.0,52.0</coordinates></Point>",
            "<Point><coordinates>abc</coordinates></Point>", "<Polygon></Polygon>", ""]))
        marks.append(f'<Placemark id="p{i}"><name>n{i}</name><ExtendedData>{data}'
                     f"</ExtendedData>{geom}</Placemark>")
    return ('<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
            f"<Document>{''.join(marks)}</Document></kml>")


_WTA_SIZE = _mostly(st.integers(1, 5), st.just(0))
_WEAPONS = [st.fixed_dictionaries(
    {"id": jvalue(st.just(f"w{i}")), "count": jvalue(st.integers(0, 4))},
    optional={"cost": jvalue(st.floats(0, 1e6))}) for i in range(6)]
_TARGETS = [st.fixed_dictionaries(
    {"id": jvalue(st.just(f"t{j}")), "value": jvalue(st.floats(0, 100))},
    optional={"max_units": jvalue(st.integers(0, 3))}) for j in range(6)]
_PK = jvalue(st.floats(0, 1))
_COST_WEIGHT = jvalue(st.floats(0, 1e-3))
_FEASIBLE = jvalue(st.booleans())
_PER_PAIR = jvalue(st.integers(0, 3))


@st.composite
def wta_json(draw: st.DrawFn) -> str:
    W = draw(_WTA_SIZE)
    T = draw(_WTA_SIZE)
    weapons = [draw(_WEAPONS[i]) for i in range(W)]
    if weapons and rare(draw, 20):
        weapons[0]["junk"] = 1
    targets = [draw(_TARGETS[j]) for j in range(T)]
    rows = W + 1 if rare(draw, EDGE_ONE_IN) else W
    cols = max(T - 1, 0) if rare(draw, EDGE_ONE_IN) else T
    pk = [[draw(_PK) for _ in range(cols)] for _ in range(rows)]
    doc: dict[str, Any] = {"weapons": weapons, "targets": targets, "pk": pk}
    if draw(st.booleans()):
        doc["cost_weight"] = draw(_COST_WEIGHT)
    if rare(draw, 4):
        doc["feasible"] = [[draw(_FEASIBLE) for _ in range(cols)] for _ in range(rows)]
    if rare(draw, 4):
        doc["max_units_per_pair"] = draw(_PER_PAIR)
    if rare(draw, 20):
        doc[draw(st.sampled_from(["weapons", "targets", "pk"]))] = draw(
            st.sampled_from(JSON_EDGES))
    return json_text(doc)


_TOFFOLO_VALUE = num_token(st.integers(0, 100).map(str))
_TOFFOLO_PK = num_token(floats_text(0, 1))


@st.composite
def wta_toffolo(draw: st.DrawFn) -> str:
    W, T = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    mu = draw(st.one_of(st.integers(0, 3).map(str), st.sampled_from(NUM_TOKENS)))
    head = draw(st.sampled_from([f"{W} {T} {mu}", f"{W} {T}", f"{W} {T} {mu} 1",
                                 f"{W} {T} 1000000", "1000000 1000000 1"]))
    lines = [head] + [draw(_TOFFOLO_VALUE) for _ in range(T)]
    for i in range(W):
        for j in range(T):
            lines.append(f"{i} {j} {draw(_TOFFOLO_PK)}")
    if rare(draw, 5) and len(lines) > 1:
        lines.pop(draw(st.integers(1, len(lines) - 1)))
    return "\n".join(lines) + "\n"


_ZONES = ["Z", "Z2"]


#: Event fields and their values; times are offsets from the event's own t0 (added when the
#: drawn value is a float).
_EVENT_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "track_id": jvalue(st.sampled_from(["a", "b", 1, 2])),
    "zone_id": jvalue(st.sampled_from(_ZONES)),
    "zone_kind": jvalue(st.just("sovereign")), "zone_name": jvalue(st.just("Poland")),
    "country": jvalue(st.just("POL")), "time": jvalue(st.sampled_from(DATE_TOKENS)),
    "t_s": jvalue(st.just(0.0)), "entry_t_s": jvalue(st.just(0.0)),
    "exit_t_s": jvalue(st.floats(0, 600)), "duration_s": jvalue(st.floats(0, 600)),
    "max_depth_m": jvalue(st.floats(0, 20000)), "p_inside": jvalue(st.floats(0, 1)),
    "entry_time": jvalue(st.sampled_from(DATE_TOKENS)),
    "exit_time": jvalue(st.sampled_from(DATE_TOKENS)),
    "entry_point": jvalue(st.just([52.0, 23.1])),
    "exit_point": jvalue(st.just([52.05, 23.2, 100.0])),
    "max_depth_point": jvalue(st.just([52.02, 23.15])),
    "ongoing": jvalue(st.booleans()), "confidence": jvalue(st.just("confirmed")),
    "entry_interpolated": jvalue(st.booleans()), "identity": jvalue(st.just("")),
    "fragments": jvalue(st.just(["a", "b"])), "episode_id": jvalue(st.just("E1")),
    "time_to_crossing_s": jvalue(st.floats(0, 100)), "n_scans": jvalue(st.integers(0, 9)),
    "path_length_m": jvalue(st.floats(0, 1e5)), "min_alt_m": jvalue(st.floats(0, 1e3)),
    "max_alt_m": jvalue(st.floats(0, 1e4)), "from_country": jvalue(st.just("BLR"))}
_EVENT_TIMES = ("t_s", "entry_t_s", "exit_t_s")
_EVENT_KIND = st.sampled_from(["violation", "violation", "entry", "exit", "warning", "bogus"])


@st.composite
def event(draw: st.DrawFn) -> dict[str, Any]:
    """One airspace event (violation/entry/exit/warning) with fields from the schema."""
    kind = draw(_EVENT_KIND)
    t0 = draw(st.floats(0, 300))
    ev: dict[str, Any] = {"event": kind}
    for k, s in _EVENT_FIELDS.items():
        if k in ("track_id", "zone_id") and not rare(draw, 20):
            ev[k] = draw(st.sampled_from(["a", "b"] if k == "track_id" else _ZONES))
        elif not rare(draw, 3) and draw(st.booleans()):
            v = draw(s)
            ev[k] = t0 + v if k in _EVENT_TIMES and type(v) is float else v
    return ev


def events_jsonl() -> st.SearchStrategy[str]:
    return st.lists(st.one_of(event(), event(), event(), st.sampled_from(JSON_EDGES)),
                    max_size=6).map(lambda evs: "".join(json_text(e) + "\n" for e in evs))


# --------------------------------------------------------------------------- scenario YAML

SCENARIO_SEED = """\
name: fuzz
seed: 3
time: {start: "2026-01-01T00:00:00Z", duration_s: 300, step_s: 1}
origin: {lat_deg: 51.5, lon_deg: 23.0}
zones:
  - {id: plant, kind: infrastructure, name: Plant, value_eur: 5000000,
     area: {center: [51.50, 23.00], radius_m: 2000}}
sensors:
  - {type: radar, id: r1, position: [51.50, 23.05], height_m: 30, scan_period_s: 1}
  - {type: acoustic_grid, id: g, area: {center: [51.5, 23.1], radius_m: 3000}, spacing_m: 1000}
effectors:
  - {id: gun, type: gun_35mm, position: [51.51, 23.03], count: 6}
traffic:
  raids:
    - {id: s, platform: shahed136, count: 3, window_s: [0, 30], spacing_s: 10,
       launch: {center: [51.51, 23.13], radius_m: 1000},
       target: {center: [51.50, 23.00], radius_m: 500}}
  birds:
    - {id: b, count: 5, area: {center: [51.5, 23.0], radius_m: 3000}}
"""

#: (text to find in the seed, replacement values) for field-aware scenario edits.
SCENARIO_FIELDS = [
    ('"2026-01-01T00:00:00Z"', ['"0001-01-01T00:00:00+14:00"', '"9999-12-31T23:59:59Z"',
                                "2026-01-01 00:00:00", "0", "1e20", '""', "null", "[1]"]),
    ("duration_s: 300", ["duration_s: 1e300", "duration_s: .inf", "duration_s: -1",
                         "duration_s: 604800", "duration_s: 9" + "9" * 30]),
    ("step_s: 1}", ["step_s: 1.0e-9}", "step_s: .nan}", "step_s: 0}", "step_s: 60}",
                    "step_s: 0.0003}"]),
    ("count: 3,", ["count: 1000000000,", "count: 100000,", "count: -1,", "count: 3.5,",
                   "count: " + "9" * 5000 + ","]),
    ("count: 6}", ["count: 1000000000}", "count: -1}", "count: .inf}"]),
    ("scan_period_s: 1}", ["scan_period_s: 1, false_alarms_per_scan: 1e9}",
                           "scan_period_s: 1e-300}", "scan_period_s: .inf}"]),
    ("spacing_m: 1000}", ["spacing_m: 51, max_nodes: 1000000000}", "spacing_m: 51}",
                          "spacing_m: 1e300}"]),
    ("radius_m: 3000}}", ["radius_m: 1e7}}", "radius_m: 1e300}}", "radius_m: -5}}"]),
    ("lat_deg: 51.5", ["lat_deg: 91", "lat_deg: 1e400", "lat_deg: abc"]),
    ("name: fuzz", ["name: &a [*a]", "name: ''", "name: !!python/object:os.system ls"]),
]

#: A YAML anchor bomb: seven lines that stand for 9^7 (~4.8 million) strings.
ANCHOR_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{b}: &{b} [{', '.join(['*' + a] * 9)}]\n" for a, b in zip("abcdef", "bcdefg", strict=True))


@st.composite
def scenario_yaml(draw: st.DrawFn) -> str:
    text = SCENARIO_SEED
    for find, repl in SCENARIO_FIELDS:
        if rare(draw, 6):
            text = text.replace(find, draw(st.sampled_from(repl)), 1)
    r = draw(st.integers(0, 29))
    if r == 29:
        text = ANCHOR_BOMB + text.replace("name: fuzz", "name: *g", 1)
    elif r == 28:
        text = text + "jamming: " + "[" * 200 + "\n"
    return text


# --------------------------------------------------------------------------- engine batches

#: Float values for detection columns: sensible, huge, tiny, non-finite.
ENGINE_FLOATS = st.one_of(st.floats(-5e4, 5e4), st.floats(-5e4, 5e4), st.floats(-5e4, 5e4),
                          st.sampled_from([0.0, -0.0, 1e300, -1e300, 1e155, 1e-300, np.nan,
                                           np.inf, -np.inf, 2.0e6, 3.0e6, 1e7]))


_ENGINE_SD = st.one_of(st.floats(0.001, 100.0),
                       st.sampled_from([0.0, -1.0, np.nan, 1e300]))
_ENGINE_KIND = st.one_of(st.integers(0, 4), st.integers(0, 4), st.sampled_from([-1, 5, 127]))
_ENGINE_SENSOR_EDGE = [-1, 2**31 - 1, 2**40, -(2**40)]
_ENGINE_T_EDGE = st.sampled_from([np.nan, np.inf, -1e300, 1e300, -1e6, 100.0])


@st.composite
def engine_batch(draw: st.DrawFn, n_sensors: int, t: float) -> dict[str, Any]:
    """Columns of one DetectionBatch for Engine.step: some rows sane, some absurd. (Strategies
    are built once at module level: building them per draw dominated the run time.)"""
    m = draw(st.integers(0, 25))
    ts = []
    for _ in range(m):
        k = draw(st.integers(0, 3))
        ts.append(t if k < 2 else (t + draw(st.floats(-5, 5)) if k == 2 else
                                   _shift(t, draw(_ENGINE_T_EDGE))))
    sensor = [draw(st.one_of(st.integers(0, n_sensors - 1), st.integers(0, n_sensors - 1),
                             st.sampled_from([*_ENGINE_SENSOR_EDGE, n_sensors])))
              for _ in range(m)] if m else []
    kind = draw(st.lists(_ENGINE_KIND, min_size=m, max_size=m))
    z = np.array(draw(st.lists(ENGINE_FLOATS, min_size=4 * m, max_size=4 * m))).reshape(m, 4)
    sd = np.array(draw(st.lists(_ENGINE_SD, min_size=4 * m, max_size=4 * m))).reshape(m, 4)
    asym = [rare(draw, 10) for _ in range(m)]
    return {"t": ts, "sensor": sensor, "kind": kind, "z": z.tolist(), "sd": sd.tolist(),
            "asym": asym}


def _shift(t: float, edge: float) -> float:
    """An absurd time: non-finite or huge as is, else ``t`` shifted by it (far past/future)."""
    return edge if not np.isfinite(edge) or abs(edge) > 1e9 else t + edge
