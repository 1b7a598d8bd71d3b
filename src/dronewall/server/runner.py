"""The live loop: source -> chain -> store (commit) -> clients, paced on the wall clock.

One thread runs the chain (numpy work must not block the event loop that serves the API and
the WebSockets). Each step: take the source's next batch when its time has come (scenario time
runs ``speed`` times faster than the wall clock), run the chain, let the source apply simulated
effects, commit the step's rows (:meth:`Store.write_step`), and only then publish the step's
delta to the clients (:class:`~dronewall.server.hub.Hub`). A step that is published has been
recorded.

**Resume.** Started on a store that holds an unfinished session of the same source, the runner
first replays that session's steps through a fresh chain without pacing, recording or
publishing (the scenario source is deterministic for its seed; the operator decisions recorded
before the restart reach the approver at the session times they were made), checks that the
regenerated detections match the recorded counts, then continues the session live from the
next step.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dronewall.chain import StepRecord
from dronewall.chain.approval import Decision
from dronewall.server.alerts import AlertBook
from dronewall.server.approver import LiveApprover
from dronewall.server.live import LiveChain
from dronewall.server.memory import Trimmer, rss_mib
from dronewall.server.picture import StepView, proposal_dict
from dronewall.store import SessionInfo, Store

log = logging.getLogger("dronewall.server")

#: Alerts kept in memory for the panel (older ones stay in the store's events; information
#: goes first when full: ``alerts.AlertBook``).
MAX_ALERTS = 500


class Source:
    """What the runner needs of a source (``live.ScenarioSource``, ``live.DetectionsSource``)."""

    def next(self) -> Any: ...

    def after(self, rec: StepRecord) -> None: ...

    # optional: ``exhausted() -> bool``, True once no item follows the one just returned
    # (the runner then records what is still open -- lines of bearing -- with that step)


@dataclass
class RunnerState:
    """What the API serves between steps (replaced, never mutated in place, by the runner)."""

    seq: int = 0
    t: float = 0.0
    wall_step: float = 0.0
    tracks: dict[str, list[Any]] = field(default_factory=dict)
    threats: list[dict[str, Any]] = field(default_factory=list)
    #: lines of bearing shown now (``server.strobe_view.strobe_rows``)
    strobes: list[dict[str, Any]] = field(default_factory=list)
    n_detections: int = 0
    status: str = "starting"      # starting / resuming / running / paused / finished / failed
    error: str | None = None


class Runner:
    def __init__(self, live: LiveChain, source: Source, store: Store, session: SessionInfo,
                 approver: LiveApprover, publish: Callable[[str, dict[str, Any]], None], *,
                 speed: float, record_period_s: float, resume: bool = False) -> None:
        self.live, self.source, self.store = live, source, store
        self.session = session
        self.approver = approver
        self.publish = publish
        self.speed = float(speed)
        self.view = StepView(live, record_period_s)
        self.view.feed_status = getattr(source, "sensor_status", None)
        self.state = RunnerState()
        self.alerts = AlertBook(MAX_ALERTS)
        self.alert_lock = threading.Lock()
        self.last_rec: StepRecord | None = None
        self.stop_evt = threading.Event()
        self.pause_evt = threading.Event()
        self.resume_mode = resume
        self.resume_check: dict[str, Any] = {}
        self.step_wall_s: deque[float] = deque(maxlen=600)
        self._anchor: tuple[float, float] | None = None   # (wall, t) pacing anchor
        self.fast_until_s = 0.0   # steps before this session time run unpaced (--start)
        self.sinks: list[Any] = []   # picture outputs (CoT): .step(delta), never raise
        self.sink_errors = 0
        self.trimmer = Trimmer()   # hands freed heap pages back (server/memory.py)
        self.rss_after_trim: deque[tuple[float, float | None]] = deque(maxlen=720)
        self.thread = threading.Thread(target=self._run, name="dronewall-chain", daemon=True)

    # ------------------------------------------------------------------ control

    def start(self) -> None:
        self.store.start_checkpointer()   # SQLite: WAL checkpoints off the step's commit
        self.thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_evt.set()
        self.pause_evt.clear()
        if self.thread.is_alive():
            self.thread.join(timeout)
        self.store.stop_checkpointer()

    def set_speed(self, speed: float) -> None:
        self.speed = float(speed)
        self._anchor = None  # re-anchor pacing at the next step

    def now(self) -> float:
        """Session time now: the last step's time plus the wall time since, at ``speed``
        (never beyond the next step while the chain lags)."""
        st = self.state
        if st.status != "running":
            return st.t
        return st.t + min(max(time.time() - st.wall_step, 0.0) * self.speed,
                          self.live.step_s)

    # ------------------------------------------------------------------ alerts

    def ack(self, alert_id: str, user: str) -> dict[str, Any] | None:
        with self.alert_lock:
            for a in self.alerts:
                if a["id"] == alert_id:
                    if a["acked_by"] is None:
                        a["acked_by"] = user
                    return dict(a)
        return None

    def alert_list(self) -> list[dict[str, Any]]:
        with self.alert_lock:
            return [dict(a) for a in self.alerts]

    # ------------------------------------------------------------------ loop

    def _run(self) -> None:
        try:
            if self.resume_mode:
                self._resume()
            self.state = RunnerState(seq=self.state.seq, t=self.state.t,
                                     wall_step=time.time(), tracks=self.state.tracks,
                                     threats=self.state.threats, strobes=self.state.strobes,
                                     status="running")
            self._loop()
        except Exception as e:  # the API keeps serving what was recorded
            log.exception("chain stopped")
            self.state = RunnerState(seq=self.state.seq, t=self.state.t,
                                     tracks=self.state.tracks, status="failed",
                                     error=f"{type(e).__name__}: {e}")
            self.store.set_status(self.session.session_id, "interrupted")
            self.publish("status", {"type": "status", "status": "failed",
                                    "error": self.state.error})

    def _loop(self) -> None:
        seq = self.state.seq
        sid = self.session.session_id
        while not self.stop_evt.is_set():
            if self.pause_evt.is_set():
                self.state.status = "paused"
                time.sleep(0.05)
                self._anchor = None
                continue
            self.state.status = "running"
            item = self.source.next()
            if item is None:
                break
            t, batch = item
            self._pace(t)
            if self.stop_evt.is_set():
                return
            wall_due = time.time()
            rec = self._step(t, batch)
            wall_chain = time.time()        # the step record is ready
            seq += 1
            self.approver.expire(t)
            closed = [proposal_dict(c.proposal, c.status) | {"t_closed_s": c.t_s}
                      for c in self.approver.take_closed()]
            rows, delta = self.view.step(rec, seq, closed, final=self._source_ended())
            self.store.write_step(sid, seq, t, rows)           # committed before publishing
            wall_rec = time.time()
            delta["wall_due"] = wall_due
            delta["wall_rec"] = wall_chain
            delta["wall_pub"] = wall_rec
            delta["utc"] = self._utc(t)
            with self.alert_lock:
                self.alerts.add(delta["alerts"])
            self.state = RunnerState(seq=seq, t=t, wall_step=wall_due, tracks=delta["tracks"],
                                     threats=delta["threats"], strobes=delta["strobes"],
                                     n_detections=delta["n_detections"], status="running")
            self.step_wall_s.append(wall_rec - wall_due)
            self.publish("step", delta)
            for sink in self.sinks:
                try:
                    sink.step(delta)
                except Exception:   # an output must never stop the picture
                    self.sink_errors += 1
                    log.exception("output %r failed on step %d", sink, seq)
            if self.trimmer.maybe():   # between steps, freed pages returned: the floor
                self.rss_after_trim.append((time.time(), rss_mib()))
        if not self.stop_evt.is_set():
            self.store.set_status(sid, "finished")
            self.state.status = "finished"
            self.publish("status", {"type": "status", "status": "finished"})

    def _source_ended(self) -> bool:
        """Whether the source says no step follows the one just taken (``exhausted``; a live
        feed never ends on its own: it is stopped)."""
        ended = getattr(self.source, "exhausted", None)
        return bool(ended()) if callable(ended) else False

    def _step(self, t: float, batch: Any) -> StepRecord:
        # the sensors' status reports: from the wire (live feeds), else the scenario's own
        # status channel (a simulated source or its replay)
        rep = getattr(self.source, "sensor_reports", None) or self.live.status
        rec = self.live.chain.step(t, batch, rep(t) if rep is not None else None)
        self.source.after(rec)
        self.last_rec = rec
        return rec

    def _pace(self, t: float) -> None:
        """Wait until scenario time ``t`` is due on the wall clock -- unless the source keeps
        the wall clock itself (live feeds: a step is handed over when it ends; pacing again
        from the first step's hand-over would delay every step by however late the first
        one was)."""
        if getattr(self.source, "wall_clock", False):
            return
        if t < self.fast_until_s:
            self._anchor = None
            return
        if self._anchor is None:
            self._anchor = (time.time(), t)
            return
        w0, t0 = self._anchor
        due = w0 + (t - t0) / max(self.speed, 1e-6)
        while not self.stop_evt.is_set() and not self.pause_evt.is_set():
            dt = due - time.time()
            if dt <= 0:
                break
            self.stop_evt.wait(min(dt, 0.1))
        if time.time() - due > 5.0:  # far behind: re-anchor instead of racing to catch up
            self._anchor = (time.time(), t)

    def _utc(self, t: float) -> str:
        from datetime import datetime, timedelta

        ep = datetime.fromisoformat(self.session.epoch_utc.replace("Z", "+00:00"))
        return (ep + timedelta(seconds=t)).isoformat().replace("+00:00", "Z")

    # ------------------------------------------------------------------ resume

    def _resume(self) -> None:
        """Replay the recorded part of the session (module docstring)."""
        from sqlalchemy import select

        from dronewall.chain.approval import Proposal
        from dronewall.store import schema as S
        from dronewall.store.store import decided_rec_ids

        self.state.status = "resuming"
        sid = self.session.session_id
        with self.store.engine.connect() as c:
            steps = c.execute(select(S.steps.c.seq, S.steps.c.t_s, S.steps.c.n_detections)
                              .where(S.steps.c.session_id == sid)
                              .order_by(S.steps.c.seq)).all()
            recs = {r["rec_id"]: r for r in c.execute(select(S.recommendations).where(
                S.recommendations.c.session_id == sid)).mappings()}
        self.view.known_recs = set(recs)
        for d in decided_rec_ids(self.store, sid):
            r = recs.get(d["rec_id"])
            prop = None if r is None else Proposal(
                r["rec_id"], r["track_id"], r["effector_id"], r["effector_type"],
                r["cost_eur"], r["pk"], r["value_eur"], r["value_saved_eur"],
                r["t_proposed_s"], r["t_decide_s"], r["deadline_s"], r["text"])
            self.approver.schedule(prop, Decision(d["rec_id"], d["track_id"],
                                                  bool(d["approved"]), d["t_s"]))
        mismatched = 0
        seq = 0
        for seq_rec, t_rec, n_rec in steps:
            item = self.source.next()
            if item is None:
                break
            t, batch = item
            rec = self._step(t, batch)
            seq += 1
            if seq != seq_rec or abs(t - t_rec) > 1e-6 or len(batch) != n_rec:
                mismatched += 1
            self.approver.expire(t)
            self.approver.take_closed()
            _, delta = self.view.step(rec, seq, [])
            with self.alert_lock:
                self.alerts.add(delta["alerts"])
            self.state = RunnerState(seq=seq, t=t, tracks=delta["tracks"],
                                     threats=delta["threats"], status="resuming")
        self.resume_check = {"steps_replayed": seq, "steps_recorded": len(steps),
                             "mismatched_steps": mismatched}
        if mismatched:
            log.warning("resume: %d of %d replayed steps differ from the record", mismatched,
                        len(steps))
        self.store.set_status(sid, "running")
        self.store.audit("system", "system", "session.resume", f"session:{sid}",
                         self.resume_check)


def encode(delta: dict[str, Any]) -> str:
    """A delta as the JSON text sent to every client (encoded once per step)."""
    return json.dumps(delta, separators=(",", ":"), allow_nan=False)
