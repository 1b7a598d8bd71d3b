"""``dronewall wta INSTANCE [--time-limit S] [--exact] [--format json|toffolo] [--out FILE]``.

Solves a static weapon-target assignment instance (docs/wta.md) and prints one JSON object:
``objective``, ``lower_bound``, ``gap``, ``status`` ("optimal" | "feasible"), ``solve_time_s``,
``solver`` and ``assignment`` as ``[weapon_index, target_index, units]`` triples (plus
``assignment_ids`` with weapon/target ids for JSON instances). Bad input raises
:class:`~dronewall.errors.DataFormatError` (exit 2 via the CLI entry point).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dronewall.engagement.wta import WTAPlan, WTAProblem, solve
from dronewall.errors import InputError
from dronewall.inputs import check_output_file, write_output_text
from dronewall.inputs.limits import MAX_WTA_TIME_LIMIT_S
from dronewall.inputs.text import check_input_file
from dronewall.io.wta_files import read_json_instance, read_toffolo

FORMATS = ("json", "toffolo")


def guess_format(path: Path) -> str:
    """``.json`` -> json, anything else -> toffolo."""
    return "json" if path.suffix.lower() == ".json" else "toffolo"


def plan_to_dict(problem: WTAProblem, plan: WTAPlan) -> dict[str, Any]:
    out: dict[str, Any] = {
        "objective": plan.objective,
        "lower_bound": plan.lower_bound,
        "gap": plan.gap,
        "status": plan.status,
        "solve_time_s": round(plan.solve_time_s, 4),
        "solver": plan.solver,
        "assignment": [list(t) for t in plan.assignment()],
    }
    if problem.weapon_ids is not None and problem.target_ids is not None:
        out["assignment_ids"] = [
            {"weapon": problem.weapon_ids[i], "target": problem.target_ids[j], "units": n}
            for i, j, n in plan.assignment()
        ]
    return out


def wta_command(instance: Path, time_limit_s: float = 10.0, exact: bool = False,
                fmt: str | None = None, out: Path | None = None) -> dict[str, Any]:
    """Read, solve, print (or write to ``out``) the JSON result; returns it as a dict."""
    fmt = fmt or guess_format(instance)
    if fmt not in FORMATS:
        raise InputError(f"--format: got {fmt!r}; allowed: {', '.join(FORMATS)}")
    if not 0 < time_limit_s <= MAX_WTA_TIME_LIMIT_S:
        raise InputError(f"--time-limit: got {time_limit_s}; expected seconds in (0, "
                         f"{MAX_WTA_TIME_LIMIT_S:g}] (docs/limits.md)")
    if out is not None:
        check_output_file(out)      # before solving: a bad --out fails in milliseconds
    check_input_file(instance, "WTA instance")
    problem = read_json_instance(instance) if fmt == "json" else read_toffolo(instance)
    plan = solve(problem, time_limit_s=time_limit_s, exact=exact)
    result = plan_to_dict(problem, plan)
    # one key per line, values compact (assignments stay one triple per entry on one line)
    text = "{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in result.items()) \
        + "\n}"
    if out is None:
        print(text)
    else:
        write_output_text(out, text + "\n")
    return result
