"""Building the monitor's events from the pair table: the one place events are made.

Events are typed records (:mod:`dronewall.airspace.events`; JSON schema in
``docs/airspace.md``, via ``to_dict``): ``warning`` (predicted to enter),
``entry`` / ``exit`` (declared with hysteresis; times and points are the interpolated boundary
crossings) and ``violation`` (one closed or ongoing episode). Floats are rounded (times 3
decimals, lat/lon 7, metres 1, probabilities 4) and non-finite values become None (JSON null).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from dronewall.airspace.config import confidence_label
from dronewall.airspace.events import AirspaceEvent, Entry, Exit, Violation
from dronewall.airspace.events import Warning as ZoneWarning
from dronewall.airspace.geometry import normal_cdf
from dronewall.airspace.state import PairTable
from dronewall.airspace.zones import ZoneSet

#: Order of events at the same time for the same track and zone.
EVENT_RANK = {"warning": 0, "entry": 1, "exit": 2, "violation": 3}


def num(v: float, nd: int) -> float | None:
    """JSON-safe rounded float (None for NaN / inf)."""
    v = float(v)
    return round(v, nd) if np.isfinite(v) else None


def _id_sort_key(v: Any) -> tuple[int, Any]:
    return (0, v) if isinstance(v, (int, float)) else (1, str(v))


def sort_events(events: list[AirspaceEvent]) -> list[AirspaceEvent]:
    """Deterministic order: time, track, zone, event rank (warning, entry, exit, violation)."""
    return sorted(events, key=lambda e: (e.t_s, _id_sort_key(e.track_id), e.zone_id,
                                         EVENT_RANK[e.kind]))


def iso_time(epoch: datetime, t_s: float) -> str:
    """ISO-8601 UTC (millisecond) time of ``t_s`` seconds after ``epoch``."""
    dt = epoch.astimezone(UTC) + timedelta(seconds=float(t_s))
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class EventBuilder:
    """Event dicts for pair-table row ``j`` (``key = row * Z + zone``); ``ids``: track id of
    each track row. Times are seconds after ``epoch``."""

    def __init__(self, zones: ZoneSet, epoch: datetime, n_zone_slots: int) -> None:
        self.zones = zones
        self.epoch = epoch
        self._Z = n_zone_slots

    def iso(self, t_s: float) -> str:
        return iso_time(self.epoch, t_s)

    def _common(self, T: PairTable, ids: list[Any], j: int) -> dict[str, Any]:
        key = int(T["key"][j])
        r, z = divmod(key, self._Z)
        zone = self.zones.zones[z]
        return {"track_id": ids[r], "zone_id": zone.id, "zone_kind": zone.kind,
                "zone_name": zone.name, "country": zone.country}

    def _country(self, code: int) -> str:
        return self.zones.countries[code] if code >= 0 else ""

    def entry(self, T: PairTable, ids: list[Any], j: int, p: float, t: float) -> Entry:
        """Entry declared at ``t`` with inside probability ``p`` this scan."""
        et = float(T["ent_t"][j])
        return Entry(**self._common(T, ids, j), time=self.iso(et), t_s=num(et, 3),
                     lat=num(T["ent_lat"][j], 7), lon=num(T["ent_lon"][j], 7),
                     alt_m=num(T["ent_alt"][j], 1), p_inside=num(p, 4), declared_t_s=num(t, 3),
                     interpolated=bool(T["ent_interp"][j]),
                     from_country=self._country(int(T["ent_from"][j])))

    def exit(self, T: PairTable, ids: list[Any], j: int, p: float, t: float) -> Exit:
        """Exit declared at ``t`` (at the pending exit crossing, else at ``t``)."""
        xt = float(T["ex_t"][j]) if np.isfinite(T["ex_t"][j]) else t
        return Exit(**self._common(T, ids, j), time=self.iso(xt), t_s=num(xt, 3),
                    lat=num(T["ex_lat"][j], 7), lon=num(T["ex_lon"][j], 7),
                    alt_m=num(T["ex_alt"][j], 1), p_inside=num(p, 4), declared_t_s=num(t, 3),
                    interpolated=bool(T["ex_interp"][j]))

    def warning(self, T: PairTable, ids: list[Any], j: int, t: float, tau: float, plat: float,
                plon: float) -> ZoneWarning:
        """Predicted to cross into the zone ``tau`` s after ``t`` at (``plat``, ``plon``)."""
        return ZoneWarning(**self._common(T, ids, j), time=self.iso(t), t_s=num(t, 3),
                           predicted_crossing_time=self.iso(t + tau),
                           predicted_crossing_t_s=num(t + tau, 3),
                           time_to_crossing_s=num(tau, 2), predicted_lat=num(plat, 7),
                           predicted_lon=num(plon, 7))

    def violation(self, T: PairTable, ids: list[Any], j: int, reason: str,
                  ongoing: bool) -> Violation:
        """The episode of row ``j`` (entry to exit) with its accumulators; ``reason``: why it
        ended (exit, exit_unconfirmed, track_lost, finish)."""
        et, xt = float(T["ent_t"][j]), float(T["ex_t"][j])
        md, ms = float(T["max_depth"][j]), float(T["md_sigma"][j])
        p_deep = float(normal_cdf(np.array([md / ms]))[0]) if np.isfinite(md / ms) else 0.0
        pv = float(T["md_pvert"][j])
        p_deep *= pv if np.isfinite(pv) else 1.0   # ... and inside the altitude band there
        p_ep = float(T["p_ep"][j])
        return Violation(
            **self._common(T, ids, j),
            time=self.iso(xt), t_s=num(xt, 3),
            from_country=self._country(int(T["ent_from"][j])),
            entry_time=self.iso(et), exit_time=self.iso(xt),
            entry_t_s=num(et, 3), exit_t_s=num(xt, 3),
            entry_point=[num(T["ent_lat"][j], 7), num(T["ent_lon"][j], 7)],
            exit_point=[num(T["ex_lat"][j], 7), num(T["ex_lon"][j], 7)],
            entry_interpolated=bool(T["ent_interp"][j]),
            exit_interpolated=bool(T["ex_interp"][j]),
            duration_s=num(xt - et, 3),
            max_depth_m=num(md, 1),
            max_depth_point=[num(T["md_lat"][j], 7), num(T["md_lon"][j], 7)],
            sigma_at_max_depth_m=num(ms, 1),
            path_length_m=num(T["path"][j], 1),
            min_alt_m=num(T["min_alt"][j], 1), max_alt_m=num(T["max_alt"][j], 1),
            max_speed_mps=num(T["max_speed"][j], 2),
            p_inside=num(p_deep, 4), p_episode=num(p_ep, 4),
            confidence=confidence_label(p_ep),
            ongoing=bool(ongoing), end_reason=reason, n_scans=int(T["n_scans"][j]),
            sigma_alt_m=num(T["max_sig_alt"][j], 1),
        )
