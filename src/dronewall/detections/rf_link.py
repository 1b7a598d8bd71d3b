"""Passive RF detection of a drone link, shared by the RF sensor model and classification.

Detection probability of an RF direction finder on an emitter at range R: log-normal shadowing
around a free-space link budget gives a probit in log R, approximated by a logistic of scale
``s`` in ln R:

    Pd(R) = pd_max / (1 + exp((ln R - ln R_mid) / s)),  ln R_mid = ln range_m - s ln(2 pd_max - 1)

so that ``Pd(range_m) = 0.5`` exactly (the scenario schema's meaning of ``range_m``); this needs
``pd_max > 0.5``. Line of sight is required (4/3-earth horizon).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]

#: Log-normal shadowing std (dB) of the received emitter power around the free-space
#: prediction [E]; typical 4-8 dB for ground receivers of low-altitude emitters.
SHADOWING_SIGMA_DB = 6.0
#: Logistic scale ``s`` in ln-range: a probit with std SHADOWING_SIGMA_DB / (20 / ln 10) in
#: ln R (free space: 20 dB per decade), matched by a logistic of scale sigma * sqrt(3) / pi.
LOG_RANGE_SCALE = SHADOWING_SIGMA_DB / (20.0 / np.log(10.0)) * np.sqrt(3.0) / np.pi


def rf_pd(range_m: F64, range50_m: F64 | float, pd_max: F64 | float) -> F64:
    """Pd of an RF detector on an emitter at ``range_m`` (see module docstring)."""
    ln_mid = np.log(range50_m) - LOG_RANGE_SCALE * np.log(2.0 * np.asarray(pd_max) - 1.0)
    x = (np.log(np.maximum(range_m, 1.0)) - ln_mid) / LOG_RANGE_SCALE
    return np.asarray(pd_max) / (1.0 + np.exp(np.minimum(x, 700.0)))


def rf_range_at_pd(pd: float, range50_m: F64 | float, pd_max: F64 | float) -> F64:
    """The range, m, at which :func:`rf_pd` falls to ``pd`` (0 < pd < pd_max)."""
    pm = np.asarray(pd_max, dtype=np.float64)
    ln_mid = np.log(range50_m) - LOG_RANGE_SCALE * np.log(2.0 * pm - 1.0)
    return np.asarray(np.exp(ln_mid + LOG_RANGE_SCALE * np.log(pm / pd - 1.0)))
