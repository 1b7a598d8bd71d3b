"""Simulated outages and status reports (``sensors/status.py``, scenario ``outages``)."""

from __future__ import annotations

import numpy as np
import pytest
from sensor_helpers import LAT0, LON0

from dronewall.detections import DetectionBatch, MeasKind, SensorKind, SensorTable
from dronewall.errors import ScenarioError
from dronewall.scenario import parse_scenario
from dronewall.scenario.model import OutageSpec, SensorHealthSpec
from dronewall.sensors.status import SensorStatusModel

TABLE = SensorTable.build(["r1", "grid-0", "grid-1", "rf1"],
                          [SensorKind.RADAR, SensorKind.ACOUSTIC, SensorKind.ACOUSTIC,
                           SensorKind.RF], [LAT0] * 4, [LON0] * 4, [10.0] * 4)


def batch(sensor: list[int], t: list[float]) -> DetectionBatch:
    m = len(sensor)
    return DetectionBatch.create(t=np.asarray(t, float), sensor=np.asarray(sensor, np.int32),
                                meas_kind=np.full(m, int(MeasKind.BEARING), np.int8),
                                z=np.zeros((m, 4)), R=np.tile(np.eye(4), (m, 1, 1)))


def test_an_outage_drops_the_sensor_s_reports_inside_its_window_only() -> None:
    model = SensorStatusModel(TABLE, [OutageSpec(sensor="rf1", window_s=[10.0, 20.0]),
                                      OutageSpec(sensor="rf1", window_s=[15.0, 30.0])])
    # rf1 down 10-30 s of 100 s (overlaps counted once); RF is one of one RF sensors
    assert model.down_share(TABLE, 100.0) == {"rf": 0.2}
    det = batch([3, 0, 3], [9.0, 9.0, 9.0])
    assert model.filter(det, 9.0).sensor.tolist() == [3, 0, 3]
    for t in (10.0, 15.0, 19.5):
        det = batch([3, 0, 3], [t] * 3)
        assert model.filter(det, t).sensor.tolist() == [0]
    assert model.filter(batch([3, 0], [30.0] * 2), 30.0).sensor.tolist() == [3, 0]
    assert model.down(15.0).tolist() == [False, False, False, True]
    assert not model.down(30.0).any()


def test_a_grid_id_takes_all_its_nodes_down_a_node_id_one() -> None:
    both = SensorStatusModel(TABLE, [OutageSpec(sensor="grid", window_s=[0.0, 5.0])])
    one = SensorStatusModel(TABLE, [OutageSpec(sensor="grid-1", window_s=[0.0, 5.0])])
    assert both.down(1.0).tolist() == [False, True, True, False]
    assert one.down(1.0).tolist() == [False, False, True, False]
    with pytest.raises(ScenarioError, match=r"outages\[0\].sensor.*'grid-7'"):
        SensorStatusModel(TABLE, [OutageSpec(sensor="grid-7", window_s=[0.0, 5.0])])


def test_status_reports_come_once_per_period_from_working_sensors() -> None:
    model = SensorStatusModel(TABLE, [OutageSpec(sensor="r1", window_s=[30.0, 60.0]),
                                      OutageSpec(sensor="rf1", window_s=[30.0, 60.0],
                                                 announced=True)],
                              SensorHealthSpec(status_period_s=10.0, stale_after_s=30.0))
    first = model.reports(0.0)
    assert sorted(first.rows.tolist()) == [0, 1, 2, 3] and first.ok.all()
    count = np.zeros(4, int)
    errors = []
    for t in range(1, 100):
        rep = model.reports(float(t))
        np.add.at(count, rep.rows[rep.ok], 1)
        errors += [(t, int(r)) for r in rep.rows[~rep.ok]]
    # 99 s: ~10 reports each from the grid nodes; 3 fewer from the sensors down 30 s
    assert count[1] in (9, 10) and count[2] in (9, 10), count
    assert count[0] in (6, 7) and count[3] in (6, 7), count
    # the announced outage says so once, at its start; the silent one never
    assert errors == [(30, 3)]


def test_the_scenario_names_an_unknown_outage_sensor() -> None:
    text = """
name: t
time: {start: "2026-01-01T00:00:00Z", duration_s: 60, step_s: 1}
origin: {lat_deg: 52.0, lon_deg: 23.0}
sensors:
  - {type: rf, id: rf1, position: [52.0, 23.0]}
outages:
  - {sensor: SENSOR, window_s: WINDOW}
"""
    ok = parse_scenario(text.replace("SENSOR", "rf1").replace("WINDOW", "[10, 20]"))
    assert ok.outages[0].sensor == "rf1" and not ok.outages[0].announced
    with pytest.raises(ScenarioError, match="rf2"):
        parse_scenario(text.replace("SENSOR", "rf2").replace("WINDOW", "[10, 20]"))
    with pytest.raises(ScenarioError, match="window_s"):
        parse_scenario(text.replace("SENSOR", "rf1").replace("WINDOW", "[20, 10]"))
    with pytest.raises(ScenarioError, match="stale_after_s"):
        parse_scenario(text.replace("SENSOR", "rf1").replace("WINDOW", "[10, 20]")
                       + "sensor_health: {status_period_s: 10, stale_after_s: 5}\n")


def test_a_sensor_that_is_down_covers_and_hears_nothing() -> None:
    from dronewall.classify.bayes import ClassifierConfig
    from dronewall.geo import geodetic_to_ecef
    from dronewall.pipeline.wiring import (
        acoustic_network,
        class_coverage,
        radar_coverage,
        rf_network,
    )
    from dronewall.sensors import SensorSuite

    sc = parse_scenario("""
name: t
time: {start: "2026-01-01T00:00:00Z", duration_s: 60, step_s: 1}
origin: {lat_deg: 52.0, lon_deg: 23.0}
sensors:
  - {type: radar, id: r1, position: [52.0, 23.0], height_m: 20}
  - {type: acoustic_grid, id: g, spacing_m: 1000, area: {center: [52.02, 23.0], radius_m: 1500}}
  - {type: rf, id: rf1, position: [52.02, 23.0], height_m: 10}
""")
    suite = SensorSuite.from_scenario(sc, np.random.default_rng(0))
    lat, lon, alt = np.array([52.02]), np.array([23.01]), np.array([150.0])
    e = geodetic_to_ecef(lat, lon, alt).reshape(-1, 3)
    n = len(suite.table)
    up = np.ones(n, bool)
    r1 = suite.table.index()["r1"]
    cov = radar_coverage(suite)
    assert cov(e, lat, lon, alt).tolist() == [True]
    assert cov(e, lat, lon, alt, up=up).tolist() == [True]
    assert cov(e, lat, lon, alt, up=np.where(np.arange(n) == r1, False, up)).tolist() == [False]
    rf, ac = rf_network(suite.rf), acoustic_network(suite.acoustic)
    assert rf.p_any(e, alt, 1.0)[0] > 0.1
    assert rf.p_any(e, alt, 1.0, up=np.zeros(len(rf), bool))[0] == 0.0
    sl = np.array([105.0])
    assert ac.p_heard(e, sl, np.zeros(1), 1.0)[0, 0] > 0.5
    assert ac.p_heard(e, sl, np.zeros(1), 1.0, up=np.zeros(len(ac), bool))[0, 0] == 0.0
    # the pop-up coverage of a Shahed-class platform: radar, or the nodes hearing its engine
    from dronewall.catalog import PlatformClass

    cc = class_coverage(suite, ClassifierConfig())
    shahed = int(PlatformClass.ATTACK_DRONE)
    assert cc(e, lat, lon, alt, cls=shahed).tolist() == [True]
    assert cc(e, lat, lon, alt, cls=shahed, up=np.zeros(n, bool)).tolist() == [False]


def test_random_availability_downs_each_sensor_its_share_of_the_time() -> None:
    from dronewall.sensors.status import random_outages

    n = 300
    table = SensorTable.build([f"g-{i}" for i in range(n)] + ["r1"],
                              [SensorKind.ACOUSTIC] * n + [SensorKind.RADAR],
                              [LAT0] * (n + 1), [LON0] * (n + 1), [0.0] * (n + 1))
    health = SensorHealthSpec(availability={"acoustic": 0.9}, mean_outage_s=600.0)
    rows, t0, t1 = random_outages(table, health, np.random.default_rng(3), 36_000.0)
    assert n not in rows                                   # radars always up here
    down = np.bincount(rows, weights=np.minimum(t1, 36_000.0) - np.asarray(t0), minlength=n)
    assert 0.08 <= down.mean() / 36_000.0 <= 0.12, down.mean() / 36_000.0
    assert 500.0 <= float(np.mean(np.minimum(t1, 36_000.0) - np.asarray(t0))) <= 700.0
    # a sensor's outages do not depend on the run's length (one child generator each)
    short = random_outages(table, health, np.random.default_rng(3), 3_600.0)
    early = [(r, a) for r, a in zip(rows, t0, strict=True) if a < 3_600.0]
    assert early == list(zip(short[0], short[1], strict=True))
    # the suite draws them from a child of its generator: its own draws are unchanged
    model = SensorStatusModel(table, (), health, np.random.default_rng(3), 600.0)
    assert len(model) > 0 and model.down(0.0).sum() >= 10
    long = SensorStatusModel(table, (), health, np.random.default_rng(3), 36_000.0)
    share = long.down_share(table, 36_000.0)
    assert set(share) == {"acoustic"} and 0.08 <= share["acoustic"] <= 0.12, share


def test_availability_is_checked() -> None:
    with pytest.raises(ValueError, match="unknown sensor type 'sonar'"):
        SensorHealthSpec(availability={"sonar": 0.9})
    with pytest.raises(ValueError, match=r"availability of rf must be in \(0, 1\]"):
        SensorHealthSpec(availability={"rf": 0.0})


def test_an_outage_on_a_grid_node_the_grid_lacks_names_the_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    scen = tmp_path / "s.yaml"
    scen.write_text("""
name: t
time: {start: "2026-01-01T00:00:00Z", duration_s: 30, step_s: 1}
origin: {lat_deg: 52.0, lon_deg: 23.0}
sensors:
  - {type: acoustic_grid, id: g, spacing_m: 1000, area: {center: [52.0, 23.0], radius_m: 1200}}
outages:
  - {sensor: g-999, window_s: [0, 10]}
""")
    for cmd in (["validate", str(scen)],
                ["simulate", str(scen), "--no-engage", "--out", str(tmp_path / "o")]):
        r = subprocess.run([sys.executable, "-m", "dronewall.cli.main", *cmd],
                           capture_output=True, text=True)
        assert r.returncode == 2, (cmd, r.stderr)
        assert str(scen) in r.stderr and "g-999" in r.stderr, r.stderr


def test_random_outages_are_bounded_before_anything_is_drawn() -> None:
    text = """
name: t
time: {start: "2026-01-01T00:00:00Z", duration_s: 86400, step_s: 1}
origin: {lat_deg: 52.0, lon_deg: 23.0}
sensors:
  - {type: acoustic_grid, id: g, spacing_m: 500, area: {center: [52.0, 23.0], radius_m: 20000}}
sensor_health: {availability: {acoustic: 0.5}, mean_outage_s: MEAN}
"""
    assert parse_scenario(text.replace("MEAN", "600")).sensor_health.mean_outage_s == 600
    with pytest.raises(ScenarioError, match=r"random outages over the run; at most 1,000,000"):
        parse_scenario(text.replace("MEAN", "1"))


def test_down_is_right_forwards_and_backwards_in_time() -> None:
    model = SensorStatusModel(TABLE, [OutageSpec(sensor="r1", window_s=[10.0, 20.0]),
                                      OutageSpec(sensor="r1", window_s=[15.0, 30.0]),
                                      OutageSpec(sensor="grid", window_s=[5.0, 12.0])])
    want = {0.0: [], 5.0: [1, 2], 10.0: [0, 1, 2], 12.0: [0], 20.0: [0], 30.0: []}
    for t in (0.0, 5.0, 10.0, 12.0, 20.0, 30.0, 12.0, 5.0, 30.0):
        assert np.flatnonzero(model.down(t)).tolist() == want[t], t
