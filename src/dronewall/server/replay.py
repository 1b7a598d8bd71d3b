"""``dronewall replay``: reproduce a recorded picture from the store.

The session's recorded detections are run through a fresh chain built from the scenario the
session recorded (``sessions.scenario_yaml``, its seed), with the operator decisions recorded
in the session handed to the approver at the session times they were made. The track states
this produces at each recorded step are compared with the recorded ones: same tracks, same
classes, positions within :data:`POSITION_TOL_M`. A picture that is reproduced follows from
the recorded detections and decisions alone -- what an investigator needs to trust it.
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from dronewall.chain.approval import Decision, Proposal
from dronewall.detections.health import RecordedHealth
from dronewall.errors import InputError
from dronewall.server.approver import LiveApprover
from dronewall.server.live import DetectionsSource, build_live_chain, store_batches
from dronewall.server.picture import StepView
from dronewall.store import Store, query
from dronewall.store import schema as S
from dronewall.store.store import decided_rec_ids

#: Largest position difference (m) between a reproduced and a recorded track state.
POSITION_TOL_M = 1.0


def rebuild(store: Store, session_id: str, out_dir: Path) -> tuple[Any, LiveApprover, float]:
    """The chain of a recorded session (and its approver loaded with the recorded decisions,
    and its record period)."""
    from dronewall.scenario import load_scenario

    sess = store.session(session_id)
    if sess is None:
        raise InputError(f"session {session_id}: not in the store")
    if not sess.scenario_yaml:
        raise InputError(f"session {session_id}: recorded without its scenario")
    cfg = json.loads(sess.config)
    path = out_dir / "scenario.yaml"
    path.write_text(sess.scenario_yaml, encoding="utf-8")
    sc = load_scenario(path)
    orig = Path(str(cfg.get("scenario_path") or ""))
    base = orig.parent if orig.is_file() else out_dir
    approver = LiveApprover()
    recs = {}
    with store.engine.connect() as c:
        for r in c.execute(select(S.recommendations).where(
                S.recommendations.c.session_id == session_id)).mappings():
            recs[r["rec_id"]] = r
    for d in decided_rec_ids(store, session_id):
        r = recs.get(d["rec_id"])
        prop = None if r is None else Proposal(
            r["rec_id"], r["track_id"], r["effector_id"], r["effector_type"], r["cost_eur"],
            r["pk"], r["value_eur"], r["value_saved_eur"], r["t_proposed_s"],
            r["t_decide_s"], r["deadline_s"], r["text"])
        approver.schedule(prop, Decision(d["rec_id"], d["track_id"], bool(d["approved"]),
                                         d["t_s"]))
    live = build_live_chain(sc, base, int(sess.seed or sc.seed), approver, out_dir,
                            engage=bool(cfg.get("engage", True)),
                            wire=sess.mode == "live")
    if live.status is None:
        # a live session's sensor health came from the wire: replayed from its record
        live.chain.health = recorded_health(store, session_id, live.sensors)
    return live, approver, float(cfg.get("record_period_s", 5.0))


def recorded_health(store: Store, session_id: str, sensors: Any) -> RecordedHealth:
    """The sensor health of a recorded live session, from its ``sensor`` events (each names
    the sensors that changed, ``sensor_ids``; a sensor the site no longer has is skipped)."""
    index = sensors.index()
    changes: list[tuple[float, list[int], bool, str]] = []
    offset = 0
    while True:
        page = query.events(store, session_id, kind="sensor", limit=1000, offset=offset)
        for e in page.items:
            p = e.get("payload") or {}
            rows = [index[s] for s in p.get("sensor_ids", []) if s in index]
            changes.append((float(p.get("t_s", e["t_s"])), rows, bool(p.get("listening")),
                            str(p.get("reason", ""))))
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return RecordedHealth(len(sensors), changes)


def reproduce(store: Store, session_id: str, progress: bool = False) -> dict[str, Any]:
    t_wall = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dronewall-replay-") as tmp:
        live, approver, period = rebuild(store, session_id, Path(tmp))
        view = StepView(live, period)
        src = DetectionsSource(store_batches(query.detection_steps(store, session_id),
                                             live.sensors))
        ts = S.track_states
        n_rec = n_rep = matched = cls_diff = missing = extra = 0
        worst = 0.0
        seq = 0
        last_report = time.perf_counter()
        while (item := src.next()) is not None:
            t, batch = item
            rec = live.chain.step(t, batch, live.status(t) if live.status is not None else None)
            seq += 1
            approver.expire(t)
            approver.take_closed()
            rows, _ = view.step(rec, seq, [])
            with store.engine.connect() as c:
                recorded = {r["track_id"]: r for r in c.execute(select(
                    ts.c.track_id, ts.c.lat_deg, ts.c.lon_deg, ts.c.alt_m, ts.c.cls).where(
                    ts.c.session_id == session_id, ts.c.seq == seq)).mappings()}
            mine = {r["track_id"]: r for r in rows.track_states}
            n_rec += len(recorded)
            n_rep += len(mine)
            for tid, r in recorded.items():
                m = mine.get(tid)
                if m is None:
                    missing += 1
                    continue
                matched += 1
                d = _dist_m(r["lat_deg"], r["lon_deg"], m["lat_deg"], m["lon_deg"])
                d = math.hypot(d, (r["alt_m"] or 0.0) - (m["alt_m"] or 0.0))
                worst = max(worst, d)
                cls_diff += r["cls"] != m["cls"]
            extra += len(set(mine) - set(recorded))
            if progress and time.perf_counter() - last_report > 10:
                last_report = time.perf_counter()
                sys.stderr.write(f"replay: step {seq}, t = {t:.0f} s\n")
    ok = missing == 0 and extra == 0 and cls_diff == 0 and worst <= POSITION_TOL_M
    return {"session_id": session_id, "steps": seq, "track_states_recorded": n_rec,
            "track_states_reproduced": n_rep, "matched": matched, "missing": missing,
            "extra": extra, "class_differences": cls_diff,
            "max_position_difference_m": round(worst, 4), "reproduced": ok,
            "wall_s": round(time.perf_counter() - t_wall, 2)}


def _dist_m(la0: float, lo0: float, la1: float, lo1: float) -> float:
    """Small distances on the sphere (equirectangular), m."""
    k = math.cos(math.radians((la0 + la1) / 2))
    return 6_371_008.8 * math.radians(math.hypot(la1 - la0, (lo1 - lo0) * k))
