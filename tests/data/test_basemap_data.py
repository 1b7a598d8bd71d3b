"""Shipped basemap data (towns, context land): present, small, consistent with build-info."""

from __future__ import annotations

import hashlib
import json
import math
from importlib import resources

import numpy as np

BASE = resources.files("dronewall.data").joinpath("basemap")
FLANK = {"EST", "LVA", "LTU", "POL", "FIN", "ROU", "MDA", "UKR", "BLR", "DNK", "NOR", "SVK", "HUN"}


def _fc(name: str) -> dict:
    return json.loads(BASE.joinpath(name).read_text(encoding="utf-8"))


def test_places_small_complete_and_deduplicated() -> None:
    raw = BASE.joinpath("places.geojson").read_bytes()
    assert len(raw) < 500_000
    info = json.loads(BASE.joinpath("build-info.json").read_text())
    assert hashlib.sha256(raw).hexdigest() == info["output"]["sha256"]
    fc = json.loads(raw)
    attribution = fc["metadata"]["attribution"]
    assert "GeoNames" in attribution and "CC BY 4.0" in attribution
    props = [f["properties"] for f in fc["features"]]
    assert {p["country"] for p in props} >= FLANK
    names = {(p["country"], p["name"]) for p in props}
    for town in [("EST", "Narva"), ("POL", "Rzeszów"), ("ROU", "Galaţi"), ("MDA", "Chisinau"),
                 ("LTU", "Vilnius"), ("RUS", "Kaliningrad"), ("SVK", "Košice")]:
        assert town in names or any(c == town[0] and n.startswith(town[1][:4])
                                    for c, n in names), town
    pops = [p["population"] for p in props]
    assert pops == sorted(pops, reverse=True)  # largest first: label priority
    assert all(p >= 5000 for p in pops)
    # no two towns of one country closer than the 7 km district rule
    for cc in FLANK:
        xy = np.array([f["geometry"]["coordinates"] for f in fc["features"]
                       if f["properties"]["country"] == cc])
        kx = 111.32 * math.cos(math.radians(float(xy[:, 1].mean())))
        d = np.hypot((xy[:, None, 0] - xy[None, :, 0]) * kx,
                     (xy[:, None, 1] - xy[None, :, 1]) * 111.32)
        np.fill_diagonal(d, np.inf)
        assert d.min() > 6.5, cc


def test_context_countries_are_the_missing_neighbours() -> None:
    fc = _fc("countries.geojson")
    ids = {f["properties"]["id"] for f in fc["features"]}
    assert {"SVK", "HUN", "CZE", "BGR"} <= ids
    zones = json.loads(resources.files("dronewall.data").joinpath(
        "zones", "sovereign-land.geojson").read_text(encoding="utf-8"))
    assert not ids & {f["properties"]["country"] for f in zones["features"]}
