"""The read side of a store: paged history with time filters, the recorded picture at a time,
recorded detections for replay.

Every list is a :class:`Page` (``items``, ``total``, ``limit``, ``offset``), ordered by time
then insertion. Time filters are ``t0 <= t_s < t1`` in session seconds. A bounding box filter on
the track history uses PostGIS (``ST_Intersects`` on the generated ``geom`` with its GiST index)
on PostgreSQL and plain latitude/longitude bounds on SQLite: the same answer either way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, select, text

from dronewall.store import schema as S
from dronewall.store.store import Store

MAX_LIMIT = 5_000


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int

    def to_dict(self) -> dict[str, Any]:
        nxt = self.offset + len(self.items)
        return {"items": self.items, "total": self.total, "limit": self.limit,
                "offset": self.offset, "next_offset": nxt if nxt < self.total else None}


def _time(stmt: Select[Any], col: Any, t0: float | None, t1: float | None) -> Select[Any]:
    if t0 is not None:
        stmt = stmt.where(col >= t0)
    if t1 is not None:
        stmt = stmt.where(col < t1)
    return stmt


def _page(store: Store, stmt: Select[Any], order: list[Any], limit: int, offset: int,
          decode: str | None = None) -> Page:
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    with store.engine.connect() as c:
        total = int(c.execute(select(func.count()).select_from(stmt.subquery())).scalar() or 0)
        rows = c.execute(stmt.order_by(*order).limit(limit).offset(offset)).mappings().all()
    items = []
    for r in rows:
        d = {k: (v.hex() if isinstance(v, bytes | memoryview) else v) for k, v in r.items()}
        if decode and isinstance(d.get(decode), str):
            d[decode] = json.loads(d[decode])
        items.append(d)
    return Page(items, total, limit, offset)


def track_history(store: Store, session_id: str, *, track_id: int | None = None,
                  t0: float | None = None, t1: float | None = None,
                  bbox: tuple[float, float, float, float] | None = None,
                  limit: int = 1000, offset: int = 0) -> Page:
    """Recorded (decimated) track states; ``bbox`` = (lon_min, lat_min, lon_max, lat_max)."""
    t = S.track_states
    cols = [c for c in t.columns if c.name not in ("cov_en",)]
    stmt = _time(select(*cols).where(t.c.session_id == session_id), t.c.t_s, t0, t1)
    if track_id is not None:
        stmt = stmt.where(t.c.track_id == int(track_id))
    if bbox is not None:
        lo0, la0, lo1, la1 = (float(v) for v in bbox)
        if store.dialect == "postgresql":
            stmt = stmt.where(text("ST_Intersects(track_states.geom, "
                                   "ST_MakeEnvelope(:lo0, :la0, :lo1, :la1, 4326))")
                              .bindparams(lo0=lo0, la0=la0, lo1=lo1, la1=la1))
        else:
            stmt = stmt.where(and_(t.c.lon_deg >= lo0, t.c.lon_deg <= lo1,
                                   t.c.lat_deg >= la0, t.c.lat_deg <= la1))
    return _page(store, stmt, [t.c.t_s, t.c.id], limit, offset)


def picture_at(store: Store, session_id: str, t_s: float, window_s: float) -> dict[str, Any]:
    """The recorded picture at ``t_s``: each track's latest recorded state in
    (t_s - window_s, t_s], and the recorded time range of the session."""
    t = S.track_states
    cols = [c for c in t.columns if c.name not in ("cov_en", "id", "session_id")]
    with store.engine.connect() as c:
        rows = c.execute(select(*cols).where(
            t.c.session_id == session_id, t.c.t_s <= t_s, t.c.t_s > t_s - window_s)
            .order_by(t.c.t_s)).mappings().all()
    latest: dict[int, dict[str, Any]] = {}
    for r in rows:
        latest[int(r["track_id"])] = dict(r)
    return {"t_s": t_s, "tracks": sorted(latest.values(), key=lambda r: r["track_id"])}


def time_range(store: Store, session_id: str) -> tuple[float | None, float | None]:
    with store.engine.connect() as c:
        r = c.execute(select(func.min(S.steps.c.t_s), func.max(S.steps.c.t_s)).where(
            S.steps.c.session_id == session_id)).first()
    return (r[0], r[1]) if r else (None, None)


def strobes_ended_after(store: Store, session_id: str, t_s: float, limit: int
                        ) -> tuple[list[dict[str, Any]], bool]:
    """The payloads of the session's ``strobe`` events (each line of bearing is recorded when
    it ends, at its last bearing's time) ending at or after ``t_s``, earliest end first, at
    most ``limit``; and whether more were left out."""
    t = S.events
    with store.engine.connect() as c:
        rows = c.execute(select(t.c.payload).where(
            t.c.session_id == session_id, t.c.kind == "strobe", t.c.t_s >= t_s)
            .order_by(t.c.t_s, t.c.id).limit(int(limit) + 1)).all()
    return [json.loads(r[0]) for r in rows[:limit]], len(rows) > limit


def events(store: Store, session_id: str, *, kind: str | None = None, t0: float | None = None,
           t1: float | None = None, track_id: int | None = None, limit: int = 100,
           offset: int = 0) -> Page:
    t = S.events
    stmt = _time(select(t.c.id, t.c.seq, t.c.t_s, t.c.kind, t.c.track_id, t.c.zone_id,
                        t.c.zone_kind, t.c.payload).where(t.c.session_id == session_id),
                 t.c.t_s, t0, t1)
    if kind:
        stmt = stmt.where(t.c.kind == kind)
    if track_id is not None:
        stmt = stmt.where(t.c.track_id == int(track_id))
    return _page(store, stmt, [t.c.t_s, t.c.id], limit, offset, decode="payload")


def latest_events(store: Store, session_id: str, track_id: int, n: int = 50
                  ) -> list[dict[str, Any]]:
    """A track's latest ``n`` events, oldest first (a warning is re-issued every step while a
    crossing is predicted: the first ``n`` of a long approach would all be warnings)."""
    total = events(store, session_id, track_id=track_id, limit=1).total
    return events(store, session_id, track_id=track_id, limit=n,
                  offset=max(0, total - n)).items


def threats(store: Store, session_id: str, *, t0: float | None = None, t1: float | None = None,
            limit: int = 100, offset: int = 0) -> Page:
    t = S.threats
    stmt = _time(select(*[c for c in t.columns if c.name != "session_id"])
                 .where(t.c.session_id == session_id), t.c.t_s, t0, t1)
    return _page(store, stmt, [t.c.t_s, t.c.rank], limit, offset)


def recommendations(store: Store, session_id: str, *, t0: float | None = None,
                    t1: float | None = None, limit: int = 100, offset: int = 0) -> Page:
    t = S.recommendations
    stmt = _time(select(*[c for c in t.columns if c.name != "session_id"])
                 .where(t.c.session_id == session_id), t.c.t_proposed_s, t0, t1)
    return _page(store, stmt, [t.c.t_proposed_s, t.c.rec_id], limit, offset,
                 decode="track_state")


def recommendation(store: Store, session_id: str, rec_id: str) -> dict[str, Any] | None:
    t = S.recommendations
    with store.engine.connect() as c:
        r = c.execute(select(t).where(t.c.session_id == session_id, t.c.rec_id == rec_id)
                      ).mappings().first()
    if r is None:
        return None
    d = dict(r)
    d["track_state"] = json.loads(d["track_state"])
    return d


def decisions(store: Store, session_id: str | None, *, t0: float | None = None,
              t1: float | None = None, limit: int = 100, offset: int = 0) -> Page:
    t = S.decisions
    stmt = select(t)
    if session_id is not None:
        stmt = stmt.where(t.c.session_id == session_id)
    stmt = _time(stmt, t.c.t_s, t0, t1)
    return _page(store, stmt, [t.c.id], limit, offset, decode="evidence")


def engagements(store: Store, session_id: str, *, t0: float | None = None,
                t1: float | None = None, limit: int = 100, offset: int = 0) -> Page:
    t = S.engagements
    stmt = _time(select(*[c for c in t.columns if c.name != "session_id"])
                 .where(t.c.session_id == session_id), t.c.t_s, t0, t1)
    return _page(store, stmt, [t.c.t_s, t.c.id], limit, offset, decode="payload")


def audit_log(store: Store, *, action: str | None = None, since_seq: int | None = None,
              limit: int = 100, offset: int = 0) -> Page:
    t = S.audit
    stmt = select(t)
    if action:
        stmt = stmt.where(t.c.action == action)
    if since_seq is not None:
        stmt = stmt.where(t.c.seq > int(since_seq))
    return _page(store, stmt, [t.c.seq], limit, offset, decode="details")


def detection_steps(store: Store, session_id: str, up_to_seq: int | None = None
                    ) -> Iterator[tuple[int, float, list[dict[str, Any]]]]:
    """The session's recorded steps in order: (seq, t_s, detection rows of that step)."""
    t = S.detections
    with store.engine.connect() as c:
        steps = c.execute(select(S.steps.c.seq, S.steps.c.t_s).where(
            S.steps.c.session_id == session_id).order_by(S.steps.c.seq)).all()
    for seq, t_s in steps:
        if up_to_seq is not None and seq > up_to_seq:
            return
        with store.engine.connect() as c:
            rows = c.execute(select(t).where(t.c.session_id == session_id, t.c.seq == seq)
                             .order_by(t.c.id)).mappings().all()
        yield int(seq), float(t_s), [dict(r) for r in rows]


def counts(store: Store, session_id: str) -> dict[str, int]:
    """Rows per table of a session."""
    out = {}
    with store.engine.connect() as c:
        for name in (*S.STEP_TABLES, "steps", "decisions"):
            tb = S.metadata.tables[name]
            out[name] = int(c.execute(select(func.count()).select_from(tb).where(
                tb.c.session_id == session_id)).scalar() or 0)
    return out
