"""Hostile one-way UAS vs the rest at sovereign entry (``pipeline.classification``), split by
how the scored entry is known: an observed crossing is the call at the border, a first
detection inside is the call at first contact -- the two are reported apart so that first
contacts deep inside cannot pass for calls made at the border (or hide them)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from dronewall.airspace.events import Entry
from dronewall.catalog import PlatformClass
from dronewall.pipeline.classification import ClassificationScorer

C = PlatformClass
N_CLS = len(PlatformClass)


def _entry(track: int, observed: bool) -> Entry:
    return Entry(track_id=track, zone_id="POL", zone_kind="sovereign", zone_name="Poland",
                 country="POL", time="2026-03-01T00:10:00.000Z", t_s=600.0, lat=51.6,
                 lon=23.6, alt_m=120.0, p_inside=0.99, declared_t_s=601.0,
                 from_country="BLR" if observed else "", interpolated=observed)


def _rec(t: float, ids: list[int], cls: list[int], events: list[Entry]) -> SimpleNamespace:
    prob = np.full((len(ids), N_CLS), 0.01)
    prob[np.arange(len(ids)), cls] = 1.0 - 0.01 * (N_CLS - 1)
    res = SimpleNamespace(ids=np.asarray(ids, np.int64), prob=prob,
                          map_class=np.asarray(cls, np.int64),
                          inherited=np.full(len(ids), -1, np.int64))
    return SimpleNamespace(t=t, classified=SimpleNamespace(classes=res), events=events)


def test_entry_calls_are_split_by_observed_crossing_and_first_detection_inside() -> None:
    # platforms: 0 a Shahed seen crossing and called one-way UAS; 1 a Gerbera first detected
    # inside and called a bird (wrong); 2 a bird first detected inside, called a bird (right)
    sc = ClassificationScorer(np.array([C.ATTACK_DRONE, C.DECOY, C.BIRD]))
    ids, calls = [10, 11, 12], [C.ATTACK_DRONE, C.BIRD, C.BIRD]
    match = (np.array([0, 1, 2]), np.array(ids))
    sc.observe(_rec(600.0, ids, calls, [_entry(10, True), _entry(11, False),
                                        _entry(12, False)]), match)
    # a later entry of the same platform does not re-score it
    sc.observe(_rec(700.0, ids, calls, [_entry(11, True)]), match)
    ent = sc.platform_summary()["one_way_uas_at_sovereign_entry"]
    assert (ent["platforms_scored"], ent["accuracy"]) == (3, round(2 / 3, 4))
    by = ent["by_evidence"]
    assert by["observed_crossing"] == {"platforms_scored": 1, "hostile_scored": 1,
                                       "accuracy": 1.0}
    assert by["first_detected_inside"] == {"platforms_scored": 2, "hostile_scored": 1,
                                           "accuracy": 0.5}
