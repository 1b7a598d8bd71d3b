import numpy as np
import pytest
from pyproj import Geod, Transformer

from dronewall.geo import Frame, ecef_to_geodetic, geodetic_to_ecef, radar_horizon_m


def test_geodetic_ecef_against_pyproj_and_roundtrip():
    rng = np.random.default_rng(1)
    lat = rng.uniform(-89.9, 89.9, 1000)
    lon = rng.uniform(-180, 180, 1000)
    alt = rng.uniform(-500, 30_000, 1000)
    e = geodetic_to_ecef(lat, lon, alt)
    tr = Transformer.from_crs(4979, 4978, always_xy=True)
    x, y, z = tr.transform(lon, lat, alt)
    assert np.abs(e - np.c_[x, y, z]).max() < 1e-6
    la, lo, h = ecef_to_geodetic(e)
    assert np.abs(la - lat).max() < 1e-9
    assert np.abs(lo - lon).max() < 1e-9
    assert np.abs(h - alt).max() < 1e-4


def test_frame_is_exact_over_1500_km():
    """Finland to Romania: distances in the scenario frame equal true 3-D distances."""
    f = Frame(52.0, 24.0)
    pts = np.array([[60.2, 25.0, 100.0], [44.4, 27.7, 50.0], [59.8, 26.36, 7500.0]])
    loc = f.geodetic_to_local(pts[:, 0], pts[:, 1], pts[:, 2])
    ecef = geodetic_to_ecef(pts[:, 0], pts[:, 1], pts[:, 2])
    d_loc = np.linalg.norm(loc[0] - loc[1])
    d_ecef = np.linalg.norm(ecef[0] - ecef[1])
    assert abs(d_loc - d_ecef) < 1e-6
    assert d_loc > 1_700_000  # ~1,760 km chord
    back = np.stack(f.local_to_geodetic(loc), axis=-1)
    assert np.allclose(back, pts, atol=1e-6)
    # local up at Helsinki is tilted relative to the frame's z by about d / R
    up = f.local_up(loc[0])
    tilt = np.degrees(np.arccos(up[2]))
    _, _, dist = Geod(ellps="WGS84").inv(24.0, 52.0, 25.0, 60.2)
    assert tilt == pytest.approx(np.degrees(dist / 6371e3), rel=0.01)


def test_radar_horizon_matches_rule_of_thumb():
    # d ~= 4.12 (sqrt(h_r) + sqrt(h_t)) km; research table: 10 m mast, 50 m target -> 42.2 km
    assert radar_horizon_m(10, 50) / 1e3 == pytest.approx(42.2, abs=0.1)
    assert radar_horizon_m(30, 1000) / 1e3 == pytest.approx(152.9, abs=0.3)
    assert radar_horizon_m(5, -3) == pytest.approx(radar_horizon_m(5, 0))
