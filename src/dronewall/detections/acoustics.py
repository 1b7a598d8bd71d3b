"""Outdoor sound propagation shared by the acoustic sensor model and classification.

An acoustic node reports the received sound level RL (dB re 20 uPa, band of the engine/rotor
harmonics) of what it detects. Knowing the range R to the source (from the track), the source
level follows by undoing the propagation loss:

    TL(R) = 20 log10(R / 1 m) + alpha R          spherical spreading + atmospheric absorption
    SL    = RL + TL(R)                            dB re 20 uPa @ 1 m

The source level is a physical property of the platform (engine power, propeller), unlike the
received level, so it separates e.g. a 50 hp Shahed-class engine from a small decoy engine.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]

#: Atmospheric absorption (dB/m) [P-d]: ISO 9613-1 pure-tone coefficients at 10 degC, 70 % RH
#: are ~0.4 dB/km at 125 Hz, ~1.0 at 250 Hz, ~1.9 at 500 Hz, ~3.7 at 1 kHz; the engine
#: harmonics a classifier uses lie around 100 Hz-1 kHz, so 2 dB/km is taken [E].
ABSORPTION_DB_PER_M = 0.002


def transmission_loss_db(range_m: F64 | float,
                         alpha_db_per_m: float = ABSORPTION_DB_PER_M) -> F64:
    """TL (dB) at slant range ``range_m`` (m, floored at 1 m): 20 log10(R) + alpha R."""
    r = np.maximum(np.asarray(range_m, dtype=np.float64), 1.0)
    return 20.0 * np.log10(r) + alpha_db_per_m * r


def audible_range_m(budget_db: F64, alpha_db_per_m: float = ABSORPTION_DB_PER_M) -> F64:
    """Range R (m) solving ``20 log10(R) + alpha R = budget_db`` (R >= 1 m; 1 m if budget <= 0).

    Newton iterations on the monotone left side, started from the no-absorption solution (an
    upper bound), converge from above in a few steps.
    """
    b = np.asarray(budget_db, dtype=np.float64)
    r = 10.0 ** (np.maximum(b, 0.0) / 20.0)
    for _ in range(30):
        f = 20.0 * np.log10(r) + alpha_db_per_m * r - b
        fp = 20.0 / (np.log(10.0) * r) + alpha_db_per_m
        r_new = np.maximum(r - f / fp, 1.0)
        if np.all(np.abs(r_new - r) <= 1e-6 * r):
            r = r_new
            break
        r = r_new
    return np.where(b <= 0.0, 1.0, r)
