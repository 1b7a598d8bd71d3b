"""Quarantine reasons, out-of-order handling, bounded memory, identities, determinism."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
from trk_helpers import FRAME, radar_z, sensors_at, xy_batch, xy_sensor

from dronewall.detections.batch import DetectionBatch, MeasKind, SensorKind
from dronewall.tracking import Engine, TrackerConfig


def _radar_ads_setup() -> tuple[Engine, object]:
    st = sensors_at(np.array([[0.0, 0.0, 10.0], [100.0, 0.0, 5.0]]),
                    [SensorKind.RADAR, SensorKind.ADSB])
    return Engine(TrackerConfig(dims=3), FRAME, st), st


def _radar_row(st: object, t: float, p: np.ndarray, v: np.ndarray) -> dict:
    return {"t": t, "sensor": 0, "kind": int(MeasKind.RADAR),
            "z": radar_z(st, 0, p, v),  # type: ignore[arg-type]
            "R": np.diag([20.0, 0.005, 0.005, 1.0]) ** 2}


def _batch(rows: list[dict]) -> DetectionBatch:
    return DetectionBatch.create(
        t=[r["t"] for r in rows], sensor=[r["sensor"] for r in rows],
        meas_kind=[r["kind"] for r in rows], z=np.array([r["z"] for r in rows]),
        R=np.array([r["R"] for r in rows]))


def test_bad_inputs_are_counted_and_engine_keeps_going() -> None:
    eng, st = _radar_ads_setup()
    p0 = np.array([5000.0, 3000.0, 300.0])
    v = np.array([-30.0, 10.0, 0.0])
    totals: dict[str, int] = {}
    for k in range(12):
        t = float(k)
        p = p0 + v * t
        good = _radar_row(st, t, p, v)
        rows = [good]
        if k == 3:
            bad = dict(good, z=good["z"].copy())
            bad["z"][1] = np.nan
            rows.append(bad)                                           # NaN
            infR = good["R"].copy()
            infR[0, 0] = np.inf
            rows.append(dict(good, R=infR))                            # inf covariance
            rows.append(dict(good, sensor=7))                          # unknown sensor
            rows.append(dict(good))                                    # duplicate
            negR = good["R"].copy()
            negR[0, 0] = -1.0
            rows.append(dict(good, z=good["z"] + [1.0, 0, 0, 0], R=negR))  # negative variance
            rows.append(dict(good, z=good["z"] + [2.0, 0, 0, 0], R=good["R"] * 1e12))  # enormous
            nonpsd = good["R"].copy()
            nonpsd[0, 1] = nonpsd[1, 0] = 10.0
            rows.append(dict(good, z=good["z"] + [3.0, 0, 0, 0], R=nonpsd))       # not PSD
            rows.append(dict(good, z=good["z"] + [4.0, 0, 0, 0], R=np.zeros((4, 4))))  # zero cov
            rows.append(dict(good, t=t - 5.0))                         # time backwards
            rows.append(dict(good, kind=int(MeasKind.XY)))             # kind mismatch
            rows.append(dict(good, kind=42))                           # unknown kind
            neg_r = dict(good, z=good["z"].copy())
            neg_r["z"][0] = -5.0
            rows.append(neg_r)                                         # out of domain
        res = eng.step(t, _batch(rows))
        for r_, c in res.quarantined.items():
            totals[r_] = totals.get(r_, 0) + c
        if k == 3:
            assert res.n_input == len(rows)
            assert res.n_accepted == 1
            assert res.quarantined_rows.size == len(rows) - 1
            assert 0 not in res.quarantined_rows.tolist()
        if k in (5, 6):
            res = eng.step(t + 0.5, DetectionBatch.empty())  # empty scans are fine
            assert res.quarantined == {}
    assert totals == {"nonfinite_value": 2, "unknown_sensor": 1, "duplicate": 1,
                      "absurd_covariance": 4, "too_late": 1, "kind_mismatch": 1,
                      "unknown_meas_kind": 1, "out_of_domain": 1}, totals
    snap = eng.snapshot(confirmed_only=True)
    assert snap.ids.size == 1
    assert np.linalg.norm(snap.x[0, :3] - (p0 + v * 11)) < 60.0
    # step time going backwards is reported, not fatal
    res = eng.step(3.0, DetectionBatch.empty())
    assert res.diagnostics.get("step_time_backwards") == 1


def test_unsupported_kinds_in_2d_are_quarantined() -> None:
    eng = Engine(TrackerConfig(dims=2), FRAME, sensors_at(np.zeros((1, 3)), [SensorKind.RADAR]))
    b = DetectionBatch.create(t=[0.0], sensor=[0], meas_kind=[int(MeasKind.RADAR)],
                              z=[[1000.0, 0.1, 0.01, np.nan]],
                              R=[np.diag([10.0, 0.01, 0.01]) ** 2])
    assert eng.step(0.0, b).quarantined == {"unsupported_in_2d": 1}


def _scan_data(n_scans: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    starts = np.array([[0.0, 0.0], [3000.0, 0.0], [0.0, 4000.0]])
    vel = np.array([[40.0, 10.0], [-20.0, 35.0], [30.0, -30.0]])
    out = []
    for k in range(n_scans):
        pts = starts + vel * k + rng.normal(size=(3, 2)) * 30.0
        pts = pts[rng.random(3) < 0.9]
        clutter = rng.uniform(-50_000, 50_000, (2, 2))
        out.append(np.vstack([pts, clutter]))
    return out


def test_out_of_order_within_window_equals_in_order() -> None:
    scans = _scan_data(30, 4)
    ref = Engine(TrackerConfig(dims=2), FRAME, xy_sensor())
    for k, z in enumerate(scans):
        ref.step(float(k), xy_batch(float(k), z, 30.0))
    ooo = Engine(TrackerConfig(dims=2, latency_window_s=1.5), FRAME, xy_sensor())
    # deliver scans in swapped pairs: 1, 0, 3, 2, ... (each arrives <= 1 s late)
    order = []
    for k in range(0, 30, 2):
        order += [k + 1, k]
    arrival = 0.0
    for k in order:
        arrival = max(arrival, float(k))
        res = ooo.step(arrival, xy_batch(float(k), scans[k], 30.0))
        assert res.quarantined == {}
    ooo.flush()
    a, b = ref.snapshot(), ooo.snapshot()
    assert np.array_equal(a.ids, b.ids)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.P, b.P)
    # beyond the window: counted and dropped
    res = ooo.step(40.0, xy_batch(20.0, scans[20], 30.0))
    assert res.quarantined == {"too_late": len(scans[20])}


def test_history_ring_and_memory_are_bounded() -> None:
    cfg = TrackerConfig(dims=2, history_len=8)
    eng = Engine(cfg, FRAME, xy_sensor())
    scans = _scan_data(400, 9)
    mem = {}
    for k, z in enumerate(scans):
        eng.step(float(k), xy_batch(float(k), z, 30.0))
        if k in (100, 399):
            mem[k] = eng.memory_bytes()
    assert mem[100] == mem[399]
    snap = eng.snapshot(confirmed_only=True)
    assert snap.ids.size == 3
    t, x = eng.history(int(snap.ids[0]))
    assert t.shape == (8,) and x.shape == (8, 4)
    assert np.all(np.diff(t) == 1.0) and t[-1] == 399.0
    assert eng.T.cap <= 64


def test_cooperative_identity_is_kept_and_preferred() -> None:
    st = sensors_at(np.zeros((1, 3)), [SensorKind.ADSB])
    eng = Engine(TrackerConfig(dims=3, q_horizontal_m2ps3=0.1), FRAME, st)
    R = np.eye(3) * 60.0 ** 2
    pa = np.array([0.0, 0.0, 1000.0])
    pb = np.array([150.0, 0.0, 1000.0])
    for k in range(4):
        z = FRAME.from_local(np.stack([pa, pb]))
        b = DetectionBatch.create(t=[float(k)] * 2, sensor=[0, 0],
                                  meas_kind=[int(MeasKind.POSITION)] * 2, z=z, R=[R, R],
                                  identity=["aaaaaa", "bbbbbb"])
        eng.step(float(k), b)
    s = eng.snapshot(confirmed_only=True)
    ida = int(s.ids[list(s.identity).index("aaaaaa")])
    idb = int(s.ids[list(s.identity).index("bbbbbb")])
    # a single report of A placed nearer to B's track: identity wins the assignment
    z = FRAME.from_local(np.array([[120.0, 0.0, 1000.0]]))
    b = DetectionBatch.create(t=[4.0], sensor=[0], meas_kind=[int(MeasKind.POSITION)], z=z,
                              R=[R], identity=["aaaaaa"])
    res = eng.step(4.0, b)
    assert res.updated.tolist() == [ida]
    assert idb in res.coasted.tolist()
    # without identity the same report goes to the nearest track (identity never required)
    b2 = DetectionBatch.create(t=[5.0], sensor=[0], meas_kind=[int(MeasKind.POSITION)],
                               z=FRAME.from_local(np.array([[150.0, 0.0, 1000.0]])), R=[R])
    res2 = eng.step(5.0, b2)
    assert res2.updated.tolist() == [idb]


def test_determinism_and_no_shared_state() -> None:
    scans = _scan_data(40, 12)
    e1 = Engine(TrackerConfig(dims=2, imm=True), FRAME, xy_sensor())
    e2 = Engine(TrackerConfig(dims=2, imm=True), FRAME, xy_sensor())
    other = Engine(TrackerConfig(dims=2), FRAME, xy_sensor())
    rng = np.random.default_rng(0)
    for k, z in enumerate(scans):
        r1 = e1.step(float(k), xy_batch(float(k), z, 30.0))
        other.step(float(k), xy_batch(float(k), rng.uniform(-1e4, 1e4, (20, 2)), 30.0))
        r2 = e2.step(float(k), xy_batch(float(k), z, 30.0))
        for f in ("new", "updated", "coasted", "deleted", "confirmed"):
            assert np.array_equal(getattr(r1, f), getattr(r2, f))
    s1, s2 = e1.snapshot(), e2.snapshot()
    assert np.array_equal(s1.ids, s2.ids)
    assert np.array_equal(s1.x, s2.x) and np.array_equal(s1.P, s2.P)
    assert not s1.x.flags.writeable


def test_coast_then_delete() -> None:
    cfg = TrackerConfig(dims=2, coast_time_s=3.0)
    eng = Engine(cfg, FRAME, xy_sensor())
    for k in range(5):
        eng.step(float(k), xy_batch(float(k), [[40.0 * k, 0.0]], 30.0))
    tid = int(eng.snapshot(confirmed_only=True).ids[0])
    coasted, deleted_at = [], None
    for k in range(5, 12):
        r = eng.step(float(k), DetectionBatch.empty())
        if tid in r.coasted.tolist():
            coasted.append(k)
        if tid in r.deleted.tolist():
            deleted_at = k
            break
    assert coasted == [5, 6, 7] and deleted_at == 8


def test_tracking_core_has_no_forbidden_imports() -> None:
    import dronewall.tracking as trk

    forbidden = ("dronewall.sim", "dronewall.sensors", "dronewall.cli", "dronewall.server",
                 "dronewall.report")
    for f in Path(trk.__file__).parent.glob("*.py"):
        tree = ast.parse(f.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for n in names:
                assert not n.startswith(forbidden), (f.name, n)


def test_a_sensors_own_position_solution_is_accepted_from_any_kind() -> None:
    """A SAPIENT node's location report or an ASTERIX system track is a POSITION row of a
    radar (or camera, RF) sensor: tracked, not quarantined as a kind mismatch."""
    from dronewall.adapters.positions import position_rows
    from dronewall.detections import SensorKind, SensorTable
    from dronewall.geo import Frame
    from dronewall.tracking import Engine, TrackerConfig

    fr = Frame(51.5, 23.4)
    tbl = SensorTable.build(["radar"], [SensorKind.RADAR], [51.5], [23.5], [30.0])
    eng = Engine(TrackerConfig(), fr, tbl)
    for k in range(6):
        res = eng.step(float(k), position_rows([float(k)], 0, [51.5 + 40.0 * k / 111_132],
                                               [23.6], [300.0], [15.0], [15.0], [20.0]))
        assert res.quarantined == {}
    assert eng.snapshot(confirmed_only=True).ids.size == 1
