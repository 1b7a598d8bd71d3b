"""ASTERIX in: CAT048 plots and CAT062 system tracks over UDP become detections of the site
radar bound to their SAC/SIC; a hand-built record (bytes from the specification) checks the
decoding independently of the library's encoder."""

from __future__ import annotations

import math
import socket
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("asterix")

from dronewall.adapters.asterix import (  # noqa: E402
    NM_M,
    AsterixDecoder,
    RadarSite,
    asterix_to_batch,
)
from dronewall.detections import MeasKind  # noqa: E402
from dronewall.geo import ecef_to_geodetic  # noqa: E402

SITE = RadarSite(row=1, alt_m=200.0, sigma_range_m=40.0, sigma_az_rad=math.radians(0.15))
BORDER_PAIR = Path(__file__).resolve().parents[1] / "server" / "data" / "border-pair.yaml"

# EUROCONTROL CAT048 data block by hand: CAT 48, LEN 15, FSPEC 0xD4 = I048/010, /140, /040,
# /090; SAC 7 SIC 9; time of day 3600.5 s (LSB 1/128 s); RHO 10 NM (LSB 1/256 NM), THETA 45 deg
# (LSB 360/2^16); flight level 100 (LSB 1/4 FL).
HAND_048 = bytes.fromhex("30000F" "D4" "0709" "070840" "0A00" "2000" "0190")


def _cat048(plots: list[tuple[float, float, float | None]], sac: int = 7, sic: int = 9
            ) -> bytes:
    from asterix.generated import Cat_048_1_32 as C

    recs = []
    for rho_nm, theta_deg, fl in plots:
        items = {"010": (("SAC", sac), ("SIC", sic)),
                 "040": (("RHO", (rho_nm, "NM")), ("THETA", (theta_deg, "°")))}
        if fl is not None:
            items["090"] = (0, 0, ("FL", (fl, "FL")))
        recs.append(C.cv_record.create(items))
    return C.create(recs).unparse().to_bytes()


def _cat062(lat: float, lon: float, alt_ft: float, apc_m: float | None) -> bytes:
    from asterix.generated import Cat_062_1_21 as C

    items = {"010": (("SAC", 7), ("SIC", 10)), "105": (("LAT", (lat, "°")), ("LON", (lon, "°"))),
             "130": ((alt_ft, "ft")), "040": 77}
    if apc_m is not None:
        items["500"] = {"APC": (("X", (apc_m, "m")), ("Y", (apc_m, "m")))}
    return C.create([C.cv_record.create(items)]).unparse().to_bytes()


def test_a_hand_built_cat048_record_decodes_to_a_radar_detection() -> None:
    d = AsterixDecoder({(7, 9): SITE})
    (r,) = d.datagram(HAND_048, 5.0)
    assert (r.category, r.sac, r.sic, r.row, r.kind) == (48, 7, 9, 1, "plot")
    assert r.values[0] == pytest.approx(10 * NM_M)
    assert r.values[1] == pytest.approx(math.radians(45.0))
    # elevation from FL100 (3048 m) over 18.5 km, radar at 200 m, 4/3-earth drop
    s = (3048.0 - 200.0) / (10 * NM_M) - 10 * NM_M / (2 * 4 / 3 * 6_371_000)
    assert r.values[2] == pytest.approx(math.asin(s), rel=1e-6)
    assert r.sigmas[0] == 40.0 and r.sigmas[1] == pytest.approx(math.radians(0.15))


def test_library_encoded_plots_and_tracks_become_detections() -> None:
    d = AsterixDecoder({(7, 9): SITE, (7, 10): RadarSite(2, 0.0, 50.0, 0.01)})
    reps = d.datagram(_cat048([(20.0, 350.0, None), (5.0, 90.0, 20.0)])
                      + _cat062(50.1, 22.0, 3000.0, 45.0), 1.0)
    assert [r.kind for r in reps] == ["plot", "plot", "track"]
    lsb = math.radians(360 / 2**16)   # THETA resolution
    assert reps[0].values[1] == pytest.approx(math.radians(-10.0), abs=lsb)   # (-pi, pi]
    assert reps[0].values[2] == 0.0 and reps[0].sigmas[2] == pytest.approx(math.radians(30))
    b = asterix_to_batch(reps)
    assert b.meas_kind.tolist() == [MeasKind.RADAR, MeasKind.RADAR, MeasKind.POSITION]
    assert b.sensor.tolist() == [1, 1, 2]
    lat, lon, alt = ecef_to_geodetic(b.z[2:3, :3])
    assert (lat[0], lon[0], alt[0]) == pytest.approx((50.1, 22.0, 914.4), abs=1e-5)
    ev = np.linalg.eigvalsh(b.R[2, :3, :3])
    assert sorted(ev)[:2] == pytest.approx([45.0**2, 45.0**2])
    assert reps[2].track_number == 77 and d.counters.to_dict()["accepted"] == 3


def test_unknown_sources_other_categories_and_garbage_are_counted() -> None:
    d = AsterixDecoder({(7, 9): SITE})
    assert d.datagram(_cat048([(10.0, 10.0, None)], sac=1, sic=1), 0.0) == []
    assert d.datagram(bytes.fromhex("220007c0010201"), 0.0) == []      # CAT034
    assert d.datagram(b"\x30\x00\x40garbage", 0.0) == []
    c = d.counters.to_dict()
    assert c["rejected_by_reason"] == {"asterix: SAC/SIC not configured": 1,
                                       "asterix: category 34 not read": 1}
    assert c["malformed"] == 1
    rng = np.random.default_rng(2)
    for _ in range(300):   # never raises
        d.datagram(rng.integers(0, 256, int(rng.integers(1, 80))).astype(np.uint8).tobytes(), 0.0)
        d.datagram(b"\x30" + rng.integers(0, 256, 30).astype(np.uint8).tobytes(), 0.0)


def test_live_asterix_feed_over_udp(tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    from dronewall.server.app import build_state
    from dronewall.server.settings import Settings

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = tmp_path / "live.yaml"
    cfg.write_text("adapters:\n  - id: atx\n    protocol: asterix\n"
                   f"    listen: '127.0.0.1:{port}'\n"
                   "    radars: [{sac: 7, sic: 9, sensor: radar-bug}]\n")
    st = build_state(Settings(db=str(tmp_path / "s.db"), scenario=BORDER_PAIR, live=cfg,
                              engage=False))
    st.hub.publish = lambda kind, msg: None  # type: ignore[method-assign]
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        st.runner.start()
        t0 = time.time()
        while time.time() - t0 < 20 and not st.runner.state.tracks.get("id"):
            k = time.time() - t0    # a target 12 NM out, moving 0.02 deg/s in azimuth
            tx.sendto(_cat048([(12.0, 80.0 + 0.02 * k, 10.0)]), ("127.0.0.1", port))
            time.sleep(0.5)
        assert st.runner.state.tracks.get("id"), "the plots make a track"
        a = st.runner.source.status()[0]
        # two plots make a track (2-of-3), so two datagrams may be all it took
        assert a["datagrams"] >= 2 and a["messages"]["accepted"] >= 2
    finally:
        tx.close()
        st.runner.source.close()
        st.runner.stop()
