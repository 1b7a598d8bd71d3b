"""Evaluation metrics (GOSPA, tracking quality) computed from plain per-scan arrays."""

from dronewall.metrics.gospa import GospaResult, gospa
from dronewall.metrics.tracking import ScanData, TrackingMetrics, tracking_metrics

__all__ = ["GospaResult", "ScanData", "TrackingMetrics", "gospa", "tracking_metrics"]
