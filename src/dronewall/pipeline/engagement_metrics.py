"""Engagement metrics of a simulated run (``summary.json`` ``engagement``; ``docs/outputs.md``),
all from the truth, and the side-by-side doctrine comparison.

* **hostile platforms**: one-way attack drones, decoys, reconnaissance UAVs, and multirotors
  that flew outside own airspace (came from abroad); birds, manned aircraft and local
  multirotors are not hostile;
* ``hostile_one_way``: the one-way drones (attack drones and decoys) flown, those neutralised
  **before they reached a valued zone** (killed before their first entry into a zone with a
  value, or never reaching one), and that share in percent -- the headline of a drone wall;
  ``in_flight_at_end`` the ones still flying when the run ended, short of any valued zone (their
  outcome is open: a run cut before the raid is over is not a wall that held), and
  ``ended_elsewhere`` the ones that ended their flight, undestroyed, outside every valued zone;
* ``leakers``: hostile platforms that entered a valued zone while alive, by class; ``value
  lost``: per leaker, its class lethality x min(most valuable zone entered, the class's damage
  cap) (the threat model's expected damage, ``docs/threat.md``);
* ``spend_eur``: rounds that left (held shots cost nothing), by type; ``cost_exchange_ratio``
  = spend / purchase cost of the hostile platforms destroyed (catalogue ``unit_cost_usd`` at
  ``USD_PER_EUR``); ``spend_per_neutralised_hostile_eur``; ``shots_per_kill``;
* ``waste_eur``: spend on shots at phantom, non-hostile or already destroyed platforms
  (``waste_by_reason``: ``phantom``, ``non_hostile``, ``dead_at_launch``, ``overkill``), and
  its share of the spend;
* decisions: proposals, human approvals, expired proposals, held shots, retasked shots;
* invariants: ``debris_over_populated`` (kinetic engagements planned over a no-fire zone),
  ``kills_over_populated`` / ``kills_over_no_kinetic_zone`` (kinetic kills whose true position
  lies over a no-fire zone / any zone kind the ROE keep kinetic fire from).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dronewall.catalog import PlatformClass
from dronewall.catalog.effectors import USD_PER_EUR

#: Classes that are hostile by nature (multirotors only when they come from abroad).
HOSTILE_CLASSES = (PlatformClass.ATTACK_DRONE, PlatformClass.DECOY, PlatformClass.RECON_UAV,
                   PlatformClass.MULTIROTOR)
#: One-way drones: the raid the wall is built against.
ONE_WAY_CLASSES = (PlatformClass.ATTACK_DRONE, PlatformClass.DECOY)
WASTE_REASONS = ("phantom", "non_hostile", "dead_at_launch", "overkill")

_CLASS = np.array([c.name.lower() for c in PlatformClass], dtype=object)


def engagement_metrics(fx: Any) -> dict[str, Any]:
    """The metrics of a :class:`~dronewall.pipeline.engagement.SimulatedEffects` at the end of
    its run (module docstring)."""
    rows = fx.rows
    killed = np.isfinite(fx.kill_t)
    hostile = fx.hostile()
    spend_by: dict[str, float] = {}
    shots_by: dict[str, int] = {}
    waste_by = dict.fromkeys(WASTE_REASONS, 0.0)
    for r in rows:
        if r["spent_eur"] <= 0 and r["result"] in ("held", "unresolved"):
            continue
        spend_by[r["effector_type"]] = spend_by.get(r["effector_type"], 0.0) + r["spent_eur"]
        shots_by[r["effector_type"]] = shots_by.get(r["effector_type"], 0) + r["shots"]
        if r["waste"]:
            waste_by[r["waste"]] += r["spent_eur"]
    spend = float(sum(spend_by.values()))
    waste = float(sum(waste_by.values()))
    n_shots = int(sum(shots_by.values()))
    kh = killed & hostile
    n_kill = int(kh.sum())
    destroyed_cost = float(np.nansum(fx.unit_cost_eur[kh]))
    leak = (fx.leak_value > 0) & hostile & fx.flown
    cfg = fx.threat_config
    leth = np.asarray(cfg.lethality, dtype=np.float64)
    cap = np.asarray(cfg.max_damage_eur, dtype=np.float64)
    value_lost = float(np.sum(leth[fx.cls[leak]] * np.minimum(fx.leak_value[leak],
                                                              cap[fx.cls[leak]])))
    threats_flown = fx.flown & hostile
    ow = fx.flown & fx.one_way
    ow_saved = ow & killed & (fx.kill_t < fx.reach_t)
    reached = fx.leak_value > 0
    open_end = fx.active_last & ~killed & ~reached
    results: dict[str, int] = {}
    for r in rows:
        results[r["result"]] = results.get(r["result"], 0) + 1
    c = fx.counts
    return {
        "doctrine": fx.doctrine,
        "approval": fx.approval,
        "replan_s": fx.replan_s,
        "plans": c["plans"],
        "engagements": len(rows),
        "results": dict(sorted(results.items())),
        "hostile_one_way": {
            "flown": int(ow.sum()),
            "neutralised_before_valued_zone": int(ow_saved.sum()),
            "neutralised_pct": round(100.0 * float(ow_saved.sum()) / float(ow.sum()), 2)
            if ow.any() else None,
            "reached_valued_zone": int((ow & reached).sum()),
            "in_flight_at_end": int((ow & open_end).sum()),
            "ended_elsewhere": int((ow & ~killed & ~reached & ~fx.active_last).sum()),
        },
        "neutralised": {"total": n_kill, "by_class": _count(fx.cls[kh])},
        "non_threat_kills": _count(fx.cls[killed & ~hostile]),
        "leakers": {"total": int(leak.sum()), "by_class": _count(fx.cls[leak])},
        "threats_flown": int(threats_flown.sum()),
        "threats_survived": int((threats_flown & ~killed).sum()),
        "threats_in_flight_at_end": int((threats_flown & open_end).sum()),
        "value_lost_eur": round(value_lost, 2),
        "spend_eur": round(spend, 2),
        "spend_by_type_eur": {k: round(v, 2) for k, v in sorted(spend_by.items())},
        "shots": n_shots,
        "shots_by_type": dict(sorted(shots_by.items())),
        "shots_per_kill": round(n_shots / n_kill, 3) if n_kill else None,
        "attackers_destroyed_cost_eur": round(destroyed_cost, 2),
        "cost_exchange_ratio": (round(spend / destroyed_cost, 4) if destroyed_cost > 0
                                else None),
        "spend_per_kill_eur": round(spend / n_kill, 2) if n_kill else None,
        "spend_per_neutralised_hostile_eur": round(spend / n_kill, 2) if n_kill else None,
        "waste_eur": round(waste, 2),
        "waste_share": round(waste / spend, 4) if spend > 0 else None,
        "waste_by_reason_eur": {k: round(v, 2) for k, v in waste_by.items()},
        "expected_value_saved_eur": round(float(sum(r["value_saved_eur"] for r in rows
                                                    if r["spent_eur"] > 0)), 2),
        "ammunition_remaining": {fx.eff_ids[e]: int(fx.stock[e])
                                 for e in range(len(fx.eff_ids))},
        "ammunition_stocked": {fx.eff_ids[e]: int(fx.stock0[e])
                               for e in range(len(fx.eff_ids))},
        "proposals": c["proposals"],
        "human_approvals_required": c["human_approvals"],
        "expired": c["expired"],
        "held": c["held"],
        "retasked": c["retasked"],
        "debris_over_populated": int(sum(bool(r["debris_over_no_fire"]) for r in rows)),
        "kills_over_populated": int(sum(bool(r["kill_over_no_fire"]) for r in rows)),
        "kills_over_no_kinetic_zone": int(sum(bool(r["kill_over_no_kinetic"]) for r in rows)),
        "usd_per_eur": USD_PER_EUR,
    }


def _count(cls: np.ndarray) -> dict[str, int]:
    c, n = np.unique(np.asarray(cls, dtype=np.int64), return_counts=True)
    return {str(_CLASS[k]): int(v) for k, v in zip(c.tolist(), n.tolist(), strict=True)}


#: Metrics shown side by side for the planner, the doctrines and the oracle.
COMPARE_KEYS = ("engagements", "shots", "spend_eur", "value_lost_eur", "cost_exchange_ratio",
                "spend_per_kill_eur", "spend_per_neutralised_hostile_eur", "waste_eur",
                "waste_share", "shots_per_kill", "debris_over_populated",
                "kills_over_populated", "kills_over_no_kinetic_zone")


def comparison(runs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Compact side-by-side table: doctrine -> headline metrics (same seed)."""
    out = {}
    for name, m in runs.items():
        row = {k: m.get(k) for k in COMPARE_KEYS}
        row["neutralised"] = m["neutralised"]["total"]
        row["leakers"] = m["leakers"]["total"]
        row["threats_survived"] = m["threats_survived"]
        row["threats_in_flight_at_end"] = m.get("threats_in_flight_at_end")
        ow = m.get("hostile_one_way") or {}
        row["one_way_flown"] = ow.get("flown")
        row["one_way_neutralised_before_valued_zone"] = ow.get("neutralised_before_valued_zone")
        row["one_way_neutralised_pct"] = ow.get("neutralised_pct")
        out[name] = row
    return out
