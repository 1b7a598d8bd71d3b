"""ADS-B trust on real flights from the traffic wheel."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from dronewall.classify import assess_reports
from dronewall.cli.adsb_check import adsb_check_command

from ._samples import load_sample, write_csv

PREFIX = "traffic/data/samples/"
# large multi-day collections left out to keep the test fast (savan, tour_de_france)
SKIP = ("collections/savan", "tv_relay/tour_de_france", "noisy/")


def _assess(cols: dict[str, np.ndarray]):
    ok = np.isfinite(cols["lat"]) & np.isfinite(cols["lon"]) & np.isfinite(cols["time"])
    return assess_reports(cols["time"][ok], cols["icao24"][ok], cols["lat"][ok],
                          cols["lon"][ok], cols["alt_m"][ok], cols["callsign"][ok],
                          cols["groundspeed_mps"][ok], cols["track_deg"][ok])


def test_noisy_spoofing_flagged_via_cli(traffic_wheel: zipfile.ZipFile, tmp_path: Path) -> None:
    cols = load_sample(traffic_wheel, PREFIX + "noisy/noisy_spoofing.json.gz")
    csv_path, out = tmp_path / "spoof.csv", tmp_path / "out.jsonl"
    write_csv(cols, csv_path)
    stats = adsb_check_command(csv_path, out)
    assert stats["aircraft"] == 1 and stats["flagged"] == 1
    import json
    rec = json.loads(out.read_text().splitlines()[0])
    assert rec["callsign"] == "THY9BP" and rec["spoofing_suspected"]
    assert any(r.startswith("position jumps") for r in rec["reasons"])
    # spoofed positions (near 49.67 N 23.9 E) lie in a time block; a suspect span must cover it
    near = (np.abs(cols["lat"] - 49.67) < 0.3) & (np.abs(cols["lon"] - 23.9) < 0.3)
    t0, t1 = cols["time"][near].min(), cols["time"][near].max()
    from datetime import datetime
    spans = [[datetime.fromisoformat(a).timestamp(),
              datetime.fromisoformat(b).timestamp()]
             for a, b in rec["suspect_spans"]]
    assert any(a <= t1 + 60 and b >= t0 - 60 for a, b in spans), (spans, t0, t1)


def test_real_flights_false_flag_rate(traffic_wheel: zipfile.ZipFile) -> None:
    names = [n for n in traffic_wheel.namelist()
             if n.startswith(PREFIX) and n.endswith(".json.gz") and not any(s in n for s in SKIP)]
    assert len(names) > 50
    total, flagged = 0, []
    for name in names:
        for r in _assess(load_sample(traffic_wheel, name)):
            total += 1
            if r.spoofing_suspected:
                flagged.append((name, r.icao24, r.reasons))
    rate = len(flagged) / total
    print(f"real flights: {total} aircraft, {len(flagged)} flagged ({rate:.2%}): {flagged}")
    assert total > 1000
    assert rate <= 0.01


@pytest.mark.parametrize("name", ["noisy_ground", "noisy_landing", "noisy_takeoff"])
def test_noisy_non_spoofing_not_flagged(traffic_wheel: zipfile.ZipFile, name: str) -> None:
    (r,) = _assess(load_sample(traffic_wheel, f"{PREFIX}noisy/{name}.json.gz"))
    assert not r.spoofing_suspected, r.reasons


def test_noisy_time_issue_is_flagged_for_frozen_positions(traffic_wheel: zipfile.ZipFile) -> None:
    # Documented exception: this feed repeats a stale position for > 5 min while reporting
    # ~230 m/s; kinematically that is indistinguishable from a frozen (spoofed) position.
    (r,) = _assess(load_sample(traffic_wheel, PREFIX + "noisy/noisy_time_issue.json.gz"))
    assert r.spoofing_suspected
    assert any(x.startswith("position frozen") for x in r.reasons)
