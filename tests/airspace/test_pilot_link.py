"""Where a drone's pilot was (``airspace/pilot_link.py``): a short-reach link heard on a track
deep inside own airspace puts its pilot inside; near the border, or a long-reach link, or a
few stray reports, says nothing."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from dronewall.airspace import ZoneSet
from dronewall.airspace import pilot_link as plk
from dronewall.airspace.consolidate import consolidate
from dronewall.airspace.events import Violation
from dronewall.catalog.platforms import PlatformClass, RFProtocol

LAT0, LON0 = 52.0, 20.0
DJI, MIL = float(RFProtocol.DJI_OCUSYNC), float(RFProtocol.MILITARY_DATALINK)


def _zones() -> ZoneSet:
    """A sovereign square ~67 km a side (its centre ~33 km from every edge) and an airport
    zone around the centre."""
    sq = [[LAT0 - 0.3, LON0 - 0.5], [LAT0 - 0.3, LON0 + 0.5], [LAT0 + 0.3, LON0 + 0.5],
          [LAT0 + 0.3, LON0 - 0.5]]
    return ZoneSet.from_specs([
        {"id": "XLD", "kind": "sovereign", "country": "XLD", "name": "Xland",
         "area": {"polygon": sq}},
        {"id": "APT", "kind": "airport", "area": {"center": [LAT0, LON0], "radius_m": 5000}}])


MR, DECOY = int(PlatformClass.MULTIROTOR), int(PlatformClass.DECOY)


def _hear(links: plk.PilotLinks, tid: int, lat: float, lon: float, code: float, n: int,
          t0: float = 0.0, cls: int = MR) -> None:
    for k in range(n):
        links.observe(t0 + k, np.array([tid]), np.array([lat]), np.array([lon]),
                      np.array([code]), np.array([True]), np.array([cls]))


def test_a_link_heard_deep_inside_puts_the_pilot_inside_and_near_the_border_does_not() -> None:
    links = plk.PilotLinks(_zones())
    _hear(links, 1, LAT0, LON0, DJI, 3)                      # ~33 km inside
    _hear(links, 2, LAT0 + 0.25, LON0, DJI, 5)               # ~5.6 km from the north edge
    _hear(links, 3, LAT0, LON0, DJI, 2)                      # too few reports
    _hear(links, 4, LAT0, LON0, MIL, 9)                      # a long-reach datalink
    _hear(links, 5, LAT0, LON0, DJI, 9, cls=DECOY)           # stray bearings on a decoy
    links.observe(0.0, np.array([6]), np.array([LAT0]), np.array([LON0]), np.array([DJI]),
                  np.array([True]), None)                  # not classified: nothing counts
    deep = links.record(1, "XLD")
    assert deep is not None and deep["pilot_inside"] is True and deep["reports"] == 3
    assert deep["protocol"] == "DJI OcuSync link" and deep["reach_m"] == 15_000.0
    assert deep["least_depth_m"] == pytest.approx(33_300, abs=600)
    near = links.record(2, "XLD")
    assert near is not None and near["pilot_inside"] is False
    assert near["least_depth_m"] == pytest.approx(5_570, abs=200)
    assert links.record(3, "XLD") is None and links.record(4, "XLD") is None
    assert links.record(5, "XLD") is None and links.record(6, "XLD") is None
    assert links.record(1, "APT") is None                   # only sovereign zones
    # one report near the border is enough to doubt it: the least depth counts
    _hear(links, 1, LAT0 + 0.25, LON0, DJI, 1, t0=10.0)
    assert links.record(1, "XLD")["pilot_inside"] is False  # type: ignore[index]
    # a track out of the picture for retain_s is forgotten; one still there is kept
    for t in (100.0, 800.0):
        links.observe(t, np.array([2]), np.array([LAT0]), np.array([LON0]), np.array([-1.0]),
                      np.array([False]), np.array([MR]))
    assert links.record(1, "XLD") is None and links.record(2, "XLD") is not None


def _violation(tid: int, link: dict | None, reasons: list[str] | None = None) -> Violation:
    return Violation(track_id=tid, zone_id="XLD", zone_kind="sovereign", zone_name="Xland",
                     country="XLD", time="2026-01-01T00:10:00Z", t_s=600.0, identity="",
                     entry_time="2026-01-01T00:00:00Z", exit_time=None, entry_t_s=float(tid),
                     exit_t_s=None, entry_point=[LAT0, LON0], exit_point=None,
                     entry_interpolated=False, exit_interpolated=False, duration_s=600.0,
                     max_depth_m=33_000.0, max_depth_point=[LAT0, LON0],
                     sigma_at_max_depth_m=50.0, path_length_m=1000.0, min_alt_m=100.0,
                     max_alt_m=120.0, sigma_alt_m=10.0, max_speed_mps=12.0, p_episode=1.0,
                     p_inside=1.0, confidence="probable", ongoing=True, end_reason="finish",
                     n_scans=600, from_country="", episode_id="E0001",
                     confidence_reasons=reasons or ["p_episode 1.00"], pilot_link=link)


def test_the_record_says_where_the_pilot_was_and_an_episode_merges_its_fragments() -> None:
    links = plk.PilotLinks(_zones())
    _hear(links, 1, LAT0, LON0, DJI, 4)
    v = plk.annotate(replace(_violation(1, None), pilot_link=None), links)
    assert v.pilot_link is not None and v.pilot_link["pilot_inside"]
    (line,) = [r for r in v.confidence_reasons or [] if r.startswith(plk.REASON_PREFIX)]
    assert line.startswith("flown from inside Xland: its DJI OcuSync link, heard 4 times, "
                           "reaches ~15 km and the drone was at least 33.")
    assert v.to_dict()["pilot_link"]["pilot_inside"] is True
    # not heard on a track: the record is as it was
    w = _violation(2, None)
    assert plk.annotate(w, links) == w
    # an episode of two fragments: one heard deep inside, one near the border -> doubt
    deep = plk.link_record(int(DJI), 4, 33_000.0)
    near = plk.link_record(int(DJI), 2, 6_000.0)
    (m,) = consolidate([_violation(1, deep, v.confidence_reasons), _violation(2, near)])
    assert m.pilot_link is not None and m.pilot_link["pilot_inside"] is False
    assert m.pilot_link["reports"] == 6 and m.pilot_link["least_depth_m"] == 6_000.0
    assert not any(r.startswith(plk.REASON_PREFIX) for r in m.confidence_reasons or [])
    (k,) = consolidate([_violation(1, deep, v.confidence_reasons), _violation(2, None)])
    assert k.pilot_link == deep
    assert sum(r.startswith(plk.REASON_PREFIX) for r in k.confidence_reasons or []) == 1
