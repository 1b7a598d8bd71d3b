"""Truth data structures shared by the simulator and the simulated sensors.

``PlatformTable`` is static per scenario run (one row per platform, P rows).
``TruthState`` is the state of all platforms at one instant (struct of arrays).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class PlatformTable:
    """Static attributes of every simulated platform (P rows).

    ``ids`` are ``<traffic spec id>-<k>`` (e.g. ``wave1-0``), ``platform`` the catalogue key,
    ``cls`` the :class:`~dronewall.catalog.PlatformClass`. Signature columns already include
    scenario overrides. Cooperative columns: ``icao24`` / ``callsign`` (ADS-B) and
    ``rid_serial`` (Remote ID) are "" when the platform does not broadcast them.
    """

    ids: NDArray[np.object_]
    group: NDArray[np.object_]
    platform: NDArray[np.object_]
    cls: NDArray[np.int8]
    rcs_m2: F64
    acoustic_sl_db: F64
    acoustic_class: NDArray[np.int16]
    rf_protocol: NDArray[np.int16]
    adsb: NDArray[np.bool_]
    remote_id: NDArray[np.bool_]
    icao24: NDArray[np.object_]
    callsign: NDArray[np.object_]
    rid_serial: NDArray[np.object_]
    gnss_navigated: NDArray[np.bool_]

    def __len__(self) -> int:
        return int(self.ids.shape[0])


@dataclass(frozen=True)
class TruthState:
    """All platforms at time ``t`` (s since the scenario epoch). Arrays have P rows.

    Inactive platforms (not launched yet, or finished) have ``active == False``; their other
    values are the last (or first) known ones and must be ignored by sensors.
    ``vel_enu`` is in each platform's own local ENU frame; ``vel_ecef`` the same vector in ECEF.
    ``operator_ecef`` is the Remote ID operator (pilot) position, NaN when none.
    ``jammed`` marks GNSS-navigated platforms currently inside an active jamming area.
    """

    t: float
    active: NDArray[np.bool_]
    lat_deg: F64
    lon_deg: F64
    alt_m: F64
    ecef: F64  # (P, 3) m
    vel_ecef: F64  # (P, 3) m/s
    vel_enu: F64  # (P, 3) m/s, local ENU
    operator_ecef: F64  # (P, 3) m
    jammed: NDArray[np.bool_]
