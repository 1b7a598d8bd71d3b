"""``kill -9`` of a running server loses nothing it acknowledged, on SQLite and PostgreSQL +
PostGIS: every step a client received (with its detections) and every decision the API
confirmed is in the store; restarted on the same store, the server resumes the session and the
picture comes back."""

from __future__ import annotations

import json
import time
from pathlib import Path

from serverkit import SCENARIO, ServerProcess
from sqlalchemy import func, select
from websockets.sync.client import connect

from dronewall.store import Store
from dronewall.store import schema as S
from dronewall.store.verify import verify_store


def test_kill9_loses_no_acknowledged_step_or_decision(db_url: str, tmp_path: Path) -> None:
    args = ("--scenario", str(SCENARIO), "--speed", "1000", "--record-period", "5")
    srv = ServerProcess(db_url, *args, log=tmp_path / "server.log").start()
    admin = srv.token
    seen: dict[int, int] = {}                      # seq -> detections, as clients got them
    try:
        ws_url = srv.url.replace("http://", "ws://") + "/api/v1/stream"
        with connect(ws_url, open_timeout=30) as ws:
            ws.send(json.dumps({"token": admin}))
            assert json.loads(ws.recv(timeout=30))["type"] == "snapshot"
            rec = None
            with srv.client(admin) as c:
                t_end = time.time() + 240
                while rec is None and time.time() < t_end:
                    m = json.loads(ws.recv(timeout=30))
                    if m["type"] == "step":
                        seen[m["seq"]] = m["n_detections"]
                        if m["proposals"]:
                            c.patch("/api/v1/config", json={"speed": 1.0})
                            rec = m["proposals"][0]
                assert rec is not None, "no recommendation was proposed"
                r = c.post(f"/api/v1/recommendations/{rec['rec_id']}/approve",
                           json={"reason": "before the crash"})
                assert r.status_code == 200, r.text          # acknowledged
                c.patch("/api/v1/config", json={"speed": 200.0})
            for _ in range(40):
                m = json.loads(ws.recv(timeout=30))
                if m["type"] == "step":
                    seen[m["seq"]] = m["n_detections"]
        srv.kill9()                                            # no shutdown of any kind
    finally:
        srv.stop()
    acked = max(seen)
    store = Store(db_url)
    sid = store.sessions()[-1].session_id
    with store.engine.connect() as c:
        steps = dict(c.execute(select(S.steps.c.seq, S.steps.c.n_detections).where(
            S.steps.c.session_id == sid)).all())
        per_seq = dict(c.execute(select(S.detections.c.seq, func.count()).where(
            S.detections.c.session_id == sid).group_by(S.detections.c.seq)).all())
        dec = c.execute(select(S.decisions).where(S.decisions.c.session_id == sid)
                        ).mappings().all()
    assert set(range(1, acked + 1)) <= set(steps), "a published step is missing"
    for seq, n in seen.items():
        assert steps[seq] == n and per_seq.get(seq, 0) == n, f"detections of step {seq}"
    assert sum(seen.values()) > 0
    assert [d["rec_id"] for d in dec] == [rec["rec_id"]] and dec[0]["approved"]
    assert verify_store(store).ok
    store.close()

    # restart on the same store: the session resumes, the picture comes back
    srv2 = ServerProcess(db_url, *args, log=tmp_path / "server2.log").start()
    try:
        assert srv2.token == ""  # not a new store: no new first admin
        h = srv2.wait(lambda c: (lambda j: j if j["runner"] == "running" and
                                 j["seq"] > acked else None)(c.get("/api/v1/health").json()),
                      timeout=240)
        assert h["session_id"] == sid
        with srv2.client(admin) as c:
            tracks = c.get("/api/v1/tracks").json()["tracks"]
            assert tracks["id"], "the picture did not resume"
            au = c.get("/api/v1/audit", params={"action": "session.resume"}).json()["items"]
            assert au and au[-1]["details"]["steps_replayed"] >= acked
            assert au[-1]["details"]["mismatched_steps"] == 0
            assert [d["rec_id"] for d in c.get("/api/v1/decisions").json()["items"]] == \
                [rec["rec_id"]]
            # the decision made before the crash is not asked again
            assert rec["rec_id"] not in {p["rec_id"] for p in
                                         c.get("/api/v1/recommendations").json()["items"]}
            assert c.get("/api/v1/audit/verify").json()["ok"]
    finally:
        srv2.stop()
