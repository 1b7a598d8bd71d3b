"""Streaming table writers (CSV or Parquet), so memory stays flat for long runs.

Rows are appended as dicts of equal-length column arrays and flushed in chunks. Output is
deterministic: the same rows give byte-identical files (pyarrow writes the shortest
round-trip representation of floats in CSV).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dronewall.detections import DetectionBatch, SensorKind, SensorTable

#: Rows buffered before a chunk is written (bounded memory, few large writes).
FLUSH_ROWS = 200_000

_R_UPPER = [(i, j) for i in range(4) for j in range(i, 4)]


class TableWriter:
    """Append column chunks, write ``<path>.csv`` or ``<path>.parquet`` incrementally."""

    def __init__(self, path: Path, fmt: str = "csv") -> None:
        if fmt not in ("csv", "parquet"):
            raise ValueError(f"unknown table format {fmt!r}")
        self.path = Path(path).with_suffix("." + fmt)
        self.fmt = fmt
        self._chunks: list[pa.Table] = []
        self._rows = 0
        self._writer: Any = None
        self._schema: pa.Schema | None = None
        self.total_rows = 0

    def append(self, columns: dict[str, Any]) -> None:
        n = len(next(iter(columns.values())))
        if n == 0:
            return
        tbl = pa.table({k: pa.array(np.asarray(v) if not isinstance(v, list) else v)
                        for k, v in columns.items()})
        if self._schema is None:
            self._schema = tbl.schema
        else:
            tbl = tbl.cast(self._schema)
        self._chunks.append(tbl)
        self._rows += n
        self.total_rows += n
        if self._rows >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self._chunks:
            return
        tbl = pa.concat_tables(self._chunks)
        self._chunks, self._rows = [], 0
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.fmt == "csv":
                self._writer = pacsv.CSVWriter(str(self.path), tbl.schema)
            else:
                self._writer = pq.ParquetWriter(str(self.path), tbl.schema, compression="zstd")
        self._writer.write_table(tbl)

    def close(self, empty_columns: dict[str, pa.DataType] | None = None) -> Path:
        """Flush and close. With no rows at all, writes a header-only file from
        ``empty_columns``."""
        self.flush()
        if self._writer is None and empty_columns is not None:
            schema = pa.schema(list(empty_columns.items()))
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.fmt == "csv":
                pacsv.write_csv(schema.empty_table(), str(self.path))
            else:
                pq.write_table(schema.empty_table(), str(self.path))
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        return self.path


def detection_columns(det: DetectionBatch, sensors: SensorTable) -> dict[str, Any]:
    """The documented file layout of detections (see ``docs/detections.md``)."""
    kind_names = np.array([k.name.lower() for k in SensorKind], dtype=object)
    cols: dict[str, Any] = {
        "t_s": det.t,
        "sensor_id": sensors.ids[det.sensor].astype(str).tolist(),
        "sensor_kind": kind_names[sensors.kind[det.sensor]].astype(str).tolist(),
        "meas_kind": det.meas_kind.astype(np.int8),
    }
    for i in range(4):
        cols[f"z{i}"] = det.z[:, i]
    for i, j in _R_UPPER:
        cols[f"r{i}{j}"] = det.R[:, i, j]
    cols.update({
        "class_label": det.class_label,
        "rf_protocol": det.rf_protocol,
        "identity": det.identity.astype(str).tolist(),
        "callsign": det.callsign.astype(str).tolist(),
        "rcs_dbsm": det.rcs_dbsm,
        "snr_db": det.snr_db,
        "aux0": det.aux[:, 0], "aux1": det.aux[:, 1], "aux2": det.aux[:, 2],
        "truth_id": det.truth_id,
    })
    return cols
