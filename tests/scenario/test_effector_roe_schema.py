"""Scenario schema of the engagement issue: effectors (catalogue keys, overrides) and roe."""

from __future__ import annotations

import pytest

from dronewall.catalog import EFFECTORS
from dronewall.errors import ScenarioError
from dronewall.scenario import parse_scenario

BASE = """\
name: t
time: {start: "2025-09-09T21:30:00Z", duration_s: 600, step_s: 1}
origin: {lat_deg: 51.6, lon_deg: 23.4}
effectors:
  - {id: int-a, type: interceptor_drone, position: [51.55, 23.30], count: 12, fire_units: 3}
  - {id: gun-a, type: gun_35mm, position: [51.30, 22.75]}
roe:
  weapons: tight
  engage_classes: {ATTACK_DRONE: 0.6, DECOY: 0.65}
"""


def test_valid_effectors_and_roe() -> None:
    sc = parse_scenario(BASE)
    assert [e.type for e in sc.effectors] == ["interceptor_drone", "gun_35mm"]
    assert sc.effectors[0].count == 12 and sc.effectors[0].fire_units == 3
    assert sc.effectors[1].count is None  # catalogue magazine x fire units
    assert sc.roe.engage_classes == {"ATTACK_DRONE": 0.6, "DECOY": 0.65}
    assert sc.roe.approval == "human" and sc.roe.require_violation
    assert sc.roe.no_kinetic_kinds == ["no_fire", "airport"]


def test_roe_defaults_when_absent() -> None:
    sc = parse_scenario(BASE.split("roe:")[0])
    assert sc.roe.weapons == "tight" and sc.roe.approval == "human"
    assert sc.roe.engage_classes == {"ATTACK_DRONE": 0.6, "DECOY": 0.6, "RECON_UAV": 0.7,
                                     "MULTIROTOR": 0.8}
    assert not sc.roe.engagement_zones_only


@pytest.mark.parametrize(
    "old,new,line,field,words",
    [
        ("type: gun_35mm", "type: gepard", 6, "effectors[1].type",
         "unknown effector type 'gepard'"),
        ("count: 12", "count: -1", 5, "effectors[0].count", "greater than or equal to 0"),
        ("fire_units: 3", "fire_units: 0", 5, "effectors[0].fire_units",
         "greater than or equal to 1"),
        ("[51.30, 22.75]}", "[51.30, 22.75], pk: {SHAHED: 0.5}}", 6, "effectors[1].pk",
         "unknown class 'SHAHED'"),
        ("[51.30, 22.75]}", "[51.30, 22.75], pk: {ATTACK_DRONE: 1.5}}", 6, "effectors[1].pk",
         "not a probability"),
        ("[51.30, 22.75]}", "[51.30, 22.75], max_range_m: 100}", 6, "effectors[1]",
         "min_range_m 200.0 must be below max_range_m 100.0"),
        ("[51.30, 22.75]}", "[51.30, 22.75], rnage_m: 100}", 6, "effectors[1].rnage_m",
         "unknown key"),
        ("weapons: tight", "weapons: loose", 8, "roe.weapons", "'free' or 'tight'"),
        ("DECOY: 0.65", "DECOY: 1.65", 9, "roe.engage_classes", "not a probability"),
        ("DECOY: 0.65", "GERBERA: 0.65", 9, "roe.engage_classes", "unknown class 'GERBERA'"),
        ("weapons: tight", "weapons: tight\n  approval: maybe", 9, "roe.approval",
         "'human' or 'auto'"),
        ("weapons: tight", "weapons: tight\n  no_kinetic_kinds: [city]", 9, "roe.no_kinetic_kinds",
         "no_fire"),
    ],
)
def test_bad_effector_and_roe_values(old, new, line, field, words) -> None:
    text = BASE.replace(old, new, 1)
    assert text != BASE
    with pytest.raises(ScenarioError) as ei:
        parse_scenario(text, "x.yaml")
    msg = str(ei.value)
    assert msg.startswith("x.yaml"), msg
    assert f"line {line}" in msg, msg
    assert field in msg, msg
    assert words in msg, msg


def test_bad_type_lists_every_catalogue_key() -> None:
    with pytest.raises(ScenarioError) as ei:
        parse_scenario(BASE.replace("type: gun_35mm", "type: fighter_srm"), "x.yaml")
    msg = str(ei.value)
    assert "field effectors[1].type" in msg
    for k in EFFECTORS:
        assert k in msg
