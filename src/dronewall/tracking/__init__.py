"""Multi-sensor multi-target tracking engine (core: no sim / sensors / cli / server imports).

``Engine(config, frame, sensors).step(t, detections) -> StepResult``; see ``docs/tracking.md``.
"""

from dronewall.tracking.engine import ATTR_NAMES, Engine, StepResult, TrackerConfig, TrackSnapshot

__all__ = ["ATTR_NAMES", "Engine", "StepResult", "TrackSnapshot", "TrackerConfig"]
