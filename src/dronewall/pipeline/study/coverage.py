"""``sensors.json`` of a study: one record per physical sensor with its nominal coverage radius,
for the study report's map."""

from __future__ import annotations

from typing import Any

from dronewall.scenario import Scenario

#: Nominal coverage radii in sensors.json: radar range at which a target of this mean RCS has
#: single-scan Pd 0.5 (a Shahed-class drone is ~0.1-0.5 m2), and the acoustic source level
#: (dB re 20 uPa @ 1 m, a Shahed-class engine) heard with Pd 0.5.
COVERAGE_RCS_M2 = 0.3
COVERAGE_PD = 0.5
COVERAGE_SOURCE_LEVEL_DB = 105.0


def sensor_coverage(sc: Scenario) -> list[dict[str, Any]]:
    """One record per physical sensor (acoustic grids expanded into nodes): id, type, lat, lon,
    nominal coverage radius (m) and how it was obtained (``basis``)."""
    from dronewall.sensors.acoustic import (
        AMBIENT_NOISE_DB,
        PROCESSING_GAIN_DB,
        audible_range_m,
        expand_nodes,
    )
    from dronewall.sensors.radar import snr_for_pd

    recs: list[dict[str, Any]] = []
    for s in sc.sensors:
        t = s.type
        if t in ("acoustic", "acoustic_grid"):
            lay = expand_nodes([s])  # type: ignore[list-item]
            for i, nid in enumerate(lay.ids):
                p = lay.params[i]
                budget = (COVERAGE_SOURCE_LEVEL_DB - AMBIENT_NOISE_DB[p.environment]
                          - p.detection_snr_db + PROCESSING_GAIN_DB)
                recs.append({"id": nid, "type": "acoustic", "group": s.id,
                             "lat": float(lay.lat_deg[i]), "lon": float(lay.lon_deg[i]),
                             "coverage_radius_m": round(float(audible_range_m(budget)), 1),
                             "basis": f"Pd 0.5 on a {COVERAGE_SOURCE_LEVEL_DB:g} dB source "
                                      f"({p.environment})"})
            continue
        if t == "radar":
            snr_ref = snr_for_pd(s.pd_ref, s.pfa, s.swerling)
            snr50 = snr_for_pd(COVERAGE_PD, s.pfa, s.swerling)
            # snr = snr_ref (rcs / rcs_ref) (range_ref / R)^4 = snr50  ->  R
            r = s.range_ref_m * (snr_ref * COVERAGE_RCS_M2 / s.rcs_ref_m2 / snr50) ** 0.25
            radius = min(r, s.max_range_m)
            basis = (f"single-scan Pd {COVERAGE_PD:g} on {COVERAGE_RCS_M2:g} m2, capped by "
                     "max_range_m (radar horizon not applied)")
        elif t == "eoir":
            radius, basis = s.max_range_m, "max_range_m"
        else:  # rf, adsb, remote_id
            radius, basis = s.range_m, "range_m"
        recs.append({"id": s.id, "type": t, "group": s.id, "lat": float(s.position[0]),
                     "lon": float(s.position[1]), "coverage_radius_m": round(float(radius), 1),
                     "basis": basis})
    return recs
