"""``dronewall validate`` goes as far as ``simulate`` does before its first step.

Loading a scenario checks the file, its schema and its resource budget
(:mod:`dronewall.scenario.budget`). :func:`preflight` then builds what ``simulate`` builds
before the first step -- the zone set (zone files fully parsed, repaired, indexed), the sensor
suite (acoustic grids expanded) and the truth simulator (traffic expanded into platforms) --
so a scenario that ``validate`` accepts does not fail later when ``simulate`` starts. Nothing is
simulated and nothing is written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dronewall.errors import ConfigurationError
from dronewall.scenario import Scenario


def preflight(sc: Scenario, base_dir: Path | None) -> None:
    """Build zones, sensors and truth of ``sc`` (zone files relative to ``base_dir``); raises
    the same InputError that ``simulate`` would."""
    from dronewall.pipeline.airspace import scenario_zones
    from dronewall.sensors import SensorSuite
    from dronewall.sim.truth import TruthSimulator

    scenario_zones(sc, base_dir)
    rng = np.random.default_rng(0)
    try:
        SensorSuite.from_scenario(sc, rng)
        TruthSimulator(sc, rng)
    except (ValueError, ZeroDivisionError) as e:   # a model refusing a valid-looking value
        raise ConfigurationError(f"scenario {sc.name!r}: {str(e)[:300]}") from None
