"""The ``dronewall simulate`` run that the bench checks wrap (``stitch_check``,
``merge_check``, ``origin_changes``): the same arguments (scenario, ``--seed``,
``--duration``, ``--out``) and the same call, in this process, so that their wrappers see
the engine."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
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


Log = list[dict[str, object]]


def simulate_logged(a: argparse.Namespace, wrap: Callable[[Log], None],
                    label: Callable[[Path, Log], Log], name: str) -> tuple[int, Log]:
    """Install ``wrap`` (it appends to a log), run :func:`simulate`, label the log against
    the run's outputs and write it to ``--out``/``name`` as JSON lines. Returns the run's exit
    status and the labelled log (empty if the run failed)."""
    log: Log = []
    wrap(log)
    rc = simulate(a)
    if rc:
        return rc, []
    rows = label(a.out, log)
    (a.out / name).write_text("".join(json.dumps(s) + "\n" for s in rows))
    return 0, rows
