"""Layout of the tracking package after the engine split: public names stay where callers import
them, and no module grows past the size limit of the style guide."""

from __future__ import annotations

from pathlib import Path

import dronewall.tracking as trk
from dronewall.tracking import config, engine, intake, measurements, results, table

#: Style-guide limit on a module's length, lines.
MAX_MODULE_LINES = 600


def test_public_names_importable_from_engine_are_the_real_objects() -> None:
    assert engine.TrackerConfig is config.TrackerConfig is trk.TrackerConfig
    assert engine.StepResult is results.StepResult is trk.StepResult
    assert engine.TrackSnapshot is results.TrackSnapshot is trk.TrackSnapshot
    assert engine.ATTR_NAMES is table.ATTR_NAMES is trk.ATTR_NAMES
    assert engine.N_ATTR == len(table.ATTR_NAMES)
    assert engine.QUARANTINE_REASONS is intake.QUARANTINE_REASONS
    assert engine.detection_attributes is measurements.detection_attributes
    assert (engine.TENTATIVE, engine.CONFIRMED) == (table.TENTATIVE, table.CONFIRMED)
    for name in engine.__all__:
        assert hasattr(engine, name), name


def test_engine_methods_come_from_their_concern_modules() -> None:
    # later changes to management / initiation must land in those modules, not in engine.py
    where = {m: getattr(engine.Engine, m).__module__ for m in
             ("_maintain", "_confirm", "_merge_duplicates", "_count_strong_updates",
              "_initiate", "_init_exclusion", "_triangulate", "_update", "_validate", "step")}
    assert where == {
        "_maintain": "dronewall.tracking.management",
        "_confirm": "dronewall.tracking.management",
        "_merge_duplicates": "dronewall.tracking.management",
        "_count_strong_updates": "dronewall.tracking.management",
        "_initiate": "dronewall.tracking.initiation",
        "_init_exclusion": "dronewall.tracking.initiation",
        "_triangulate": "dronewall.tracking.initiation",
        "_update": "dronewall.tracking.update",
        "_validate": "dronewall.tracking.intake",
        "step": "dronewall.tracking.engine",
    }


def test_no_tracking_module_exceeds_the_size_limit() -> None:
    for f in sorted(Path(trk.__file__).parent.glob("*.py")):
        n = len(f.read_text().splitlines())
        assert n <= MAX_MODULE_LINES, (f.name, n)
