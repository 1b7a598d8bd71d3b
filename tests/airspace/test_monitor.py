"""Monitor behaviour on synthetic zones with known geometry (oracles: pyproj geodesics, shapely)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from air_helpers import (
    DLAT_10KM,
    DLON_20KM,
    LAT0,
    LON0,
    dist_m,
    geodesic_track,
    of,
    run,
    square_spec,
)
from scipy.stats import norm

from dronewall.airspace import AirspaceConfig, AirspaceMonitor, ZoneSet

DT = 2.0          # scan period, s
SPEED = 50.0      # m/s


def _eastward(lon_from: float, lon_to: float, lat: float = LAT0) -> tuple[np.ndarray, ...]:
    dlon = SPEED * DT / (111_320.0 * np.cos(np.radians(lat)))
    lon = np.arange(lon_from, lon_to, dlon)
    return np.arange(len(lon)) * DT, np.full(len(lon), lat), lon, dlon


def test_straight_crossing_gives_one_entry_exit_pair_at_the_right_points() -> None:
    zs = ZoneSet.from_specs([square_spec()])
    t, lat, lon, dlon = _eastward(LON0 - 0.05, LON0 + DLON_20KM + 0.05)
    ev = run(zs, t, lat, lon)
    (en,), (ex,), (vi,) = of(ev, "entry"), of(ev, "exit"), of(ev, "violation")
    assert dist_m(en["lat"], en["lon"], LAT0, LON0) < 50.0
    assert dist_m(ex["lat"], ex["lon"], LAT0, LON0 + DLON_20KM) < 50.0
    true_entry_t = (LON0 - lon[0]) / dlon * DT
    true_exit_t = (LON0 + DLON_20KM - lon[0]) / dlon * DT
    assert abs(en["t_s"] - true_entry_t) <= DT
    assert abs(vi["duration_s"] - (true_exit_t - true_entry_t)) <= DT
    assert vi["entry_point"] == [en["lat"], en["lon"]] and not vi["ongoing"]
    assert vi["end_reason"] == "exit" and en["interpolated"] and ex["interpolated"]
    assert abs(vi["path_length_m"] - dist_m(LAT0, LON0, LAT0, LON0 + DLON_20KM)) < 60.0
    assert vi["max_speed_mps"] == pytest.approx(SPEED, rel=0.01)
    assert en["time"].endswith("Z") and vi["entry_time"] == en["time"]
    # declared after the crossing, never before it
    assert en["declared_t_s"] >= en["t_s"]


def test_track_that_stays_out_gives_no_entry() -> None:
    zs = ZoneSet.from_specs([square_spec()])
    t, lat, lon, _ = _eastward(LON0 - 0.05, LON0 + DLON_20KM + 0.05, lat=LAT0 + 2 * DLAT_10KM)
    ev = run(zs, t, lat, lon)
    assert not of(ev, "entry") and not of(ev, "violation") and not of(ev, "warning")


def _border_jitter(cfg: AirspaceConfig | None) -> list[dict]:
    """Track flying north along the west edge with +-30 m east-west noise, sigma 50 m."""
    zs = ZoneSet.from_specs([square_spec()])
    rng = np.random.default_rng(3)
    n = 200
    lat = np.linspace(LAT0 - 0.8 * DLAT_10KM, LAT0 + 0.8 * DLAT_10KM, n)
    off_m = rng.uniform(-30.0, 30.0, n)
    lon = LON0 + off_m / (111_320.0 * np.cos(np.radians(lat)))
    return run(zs, np.arange(n) * DT, lat, lon, sigma=50.0, cfg=cfg)


def test_jitter_along_a_border_does_not_flicker() -> None:
    ev = _border_jitter(None)
    assert len(of(ev, "violation")) <= 1 and len(of(ev, "entry")) <= 1
    # control: without the hysteresis band the same data flickers, so the test can fail
    raw = _border_jitter(AirspaceConfig(enter_scans=1, band_sigma_factor=0.0, band_min_m=1e-3,
                                        band_max_m=1e-3))
    assert len(of(raw, "violation")) > 3


def test_altitude_floor_and_ceiling() -> None:
    zs = ZoneSet.from_specs([square_spec(floor_m=100.0, ceiling_m=500.0)])
    t, lat, lon, _ = _eastward(LON0 - 0.03, LON0 + 0.1)
    assert not of(run(zs, t, lat, lon, alt=1000.0), "entry")   # above the ceiling
    assert not of(run(zs, t, lat, lon, alt=50.0), "entry")     # below the floor
    assert len(of(run(zs, t, lat, lon, alt=300.0), "entry")) == 1
    # climbing through the ceiling inside the square: exit at the ceiling crossing
    alt = np.linspace(300.0, 900.0, len(t))
    ev = run(zs, t, lat, lon, alt=alt)
    (ex,) = of(ev, "exit")
    assert ex["alt_m"] == pytest.approx(500.0, abs=1.0)
    assert of(ev, "violation")[0]["max_alt_m"] <= 500.0


def test_an_uncertain_altitude_under_a_ceiling_is_not_certainly_inside() -> None:
    """A track estimated 100 m under a zone's 1,500 m ceiling (an airport zone's) whose altitude
    is uncertain by 300 m (a radar's elevation error far out) is inside with probability
    Phi(100 / 300) ~ 0.63, not "confirmed"; the same track with a precise altitude, or in a
    zone without a ceiling, is."""
    zs = ZoneSet.from_specs([square_spec(ceiling_m=1500.0)])
    t, lat, lon, _ = _eastward(LON0 - 0.03, LON0 + DLON_20KM + 0.03)
    (vague,) = of(run(zs, t, lat, lon, alt=1400.0, sigma_alt=300.0), "violation")
    assert vague["p_episode"] == pytest.approx(norm.cdf(100.0 / 300.0), abs=0.01)
    assert vague["p_inside"] == pytest.approx(norm.cdf(100.0 / 300.0), abs=0.01)
    assert vague["confidence"] == "uncertain" and vague["sigma_alt_m"] == 300.0
    # controls: a precise altitude, no altitude error given, no ceiling
    (sharp,) = of(run(zs, t, lat, lon, alt=1400.0, sigma_alt=20.0), "violation")
    (hard,) = of(run(zs, t, lat, lon, alt=1400.0), "violation")
    assert sharp["confidence"] == hard["confidence"] == "confirmed"
    assert hard["sigma_alt_m"] is None
    open_zs = ZoneSet.from_specs([square_spec()])
    (open_,) = of(run(open_zs, t, lat, lon, alt=1400.0, sigma_alt=300.0), "violation")
    assert open_["p_episode"] > 0.99 and open_["confidence"] == "confirmed"
    # a floor works the same way: 100 m above a 200 m floor, 100 m altitude sd
    fl = ZoneSet.from_specs([square_spec(floor_m=200.0)])
    (low,) = of(run(fl, t, lat, lon, alt=300.0, sigma_alt=100.0), "violation")
    assert low["p_episode"] == pytest.approx(norm.cdf(1.0), abs=0.01)


def test_vertical_probability() -> None:
    from dronewall.airspace.scan import vertical_probability

    inf = np.inf
    p = vertical_probability(np.array([1400.0, 1400.0, 1600.0, 300.0, 1400.0]),
                             np.array([-inf, -inf, -inf, 200.0, -inf]),
                             np.array([1500.0, 1500.0, 1500.0, 1500.0, inf]),
                             np.array([300.0, np.nan, np.nan, 100.0, 300.0]))
    assert p == pytest.approx([norm.cdf(1 / 3), 1.0, 0.0,
                               norm.cdf(12.0) - norm.cdf(-1.0), 1.0], abs=1e-9)


def test_depth_of_a_10_km_incursion_within_half_a_percent() -> None:
    big = [[LAT0 - 0.5, LON0], [LAT0 - 0.5, LON0 + 1.6], [LAT0 + 0.5, LON0 + 1.6],
           [LAT0 + 0.5, LON0]]
    zs = ZoneSet.from_specs([{"id": "BIG", "kind": "custom", "area": {"polygon": big}}])
    # the geodesic leaving the meridian at azimuth 90 is perpendicular to it: depth = distance
    d = np.concatenate([np.arange(-3000.0, 10_000.0 + 1, 100.0),
                        np.arange(9_900.0, -3000.0, -100.0)])
    lat, lon = geodesic_track(LAT0, LON0, 90.0, d)
    ev = run(zs, np.arange(len(d)) * DT, lat, lon)
    (vi,) = of(ev, "violation")
    assert vi["max_depth_m"] == pytest.approx(10_000.0, rel=0.005)
    assert vi["max_depth_m"] == pytest.approx(10_000.0, abs=5.0)  # measured: well under 0.5 %
    assert dist_m(*vi["max_depth_point"], lat[130], lon[130]) < 1.0


def test_confidence_of_a_300_m_incursion_with_1_km_sigma_is_uncertain() -> None:
    zs = ZoneSet.from_specs([square_spec()])
    d = np.concatenate([np.arange(-3000.0, 300.0 + 1, 50.0), np.arange(250.0, -3001.0, -50.0)])
    lat, lon = geodesic_track(LAT0, LON0, 90.0, d)
    ev = run(zs, np.arange(len(d)) * DT, lat, lon, sigma=1000.0)
    (vi,) = of(ev, "violation")
    assert vi["max_depth_m"] == pytest.approx(300.0, abs=2.0)
    assert vi["p_inside"] == pytest.approx(norm.cdf(0.3), abs=0.005)
    assert vi["confidence"] == "uncertain"
    # the same incursion measured with 50 m sigma is confirmed (Phi(6))
    ev = run(zs, np.arange(len(d)) * DT, lat, lon, sigma=50.0)
    (vi,) = of(ev, "violation")
    assert vi["confidence"] == "confirmed" and vi["p_inside"] > 0.999


def test_warning_precedes_entry_with_the_right_time_to_crossing() -> None:
    zs = ZoneSet.from_specs([square_spec()])
    t, lat, lon, dlon = _eastward(LON0 - 0.25, LON0 + 0.05)   # starts ~17 km out
    ev = run(zs, t, lat, lon)
    warns = of(ev, "warning")
    (en,) = of(ev, "entry")
    assert len(warns) == 1, "one warning per approach"
    w = warns[0]
    true_cross_t = (LON0 - lon[0]) / dlon * DT
    assert w["t_s"] < en["t_s"]
    assert w["time_to_crossing_s"] == pytest.approx(true_cross_t - w["t_s"], abs=DT)
    assert dist_m(w["predicted_lat"], w["predicted_lon"], LAT0, LON0) < 100.0
    # the warning comes as soon as the crossing is within the 600 s horizon
    assert w["time_to_crossing_s"] > 300.0


def test_from_country_is_the_sovereign_zone_the_track_came_from() -> None:
    west = [[LAT0 - DLAT_10KM, LON0 - DLON_20KM], [LAT0 - DLAT_10KM, LON0],
            [LAT0 + DLAT_10KM, LON0], [LAT0 + DLAT_10KM, LON0 - DLON_20KM]]
    zs = ZoneSet.from_specs([
        square_spec("POL", kind="sovereign", country="POL"),
        {"id": "BLR", "kind": "sovereign", "country": "BLR", "area": {"polygon": west}},
    ])
    t, lat, lon, _ = _eastward(LON0 - 0.1, LON0 + 0.1)
    ev = run(zs, t, lat, lon)
    (vi,) = of(ev, "violation", "POL")
    assert vi["from_country"] == "BLR" and vi["country"] == "POL" and vi["ongoing"]
    # coming from outside every sovereign zone: unknown
    lon_w = np.linspace(LON0 + DLON_20KM + 0.05, LON0 + DLON_20KM - 0.05, 60)
    ev = run(zs, np.arange(60) * DT, np.full(60, LAT0), lon_w)
    (vi,) = of(ev, "violation", "POL")
    assert vi["from_country"] == ""


def test_point_radius_infrastructure_zone(tmp_path) -> None:
    import json

    fc = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [LON0, LAT0]},
        "properties": {"id": "plant", "kind": "infrastructure", "name": "Power plant",
                       "radius_m": 2000.0}}]}
    p = tmp_path / "z.geojson"
    p.write_text(json.dumps(fc))
    zs = ZoneSet.from_file(p)
    d = np.arange(-4000.0, 4001.0, 100.0)
    lat, lon = geodesic_track(LAT0, LON0, 45.0, d)
    ev = run(zs, np.arange(len(d)) * DT, lat, lon)
    (en,), (vi,) = of(ev, "entry"), of(ev, "violation")
    assert dist_m(en["lat"], en["lon"], LAT0, LON0) == pytest.approx(2000.0, abs=5.0)
    assert vi["max_depth_m"] == pytest.approx(2000.0, abs=5.0)
    assert vi["duration_s"] == pytest.approx(40 * DT, abs=DT)
    assert vi["zone_name"] == "Power plant" and vi["zone_kind"] == "infrastructure"


def test_track_loss_and_finish_close_open_episodes() -> None:
    zs = ZoneSet.from_specs([square_spec()])
    mon = AirspaceMonitor(zs, AirspaceConfig())
    inside = (LAT0, LON0 + 0.1)
    ev = []
    for k in range(5):
        ev += mon.step(k * DT, [1, 2], [inside[0]] * 2, [inside[1], inside[1] + 0.001],
                       [100.0, 100.0], [50.0, 50.0])
    ev += mon.step(5 * DT, [2], [inside[0]], [inside[1] + 0.001], [100.0], [50.0])
    (lost,) = of(ev, "violation")
    assert lost["track_id"] == 1 and lost["end_reason"] == "track_lost"
    assert lost["exit_t_s"] == 4 * DT and not lost["ongoing"]
    fin = mon.finish(6 * DT)
    (v2,) = of(fin, "violation")
    assert v2["track_id"] == 2 and v2["ongoing"] and v2["exit_t_s"] == 5 * DT


def _strike_past_the_edge(cfg: AirspaceConfig, vanish: bool) -> list[dict]:
    """A flight 40 m/s east whose last position is 15 m inside the zone's west edge (less
    than the 50 m band, one scan inside), then it is gone (``vanish``) or the run ends."""
    zs = ZoneSet.from_specs([square_spec()])
    mon = AirspaceMonitor(zs, cfg)
    m_deg = 1.0 / (111_320.0 * np.cos(np.radians(LAT0)))
    ev = []
    for k, x in enumerate((-105.0, -65.0, -25.0, 15.0)):
        ev += mon.step(float(k), [7], [LAT0], [LON0 + x * m_deg], [100.0], [5.0])
    if vanish:
        ev += mon.step(4.0, [8], [LAT0 + 0.5], [LON0 - 0.5], [100.0], [5.0])
    ev += mon.finish(4.0)
    return [e.to_dict() for e in ev]


def test_flight_ending_just_inside_enters_only_with_enter_at_end() -> None:
    """The truth monitor's rule: a platform whose flight ends inside, one scan past the edge,
    entered (a drone that struck its target); tracks keep the two-scan rule."""
    assert not of(_strike_past_the_edge(AirspaceConfig(), vanish=True), "violation")
    ev = _strike_past_the_edge(AirspaceConfig(enter_at_end=True), vanish=True)
    (en,), (vi,) = of(ev, "entry"), of(ev, "violation")
    assert en["track_id"] == 7 and en["t_s"] == pytest.approx(2.0 + 25.0 / 40.0, abs=0.02)
    assert en["declared_t_s"] == 3.0 and en["interpolated"]
    assert vi["end_reason"] == "track_lost" and vi["exit_t_s"] == 3.0 and not vi["ongoing"]
    assert vi["duration_s"] == pytest.approx(15.0 / 40.0, abs=0.02)
    assert vi["max_depth_m"] == pytest.approx(15.0, abs=1.0)
    assert vi["confidence"] == "confirmed"  # 15 m deep with a 5 m sigma: 3 sigma
    # still flying when the run ends: not a flight that ended inside, nothing declared
    assert not of(_strike_past_the_edge(AirspaceConfig(enter_at_end=True), vanish=False),
                  "entry")


def test_vectorised_inside_state_matches_a_per_point_reference() -> None:
    """Oracle: shapely per point and zone (slow, obvious) vs the monitor's entries."""
    rng = np.random.default_rng(11)
    specs = []
    for k in range(40):
        c = (LAT0 + rng.uniform(-1, 1), LON0 + rng.uniform(-1.5, 1.5))
        r = rng.uniform(0.02, 0.2)
        a = np.sort(rng.uniform(0, 2 * np.pi, 30))
        poly = [[c[0] + r * np.sin(x) * rng.uniform(0.6, 1.0), c[1] + 1.6 * r * np.cos(x)]
                for x in a]
        spec = {"id": f"z{k}", "kind": "custom", "area": {"polygon": poly}}
        if k % 4 == 0:
            spec.update(floor_m=200.0, ceiling_m=800.0)
        specs.append(spec)
    zs = ZoneSet.from_specs(specs)
    n = 3000
    lat = LAT0 + rng.uniform(-1.2, 1.2, n)
    lon = LON0 + rng.uniform(-1.8, 1.8, n)
    alt = rng.uniform(0.0, 1000.0, n)
    mon = AirspaceMonitor(zs, AirspaceConfig(enter_scans=2))
    ev = []
    for k in range(3):   # stationary: entries after 2 scans
        ev += mon.step(k * DT, np.arange(n), lat, lon, alt, np.full(n, 50.0))
    got = {(e["track_id"], e["zone_id"]) for e in of(ev, "entry")}
    want = set()
    for z in zs.zones:
        fl = -np.inf if z.floor_m is None else z.floor_m
        ce = np.inf if z.ceiling_m is None else z.ceiling_m
        for i in range(n):
            if z.geometry.contains(shapely.Point(lon[i], lat[i])) and fl <= alt[i] <= ce:
                want.add((i, z.id))
    assert len(want) > 100 and got == want


def _split_run(splits: dict[float, float], t_end: float = 500.0,
               t_stop: float | None = None, speed: float = SPEED,
               unlocated: tuple[float, float] = (0.0, 0.0)) -> list:
    """One track east at ``speed`` (m/s) from 2 km outside the square's west edge, climbing
    1 m/s, 1 s scans to ``t_end``; ``splits`` {time of the call: split time}: the episode split
    after the fact as the airspace stage does when a track changed target; ``t_stop``: the scans
    stop there. Returns all violation and entry events, finish included."""
    from dronewall.airspace.events import Entry, Violation

    zs = ZoneSet.from_specs([square_spec(kind="sovereign", country="POL")])
    mon = AirspaceMonitor(zs, AirspaceConfig())
    m_per_deg = 111_320.0 * np.cos(np.radians(LAT0))
    out = []
    for t in np.arange(0.0, t_end + 1.0):
        if t_stop is not None and t >= t_stop:
            break
        x = -2000.0 + speed * t
        ev = mon.step(float(t), [1], [LAT0], [LON0 + x / m_per_deg], [100.0 + t], [30.0],
                      [[speed, 0.0, 1.0]],
                      located=[not unlocated[0] <= t < unlocated[1]])
        if t in splits:
            ts = splits[t]
            ev = ev + mon.split(1, ts, LAT0, LON0 + (-2000.0 + speed * ts) / m_per_deg,
                                100.0 + ts)
        out += [e for e in ev if isinstance(e, Violation | Entry)]
    out += [e for e in mon.finish(min(t_end, t_stop or t_end))]
    return out


def test_an_episode_split_after_the_fact_is_exact() -> None:
    """A track that changed target at 200 s, found at 300 s: its episode ends at 200 s with
    the accumulators it had then and a new one holds the scans since -- the same numbers as
    a monitor that saw only the scans before 200 s, and, together, as the unsplit episode."""
    from dronewall.airspace.events import Entry, Violation

    (whole,) = [e for e in _split_run({}) if isinstance(e, Violation)]
    (early,) = [e for e in _split_run({}, t_stop=200.0) if isinstance(e, Violation)]
    ev = _split_run({300.0: 200.0})
    a, b = [e for e in ev if isinstance(e, Violation)]
    (e_b,) = [e for e in ev if isinstance(e, Entry) and e.t_s == 200.0]
    assert (a.end_reason, a.exit_t_s, a.entry_t_s) == ("target_changed", 200.0,
                                                        whole.entry_t_s)
    assert not e_b.interpolated and e_b.declared_t_s == 300.0 and e_b.from_country == ""
    assert b.entry_t_s == 200.0 and b.exit_t_s == whole.exit_t_s and b.end_reason == "exit"
    for k in ("max_depth_m", "path_length_m", "n_scans", "min_alt_m", "max_alt_m",
              "max_speed_mps", "p_episode", "max_depth_point"):
        assert getattr(a, k) == getattr(early, k), k
    assert a.n_scans + b.n_scans == whole.n_scans
    assert a.path_length_m + b.path_length_m == pytest.approx(whole.path_length_m, abs=0.2)
    assert max(a.max_depth_m, b.max_depth_m) == whole.max_depth_m
    assert (b.min_alt_m, b.max_alt_m) == (300.0, whole.max_alt_m)
    # split again later: the second part's own scans are what is split (the log was
    # rewritten for them)
    a2, b2, c2 = [e for e in _split_run({300.0: 200.0, 420.0: 350.0})
                  if isinstance(e, Violation)]
    assert (a2.n_scans, b2.n_scans) == (a.n_scans, 150)
    assert a2.n_scans + b2.n_scans + c2.n_scans == whole.n_scans
    assert b2.min_alt_m == 300.0 and b2.max_alt_m == 449.0 and c2.min_alt_m == 450.0
    # no sensor located the track 220-260 s, where it was deepest (the zone's middle at
    # 240 s): the deepest point counts the located scans -- the second part folds its scans
    # by the same rule
    (w,) = [e for e in _split_run({}, unlocated=(220.0, 260.0)) if isinstance(e, Violation)]
    a3, b3 = [e for e in _split_run({300.0: 200.0}, unlocated=(220.0, 260.0))
              if isinstance(e, Violation)]
    assert (b3.max_depth_m, b3.max_depth_point, b3.p_episode) == (
        w.max_depth_m, w.max_depth_point, w.p_episode)
    assert w.max_depth_m < whole.max_depth_m - 900.0       # 9 km, not the predicted 10 km


def test_an_episode_is_not_split_where_its_scans_are_no_longer_logged() -> None:
    from dronewall.airspace.events import Violation
    from dronewall.airspace.scan_log import LOG_S

    # at 10 m/s the track enters at 200 s and is still inside at 1,000 s: a split time older
    # than the log, or before the episode began, leaves one episode
    for calls in ({1000.0: 1000.0 - LOG_S - 5.0}, {300.0: 150.0}):
        (v,) = [e for e in _split_run(calls, t_end=1000.0, speed=10.0)
                if isinstance(e, Violation)]
        assert v.end_reason == "finish" and v.entry_t_s < 210.0
    # ... while a split within the log is made
    assert len([e for e in _split_run({1000.0: 1000.0 - LOG_S + 5.0}, t_end=1000.0,
                                      speed=10.0) if isinstance(e, Violation)]) == 2
    # an unknown track: nothing to split
    zs = ZoneSet.from_specs([square_spec(kind="sovereign", country="POL")])
    assert AirspaceMonitor(zs, AirspaceConfig()).split(7, 10.0, LAT0, LON0, 0.0) == []
