"""The web COP in a real browser (Playwright driving Debian's chromium): it loads with the
operator's token, shows tracks moving over the offline map, opens a track's details, approves a
recommendation, and the decision is in the audit log -- without a single request leaving
loopback. Screenshots go to the test's output folder (``tmp_path``)."""

from __future__ import annotations

import time
from pathlib import Path

from serverkit import SCENARIO, ServerProcess, chromium_path

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def test_cop_in_chromium(tmp_path: Path) -> None:
    exe = chromium_path()
    from playwright.sync_api import sync_playwright

    srv = ServerProcess(str(tmp_path / "store.db"), "--scenario", str(SCENARIO), "--speed",
                        "1000", log=tmp_path / "server.log").start()
    try:
        with srv.client(srv.token) as c:
            op = c.post("/api/v1/users", json={"name": "olga", "role": "operator"}).json()
            srv.wait(lambda c: c.get("/api/v1/recommendations").json()["items"], timeout=240,
                     token=srv.token)
            c.patch("/api/v1/config", json={"speed": 2.0})
        outside: list[str] = []
        errors: list[str] = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 920})
            page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(
                (srv.url, "blob:", "data:")) else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{srv.url}/#token={op['token']}")
            page.wait_for_function("DW.mapReady && DW.state.tracks.size > 0", timeout=60_000)
            assert page.locator("#whoami").inner_text() == "olga (operator)"
            before = page.evaluate("[...DW.state.tracks.values()].map(t => [t.id, t.lat, t.lon])")
            seq0 = page.evaluate("DW.state.seq")
            page.wait_for_function(f"DW.state.seq >= {seq0 + 3}", timeout=30_000)
            after = {k: (a, b) for k, a, b in page.evaluate(
                "[...DW.state.tracks.values()].map(t => [t.id, t.lat, t.lon])")}
            moved = [k for k, a, b in before if k in after and after[k] != (a, b)]
            assert moved, "no track moved on the map"
            # an entry alert says how the crossing is known (window or first detection inside)
            how = (r"(entered .*crossed \d\d:\d\d:\d\d\.\d–\d\d:\d\d:\d\d\.\d UTC \(95 %\)"
                   r"|first detected inside .* at \d\d:\d\d:\d\d\.\d UTC.*; entry not seen)")
            page.wait_for_function("""(how) => [...document.querySelectorAll('#alerts li.alert')]
                .some(li => new RegExp(how).test(li.textContent))""", arg=how, timeout=30_000)
            page.wait_for_timeout(600)
            page.screenshot(path=str(tmp_path / "cop.png"))
            # open a track by clicking its symbol on the map (once the map has placed it)
            tid = page.evaluate("""() => { const t = [...DW.state.tracks.values()]
                .sort((a, b) => (b.aff === 'hostile') - (a.aff === 'hostile'))[0];
                DW.map.jumpTo({center: [t.lon, t.lat], zoom: 10}); return t.id; }""")
            tr = page.wait_for_function("""(id) => { const t = DW.state.tracks.get(id);
                if (!t) return null;
                const q = DW.map.project([t.lon, t.lat]);
                const f = DW.map.queryRenderedFeatures([q.x, q.y], {layers: ['tracks']});
                if (!f.length) return null;
                const r = document.getElementById('map').getBoundingClientRect();
                return {id: f[0].properties.id, x: r.left + q.x, y: r.top + q.y}; }""",
                                        arg=tid, timeout=30_000).json_value()
            page.mouse.click(tr["x"], tr["y"])
            det = page.locator("#details")
            det.wait_for(state="visible", timeout=15_000)
            page.wait_for_function(
                f"document.getElementById('details').innerText.includes('track {tr['id']}')",
                timeout=15_000)
            assert "class" in det.inner_text() and "%" in det.inner_text()
            page.screenshot(path=str(tmp_path / "track.png"))
            # the details of a track an entry alert names list that entry with its window
            ent = page.evaluate("""() => { const li = [...document.querySelectorAll(
                '#alerts li.alert')].find(li => / entered |first detected inside /
                .test(li.textContent));
                return li ? +li.getAttribute('data-track') : null; }""")
            assert ent is not None
            page.evaluate("(id) => DW.select(id, true)", ent)
            said = (r"entry .*(±\d+\.\d s \(95 %\)"
                    r"|first detected inside \(entry not seen\))")
            page.wait_for_function("""([id, said]) => { const t = document.getElementById(
                'details').innerText; return t.includes(`track ${id}`)
                && new RegExp(said).test(t); }""", arg=[ent, said], timeout=15_000)
            # approve the first recommendation waiting for a decision
            card = page.locator("#recs li[data-rec]").first
            card.wait_for(timeout=30_000)
            rid = card.get_attribute("data-rec")
            card.locator("input[data-reason]").fill("confirmed hostile")
            card.locator("button[data-act=approve]").click()
            page.wait_for_function(
                f"""[...document.querySelectorAll('#recs li[data-rec]')].some(li =>
                    li.getAttribute('data-rec') === {rid!r}
                    && li.innerText.includes('approved by olga'))""",
                timeout=15_000)
            page.screenshot(path=str(tmp_path / "approved.png"))
            # a Remote ID drone's entry in the details names where its broadcast puts the pilot
            said = page.evaluate("""() => DW.howKnown({evidence: 'observed_crossing',
                window_t_s: [10.0, 12.0], point_95_m: 30, operator_point: [57.1007, 9.825]})""")
            assert said == (" ±1.0 s (95 %), ±30 m along the border, pilot at 57.10070 N "
                            "9.82500 E (as broadcast)"), said
            # a line of bearing no track explains: listed, counted in the top bar, and a click
            # on it looks along the line (the map centres a third of the way out)
            seen = page.evaluate("""async () => {
                const x = {id: 1, sensor: 'rf-bug', kind: 'rf', sig: 'rf:dji_ocusync',
                    what: 'DJI OcuSync link', brg: 90, sd: 3, lat: 51.52, lon: 23.55,
                    end: [23.85, 51.52], reach_m: 20800, on_track: null, n: 40, since_s: 60,
                    age_s: 1};
                // hold the stream meanwhile: a step would replace the injected strobes
                const ws = DW.state.ws, onmsg = ws.onmessage;
                ws.onmessage = () => {};
                DW.state.strobes = [x];
                DW.renderStrobes();
                DW.render();
                await new Promise(r => requestAnimationFrame(() => r()));
                const li = document.querySelector('#strobes li.strobe');
                const panel = li.textContent;
                const counts = document.getElementById('counts').textContent;
                li.click();
                await new Promise(r => setTimeout(r, 800));
                const c = DW.map.getCenter();
                ws.onmessage = onmsg;
                return {panel, counts, lon: c.lng, lat: c.lat};
            }""")
            assert "DJI OcuSync link · rf-bug bearing 90° ±3°" in seen["panel"], seen
            assert "range unknown (≤ 21 km)" in seen["panel"], seen
            assert "1 unlocated emitter" in seen["counts"], seen
            assert abs(seen["lon"] - 23.65) < 0.01 and abs(seen["lat"] - 51.52) < 0.01, seen
            # the time slider: a recorded moment draws the lines of bearing heard then (the
            # server's /picture answer, with one recorded strobe added: this scenario's
            # emitters are all on tracks), listed with the span it was heard over
            def with_strobe(route) -> None:  # type: ignore[no-untyped-def]
                resp = route.fetch()
                body = resp.json()
                assert isinstance(body.get("strobes"), list), body.keys()
                body["strobes"] = [{
                    "id": 5, "sensor": "rf-bug", "kind": "rf", "sig": "rf:dji_ocusync",
                    "what": "DJI OcuSync link", "brg": 80, "sd": 4, "lat": 51.52, "lon": 23.55,
                    "end": [23.84, 51.55], "reach_m": 20800, "on_track": None, "n": 315,
                    "since_s": 40, "age_s": 0, "t_first_s": 20.0, "t_last_s": 200.0}]
                route.fulfill(response=resp, json=body)

            page.route("**/api/v1/picture?*", with_strobe)
            page.evaluate("""() => { const s = document.getElementById('slider');
                s.value = Math.max(+s.min, 60); s.dispatchEvent(new Event('input')); }""")
            page.wait_for_function("DW.state.mode === 'replay' && DW.shownStrobes().length === 1",
                                   timeout=15_000)
            page.wait_for_function("""() => document.querySelector('#strobes li.strobe')
                && document.getElementById('counts').textContent.includes('1 unlocated')""",
                                   timeout=15_000)
            panel = page.locator("#strobes li.strobe").first.inner_text()
            assert "rf-bug bearing 80° ±4°" in panel and "(315× in all; mean bearing)" in panel
            assert "01:00:20Z–01:03:20Z" in panel.replace("\u2013", "–"), panel
            drawn = page.evaluate("DW.map.getSource('strobes').serialize().data.features.length")
            assert drawn == 1, drawn
            page.screenshot(path=str(tmp_path / "slider-strobe.png"))
            page.unroute("**/api/v1/picture?*")
            page.locator("#go-live").click()
            page.wait_for_function("DW.state.mode === 'live'", timeout=10_000)
            # a flood of information (gulls predicted to enter a city's no-fire zone) never
            # pushes an unacknowledged critical alert out of the panel's memory
            page.evaluate("""() => {
                const a = (id, sev, kind, tid) => ({id, severity: sev, kind, track_id: tid,
                    zone_id: 'Z', zone_kind: 'no_fire', text: id, t_s: DW.now(),
                    acked_by: null});
                const flood = [...Array(400).keys()].map(i => a(`info-${i}`, 'info',
                                                              'warning', 900000 + i));
                DW.onStep({alerts: [a('crit-kept', 'critical', 'entry', 899999), ...flood]});
            }""")
            page.wait_for_function("""() => [...document.querySelectorAll('#alerts li.alert')]
                .some(li => li.textContent.includes('crit-kept'))""", timeout=10_000)
            browser.close()
        with srv.client(op["token"]) as c:
            au = c.get("/api/v1/audit", params={"action": "approve"}).json()["items"]
        assert [a["details"]["rec_id"] for a in au] == [rid]
        assert au[0]["actor"] == "olga" and au[0]["details"]["reason"] == "confirmed hostile"
        assert not errors, errors
        assert outside == [], f"requests left loopback: {outside}"
        for name in ("cop.png", "track.png", "approved.png"):
            assert (tmp_path / name).stat().st_size > 20_000
    finally:
        srv.stop()
    time.sleep(0.1)
