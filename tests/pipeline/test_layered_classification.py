"""Issue-5 acceptance on the shipped layered point-defence scenario (Rzeszow-Jasionka).

Mixed traffic (Shahed-class drones, Gerbera decoys, a reconnaissance UAV, multirotors, bird
flocks, airliners) through a layered acoustic / C-UAS radar (micro-Doppler) / RF / EO / ADS-B
net, with an ADS-B ghost and a position-offset spoof of a real airliner:

- >= 90 % of the confirmed tracks are classified correctly 30 s after confirmation;
- both spoofed identities are flagged, no genuine one is;
- no track following a bird is ever ranked above a track following an inbound attack drone;
- the outputs carry class probabilities, evidence, cooperative trust and the ranked threat list.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from dronewall.pipeline.simulate import run_simulation

# a long module-wide run: collected first (tests/conftest.py); `--dist loadfile` gives the
# whole module to one worker, and the session-scoped run is computed once there
pytestmark = pytest.mark.heavy

SCEN = Path(__file__).resolve().parents[2] / "scenarios" / "rzeszow-layered-defence.yaml"


@pytest.fixture(scope="session")  # once per worker, whatever the test order
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("rz")
    # the air picture alone: engagements (tested in test_engagement_sim.py) would remove
    # targets while they are being classified
    res = run_simulation(SCEN, out, engage=False)
    return out, res.summary


def test_classification_accuracy(run: tuple[Path, dict]) -> None:
    _, s = run
    cl = s["tracking"]["classification"]
    by = cl["by_true_class"]
    # per platform (not per fragment), the reported label 30 s after confirmation
    assert cl["scored_platforms"] >= 30
    assert cl["accuracy_30s_after_confirmation"] >= 0.90, by
    # every class of the mix is present and scored
    for c in ("manned_aircraft", "attack_drone", "decoy", "recon_uav", "multirotor", "bird"):
        assert by[c]["platforms"] >= 1, c
    # the two look-alikes are not confused with each other (the engine's source level)
    wrong = by["attack_drone"]["labels"].get("decoy", 0) + by["decoy"]["labels"].get(
        "attack_drone", 0)
    assert wrong <= 0.1 * (by["attack_drone"]["platforms"] + by["decoy"]["platforms"])
    # hostile one-way UAS vs the rest when a track first enters the airspace
    ent = cl["one_way_uas_at_sovereign_entry"]
    # (the layered raid brings ~40 platforms into the airspace, half of them hostile one-way
    # drones; measured 36 of 38 right at seed 7: one hostile drone and one other platform
    # called wrongly. The >= 97 % target of issue 12 is the flagship's, over 80+ platforms)
    n = ent["platforms_scored"]
    assert n >= 30 and ent["accuracy"] >= 0.94, ent
    assert ent["hostile_called_hostile"] >= ent["hostile_scored"] - 1, ent
    # the same call split by how the entry is known; the parts add up
    by = ent["by_evidence"]
    assert sum(v["platforms_scored"] for v in by.values()) == n, by
    assert sum(v["hostile_scored"] for v in by.values()) == ent["hostile_scored"], by
    # the per-track figures of earlier versions are kept
    assert cl["per_track"]["scored_tracks"] >= 30


def test_spoofed_identities_flagged(run: tuple[Path, dict]) -> None:
    out, s = run
    ct = s["tracking"]["cooperative_trust"]
    spoofed = set(ct["spoofed_in_scenario"])
    assert set(ct["spoofed_in_scenario"].values()) == {"ghost", "offset"}
    assert set(ct["spoofed_flagged"]) == spoofed
    assert ct["genuine_flagged"] == []
    recs = [json.loads(x) for x in (out / "coop_trust.jsonl").read_text().splitlines()]
    for r in recs:
        if r["identity"] in spoofed:
            assert r["spoofing_suspected"] and r["reasons"] and r["suspect_spans_s"]
    offset = [r for r in recs if ct["spoofed_in_scenario"].get(r["identity"]) == "offset"]
    assert any("offset" in reason for reason in offset[0]["reasons"])


def test_bird_never_ranked_above_inbound_attack_drone(run: tuple[Path, dict]) -> None:
    out, s = run
    th = s["threat"]
    assert th["steps_with_birds_and_inbound_attack_drones"] > 100
    assert th["steps_bird_ranked_above_inbound_attack_drone"] == 0
    with open(out / "threats.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows
    top = [r for r in rows if r["rank"] == "1" and r["class"] == "attack_drone"]
    assert top and all(r["asset_id"] in ("EPRZ", "eprz-hub") for r in top)
    assert all(r["reasons"].startswith("attack_drone p=") for r in top)


def test_track_outputs_carry_class_and_trust(run: tuple[Path, dict]) -> None:
    out, s = run
    with open(out / "tracks.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {"class", "p_class", "class_evidence", "coop_trust"} <= set(rows[0])
    ghost = next(k for k, v in s["tracking"]["cooperative_trust"]["spoofed_in_scenario"].items()
                 if v == "ghost")
    g = [r for r in rows if r["identity"] == ghost]
    assert g and g[-1]["coop_trust"] == "suspect"
    # an untrusted claim is never evidence: the ghost is called manned only from the kinematics
    # it reports (220 m/s at 9 km), never because of its ADS-B identity
    assert all("adsb" not in r["class_evidence"] for r in g if r["coop_trust"] != "trusted")
