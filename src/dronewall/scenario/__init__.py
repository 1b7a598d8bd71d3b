"""Scenario files: schema (``model``) and loading with precise errors (``load``)."""

from dronewall.scenario.load import load_scenario, parse_scenario
from dronewall.scenario.model import Scenario

__all__ = ["Scenario", "load_scenario", "parse_scenario"]
