"""Threat evaluation (engagement/threat.py): scoring, CPA geometry, ranking, assets, reasons."""

from __future__ import annotations

import numpy as np
import pytest

from dronewall.airspace.zones import ZoneSet
from dronewall.catalog import PlatformClass
from dronewall.engagement.threat import (
    AssetTable,
    ThreatConfig,
    assets_from_zones,
    evaluate,
    reasons,
)
from dronewall.geo import Frame

C = len(PlatformClass)


def onehot(*classes: PlatformClass) -> np.ndarray:
    p = np.zeros((len(classes), C))
    p[np.arange(len(classes)), [int(c) for c in classes]] = 1.0
    return p


def one_asset(radius: float = 1000.0, value: float = 1e8, name: str = "Refinery") -> AssetTable:
    return AssetTable(("a0",), (name,), np.zeros((1, 3)), np.array([radius]), np.array([value]))


def ev(pos, vel, cls, assets=None, pos_sd=100.0, ids=None, **kw):
    pos = np.asarray(pos, float).reshape(-1, 3)
    n = pos.shape[0]
    return evaluate(np.arange(n) if ids is None else np.asarray(ids), pos,
                    np.asarray(vel, float).reshape(n, 3), np.full(n, pos_sd), cls,
                    one_asset() if assets is None else assets, **kw)


def test_inbound_shahed_outranks_bird_and_outbound_shahed() -> None:
    A, B = PlatformClass.ATTACK_DRONE, PlatformClass.BIRD
    pos = [[20_000, 0, 150], [1500, 0, 50], [5000, 0, 150]]
    vel = [[-44, 0, 0], [0, 0, 0], [44, 0, 0]]
    ta = ev(pos, vel, onehot(A, B, A))
    assert ta.rank.tolist()[0] == 1
    assert ta.score[0] > ta.score[1] and ta.score[0] > ta.score[2]
    assert ta.score[1] == 0.0                         # birds are harmless
    assert ta.inbound.tolist() == [True, False, False]
    np.testing.assert_array_equal(ta.order()[0], 0)
    np.testing.assert_allclose(ta.lethality, [1.0, 0.0, 1.0])


def test_closer_and_faster_score_higher() -> None:
    A = PlatformClass.ATTACK_DRONE
    ta = ev([[10_000, 0, 150], [30_000, 0, 150]], [[-44, 0, 0]] * 2, onehot(A, A))
    assert ta.score[0] > ta.score[1]
    assert ta.t_go_s[0] < ta.t_go_s[1]
    ta = ev([[20_000, 0, 150]] * 2, [[-60, 0, 0], [-30, 0, 0]], onehot(A, A))
    assert ta.score[0] > ta.score[1]
    assert ta.rank.tolist() == [1, 2]


def test_hand_computed_tgo_and_miss() -> None:
    ta = ev([[10_000, 0, 0]], [[-50, 0, 0]], onehot(PlatformClass.ATTACK_DRONE))
    assert ta.asset[0] == 0
    assert ta.t_go_s[0] == pytest.approx(180.0)       # (10 km - 1 km) / 50 m/s
    assert ta.cpa_m[0] == pytest.approx(0.0, abs=1e-9)
    assert ta.p_reach[0] == pytest.approx(1.0)
    cfg = ThreatConfig()
    urg = 1.0 / (1.0 + 180.0 / cfg.urgency_tau_s)
    # expected damage: an attack drone can do at most max_damage_eur to the EUR 100 M asset
    dmg = min(1e8, cfg.max_damage_eur[PlatformClass.ATTACK_DRONE])
    assert ta.score[0] == pytest.approx(dmg * urg)
    assert ta.value_at_risk_eur[0] == pytest.approx(dmg)


def test_cheap_drone_near_precious_asset_is_worth_its_damage_cap() -> None:
    # a multirotor inside the asset threatens at most lethality x its damage cap, not the asset
    ta = ev([[0, 0, 100]], [[0, 0, 0]], onehot(PlatformClass.MULTIROTOR))
    cfg = ThreatConfig()
    cap = cfg.lethality[PlatformClass.MULTIROTOR] * cfg.max_damage_eur[PlatformClass.MULTIROTOR]
    assert ta.value_at_risk_eur[0] == pytest.approx(cap)
    assert cap < 1e6


def test_abeam_miss_and_p_reach() -> None:
    """Passing 5 km abeam: miss = 5 km - 1 km; P(reach) from the documented sigma."""
    A = PlatformClass.ATTACK_DRONE
    ta = ev([[10_000, 0, 0], [10_000, 5000, 0]], [[-50, 0, 0]] * 2, onehot(A, A), pos_sd=300.0)
    assert ta.cpa_m[1] == pytest.approx(4000.0)
    assert ta.t_go_s[1] == pytest.approx(200.0)       # t_cpa when it misses
    cfg = ThreatConfig()
    sig2 = 300.0 ** 2 + (50 * 200 * np.tan(np.radians(cfg.heading_sd_deg))) ** 2 \
        + cfg.sigma_floor_m ** 2
    assert ta.p_reach[1] == pytest.approx(np.exp(-0.5 * 4000.0 ** 2 / sig2))
    assert ta.p_reach[1] < ta.p_reach[0]
    assert ta.score[1] < ta.score[0]


def test_inside_asset() -> None:
    ta = ev([[300, 0, 0]], [[10, 0, 0]], onehot(PlatformClass.ATTACK_DRONE))
    assert ta.t_go_s[0] == 0.0
    assert ta.p_reach[0] == 1.0 and ta.inbound[0]


def test_stationary_outside_has_no_path() -> None:
    ta = ev([[5000, 0, 0]], [[0.1, 0, 0]], onehot(PlatformClass.ATTACK_DRONE))
    assert ta.cpa_m[0] == pytest.approx(4000.0)
    assert not ta.inbound[0]


def test_most_threatened_asset_chosen() -> None:
    assets = AssetTable(("a", "b"), ("A", "B"), np.array([[0.0, 0, 0], [0, 50_000, 0]]),
                        np.array([1000.0, 1000.0]), np.array([1e8, 1e8]))
    ta = ev([[0, 20_000, 0]], [[0, 50, 0]], onehot(PlatformClass.ATTACK_DRONE), assets)
    assert ta.asset[0] == 1
    ta = ev([[0, 20_000, 0]], [[0, -50, 0]], onehot(PlatformClass.ATTACK_DRONE), assets)
    assert ta.asset[0] == 0


def test_violation_term_and_trusted_coop() -> None:
    M, B = PlatformClass.MANNED_AIRCRAFT, PlatformClass.BIRD
    far = [[500_000, 0, 8000]] * 3
    vel = [[0, 200, 0]] * 3
    base = ev(far, vel, onehot(M, M, B))
    ta = ev(far, vel, onehot(M, M, B), violation_p=np.array([0.5, 0.5, 0.5]),
            coop_trusted=np.array([False, True, False]))
    cfg = ThreatConfig()
    d = ta.score - base.score
    assert d[0] == pytest.approx(cfg.violation_value_eur * 0.5)
    assert d[1] == pytest.approx(0.0)           # trusted cooperative: no violation term
    assert d[2] == pytest.approx(0.0)           # bird: no violation term
    np.testing.assert_allclose(ta.violation_p, 0.5)
    assert ta.rank[0] == 1
    # NaN violation probability is treated as 0
    ta2 = ev(far[:1], vel[:1], onehot(M), violation_p=np.array([np.nan]))
    assert ta2.score[0] == pytest.approx(base.score[0])


def test_ranks_permutation_and_tiebreaks() -> None:
    rng = np.random.default_rng(0)
    n = 30
    pos = np.column_stack([rng.uniform(-40e3, 40e3, (n, 2)), np.full(n, 200.0)])
    vel = np.column_stack([rng.uniform(-60, 60, (n, 2)), np.zeros(n)])
    cp = rng.dirichlet(np.ones(C), n)
    ta = ev(pos, vel, cp, ids=rng.permutation(1000)[:n])
    assert sorted(ta.rank.tolist()) == list(range(1, n + 1))
    o = ta.order()
    assert np.all(np.diff(ta.score[o]) <= 0)

    # equal scores (birds: 0): earlier t_go first
    B = PlatformClass.BIRD
    ta = ev([[30_000, 0, 0], [10_000, 0, 0], [20_000, 0, 0]], [[-20, 0, 0]] * 3,
            onehot(B, B, B))
    assert ta.rank.tolist() == [3, 1, 2]
    # equal score and t_go (no assets): lower id first
    ta = ev([[0, 0, 0]] * 3, [[0, 0, 0]] * 3, onehot(B, B, B), assets=AssetTable.empty(),
            ids=[7, 3, 5])
    assert ta.rank.tolist() == [3, 1, 2]
    assert np.all(ta.asset == -1) and np.all(np.isinf(ta.t_go_s))


def test_empty_inputs() -> None:
    ta = evaluate(np.zeros(0, np.int64), np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0),
                  np.zeros((0, C)), one_asset())
    assert ta.rank.size == 0 and ta.score.size == 0


def test_config_validates_lethality() -> None:
    with pytest.raises(ValueError):
        ThreatConfig(lethality=(1.0, 0.5))


def test_assets_from_zones() -> None:
    frame = Frame(50.0, 22.0)
    zs = ZoneSet.from_specs([
        {"id": "a", "kind": "infrastructure", "name": "Power plant", "value_eur": 1e6,
         "area": {"center": [50.0, 22.0], "radius_m": 2000}},
        {"id": "b", "kind": "infrastructure", "area": {"center": [50.1, 22.1], "radius_m": 500}},
        {"id": "c", "kind": "infrastructure", "value_eur": 5e6,
         "area": {"center": [50.2, 22.0], "radius_m": 1000}},
    ])
    at = assets_from_zones(zs, frame)
    assert at.ids == ("a", "c")
    assert at.names == ("Power plant", "c")      # name falls back to the id
    assert len(at) == 2
    np.testing.assert_allclose(at.radius_m, [2000.0, 1000.0], rtol=0.02)
    np.testing.assert_allclose(at.value_eur, [1e6, 5e6])
    np.testing.assert_allclose(at.pos[0, :2], [0.0, 0.0], atol=30.0)
    assert at.pos[1, 1] == pytest.approx(0.2 * 111_200, rel=0.01)   # ~22 km north

    none = assets_from_zones(ZoneSet.from_specs([
        {"id": "b", "kind": "infrastructure", "area": {"center": [50.1, 22.1], "radius_m": 500}},
    ]), frame)
    assert len(none) == 0 and none.pos.shape == (0, 3)


def test_reasons_mention_class_and_asset() -> None:
    A, B = PlatformClass.ATTACK_DRONE, PlatformClass.BIRD
    assets = one_asset(name="Rzeszow airport")
    cp = onehot(A, B)
    ta = ev([[10_000, 0, 0], [500_000, 0, 0]], [[-50, 0, 0], [0, 10, 0]], cp, assets,
            violation_p=np.array([0.0, 0.3]))
    lines = reasons(ta, np.array([0, 1]), cp, assets,
                    class_evidence=np.array(["acoustic_level+speed", "speed"], dtype=object),
                    coop_note=np.array(["", "ADS-B suspect"], dtype=object))
    assert len(lines) == 2
    assert "attack_drone" in lines[0] and "Rzeszow airport" in lines[0]
    assert "acoustic_level+speed" in lines[0]
    assert "3.0 min" in lines[0] and "miss 0.0 km" in lines[0]
    assert "bird" in lines[1] and "Rzeszow airport" not in lines[1]
    assert "airspace violation p=0.30" in lines[1] and "ADS-B suspect" in lines[1]


def test_nested_assets_are_counted_once() -> None:
    """A hub inside an airport: a drone heading into both is worth the larger expected damage
    (one strike), not the sum over the two zones."""
    import numpy as np

    from dronewall.engagement.threat import AssetTable, evaluate

    nested = AssetTable(("airport", "hub"), ("Airport", "Hub"),
                        np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]),
                        np.array([5_000.0, 1_500.0]), np.array([3e8, 5e8]))
    cp = np.zeros((1, 7))
    cp[0, PlatformClass.ATTACK_DRONE] = 1.0
    ta = evaluate(np.array([1]), np.array([[10_000.0, 0, 150]]), np.array([[-45.0, 0, 0]]),
                  np.array([50.0]), cp, nested)
    cap = ThreatConfig().max_damage_eur[PlatformClass.ATTACK_DRONE]
    assert ta.value_at_risk_eur[0] == pytest.approx(cap)  # not 2 x cap


def test_class_unit_costs_from_the_catalogue() -> None:
    from dronewall.engagement.threat import class_unit_cost_eur

    c = class_unit_cost_eur()
    assert c[PlatformClass.ATTACK_DRONE] == pytest.approx(35_000 / 1.1)
    assert c[PlatformClass.DECOY] == pytest.approx(6_000 / 1.1)
    assert c[PlatformClass.BIRD] == 0 and c[PlatformClass.MANNED_AIRCRAFT] == 0
