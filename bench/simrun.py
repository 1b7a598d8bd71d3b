"""The ``dronewall simulate`` run that the bench checks wrap (``stitch_check``,
``origin_changes``): the same arguments (scenario, ``--seed``, ``--duration``, ``--out``) and
the same call, in this process, so that their wrappers see the engine."""

from __future__ import annotations

import argparse
from pathlib import Path


def run_args(doc: str) -> argparse.Namespace:
    """Parse the command line: a scenario file, ``--seed``, ``--duration`` s, ``--out``."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("scenario", type=Path)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--duration", type=float, default=None, help="s (default: the scenario's)")
    ap.add_argument("--out", type=Path, required=True)
    return ap.parse_args()


def simulate(a: argparse.Namespace) -> int:
    """Run ``dronewall simulate --no-engage`` in this process; its exit status (0: done)."""
    from dronewall.cli.main import app

    args = ["simulate", str(a.scenario), "--seed", str(a.seed), "--no-engage", "--out", str(a.out)]
    if a.duration is not None:
        args += ["--duration", str(a.duration)]
    try:
        app(args, standalone_mode=False)
    except SystemExit as e:
        return int(e.code or 0)
    return 0
