"""``dronewall audit verify``: recompute both hash chains of a store and report every break.

Checked: the audit log (contiguous sequence numbers, each entry's hash over its fields and its
predecessor's hash, the head recorded in ``meta``); every decision against its audit entry
(same recommendation, track, verdict, times, reason and evidence digest); every session's step
chain (each step's digest recomputed from the rows stored under it, the chain of hashes from the
session's genesis or from the anchor its last retention purge logged, the head and last step
recorded on the session) and rows filed under no step. An edited, inserted or deleted row in any
of these tables breaks at least one check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from dronewall.store import schema as S
from dronewall.store.integrity import (
    AUDIT_GENESIS,
    audit_hash,
    chain,
    digest_rows,
    genesis,
)
from dronewall.store.store import Store

#: At most this many problems are listed (the count is always complete).
MAX_LISTED = 50


@dataclass
class VerifyResult:
    audit_entries: int = 0
    decisions: int = 0
    sessions: int = 0
    steps: int = 0
    problems: list[str] = field(default_factory=list)
    n_problems: int = 0

    @property
    def ok(self) -> bool:
        return self.n_problems == 0

    def fail(self, msg: str) -> None:
        self.n_problems += 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append(msg)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "audit_entries": self.audit_entries, "decisions": self.decisions,
                "sessions": self.sessions, "steps": self.steps, "problems": self.n_problems,
                "first_problems": self.problems}


def verify_store(store: Store, conn: Any = None) -> VerifyResult:
    """Check the whole store (on ``conn`` when given, e.g. inside a transaction)."""
    res = VerifyResult()
    if conn is None:
        with store.engine.connect() as c:
            return verify_store(store, c)
    c = conn
    anchors = _verify_audit(c, res)
    _verify_decisions(c, res)
    for sess in c.execute(select(S.sessions).order_by(S.sessions.c.session_id)).mappings():
        res.sessions += 1
        _verify_session(c, dict(sess), anchors.get(sess["session_id"]), res)
    return res


def _verify_audit(c: Any, res: VerifyResult) -> dict[str, tuple[int, str]]:
    """Check the audit chain; return each session's retention anchor (up_to_seq, hash)."""
    prev, expect = AUDIT_GENESIS, 1
    anchors: dict[str, tuple[int, str]] = {}
    last = None
    # the head first: entries appended while we read (a running server) are not judged
    head = c.execute(select(S.meta.c.value).where(S.meta.c.key == "audit_head")).scalar()
    upto = int(head.split(":")[0]) if head else 0
    tail = c.execute(select(S.audit.c.seq).order_by(S.audit.c.seq.desc()).limit(1)).scalar()
    if tail is not None and (head is None or tail > upto):
        upto = int(tail)
        head = c.execute(select(S.meta.c.value).where(S.meta.c.key == "audit_head")).scalar()
    for e in c.execute(select(S.audit).where(S.audit.c.seq <= upto)
                       .order_by(S.audit.c.seq)).mappings():
        res.audit_entries += 1
        if e["seq"] != expect:
            res.fail(f"audit: entry {expect} missing (next is {e['seq']})")
        if e["prev_hash"] != prev:
            res.fail(f"audit {e['seq']}: prev_hash does not match entry {e['seq'] - 1}")
        if audit_hash(e["prev_hash"], e) != e["hash"]:
            res.fail(f"audit {e['seq']}: hash does not match its content (edited)")
        if e["action"] == "retention.purge":
            try:
                d = json.loads(e["details"])
                anchors[d["session_id"]] = (int(d["up_to_seq"]), str(d["anchor"]))
            except (ValueError, KeyError, TypeError):
                res.fail(f"audit {e['seq']}: unreadable retention details")
        prev, expect, last = e["hash"], e["seq"] + 1, e
    if last is None and head is not None:
        res.fail(f"audit: log is empty but its head says {head}")
    elif last is not None and head != f"{last['seq']}:{last['hash']}":
        res.fail(f"audit: last entry {last['seq']} is not the recorded head "
                 f"({head}): entries were deleted or added")
    return anchors


def _verify_decisions(c: Any, res: VerifyResult) -> None:
    import hashlib

    for d in c.execute(select(S.decisions).order_by(S.decisions.c.id)).mappings():
        res.decisions += 1
        e = c.execute(select(S.audit).where(S.audit.c.seq == d["audit_seq"])).mappings().first()
        if e is None:
            res.fail(f"decision {d['id']} ({d['rec_id']}): its audit entry "
                     f"{d['audit_seq']} is missing")
            continue
        try:
            det = json.loads(e["details"])
        except ValueError:
            det = {}
        want = {"session_id": d["session_id"], "rec_id": d["rec_id"],
                "track_id": d["track_id"], "approved": bool(d["approved"]), "t_s": d["t_s"],
                "wall_utc": d["wall_utc"], "reason": d["reason"],
                "evidence_sha256": hashlib.sha256(d["evidence"].encode()).hexdigest()}
        bad = sorted(k for k, v in want.items() if det.get(k) != v)
        action = "approve" if d["approved"] else "reject"
        if bad or e["action"] != action or e["actor"] != d["user_name"]:
            res.fail(f"decision {d['id']} ({d['rec_id']}): differs from audit entry "
                     f"{d['audit_seq']} in {', '.join(bad) or 'action/actor'} (edited)")


def _verify_session(c: Any, sess: dict[str, Any], anchor: tuple[int, str] | None,
                    res: VerifyResult) -> None:
    sid = sess["session_id"]
    # up to the head read with the session row: steps committed while we read are not judged
    upto = int(sess["last_seq"])
    steps = list(c.execute(select(S.steps).where(S.steps.c.session_id == sid,
                                                 S.steps.c.seq <= upto)
                           .order_by(S.steps.c.seq)).mappings())
    seqs = {s["seq"] for s in steps}
    if steps:
        first = steps[0]["seq"]
        if first == 1:
            prev = genesis(sid)
        elif anchor is not None and anchor[0] == first - 1:
            prev = anchor[1]
        else:
            res.fail(f"session {sid}: steps before {first} are missing and no retention "
                     "purge accounts for them")
            prev = steps[0]["prev_hash"]
    for s in steps:
        res.steps += 1
        if s["prev_hash"] != prev:
            res.fail(f"session {sid} step {s['seq']}: chain broken (a step before it was "
                     "deleted or edited)")
        tables = []
        for name in S.STEP_TABLES:
            t = S.metadata.tables[name]
            order = t.c.rec_id if name == "recommendations" else t.c.id
            rows = c.execute(select(t).where(t.c.session_id == sid, t.c.seq == s["seq"])
                             .order_by(order)).mappings().all()
            tables.append((t, rows))
        dg = digest_rows(tables)
        if dg != s["digest"]:
            res.fail(f"session {sid} step {s['seq']} (t = {s['t_s']:.1f} s): its rows do not "
                     "match the recorded digest (edited, added or deleted rows)")
        if chain(s["prev_hash"], s["digest"]) != s["hash"]:
            res.fail(f"session {sid} step {s['seq']}: hash does not match (edited)")
        prev = s["hash"]
    if steps and (steps[-1]["hash"] != sess["head_hash"] or steps[-1]["seq"] != sess["last_seq"]):
        res.fail(f"session {sid}: last step {steps[-1]['seq']} is not the recorded head "
                 f"(step {sess['last_seq']}): steps were deleted or added")
    if not steps and sess["last_seq"] and not (anchor and anchor[0] >= sess["last_seq"]):
        res.fail(f"session {sid}: {sess['last_seq']} steps recorded, none left")
    lo = anchor[0] if anchor else 0
    for name in S.STEP_TABLES:
        t = S.metadata.tables[name]
        for (q,) in c.execute(select(t.c.seq).where(t.c.session_id == sid, t.c.seq <= upto)
                              .distinct()):
            if q not in seqs and not (name == "recommendations" and q <= lo):
                res.fail(f"session {sid}: {name} rows filed under step {q}, which does not "
                         "exist")
        if sess["status"] != "running":  # nothing may follow the head of a stopped session
            n = c.execute(select(t.c.seq).where(t.c.session_id == sid, t.c.seq > upto)
                          .limit(1)).first()
            if n is not None:
                res.fail(f"session {sid}: {name} rows after its last step {upto}")
