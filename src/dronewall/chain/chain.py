"""The chain: detections in, one typed :class:`StepRecord` out, per step.

``simulate``, the Monte-Carlo runs and the live server build the same chain
(:func:`build_chain`-style factories live with their callers, which know the scenario or the
live configuration) and differ only in their sources and sinks::

    chain = Chain([TrackingStage(...), ClassificationStage(...), AirspaceStage(...),
                   ThreatStage(...), EngagementStage(...)])
    for t, batch, status in source:
        rec = chain.step(t, batch, status)
        for sink in sinks:
            sink.write(rec)
    finals = chain.finish()

Stages run in the given order; each sees the record as its predecessors left it. The chain
keeps the wall time spent in each stage (``timings_s``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from dronewall.chain.records import StepRecord
from dronewall.chain.stages import Stage
from dronewall.detections import DetectionBatch
from dronewall.detections.health import SensorHealth, StatusReports


class Chain:
    def __init__(self, stages: Sequence[Stage], health: SensorHealth | None = None) -> None:
        """``health``: the sensors' liveness (:mod:`dronewall.detections.health`), fed by each
        step's status reports and detections; the record's ``listening`` comes from it (None:
        every sensor is taken as listening)."""
        self.health = health
        names = [s.name for s in stages]
        if len(set(names)) != len(names):
            raise ValueError(f"stage names must be unique: {names}")
        self.stages = list(stages)
        self.timings_s: dict[str, float] = {n: 0.0 for n in names}

    def step(self, t: float, detections: DetectionBatch,
             status: StatusReports | None = None) -> StepRecord:
        """One step: ``detections`` and the sensors' ``status`` reports received by ``t``."""
        listening = None
        if self.health is not None:
            if status is not None:
                self.health.status(t, status)
            self.health.alive(detections.sensor, detections.t)
            listening = self.health.listening(t)
        rec = StepRecord(t=t, detections=detections, listening=listening)
        for s in self.stages:
            t0 = time.perf_counter()
            rec = s.step(rec)
            self.timings_s[s.name] += time.perf_counter() - t0
        return rec

    def finish(self) -> dict[str, Any]:
        """Each stage's held-back results, by stage name."""
        out: dict[str, Any] = {}
        for s in self.stages:
            t0 = time.perf_counter()
            out[s.name] = s.finish()
            self.timings_s[s.name] += time.perf_counter() - t0
        return out

    def stage(self, name: str) -> Stage | None:
        """The stage called ``name`` (None: not in this chain)."""
        return next((s for s in self.stages if s.name == name), None)
