"""How each crossing event is known: the entries and exits the monitor declares, annotated
as they happen (a mixin of :class:`.evidence.EvidenceAnnotator`) so that the operator is told
at once what the violation record will state -- an entry's evidence and window, an observed
exit's 95 % window."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import numpy as np

from dronewall.airspace.crossing import crossing_window
from dronewall.airspace.event_builder import num
from dronewall.airspace.events import AirspaceEvent, Entry, Exit, Violation
from dronewall.airspace.operators import RemoteIdOperators
from dronewall.airspace.track_quality import TrackInfo
from dronewall.airspace.windows import outwards, utc_window


def operator_fields(got: tuple[list[float], float] | None) -> dict[str, object]:
    """The pilot position a Remote ID broadcast claimed, as violation / entry fields."""
    return {} if got is None else {"operator_point": got[0], "operator_t_s": got[1]}


class CrossingNotes:
    """Mixin: :meth:`annotate` and the observed-exit windows of ``EvidenceAnnotator``."""

    info: dict[int, TrackInfo]
    entry_win: dict[tuple[int, str], Any]
    exit_fix: dict[tuple[int, str], Any]
    operators: RemoteIdOperators
    epoch: datetime
    _t_start: float
    _dt: float
    _zone_geom: dict[str, Any]

    def annotate(self, e: AirspaceEvent) -> AirspaceEvent:
        """An entry or exit of this step (after :meth:`observe`) with how its crossing is
        known, so that the operator is told at once what the violation record will state: an
        entry's evidence and window (the one its violation states), how long an observed
        entry rested on the track's prediction (``predicted_for_s``) and, for one first
        detected inside, how long after the picture began (``after_start_s``); an observed
        exit's 95 % window (interpolated, a sensor update at or after the crossing). Other
        events, and an exit only the track's coasted prediction made, are returned as they
        are."""
        key = (int(e.track_id), e.zone_id)
        if isinstance(e, Entry) and key in self.entry_win:
            t_in, w, covered, p95 = self.entry_win[key]
            upd = self.info[key[0]].upd_t if key[0] in self.info else np.nan
            return replace(e, evidence="observed_crossing" if e.interpolated
                           else "first_detected_inside",
                           window_t_s=outwards(w), window_utc=utc_window(self.epoch, w),
                           point_95_m=None if p95 is None else num(np.ceil(p95), 0),
                           covered_before_s=None if covered is None else num(covered, 0),
                           predicted_for_s=num(t_in - upd, 1) if e.interpolated
                           and upd < t_in else None,
                           after_start_s=None if e.interpolated
                           or not np.isfinite(self._t_start) else num(t_in - self._t_start, 1),
                           **operator_fields(self.operators.of(
                               self.info[key[0]].identity if key[0] in self.info else None)))
        if isinstance(e, Exit):
            got = self._observed_exit(key, e.t_s, e.lat, e.lon, e.interpolated,
                                      self.info.get(key[0]))
            if got is None:
                return e
            w, p95 = got
            return replace(e, window_t_s=outwards(w), window_utc=utc_window(self.epoch, w),
                           point_95_m=None if p95 is None else num(np.ceil(p95), 0))
        return e

    def _exit_window(self, v: Violation, key: tuple[int, str], inf: TrackInfo
                     ) -> tuple[float, float] | None:
        """95 % window of an exit that ended the episode ``v`` and the sensors observed
        (:meth:`_observed_exit`), s; None for any other end -- among them an exit only the
        track's coasted prediction made (layered raid, seed 1: a drone that hit its target
        inside the zone, its track coasting out 7 s later): nobody saw it leave."""
        if v.end_reason != "exit":
            return None
        pt = v.exit_point
        got = self._observed_exit(key, v.exit_t_s, pt[0], pt[1], v.exit_interpolated, inf)
        return None if got is None else got[0]

    def _observed_exit(self, key: tuple[int, str], t_x: float | None, lat: float | None,
                       lon: float | None, interpolated: bool, inf: TrackInfo | None
                       ) -> tuple[tuple[float, float], float | None] | None:
        """The 95 % window (s) and point uncertainty along the boundary (m) of the exit of
        ``key`` at ``t_x`` s, (lat, lon) deg -- when the sensors observed it: interpolated
        between two positions, and a sensor updated the track at or after the crossing
        (outside); else None. The fix stored at the exit is kept: the exit event and the
        violation it ends both state the window."""
        fix = self.exit_fix.get(key)
        if (fix is None or inf is None or not interpolated or t_x is None
                or not inf.upd_t >= float(t_x)):
            return None
        return crossing_window(self._zone_geom.get(key[1]), lat, lon, float(t_x),
                               0.5 * self._dt, fix[0], fix[2], fix[1])
