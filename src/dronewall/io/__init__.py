"""Readers and writers for truth, detections and tracks (CSV or Parquet via pyarrow)."""

from dronewall.io.tables import TableWriter, detection_columns

__all__ = ["TableWriter", "detection_columns"]
