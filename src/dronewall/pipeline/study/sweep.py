"""Parameter sweeps of a study: parse ``--set path=v1,v2`` options, apply them to the scenario
document, and build the validated sweep points (``docs/montecarlo.md``, "Sweeps")."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dronewall.errors import DronewallError, InputError
from dronewall.scenario import Scenario

#: The sweep parameter that is not a scenario path: who assigns the effectors.
DOCTRINE_PARAM = "doctrine"
DEFAULT_DOCTRINE = "planner"


@dataclass(frozen=True)
class SweepParam:
    """One ``--set path=v1,v2`` option: the path as written, its parsed steps and values."""

    path: str
    steps: tuple[str | int, ...]  # key (str) / list index or id selector ("[sel]" kept raw)
    values: tuple[Any, ...]


def _split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside brackets (values may be YAML lists: ``[51.5, 23.0]``)."""
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        if ch == sep and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return out


def _parse_path(path: str) -> tuple[str | int, ...]:
    """``sensors[belt].spacing_m`` -> ("sensors", "[belt]", "spacing_m"); ``[3]`` -> 3."""
    steps: list[str | int] = []
    for part in path.split("."):
        name, _, rest = part.partition("[")
        if not name and not steps:
            raise InputError(f"--set {path!r}: a path starts with a field name")
        if name:
            steps.append(name.strip())
        while rest:
            sel, close, rest = rest.partition("]")
            if not close or (rest and not rest.startswith("[")):
                raise InputError(f"--set {path!r}: unbalanced [ ] in {part!r}; expected e.g. "
                                 "sensors[radar-north].range_ref_m or traffic.raids[0].count")
            rest = rest[1:]
            sel = sel.strip()
            steps.append(int(sel) if sel.lstrip("-").isdigit() else f"[{sel}]")
    if not steps or any(s == "" for s in steps):
        raise InputError(f"--set {path!r}: empty path element")
    return tuple(steps)


def parse_sweep(specs: Sequence[str] | None) -> list[SweepParam]:
    """Parse ``--set path=v1,v2,...`` options. Values are YAML scalars (``8``, ``2.5``,
    ``true``, ``urban``) or flow lists (``[51.5, 23.0]``)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="safe", pure=True)
    params: list[SweepParam] = []
    for spec in specs or []:
        path, eq, vals = spec.partition("=")
        if not eq or not path.strip() or not vals.strip():
            raise InputError(f"--set {spec!r}: expected path.to.param=v1,v2,... e.g. "
                             "effectors[interceptors-wlodawa].count=8,16")
        values = []
        for v in _split_top(vals, ","):
            if not v.strip():
                raise InputError(f"--set {spec!r}: empty value in the list")
            try:
                values.append(yaml.load(v))
            except YAMLError as e:
                raise InputError(f"--set {spec!r}: value {v!r} is not a YAML value ({e})") from None
        p = path.strip()
        if any(q.path == p for q in params):
            raise InputError(f"--set {p}: given twice; list all its values in one option")
        params.append(SweepParam(p, _parse_path(p), tuple(values)))
    return params


def _step_into(node: Any, step: str | int, where: str) -> Any:
    if isinstance(step, int):
        if not isinstance(node, list) or not 0 <= step < len(node):
            n = len(node) if isinstance(node, list) else "not a list"
            raise InputError(f"--set {where}: index [{step}] out of range ({n} items)")
        return node[step]
    if step.startswith("["):
        sel = step[1:-1]
        if isinstance(node, dict):
            step = sel
        else:
            if not isinstance(node, list):
                raise InputError(f"--set {where}: [{sel}] selects in a list, found "
                                 f"{type(node).__name__}")
            hits = [it for it in node if isinstance(it, dict) and str(it.get("id")) == sel]
            if len(hits) != 1:
                ids = [str(it.get("id")) for it in node if isinstance(it, dict) and "id" in it]
                raise InputError(f"--set {where}: no item with id {sel!r} here (ids: "
                                 f"{', '.join(ids) or 'none'}); or use a list index [k]")
            return hits[0]
    if not isinstance(node, dict) or step not in node:
        keys = ", ".join(map(str, node)) if isinstance(node, dict) else type(node).__name__
        raise InputError(f"--set {where}: no field {step!r} here (found: {keys})")
    return node[step]


def apply_params(doc: dict[str, Any], params: Sequence[SweepParam], values: Sequence[Any]
                 ) -> dict[str, Any]:
    """A deep copy of the scenario ``doc`` with each parameter path set to its value. The last
    step may name a field that is absent (an optional field); anything else must exist."""
    out = copy.deepcopy(doc)
    for p, v in zip(params, values, strict=True):
        node: Any = out
        for s in p.steps[:-1]:
            node = _step_into(node, s, p.path)
        last = p.steps[-1]
        if isinstance(last, int) or last.startswith("["):
            _step_into(node, last, p.path)  # must exist
            if isinstance(last, int):
                node[last] = copy.deepcopy(v)
            elif isinstance(node, dict):
                node[last[1:-1]] = copy.deepcopy(v)
            else:
                raise InputError(f"--set {p.path}: set a field of the selected item, e.g. "
                                 f"{p.path}.count")
        elif isinstance(node, dict):
            node[last] = copy.deepcopy(v)
        else:
            raise InputError(f"--set {p.path}: {last!r} is not a field of a mapping")
    return out


def validate_scenario_dict(doc: dict[str, Any], source: str) -> Scenario:
    """Validate a scenario dict with the scenario model; errors read like the loader's
    (``field effectors[0].count: got -1; Input should be ...``) as a ScenarioError."""
    from pydantic import ValidationError

    from dronewall.errors import ScenarioError
    from dronewall.scenario.load import _fmt_loc

    try:
        return Scenario.model_validate(doc)
    except ValidationError as exc:
        errs = exc.errors(include_url=False)
        parts = []
        for err in errs[:5]:
            msg = err["msg"].removeprefix("Value error, ")
            got = f"got {err['input']!r}; " if not isinstance(err.get("input"), (dict, list)) \
                else ""
            parts.append(f"field {_fmt_loc(tuple(err['loc']))}: {got}{msg}")
        more = f" (and {len(errs) - 5} more errors)" if len(errs) > 5 else ""
        raise ScenarioError(f"{source}: invalid scenario: " + "; ".join(parts) + more) from None



@dataclass(frozen=True)
class SweepPoint:
    """One point of the sweep: its parameter values, its validated scenario (None when the
    values are invalid: its runs fail with ``error``) and its doctrine."""

    params: dict[str, Any]
    scenario: Scenario | None
    error: str
    doctrine: str = DEFAULT_DOCTRINE


def sweep_points(scenario_path: Path, base: Scenario, params: Sequence[SweepParam]
                 ) -> list[SweepPoint]:
    """The cartesian product of the sweep values (the last parameter varying fastest), each
    point validated once; a path that does not exist stops the study (InputError), an invalid
    value or an unknown doctrine only fails that point. No parameters: one point, the base."""
    if not params:
        return [SweepPoint({}, base, "")]
    from ruamel.yaml import YAML

    from dronewall.pipeline.engagement import DOCTRINES

    doc = YAML(typ="safe", pure=True).load(scenario_path.read_text(encoding="utf-8"))
    sc_params = [p for p in params if p.path != DOCTRINE_PARAM]
    points: list[SweepPoint] = []
    for combo in itertools.product(*(p.values for p in params)):
        pv = {p.path: v for p, v in zip(params, combo, strict=True)}
        sc_combo = [v for p, v in zip(params, combo, strict=True) if p.path != DOCTRINE_PARAM]
        d = apply_params(doc, sc_params, sc_combo)  # a bad path stops the study
        where = ", ".join(f"{k}={v!r}" for k, v in pv.items())
        doctrine = str(pv.get(DOCTRINE_PARAM, DEFAULT_DOCTRINE))
        if doctrine not in DOCTRINES:
            points.append(SweepPoint(pv, None, f"--set doctrine={doctrine}: expected one of "
                                               f"{', '.join(DOCTRINES)}", doctrine))
            continue
        try:
            sc = validate_scenario_dict(d, f"{scenario_path} with {where}")
            points.append(SweepPoint(pv, sc, "", doctrine))
        except DronewallError as e:
            points.append(SweepPoint(pv, None, str(e), doctrine))
    return points
