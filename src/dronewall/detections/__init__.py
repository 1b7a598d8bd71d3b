"""The one columnar detection format shared by every sensor kind, and the sensor table."""

from dronewall.detections.batch import (
    MEAS_DIM,
    DetectionBatch,
    MeasKind,
    SensorKind,
    SensorTable,
)

__all__ = ["MEAS_DIM", "DetectionBatch", "MeasKind", "SensorKind", "SensorTable"]
