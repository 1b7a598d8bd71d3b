"""The incident report lists the emitters heard but not located (``report/emitters.py``, the
run's ``strobes.jsonl``): what was heard, from where and which way -- never as a position."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_report_sensor_outages import _run

from dronewall.errors import DataFormatError
from dronewall.report.emitters import MAX_LISTED, emitter_text, load_emitters
from dronewall.report.incident import incident_report


def _strobe(sid: int, sensor: str, kind: str, sig: str, t0: float, t1: float,
            share: float = 0.0, span: list[float] | None = None) -> dict:
    return {"id": sid, "sensor": sensor, "sensor_kind": kind, "signature": sig,
            "what": "DJI OcuSync link" if sig == "rf:dji_ocusync" else "piston engine",
            "lat_deg": 59.5, "lon_deg": 26.5, "reach_m": 29000, "t_first_s": t0,
            "t_last_s": t1, "time_first": f"2025-09-19T07:0{int(t0) // 60}:00.000Z",
            "time_last": f"2025-09-19T07:0{int(t1) // 60}:00.000Z", "bearings": 40,
            "bearing_deg": 56.0, "bearing_sd_deg": 3.0,
            "bearing_span_deg": span or [50.0, 62.0], "on_track_share": share, "tracks": [],
            "truth_platform": "recon-quad-0", "truth_share": 1.0}


def _write(path: Path, recs: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return path


def test_which_strobes_are_listed_and_how(tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = _write(tmp_path / "strobes.jsonl", [
        _strobe(1, "rf1", "rf", "rf:dji_ocusync", 100, 500),
        _strobe(2, "rf1", "rf", "rf:dji_ocusync", 100, 110),          # short RF: listed
        _strobe(3, "node1", "acoustic", "acoustic:piston_prop", 0, 30),  # short acoustic: not
        _strobe(4, "node2", "acoustic", "acoustic:piston_prop", 0, 90),
        _strobe(5, "rf2", "rf", "rf:dji_ocusync", 0, 300, share=0.8),  # a track explained it
        _strobe(6, "rf3", "rf", "rf:dji_ocusync", 0, 20, span=[350.0, 10.0])])
    em, more = load_emitters(p)
    assert [e.sensor for e in em] == ["rf1", "node2", "rf3", "rf1"] and more == 0  # longest first
    text = emitter_text(em[0])
    assert text.startswith("rf1 (rf, 59.5000 N 26.5000 E): DJI OcuSync link heard on bearing "
                           "56° ±3° (50–62° over its life), 40 bearings from 2025-09-19T07:01")
    assert "no track located it: range unknown, up to 29 km" in text
    assert "(350–10° over its life)" in emitter_text(em[2])         # through north
    assert "recon-quad" not in text                                    # truth is analysis only
    # an older record without the words: the signature stands in
    old = _write(tmp_path / "o.jsonl", [{k: v for k, v in _strobe(
        1, "rf1", "rf", "rf:dji_ocusync", 0, 10).items() if k != "what"}])
    assert ": rf:dji_ocusync heard on bearing" in emitter_text(load_emitters(old)[0][0])
    many = _write(tmp_path / "m.jsonl", [_strobe(i, "rf1", "rf", "rf:dji_ocusync", 0, i)
                                         for i in range(5 * MAX_LISTED + 7)])
    em, more = load_emitters(many)                  # pruned while read: the longest kept
    assert len(em) == MAX_LISTED and more == 4 * MAX_LISTED + 7
    assert [e.t1_s for e in em] == [float(5 * MAX_LISTED + 6 - i) for i in range(MAX_LISTED)]


@pytest.mark.parametrize("line, field", [
    ('{"sensor": "", "sensor_kind": "rf", "signature": "rf:x"}', "sensor"),
    ('{"sensor": "a", "sensor_kind": "rf", "signature": "rf:x", "t_first_s": "x"}', "t_first_s"),
    ('[1]', "JSON object"),
    # out of their domains: a sector cannot be drawn from them
    *[(json.dumps({**_strobe(2, "rf1", "rf", "rf:dji_ocusync", 0, 10), f: v}), f)
      for f, v in (("lat_deg", 95.0), ("lon_deg", -181.0), ("reach_m", -5),
                   ("bearing_sd_deg", -1.0))],
])
def test_a_bad_line_names_the_file_line_and_field(tmp_path, line: str, field: str) -> None:  # type: ignore[no-untyped-def]
    p = _write(tmp_path / "s.jsonl", [_strobe(1, "rf1", "rf", "rf:dji_ocusync", 0, 10)])
    p.write_text(p.read_text() + line + "\n")
    with pytest.raises(DataFormatError, match=rf"s.jsonl: line 2.*{field}"):
        load_emitters(p)


def test_the_report_has_the_section_when_the_run_recorded_strobes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ev, tr, z = _run(tmp_path)
    _write(tmp_path / "strobes.jsonl", [_strobe(1, "rf1", "rf", "rf:dji_ocusync", 100, 500)])
    rep = incident_report(ev, tr, tmp_path / "r.html", zones=[z])     # the file beside: found
    assert [e["sensor"] for e in rep["emitters_not_located"]] == ["rf1"]
    html = (tmp_path / "r.html").read_text()
    assert "Emitters heard but not located" in html
    assert "DJI OcuSync link heard on bearing 56°" in html and "07:01:40" in html
    (tmp_path / "strobes.jsonl").unlink()
    rep = incident_report(ev, tr, tmp_path / "r.html", zones=[z])
    assert rep["emitters_not_located"] == []
    assert "Emitters heard" not in (tmp_path / "r.html").read_text()
    r = subprocess.run([sys.executable, "-m", "dronewall.cli.main", "report", "incident",
                        "--events", str(ev), "--tracks", str(tr), "--out",
                        str(tmp_path / "x.html"), "--strobes", str(tmp_path / "nope.jsonl")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "nope.jsonl" in r.stderr, r.stderr


def test_the_sector_is_exact_about_the_sensor() -> None:
    """The drawn sector spans the first to last bearing widened by 2 sd, out to the reach,
    measured on the ellipsoid independently of the report's projection."""
    from pyproj import Geod

    from dronewall.report.emitter_map import sector
    from dronewall.report.emitters import Emitter

    e = Emitter("rf1", "rf", "rf:dji_ocusync", "DJI OcuSync link", 0.0, 600.0, "", "", 40,
                56.0, 3.0, (350.0, 20.0), 29_000.0, 51.55, 23.5)
    poly = sector(e)
    lon, lat = (np.asarray(c) for c in zip(*poly.exterior.coords, strict=True))
    az, _, dist = Geod(ellps="WGS84").inv(np.full(lon.size, 23.5), np.full(lon.size, 51.55),
                                          lon, lat)
    arc = dist > 1.0                                    # all but the apex at the sensor
    assert (~arc).sum() == 2                            # the apex, opening and closing the ring
    assert np.allclose(dist[arc], 29_000.0, rtol=3e-3)  # sphere vs ellipsoid
    rel = (az[arc] - 344.0 + 180.0) % 360.0 - 180.0     # from 350 - 2 x 3 deg, clockwise
    assert rel.min() == pytest.approx(0.0, abs=0.3) and rel.max() == pytest.approx(42.0, abs=0.3)
    # a line heard all round becomes a disc (no apex)
    disc = sector(Emitter("n1", "acoustic", "acoustic:piston_prop", "piston engine", 0, 600,
                          "", "", 40, 0.0, 20.0, (0.0, 330.0), 7_000.0, 51.55, 23.5))
    assert disc.area > 0 and Geod(ellps="WGS84").inv(
        23.5, 51.55, *disc.exterior.coords[0])[2] == pytest.approx(7_000.0, rel=3e-3)


def test_the_report_draws_each_listed_emitter_as_a_numbered_sector(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ev, tr, z = _run(tmp_path)
    recs = [_strobe(i, f"rf{i % 2}", "rf", "rf:dji_ocusync", 100, 500 - i) for i in range(1, 15)]
    recs.append(_strobe(20, "node1", "acoustic", "acoustic:piston_prop", 0, 450))
    _write(tmp_path / "strobes.jsonl", recs)
    incident_report(ev, tr, tmp_path / "r.html", zones=[z])
    html = (tmp_path / "r.html").read_text()
    assert 'id="emitter-map"' in html
    # the 12 longest heard are drawn (the acoustic one is among them), all 15 listed
    assert html.count('class="sector sector-rf"') == 11
    assert html.count('class="sector sector-acoustic"') == 1
    assert html.count("<li><b>E") == 15 and "The 12 longest heard are drawn" in html
    assert "rf0 (" in html and "rf1 (" in html and "node1 (E" in html
