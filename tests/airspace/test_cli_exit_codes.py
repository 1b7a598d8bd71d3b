"""`dronewall violations` through the real CLI: bad files exit 2 with a message, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ZONE = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
    "id": "Z", "kind": "custom"}, "geometry": {"type": "Polygon", "coordinates": [
        [[23.0, 52.0], [23.2, 52.0], [23.2, 52.1], [23.0, 52.1], [23.0, 52.0]]]}}]}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dronewall.cli.main", "violations", *args],
                          capture_output=True, text=True, timeout=60)


def test_ok_and_bad_inputs(tmp_path: Path) -> None:
    z = tmp_path / "z.geojson"
    z.write_text(json.dumps(ZONE))
    tr = tmp_path / "t.csv"
    rows = ["time,track_id,lat,lon,alt_m"] + [f"{k},a,52.05,{22.9 + 0.01 * k:.3f},100"
                                              for k in range(40)]
    tr.write_text("\n".join(rows) + "\n")
    r = _run("--zones", str(z), "--tracks", str(tr), "--out", str(tmp_path / "e.jsonl"))
    assert r.returncode == 0, r.stderr
    ev = [json.loads(x) for x in (tmp_path / "e.jsonl").read_text().splitlines()]
    assert [e["event"] for e in ev if e["event"] != "warning"] == ["entry", "exit", "violation"]

    bad_zone = tmp_path / "bad.geojson"
    bad = json.loads(json.dumps(ZONE))
    bad["features"][0]["properties"]["kind"] = "castle"
    bad_zone.write_text(json.dumps(bad))
    r = _run("--zones", str(bad_zone), "--tracks", str(tr), "--out", str(tmp_path / "x.jsonl"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "bad.geojson" in r.stderr and "castle" in r.stderr

    bad_tr = tmp_path / "bt.csv"
    bad_tr.write_text("time,track_id,lat,lon,alt_m\n0,a,52.0,23.0,100\n1,a,north,23.0,100\n")
    r = _run("--zones", str(z), "--tracks", str(bad_tr), "--out", str(tmp_path / "y.jsonl"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "line 3" in r.stderr and "lat" in r.stderr
