"""REST API ``/api/v1``: health, session and sources, sensors, the current picture and track
details, history with pagination and time filters (tracks, events, threats, recommendations,
decisions, engagements), alerts and their acknowledgement, recommendations with approve /
reject, the audit log, users and configuration.

Roles: every read needs a viewer token (``Authorization: Bearer dw_...``) except ``/health``;
acknowledging an alert and approving or rejecting a recommendation need an operator; users,
configuration and the integrity check need an admin. Every decision, acknowledgement and
configuration change is committed to the hash-chained audit log before the answer is sent.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from dronewall.chain.strobes import StrobeConfig
from dronewall.server.app import VERSION, ServerState
from dronewall.server.auth import AuthError, User
from dronewall.server.picture import CLASS_NAMES, proposal_dict
from dronewall.server.strobe_view import strobes_at
from dronewall.store import ROLES, query

router = APIRouter()

#: Recorded strobes read at most to draw one moment on the time slider (those ending after it,
#: earliest end first): an hour of the flagship raid records about 1,200, the layered raid's
#: 50 minutes about 1,800.
MAX_STROBE_SCAN = 20_000


def state(request: Request) -> ServerState:
    return request.app.state.dw  # type: ignore[no-any-return]


def _token(request: Request) -> str | None:
    h = request.headers.get("authorization", "")
    return h[7:].strip() if h.lower().startswith("bearer ") else None


def _need(role: str) -> Any:
    def dep(request: Request) -> User:
        try:
            return state(request).auth.require(_token(request), role)
        except AuthError as e:
            raise HTTPException(e.status, str(e),
                                headers={"WWW-Authenticate": "Bearer"}) from None
    return dep


Viewer = Annotated[User, Depends(_need("viewer"))]
Operator = Annotated[User, Depends(_need("operator"))]
Admin = Annotated[User, Depends(_need("admin"))]
St = Annotated[ServerState, Depends(state)]
Limit = Annotated[int, Query(ge=1, le=query.MAX_LIMIT, description="page size")]
Offset = Annotated[int, Query(ge=0, description="rows to skip")]
T0 = Annotated[float | None, Query(description="from this session time, s (inclusive)")]
T1 = Annotated[float | None, Query(description="until this session time, s (exclusive)")]


class Health(BaseModel):
    status: str = Field(description="ok, or degraded when the chain stopped")
    version: str
    session_id: str
    runner: str = Field(description="starting / resuming / running / paused / finished / failed")
    seq: int
    t_s: float
    store: str


class DecisionIn(BaseModel):
    reason: str = Field("", max_length=2000, description="the operator's note")


class ConfigIn(BaseModel):
    speed: float | None = Field(None, gt=0, le=1000)
    paused: bool | None = None


class UserIn(BaseModel):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    role: str = Field(pattern="^(viewer|operator|admin)$")


# ---------------------------------------------------------------------- status


@router.get("/health", response_model=Health, tags=["status"])
def health(st: St) -> Health:
    r = st.runner.state
    return Health(status="degraded" if r.status == "failed" else "ok", version=VERSION,
                  session_id=st.session.session_id, runner=r.status, seq=r.seq, t_s=r.t,
                  store=st.store.dialect)


def session_info(st: ServerState) -> dict[str, Any]:
    sc = st.live.scenario
    t0, t1 = query.time_range(st.store, st.session.session_id)
    from dronewall.server.basemap import region_bbox

    la0, la1, lo0, lo1 = region_bbox(st.live)
    return {"session_id": st.session.session_id, "epoch_utc": st.session.epoch_utc,
            "scenario": sc.name, "description": sc.description.strip(),
            "step_s": st.live.step_s, "duration_s": st.live.duration_s,
            "speed": st.runner.speed, "human_approval": st.live.human_approval,
            "recorded": {"t0_s": t0, "t1_s": t1},
            "record_period_s": st.settings.record_period_s,
            "origin": [sc.origin.lat_deg, sc.origin.lon_deg],
            "bbox": [lo0, la0, lo1, la1], "source": st.source_desc,
            "resume": st.runner.resume_check or None, "runner": st.runner.state.status}


@router.get("/me", tags=["status"])
def me(_u: Viewer) -> dict[str, Any]:
    """The caller's name and role."""
    return {"name": _u.name, "role": _u.role}


@router.get("/session", tags=["status"])
def get_session(st: St, _u: Viewer) -> dict[str, Any]:
    return session_info(st)


@router.get("/sources", tags=["status"])
def sources(st: St, _u: Viewer) -> dict[str, Any]:
    """The sources feeding the chain and their status."""
    r = st.runner
    lag = list(r.step_wall_s)
    return {"items": [{
        **st.source_desc, "status": r.state.status, "error": r.state.error,
        "t_s": r.state.t, "seq": r.state.seq, "speed": r.speed,
        "detections_last_step": r.state.n_detections,
        "step_wall_ms_median": round(float(np.median(lag)) * 1000, 1) if lag else None,
        "step_wall_ms_max": round(max(lag) * 1000, 1) if lag else None,
        "adapters": r.source.status() if hasattr(r.source, "status") else [],
        "outputs": [s.status() for s in r.sinks], "output_errors": r.sink_errors,
        "memory": _memory(r)}]}


def _memory(r: Any) -> dict[str, Any]:
    """Resident memory now, and after each periodic trim between steps (the process's floor;
    a leak shows as a rising floor, docs/serve.md)."""
    from dronewall.server.memory import rss_mib

    floor = list(r.rss_after_trim)
    return {"rss_mib": rss_mib(), "trims": r.trimmer.trims,
            "rss_after_trim_mib": floor[-1][1] if floor else None,
            "rss_after_trim_first_mib": floor[0][1] if floor else None}


@router.get("/sensors", tags=["status"])
def sensors(st: St, _u: Viewer) -> dict[str, Any]:
    """Per-sensor health: detections since start, seconds since the last one."""
    return {"t_s": st.runner.state.t, "items": sensor_health(st)}


def sensor_health(st: ServerState) -> list[dict[str, Any]]:
    return st.runner.view.sensor_health(st.runner.state.t)


# ---------------------------------------------------------------------- picture


@router.get("/tracks", tags=["picture"])
def tracks(st: St, _u: Viewer) -> dict[str, Any]:
    """The current picture (columns as in the stream's ``tracks``; docs/serve.md)."""
    r = st.runner.state
    return {"seq": r.seq, "t_s": r.t, "tracks": r.tracks}


@router.get("/tracks/history", tags=["history"])
def track_history(st: St, _u: Viewer, track_id: int | None = None, t0: T0 = None,
                  t1: T1 = None, bbox: Annotated[str | None, Query(
                      description="lon_min,lat_min,lon_max,lat_max")] = None,
                  limit: Limit = 1000, offset: Offset = 0) -> dict[str, Any]:
    box = None
    if bbox:
        try:
            vals = [float(x) for x in bbox.split(",")]
        except ValueError:
            vals = []
        if len(vals) != 4:
            raise HTTPException(422, "bbox: expected lon_min,lat_min,lon_max,lat_max")
        box = (vals[0], vals[1], vals[2], vals[3])
    return query.track_history(st.store, st.session.session_id, track_id=track_id, t0=t0,
                               t1=t1, bbox=box, limit=limit, offset=offset).to_dict()


@router.get("/tracks/{track_id}", tags=["picture"])
def track_detail(st: St, _u: Viewer, track_id: int) -> dict[str, Any]:
    """One track now: state, class probabilities and evidence, cooperative identity and
    trust, violation state, threat, sensors that updated it."""
    rec = st.runner.last_rec
    tr = st.runner.state.tracks
    if rec is None or rec.picture is None or track_id not in tr.get("id", []):
        raise HTTPException(404, f"track {track_id} is not in the current picture")
    k = tr["id"].index(track_id)
    pic, cl = rec.picture, rec.classified
    out = {name: col[k] for name, col in tr.items()}
    row = int(np.flatnonzero(pic.ids == track_id)[0])
    if cl is not None:
        prob = np.asarray(cl.classes.prob)[row]
        out["class_probabilities"] = {CLASS_NAMES[i]: round(float(p), 4)
                                      for i, p in enumerate(prob)}
        out["inherited_from"] = int(cl.classes.inherited[row])
    from dronewall.detections import SensorKind

    seen = pic.tracks.last_seen[row]
    out["sensors_last_update_s"] = {SensorKind(i).name.lower(): round(rec.t - float(v), 1)
                                    for i, v in enumerate(seen.tolist()) if np.isfinite(v)}
    out["t_created_s"] = float(pic.tracks.t_created[row])
    th = next((x for x in st.runner.state.threats if x["track_id"] == track_id), None)
    ta = rec.threats
    if th is None and ta is not None and track_id in ta.ids:
        i = int(np.flatnonzero(ta.ids == track_id)[0])
        th = {"rank": int(ta.rank[i]), "score": float(ta.score[i])}
    out["threat"] = th
    ev = query.latest_events(st.store, st.session.session_id, track_id, 50)
    out["events"] = [{"kind": e["kind"], "t_s": e["t_s"], "zone_id": e["zone_id"],
                      "payload": e["payload"]} for e in ev]
    out["recommendations"] = [proposal_dict(p) for p in st.approver.open()
                              if p.track_id == track_id]
    out["speed_mps"] = round(float(np.hypot(out["ve"], out["vn"])), 1)
    out["heading_deg"] = round(float(np.degrees(np.arctan2(out["ve"], out["vn"])) % 360), 1)
    return out


@router.get("/picture", tags=["history"])
def picture(st: St, _u: Viewer, t: Annotated[float, Query(
        description="session time, s", allow_inf_nan=False)]) -> dict[str, Any]:
    """The recorded picture at ``t`` (time slider): each track's latest recorded state within
    one record period before ``t``, the alerts and decisions up to ``t``, and the lines of
    bearing heard then (``strobes``, ``strobe_view.strobes_at``: the recorded ones at their
    mean bearing over their life; ``strobes_truncated``: more than ``MAX_STROBE_SCAN``
    recorded strobes ended after ``t`` and the latest were not read)."""
    sid = st.session.session_id
    p = query.picture_at(st.store, sid, t, st.settings.record_period_s + st.live.step_s)
    ev = query.events(st.store, sid, t0=max(0.0, t - 600.0), t1=t + 1e-6, limit=200)
    p["events"] = ev.items
    rec, more = query.strobes_ended_after(st.store, sid, t - StrobeConfig.hold_s,
                                          MAX_STROBE_SCAN)
    r = st.runner.state
    p["strobes"] = strobes_at(t, rec, list(r.strobes or []), float(r.t), st.live.sensors)
    p["strobes_truncated"] = more
    return p


@router.get("/events", tags=["history"])
def events(st: St, _u: Viewer, kind: Annotated[str | None, Query(
        pattern="^(warning|entry|exit|violation|sensor|strobe|unlocated|spoofing)$")] = None,
        track_id: int | None = None,
        t0: T0 = None, t1: T1 = None, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    return query.events(st.store, st.session.session_id, kind=kind, t0=t0, t1=t1,
                        track_id=track_id, limit=limit, offset=offset).to_dict()


@router.get("/alerts", tags=["picture"])
def alerts(st: St, _u: Viewer) -> dict[str, Any]:
    """Recent alerts (newest last) with who acknowledged them."""
    return {"items": st.runner.alert_list()}


@router.post("/alerts/{alert_id}/ack", tags=["picture"])
def ack_alert(st: St, u: Operator, alert_id: str) -> dict[str, Any]:
    a = next((x for x in st.runner.alert_list() if x["id"] == alert_id), None)
    if a is None:
        raise HTTPException(404, f"no alert {alert_id}")
    st.store.audit(u.name, u.role, "alert.ack", f"alert:{alert_id}",
                   {"session_id": st.session.session_id, "kind": a["kind"],
                    "track_id": a["track_id"], "zone_id": a["zone_id"], "t_s": a["t_s"],
                    "acked_at_t_s": st.runner.now()})
    return st.runner.ack(alert_id, u.name) or a


class TaskIn(BaseModel):
    node_id: str = Field(min_length=1, max_length=64, description="SAPIENT node (UUID)")
    track_id: int = Field(description="track to look at (its current position)")


@router.post("/sapient/tasks", tags=["interop"])
def sapient_task(st: St, u: Operator, body: TaskIn) -> dict[str, Any]:
    """Point a SAPIENT node (a camera, a pointable sensor) at a track: a look-at Task with the
    track's current position is sent to the node, audited; the node's TaskAck shows in
    ``/sources`` (adapters -> nodes -> tasks)."""
    dmm = next((a for a in getattr(st.runner.source, "adapters", [])
                if hasattr(a, "node") and body.node_id in getattr(a.node, "nodes", {})), None)
    if dmm is None:
        raise HTTPException(404, f"no registered SAPIENT node {body.node_id}")
    tr = st.runner.state.tracks
    ids = tr.get("id", [])
    if body.track_id not in ids:
        raise HTTPException(404, f"no track {body.track_id} in the current picture")
    i = ids.index(body.track_id)
    lat, lon, alt = tr["lat"][i], tr["lon"][i], tr["alt"][i] or 0.0
    msg = dmm.node.look_at_task(body.node_id, lat, lon, alt,
                                name=f"look at track {body.track_id}")
    if not dmm.server.send(body.node_id, msg):
        raise HTTPException(409, f"SAPIENT node {body.node_id} is not connected")
    out = {"task_id": msg.task.task_id, "node_id": body.node_id, "track_id": body.track_id,
           "lat": lat, "lon": lon, "alt_m": alt, "t_s": st.runner.state.t}
    st.store.audit(u.name, u.role, "sapient.task", f"node:{body.node_id}",
                   {"session_id": st.session.session_id, **out})
    return out


@router.get("/threats", tags=["picture"])
def threats(st: St, _u: Viewer, limit: Annotated[int, Query(ge=1, le=100)] = 20
            ) -> dict[str, Any]:
    """The ranked threats now (most urgent first)."""
    r = st.runner.state
    return {"t_s": r.t, "items": r.threats[:limit]}


@router.get("/threats/history", tags=["history"])
def threat_history(st: St, _u: Viewer, t0: T0 = None, t1: T1 = None, limit: Limit = 100,
                   offset: Offset = 0) -> dict[str, Any]:
    return query.threats(st.store, st.session.session_id, t0=t0, t1=t1, limit=limit,
                         offset=offset).to_dict()


# ---------------------------------------------------------------------- decisions


@router.get("/recommendations", tags=["decisions"])
def recommendations(st: St, _u: Viewer, status: Annotated[str, Query(
        pattern="^(open|all)$")] = "open", t0: T0 = None, t1: T1 = None, limit: Limit = 100,
        offset: Offset = 0) -> dict[str, Any]:
    """``open``: waiting for a decision (soonest deadline first), with the session time now;
    ``all``: every recommendation recorded, with its status."""
    if status == "open":
        return {"t_s": st.runner.now(), "items": [proposal_dict(p) for p in st.approver.open()]}
    page = query.recommendations(st.store, st.session.session_id, t0=t0, t1=t1, limit=limit,
                                 offset=offset).to_dict()
    for it in page["items"]:
        it["status"] = st.approver.status(it["rec_id"]) or "closed"
    return page


def _decide(st: ServerState, u: User, rec_id: str, approved: bool, body: DecisionIn
            ) -> dict[str, Any]:
    from dronewall.server.approver import DecisionError

    t = st.runner.now()
    try:
        p = st.approver.check(rec_id, t)
    except DecisionError as e:
        raise HTTPException(e.status, str(e)) from None
    tr = st.runner.state.tracks
    track_now = ({n: c[tr["id"].index(p.track_id)] for n, c in tr.items()}
                 if p.track_id in tr.get("id", []) else None)
    rec = query.recommendation(st.store, st.session.session_id, rec_id)
    evidence = {"recommendation": proposal_dict(p), "explanation": p.text,
                "track_at_proposal": rec["track_state"] if rec else None,
                "track_at_decision": track_now}
    try:
        row = st.store.record_decision(session_id=st.session.session_id, rec_id=rec_id,
                                       track_id=p.track_id, approved=approved, t_s=t,
                                       user=u.name, role=u.role, reason=body.reason,
                                       evidence=evidence)
    except ValueError as e:
        raise HTTPException(409, str(e)) from None
    st.approver.decide(rec_id, approved, t)    # committed: now the stage may act on it
    row["evidence"] = evidence
    return row


@router.post("/recommendations/{rec_id}/approve", tags=["decisions"])
def approve(st: St, u: Operator, rec_id: str, body: DecisionIn | None = None
            ) -> dict[str, Any]:
    """Approve: the engagement stage may engage the track with effectors up to this cost until
    the deadline. Recorded with who, when and the evidence (explanation, track state)."""
    return _decide(st, u, rec_id, True, body or DecisionIn())


@router.post("/recommendations/{rec_id}/reject", tags=["decisions"])
def reject(st: St, u: Operator, rec_id: str, body: DecisionIn | None = None) -> dict[str, Any]:
    return _decide(st, u, rec_id, False, body or DecisionIn())


@router.get("/decisions", tags=["decisions"])
def decisions(st: St, _u: Viewer, t0: T0 = None, t1: T1 = None, limit: Limit = 100,
              offset: Offset = 0) -> dict[str, Any]:
    return query.decisions(st.store, st.session.session_id, t0=t0, t1=t1, limit=limit,
                           offset=offset).to_dict()


@router.get("/engagements", tags=["decisions"])
def engagements(st: St, _u: Viewer, t0: T0 = None, t1: T1 = None, limit: Limit = 100,
                offset: Offset = 0) -> dict[str, Any]:
    return query.engagements(st.store, st.session.session_id, t0=t0, t1=t1, limit=limit,
                             offset=offset).to_dict()


# ---------------------------------------------------------------------- audit, admin


@router.get("/audit", tags=["audit"])
def audit(st: St, _u: Operator, action: str | None = None, since_seq: int | None = None,
          limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    return query.audit_log(st.store, action=action, since_seq=since_seq, limit=limit,
                           offset=offset).to_dict()


@router.get("/audit/verify", tags=["audit"])
def audit_verify(st: St, _u: Admin) -> dict[str, Any]:
    from dronewall.store.verify import verify_store

    return verify_store(st.store).to_dict()


@router.get("/users", tags=["admin"])
def users(st: St, _u: Admin) -> dict[str, Any]:
    return {"items": st.store.users(), "roles": list(ROLES)}


@router.post("/users", tags=["admin"])
def create_user(st: St, u: Admin, body: UserIn) -> dict[str, Any]:
    """A new user; the token is shown once."""
    from dronewall.errors import InputError

    try:
        tok = st.store.create_user(body.name, body.role, actor=u.name, actor_role=u.role)
    except InputError as e:
        raise HTTPException(409, str(e)) from None
    return {"name": body.name, "role": body.role, "token": tok}


@router.delete("/users/{name}", tags=["admin"])
def revoke_user(st: St, u: Admin, name: str) -> dict[str, Any]:
    from dronewall.errors import InputError

    try:
        st.store.revoke_user(name, u.name, u.role)
    except InputError as e:
        raise HTTPException(404, str(e)) from None
    st.auth.clear()
    return {"name": name, "revoked": True}


@router.get("/config", tags=["admin"])
def get_config(st: St, _u: Viewer) -> dict[str, Any]:
    return {"speed": st.runner.speed, "paused": st.runner.pause_evt.is_set(),
            "record_period_s": st.settings.record_period_s,
            "retention_days": st.settings.retention_days}


@router.patch("/config", tags=["admin"])
def set_config(st: St, u: Admin, body: ConfigIn) -> dict[str, Any]:
    """Change the replay/simulation speed or pause; audited."""
    changes = body.model_dump(exclude_none=True)
    if not changes:
        raise HTTPException(422, "nothing to change")
    before = get_config(st, u)
    st.store.audit(u.name, u.role, "config.change", f"session:{st.session.session_id}",
                   {"before": {k: before[k] for k in changes}, "after": changes})
    if body.speed is not None:
        st.runner.set_speed(body.speed)
    if body.paused is not None:
        (st.runner.pause_evt.set if body.paused else st.runner.pause_evt.clear)()
    return get_config(st, u)


@router.get("/map/layers", tags=["map"])
def map_layers(st: St, _u: Viewer) -> dict[str, Any]:
    """Background and scenario layers as GeoJSON (shipped data only)."""
    if st.layers is None:
        from dronewall.server.basemap import map_layers as build

        st.layers = build(st.live)
    return st.layers


def snapshot(st: ServerState) -> dict[str, Any]:
    """What a client needs on (re)connect: session, the current picture, alerts, threats,
    open recommendations, sensor health."""
    r = st.runner.state
    return {"type": "snapshot", "seq": r.seq, "t": r.t, "session": session_info(st),
            "tracks": r.tracks, "threats": r.threats, "strobes": r.strobes,
            "alerts": st.runner.alert_list(),
            "proposals": [proposal_dict(p) for p in st.approver.open()],
            "sensors": sensor_health(st)}
