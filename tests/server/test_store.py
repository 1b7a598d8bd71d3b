"""The recording store on SQLite and PostgreSQL + PostGIS: migrations, the step and audit hash
chains, tamper detection by ``verify`` (and the CLI), retention, paged queries."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest
from serverkit import store_url
from sqlalchemy import delete, insert, select, text, update

from dronewall.store import StepRows, Store, query
from dronewall.store import schema as S
from dronewall.store.schema import DETECTION_FLOATS
from dronewall.store.verify import verify_store


def _det(k: int, j: int) -> dict:
    row = {c: float(k * 10 + j) + 0.125 for c in DETECTION_FLOATS}
    row["z3"] = None  # padding (NaN in a batch) is stored as NULL
    row.update(sensor_id=f"radar-{j}", meas_kind=1, class_label=-1, rf_protocol=-1,
               identity="", callsign="", truth_id=j)
    return row


def _track(tid: int, lat: float, lon: float) -> dict:
    return {"track_id": tid, "lat_deg": lat, "lon_deg": lon, "alt_m": 150.0, "ve_mps": 40.0,
            "vn_mps": -3.0, "vu_mps": 0.0, "sigma_h_m": 35.0, "cov_en": b"\x01" * 24,
            "cls": "attack_drone", "p_cls": 0.8, "evidence": "rcs+speed", "identity": "",
            "trust": 0, "hits": 9, "t_update_s": 1.0}


def _fill(store: Store, steps: int = 6) -> str:
    ses = store.start_session(mode="scenario", source="test", epoch_utc="2026-03-01T01:00:00Z",
                              config={"speed": 1})
    sid = ses.session_id
    for k in range(1, steps + 1):
        rows = StepRows(detections=[_det(k, j) for j in range(3)],
                        track_states=[_track(1, 51.5 + k * 0.01, 23.1), _track(2, 51.0, 24.5)],
                        events=[{"kind": "warning", "track_id": 1, "zone_id": "POL",
                                 "zone_kind": "sovereign", "payload": f'{{"k":{k}}}'}],
                        threats=[{"rank": 1, "track_id": 1, "score": 0.5,
                                  "value_at_risk_eur": 1e6, "asset": "x", "t_go_s": None,
                                  "p_reach": 0.2, "violation_p": 0.0}])
        if k == 2:
            rows.recommendations.append({
                "rec_id": "c1-0", "track_id": 1, "effector_id": "gun", "effector_type": "gun",
                "cost_eur": 1e4, "pk": 0.6, "value_eur": 1e6, "value_saved_eur": 6e5,
                "t_proposed_s": 2.0, "t_decide_s": 10.0, "deadline_s": 60.0, "text": "why",
                "track_state": "{}"})
        store.write_step(sid, k, float(k), rows)
    store.create_user("op", "operator")
    store.record_decision(session_id=sid, rec_id="c1-0", track_id=1, approved=True, t_s=3.0,
                          user="op", role="operator", reason="clear hostile",
                          evidence={"explanation": "why", "track": {"lat": 51.5}})
    return sid


def test_chains_verify_and_queries(db_url: str) -> None:
    store = Store(db_url)
    sid = _fill(store)
    res = verify_store(store)
    assert res.ok, res.problems
    assert (res.steps, res.decisions, res.sessions) == (6, 1, 1)
    assert res.audit_entries == 2          # user.create + approve
    # NaN padding round-trips as NULL -> the same digest; floats exact
    with store.engine.connect() as c:
        z3, z0 = c.execute(select(S.detections.c.z3, S.detections.c.z0)).first()
    assert z3 is None and z0 == 10.125
    # pagination and time filters
    p = query.track_history(store, sid, t0=2.0, t1=5.0, limit=4)
    assert p.total == 6 and len(p.items) == 4 and p.to_dict()["next_offset"] == 4
    assert all(2.0 <= r["t_s"] < 5.0 for r in p.items)
    p2 = query.track_history(store, sid, t0=2.0, t1=5.0, limit=4, offset=4)
    assert len(p2.items) == 2 and p2.to_dict()["next_offset"] is None
    # bounding box: PostGIS on PostgreSQL, lat/lon bounds on SQLite -- the same answer
    box = query.track_history(store, sid, bbox=(23.0, 51.0, 23.2, 52.0))
    assert box.total == 6 and {r["track_id"] for r in box.items} == {1}
    assert query.events(store, sid, kind="warning", t0=3.0).total == 4
    # a track's details list its latest events, not its first
    assert [e["payload"]["k"] for e in query.latest_events(store, sid, 1, 4)] == [3, 4, 5, 6]
    assert len(query.latest_events(store, sid, 1, 50)) == 6
    assert query.latest_events(store, sid, 2, 50) == []
    pic = query.picture_at(store, sid, 4.5, 2.0)
    assert [r["track_id"] for r in pic["tracks"]] == [1, 2] and pic["tracks"][0]["t_s"] == 4.0
    d = query.decisions(store, sid).items[0]
    assert d["approved"] and d["user_name"] == "op" and d["evidence"]["explanation"] == "why"
    assert query.audit_log(store, action="approve").items[0]["details"]["rec_id"] == "c1-0"
    if store.dialect == "postgresql":
        with store.engine.connect() as c:
            assert c.execute(text("SELECT PostGIS_Version()")).scalar()
            assert c.execute(text("SELECT count(*) FROM track_states WHERE ST_DWithin("
                                  "geom::geography, ST_MakePoint(23.1, 51.53)::geography, "
                                  "500)")).scalar() == 1


def test_a_step_cannot_be_recorded_twice(db_url: str) -> None:
    store = Store(db_url)
    sid = _fill(store, steps=2)
    with pytest.raises(ValueError, match="already recorded"):
        store.write_step(sid, 2, 2.0, StepRows())
    with pytest.raises(ValueError, match="already decided"):
        store.record_decision(session_id=sid, rec_id="c1-0", track_id=1, approved=False,
                              t_s=4.0, user="op", role="operator", reason="", evidence={})


TAMPERS = {
    "edit a detection": lambda c: c.execute(update(S.detections).where(
        S.detections.c.seq == 3, S.detections.c.truth_id == 1).values(z0=99.0)),
    "delete a detection": lambda c: c.execute(delete(S.detections).where(
        S.detections.c.seq == 4, S.detections.c.truth_id == 0)),
    "insert a detection": lambda c: c.execute(insert(S.detections).values(
        session_id=c.execute(select(S.sessions.c.session_id)).scalar(), seq=5, t_s=5.0,
        **_det(5, 7))),
    "move a track": lambda c: c.execute(update(S.track_states).where(
        S.track_states.c.seq == 2).values(lat_deg=50.0)),
    "edit an event": lambda c: c.execute(update(S.events).values(payload="{}")),
    "edit a decision": lambda c: c.execute(update(S.decisions).values(approved=False)),
    "edit a decision's evidence": lambda c: c.execute(update(S.decisions).values(
        evidence='{"explanation":"other"}')),
    "delete a decision's audit entry": lambda c: c.execute(delete(S.audit).where(
        S.audit.c.action == "approve")),
    "edit an audit entry": lambda c: c.execute(update(S.audit).where(
        S.audit.c.seq == 1).values(actor="someone")),
    "delete the last step": lambda c: c.execute(delete(S.steps).where(S.steps.c.seq == 6)),
    "delete a middle step": lambda c: c.execute(delete(S.steps).where(S.steps.c.seq == 3)),
    "edit a recommendation": lambda c: c.execute(update(S.recommendations).values(cost_eur=1.0)),
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def filled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """One recorded, finished session per backend (each tamper is rolled back)."""
    for url in store_url(request.param, tmp_path_factory.mktemp("filled")):
        store = Store(url)
        _fill(store)
        store.set_status(store.sessions()[0].session_id, "finished")
        yield store
        store.close()


@pytest.mark.parametrize("how", sorted(TAMPERS))
def test_verify_detects_edits(filled: Store, how: str) -> None:
    with filled.engine.connect() as c:
        tx = c.begin()
        assert verify_store(filled, c).ok
        TAMPERS[how](c)
        res = verify_store(filled, c)
        tx.rollback()
    assert not res.ok, how
    assert res.problems
    assert verify_store(filled).ok  # rolled back: intact again


def test_audit_verify_cli_exit_codes(tmp_path) -> None:
    db = str(tmp_path / "s.db")
    store = Store(db)
    _fill(store)
    cmd = [sys.executable, "-m", "dronewall.cli.main", "audit", "verify", "--db", db]
    ok = subprocess.run(cmd, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    with store.engine.begin() as c:
        c.execute(update(S.decisions).values(reason="edited later"))
    bad = subprocess.run(cmd, capture_output=True, text=True)
    assert bad.returncode == 3
    assert "differs from audit entry" in bad.stdout and "modified outside" in bad.stderr


def test_retention_keeps_the_chain_verifiable(db_url: str) -> None:
    store = Store(db_url)
    sid = _fill(store)
    with store.engine.begin() as c:  # make the first 3 steps old
        c.execute(update(S.steps).where(S.steps.c.seq <= 3)
                  .values(wall_utc="2000-01-01T00:00:00Z"))
    # the wall time is not digested, so aging steps in place is not an edit
    assert verify_store(store).ok
    n = store.purge("2001-01-01T00:00:00Z")
    assert n == 3
    c = query.counts(store, sid)
    assert c["steps"] == 3 and c["detections"] == 9 and c["decisions"] == 1
    res = verify_store(store)
    assert res.ok, res.problems
    assert query.audit_log(store, action="retention.purge").items[0]["details"]["up_to_seq"] == 3


def test_nan_and_numpy_values_are_clean() -> None:
    import numpy as np

    from dronewall.store.integrity import clean

    assert clean(np.float64(1.5)) == 1.5 and isinstance(clean(np.int64(3)), int)
    assert clean(math.nan) is None and clean(np.float64("nan")) is None


def test_detections_given_as_columns_record_the_same_rows_and_digest(tmp_path) -> None:
    """The server hands a step's detections over column by column (no dict per detection):
    the recorded rows and the count are those of the same rows given as dicts, and the step's
    digest verifies against them (the digests themselves differ by the session id)."""
    rows = [_det(1, j) for j in range(4)]
    cols = {c: [r[c] for r in rows] for c in rows[0]}
    out = []
    for name, step in (("rows", StepRows(detections=[dict(r) for r in rows])),
                       ("cols", StepRows(detection_columns=cols))):
        store = Store(str(tmp_path / f"{name}.db"))
        sid = store.start_session(mode="scenario", source="t", epoch_utc="2026-03-01T00:00:00Z",
                                  config={}).session_id
        store.write_step(sid, 1, 7.0, step)
        with store.engine.connect() as c:
            st = c.execute(select(S.steps.c.n_detections, S.steps.c.t_s)).one()
            det = [tuple(v for k, v in r.items() if k not in ("id", "session_id"))
                   for r in c.execute(select(S.detections)).mappings()]
        out.append((tuple(st), det))
        assert verify_store(store).ok
    assert out[0] == out[1] and out[0][0] == (4, 7.0) and len(out[0][1]) == 4
    with pytest.raises(ValueError, match="both"):
        store.write_step(sid, 2, 8.0, StepRows(detections=rows, detection_columns=cols))


def test_background_checkpoints_keep_the_wal_out_of_the_step_commit(tmp_path) -> None:
    """SQLite: with the server's checkpointer on, a step's commit never copies the log into the
    database (the main file stays at its empty size however much is written) and the
    background thread does (the main file grows within a few periods); after it stops, the
    writer checkpoints by itself again."""
    import threading
    import time

    db = tmp_path / "s.db"
    store = Store(str(db))
    sid = store.start_session(mode="scenario", source="t", epoch_utc="2026-03-01T00:00:00Z",
                              config={}).session_id
    rows = [_det(1, j) for j in range(2000)]
    cols = {c: [r[c] for r in rows] for c in rows[0]}

    def write(k: int) -> None:
        store.write_step(sid, k, float(k), StepRows(detection_columns=cols))

    def checkpointers() -> int:   # other tests' servers may run theirs in this process
        return sum(t.name == "dronewall-wal-checkpoint" for t in threading.enumerate())

    n0 = checkpointers()
    store.start_checkpointer(period_s=3600.0)       # on, but not due during the test
    assert checkpointers() == n0 + 1
    empty = db.stat().st_size
    for k in range(1, 13):                          # ~12 x 2,000 rows: past 1,000 log pages
        write(k)
    wal = Path(f"{db}-wal").stat().st_size
    assert db.stat().st_size == empty and wal > 4_500_000, (empty, wal)
    store.stop_checkpointer()
    store.start_checkpointer(period_s=0.05)
    deadline = time.monotonic() + 10.0
    # the check waits for the copy to finish: stat() may catch a checkpoint half-way
    while db.stat().st_size <= 4_000_000 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert db.stat().st_size > 4_000_000
    store.stop_checkpointer()
    before = db.stat().st_size
    for k in range(13, 25):                          # the writer checkpoints again by itself
        write(k)
    assert db.stat().st_size > before
    store.close()
    assert checkpointers() == n0
