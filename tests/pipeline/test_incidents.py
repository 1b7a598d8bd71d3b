"""Shipped incident scenarios reproduce the published facts at the truth level.

(Real-data timelines: ../shared/research/real-data.md section 4.) Truth-level checks only
(``--no-track``), so they test the scenario + simulator + airspace analytics, fast.
"""

from __future__ import annotations

import json
from pathlib import Path

from dronewall.pipeline.simulate import run_simulation

SCEN = Path(__file__).resolve().parents[2] / "scenarios"


def _violations(out: Path, zone: str) -> list[dict]:
    ev = [json.loads(x) for x in (out / "truth_events.jsonl").read_text().splitlines()]
    return [e for e in ev if e["event"] == "violation" and e["zone_id"] == zone
            and not e["identity"]]


def test_romania_one_drone_about_10_km_deep_about_50_min(tmp_path: Path) -> None:
    """R1: 1 drone, ~10 km deep, ~50 min in Romanian airspace; the second one stays out."""
    run_simulation(SCEN / "romania-2025-09-13.yaml", tmp_path, track=False)
    v = _violations(tmp_path, "ROU")
    assert [e["track_id"] for e in v] == ["stray-0"]
    e = v[0]
    assert 45 * 60 <= e["duration_s"] <= 55 * 60
    assert 8_000 <= e["max_depth_m"] <= 12_000
    assert e["from_country"] == "UKR"
    assert e["entry_time"].startswith("2025-09-13T15:2")  # detected 15:23 UTC
    truth = (tmp_path / "truth.csv").read_text().splitlines()
    jammed = [r for r in truth if r.split(",")[1] == '"stray-0"' and r.endswith("true")]
    assert jammed  # it wandered under GNSS jamming


def _truth_violations(path: Path, zone: str, every: int = 5) -> list[dict]:
    """Truth-level violations of a scenario without simulating its sensors: the truth
    simulator (same seed stream as ``simulate``) through the airspace monitor, as
    ``simulate`` writes ``truth_events.jsonl`` (non-cooperative platforms only), the monitor
    fed every ``every``-th step (entries and exits are interpolated between its scans)."""
    import numpy as np

    from dronewall.airspace import AirspaceMonitor
    from dronewall.pipeline.airspace import TRUTH_SIGMA_M, airspace_config, scenario_zones
    from dronewall.pipeline.simulate import _rngs
    from dronewall.scenario import load_scenario
    from dronewall.sim.truth import TruthSimulator

    sc = load_scenario(path)
    zones, _ = scenario_zones(sc, path.parent)
    mon = AirspaceMonitor(zones, airspace_config(sc))
    sim = TruthSimulator(sc, _rngs(sc.seed)[0])
    ids, icao = sim.platforms.ids, sim.platforms.icao24
    ev, t = [], 0.0
    for k, st in enumerate(sim.states()):
        if k % every:
            continue
        t = st.t
        act = np.flatnonzero(st.active)
        ev += mon.step(t, ids[act], st.lat_deg[act], st.lon_deg[act], st.alt_m[act],
                       np.full(act.size, TRUTH_SIGMA_M), st.vel_enu[act])
    ev += mon.finish(t)
    coop = {str(p) for p, i in zip(ids.tolist(), icao.tolist(), strict=True) if i}
    return [e.to_dict() for e in ev if e.kind == "violation" and e.zone_id == zone
            and str(e.track_id) not in coop]


def test_poland_19_to_21_violations_mostly_from_belarus() -> None:
    """P1: 19 (Tusk) to 21 (Kukula) drones over ~7 h, most from Belarus, some from Ukraine."""
    v = _truth_violations(SCEN / "poland-2025-09-10.yaml", "POL")
    assert 19 <= len(v) <= 21
    frm = [e["from_country"] for e in v]
    assert frm.count("BLR") >= 17 and frm.count("UKR") >= 1
    t = sorted(e["entry_t_s"] for e in v)
    assert t[-1] - t[0] >= 6 * 3600  # spread over the night (21:30-04:30 UTC)
