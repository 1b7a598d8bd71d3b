"""Study report: offline HTML of a Monte-Carlo study directory (map, plots, key numbers).

The study directory is a FIXTURE built here: run 0 is a real ``run_simulation`` of a short cut of
the Rzeszow scenario; the other runs' metrics in runs.csv are synthesised (fake but plausible
numbers, fixtures only) under the names of the metric schema, and summary.json / sensors.json are
made from them with the runner's own aggregation and coverage code. The numbers of a real study
are checked against runs.csv in test_study_e2e.py.
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

from dronewall.errors import InputError
from dronewall.metrics import schema
from dronewall.pipeline.study.aggregate import aggregates
from dronewall.pipeline.study.coverage import sensor_coverage
from dronewall.report.study import write_study_report

REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "scenarios" / "rzeszow-layered-defence.yaml"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SWEEP_PARAM = "effectors[interceptors-east].count"
SWEEP_VALUES = [2, 4, 8, 16]
EFFECTOR_TYPES = ["interceptor_drone", "gun_35mm", "sam_short", "ew_jammer"]


# ----------------------------------------------------------------------------- fixture builders

def _fake_metrics(rng: np.random.Generator, stock: int) -> dict[str, float]:
    """Plausible per-run metrics under the schema's names (fixture numbers, not results)."""
    flown, uncrewed = 21, 30
    leak = int(rng.binomial(flown, 0.25 * 4 / (4 + stock)))
    kills = flown - leak - int(rng.integers(0, 3))
    spend = {"interceptor_drone": 2300.0 * min(stock, rng.poisson(6)),
             "gun_35mm": 22400.0 * rng.poisson(5), "sam_short": 400000.0 * rng.poisson(0.8),
             "ew_jammer": 10.0 * rng.poisson(3)}
    det, scored = int(rng.binomial(uncrewed, 0.8)), int(rng.integers(15, 25))
    correct = int(rng.binomial(scored, 0.9))
    m = {"detected_ratio": det / uncrewed, "uncrewed_flown": uncrewed, "uncrewed_detected": det,
         "alert_latency_s": float(rng.gamma(4, 0.6)),
         "warning_lead_time_s": float(max(rng.normal(95, 20), 0.0)),
         "gospa_mean_m": float(rng.normal(290, 25)), "track_breaks": int(rng.poisson(2)),
         "id_switches": int(rng.poisson(1)), "classification_accuracy": correct / scored,
         "classification_scored": scored, "classification_correct": correct,
         "violations_truth": int(rng.poisson(29)), "violations_tracked": int(rng.poisson(23)),
         "threats_flown": flown, "neutralised": kills, "leakers": leak, "leak_rate": leak / flown,
         "value_lost_eur": 2.5e6 * leak * rng.uniform(0.5, 1.5), "spend_eur": sum(spend.values()),
         "cost_exchange_ratio": sum(spend.values()) / max(kills * 30000.0, 1.0),
         "shots": int(rng.poisson(14)), "ammunition_used": int(rng.poisson(14))}
    m.update({f"spend_eur_{k}": v for k, v in spend.items()})
    return {k: float(v) for k, v in m.items()}


def build_study(run0: Path, dest: Path, *, n_runs: int = 24, sweep: bool = True,
                seed: int = 11) -> Path:
    """A study directory around an existing run output ``run0`` (copied to runs/run-0000)."""
    from dronewall.scenario import load_scenario

    rng = np.random.default_rng(seed)
    dest.mkdir(parents=True, exist_ok=True)
    if run0.resolve() != (dest / "runs" / "run-0000").resolve():
        shutil.copytree(run0, dest / "runs" / "run-0000", dirs_exist_ok=True)
    sc = load_scenario(SCENARIO)
    (dest / "scenario.json").write_text(json.dumps(sc.model_dump(mode="json")))
    (dest / "sensors.json").write_text(json.dumps(sensor_coverage(sc)))
    values = SWEEP_VALUES if sweep else [8]
    per_point = n_runs // len(values)
    recs, failed = [], []
    for k, stock in enumerate(values):
        for i in range(per_point):
            run = k * per_point + i
            r = {"run": run, "point": k, "seed": 1000 + i, "status": "ok", "error": "",
                 "metrics": {}, "stock": stock}
            if run in (5, 13):
                r["error"] = ("ConfigurationError: effectors.interceptors-east.count: -1 is not "
                              ">= 0" if run == 5 else "TimeoutError: run exceeded 600 s")
                r["status"] = "failed"
                failed.append({"run": run, "seed": r["seed"],
                               "params": {SWEEP_PARAM: stock} if sweep else {},
                               "error": r["error"]})
            else:
                r["metrics"] = _fake_metrics(rng, stock)
            recs.append(r)
    names = schema.column_order(k for r in recs for k in r["metrics"])
    cols = ["run", "point", "seed"] + ([SWEEP_PARAM] if sweep else []) + ["status", "error"] \
        + names + ["wall_s"]
    with open(dest / "runs.csv", "w", encoding="utf-8") as fh:
        fh.write(",".join(cols) + "\n")
        for r in recs:
            cells = [r["run"], r["point"], r["seed"]] + ([r["stock"]] if sweep else []) \
                + [r["status"], r["error"]] + [r["metrics"].get(n, "") for n in names] + [55.0]
            fh.write(",".join(str(c) for c in cells) + "\n")

    def aggs(sel: list[dict]) -> dict:
        return aggregates([r["metrics"] for r in sel if r["status"] == "ok"], names)

    ok = [r for r in recs if r["status"] == "ok"]
    summary = {"scenario": sc.name, "runs_requested": len(recs), "runs_ok": len(ok),
               "runs_per_point": per_point, "runs_failed": failed, "metrics": names,
               "metric_definitions": schema.definitions(names),
               "aggregates": None if sweep else aggs(recs), "backend": "local", "workers": 4,
               "timing": {"wall_s": 812.4}, "sweep": None, "base_seed": 1}
    if sweep:
        summary["sweep"] = {"parameters": [SWEEP_PARAM], "points": [
            {"point": k, "params": {SWEEP_PARAM: v},
             "runs_ok": sum(r["point"] == k for r in ok),
             "runs_failed": sum(r["point"] == k and r["status"] != "ok" for r in recs),
             "error": None, "aggregates": aggs([r for r in recs if r["point"] == k])}
            for k, v in enumerate(values)]}
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
    assert not re.search(r"""(src|href|xlink:href|action|srcset)\s*=\s*["']?\s*(https?:)?//""",
                         text, re.IGNORECASE)
    assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//", text, re.IGNORECASE)
    assert not re.search(r"@import", text, re.IGNORECASE)
    low = text.lower()
    assert "<script" not in low and "<link" not in low and "<img" not in low


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

PLOTS = ["plot-threats", "plot-alert_latency_s", "plot-warning_lead_time_s", "plot-leak_rate",
         "plot-cost_exchange_ratio", "plot-spend", "plot-sweep"]


def test_report_is_offline_and_has_map_and_plots(study: Path) -> None:
    html = (study / "report.html").read_text(encoding="utf-8")
    _no_network_refs(html)
    assert len(html) < 5_000_000
    for ident in ["map", "key-numbers", "failed-runs", *PLOTS]:
        assert f'id="{ident}"' in html, ident
    m = re.search(r'<svg id="map".*?</svg>\s*<g class="legend">', html, re.DOTALL)
    assert m
    svg = m.group(0)
    for cls in ("zone zone-sovereign", "zone zone-airport", "coverage coverage-radar",
                "coverage coverage-acoustic", "sensor sensor-radar", "sensor sensor-acoustic",
                'class="truth"', 'class="track track-', "scale-bar", "north-arrow",
                'class="violation"', 'class="effector"', "graticule"):
        assert cls in svg, cls
    eg = (study / "runs" / "run-0000" / "engagements.csv").read_text().splitlines()
    assert ("engagement engagement-" in html) == (len(eg) > 1)  # run 0's engagements drawn
    assert svg.count('class="track track-') >= 2
    # key numbers: units, interval and its method
    assert "Alert latency" in html and re.search(r'>\d+\.\d s</span></td>', html)
    assert "€" in html and "95 % CI" in html and "Wilson, pooled counts" in html
    # a sweep: per point, never pooled; one panel per headline metric against the parameter
    assert "Headline numbers per sweep point" in html and html.count('<div class="tiles"') == 4
    assert html.count('class="plot sweep-panel"') >= 4 and SWEEP_PARAM in html


def test_failed_runs_are_listed(study: Path) -> None:
    html = (study / "report.html").read_text(encoding="utf-8")
    tbl = re.search(r'<table id="failed-runs".*?</table>', html, re.DOTALL).group(0)
    assert "is not &gt;= 0" in tbl and "TimeoutError" in tbl and "1005" in tbl and "1001" in tbl
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
    assert 'id="map"' in html and 'class="truth"' not in html and "engagements not drawn" in html
    assert "no parameter sweep" in html and "All runs completed" in html
    assert "sensor sensor-radar" in html  # fallback: point sensors from scenario.json
    # the tables read summary.json only: without aggregates there are no numbers to show
    assert "No aggregates in summary.json" in html and 'class="value"' not in html

    # a bare study: a minimal summary.json and a runs.csv with one column of numbers
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "runs.csv").write_text("run,seed,status,error,leakers\n0,1,ok,,3\n1,2,ok,,\n"
                                   "2,3,failed,boom,\n")
    (bare / "summary.json").write_text(json.dumps(
        {"runs_per_point": 3, "runs_requested": 3, "metrics": ["leakers"]}))
    html = write_study_report(bare).read_text(encoding="utf-8")
    _no_network_refs(html)
    assert "Nothing to map" in html and "boom" in html
    # a folder that is not a study is refused (issue 14): empty, or a single run's summary.json
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no summary.json"):
        write_study_report(empty)
    (empty / "summary.json").write_text(json.dumps({"scenario": "x", "steps": 10}))
    with pytest.raises(InputError, match="not the summary of a study"):
        write_study_report(empty)
    assert not (empty / "report.html").exists()


def test_run0_without_engagements(study: Path, tmp_path: Path) -> None:
    # a valid study whose run 0 had no engagement: engagements.csv has only its header
    # (report study used to crash here indexing with an empty float array)
    d = tmp_path / "s"
    shutil.copytree(study, d)
    eg = d / "runs" / "run-0000" / "engagements.csv"
    eg.write_text(eg.read_text().splitlines()[0] + "\n")
    html = write_study_report(d).read_text(encoding="utf-8")
    assert 'id="plot-threats"' in html and "engagement engagement-" not in html
    assert 'id="run0-engagements"' not in html and 'id="key-numbers"' in html


def test_run0_engagements_are_drawn(study: Path, tmp_path: Path) -> None:
    # two engagements written into run 0 (fixture rows): a kill and a miss near the airport
    d = tmp_path / "s"
    shutil.copytree(study, d)
    cols = ["t_s", "t_resolved_s", "effector_id", "effector_type", "shots", "cost_eur", "result",
            "lat_deg", "lon_deg", "kill_lat_deg", "kill_lon_deg"]
    rows = [[100, 110, "gun-hub", "gun_35mm", 1, 22400, "kill", 50.11, 22.02, 50.111, 22.021],
            [120, 130, "sam-hub", "sam_short", 1, 400000, "miss", 50.12, 22.03, "", ""]]
    (d / "runs" / "run-0000" / "engagements.csv").write_text(
        "\n".join(",".join(str(c) for c in r) for r in [cols, *rows]) + "\n")
    html = write_study_report(d).read_text(encoding="utf-8")
    assert html.count('class="engagement engagement-kill"') >= 1
    assert html.count('class="engagement engagement-miss"') >= 1
    tbl = re.search(r'<table id="run0-engagements".*?</table>', html, re.DOTALL).group(0)
    assert "gun 35mm" in tbl and "sam short" in tbl and "€400 k" in tbl
    assert 'class="kill"' in html  # the kill on the air-picture time axis


def test_old_summary_without_methods_is_labelled(study: Path, tmp_path: Path) -> None:
    d = tmp_path / "s"
    shutil.copytree(study, d)
    sm = json.loads((d / "summary.json").read_text())
    for p in sm["sweep"]["points"]:
        for a in p["aggregates"].values():
            a.pop("method", None)
    (d / "summary.json").write_text(json.dumps(sm))
    html = write_study_report(d).read_text(encoding="utf-8")
    assert "not recorded" in html and "re-run the study" in html


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
    assert nonwhite.mean() > 0.05  # text, tiles and the map, not a blank page
    colours = np.unique(px[::4, ::4].reshape(-1, 3), axis=0)
    assert len(colours) > 200
    dom = _chromium("--dump-dom", url).stdout
    for ident in ["map", "key-numbers", "plot-sweep-0", *PLOTS]:
        assert f'id="{ident}"' in dom, ident
    assert dom.count('class="track track-') >= 2 and 'class="zone zone-' in dom
