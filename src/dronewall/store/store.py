"""The write side of a store: sessions, one transaction per step, operator decisions with their
audit entry, the audit chain, users and retention.

**Acknowledge after commit.** :meth:`Store.write_step` commits all the rows of one step (and the
chain head) in one transaction and returns only then; the server publishes a step to clients
after that. :meth:`Store.record_decision` commits the decision and its audit entry before the
API answers. So a ``kill -9`` loses nothing that anyone was told about. Writes are serialised
by one lock (one writer; the audit chain needs a total order).
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from dronewall.errors import InputError
from dronewall.store import schema as S
from dronewall.store.db import durable, make_engine, migrate, redact
from dronewall.store.integrity import (
    AUDIT_GENESIS,
    audit_hash,
    canonical_json,
    chain,
    column_values,
    columns_of,
    digest_columns,
    genesis,
)

ROLES = ("viewer", "operator", "admin")


def token_hasher() -> Any:
    """argon2id with the OWASP minimum parameters (19 MiB, 2 passes, 1 lane): tokens are
    192-bit random secrets, so the hash only has to make a stolen store useless, not to slow
    down guessing of weak passwords; verification stays in the tens of milliseconds."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


log = logging.getLogger("dronewall.store")


@dataclass
class StepRows:
    """Rows one step writes, per table (dicts of clean scalars; ``session_id``/``seq``/``t_s``
    are filled in by :meth:`Store.write_step`). The detections -- thousands a step -- may come
    column by column instead (``detection_columns``: column name -> values, all columns of the
    table but ``session_id``/``seq``), which saves building a dict per detection; the
    recorded rows and the step digest are the same either way."""

    detections: list[dict[str, Any]] = field(default_factory=list)
    detection_columns: dict[str, list[Any]] | None = None
    track_states: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    threats: list[dict[str, Any]] = field(default_factory=list)
    recommendations: list[dict[str, Any]] = field(default_factory=list)
    engagements: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class SessionInfo:
    session_id: str
    started_utc: str
    epoch_utc: str
    mode: str
    source: str
    seed: int | None
    scenario_yaml: str | None
    config: str
    last_seq: int
    last_t_s: float | None
    head_hash: str
    status: str


class Store:
    """A recording store (SQLite file or PostgreSQL database), migrated on open."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.dialect = self.engine.dialect.name
        migrate(self.engine)
        self.lock = threading.RLock()
        self._checkpointer: tuple[threading.Event, threading.Thread] | None = None

    def __repr__(self) -> str:
        return f"Store({redact(self.url)})"

    def close(self) -> None:
        self.stop_checkpointer()
        self.engine.dispose()

    def start_checkpointer(self, period_s: float = 1.0) -> None:
        """SQLite: copy the write-ahead log into the database from a background thread every
        ``period_s`` (a PASSIVE checkpoint: it never blocks the writer), and stop
        :meth:`write_step` from doing it itself. A checkpoint every ~1,000 pages of log -- every
        few steps at 1,000 tracks -- otherwise lands inside a step's commit and delays that
        step's publication by ~100 ms. No-op on PostgreSQL or when already running."""
        if self.dialect != "sqlite" or self._checkpointer is not None:
            return
        stop = threading.Event()

        def run() -> None:
            while not stop.wait(period_s):
                try:
                    with self.engine.connect() as c:
                        c.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
                except Exception:  # noqa: BLE001 - the next period retries; steps go on
                    log.warning("WAL checkpoint failed", exc_info=True)

        th = threading.Thread(target=run, name="dronewall-wal-checkpoint", daemon=True)
        self._checkpointer = (stop, th)
        th.start()

    def stop_checkpointer(self) -> None:
        """Stop the background checkpoints (the writer checkpoints again by itself)."""
        if self._checkpointer is None:
            return
        stop, th = self._checkpointer
        self._checkpointer = None
        stop.set()
        th.join(5.0)

    @contextlib.contextmanager
    def durable_tx(self) -> Iterator[Connection]:
        """A write transaction whose commit reaches the disk before it returns (decisions,
        audit entries, users; see :func:`dronewall.store.db.durable`)."""
        with self.lock, self.engine.connect() as c:
            durable(c)
            c.commit()
            try:
                with c.begin():
                    yield c
            finally:  # pooled connection: back to the steps' setting
                durable(c, False)
                c.commit()

    # ------------------------------------------------------------------ sessions

    def start_session(self, *, mode: str, source: str, epoch_utc: str, config: Mapping[str, Any],
                      seed: int | None = None, scenario_yaml: str | None = None) -> SessionInfo:
        sid = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:8]
        row = {"session_id": sid, "started_utc": utc_now(), "epoch_utc": epoch_utc,
               "mode": mode, "source": source, "seed": seed, "scenario_yaml": scenario_yaml,
               "config": canonical_json(dict(config)), "last_seq": 0, "last_t_s": None,
               "head_hash": genesis(sid), "status": "running"}
        with self.lock, self.engine.begin() as c:
            c.execute(insert(S.sessions).values(**row))
        return SessionInfo(**row)

    def session(self, session_id: str) -> SessionInfo | None:
        with self.engine.connect() as c:
            r = c.execute(select(S.sessions).where(
                S.sessions.c.session_id == session_id)).mappings().first()
        return SessionInfo(**r) if r else None

    def sessions(self) -> list[SessionInfo]:
        with self.engine.connect() as c:
            rows = c.execute(select(S.sessions).order_by(S.sessions.c.started_utc)).mappings()
            return [SessionInfo(**r) for r in rows]

    def resumable(self, mode: str, source: str) -> SessionInfo | None:
        """The latest session of this mode and source that did not finish (the server was
        stopped or killed): a restart continues it."""
        with self.engine.connect() as c:
            r = c.execute(select(S.sessions).where(
                S.sessions.c.mode == mode, S.sessions.c.source == source,
                S.sessions.c.status != "finished").order_by(
                S.sessions.c.started_utc.desc()).limit(1)).mappings().first()
        return SessionInfo(**r) if r else None

    def set_status(self, session_id: str, status: str) -> None:
        with self.lock, self.engine.begin() as c:
            c.execute(update(S.sessions).where(S.sessions.c.session_id == session_id)
                      .values(status=status))

    # ------------------------------------------------------------------ steps

    def write_step(self, session_id: str, seq: int, t_s: float, rows: StepRows) -> str:
        """Commit one step's rows and extend the session's step chain; returns the new head."""
        wall = utc_now()
        rows.recommendations.sort(key=lambda r: r["rec_id"])  # the digest's (and verify's) order
        values = []
        n_det = len(rows.detections)
        for name in S.STEP_TABLES:
            table = S.metadata.tables[name]
            if name == "detections" and rows.detection_columns is not None:
                if rows.detections:
                    raise ValueError("detections given both as rows and as columns")
                cols = rows.detection_columns
                n_det = len(next(iter(cols.values()), []))
                fill = {"session_id": [session_id] * n_det, "seq": [seq] * n_det,
                        "t_s": [t_s] * n_det}
                values.append((table, [cols[c] if c in cols else fill[c]
                                       for c in columns_of(table)]))
                continue
            lst = getattr(rows, name)
            for r in lst:
                r["session_id"] = session_id
                r["seq"] = seq
                if name != "recommendations":
                    r.setdefault("t_s", t_s)
            values.append((table, column_values(table, lst)))
        digest = digest_columns(values)
        n_tracks = len({r["track_id"] for r in rows.track_states})
        with self.lock, self.engine.begin() as c:
            if self.dialect == "sqlite":   # a connection setting: the pool hands out several
                c.exec_driver_sql("PRAGMA wal_autocheckpoint="
                                  + ("0" if self._checkpointer is not None else "1000"))
            prev = c.execute(select(S.sessions.c.head_hash, S.sessions.c.last_seq).where(
                S.sessions.c.session_id == session_id)).first()
            if prev is None:
                raise KeyError(f"no session {session_id}")
            if seq <= prev.last_seq:
                raise ValueError(f"step {seq} of session {session_id} already recorded "
                                 f"(last {prev.last_seq})")
            h = chain(prev.head_hash, digest)
            for table, cols in values:
                if cols and cols[0]:
                    _insert_many(c, table, cols)
            c.execute(insert(S.steps).values(
                session_id=session_id, seq=seq, t_s=t_s, wall_utc=wall,
                n_detections=n_det, n_tracks=n_tracks, digest=digest,
                prev_hash=prev.head_hash, hash=h))
            c.execute(update(S.sessions).where(S.sessions.c.session_id == session_id)
                      .values(last_seq=seq, last_t_s=t_s, head_hash=h))
        return h

    # ------------------------------------------------------------------ audit

    def _append_audit(self, c: Any, actor: str, role: str, action: str, obj: str,
                      details: Mapping[str, Any]) -> int:
        head = c.execute(select(S.meta.c.value).where(S.meta.c.key == "audit_head")).scalar()
        seq, prev = (0, AUDIT_GENESIS) if head is None else (int(head.split(":")[0]),
                                                             head.split(":")[1])
        entry = {"seq": seq + 1, "wall_utc": utc_now(), "actor": actor, "role": role,
                 "action": action, "object": obj, "details": canonical_json(dict(details))}
        h = audit_hash(prev, entry)
        c.execute(insert(S.audit).values(**entry, prev_hash=prev, hash=h))
        if head is None:
            c.execute(insert(S.meta).values(key="audit_head", value=f"{seq + 1}:{h}"))
        else:
            c.execute(update(S.meta).where(S.meta.c.key == "audit_head")
                      .values(value=f"{seq + 1}:{h}"))
        return seq + 1

    def audit(self, actor: str, role: str, action: str, obj: str,
              details: Mapping[str, Any]) -> int:
        """Append one entry to the audit chain (committed on return); returns its seq."""
        with self.durable_tx() as c:
            return self._append_audit(c, actor, role, action, obj, details)

    # ------------------------------------------------------------------ decisions

    def record_decision(self, *, session_id: str, rec_id: str, track_id: int, approved: bool,
                        t_s: float, user: str, role: str, reason: str,
                        evidence: Mapping[str, Any]) -> dict[str, Any]:
        """Commit an operator decision with its audit entry; returns the stored decision.
        Raises ``ValueError`` when the recommendation was already decided."""
        with self.durable_tx() as c:
            dup = c.execute(select(S.decisions.c.id).where(
                S.decisions.c.session_id == session_id,
                S.decisions.c.rec_id == rec_id)).first()
            if dup is not None:
                raise ValueError(f"recommendation {rec_id} was already decided")
            row = {"session_id": session_id, "rec_id": rec_id, "track_id": int(track_id),
                   "approved": bool(approved), "t_s": float(t_s), "wall_utc": utc_now(),
                   "user_name": user, "role": role, "reason": reason,
                   "evidence": canonical_json(dict(evidence))}
            details = {k: row[k] for k in ("session_id", "rec_id", "track_id", "approved",
                                           "t_s", "wall_utc", "reason")}
            details["evidence_sha256"] = _sha(row["evidence"])
            seq = self._append_audit(c, user, role, "approve" if approved else "reject",
                                     f"recommendation:{rec_id}", details)
            row["audit_seq"] = seq
            res = c.execute(insert(S.decisions).values(**row))
            row["id"] = int(res.inserted_primary_key[0])
        return row

    # ------------------------------------------------------------------ users

    def create_user(self, name: str, role: str, actor: str = "system",
                    actor_role: str = "admin") -> str:
        """A new user with a fresh token (returned once; only its argon2 hash is stored)."""
        if role not in ROLES:
            raise InputError(f"role: got {role!r}; expected one of {', '.join(ROLES)}")
        if not name or len(name) > 64:
            raise InputError("name: expected 1-64 characters")
        secret = secrets.token_urlsafe(24)
        h = token_hasher().hash(secret)
        with self.durable_tx() as c:
            if c.execute(select(S.users.c.user_id).where(S.users.c.name == name)).first():
                raise InputError(f"user {name!r} exists already")
            uid = int(c.execute(insert(S.users).values(
                name=name, role=role, token_hash=h, created_utc=utc_now(),
                revoked=False)).inserted_primary_key[0])
            self._append_audit(c, actor, actor_role, "user.create", f"user:{name}",
                               {"user_id": uid, "name": name, "role": role})
        return f"dw_{uid}_{secret}"

    def revoke_user(self, name: str, actor: str, actor_role: str) -> None:
        with self.durable_tx() as c:
            n = c.execute(update(S.users).where(S.users.c.name == name)
                          .values(revoked=True)).rowcount
            if not n:
                raise InputError(f"no user {name!r}")
            self._append_audit(c, actor, actor_role, "user.revoke", f"user:{name}",
                               {"name": name})

    def user_count(self) -> int:
        with self.engine.connect() as c:
            return int(c.execute(select(func.count()).select_from(S.users)).scalar() or 0)

    def user_row(self, user_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as c:
            r = c.execute(select(S.users).where(S.users.c.user_id == user_id)).mappings().first()
        return dict(r) if r else None

    def users(self) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            rows = c.execute(select(S.users.c.user_id, S.users.c.name, S.users.c.role,
                                    S.users.c.created_utc, S.users.c.revoked)
                             .order_by(S.users.c.user_id)).mappings()
            return [dict(r) for r in rows]

    # ------------------------------------------------------------------ retention

    def purge(self, before_utc: str, actor: str = "system", actor_role: str = "admin") -> int:
        """Delete recorded steps whose wall time is before ``before_utc`` (and their rows) in
        every session; decisions, recommendations and the audit log are kept. The hash of each
        session's last deleted step is written to the audit log as that session's new chain
        anchor. Returns the number of steps deleted."""
        total = 0
        with self.durable_tx() as c:
            sids = [r[0] for r in c.execute(select(S.steps.c.session_id).where(
                S.steps.c.wall_utc < before_utc).distinct())]
            for sid in sids:
                last = c.execute(select(S.steps.c.seq, S.steps.c.hash).where(
                    S.steps.c.session_id == sid, S.steps.c.wall_utc < before_utc)
                    .order_by(S.steps.c.seq.desc()).limit(1)).first()
                cur = c.execute(select(S.sessions.c.last_seq).where(
                    S.sessions.c.session_id == sid)).scalar()
                if last is None:
                    continue
                upto = min(int(last.seq), int(cur or last.seq))
                anchor = c.execute(select(S.steps.c.hash).where(
                    S.steps.c.session_id == sid, S.steps.c.seq == upto)).scalar()
                for name in S.STEP_TABLES:
                    if name == "recommendations":
                        continue
                    t = S.metadata.tables[name]
                    c.execute(delete(t).where(t.c.session_id == sid, t.c.seq <= upto))
                n = c.execute(delete(S.steps).where(S.steps.c.session_id == sid,
                                                    S.steps.c.seq <= upto)).rowcount
                total += n
                self._append_audit(c, actor, actor_role, "retention.purge", f"session:{sid}",
                                   {"session_id": sid, "up_to_seq": upto, "anchor": anchor,
                                    "before_utc": before_utc, "steps": n})
        return total


def _insert_many(c: Connection, table: Any, values: list[list[Any]]) -> None:
    """Insert rows given column by column with the driver's executemany (SQLAlchemy's
    per-row parameter processing costs more than the insert for thousands of rows a step)."""
    cols = columns_of(table)
    ph = "?" if c.dialect.paramstyle == "qmark" else "%s"
    sql = (f"INSERT INTO {table.name} ({', '.join(cols)}) "
           f"VALUES ({', '.join([ph] * len(cols))})")
    c.exec_driver_sql(sql, list(zip(*values, strict=True)))


def _sha(s: str) -> str:
    import hashlib

    return hashlib.sha256(s.encode()).hexdigest()


def decided_rec_ids(store: Store, session_id: str) -> Sequence[dict[str, Any]]:
    """The session's decisions in the order they were made (resume)."""
    with store.engine.connect() as c:
        rows = c.execute(select(S.decisions).where(S.decisions.c.session_id == session_id)
                         .order_by(S.decisions.c.id)).mappings()
        return [dict(r) for r in rows]
