"""CoopTrustMonitor (classify/coop_tracks.py): cooperative identities checked against the
independent sensors of the fused picture (ghost, offset, two places, trusted)."""

from __future__ import annotations

import numpy as np

from dronewall.classify.coop_tracks import (
    TRUST_NAMES,
    TRUST_NONE,
    TRUST_SUSPECT,
    TRUST_TRUSTED,
    TRUST_UNVERIFIED,
    CoopTrustConfig,
    CoopTrustMonitor,
)
from dronewall.detections import SensorKind

K = len(SensorKind)
CFG = CoopTrustConfig()
REPORT_KEYS = {"identity", "spoofing_suspected", "corroborated_s",
               "uncorroborated_in_coverage_s", "reasons", "suspect_spans_s", "first_t_s",
               "last_t_s"}


def run(mon: CoopTrustMonitor, t0: float, t1: float, identity, pos0, vel, covered,
        radar_seen) -> list[np.ndarray]:
    """Step 1 Hz; ``radar_seen(t)`` -> (N,) bool: radar updated the track at t (else the last
    radar time is kept). ADS-B is reported every step for identity tracks."""
    identity = np.asarray(identity, dtype=object)
    n = identity.size
    pos0 = np.asarray(pos0, float).reshape(n, 3)
    vel = np.asarray(vel, float).reshape(n, 3)
    last_radar = getattr(mon, "_test_last_radar", np.full(n, np.nan))
    out = []
    for t in np.arange(t0, t1 + 1e-9, 1.0):
        t = float(t)
        last_radar = np.where(radar_seen(t), t, last_radar)
        ls = np.full((n, K), np.nan)
        ls[:, SensorKind.RADAR] = last_radar
        ls[:, SensorKind.ADSB] = np.where(identity != "", t, np.nan)
        out.append(mon.step(t, identity, ls, pos0 + vel * t, vel,
                            np.broadcast_to(np.asarray(covered, bool), (n,))))
    mon._test_last_radar = last_radar  # type: ignore[attr-defined]
    return out


def never(n: int):
    return lambda t: np.zeros(n, bool)


def always(n: int):
    return lambda t: np.ones(n, bool)


def test_trust_codes() -> None:
    assert (TRUST_NONE, TRUST_UNVERIFIED, TRUST_TRUSTED, TRUST_SUSPECT) == (0, 1, 2, 3)
    assert TRUST_NAMES == ("none", "unverified", "trusted", "suspect")


def test_no_identity_is_none() -> None:
    mon = CoopTrustMonitor()
    out = run(mon, 0, 40, ["", ""], [[0, 0, 500], [1e4, 0, 500]], [[50, 0, 0]] * 2, True,
              never(2))
    assert all(o.tolist() == [TRUST_NONE, TRUST_NONE] for o in out)
    assert mon.report() == []


def test_ghost_inside_coverage_flagged() -> None:
    mon = CoopTrustMonitor()
    out = run(mon, 0, 45, ["KLM123"], [[0, 0, 3000]], [[200, 0, 0]], True, never(1))
    codes = np.array([o[0] for o in out])
    # run_s reaches ghost_after_s (30 s) at t = 30 (first step has dt = 0)
    assert np.all(codes[:30] == TRUST_UNVERIFIED)
    assert np.all(codes[30:] == TRUST_SUSPECT)
    (rec,) = mon.report()
    assert set(rec) == REPORT_KEYS
    assert rec["identity"] == "KLM123"
    assert rec["spoofing_suspected"] is True
    assert any("ghost" in r for r in rec["reasons"])
    assert not any("offset" in r for r in rec["reasons"])
    assert rec["suspect_spans_s"] == [[30.0, 45.0]]
    assert rec["uncorroborated_in_coverage_s"] == 45.0
    assert rec["corroborated_s"] == 0.0
    assert rec["first_t_s"] == 0.0 and rec["last_t_s"] == 45.0


def test_ghost_outside_coverage_stays_unverified() -> None:
    mon = CoopTrustMonitor()
    out = run(mon, 0, 120, ["KLM123"], [[0, 0, 3000]], [[200, 0, 0]], False, never(1))
    assert all(o[0] == TRUST_UNVERIFIED for o in out)
    (rec,) = mon.report()
    assert rec["spoofing_suspected"] is False
    assert rec["reasons"] == [] and rec["suspect_spans_s"] == []
    assert rec["uncorroborated_in_coverage_s"] == 0.0


def test_corroborated_becomes_trusted_never_suspect() -> None:
    mon = CoopTrustMonitor()
    out = run(mon, 0, 120, ["KLM123"], [[0, 0, 3000]], [[200, 0, 0]], True, always(1))
    codes = np.array([o[0] for o in out])
    assert np.all(codes[:10] == TRUST_UNVERIFIED)
    assert np.all(codes[10:] == TRUST_TRUSTED)
    (rec,) = mon.report()
    assert rec["spoofing_suspected"] is False
    assert rec["corroborated_s"] == 120.0


def test_corroboration_window_tolerates_sparse_radar() -> None:
    """Radar every 10 s (< corroboration window) keeps the claim corroborated."""
    mon = CoopTrustMonitor()
    out = run(mon, 0, 100, ["A1"], [[0, 0, 3000]], [[100, 0, 0]], True,
              lambda t: np.array([t % 10 == 0]))
    assert all(o[0] != TRUST_SUSPECT for o in out)
    assert out[-1][0] == TRUST_TRUSTED


def test_brief_uncorroborated_gap_not_flagged() -> None:
    """Radar drops out for 40 s: uncorroborated for 40 - 15 = 25 s < ghost_after_s."""
    mon = CoopTrustMonitor()
    out = run(mon, 0, 150, ["A1"], [[0, 0, 3000]], [[100, 0, 0]], True,
              lambda t: np.array([not (40 < t < 80)]))
    assert all(o[0] != TRUST_SUSPECT for o in out)
    (rec,) = mon.report()
    assert rec["spoofing_suspected"] is False
    assert 20.0 <= rec["uncorroborated_in_coverage_s"] <= 30.0
    # a second brief gap does not add up with the first (the run resets)
    out = run(mon, 151, 250, ["A1"], [[0, 0, 3000]], [[100, 0, 0]], True,
              lambda t: np.array([not (160 < t < 200)]))
    assert all(o[0] != TRUST_SUSPECT for o in out)
    assert out[-1][0] == TRUST_TRUSTED


def test_long_gap_after_trust_flags() -> None:
    """A trusted identity that loses its body inside coverage for long becomes suspect."""
    mon = CoopTrustMonitor()
    out = run(mon, 0, 120, ["A1"], [[0, 0, 3000]], [[100, 0, 0]], True,
              lambda t: np.array([t <= 30]))
    codes = np.array([o[0] for o in out])
    assert codes[25] == TRUST_TRUSTED
    # uncorroborated from t = 46, flagged when run_s >= 30 -> t = 76
    assert codes[70] == TRUST_TRUSTED
    assert np.all(codes[80:] == TRUST_SUSPECT)


def test_offset_reason() -> None:
    mon = CoopTrustMonitor()
    ident = ["SPOOF1", ""]
    pos = [[0, 0, 2000], [8000, 0, 2000]]
    vel = [[45, 0, 0], [45, 0, 0]]
    out = run(mon, 0, 40, ident, pos, vel, True, lambda t: np.array([False, True]))
    assert out[-1].tolist() == [TRUST_SUSPECT, TRUST_NONE]
    (rec,) = mon.report()
    assert rec["spoofing_suspected"]
    assert any("offset" in r and "8 km" in r for r in rec["reasons"]), rec["reasons"]
    assert not any("ghost" in r for r in rec["reasons"])


def test_offset_needs_similar_velocity() -> None:
    mon = CoopTrustMonitor()
    out = run(mon, 0, 40, ["SPOOF1", ""], [[0, 0, 2000], [8000, 0, 2000]],
              [[45, 0, 0], [-45, 0, 0]], True, lambda t: np.array([False, True]))
    assert out[-1][0] == TRUST_SUSPECT
    (rec,) = mon.report()
    assert any("ghost" in r for r in rec["reasons"])
    assert not any("offset" in r for r in rec["reasons"])


def test_two_places_reason() -> None:
    mon = CoopTrustMonitor()
    out = run(mon, 0, 5, ["DUP", "DUP"], [[0, 0, 3000], [20_000, 0, 3000]],
              [[100, 0, 0]] * 2, True, always(2))
    assert out[-1].tolist() == [TRUST_SUSPECT, TRUST_SUSPECT]
    assert out[0].tolist() == [TRUST_SUSPECT, TRUST_SUSPECT]   # immediately, not after a delay
    (rec,) = mon.report()
    assert any("two tracks" in r for r in rec["reasons"]), rec["reasons"]
    assert len(rec["reasons"]) == 1          # reason recorded once, not per step
    assert rec["suspect_spans_s"] == [[0.0, 5.0]]


def test_same_identity_close_together_not_two_places() -> None:
    mon = CoopTrustMonitor()
    out = run(mon, 0, 20, ["DUP", "DUP", "OTHER"],
              [[0, 0, 3000], [1000, 0, 3000], [50_000, 0, 3000]], [[100, 0, 0]] * 3, True,
              always(3))
    assert out[-1].tolist() == [TRUST_TRUSTED] * 3


def test_report_sorted_and_span_split() -> None:
    mon = CoopTrustMonitor(CoopTrustConfig(span_gap_s=5.0))
    run(mon, 0, 3, ["ZZ", "ZZ", "AA"], [[0, 0, 3000], [20_000, 0, 3000], [50e3, 0, 3e3]],
        [[100, 0, 0]] * 3, True, always(3))
    mon._test_last_radar = np.full(3, np.nan)  # type: ignore[attr-defined]
    run(mon, 20, 22, ["ZZ", "ZZ", "AA"], [[0, 0, 3000], [20_000, 0, 3000], [50e3, 0, 3e3]],
        [[100, 0, 0]] * 3, True, always(3))
    rep = mon.report()
    assert [r["identity"] for r in rep] == ["AA", "ZZ"]
    assert all(set(r) == REPORT_KEYS for r in rep)
    assert rep[1]["suspect_spans_s"] == [[0.0, 3.0], [20.0, 22.0]]
    assert rep[0]["spoofing_suspected"] is False
