"""Where the server's time per step goes at ~1,000 tracks (issue 15): the chain's stages and
the server's own work after the step record is ready (delta, store rows, commit, JSON encode).

Builds the server state as ``dronewall serve`` does (SQLite store in a temp folder, no
engagements), runs the first ``--start`` seconds of ``bench/serve-1000.yaml`` unrecorded to
fill the picture, then times ``--steps`` steps phase by phase, one thread, no clients.

    .venv/bin/python bench/profile_serve_step.py --start 900 --steps 30
    .venv/bin/python bench/profile_serve_step.py --start 900 --steps 30 --cprofile 25
    .venv/bin/python bench/profile_serve_step.py --cprofile 40 --profile chain
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", type=Path, default=ROOT / "bench" / "serve-1000.yaml")
    ap.add_argument("--start", type=float, default=900.0)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--cprofile", type=int, default=0, help="print the top N functions")
    ap.add_argument("--profile", choices=("server", "chain"), default="server",
                    help="what --cprofile profiles: the server's work or the chain")
    args = ap.parse_args()

    from dronewall.server.app import build_state
    from dronewall.server.runner import encode
    from dronewall.server.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="dw-prof-"))
    st = build_state(Settings(db=str(tmp / "store.db"), scenario=args.scenario,
                              engage=False, resume=False))
    run = st.runner
    src, chain = run.source, st.live.chain
    t0 = time.perf_counter()
    while True:
        t, batch = src.next()
        rec = chain.step(t, batch)
        src.after(rec)
        if t >= args.start:
            break
    print(f"filled to t = {t:.0f} s in {time.perf_counter() - t0:.0f} s; "
          f"{len(rec.picture) if rec.picture is not None else 0} tracks")
    phases: dict[str, list[float]] = {k: [] for k in
                                      ("chain", "view", "commit", "encode", "server")}
    prof = cProfile.Profile() if args.cprofile else None
    seq = 0
    for _ in range(args.steps):
        t, batch = src.next()
        if prof and args.profile == "chain":
            prof.enable()
        a = time.perf_counter()
        rec = chain.step(t, batch)
        src.after(rec)
        b = time.perf_counter()
        if prof:
            prof.enable() if args.profile == "server" else prof.disable()
        seq += 1
        rows, delta = run.view.step(rec, seq, [])
        c = time.perf_counter()
        st.store.write_step(st.session.session_id, seq, t, rows)
        d = time.perf_counter()
        encode(delta)
        e = time.perf_counter()
        if prof and args.profile == "server":
            prof.disable()
        for k, v in (("chain", b - a), ("view", c - b), ("commit", d - c), ("encode", e - d),
                     ("server", e - b)):
            phases[k].append(v * 1000)
    n_tr = len(rec.picture) if rec.picture is not None else 0
    print(f"{args.steps} steps at ~{n_tr} tracks, {len(batch)} detections in the last step")
    for k, v in phases.items():
        v = sorted(v)
        print(f"  {k:7s} median {statistics.median(v):7.1f} ms   max {v[-1]:7.1f} ms")
    if prof:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(args.cprofile)


if __name__ == "__main__":
    main()
