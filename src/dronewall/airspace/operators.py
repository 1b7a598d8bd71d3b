"""Where a Remote ID drone's pilot says they are: the operator position its broadcast carries.

A Remote ID broadcast (EU 2019/945 direct remote identification, ASTM F3411) names the drone
and, in its System message, the position of the remote pilot or take-off point. For an
investigator that is the most actionable piece of an airport incident: where to look for the
person. It is a *claim* of the broadcast -- no sensor of the wall fixed it -- and is stated
as such. Detections carry it in ``aux`` (ECEF, m; NaN none; the simulator and
``adapters.remote_id`` fill it), keyed by the drone's identity, which is also the track's.
"""

from __future__ import annotations

import bisect

import numpy as np
from numpy.typing import NDArray

from dronewall.geo.frames import ecef_to_geodetic


class RemoteIdOperators:
    """The operator positions heard per broadcast identity, the latest ``HISTORY`` of each:
    times (s) and (lat_deg, lon_deg)."""

    #: positions kept per identity (a broadcast every 1-3 s: the last few minutes), so that an
    #: episode completed a few steps after it ended states what was heard up to its end
    HISTORY = 256

    def __init__(self) -> None:
        self.heard: dict[str, list[tuple[float, float, float]]] = {}

    def observe(self, t: NDArray[np.float64], identity: NDArray[np.object_],
                aux: NDArray[np.float64]) -> None:
        """One batch of detections: times (M,), identities (M,) and ``aux`` (M, 3)."""
        if len(identity) == 0:
            return
        ok = np.isfinite(aux).all(axis=1)        # cheap: most detections carry no operator
        if not ok.any():
            return
        ok[ok] = identity[ok] != ""
        if not ok.any():
            return
        lat, lon, _ = ecef_to_geodetic(aux[ok])
        for ts, ident, la, lo in zip(np.asarray(t)[ok].tolist(), identity[ok].tolist(),
                                     np.atleast_1d(lat).tolist(), np.atleast_1d(lon).tolist(),
                                     strict=True):
            h = self.heard.setdefault(str(ident), [])
            if h and ts < h[-1][0]:
                continue            # out of order: the history stays sorted by time
            h.append((float(ts), float(la), float(lo)))
            if len(h) > self.HISTORY:
                del h[: len(h) - self.HISTORY]

    def of(self, identity: str | None, t_max: float | None = None
           ) -> tuple[list[float], float] | None:
        """([lat, lon] deg, when heard s) of the identity's latest operator position heard up
        to ``t_max`` (None: any), or None."""
        h = self.heard.get(str(identity)) if identity else None
        if not h:
            return None
        if t_max is not None:
            k = bisect.bisect_right([x[0] for x in h], t_max + 1e-9)
            if k == 0:
                return None
            h = h[:k]
        ts, la, lo = h[-1]
        return [round(la, 6), round(lo, 6)], round(ts, 1)
