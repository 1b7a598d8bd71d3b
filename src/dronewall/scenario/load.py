"""Load a YAML scenario and turn every failure into one clear :class:`ScenarioError`.

The message names the file, the line, the field path, the offending value and what is allowed,
e.g.::

    scenarios/x.yaml, line 14, field traffic.raids[0].count: got -3; Input should be greater
    than or equal to 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from dronewall.errors import DataFormatError, ScenarioError
from dronewall.inputs import excerpt, load_json, read_text
from dronewall.inputs.limits import MAX_SCENARIO_BYTES
from dronewall.scenario.budget import findings as budget_findings
from dronewall.scenario.guard import check_document, check_events
from dronewall.scenario.model import Scenario


def _loc_line(doc: Any, loc: tuple[Any, ...]) -> tuple[int | None, Any, bool]:
    """Follow a pydantic error location through the ruamel document.

    Returns (1-based line or None, value found at that location, whether it was found).
    The line is that of the deepest key or item that exists.
    """
    node, line, found = doc, None, True
    for part in loc:
        if isinstance(node, CommentedMap) and isinstance(part, str) and part in node:
            ln = node.lc.key(part)[0]
            line = ln + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            ln = node.lc.item(part)[0]
            line = ln + 1
            node = node[part]
        elif isinstance(part, str) and part in {"radar", "acoustic", "acoustic_grid", "rf",
                                                 "eoir", "adsb", "remote_id"}:
            continue  # discriminated-union tag inserted by pydantic
        else:
            found = False
            break
    return line, node, found


def _fmt_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in {"radar", "acoustic", "acoustic_grid", "rf", "eoir", "adsb", "remote_id",
                      "function-after[_check(), RaidSpec]"} or "function-" in str(part):
            continue
        else:
            out += ("." if out else "") + _cut(str(part))
    return out or "(top level)"


def _cut(s: str, n: int = 40) -> str:
    """A key as shown in a message: at most ``n`` characters (a key can be a megabyte)."""
    return s if len(s) <= n else s[: n - 3] + "..."


def _short(v: Any) -> str:
    if isinstance(v, (CommentedMap, dict)):
        return "a mapping with keys " + ", ".join(_cut(str(k)) for k in list(v)[:8])
    if isinstance(v, (CommentedSeq, list)):
        s = repr(list(v))
    else:
        s = repr(v)
    return s if len(s) <= 80 else s[:77] + "..."


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Parse scenario YAML text; ``source`` names it in errors.

    Before validation: nesting depth, alias-expanded size, finite numbers and dates in the
    window (:mod:`dronewall.scenario.guard`); after it: the resource budget
    (:mod:`dronewall.scenario.budget`)."""
    if len(text) > MAX_SCENARIO_BYTES:
        raise ScenarioError(f"{source}: {len(text):,} characters; a scenario may have at most "
                            f"{MAX_SCENARIO_BYTES:,} (docs/limits.md)")
    check_events(text, source)
    yaml = YAML(typ="rt")
    try:
        doc = yaml.load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        if e.context_mark is not None and e.problem_mark is not None \
                and e.context_mark.line != e.problem_mark.line:
            construct = (e.context or "in a construct").removeprefix("while parsing ")
            line += f" ({construct} started at line {e.context_mark.line + 1})"
        raise ScenarioError(f"{source}{line}: not valid YAML: "
                            f"{_cut(str(e.problem or e.context), 300)}. "
                            "Check indentation, colons and brackets.") from None
    except YAMLError as e:
        raise ScenarioError(f"{source}: not valid YAML: {excerpt(str(e), 300)}") from None
    except RecursionError:
        raise ScenarioError(f"{source}: nested too deeply to read") from None
    except TypeError as e:   # a mapping or list used as a key ("{a: 1}: x"): not hashable
        raise ScenarioError(f"{source}: not valid YAML: {excerpt(str(e), 120)} (a mapping or "
                            "list used as a key?); expected plain keys such as 'name:'"
                            ) from None
    except ValueError as e:  # a scalar the YAML constructor cannot convert (e.g. 5,000 digits)
        raise ScenarioError(f"{source}: not valid YAML: {excerpt(str(e), 120)}") from None
    if not isinstance(doc, CommentedMap):
        raise ScenarioError(f"{source}: a scenario must be a YAML mapping (name:, time:, origin:, "
                            f"...), got {type(doc).__name__}")
    check_document(doc, source)
    try:
        sc = Scenario.model_validate(doc)
    except ValidationError as exc:
        errs = exc.errors(include_url=False)
        parts = []
        for err in errs[:5]:
            loc = tuple(err["loc"])
            line, value, found = _loc_line(doc, loc)
            emsg = _cut(err["msg"].removeprefix("Value error, "), 300)  # may quote a value
            if found and isinstance(value, CommentedMap) and err["type"] == "value_error":
                # A whole-object rule: point at the key the message is about, when it names one.
                first = emsg.split(" ", 1)[0].strip("',:")
                if first in value:
                    loc = (*loc, first)
                    line, value, found = _loc_line(doc, loc)
            err = {**err, "msg": emsg}
            where = f"line {line}" if line is not None else "top level"
            field = _fmt_loc(loc)
            if err["type"] == "extra_forbidden":
                msg = (f"{where}, field {field}: unknown key (typo?); it is not allowed here")
            elif err["type"] == "missing":
                msg = f"{where}, field {field}: required field is missing"
            else:
                got = f"got {_short(value)}; " if found else ""
                msg = f"{where}, field {field}: {got}{err['msg']}"
            parts.append(msg)
        more = f" (and {len(errs) - 5} more errors)" if len(errs) > 5 else ""
        raise ScenarioError(f"{source}: invalid scenario: " + "; ".join(parts) + more
                            + ".") from None
    except RecursionError:
        raise ScenarioError(f"{source}: nested too deeply to validate") from None
    over = budget_findings(sc)
    if over:
        parts = []
        for f in over[:5]:
            line, _, _ = _loc_line(doc, f.loc)
            where = f"line {line}" if line is not None else "top level"
            parts.append(f"{where}, field {_fmt_loc(f.loc)}: got {_short(f.value)}; {f.rule}")
        raise ScenarioError(f"{source}: scenario exceeds a limit: " + "; ".join(parts) + ".")
    return sc


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario YAML file."""
    p = Path(path)
    try:
        text = read_text(p, "scenario file", MAX_SCENARIO_BYTES)
    except DataFormatError as e:
        raise ScenarioError(str(e)) from None
    sc = parse_scenario(text, str(p))
    _check_zone_files(sc, p)
    return sc


def _check_zone_files(sc: Scenario, path: Path) -> None:
    """Zone files must exist and be GeoJSON; full zone semantics belong to the airspace layer."""
    for i, z in enumerate(sc.zones):
        if z.file is None:
            continue
        zp = (path.parent / z.file).resolve()
        where = f"{path}, field zones[{i}].file"
        if not zp.is_file():
            raise ScenarioError(f"{where}: zone file {z.file!r} not found (looked for {zp}); "
                                "paths are relative to the scenario file")
        try:
            gj = load_json(zp, "zone file")
        except DataFormatError as e:
            raise ScenarioError(f"{where}: not valid GeoJSON: {e}") from None
        if not isinstance(gj, dict) or gj.get("type") not in ("FeatureCollection", "Feature"):
            raise ScenarioError(f"{where}: {zp} must be a GeoJSON FeatureCollection or Feature")
