"""Where a drone's pilot was: what its control link says, for a drone inside own airspace.

A drone first found inside own airspace was not seen crossing; the record says so and leads
the track back to the border (:mod:`.windows`). Who flew it is the investigator's next
question -- a foreign operator, or one inside the country. For a drone flown over a radio
link the link answers part of it: a DJI-class control and video link reaches about 15 km [E],
an FPV's analogue video a few to ~15 km [P] (``../shared/research/costs-and-wta.md`` s.1). A
track on which an RF finder heard such a link at ``MIN_LINK_REPORTS`` different times or more,
and that was each time farther inside the zone than the link reaches, was flown by a pilot
inside the zone -- whatever the drone's route, the controller had to be within the link's
reach of it whenever it was heard. Only reports on a track called a multirotor at that step
count (the class that flies these links, DJI-class and FPV alike): a passing drone's or a
bird's track that took a few bearings of a quadcopter's link nearby is no link of its own
(flagship raid seed 1: four Shahed and Gerbera tracks took 4-16 of the recon quadcopters'
DJI bearings as they flew by). The record keeps its label and listing (whether it broke
the airspace rules is the zone's matter); it carries the link's evidence
(``Violation.pilot_link``) and, when the pilot was inside, says so among its confidence
reasons. Links that reach farther (a reconnaissance UAV's datalink, a cellular modem) say
nothing of where the pilot is and are not counted. What the link cannot show is a pre-programmed
flight with the link off; then nothing is claimed.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from dronewall.airspace.event_builder import num
from dronewall.airspace.events import Violation
from dronewall.airspace.scan import zone_distance, zone_part_start
from dronewall.airspace.zones import ZoneSet
from dronewall.catalog.platforms import PlatformClass, RFProtocol
from dronewall.geo.frames import geodetic_to_ecef

#: How far a link reaches, m, by the protocol an RF finder names (costs-and-wta.md s.1: DJI-class
#: link ~15 km [E]; FPV video "a few to ~15 km" [P]). The upper figure: the claim "its pilot
#: was inside" must hold for the longest link of the kind.
LINK_REACH_M: dict[int, float] = {int(RFProtocol.DJI_OCUSYNC): 15_000.0,
                                  int(RFProtocol.ANALOG_VIDEO_5G8): 15_000.0}
LINK_NAMES: dict[int, str] = {int(RFProtocol.DJI_OCUSYNC): "DJI OcuSync link",
                              int(RFProtocol.ANALOG_VIDEO_5G8): "5.8 GHz analogue video"}
#: A link counts once heard on the track at this many different times: one stray bearing that
#: the tracker associated with a bird's track is no link of it.
MIN_LINK_REPORTS = 3
#: How the confidence-reason line on the pilot begins.
REASON_PREFIX = "flown from inside"


class PilotLinks:
    """Per (track, sovereign zone): the short-reach link reports heard on the track while it
    was inside the zone -- how many, the protocol, and the least depth (distance to the zone's
    boundary, m) at which one was heard. A track out of the picture for ``retain_s`` is
    forgotten (its records were completed when it was lost)."""

    def __init__(self, zones: ZoneSet, retain_s: float = 600.0) -> None:
        self.zones = zones
        self.retain_s = float(retain_s)
        self._part_start = zone_part_start(zones)
        # (track, zone id) -> [reports, least depth m, protocol code, last time present s]
        self._seen: dict[tuple[int, str], list[float]] = {}

    def observe(self, t: float, ids: NDArray[np.int64], lat: NDArray[np.float64],
                lon: NDArray[np.float64], rf_code: NDArray[np.float64],
                fresh: NDArray[np.bool_], map_class: NDArray[np.int64] | None) -> None:
        """One step of the picture: ``rf_code`` (N,) the RF protocol last heard on each track
        (NaN / -1: none), ``fresh`` (N,) whether it was heard this step, ``map_class`` (N,)
        the tracks' MAP classes (None: not classified -- then no report counts)."""
        ids = np.asarray(ids, np.int64)
        if self._seen:
            here = set(ids.tolist())
            for key, rec in list(self._seen.items()):
                if key[0] in here:
                    rec[3] = t
                elif t - rec[3] > self.retain_s:
                    del self._seen[key]
        code = np.nan_to_num(np.asarray(rf_code, dtype=np.float64), nan=-1.0).astype(np.int64)
        if map_class is None:
            return
        sel = np.flatnonzero(np.asarray(fresh, dtype=bool) & np.isin(code, list(LINK_REACH_M))
                             & (np.asarray(map_class) == int(PlatformClass.MULTIROTOR)))
        if sel.size == 0 or not self.zones.sovereign.any():
            return
        la, lo = np.asarray(lat, np.float64)[sel], np.asarray(lon, np.float64)[sel]
        pi, pp = self.zones.tree.query(shapely.points(lo, la))
        ins = shapely.contains_xy(self.zones.parts[pp], lo[pi], la[pi])
        pi, pz = pi[ins], self.zones.part_zone[pp[ins]]
        keep = self.zones.sovereign[pz]
        pi, pz = pi[keep], pz[keep]
        if pi.size == 0:
            return
        d = zone_distance(self.zones, self._part_start, pz,
                          geodetic_to_ecef(la[pi], lo[pi], np.zeros(pi.size)))
        for k, z, dm in zip(pi.tolist(), pz.tolist(), d.tolist(), strict=True):
            key = (int(ids[sel[k]]), self.zones.zones[z].id)
            c = float(code[sel[k]])
            rec = self._seen.get(key)
            if rec is None:
                self._seen[key] = [1.0, dm, c, t]
                continue
            rec[0] += 1.0
            rec[1] = min(rec[1], dm)
            if LINK_REACH_M[int(c)] > LINK_REACH_M[int(rec[2])]:
                rec[2] = c

    def record(self, track_id: int, zone_id: str) -> dict[str, Any] | None:
        """The link evidence of a track in a zone (``Violation.pilot_link``), None where no
        short-reach link was heard on it inside the zone ``MIN_LINK_REPORTS`` times."""
        rec = self._seen.get((int(track_id), zone_id))
        if rec is None or rec[0] < MIN_LINK_REPORTS:
            return None
        return link_record(int(rec[2]), int(rec[0]), rec[1])

    def __len__(self) -> int:
        return len(self._seen)


def link_record(code: int, reports: int, least_depth_m: float) -> dict[str, Any]:
    """``protocol`` (words), ``reports``, ``reach_m``, ``least_depth_m`` and ``pilot_inside``
    (the drone was farther inside than the link reaches whenever it was heard)."""
    reach = LINK_REACH_M[code]
    return {"protocol": LINK_NAMES[code], "reports": int(reports), "reach_m": reach,
            "least_depth_m": num(least_depth_m, 0), "pilot_inside": bool(least_depth_m > reach)}


def merge(records: list[dict[str, Any] | None]) -> dict[str, Any] | None:
    """An episode's link evidence from its fragments': reports summed, the least depth of
    all, the pilot inside only if that least depth is beyond the longest reach."""
    rs = [r for r in records if r]
    if not rs:
        return None
    reach = max(float(r["reach_m"]) for r in rs)
    least = min(float(r["least_depth_m"]) for r in rs)
    proto = max(rs, key=lambda r: float(r["reach_m"]))["protocol"]
    return {"protocol": proto, "reports": sum(int(r["reports"]) for r in rs), "reach_m": reach,
            "least_depth_m": least, "pilot_inside": bool(least > reach)}


def reasons(link: dict[str, Any] | None, country: str | None) -> list[str]:
    """The confidence-reason line when the pilot was inside (else none)."""
    if not link or not link.get("pilot_inside"):
        return []
    return [f"{REASON_PREFIX} {country or 'the zone'}: its {link['protocol']}, heard "
            f"{link['reports']} times, reaches ~{float(link['reach_m']) / 1e3:.0f} km and the "
            f"drone was at least {float(link['least_depth_m']) / 1e3:.1f} km inside whenever "
            f"it was heard -- its pilot was inside"]


def annotate(v: Violation, links: PilotLinks) -> Violation:
    """``v`` with its track's link evidence in a sovereign zone (unchanged elsewhere)."""
    if v.zone_kind != "sovereign":
        return v
    link = links.record(int(v.track_id), v.zone_id)
    if link is None:
        return v
    return replace(v, pilot_link=link,
                   confidence_reasons=list(v.confidence_reasons or [])
                   + reasons(link, v.zone_name or v.country))
