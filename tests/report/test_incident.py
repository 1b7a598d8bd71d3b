"""Incident report: offline HTML + JSON with map, profiles, timeline and sensors."""

from __future__ import annotations

import json
import re
import socketserver
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from dronewall.errors import DataFormatError
from dronewall.report.incident import incident_report

# a long module-wide run: collected first (tests/conftest.py); `--dist loadfile` gives the
# whole module to one worker, and the session-scoped run is computed once there
pytestmark = pytest.mark.heavy


def _inputs(tmp: Path) -> tuple[Path, Path, Path]:
    zone = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
        "id": "EST", "kind": "sovereign", "country": "EST"}, "geometry": {"type": "Polygon",
        "coordinates": [[[26.0, 59.7], [26.8, 59.7], [26.8, 59.9], [26.0, 59.9], [26.0, 59.7]]]}}]}
    (tmp / "z.geojson").write_text(json.dumps(zone))
    rows = ["t_s,track_id,lat_deg,lon_deg,alt_m,pos_sd_m,seen_by"]
    for k in range(0, 121):
        lon = 27.2 - 0.01 * k
        rows.append(f"{k * 5},7,59.8,{lon:.4f},7500,150,{'radar;adsb' if k % 2 else 'radar'}")
    (tmp / "tracks.csv").write_text("\n".join(rows) + "\n")
    ev = [
        {"event": "warning", "track_id": 7, "zone_id": "EST", "t_s": 100.0,
         "time_to_crossing_s": 100.0},
        {"event": "entry", "track_id": 7, "zone_id": "EST", "t_s": 200.0, "p_inside": 0.9},
        {"event": "exit", "track_id": 7, "zone_id": "EST", "t_s": 600.0, "p_inside": 0.9},
        {"event": "violation", "track_id": 7, "zone_id": "EST", "zone_kind": "sovereign",
         "zone_name": "Estonia", "country": "EST", "from_country": "RUS", "entry_t_s": 200.0,
         "exit_t_s": 600.0, "entry_time": "2025-09-19T06:58:00Z",
         "exit_time": "2025-09-19T07:04:40Z",
         "entry_point": [59.8, 26.8], "exit_point": [59.8, 26.0], "max_depth_point": [59.8, 26.4],
         "duration_s": 400.0, "max_depth_m": 11000.0, "path_length_m": 44800.0, "min_alt_m": 7500,
         "max_alt_m": 7500, "p_inside": 0.999, "confidence": "confirmed", "ongoing": False},
    ]
    (tmp / "events.jsonl").write_text("\n".join(json.dumps(e) for e in ev) + "\n")
    return tmp / "events.jsonl", tmp / "tracks.csv", tmp / "z.geojson"



def _evidence_block(evs: list[dict], ev: Path, tr: Path, z: object, out: Path) -> str:
    """Write ``evs`` to the events file ``ev``, build the report ``out`` and return its first
    episode's evidence block (the "How we know" table)."""
    ev.write_text("\n".join(json.dumps(e) for e in evs) + "\n")
    incident_report(ev, tr, out, zones=[z])  # type: ignore[list-item]
    return re.search(r'<div class="evidence">.*?</div>', out.read_text(), re.DOTALL).group(0)


def test_report_html_is_offline_and_complete(tmp_path: Path) -> None:
    ev, tr, z = _inputs(tmp_path)
    rep = incident_report(ev, tr, tmp_path / "r.html", zones=[z], title="Estonia test")
    html = (tmp_path / "r.html").read_text()
    assert not re.search(r"(src|href)=[\"']?https?://", html)  # no network resources
    assert len(re.findall(r'<svg[^>]*class="map"', html)) == 2  # overview + episode
    assert len(re.findall(r'<svg[^>]*class="plot"', html)) == 3  # altitude, speed, depth
    # overview row: 400 s = 6.7 min, 11 km deep; UTC clock times from the events' ISO times
    assert '<td class="num duration">6.7</td>' in html
    assert '<td class="num depth">11.00</td>' in html
    assert "06:58:00" in html and "07:04:40" in html and "t+" not in html
    assert "confirmed" in html and "RUS" in html
    assert 'class="zone"' in html  # the zone is drawn
    assert "How we know" not in html  # no evidence fields in these events: no block
    data = json.loads((tmp_path / "r.json").read_text())
    assert data == json.loads(json.dumps(rep, default=str))
    item = data["items"][0]
    assert [e["event"] for e in item["timeline"]] == ["warning", "entry", "exit"]
    # 5-s samples at t = 200..600 inside: 81 rows; radar on all, adsb on the odd ones
    assert item["sensors_inside"]["radar"] == 81 and item["sensors_inside"]["adsb"] == 40


def test_filters_and_bad_input(tmp_path: Path) -> None:
    ev, tr, z = _inputs(tmp_path)
    assert incident_report(ev, tr, tmp_path / "a.html", track_id="8")["violations"] == 0
    assert incident_report(ev, tr, tmp_path / "a.html", non_cooperative=True)["violations"] == 1
    assert "none (non-cooperative)" in (tmp_path / "a.html").read_text()
    (tmp_path / "bad.jsonl").write_text('{"event": "entry", "track_id": 1, "zone_id": "Z"}\n'
                                        'not json\n')
    with pytest.raises(DataFormatError, match=r"bad.jsonl: line 2"):
        incident_report(tmp_path / "bad.jsonl", tr, tmp_path / "b.html")
    for bad in ('{"radar": -1}', '["radar"]', '{"radar": 1.5}'):
        (tmp_path / "bad2.jsonl").write_text(
            '{"event": "violation", "track_id": 1, "zone_id": "Z", "sensor_updates": '
            + bad + '}\n')
        with pytest.raises(DataFormatError, match=r"bad2.jsonl: line 1.*sensor_updates"):
            incident_report(tmp_path / "bad2.jsonl", tr, tmp_path / "b.html")
    (tmp_path / "notgeo.json").write_text('{"sigma": 1}')
    with pytest.raises(DataFormatError, match="FeatureCollection"):
        incident_report(ev, tr, tmp_path / "g.html", zones=[tmp_path / "notgeo.json"])
    (tmp_path / "t2.csv").write_text("a,b\n1,2\n")
    with pytest.raises(DataFormatError, match="expected columns"):
        incident_report(ev, tmp_path / "t2.csv", tmp_path / "c.html")
    r = subprocess.run([sys.executable, "-m", "dronewall.cli.main", "report", "incident",
                        "--events", str(tmp_path / "missing.jsonl"), "--tracks", str(tr),
                        "--out", str(tmp_path / "d.html")], capture_output=True, text=True)
    assert r.returncode == 2 and "events file not found" in r.stderr and "Traceback" not in r.stderr


def test_speed_profile_uses_tracker_velocity(tmp_path: Path) -> None:
    ev, tr, z = _inputs(tmp_path)
    lines = tr.read_text().splitlines()
    rows = [lines[0] + ",vx_mps,vy_mps"] + [r + ",-60,80" for r in lines[1:]]
    tr.write_text("\n".join(rows) + "\n")
    from dronewall.report.incident import load_tracks, speed_mps

    assert np.allclose(speed_mps(load_tracks(tr)["7"]), 100.0)  # |(-60, 80)| = 100 m/s exactly
    incident_report(ev, tr, tmp_path / "v.html", zones=[z])
    html = (tmp_path / "v.html").read_text()
    plot = re.search(r"id=\"plot-speed-v1\".*?</figure>", html, re.DOTALL).group(0)
    assert "ground speed (m/s)" in plot and "time (UTC, 2025-09-19)" in plot
    # the constant line sits at the 100 tick: same pixel row as the tick label
    tick = re.search(r'<text x="[\d.]+" y="([\d.]+)"[^>]*>100(?:\.0)?</text>', plot)
    tick_y = float(tick.group(1)) - 4  # labels sit 4 px below their grid line
    line = re.search(r'class="series" d="M[\d.]+,([\d.]+)', plot).group(1)
    assert abs(float(line) - tick_y) < 0.2


def test_evidence_block_and_hostile_text(tmp_path: Path) -> None:
    ev, tr, z = _inputs(tmp_path)
    evs = [json.loads(x) for x in ev.read_text().splitlines()]
    v = evs[-1]
    v.update(evidence="observed crossing", entry_window_utc=["2025-09-19T06:57:55Z",
                                                             "2025-09-19T06:58:05Z"],
             cooperative=False, episode_id="EST-7-1", zone_name="<script>alert(1)</script>",
             entry_point_95_m=1176.0, exit_window_utc=["2025-09-19T07:09:58Z",
                                                       "2025-09-19T07:10:04Z"],
             duration_bounds_s=[713.0, 729.5])
    ev.write_text("\n".join(json.dumps(e) for e in evs) + "\n")
    incident_report(ev, tr, tmp_path / "e.html", zones=[z], title="<b>x</b>")
    html = (tmp_path / "e.html").read_text()
    block = re.search(r'<div class="evidence">.*?</div>', html, re.DOTALL).group(0)
    for text in ("How we know", "observed crossing", "EST-7-1",
                 "2025-09-19T06:57:55Z – 2025-09-19T06:58:05Z",
                 "cooperative (broadcast identity)</th><td>no",
                 "entry point along the border (95 %)</th><td>± 1\u2009176 m",
                 "2025-09-19T07:09:58Z – 2025-09-19T07:10:04Z",
                 "from the entry and exit windows</th><td>713.0 – 729.5 s"):
        assert text in block, text
    assert "authorised" not in block  # absent field: no row, no invented value
    # a visit first seen inside is bounded from below only
    evs[-1].update(duration_bounds_s=[713.0, None])
    ev.write_text("\n".join(json.dumps(e) for e in evs) + "\n")
    incident_report(ev, tr, tmp_path / "e2.html", zones=[z])
    assert "exit windows</th><td>at least 713.0 s" in (tmp_path / "e2.html").read_text()
    # an entry nobody saw is not stated as an interval it "happened between"
    evs[-1].update(evidence="first_detected_inside", entry_window_utc=["2025-09-19T06:40:00Z",
                                                                      "2025-09-19T06:58:05Z"])
    ev.write_text("\n".join(json.dumps(e) for e in evs) + "\n")
    incident_report(ev, tr, tmp_path / "e3.html", zones=[z])
    e3 = (tmp_path / "e3.html").read_text()
    assert ("entry not seen: before the first detection</th><td>first detected "
            "2025-09-19T06:58:05Z; its course leads back to the border at 2025-09-19T06:40:00Z"
            in e3)
    assert "entry happened between" not in e3
    evs[-1].update(entry_window_utc=[None, "2025-09-19T06:58:05Z"])
    ev.write_text("\n".join(json.dumps(e) for e in evs) + "\n")
    incident_report(ev, tr, tmp_path / "e4.html", zones=[z])
    assert "stays inside for 30 min back (launched inside?)" in (tmp_path / "e4.html").read_text()
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "<th scope=\"col\">evidence</th>" in html  # overview column when any episode has it


def test_a_track_lost_inside_is_shown_as_a_lower_bound(tmp_path: Path) -> None:
    ev, tr, z = _inputs(tmp_path)
    evs = [json.loads(x) for x in ev.read_text().splitlines()]
    evs[-1].update(end_reason="track_lost", sensor_kinds=["radar", "acoustic"], track_hits=212,
                   track_p_bird=0.02, observed_inside=True)
    ev.write_text("\n".join(json.dumps(e) for e in evs) + "\n")
    incident_report(ev, tr, tmp_path / "e.html", zones=[z])
    html = (tmp_path / "e.html").read_text()
    assert "track lost inside: its last sensor update" in html
    assert "≥ 400 s" in html and "a lower bound" in html
    block = re.search(r'<div class="evidence">.*?</div>', html, re.DOTALL).group(0)
    for text in ("radar, acoustic", "212", "0.02", "inside the zone</th><td>yes"):
        assert text in block, text
    # an exit observed by the sensors is no lower bound
    evs[-1].update(end_reason="exit")
    ev.write_text("\n".join(json.dumps(e) for e in evs) + "\n")
    incident_report(ev, tr, tmp_path / "f.html", zones=[z])
    html = (tmp_path / "f.html").read_text()
    assert "≥" not in html and "track lost inside" not in html
    # a record that ends where its track moved onto another target: a lower bound, and why
    evs[-1].update(end_reason="target_changed")
    ev.write_text("\n".join(json.dumps(e) for e in evs) + "\n")
    incident_report(ev, tr, tmp_path / "g.html", zones=[z])
    html = (tmp_path / "g.html").read_text()
    assert "the track moved onto another target here" in html and "≥ 400 s" in html
    # a fragment that took up the episode's target at its change says where
    evs[-1].update(end_reason="exit", target_changes=[{
        "track_id": 7, "old_until_t_s": 10.0, "new_from_t_s": 12.0,
        "old_until_utc": "2025-09-19T06:40:10Z", "new_from_utc": "2025-09-19T06:40:12Z",
        "old_class": "bird", "new_class": "decoy", "old_speed_mps": 12.0,
        "new_speed_mps": 40.0, "speed_changed_t_s": 11.0,
        "speed_changed_utc": "2025-09-19T06:40:11Z", "where": "took_up"}])
    ev.write_text("\n".join(json.dumps(e) for e in evs) + "\n")
    incident_report(ev, tr, tmp_path / "h.html", zones=[z])
    assert "where this track took up the episode&#39;s target" in (tmp_path / "h.html").read_text()


# ----------------------------------------------------------------------------- a real run

SCEN = Path(__file__).resolve().parents[2] / "scenarios" / "estonia-2025-09-19.yaml"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")  # once per worker, whatever the test order
def estonia(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped Estonia scenario without the airliner flow and the fighters (the three
    MiG-31s and the radar only), cut after the MiGs have left: ~1 min instead of ~5."""
    from dronewall.pipeline.simulate import run_simulation
    from dronewall.scenario import load_scenario

    out = tmp_path_factory.mktemp("est")
    sc = load_scenario(SCEN)
    sc = sc.model_copy(update={"traffic": sc.traffic.model_copy(update={"flows": []}),
                               "effectors": []})
    run_simulation(sc, out, duration_s=1500.0, engage=False, base_dir=SCEN.parent)
    incident_report(out / "events.jsonl", out / "tracks.csv", out / "report.html",
                    zones=[out / "zones.geojson"], title="Estonia 19 Sep 2025")
    return out


def test_estonia_overview_lists_the_episodes(estonia: Path) -> None:
    html = (estonia / "report.html").read_text(encoding="utf-8")
    # listed in the page's order: largest depth x duration first
    viol = sorted((json.loads(x) for x in (estonia / "events.jsonl").read_text().splitlines()
                   if '"violation"' in x), key=lambda e: -e["max_depth_m"] * e["duration_s"])
    assert len(viol) == 3 and all(not v["identity"] for v in viol)
    table = re.search(r'<table id="episodes">.*?</table>', html, re.DOTALL).group(0)
    rows = re.findall(r"<tr data-n=.*?</tr>", table, re.DOTALL)
    assert len(rows) == 3
    for row, v in zip(rows, viol, strict=True):
        assert 10 * 60 <= v["duration_s"] <= 13 * 60 and v["max_depth_m"] < 10_000
        assert f'<td class="num duration">{v["duration_s"] / 60:.1f}</td>' in row
        assert f'<td class="num depth">{v["max_depth_m"] / 1000:.2f}</td>' in row
        assert f'data-duration="{v["duration_s"]}"' in row
        assert f'data-depth="{v["max_depth_m"]}"' in row
        assert f"<td>{v['entry_time'][11:19]}</td>" in row  # UTC clock time of the entry
        assert "<td>RUS</td>" in row and '<td class="ident">none</td>' in row  # no id
    # each episode: map with basemap, track arrows and UTC ticks; plots on a UTC axis
    assert html.count('class="episode"') == 3
    for n in (1, 2, 3):
        m = re.search(rf'<svg[^>]*id="map-v{n}".*?</figure>', html, re.DOTALL).group(0)
        for cls in ("land land-subject", "coastline", "tsea-limit", "zone", "track-arrows",
                    "track-ticks", "track-inside", "scale-bar", "north-arrow", "graticule"):
            assert f'class="{cls}"' in m, (n, cls)
        assert re.search(r'class="track-time"[^>]*>0[67]:\d\d</text>', m)
    assert html.count("time (UTC, 2025-09-19)") == 9 and "t+" not in html
    assert "FINLAND" in html and "ESTONIA" in html  # neighbouring land named on the maps
    assert 'id="overview-map"' in html and len(html) < 3_000_000


#: Hosts Chromium itself calls even for about:blank (component updater, network time, sign-in),
#: measured with the recorder below; anything else comes from the page.
BROWSER_OWN_HOSTS = {"update.googleapis.com", "clients2.google.com", "accounts.google.com"}


def _host(request_line: str) -> str:
    target = request_line.split(" ")[1] if " " in request_line else request_line
    return re.sub(r"^[a-z]+://", "", target).split("/")[0].split(":")[0]


class _Recorder(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.requests: list[str] = []
        super().__init__(("127.0.0.1", 0), _RecordHandler)


class _RecordHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        line = self.rfile.readline(4096).decode("latin-1").strip()
        if line and _host(line) not in BROWSER_OWN_HOSTS:
            self.server.requests.append(line)  # type: ignore[attr-defined]
        self.wfile.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
                         b"Connection: close\r\n\r\n")


def _chromium_via_proxy(url: str, *args: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run headless Chromium with every http(s) request sent to a local recording proxy."""
    srv = _Recorder()
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    try:
        port = srv.server_address[1]
        r = subprocess.run([str(CHROMIUM), *CHROMIUM_ARGS, f"--proxy-server=127.0.0.1:{port}",
                            "--proxy-bypass-list=<-loopback>", *args, url],
                           capture_output=True, text=True, timeout=120)
    finally:
        srv.shutdown()
        srv.server_close()
    return r, srv.requests


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium")
def test_estonia_report_in_headless_chromium(estonia: Path, tmp_path: Path) -> None:
    from test_study_report import _png_pixels  # same folder: Pillow or the tiny PNG decoder

    # the recorder works: a page with a remote image is caught
    ctl = tmp_path / "control.html"
    ctl.write_text('<html><body><img src="http://example.invalid/x.png"></body></html>')
    _, seen = _chromium_via_proxy(ctl.as_uri(), "--dump-dom")
    assert any("example.invalid" in s for s in seen), seen
    png = tmp_path / "shot.png"
    url = (estonia / "report.html").resolve().as_uri()
    r, seen = _chromium_via_proxy(url, f"--screenshot={png}", "--window-size=1000,1400",
                                  "--hide-scrollbars")
    assert png.exists(), r.stderr[-2000:]
    assert seen == []  # no http(s) request leaves the page
    w, h, px = _png_pixels(png)
    assert (w, h) == (1000, 1400)
    # the overview map is drawn: sea, land and the red zone outline cover much of the top
    top = px[150:700, 20:920].reshape(-1, 3)
    sea = np.all(np.abs(top - [212, 228, 239]) <= 3, axis=1).mean()
    land = np.all(np.abs(top - [239, 235, 226]) <= 6, axis=1).mean()
    red = ((top[:, 0] > 150) & (top[:, 1] < 90) & (top[:, 2] < 80)).mean()
    assert sea > 0.05 and land + sea > 0.3 and red > 0.001, (sea, land, red)
    dom, _ = _chromium_via_proxy(url, "--dump-dom")
    assert dom.stdout.count('class="track-arrows"') >= 3 and 'id="episodes"' in dom.stdout


def test_lead_names_the_zone_countries_without_a_dash_for_local_zones(tmp_path: Path) -> None:
    # an airport or city zone has no country: the lead lists the countries there are
    ev, tr, z = _inputs(tmp_path)
    rows = [json.loads(x) for x in ev.read_text().splitlines()]
    local = dict(rows[-1], country="", zone_name="Local", exit_t_s=500.0, duration_s=300.0)
    ev.write_text("\n".join(json.dumps(e) for e in [*rows, local]) + "\n")
    incident_report(ev, tr, tmp_path / "r.html", zones=[z], title="local zone")
    html = (tmp_path / "r.html").read_text()
    assert "zone countries: EST." in html


def test_target_changes_are_shown_and_checked(tmp_path: Path) -> None:
    ev, tr, z = _inputs(tmp_path)
    evs = [json.loads(x) for x in ev.read_text().splitlines()]
    change = {"track_id": 39, "old_until_t_s": 120.0, "new_from_t_s": 130.0,
              "old_until_utc": "2025-09-19T06:56:00.000Z",
              "new_from_utc": "2025-09-19T06:56:10.000Z", "old_class": "bird",
              "new_class": "decoy", "old_speed_mps": 12.0, "new_speed_mps": 40.0,
              "where": "inside"}
    evs[-1].update(evidence="observed_crossing", target_changes=[change])
    ev.write_text("\n".join(json.dumps(e) for e in evs) + "\n")
    incident_report(ev, tr, tmp_path / "e.html", zones=[z])
    block = re.search(r'<div class="evidence">.*?</div>', (tmp_path / "e.html").read_text(),
                      re.DOTALL).group(0)
    assert "where the track moved from one body to another" in block
    assert "track 39: bird (12 m/s) until " in block and "decoy (40 m/s) from " in block
    assert "(inside the zone)" in block and "speed changed" not in block
    # with when the located speed changed (an older file may lack it, as above)
    evs[-1]["target_changes"] = [{**change, "speed_changed_t_s": 100.0,
                                  "speed_changed_utc": "2025-09-19T06:55:40.000Z"}]
    ev.write_text("\n".join(json.dumps(e) for e in evs) + "\n")
    incident_report(ev, tr, tmp_path / "e.html", zones=[z])
    block = re.search(r'<div class="evidence">.*?</div>', (tmp_path / "e.html").read_text(),
                      re.DOTALL).group(0)
    assert ", speed changed " in block and "(inside the zone)" in block
    # the overview counts them in a sortable column, shown only when some episode has one
    html = (tmp_path / "e.html").read_text()
    assert '<th data-key="changes"' in html and '<td class="num changes">1</td>' in html
    assert 'data-changes="1"' in html
    evs[-1]["target_changes"] = None
    ev.write_text("\n".join(json.dumps(e) for e in evs) + "\n")
    incident_report(ev, tr, tmp_path / "n.html", zones=[z])
    assert 'data-key="changes"' not in (tmp_path / "n.html").read_text()
    missing = {k: x for k, x in change.items() if k != "new_from_t_s"}
    for bad, field in (({**change, "new_speed_mps": "fast"}, "new_speed_mps"),
                       ({**change, "x": 1}, "[0]"), (missing, "[0]"),
                       ({**change, "speed_changed_t_s": "soon"}, "[0].speed_changed_t_s"),
                       ({**change, "new_class": None}, "[0].new_class")):
        evs[-1]["target_changes"] = [bad]
        ev.write_text("\n".join(json.dumps(e) for e in evs) + "\n")
        with pytest.raises(DataFormatError, match=re.escape("field 'target_changes'") + ".*"
                           + re.escape(field)):
            incident_report(ev, tr, tmp_path / "e.html", zones=[z])


def test_identity_gaps_are_shown_and_checked(tmp_path: Path) -> None:
    ev, tr, z = _inputs(tmp_path)
    evs = [json.loads(x) for x in ev.read_text().splitlines()]
    gap = {"track_id": 7, "from_t_s": 120.0, "to_t_s": 180.0, "gap_s": 60.0,
           "from_utc": "2025-09-19T06:56:00.000Z", "to_utc": "2025-09-19T06:57:00.000Z",
           "where": "before_entry"}
    evs[-1].update(evidence="observed_crossing", identity_gaps=[gap], confidence_reasons=[
        "identity across 1 gap(s) rests on prediction: the track was unreported 60 s"],
        track_p_bird=0.9, track_body_from_t_s=180.0)
    block = _evidence_block(evs, ev, tr, z, tmp_path / "e.html")
    assert "gaps the track came back from under its id" in block
    # what the body is counts from the return: said, on the report's UTC clock
    assert ("mean P(bird) and sensor kinds counted from (the track came back from a gap "
            "then") in block
    assert re.search(r"counted from \(the track came back.*?</th>\s*<td>[^<]*06:57:40", block,
                     re.DOTALL)
    # coded values are explained, the code kept as in the JSON
    assert "observed crossing: the track was outside at the scan before" in block
    assert "(observed_crossing)" in block
    assert "<td>observed crossing</td>" in (tmp_path / "e.html").read_text()   # overview
    assert "track 7: " in block and "(60 s, before entry)" in block
    # the overview table counts them in a sortable column; a report without evidence fields
    # has no such column
    html = (tmp_path / "e.html").read_text()
    assert '<th data-key="gaps"' in html and '<td class="num gaps">1</td>' in html
    assert 'data-gaps="1"' in html
    (tmp_path / "plain").mkdir()
    plain_ev, plain_tr, _ = _inputs(tmp_path / "plain")
    incident_report(plain_ev, plain_tr, tmp_path / "p.html", zones=[z])
    assert 'data-key="gaps"' not in (tmp_path / "p.html").read_text()
    # a malformed gap is named with its field, not an internal error
    missing = {k: x for k, x in gap.items() if k != "to_t_s"}
    for bad, field in (({**gap, "gap_s": "long"}, "gap_s"), ({**gap, "x": 1}, "[0]"),
                       (missing, "[0]"), ({**gap, "from_t_s": None}, "[0].from_t_s")):
        evs[-1]["identity_gaps"] = [bad]
        ev.write_text("\n".join(json.dumps(e) for e in evs) + "\n")
        with pytest.raises(DataFormatError, match=re.escape("field 'identity_gaps'") + ".*"
                           + re.escape(field)):
            incident_report(ev, tr, tmp_path / "e.html", zones=[z])


def test_the_altitude_is_shown_with_its_error(tmp_path: Path) -> None:
    """An episode with the track's altitude error (``sigma_alt_m``) says so next to the
    altitude range, and the altitude plot draws the tracker's +-1 sigma from ``alt_sd_m``."""
    ev, tr, z = _inputs(tmp_path)
    incident_report(ev, tr, tmp_path / "a.html", zones=[z])
    plain = (tmp_path / "a.html").read_text()
    assert "altitude 1σ" not in plain and "± 1σ" not in plain   # control: nothing to show
    evs = [json.loads(x) for x in ev.read_text().splitlines()]
    evs[-1]["sigma_alt_m"] = 640.0
    ev.write_text("\n".join(json.dumps(e) for e in evs) + "\n")
    rows = tr.read_text().splitlines()
    tr.write_text("\n".join([rows[0] + ",alt_sd_m"] + [r + ",640" for r in rows[1:]]) + "\n")
    incident_report(ev, tr, tmp_path / "b.html", zones=[z])
    html = (tmp_path / "b.html").read_text()
    assert "estimates; track altitude 1σ up to 640 m" in html
    assert "m above the WGS84 ellipsoid" in html
    assert "below the ellipsoid" not in html        # control: no estimate below it
    # an estimate below the ellipsoid is not shown as a height: the range starts at 0 m and
    # the text names the lowest estimate as an error of the estimate
    evs[-1]["min_alt_m"], evs[-1]["max_alt_m"] = -170.0, 926.0
    ev.write_text("\n".join(json.dumps(e) for e in evs) + "\n")
    incident_report(ev, tr, tmp_path / "n.html", zones=[z])
    neg = (tmp_path / "n.html").read_text()
    assert "0–926 m above the WGS84 ellipsoid (estimates; the lowest, -170 m, is below the " \
           "ellipsoid: an error of the estimate, track altitude 1σ up to 640 m)" in neg
    assert "-170–926" not in neg
    # every estimate below it: the altitude was not resolved (not "0–0 m")
    evs[-1]["min_alt_m"], evs[-1]["max_alt_m"] = -579.0, -200.0
    ev.write_text("\n".join(json.dumps(e) for e in evs) + "\n")
    incident_report(ev, tr, tmp_path / "m.html", zones=[z])
    under = (tmp_path / "m.html").read_text()
    assert "not resolved: every estimate (-579 to -200 m) is below the WGS84 ellipsoid, an " \
           "error of the estimate, track altitude 1σ up to 640 m" in under
    assert "0–0 m" not in under
    plot = re.search(r'<svg[^>]*id="plot-alt-v1".*?</svg>', html, re.DOTALL)
    assert plot is not None and "± 1σ" in plot.group(0)
    # a negative or text altitude error is named with its column / field
    tr.write_text("\n".join([rows[0] + ",alt_sd_m"] + [r + ",-5" for r in rows[1:]]) + "\n")
    with pytest.raises(DataFormatError, match="alt_sd_m"):
        incident_report(ev, tr, tmp_path / "c.html", zones=[z])
    evs[-1]["sigma_alt_m"] = "high"
    ev.write_text("\n".join(json.dumps(e) for e in evs) + "\n")
    with pytest.raises(DataFormatError, match="sigma_alt_m"):
        incident_report(ev, tr, tmp_path / "c.html", zones=[z])


def test_an_episode_whose_track_came_back_under_its_id_is_drawn_once(tmp_path: Path) -> None:
    """Fragments [7, 8, 7] (track 7 lost, track 8, track 7 again): one series with each report
    once, the altitude error carried over, and the fragments listed once each."""
    from dronewall.report.incident import _join_fragments
    from dronewall.report.incident_inputs import TrackSeries

    def series(t0: float, n: int) -> TrackSeries:
        t = t0 + np.arange(n, dtype=float)
        return TrackSeries(t, np.full(n, 59.8), 26.0 + 0.01 * t, np.full(n, 300.0),
                           np.full(n, 50.0), ["radar"] * n, np.full(n, 40.0),
                           np.full(n, 80.0))

    tracks = {"7": series(0.0, 10), "8": series(20.0, 5)}
    _join_fragments(tracks, [{"track_id": 7, "fragments": [7, 8, 7]}])
    j = tracks["7"]
    assert j.t_s.size == 15 and np.all(np.diff(j.t_s) > 0)
    assert j.alt_sd is not None and j.speed is not None and np.all(j.alt_sd == 80.0)
    ev, tr, z = _inputs(tmp_path)
    evs = [json.loads(x) for x in ev.read_text().splitlines()]
    evs[-1].update(episode_id="E1", fragments=[7, 7])
    ev.write_text("\n".join(json.dumps(e) for e in evs) + "\n")
    incident_report(ev, tr, tmp_path / "f.html", zones=[z])
    assert "track fragments" not in (tmp_path / "f.html").read_text()


def test_a_drone_hovering_over_a_runway_fills_its_episode_map(tmp_path: Path) -> None:
    """A multirotor patrolling 300 m around a point is drawn at a scale that shows its path
    (scale bar of at most 2 km), not as a dot in 8 km of context; the overview keeps the wider
    view."""
    zone = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
        "id": "APT", "kind": "airport", "name": "Airport"}, "geometry": {"type": "Polygon",
        "coordinates": [[[9.80, 57.07], [9.90, 57.07], [9.90, 57.12], [9.80, 57.12],
                         [9.80, 57.07]]]}}]}
    (tmp_path / "z.geojson").write_text(json.dumps(zone))
    rows = ["t_s,track_id,lat_deg,lon_deg,alt_m,pos_sd_m,seen_by"]
    for k in range(0, 301):
        a = k / 30.0
        rows.append(f"{k * 2},3,{57.095 + 0.0027 * np.sin(a):.6f},"
                    f"{9.85 + 0.005 * np.cos(a):.6f},100,20,radar")
    (tmp_path / "tracks.csv").write_text("\n".join(rows) + "\n")
    ev = [{"event": "violation", "track_id": 3, "zone_id": "APT", "zone_kind": "airport",
           "zone_name": "Airport", "entry_t_s": 0.0, "exit_t_s": 600.0,
           "entry_time": "2025-09-24T19:30:00Z", "exit_time": "2025-09-24T19:40:00Z",
           "entry_point": [57.095, 9.855], "exit_point": [57.095, 9.855],
           "max_depth_point": [57.095, 9.845], "duration_s": 600.0, "max_depth_m": 2500.0,
           "p_inside": 1.0, "confidence": "probable", "ongoing": False}]
    (tmp_path / "events.jsonl").write_text("\n".join(json.dumps(e) for e in ev) + "\n")
    incident_report(tmp_path / "events.jsonl", tmp_path / "tracks.csv", tmp_path / "r.html",
                    zones=[tmp_path / "z.geojson"])
    html = (tmp_path / "r.html").read_text()
    maps = re.findall(r'<svg[^>]*class="map".*?</svg>', html, re.S)
    assert len(maps) == 2
    bars = [re.search(r'class="scale-bar".*?</g>', m, re.S).group(0) for m in maps]
    labels = [re.findall(r">([\d.]+ k?m)</text>", b)[-1] for b in bars]

    def metres(s: str) -> float:
        return float(s.split()[0]) * (1000.0 if s.endswith(" km") else 1.0)

    assert metres(labels[1]) <= 2000.0, labels      # the episode map (8 km span: 5 km)
    assert metres(labels[0]) >= metres(labels[1])   # the overview no closer


def test_a_remote_id_drone_states_where_its_broadcast_puts_the_pilot(tmp_path: Path) -> None:
    """An identified drone's episode lists the pilot position its Remote ID claimed -- as a
    claim, not a fix -- and marks it on the episode map."""
    ev, tr, z = _inputs(tmp_path)
    rows = [json.loads(x) for x in ev.read_text().splitlines()]
    rows[-1].update({"identity": "1581F5XYZ", "cooperative": "identified",
                     "operator_point": [59.78, 26.5], "operator_t_s": 580.0})
    ev.write_text("\n".join(json.dumps(e) for e in rows) + "\n")
    incident_report(ev, tr, tmp_path / "r.html", zones=[z])
    html = (tmp_path / "r.html").read_text()
    assert "pilot position (Remote ID claim)" in html
    assert "59.78" in html and "as broadcast by the drone; no sensor of the wall fixed it" in html
    assert "pilot (Remote ID claim)" in html          # the map's marker and legend
    # a 20-character serial wraps in the overview table instead of widening it off the page
    assert '<td class="ident">1581F5XYZ</td>' in html and "#episodes td.ident{" in html
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["items"][0]["violation"]["operator_point"] == [59.78, 26.5]



def test_the_default_list_leaves_out_unlikely_episodes_with_the_scorer_s_rule() -> None:
    """One rule (``airspace.track_quality.unlisted_reason``) for the incident report's default
    list and for what ``simulate`` scores as reported: an episode on an adequate track but no
    more likely than 0.7 (a graze of the boundary within the position error) is kept in the
    record, counted as "unlikely", not listed."""
    from dronewall.report.incident import select_episodes

    def viol(tid: int, conf: str, quality: str = "medium", coop: str = "non_cooperative"):
        return {"event": "violation", "track_id": tid, "zone_id": "APT", "zone_kind": "airport",
                "entry_t_s": 10.0 * tid, "exit_t_s": 10.0 * tid + 5, "duration_s": 5.0,
                "max_depth_m": 3.0, "confidence": conf, "track_quality": quality,
                "cooperative": coop, "episode_id": f"E{tid}"}

    ev = [viol(1, "probable"), viol(2, "uncertain"), viol(3, "uncertain", "low"),
          viol(4, "authorised", "high", "authorised"), viol(5, "confirmed", "high")]
    kept, left = select_episodes(ev)
    assert sorted(int(v["track_id"]) for v in kept) == [1, 5]
    assert left == {"authorised_cooperative": 1, "low_quality": 1, "unlikely": 1}
    every, _ = select_episodes(ev, "all")
    assert len(every) == 5


def test_fragments_judged_since_a_return_without_end_times_still_merge(tmp_path: Path) -> None:
    """Two fragments of one track in one episode, the later judged since a return
    (``track_body_from_t_s``), the earlier from another tool without any end time: the episode
    is merged and reported (was an internal error: float(None))."""
    ev, tr, z = _inputs(tmp_path)
    evs = [json.loads(x) for x in ev.read_text().splitlines()]
    base = {**evs[-1], "episode_id": "E0001", "track_hits": 50, "sensor_kinds": ["radar"]}
    a = {**base, "track_steps": 100, "track_p_bird": 0.1, "t_s": None, "exit_t_s": None}
    b = {**base, "track_steps": 50, "track_p_bird": 0.9, "track_body_from_t_s": 100.0}
    ev.write_text("\n".join(json.dumps(e) for e in evs[:-1] + [a, b]) + "\n")
    incident_report(ev, tr, tmp_path / "e.html", zones=[z], scope="all")
    assert "E0001" in (tmp_path / "e.json").read_text()


def test_the_pilots_link_is_shown_and_checked(tmp_path: Path) -> None:
    """A record with the drone's control link (``pilot_link``): its row says where the pilot
    could be; a malformed one is named with its field (exit 2 from the CLI), not an internal
    error; older records without it still load."""
    ev, tr, z = _inputs(tmp_path)
    evs = [json.loads(x) for x in ev.read_text().splitlines()]
    link = {"protocol": "DJI OcuSync link", "reports": 1301, "reach_m": 15000.0,
            "least_depth_m": 56702.0, "pilot_inside": True}
    evs[-1]["pilot_link"] = link
    block = _evidence_block(evs, ev, tr, z, tmp_path / "e.html")
    assert "the drone&#39;s control link (where its pilot could be)" in block
    assert ("DJI OcuSync link heard 1\u202f301 times, reach ~15 km; the drone was at least "
            "56.7 km inside whenever it was heard: its pilot was inside") in block
    evs[-1]["pilot_link"] = {**link, "least_depth_m": 6000.0, "pilot_inside": False}
    assert "its pilot may have been outside" in _evidence_block(evs, ev, tr, z,
                                                               tmp_path / "e.html")
    del evs[-1]["pilot_link"]                     # a record from before the field
    ev.write_text("\n".join(json.dumps(e) for e in evs) + "\n")
    incident_report(ev, tr, tmp_path / "o.html", zones=[z])
    assert "control link" not in (tmp_path / "o.html").read_text()
    for bad, field in (({**link, "reports": -1}, ".reports: got -1"),
                       ({**link, "x": 1}, "expected an object with the fields protocol"),
                       ({**link, "pilot_inside": None}, ".pilot_inside: got null"),
                       ("inside", "expected an object")):
        evs[-1]["pilot_link"] = bad
        ev.write_text("\n".join(json.dumps(e) for e in evs) + "\n")
        with pytest.raises(DataFormatError, match=re.escape("field 'pilot_link'") + ".*"
                           + re.escape(field)):
            incident_report(ev, tr, tmp_path / "e.html", zones=[z])
