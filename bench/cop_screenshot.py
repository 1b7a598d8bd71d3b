"""Screenshot of the web COP from a real `dronewall serve` run (docs/img/serve-cop.png).

Starts ``dronewall serve`` on the built-in flagship raid (a fresh store in a temporary folder,
a free loopback port, ``--start`` to jump into the raid), waits until recommendations arrive,
opens the COP in Debian's chromium with the operator's token and saves a screenshot.

    .venv/bin/python bench/cop_screenshot.py --out docs/img/serve-cop.png

Needs the server and test extras (Playwright) and chromium (``DRONEWALL_CHROMIUM`` or
``/usr/bin/chromium``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "server"))

from serverkit import ServerProcess, chromium_path  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("docs/img/serve-cop.png"))
    ap.add_argument("--start", type=float, default=1500.0,
                    help="scenario seconds run unpaced before the COP is shown")
    ap.add_argument("--speed", type=float, default=2.0)
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="dronewall-cop-") as tmp:
        srv = ServerProcess(str(Path(tmp) / "store.db"), "--start", str(a.start), "--speed",
                            str(a.speed), log=Path(tmp) / "server.log").start(timeout=900)
        try:
            with srv.client(srv.token) as c:
                op = c.post("/api/v1/users", json={"name": "operator", "role": "operator"}).json()
            # past the unpaced start (recommendations made while it raced there would be
            # shown on a picture still catching up), then a recommendation waiting
            srv.wait(lambda c: c.get("/api/v1/health").json()["t_s"] >= a.start, timeout=900,
                     token=srv.token)
            srv.wait(lambda c: c.get("/api/v1/recommendations").json()["items"], timeout=600,
                     token=srv.token)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium_path(), args=ARGS)
                page = browser.new_page(viewport={"width": 1600, "height": 960})
                page.goto(f"{srv.url}/#token={op['token']}")
                page.wait_for_function("DW.mapReady && DW.state.tracks.size > 0",
                                       timeout=120_000)
                page.wait_for_timeout(8_000)  # a few steps: trails, alerts, proposals
                a.out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(a.out))
                n = page.evaluate("DW.state.tracks.size")
                browser.close()
            print(f"{a.out}: COP with {n} tracks")
        finally:
            srv.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
