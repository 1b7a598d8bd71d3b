"""TrackClassifier (classify/tracks.py): evidence -> class, lineage across fragments,
cooperative-identity trust gating, explanation labels and state bookkeeping."""

from __future__ import annotations

import types

import numpy as np
import pytest

from dronewall.catalog import PlatformClass
from dronewall.classify.bayes import EVIDENCE_KINDS
from dronewall.classify.tracks import ClassStep, LineageConfig, TrackClassifier
from dronewall.detections import SensorKind
from dronewall.geo import Frame
from dronewall.tracking import ATTR_NAMES

FRAME = Frame(50.0, 22.0)
A = {n: i for i, n in enumerate(ATTR_NAMES)}
N_KINDS = len(SensorKind)
KINEMATIC = {"speed", "altitude", "climb", "turn_rate"}


def snap(ids, t: float, attrs: dict | None = None, seen: dict | None = None,
         radar: bool = True) -> types.SimpleNamespace:
    """Fake engine snapshot; ``attrs`` name -> (N,) values (NaN: not reported this step);
    ``seen`` SensorKind -> (N,) last_seen times."""
    ids = np.asarray(ids, np.int64)
    n = ids.size
    attr = np.full((n, len(ATTR_NAMES)), np.nan)
    attr_t = np.full((n, len(ATTR_NAMES)), np.nan)
    for name, vals in (attrs or {}).items():
        v = np.broadcast_to(np.asarray(vals, float), (n,))
        attr[:, A[name]] = v
        attr_t[:, A[name]] = np.where(np.isnan(v), np.nan, t)
    last_seen = np.full((n, N_KINDS), np.nan)
    if radar:
        last_seen[:, SensorKind.RADAR] = t
    for k, v in (seen or {}).items():
        last_seen[:, int(k)] = v
    P = np.broadcast_to(np.eye(6) * 4.0, (n, 6, 6)).copy()
    return types.SimpleNamespace(ids=ids, attr=attr, attr_t=attr_t, last_seen=last_seen, P=P,
                                 t_update=np.full(n, t))


def fly(clf: TrackClassifier, ids, p0, vel, t0: float, t1: float, attrs=None, seen=None,
        coop_trusted=None) -> ClassStep:
    p0 = np.asarray(p0, float).reshape(-1, 3)
    vel = np.asarray(vel, float).reshape(-1, 3)
    res = None
    for t in np.arange(t0, t1 + 1e-9, 1.0):
        s = snap(ids, float(t), attrs, seen if not callable(seen) else seen(float(t)))
        res = clf.step(float(t), s, p0 + vel * (t - t0), vel, coop_trusted=coop_trusted)
    assert res is not None
    return res


# ------------------------------------------------------------------------ (a) class outcomes

def test_evidence_drives_expected_classes() -> None:
    clf = TrackClassifier(FRAME)
    ids = [1, 2, 3, 4]
    vel = [[44, 0, 0], [39, 0, 0], [12, 0, 0], [12, 0, 0]]
    p0 = [[0, 0, 150], [0, 5000, 300], [0, 10000, 80], [0, 15000, 70]]
    attrs = {"acoustic_sl_db": [105, 92, np.nan, np.nan],
             "micro_doppler": [np.nan, np.nan, 3, 1]}
    r = fly(clf, ids, p0, vel, 0, 60, attrs)
    np.testing.assert_array_equal(r.ids, ids)
    assert r.map_class.tolist() == [PlatformClass.ATTACK_DRONE, PlatformClass.DECOY,
                                    PlatformClass.BIRD, PlatformClass.MULTIROTOR]
    np.testing.assert_allclose(r.prob.sum(axis=1), 1.0)
    assert np.all(r.prob[np.arange(4), r.map_class] > 0.9)


def test_shahed_vs_decoy_separated_by_level_not_speed_alone() -> None:
    """Both at 44 m/s: the 92 dB source level pulls one toward DECOY."""
    clf = TrackClassifier(FRAME)
    r = fly(clf, [1, 2], [[0, 0, 200], [0, 5000, 200]], [[44, 0, 0], [44, 0, 0]], 0, 30,
            {"acoustic_sl_db": [105, 92]})
    d = PlatformClass.DECOY
    assert r.prob[1, d] > r.prob[0, d]
    assert r.map_class[0] == PlatformClass.ATTACK_DRONE


# ------------------------------------------------------------------------ (b) lineage

SHAHED = {"acoustic_sl_db": 105.0}


def _lineage_case(new_pos_offset=(0.0, 0.0), new_vel=(44.0, 0.0), gap_s: float = 20.0,
                  lineage: LineageConfig | None = None):
    clf = TrackClassifier(FRAME, lineage=lineage or LineageConfig())
    v = np.array([44.0, 0.0, 0.0])
    p0 = np.array([0.0, 0.0, 150.0])
    fly(clf, [1], p0, v, 0, 30, SHAHED)            # last seen at t = 30
    t_new = 30.0 + gap_s
    pred = p0 + v * t_new
    pos = pred + np.array([*new_pos_offset, 0.0])
    vel = np.array([*new_vel, 0.0])
    first = clf.step(t_new, snap([7], t_new), pos[None], vel[None])
    # reference: a never-seen track with the same first kinematics
    ref = TrackClassifier(FRAME).step(t_new, snap([7], t_new), pos[None], vel[None])
    return clf, first, ref


def test_lineage_inherits_posterior_at_predicted_position() -> None:
    clf, first, ref = _lineage_case()
    assert clf.lineage == {7: 1}
    assert first.inherited.tolist() == [1]
    a = PlatformClass.ATTACK_DRONE
    assert first.prob[0, a] > ref.prob[0, a] + 0.2
    assert first.map_class[0] == a
    # the inherited contributions explain the class
    assert "acoustic_level" in first.evidence[0]


def test_lineage_inherits_only_once() -> None:
    clf = TrackClassifier(FRAME)
    v = np.array([44.0, 0.0, 0.0])
    fly(clf, [1], [0, 0, 150], v, 0, 30, SHAHED)
    pred = np.array([0.0, 0.0, 150.0]) + v * 50
    pos = np.stack([pred, pred + [200.0, 0.0, 0.0]])
    r = clf.step(50.0, snap([8, 9], 50.0), pos, np.stack([v, v]))
    assert sorted(r.inherited.tolist()) == [-1, 1]
    assert r.inherited[0] == 1                     # the nearer one gets it
    assert clf.lineage == {8: 1}


@pytest.mark.parametrize("offset,vel", [((20_000.0, 0.0), (44.0, 0.0)),
                                        ((0.0, 20_000.0), (44.0, 0.0)),
                                        ((0.0, 0.0), (0.0, 44.0)),
                                        ((0.0, 0.0), (10.0, 0.0))])
def test_lineage_rejects_far_or_different_velocity(offset, vel) -> None:
    clf, first, ref = _lineage_case(new_pos_offset=offset, new_vel=vel)
    assert clf.lineage == {}
    assert first.inherited.tolist() == [-1]
    np.testing.assert_allclose(first.prob, ref.prob, atol=1e-12)


def test_lineage_disabled() -> None:
    clf, first, ref = _lineage_case(lineage=LineageConfig(enabled=False))
    assert clf.lineage == {}
    assert first.inherited.tolist() == [-1]
    np.testing.assert_allclose(first.prob, ref.prob, atol=1e-12)


def test_lineage_window_expires() -> None:
    lc = LineageConfig(window_s=90.0, gate_m=1e9, gate_growth_mps=0.0)
    clf, first, ref = _lineage_case(gap_s=120.0, lineage=lc)
    assert clf.lineage == {}
    assert first.inherited.tolist() == [-1]
    np.testing.assert_allclose(first.prob, ref.prob, atol=1e-12)
    # same gap within a longer window does inherit
    clf2, first2, _ = _lineage_case(gap_s=120.0, lineage=LineageConfig(window_s=150.0))
    assert clf2.lineage == {7: 1}
    assert first2.inherited.tolist() == [1]


def test_lineage_expired_even_with_intermediate_steps() -> None:
    """Ended tracks older than the window are dropped during intermediate steps too."""
    clf = TrackClassifier(FRAME, lineage=LineageConfig(window_s=30.0))
    v = np.array([44.0, 0.0, 0.0])
    fly(clf, [1], [0, 0, 150], v, 0, 10, SHAHED)
    # another, unrelated track keeps the classifier stepping
    for t in range(11, 60):
        clf.step(float(t), snap([100], float(t)), np.array([[90_000.0, 0, 150]]),
                 np.array([[0.0, 20.0, 0.0]]))
    pos = np.array([[0.0, 0.0, 150.0]]) + v * 60
    r = clf.step(60.0, snap([100, 7], 60.0), np.vstack([[90_000.0, 0, 150], pos]),
                 np.vstack([[0.0, 20.0, 0.0], v]))
    assert r.inherited.tolist() == [-1, -1]
    assert clf.lineage == {}


# ------------------------------------------------------------------------ (c) coop trust

def test_untrusted_adsb_counts_for_nothing_trusted_pushes_manned() -> None:
    def seen_adsb(t: float) -> dict:
        return {SensorKind.ADSB: np.array([np.nan, t, t])}

    clf = TrackClassifier(FRAME)
    v = [[30, 0, 0]] * 3
    p0 = [[0, 0, 500]] * 3     # identical kinematics: only the ADS-B column differs
    r = fly(clf, [1, 2, 3], p0, v, 0, 30, None, seen_adsb,
            coop_trusted=np.array([True, False, True]))
    m = PlatformClass.MANNED_AIRCRAFT
    # untrusted ADS-B == no ADS-B, exactly
    np.testing.assert_allclose(r.prob[1], r.prob[0], rtol=0, atol=1e-12)
    assert "adsb" not in r.evidence[1]
    assert np.log(r.prob[2, m]) > np.log(r.prob[0, m]) + 1.0
    assert "adsb" in r.evidence[2] or r.map_class[2] != m

    # None: every report counts
    clf2 = TrackClassifier(FRAME)
    r2 = fly(clf2, [1, 2, 3], p0, v, 0, 30, None, seen_adsb, coop_trusted=None)
    np.testing.assert_allclose(r2.prob[1], r2.prob[2], atol=1e-12)
    assert np.log(r2.prob[1, m]) > np.log(r2.prob[0, m]) + 1.0


def test_stale_adsb_not_counted() -> None:
    """ADS-B counts only when last_seen equals t (a report in this step)."""
    clf = TrackClassifier(FRAME)
    p0 = [[0, 0, 800]] * 2
    r = fly(clf, [1, 2], p0, [[60, 0, 0]] * 2, 0, 20, None,
            lambda t: {SensorKind.ADSB: np.array([np.nan, 0.0 if t > 0 else np.nan])})
    np.testing.assert_allclose(r.prob[1], r.prob[0], atol=1e-12)


# ------------------------------------------------------------------------ (d) labels

def test_evidence_labels() -> None:
    clf = TrackClassifier(FRAME)
    # brand-new track, no attributes: prior or kinematic evidence only
    r0 = clf.step(0.0, snap([1, 2], 0.0), np.array([[0, 0, 150.0], [0, 5000, 150.0]]),
                  np.array([[44.0, 0, 0], [44.0, 0, 0]]))
    for lab in r0.evidence:
        assert lab == "prior" or set(lab.split("+")) <= KINEMATIC, lab
        assert set(lab.split("+")) <= set(EVIDENCE_KINDS) | {"prior"}
    # track 1 gets acoustic-level reports only
    r = fly(clf, [1, 2], [[44, 0, 150.0], [44, 5000, 150.0]], [[44, 0, 0], [44, 0, 0]],
            1, 20, {"acoustic_sl_db": [105.0, np.nan]})
    assert "acoustic_level" in r.evidence[0]
    assert "acoustic_level" not in r.evidence[1]
    assert set(r.evidence[1].split("+")) <= KINEMATIC | {"prior"}


def test_label_prior_when_nothing_favours_map() -> None:
    """Stationary track at start: nothing at all favours the MAP class -> the label is one of
    the known kinds or "prior" (never empty)."""
    clf = TrackClassifier(FRAME)
    r = clf.step(0.0, snap([5], 0.0), np.array([[0, 0, 100.0]]), np.zeros((1, 3)))
    assert r.evidence[0]
    assert set(r.evidence[0].split("+")) <= set(EVIDENCE_KINDS) | {"prior"}


# ------------------------------------------------------------------------ (e) state

def test_state_sorted_and_sized_after_churn() -> None:
    rng = np.random.default_rng(3)
    clf = TrackClassifier(FRAME)
    universe = np.arange(1, 41)
    for t in range(80):
        live = rng.choice(universe, size=int(rng.integers(0, 25)), replace=False)
        rng.shuffle(live)
        # each id far from the others, static position; even ids flap wings, odd have rotors
        pos = np.column_stack([live * 30_000.0, np.zeros(live.size), np.full(live.size, 80.0)])
        vel = np.tile([10.0, 0.0, 0.0], (live.size, 1))
        md = np.where(live % 2 == 0, 3.0, 1.0)
        r = clf.step(float(t), snap(live, float(t), {"micro_doppler": md}), pos, vel)
        np.testing.assert_array_equal(r.ids, live)             # output in input order
        assert np.all(np.diff(clf.ids) > 0)
        np.testing.assert_array_equal(clf.ids, np.sort(live))
        for name in ("logp", "contrib", "t_last", "heading", "t_first", "pos", "vel"):
            assert getattr(clf, name).shape[0] == live.size, name
        assert r.prob.shape == (live.size, len(PlatformClass))
        assert r.map_class.shape == r.evidence.shape == r.inherited.shape == (live.size,)
        if t > 40 and live.size:
            # posteriors followed their own ids through the reordering
            old = r.map_class[clf.t_first[np.searchsorted(clf.ids, live)] < t - 5]
            ok_ids = live[clf.t_first[np.searchsorted(clf.ids, live)] < t - 5]
            exp = np.where(ok_ids % 2 == 0, PlatformClass.BIRD, PlatformClass.MULTIROTOR)
            np.testing.assert_array_equal(old, exp)
        # no lineage across different ids: ids are 30 km apart
        assert all(a == b for a, b in clf.lineage.items())
    # empty snapshot empties the state
    r = clf.step(100.0, snap([], 100.0), np.zeros((0, 3)), np.zeros((0, 3)))
    assert r.ids.size == 0 and clf.ids.size == 0 and clf.logp.shape[0] == 0


# ------------------------------------------------------------------------ (f) honest inheritance

def test_inherited_class_is_labelled_and_decays_with_distance() -> None:
    a = PlatformClass.ATTACK_DRONE
    _, near, ref = _lineage_case()
    _, far, _ = _lineage_case(new_pos_offset=(1200.0, 0.0))
    assert near.evidence[0].startswith("inherited:")
    assert near.inherited.tolist() == far.inherited.tolist() == [1]
    # the farther from where the ended track was predicted, the less it inherits
    assert near.prob[0, a] > far.prob[0, a] > ref.prob[0, a]


def test_returning_id_resumes_its_own_state_without_lineage() -> None:
    a = PlatformClass.ATTACK_DRONE
    clf = TrackClassifier(FRAME)
    v = np.array([44.0, 0.0, 0.0])
    fly(clf, [1], [0, 0, 150], v, 0, 30, SHAHED)
    clf.step(31.0, snap([], 31.0), np.zeros((0, 3)), np.zeros((0, 3)))   # lost for 20 s
    # back under its own id 30 km away (the tracker re-acquired it): no distance test applies
    pos = np.array([[30_000.0, 0.0, 150.0]])
    r = clf.step(51.0, snap([1], 51.0), pos, v[None])
    ref = TrackClassifier(FRAME).step(51.0, snap([9], 51.0), pos, v[None])
    assert clf.lineage == {}
    assert r.inherited.tolist() == [-1]
    assert r.prob[0, a] > ref.prob[0, a] + 0.2
    assert not r.evidence[0].startswith("inherited:")


def test_turn_rate_counts_only_on_updates_of_a_track_whose_heading_is_known() -> None:
    # A straight flight says "not a bird" only when the track can show a bird's erratic
    # turns: on steps a sensor updated it and with a heading known to <= 10 deg. A coasted
    # prediction flies straight by construction; a far radar track (velocity sd 6 m/s at
    # 12 m/s: heading sd ~30 deg) is smoothed straight by the filter.
    turn = EVIDENCE_KINDS.index("turn_rate")
    frame = Frame(50.0, 20.0, 0.0)

    def run(vel_var: float, updated: bool) -> np.ndarray:
        clf = TrackClassifier(frame)
        vel = np.array([[12.0, 0.0, 0.0]])
        for t in np.arange(0.0, 61.0):
            s = snap([1], float(t))
            s.P[:, 3:, 3:] = np.eye(3) * vel_var
            s.t_update = np.array([t if updated or t == 0 else 0.0])
            clf.step(float(t), s, np.array([[12.0 * t, 0.0, 100.0]]), vel)
        return clf.contrib[0, :, turn]

    precise = run(0.25, True)          # heading sd ~2.4 deg: straight flight is evidence
    assert precise[PlatformClass.RECON_UAV] - precise[PlatformClass.BIRD] > 1.0
    for c in (run(36.0, True), run(0.25, False)):  # far track / coasting: no turn evidence
        np.testing.assert_allclose(c, 0.0, atol=1e-12)


def test_a_coasting_track_does_not_sharpen_its_class_on_its_own_prediction() -> None:
    """A track located for 10 s at 40 m/s, then only predicted: its kinematics count for
    ``kinematic_coast_s`` (30 s) after the last update, then no more -- the class stops
    sharpening and fades toward the prior; counted on, the prediction alone drove it from
    0.71 to 0.92 in 90 s."""
    from dronewall.classify.bayes import ClassifierConfig

    def run(cfg: ClassifierConfig) -> dict[int, float]:
        clf = TrackClassifier(FRAME, cfg)
        v = np.array([[40.0, 0.0, 0.0]])
        out = {}
        for t in range(0, 131):
            s = snap([1], float(t), radar=t <= 10)
            if t > 10:                                    # coasting since the update at 10 s
                s.t_update = np.array([10.0])
                s.last_seen[:, SensorKind.RADAR] = 10.0
            r = clf.step(float(t), s, np.array([[40.0 * t, 0.0, 150.0]]), v)
            out[t] = float(r.prob[0, r.map_class[0]])
        return out

    held = run(ClassifierConfig())
    assert held[40] == pytest.approx(max(held.values()))       # peaks 30 s after the update
    assert held[130] < held[70] < held[40] < 0.75
    counted = run(ClassifierConfig(kinematic_coast_s=1e9))
    assert counted[130] > 0.9 and counted[130] > counted[70] > counted[40]
    with pytest.raises(ValueError, match="kinematic_coast_s"):
        ClassifierConfig(kinematic_coast_s=0.0)
