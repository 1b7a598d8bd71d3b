"""Study report: offline HTML of a Monte-Carlo study directory (map, plots, key numbers).

The study directory is a FIXTURE built here: run 0 is a real ``run_simulation`` of a short cut of
the Rzeszow scenario; summary.json / runs.csv / sensors.json / scenario.json and the other runs'
metrics are synthesised (fake but plausible numbers), standing in for the Monte-Carlo runner.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

from dronewall.report.study import write_study_report

REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "scenarios" / "rzeszow-layered-defence.yaml"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SWEEP_PARAM = "effectors.interceptors-east.count"
EFFECTOR_TYPES = ["interceptor_drone", "gun_35mm", "sam_short", "ew_jammer"]
#: Nominal coverage radius of an acoustic node for the fixture's sensors.json [E].
ACOUSTIC_RANGE_M = 2500.0


# ----------------------------------------------------------------------------- fixture builders

def _sensors_json(scenario_path: Path) -> list[dict]:
    from dronewall.scenario import load_scenario
    from dronewall.sensors.acoustic import grid_nodes

    sc = load_scenario(scenario_path)
    out = []
    for s in sc.sensors:
        if s.type == "acoustic_grid":
            ids, lat, lon = grid_nodes(s)
            out += [{"id": i, "type": "acoustic", "lat": float(a), "lon": float(b),
                     "range_m": ACOUSTIC_RANGE_M} for i, a, b in zip(ids, lat, lon)]
            continue
        rng = getattr(s, "max_range_m", None) or getattr(s, "range_m", None)
        out.append({"id": s.id, "type": s.type, "lat": s.position[0], "lon": s.position[1],
                    "range_m": None if s.type == "adsb" else rng})
    return out


def build_study(run0: Path, dest: Path, *, n_runs: int = 24, sweep: bool = True,
                n_failed: int = 2, seed: int = 11) -> Path:
    """A study directory around an existing run output ``run0`` (copied to runs/run-0000)."""
    from dronewall.report.study import _agg
    from dronewall.scenario import load_scenario

    rng = np.random.default_rng(seed)
    dest.mkdir(parents=True, exist_ok=True)
    if run0.resolve() != (dest / "runs" / "run-0000").resolve():
        shutil.copytree(run0, dest / "runs" / "run-0000", dirs_exist_ok=True)
    sc = load_scenario(SCENARIO)
    (dest / "scenario.json").write_text(json.dumps(sc.model_dump(mode="json")))
    (dest / "sensors.json").write_text(json.dumps(_sensors_json(SCENARIO)))
    sweep_vals = [2, 4, 8, 16]
    metrics = ["alert_latency_s_median", "warning_lead_time_s_median", "gospa_mean", "track_breaks",
               "id_switches", "classification_accuracy", "violations_true", "violations_tracked",
               "leakers", "threats_flown", "value_lost_eur", "spend_eur"] + \
        [f"spend_eur.{t}" for t in EFFECTOR_TYPES] + ["cost_exchange_ratio", "ammo_used",
                                                      "threats_neutralised", "wall_s"]
    cols = ["run", "seed"] + ([SWEEP_PARAM] if sweep else []) + ["status", "error"] + metrics
    rows, failed = [], []
    for i in range(n_runs):
        stock = sweep_vals[i % len(sweep_vals)] if sweep else 8
        row: dict = {"run": i, "seed": 1000 + i, "status": "ok", "error": ""}
        if sweep:
            row[SWEEP_PARAM] = stock
        if i in (5, 13)[:n_failed]:
            err = ("ConfigurationError: effectors.interceptors-east.count: -1 is not >= 0" if i == 5
                   else "TimeoutError: run exceeded 600 s")
            row.update(status="failed", error=err)
            failed.append({"run": i, "seed": row["seed"], "params": {SWEEP_PARAM: stock} if sweep else {},
                           "error": err})
            rows.append(row)
            continue
        flown = 21
        leak = int(rng.binomial(flown, 0.25 * 4 / (4 + stock)))
        spend = {"interceptor_drone": 2300.0 * min(stock, rng.poisson(6)),
                 "gun_35mm": 22400.0 * rng.poisson(5), "sam_short": 400000.0 * rng.poisson(0.8),
                 "ew_jammer": 10.0 * rng.poisson(3)}
        kills = flown - leak - int(rng.integers(0, 3))
        row.update({
            "alert_latency_s_median": float(rng.gamma(4, 0.6)),
            "warning_lead_time_s_median": float(rng.normal(95, 20)),
            "gospa_mean": float(rng.normal(290, 25)), "track_breaks": int(rng.poisson(2)),
            "id_switches": int(rng.poisson(1)), "classification_accuracy": float(rng.beta(18, 2)),
            "violations_true": int(rng.poisson(29)), "violations_tracked": int(rng.poisson(23)),
            "leakers": leak, "threats_flown": flown, "value_lost_eur": 2.5e6 * leak * rng.uniform(0.5, 1.5),
            "spend_eur": sum(spend.values()),
            **{f"spend_eur.{k}": v for k, v in spend.items()},
            "cost_exchange_ratio": sum(spend.values()) / max(kills * 30000.0, 1.0),
            "ammo_used": int(rng.poisson(14)), "threats_neutralised": kills,
            "wall_s": float(rng.normal(55, 5)),
        })
        rows.append(row)
    rows[0]["seed"] = 1  # run 0 is the simulated one
    with open(dest / "runs.csv", "w", encoding="utf-8") as fh:
        fh.write(",".join(cols) + "\n")
        fh.writelines(",".join("" if r.get(c) is None else str(r.get(c, "")) for c in cols) + "\n" for r in rows)
    ok = [r for r in rows if r["status"] == "ok"]

    def aggs(sel: list[dict]) -> dict:
        return {m: _agg(np.array([float(r[m]) for r in sel])) for m in metrics}

    summary = {"scenario": sc.name, "runs_requested": n_runs, "runs_ok": len(ok), "runs_failed": failed,
               "metrics": metrics, "aggregates": aggs(ok), "backend": "process", "workers": 4,
               "timing": {"wall_s": 812.4}, "sweep": None}
    if sweep:
        summary["sweep"] = {"parameters": [SWEEP_PARAM], "points": [
            {"params": {SWEEP_PARAM: v}, "aggregates": aggs([r for r in ok if r[SWEEP_PARAM] == v])}
            for v in sweep_vals]}
    (dest / "summary.json").write_text(json.dumps(summary, indent=1))
    return dest


@pytest.fixture(scope="session")
def run0(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dronewall.pipeline.simulate import run_simulation

    out = tmp_path_factory.mktemp("sim") / "run-0000"
    run_simulation(SCENARIO, out, seed=1, duration_s=120, compare_doctrines=False)
    return out


@pytest.fixture(scope="session")
def study(run0: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = build_study(run0, tmp_path_factory.mktemp("study") / "study")
    write_study_report(d)
    return d


# ----------------------------------------------------------------------------- helpers

def _no_network_refs(text: str) -> None:
    assert "http://" not in text and "https://" not in text
    assert not re.search(r"""(src|href|xlink:href|action|srcset)\s*=\s*["']?\s*(https?:)?//""", text, re.IGNORECASE)
    assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//", text, re.IGNORECASE)
    assert not re.search(r"@import", text, re.IGNORECASE)
    assert "<script" not in text.lower() and "<link" not in text.lower() and "<img" not in text.lower()


def _png_pixels(path: Path) -> tuple[int, int, np.ndarray]:
    """(width, height, RGB pixels) of a PNG: Pillow when installed (fast), else the tiny decoder."""
    try:
        from PIL import Image
    except ImportError:
        return _png_decode(path)
    im = np.asarray(Image.open(path).convert("RGB"), dtype=np.int32)
    return im.shape[1], im.shape[0], im


def _png_decode(path: Path) -> tuple[int, int, np.ndarray]:
    """Tiny PNG decoder (8-bit RGB/RGBA, non-interlaced: the screenshots Chromium writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        ln, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + ln]
        if typ == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
            bpp = 3 if ctype == 2 else 4
        elif typ == b"IDAT":
            idat += body
        pos += 12 + ln
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(h, 1 + w * bpp)
    out = np.zeros((h, w * bpp), dtype=np.int32)
    prev = np.zeros(w * bpp, dtype=np.int32)
    for y in range(h):
        f, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        if f == 0:
            cur = line
        elif f == 1:  # Sub: running sum along the row, per channel
            cur = (line.reshape(-1, bpp).cumsum(axis=0) & 255).ravel()
        elif f == 2:  # Up
            cur = (line + prev) & 255
        else:  # Average / Paeth need the decoded left neighbour: scalar loop over plain lists
            ln, up, cl = line.tolist(), prev.tolist(), [0] * line.size
            for x in range(len(ln)):
                a = cl[x - bpp] if x >= bpp else 0
                b = up[x]
                if f == 3:
                    p = (a + b) >> 1
                else:
                    c = up[x - bpp] if x >= bpp else 0
                    pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                    p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cl[x] = (ln[x] + p) & 255
            cur = np.asarray(cl, dtype=np.int32)
        out[y] = cur
        prev = cur
    return w, h, out.reshape(h, w, bpp)[:, :, :3]


def _chromium(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(CHROMIUM), *CHROMIUM_ARGS, *args], capture_output=True, text=True,
                          timeout=timeout)


# ----------------------------------------------------------------------------- tests

def test_report_is_offline_and_has_map_and_plots(study: Path) -> None:
    html = (study / "report.html").read_text(encoding="utf-8")
    _no_network_refs(html)
    assert len(html) < 5_000_000
    for ident in ("map", "plot-threats", "plot-alert-latency", "plot-warning-lead", "plot-leak",
                  "plot-cer", "plot-spend", "plot-sweep", "key-numbers", "failed-runs"):
        assert f'id="{ident}"' in html or f"id='{ident}'" in html, ident
    m = re.search(r'<svg id="map".*?</svg>', html, re.DOTALL)
    assert m
    svg = m.group(0)
    for cls in ("zone zone-sovereign", "zone zone-airport", "coverage", "sensor sensor-radar",
                "sensor sensor-acoustic", "class=\"truth\"", "class=\"track track-", "scale-bar",
                "north-arrow", "class=\"violation\"", "effector"):
        assert cls in svg, cls
    assert "engagement" in html  # engagements.csv of run 0 is drawn (overview or detail map)
    assert svg.count("<polyline") >= 10
    # key numbers: formatted with units, CI present
    assert "Alert latency" in html and " s</td>" in html and "€" in html and "95 % CI" in html
    # four sweep panels (one per key metric), x = the sweep parameter
    assert html.count('class="plot sweep-panel"') >= 4 and SWEEP_PARAM in html


def test_failed_runs_are_listed(study: Path) -> None:
    html = (study / "report.html").read_text(encoding="utf-8")
    tbl = re.search(r"<table id='failed-runs'.*?</table>", html, re.DOTALL).group(0)
    assert "is not &gt;= 0" in tbl and "TimeoutError" in tbl and "1005" in tbl and "1013" in tbl
    assert "Failed runs (2)" in html and "22 ok / 24 requested" in html


def test_missing_optional_inputs(study: Path, tmp_path: Path) -> None:
    # no engagements, no truth, no sensors.json, no sweep, no failures, no aggregates in summary
    d = tmp_path / "s"
    shutil.copytree(study, d)
    for f in ("engagements.csv", "truth.csv", "platforms.csv"):
        (d / "runs" / "run-0000" / f).unlink(missing_ok=True)
    (d / "sensors.json").unlink()
    sm = json.loads((d / "summary.json").read_text())
    sm.update(sweep=None, runs_failed=[], aggregates={})
    (d / "summary.json").write_text(json.dumps(sm))
    out = write_study_report(d, tmp_path / "out" / "r.html")
    html = out.read_text(encoding="utf-8")
    _no_network_refs(html)
    assert 'id="map"' in html and "class=\"truth\"" not in html and "engagements not drawn" in html
    assert "no parameter sweep" in html and "All runs completed" in html
    assert "sensor sensor-radar" in html  # fallback: point sensors from scenario.json
    # the spend plot still comes from runs.csv columns, aggregates computed here
    assert 'id="plot-spend"' in html and "Alert latency" in html

    # a bare directory: only a runs.csv with one column of numbers
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "runs.csv").write_text("run,seed,status,error,leakers\n0,1,ok,,3\n1,2,ok,,\n2,3,failed,boom,\n")
    html = write_study_report(bare).read_text(encoding="utf-8")
    _no_network_refs(html)
    assert "nothing to map" in html and "boom" in html and "Leakers" in html
    # an empty directory still gives a page
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "<html" in write_study_report(empty).read_text(encoding="utf-8")


def test_text_urls_are_not_resource_references(study: Path, tmp_path: Path) -> None:
    d = tmp_path / "s"
    shutil.copytree(study, d)
    sc = json.loads((d / "scenario.json").read_text())
    sc["description"] = "Sources: https://example.org/a and http://example.org/b <script>"
    (d / "scenario.json").write_text(json.dumps(sc))
    html = write_study_report(d).read_text(encoding="utf-8")
    _no_network_refs(html)
    assert "example.org/a" in html and "&lt;script&gt;" in html


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium")
def test_renders_in_headless_chromium(study: Path, tmp_path: Path) -> None:
    url = (study / "report.html").resolve().as_uri()
    png = tmp_path / "shot.png"
    r = _chromium(f"--screenshot={png}", "--window-size=1100,2600", "--hide-scrollbars", url)
    assert png.exists(), r.stderr[-2000:]
    assert png.stat().st_size > 50_000
    w, h, px = _png_pixels(png)
    assert (w, h) == (1100, 2600)
    nonwhite = (px < 235).any(axis=2)
    assert nonwhite.mean() > 0.05  # text, map and plots, not a blank page
    # the map (sea + land + paths) is in the upper part, with many colours
    colours = np.unique(px[::4, ::4].reshape(-1, 3), axis=0)
    assert len(colours) > 200
    dom = _chromium("--dump-dom", url).stdout
    for ident in ("map", "plot-threats", "plot-alert-latency", "plot-leak", "plot-cer", "plot-spend",
                  "plot-sweep-0", "key-numbers"):
        assert f'id="{ident}"' in dom, ident
    assert dom.count('class="track track-') >= 5 and 'class="zone zone-' in dom
