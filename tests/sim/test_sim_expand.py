"""Traffic expansion: counts, ids, launch schedules, spread, identities, signatures."""

from __future__ import annotations

import re

import numpy as np
from sim_helpers import build

from dronewall.catalog import PLATFORMS, PlatformClass
from dronewall.sim.areas import GEOD, great_circle_m
from dronewall.sim.expand import raid_launch_times

RAIDS = """
traffic:
  raids:
    - {id: wave1, platform: shahed136, count: 40, window_s: [100, 900], spacing_s: 15,
       launch: {center: [51.80, 24.40], radius_m: 10000},
       target: {center: [51.22, 22.69], radius_m: 4000}, rcs_m2: 0.5}
    - {id: wave2, platform: gerbera, count: 400, window_s: [0, 1200], spacing_s: 2,
       launch: {polygon: [[51.5, 24.3], [51.7, 24.3], [51.7, 24.6], [51.5, 24.6]]},
       route: [[51.55, 23.60], [51.40, 22.90]], route_spread_m: 3000, adsb: true}
"""


def test_raid_launch_schedule_counts_window_spacing() -> None:
    _, sim = build(RAIDS, duration_s=1300)
    ex = sim.expansion
    ids = sim.platforms.ids
    assert len(sim) == 440
    assert list(ids[:2]) == ["wave1-0", "wave1-1"]
    assert ids[40] == "wave2-0" and ids[-1] == "wave2-399"
    for group, (t0, t1, sp) in {"wave1": (100, 900, 15), "wave2": (0, 1200, 2)}.items():
        t = ex.launch_s[sim.platforms.group == group]
        assert t.min() >= t0 and t.max() <= t1
        assert np.all(np.diff(t) >= sp - 1e-9)
    # the simulated platforms become active at their launch time (first step at or after it)
    run = sim.run_arrays(("active",))
    first = np.argmax(run["active"], axis=0)
    assert np.all(run["t"][first] >= ex.launch_s)
    assert np.all(run["t"][first] - ex.launch_s < 1.0)


def test_raid_launch_times_property() -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(1, 50))
        sp = float(rng.uniform(0, 20))
        t0 = float(rng.uniform(0, 100))
        t1 = t0 + sp * (n - 1) + float(rng.uniform(0, 300))
        t = raid_launch_times(n, t0, t1, sp, rng)
        assert t.shape == (n,) and t[0] >= t0 and t[-1] <= t1 + 1e-9
        assert np.all(np.diff(t) >= sp - 1e-9)
    tight = raid_launch_times(5, 0.0, 40.0, 10.0, rng)  # no slack: exactly every 10 s
    assert np.allclose(tight, [0, 10, 20, 30, 40])


def test_launch_points_targets_and_route_spread() -> None:
    _, sim = build(RAIDS, duration_s=10)
    ex = sim.expansion
    w1 = sim.platforms.group == "wave1"
    assert np.all(great_circle_m(ex.lat0_deg[w1], ex.lon0_deg[w1], 51.80, 24.40) <= 10000 * 1.005)
    tgt = great_circle_m(ex.route_lat_deg[w1, 0], ex.route_lon_deg[w1, 0], 51.22, 22.69)
    assert np.all(tgt <= 4000 * 1.005) and tgt.std() > 500  # spread over the target area
    w2 = ~w1
    assert np.all((ex.lat0_deg[w2] >= 51.5) & (ex.lat0_deg[w2] <= 51.7))
    assert np.all((ex.lon0_deg[w2] >= 24.3) & (ex.lon0_deg[w2] <= 24.6))
    # lateral offsets: perpendicular to the route, N(0, 3000 m)
    az, _, _ = GEOD.inv(23.60, 51.55, 22.90, 51.40)
    off_az, _, off = GEOD.inv(np.full(w2.sum(), 22.90), np.full(w2.sum(), 51.40),
                              ex.route_lon_deg[w2, 1], ex.route_lat_deg[w2, 1])
    signed = off * np.sign(np.cos(np.radians(off_az - (az + 90.0))))
    assert abs(np.median(signed)) < 400 and 0.85 < signed.std() / 3000 < 1.15
    rel = np.abs(((off_az - az) % 180.0) - 90.0)
    assert np.all(rel[off > 100] < 1.0)  # perpendicular to the (straight) route
    assert np.all(ex.route_alt_m[w2] == PLATFORMS["gerbera"].cruise_alt_m)


def test_signatures_and_identities() -> None:
    body = RAIDS + """
  aircraft:
    - {id: mig, platform: mig31, count: 3, route: [[59.9, 28.2, 7500], [59.8, 27.1]],
       adsb: true, icao24: "155abc", callsign: "RFF31"}
  multirotors:
    - {id: quad, platform: dji_multirotor, count: 3, home: [51.6, 23.6], remote_id: true,
       pattern: hover}
  birds:
    - {id: flock, count: 4, area: {center: [51.4, 23.4], radius_m: 3000}, rcs_m2: 0.05}
"""
    _, sim = build(body, duration_s=10)
    pt = sim.platforms
    n = len(pt)
    for col in ("ids", "group", "platform", "cls", "rcs_m2", "acoustic_sl_db", "acoustic_class",
                "rf_protocol", "adsb", "remote_id", "icao24", "callsign", "rid_serial",
                "gnss_navigated"):
        assert getattr(pt, col).shape == (n,), col
    assert len(set(pt.ids)) == n
    w1 = pt.group == "wave1"
    assert np.all(pt.rcs_m2[w1] == 0.5)
    assert np.all(pt.rcs_m2[pt.group == "wave2"] == PLATFORMS["gerbera"].rcs_m2)
    assert np.all(pt.cls[pt.group == "wave2"] == int(PlatformClass.DECOY))
    assert np.all(pt.rcs_m2[pt.group == "flock"] == 0.05)
    assert np.all(pt.cls[pt.group == "flock"] == int(PlatformClass.BIRD))
    assert np.all(pt.acoustic_sl_db[w1] == PLATFORMS["shahed136"].acoustic_sl_db)
    assert np.all(pt.rf_protocol[pt.group == "quad"]
                  == int(PLATFORMS["dji_multirotor"].rf_protocol))
    # ADS-B: unique 6-hex addresses, the given one first; callsigns for every ADS-B platform
    icao = pt.icao24[pt.adsb]
    assert len(set(icao)) == len(icao) and all(re.fullmatch(r"[0-9a-f]{6}", s) for s in icao)
    mig = np.flatnonzero(pt.group == "mig")
    assert pt.icao24[mig[0]] == "155abc" and pt.callsign[mig[0]] == "RFF31"
    cs = pt.callsign[pt.adsb]
    assert len(set(cs)) == len(cs) and all(1 <= len(c) <= 8 for c in cs)
    assert np.all(pt.icao24[~pt.adsb] == "") and np.all(pt.callsign[~pt.adsb] == "")
    # Remote ID: ANSI/CTA-2063-A serials, unique; none without remote_id
    ser = pt.rid_serial[pt.remote_id]
    assert len(ser) == 3 and len(set(ser)) == 3
    assert all(re.fullmatch(r"1581F[0-9A-HJ-NP-Z]{15}", s) for s in ser)
    assert np.all(pt.rid_serial[~pt.remote_id] == "")
    # identities depend only on ids: a different seed keeps them
    _, sim2 = build(body, duration_s=10, seed=99)
    assert list(sim2.platforms.icao24) == list(pt.icao24)
    assert list(sim2.platforms.rid_serial) == list(pt.rid_serial)


def test_operator_position() -> None:
    body = """
    traffic:
      multirotors:
        - {id: q, platform: dji_multirotor, count: 2, home: [51.6, 23.6], remote_id: true,
           operator_offset_m: 400, pattern: hover}
        - {id: fpv, platform: fpv, count: 1, home: [51.5, 23.5], pattern: hover}
    """
    _, sim = build(body, duration_s=5)
    st = next(iter(sim.states()))
    op = st.operator_ecef
    assert np.isnan(op[2]).all() and not np.isnan(op[:2]).any()
    from dronewall.geo.frames import ecef_to_geodetic
    lat, lon, h = ecef_to_geodetic(op[:2])
    _, _, d = GEOD.inv(lon, lat, [23.6, 23.6], [51.6, 51.6])
    assert np.allclose(d, 400.0, atol=0.5) and np.allclose(h, 1.5, atol=1e-3)
