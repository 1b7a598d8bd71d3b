"""Simulated sensors: radar, acoustic nodes and grids, RF detectors, EO/IR cameras, ADS-B and
Remote ID receivers (with spoofing). All report into :class:`dronewall.detections.DetectionBatch`.

Models and sources: ``docs/sensors.md``; the detection format: ``docs/detections.md``.
"""

from dronewall.sensors.common import TRUTH_FALSE_ALARM, TRUTH_SPOOFED
from dronewall.sensors.suite import SensorSuite

__all__ = ["TRUTH_FALSE_ALARM", "TRUTH_SPOOFED", "SensorSuite"]
