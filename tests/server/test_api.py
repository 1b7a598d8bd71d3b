"""The REST API and the WebSocket stream, in-process (httpx through Starlette's TestClient), on
SQLite and PostgreSQL + PostGIS: roles (401 / 403), the picture, history with pagination and time
filters, human approval recorded with its evidence and audit entry and acted on by the
engagement stage, alerts, admin, the OpenAPI schema, then ``dronewall replay`` reproducing the
recorded picture from the store."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from serverkit import SCENARIO, store_url
from starlette.websockets import WebSocketDisconnect

from dronewall.server.app import ServerState, build_state, create_app
from dronewall.server.settings import Settings
from dronewall.store import query

# (`--dist loadfile`: one worker runs the module, its server fixtures start once per backend)


def _until(cond: Any, timeout: float, what: str) -> Any:
    t_end = time.time() + timeout
    while time.time() < t_end:
        v = cond()
        if v:
            return v
        time.sleep(0.1)
    raise TimeoutError(what)


class Srv:
    def __init__(self, st: ServerState, client: TestClient, tokens: dict[str, str]) -> None:
        self.st, self.c, self.tok = st, client, tokens

    def get(self, path: str, role: str = "viewer", **kw: Any) -> Any:
        return self.c.get("/api/v1" + path, headers=self.h(role), **kw)

    def post(self, path: str, role: str = "operator", **kw: Any) -> Any:
        return self.c.post("/api/v1" + path, headers=self.h(role), **kw)

    def h(self, role: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tok[role]}"} if role else {}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def srv(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[Srv]:
    """The border-pair scenario served flat out until the first recommendation waits for an
    operator, then in real time."""
    for url in store_url(request.param, tmp_path_factory.mktemp("api")):
        st = build_state(Settings(db=url, scenario=SCENARIO, speed=1000.0,
                                  record_period_s=5.0))
        tokens = {"admin": st.first_token or "",
                  "operator": st.store.create_user("olga", "operator"),
                  "viewer": st.store.create_user("victor", "viewer")}
        with TestClient(create_app(state=st)) as c:
            _until(lambda st=st: st.approver.open(), 240, "no recommendation was proposed")
            st.runner.set_speed(1.0)
            yield Srv(st, c, tokens)
        st.store.close()


def test_health_needs_no_token_and_reports_the_session(srv: Srv) -> None:
    r = srv.c.get("/api/v1/health")
    assert r.status_code == 200
    h = r.json()
    assert h["status"] == "ok" and h["runner"] == "running" and h["seq"] > 100
    assert h["session_id"] == srv.st.session.session_id
    assert h["store"] == srv.st.store.dialect


def test_openapi_schema_is_served(srv: Srv) -> None:
    spec = srv.c.get("/api/v1/openapi.json").json()
    paths = set(spec["paths"])
    for p in ("/api/v1/health", "/api/v1/tracks", "/api/v1/tracks/history",
              "/api/v1/tracks/{track_id}", "/api/v1/events", "/api/v1/threats",
              "/api/v1/recommendations", "/api/v1/recommendations/{rec_id}/approve",
              "/api/v1/recommendations/{rec_id}/reject", "/api/v1/decisions",
              "/api/v1/audit", "/api/v1/sources", "/api/v1/sensors", "/api/v1/picture"):
        assert p in paths, p
    params = {q["name"] for q in spec["paths"]["/api/v1/events"]["get"]["parameters"]}
    assert {"t0", "t1", "limit", "offset", "kind"} <= params
    assert srv.c.get("/api/v1/docs").status_code == 404  # no CDN-based docs page


@pytest.mark.parametrize("path", ["/tracks", "/events", "/recommendations", "/audit",
                                  "/map/layers", "/session"])
def test_reads_need_a_token(srv: Srv, path: str) -> None:
    r = srv.c.get("/api/v1" + path)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    bad = srv.c.get("/api/v1" + path, headers={"Authorization": "Bearer dw_1_nope"})
    assert bad.status_code == 401


def test_current_picture_and_track_details(srv: Srv) -> None:
    tr = srv.get("/tracks").json()["tracks"]
    assert tr["id"], "no track in the picture"
    n = len(tr["id"])
    assert all(len(v) == n for v in tr.values())
    assert set(tr["aff"]) <= {"hostile", "suspect", "unknown", "pending", "neutral"}
    d = srv.get(f"/tracks/{tr['id'][0]}").json()
    assert abs(sum(d["class_probabilities"].values()) - 1.0) < 1e-3
    assert d["sensors_last_update_s"] and d["speed_mps"] > 0
    assert srv.get("/tracks/987654").status_code == 404
    sens = srv.get("/sensors").json()["items"]
    assert {s["id"] for s in sens} == {"radar-bug", "radar-west", "rf-bug"}
    assert max(s["detections"] for s in sens) > 0
    src = srv.get("/sources").json()["items"][0]
    assert src["mode"] == "scenario" and src["scenario"] == "border-pair"
    layers = srv.get("/map/layers").json()
    assert any(f["properties"]["country"] == "POL" for f in layers["land"]["features"])
    assert layers["towns"]["features"] and layers["tsea_limit"]["type"] == "FeatureCollection"
    assert {f["properties"]["id"] for f in layers["zones"]["features"]} >= {"wlodawa-town"}


def test_history_pagination_and_time_filters(srv: Srv) -> None:
    full = srv.get("/tracks/history", params={"limit": 5000}).json()
    assert full["total"] > 10
    page = srv.get("/tracks/history", params={"limit": 4, "offset": 4}).json()
    assert page["items"] == full["items"][4:8] and page["next_offset"] == 8
    t0, t1 = 20.0, 60.0
    win = srv.get("/tracks/history", params={"t0": t0, "t1": t1, "limit": 5000}).json()
    want = [r for r in full["items"] if t0 <= r["t_s"] < t1]
    assert win["total"] == len(want) > 0 and win["items"] == want
    one = full["items"][0]["track_id"]
    per = srv.get("/tracks/history", params={"track_id": one}).json()["items"]
    assert per and {r["track_id"] for r in per} == {one}
    ev = srv.get("/events", params={"kind": "entry"}).json()
    assert ev["total"] >= 1 and all(e["kind"] == "entry" for e in ev["items"])
    assert any(e["zone_id"] == "POL" for e in ev["items"])
    assert srv.get("/events", params={"kind": "nonsense"}).status_code == 422
    # lines of bearing are an event kind (none here: the Shaheds emit no link rf-bug hears)
    st = srv.get("/events", params={"kind": "strobe"})
    assert st.status_code == 200 and st.json()["total"] == 0
    # ... and so are the alerts no other event carries, recorded when raised (none here)
    for kind in ("unlocated", "spoofing"):
        got = srv.get("/events", params={"kind": kind})
        assert got.status_code == 200 and got.json()["total"] == 0
    th = srv.get("/threats/history", params={"limit": 2}).json()
    assert th["total"] > 2 and len(th["items"]) == 2
    tmax = srv.st.runner.state.t
    pic = srv.get("/picture", params={"t": tmax}).json()
    assert pic["tracks"]
    # the lines of bearing heard then (none here) come with it
    assert pic["strobes"] == [] and pic["strobes_truncated"] is False


def test_approval_needs_an_operator_and_is_audited_and_acted_on(srv: Srv) -> None:
    rec = srv.get("/recommendations").json()["items"][0]
    rid = rec["rec_id"]
    assert rec["status"] == "pending" and rec["deadline_s"] > srv.st.runner.now()
    assert srv.post(f"/recommendations/{rid}/approve", role=None).status_code == 401
    r = srv.post(f"/recommendations/{rid}/approve", role="viewer")
    assert r.status_code == 403 and "operator" in r.json()["detail"]
    ok = srv.post(f"/recommendations/{rid}/approve", json={"reason": "hostile, crossing"})
    assert ok.status_code == 200, ok.text
    d = ok.json()
    assert d["approved"] and d["user_name"] == "olga" and d["role"] == "operator"
    assert d["evidence"]["explanation"] == rec["text"]
    assert d["evidence"]["track_at_decision"]["id"] == rec["track_id"]
    again = srv.post(f"/recommendations/{rid}/approve")
    assert again.status_code == 409
    # recorded (committed before the answer) ...
    dec = srv.get("/decisions").json()["items"]
    assert [x["rec_id"] for x in dec] == [rid] and dec[0]["reason"] == "hostile, crossing"
    # ... in the audit log with who, what and when (operators may read it, viewers not)
    assert srv.get("/audit", role="viewer").status_code == 403
    au = srv.get("/audit", role="operator", params={"action": "approve"}).json()["items"]
    assert len(au) == 1 and au[0]["actor"] == "olga"
    assert au[0]["details"]["rec_id"] == rid and au[0]["details"]["approved"] is True
    assert au[0]["seq"] == dec[0]["audit_seq"]
    # ... and the engagement stage acts on it: the engagement is committed for the track
    srv.st.runner.set_speed(50.0)
    eng = _until(lambda: [e for e in srv.get("/engagements").json()["items"]
                          if e["kind"] == "committed" and e["track_id"] == rec["track_id"]],
                 120, "the approved engagement was never committed")
    assert eng[0]["t_s"] >= d["t_s"]
    srv.st.runner.set_speed(1.0)
    v = srv.get("/audit/verify", role="admin").json()
    assert v["ok"], v


def test_reject_is_recorded_and_the_stage_never_engages(srv: Srv) -> None:
    """A proposal rejected by the operator: recorded, audited, closed for everyone."""
    from dronewall.chain.approval import Proposal

    t = srv.st.runner.now()
    # a proposal as the stage makes them, for a track id the picture does not hold
    srv.st.approver.submit(t, [Proposal("test-rej", 424242, "gun-wlodawa", "gun_35mm", 1e4,
                                        0.5, 1e6, 5e5, t, t + 30, t + 300, "test proposal")])
    r = srv.post("/recommendations/test-rej/reject", json={"reason": "friendly"})
    assert r.status_code == 200 and r.json()["approved"] is False
    assert srv.st.approver.status("test-rej") == "rejected"
    assert srv.post("/recommendations/test-rej/approve").status_code == 409
    au = srv.get("/audit", role="operator", params={"action": "reject"}).json()["items"]
    assert au and au[-1]["details"]["rec_id"] == "test-rej"
    assert srv.post("/recommendations/no-such/approve").status_code == 404


def test_alert_acknowledgement_is_audited(srv: Srv) -> None:
    alerts = srv.get("/alerts").json()["items"]
    assert alerts, "no alert in a run with a border crossing"
    crit = [a for a in alerts if a["kind"] == "entry" and a["zone_id"] == "POL"]
    assert crit and crit[0]["severity"] in ("critical", "high")
    # the operator is told at once how the entry is known, with its window
    ev = crit[0]["event"]
    assert ev["evidence"] in ("observed_crossing", "first_detected_inside")
    assert ev["window_t_s"][1] >= ev["t_s"] and ev["window_utc"][1].endswith("Z")
    assert ("crossed " in crit[0]["text"]) == (ev["evidence"] == "observed_crossing")
    a = alerts[0]
    assert srv.post(f"/alerts/{a['id']}/ack", role="viewer").status_code == 403
    r = srv.post(f"/alerts/{a['id']}/ack")
    assert r.status_code == 200 and r.json()["acked_by"] == "olga"
    au = srv.get("/audit", role="operator", params={"action": "alert.ack"}).json()["items"]
    assert au[-1]["object"] == f"alert:{a['id']}"


def test_admin_users_and_configuration(srv: Srv) -> None:
    assert srv.c.patch("/api/v1/config", json={"paused": True},
                       headers=srv.h("operator")).status_code == 403
    r = srv.c.post("/api/v1/users", json={"name": "nina", "role": "viewer"},
                   headers=srv.h("admin"))
    assert r.status_code == 200
    tok = r.json()["token"]
    hdr = {"Authorization": f"Bearer {tok}"}
    assert srv.c.get("/api/v1/me", headers=hdr).json() == {"name": "nina", "role": "viewer"}
    assert srv.c.delete("/api/v1/users/nina", headers=srv.h("admin")).status_code == 200
    assert srv.c.get("/api/v1/me", headers=hdr).status_code == 401
    r = srv.c.patch("/api/v1/config", json={"speed": 2.0}, headers=srv.h("admin"))
    assert r.status_code == 200 and r.json()["speed"] == 2.0
    au = srv.get("/audit", role="operator",
                 params={"action": "config.change"}).json()["items"]
    assert au[-1]["details"]["after"] == {"speed": 2.0} and au[-1]["actor"] == "admin"
    log = srv.get("/audit", role="operator", params={"limit": 500}).json()["items"]
    users = [x["action"] for x in log]
    assert "user.create" in users and "user.revoke" in users
    srv.st.runner.set_speed(1.0)


def test_websocket_stream_snapshot_then_step_deltas(srv: Srv) -> None:
    with srv.c.websocket_connect("/api/v1/stream") as ws:
        ws.send_json({"token": srv.tok["viewer"]})
        snap = ws.receive_json()
        assert snap["type"] == "snapshot" and snap["session"]["scenario"] == "border-pair"
        assert "tracks" in snap and snap["proposals"] is not None
        # lines of bearing of the RF finder (rf-bug) travel with the picture
        assert isinstance(snap["strobes"], list)
        assert srv.st.live.chain.stage("strobes") is not None
        srv.st.runner.set_speed(20.0)
        steps = [m for m in (ws.receive_json() for _ in range(6)) if m["type"] == "step"]
        srv.st.runner.set_speed(1.0)
    assert len(steps) >= 5
    seqs = [m["seq"] for m in steps]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) and seqs[0] > snap["seq"] - 1
    for m in steps:
        n = len(m["tracks"]["id"])
        assert all(len(v) == n for v in m["tracks"].values())
        assert m["wall_pub"] >= m["wall_due"] and "alerts" in m and "threats" in m
        assert all({"sensor", "brg", "end", "on_track"} <= set(x) for x in m["strobes"])
    # every published step was recorded first
    with srv.st.store.engine.connect() as c:
        from sqlalchemy import func, select

        from dronewall.store import schema as S

        last = c.execute(select(func.max(S.steps.c.seq)).where(
            S.steps.c.session_id == srv.st.session.session_id)).scalar()
    assert last >= seqs[-1]


def test_websocket_rejects_a_bad_token(srv: Srv) -> None:
    with srv.c.websocket_connect("/api/v1/stream") as ws:
        ws.send_json({"token": "dw_9_wrong"})
        with pytest.raises(WebSocketDisconnect) as e:
            ws.receive_json()
    assert e.value.code == 4401


def test_replay_reproduces_the_recorded_picture(srv: Srv, tmp_path: Path) -> None:
    """Last: stop the chain, then rebuild the picture from the store alone."""
    from dronewall.server.replay import reproduce

    srv.st.runner.stop()
    sid = srv.st.session.session_id
    res = reproduce(srv.st.store, sid)
    assert res["reproduced"], res
    assert res["steps"] == query.counts(srv.st.store, sid)["steps"]
    assert res["track_states_recorded"] > 10 and res["matched"] == res["track_states_recorded"]
