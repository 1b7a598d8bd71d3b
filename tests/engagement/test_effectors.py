"""Effector catalogue: every entry valid, sourced and flagged; lookups fail clearly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dronewall.catalog import EFFECTORS, PlatformClass, get_effector
from dronewall.catalog.effectors import FLAGGED_FIELDS, FLAGS
from dronewall.errors import InputError

REQUIRED = {"interceptor_drone", "gun_35mm", "hmg_fire_group", "ew_jammer", "laser", "manpads",
            "sam_short", "sam_medium", "fighter_aam"}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "effectors.md"


def test_required_types_present() -> None:
    assert REQUIRED <= set(EFFECTORS)


@pytest.mark.parametrize("key", sorted(EFFECTORS))
def test_entry_is_valid(key: str) -> None:
    e = EFFECTORS[key]
    assert e.key == key and e.name
    pk = e.pk_by_class
    assert pk.shape == (len(PlatformClass),)
    assert np.all((pk >= 0) & (pk <= 1))
    assert pk[PlatformClass.BIRD] == 0.0, "birds are never a target"
    assert pk[[PlatformClass.ATTACK_DRONE, PlatformClass.DECOY]].max() > 0
    assert 0 <= e.min_range_m < e.max_range_m
    assert 0 <= e.min_alt_m < e.max_alt_m
    assert e.cost_per_shot_eur >= 0 and e.magazine >= 1 and e.fire_units >= 1
    assert e.reload_s >= 0 and e.reaction_time_s >= 0 and e.time_per_engagement_s > 0
    assert e.speed_mps > 0 and e.acquisition_basket_m > 0
    assert e.weather.max_wind_mps > 0 and e.weather.min_visibility_m >= 0
    assert e.side_effects.civil_jamming_radius_m >= 0
    assert e.sources.strip(), "every entry names its sources"
    missing = [f for f in FLAGGED_FIELDS if e.flags.get(f) not in FLAGS]
    assert not missing, f"{key}: figures without a [P]/[P-d]/[E] flag: {missing}"
    assert set(e.flags) <= set(FLAGGED_FIELDS)


def test_kinetic_and_debris() -> None:
    for k in ("interceptor_drone", "gun_35mm", "hmg_fire_group", "manpads", "sam_short",
              "sam_medium", "fighter_aam"):
        assert EFFECTORS[k].kinetic and EFFECTORS[k].side_effects.debris
    assert not EFFECTORS["ew_jammer"].kinetic and not EFFECTORS["laser"].kinetic
    assert EFFECTORS["ew_jammer"].side_effects.civil_jamming_radius_m > 0
    assert "airport" in EFFECTORS["laser"].restricted_zone_kinds


def test_jammer_only_acts_on_rf_and_gnss_classes() -> None:
    pk = EFFECTORS["ew_jammer"].pk_by_class
    assert pk[PlatformClass.MANNED_AIRCRAFT] == 0 and pk[PlatformClass.BIRD] == 0
    # RF-controlled multirotors and datalinked recon UAVs are the jammer's targets; autonomous
    # GNSS/INS attack drones only partially (CRPA antennas)
    assert (pk[PlatformClass.MULTIROTOR] > pk[PlatformClass.RECON_UAV]
            > pk[PlatformClass.ATTACK_DRONE])
    assert pk[PlatformClass.ATTACK_DRONE] <= 0.3


def test_cost_layers_are_ordered() -> None:
    c = {k: e.cost_per_shot_eur for k, e in EFFECTORS.items()}
    assert c["laser"] < c["interceptor_drone"] < c["gun_35mm"] < c["manpads"] < c["sam_short"]
    assert c["sam_medium"] >= 300_000 and c["fighter_aam"] >= 400_000
    # cost per expected Shahed kill: interceptor drones two orders of magnitude below missiles
    a = PlatformClass.ATTACK_DRONE
    assert (EFFECTORS["interceptor_drone"].expected_cost_per_kill_eur[a] * 50
            < EFFECTORS["sam_short"].expected_cost_per_kill_eur[a])


def test_get_effector_errors_list_valid_keys() -> None:
    assert get_effector("gun_35mm").name.startswith("35 mm")
    with pytest.raises(InputError) as ei:
        get_effector("railgun")
    msg = str(ei.value)
    assert "'railgun'" in msg
    for k in REQUIRED:
        assert k in msg


def test_docs_table_covers_every_type() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for k in EFFECTORS:
        assert f"`{k}`" in text, f"docs/effectors.md lacks {k}"
