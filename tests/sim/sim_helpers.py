"""Shared helpers for the truth-simulator tests: build scenarios from small YAML snippets."""

from __future__ import annotations

import textwrap

import numpy as np

from dronewall.scenario import Scenario, parse_scenario
from dronewall.sim.truth import TruthSimulator


def scenario_yaml(body: str, duration_s: float = 600.0, step_s: float = 1.0, seed: int = 7,
                  origin: tuple[float, float] = (51.5, 23.0)) -> str:
    """A minimal scenario around ``body`` (YAML for traffic:/jamming:, unindented)."""
    head = textwrap.dedent(f"""\
        name: sim-test
        seed: {seed}
        time: {{start: "2026-03-01T01:00:00Z", duration_s: {duration_s}, step_s: {step_s}}}
        origin: {{lat_deg: {origin[0]}, lon_deg: {origin[1]}}}
        """)
    return head + textwrap.dedent(body)


def build(body: str, duration_s: float = 600.0, step_s: float = 1.0, seed: int = 7,
          **kw: object) -> tuple[Scenario, TruthSimulator]:
    sc = parse_scenario(scenario_yaml(body, duration_s, step_s, seed))
    return sc, TruthSimulator(sc, np.random.default_rng(sc.seed), **kw)  # type: ignore[arg-type]


