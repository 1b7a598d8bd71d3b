"""Columnar detections (struct of arrays) and the sensor table.

Every sensor kind -- radar, acoustic node, RF detector, EO/IR camera, ADS-B, Remote ID, and the
neutral 2-D benchmark sensor -- reports into the same :class:`DetectionBatch`. Rows are
detections; columns are arrays. The measurement vector ``z`` is NaN-padded to 4 columns and its
meaning depends on ``meas_kind`` (see ``docs/detections.md``):

============  ==========================================  ===================================
meas_kind      z columns                                   frame
============  ==========================================  ===================================
RADAR          range_m, az_rad, el_rad, range_rate_mps     sensor-local ENU (rr may be NaN)
BEARING        az_rad, -, -, -                             sensor-local ENU (acoustic, RF)
AZEL           az_rad, el_rad, -, -                        sensor-local ENU (EO/IR)
POSITION       x_m, y_m, z_m, -                            ECEF (cooperative GNSS reports)
XY             x_m, y_m, -, -                              engine frame, 2-D (benchmark format)
============  ==========================================  ===================================

Azimuth is clockwise from local north, ``az = atan2(east, north)`` in (-pi, pi]; elevation is
above the local horizontal plane. ``R`` is the (M, 4, 4) measurement covariance in the same
units (unused rows/columns are zero).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import IntEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dronewall.geo import ecef_to_enu_rotation, geodetic_to_ecef


class MeasKind(IntEnum):
    """What the measurement vector of a detection means."""

    RADAR = 0
    BEARING = 1
    AZEL = 2
    POSITION = 3
    XY = 4


#: Number of meaningful z columns per measurement kind (RADAR: 3 or 4, rr may be NaN).
MEAS_DIM: dict[MeasKind, int] = {
    MeasKind.RADAR: 4,
    MeasKind.BEARING: 1,
    MeasKind.AZEL: 2,
    MeasKind.POSITION: 3,
    MeasKind.XY: 2,
}


class SensorKind(IntEnum):
    """Physical kind of sensor (what produced a detection)."""

    RADAR = 0
    ACOUSTIC = 1
    RF = 2
    EOIR = 3
    ADSB = 4
    REMOTE_ID = 5
    XY = 6


#: Measurement kind produced by each sensor kind.
SENSOR_MEAS: dict[SensorKind, MeasKind] = {
    SensorKind.RADAR: MeasKind.RADAR,
    SensorKind.ACOUSTIC: MeasKind.BEARING,
    SensorKind.RF: MeasKind.BEARING,
    SensorKind.EOIR: MeasKind.AZEL,
    SensorKind.ADSB: MeasKind.POSITION,
    SensorKind.REMOTE_ID: MeasKind.POSITION,
    SensorKind.XY: MeasKind.XY,
}


F64 = NDArray[np.float64]


@dataclass(frozen=True)
class SensorTable:
    """Sensors known to the engine, as arrays (S rows).

    ``ecef`` (S, 3) m and ``rot`` (S, 3, 3) ECEF->local ENU are derived from the WGS84
    position. Cooperative receivers (ADS-B, Remote ID) and the XY benchmark sensor have a
    position too (their receiver site) but their measurements do not depend on it.
    """

    ids: NDArray[np.object_]
    kind: NDArray[np.int8]
    lat_deg: F64
    lon_deg: F64
    alt_m: F64
    ecef: F64
    rot: F64

    @classmethod
    def build(cls, ids: list[str], kinds: list[SensorKind] | NDArray[np.int8],
              lat_deg: Any, lon_deg: Any, alt_m: Any) -> SensorTable:
        lat = np.asarray(lat_deg, dtype=np.float64).reshape(-1)
        lon = np.asarray(lon_deg, dtype=np.float64).reshape(-1)
        alt = np.asarray(alt_m, dtype=np.float64).reshape(-1)
        if len({len(ids), lat.size, lon.size, alt.size, len(kinds)}) != 1:
            raise ValueError("SensorTable.build: all columns must have the same length")
        if len(set(ids)) != len(ids):
            raise ValueError("SensorTable.build: sensor ids must be unique")
        return cls(
            ids=np.array(ids, dtype=object),
            kind=np.asarray(kinds, dtype=np.int8),
            lat_deg=lat, lon_deg=lon, alt_m=alt,
            ecef=geodetic_to_ecef(lat, lon, alt).reshape(-1, 3),
            rot=ecef_to_enu_rotation(lat, lon).reshape(-1, 3, 3),
        )

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def index(self) -> dict[str, int]:
        """Map sensor id -> row."""
        return {s: i for i, s in enumerate(self.ids.tolist())}


@dataclass(frozen=True)
class DetectionBatch:
    """Detections as columns (M rows). Times in seconds since the scenario epoch.

    Attribute columns use a sentinel when absent: ``class_label`` / ``rf_protocol`` -1,
    ``identity`` / ``callsign`` empty string, ``rcs_dbsm`` / ``snr_db`` NaN.
    ``truth_id`` is ground truth for analysis only (-1 = false alarm / unknown); trackers must
    not read it.
    """

    t: F64                       # (M,) s since epoch
    sensor: NDArray[np.int32]    # (M,) row in the SensorTable
    meas_kind: NDArray[np.int8]  # (M,) MeasKind
    z: F64                       # (M, 4) NaN padded, see module docstring
    R: F64                       # (M, 4, 4)
    class_label: NDArray[np.int16]   # (M,) EO/IR or acoustic class code, -1 none
    rf_protocol: NDArray[np.int16]   # (M,) RF protocol code, -1 none
    identity: NDArray[np.object_]    # (M,) ICAO24 hex / Remote ID serial, "" none
    callsign: NDArray[np.object_]    # (M,) ADS-B callsign, "" none
    rcs_dbsm: F64                    # (M,) radar cross section estimate dBsm, NaN none
    snr_db: F64                      # (M,) SNR dB, NaN none
    aux: F64                         # (M, 3) extra vector (Remote ID operator ECEF), NaN none
    truth_id: NDArray[np.int32]      # (M,) analysis only

    def __len__(self) -> int:
        return int(self.t.shape[0])

    @classmethod
    def empty(cls) -> DetectionBatch:
        return cls.create(t=np.zeros(0), sensor=np.zeros(0, np.int32),
                          meas_kind=np.zeros(0, np.int8), z=np.zeros((0, 4)))

    @classmethod
    def create(cls, *, t: Any, sensor: Any, meas_kind: Any, z: Any, R: Any = None,
               class_label: Any = None, rf_protocol: Any = None, identity: Any = None,
               callsign: Any = None, rcs_dbsm: Any = None, snr_db: Any = None,
               aux: Any = None, truth_id: Any = None) -> DetectionBatch:
        """Build a batch, filling absent attribute columns with their sentinels.

        ``z`` may have fewer than 4 columns (padded with NaN); ``R`` may be (M, d, d) with
        d <= 4 (padded with zeros) or None (zeros).
        """
        t = np.asarray(t, dtype=np.float64).reshape(-1)
        m = t.shape[0]
        z_arr = np.asarray(z, dtype=np.float64)
        z_in = (z_arr.reshape(m, -1) if m
                else z_arr.reshape(0, z_arr.shape[-1] if z_arr.ndim == 2 else 4))
        z4 = np.full((m, 4), np.nan)
        z4[:, : z_in.shape[1]] = z_in
        r4 = np.zeros((m, 4, 4))
        if R is not None:
            r_in = np.asarray(R, dtype=np.float64)
            d = r_in.shape[-1] if r_in.ndim >= 2 else 0
            if m and d:
                r4[:, :d, :d] = r_in.reshape(m, d, d)

        def col(v: Any, fill: Any, dtype: Any) -> NDArray[Any]:
            if v is None:
                return np.full(m, fill, dtype=dtype)
            a = np.asarray(v, dtype=dtype)
            return np.broadcast_to(a, (m,)).copy() if a.ndim == 0 else a.reshape(m)

        def index_col(v: Any) -> NDArray[np.int32]:
            """Sensor index column: an index that does not fit int32 (a corrupt message, e.g.
            2**40) becomes -1, which the engine quarantines as ``unknown_sensor``."""
            if v is None:
                return np.zeros(m, np.int32)
            a = np.asarray(v)
            if a.dtype.kind in "iu" and a.dtype.itemsize <= 4 and a.dtype != np.uint32:
                return col(a, 0, np.int32)
            a64 = np.asarray(v, dtype=np.float64) if a.dtype.kind not in "iu" else a
            a64 = np.broadcast_to(a64, (m,)) if a64.ndim == 0 else a64.reshape(m)
            with np.errstate(invalid="ignore"):
                fits = (a64 >= -(2**31)) & (a64 < 2**31)
            out = np.full(m, -1, np.int32)
            out[fits] = a64[fits].astype(np.int64)
            return out

        aux_a = (np.full((m, 3), np.nan) if aux is None or m == 0
                 else np.asarray(aux, np.float64).reshape(m, 3))
        return cls(
            t=t,
            sensor=index_col(sensor),
            meas_kind=col(meas_kind, 0, np.int8),
            z=z4, R=r4,
            class_label=col(class_label, -1, np.int16),
            rf_protocol=col(rf_protocol, -1, np.int16),
            identity=col(identity, "", object),
            callsign=col(callsign, "", object),
            rcs_dbsm=col(rcs_dbsm, np.nan, np.float64),
            snr_db=col(snr_db, np.nan, np.float64),
            aux=aux_a,
            truth_id=col(truth_id, -1, np.int32),
        )

    @staticmethod
    def concat(batches: list[DetectionBatch]) -> DetectionBatch:
        batches = [b for b in batches if len(b)]
        if not batches:
            return DetectionBatch.empty()
        if len(batches) == 1:
            return batches[0]
        return DetectionBatch(**{
            f.name: np.concatenate([getattr(b, f.name) for b in batches])
            for f in fields(DetectionBatch)
        })

    def take(self, idx: Any) -> DetectionBatch:
        """Rows ``idx`` (index array or boolean mask) as a new batch."""
        return DetectionBatch(**{f.name: getattr(self, f.name)[idx]
                                 for f in fields(DetectionBatch)})

    def sorted_by_time(self) -> DetectionBatch:
        """Stable sort by time (ties keep their arrival order)."""
        return self.take(np.argsort(self.t, kind="stable"))
