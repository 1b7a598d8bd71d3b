"""WTA instance files: the neutral JSON format and the Andersen-Pavlikov-Toffolo text format.

Both readers return a validated :class:`~dronewall.engagement.wta.WTAProblem`. Bad input raises
:class:`~dronewall.errors.DataFormatError` (exit 2 on the CLI) naming the file, the field or line
and what was expected. Formats are documented in ``docs/wta.md``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from dronewall.engagement.wta.problem import WTAError, WTAProblem
from dronewall.errors import DataFormatError
from dronewall.inputs import excerpt, finite_number, load_json, read_text
from dronewall.inputs.limits import MAX_WTA_PAIRS, MAX_WTA_TARGETS, MAX_WTA_TYPES, MAX_WTA_UNITS

_TOP_KEYS = {"weapons", "targets", "pk", "cost_weight", "feasible", "max_units_per_pair"}
_WEAPON_KEYS = {"id", "count", "cost"}
_TARGET_KEYS = {"id", "value", "max_units"}


def _num(v: Any, where: str, *, integer: bool = False, lo: float | None = None,
         hi: float | None = None) -> float:
    if isinstance(v, str) or not isinstance(v, (int, float)) or isinstance(v, bool):
        kind = "an integer" if integer else "a number"
        raise DataFormatError(f"{where}: expected {kind}, got {excerpt(v)}")
    f = finite_number(v, where, lo=lo, hi=hi, integer=integer,
                      what="an integer" if integer else "a number")
    return int(f) if integer else f


def _keys_text(keys: list[str]) -> str:
    """Keys for a message: each cut short, at most five (a bad file can have huge keys)."""
    shown = ", ".join(k if len(k) <= 40 else k[:37] + "..." for k in keys[:5])
    return shown + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")


def _check_size(name: str, W: int, T: int, units: float, where: str = "") -> None:
    """The instance must fit the documented limits (docs/limits.md) before anything is
    allocated for it."""
    at = f"{name}{where}"
    if W > MAX_WTA_TYPES or T > MAX_WTA_TARGETS:
        raise DataFormatError(f"{at}: {W:,} weapon types x {T:,} targets; at most "
                              f"{MAX_WTA_TYPES:,} types and {MAX_WTA_TARGETS:,} targets "
                              "(docs/limits.md)")
    if W * T > MAX_WTA_PAIRS:
        raise DataFormatError(f"{at}: {W:,} x {T:,} = {W * T:,} weapon-target pairs; at most "
                              f"{MAX_WTA_PAIRS:,} (docs/limits.md)")
    if units > MAX_WTA_UNITS:
        shown = f"{units:,}" if isinstance(units, int) else f"{units:,.0f}"
        raise DataFormatError(f"{at}: {shown} weapon units in all; at most "
                              f"{MAX_WTA_UNITS:,} (docs/limits.md: the solver works per unit)")


def _check_record(rec: Any, where: str, allowed: frozenset[str] | set[str],
                  required: tuple[str, ...], shape: str) -> None:
    """An instance record must be an object with only ``allowed`` keys and all ``required``."""
    if not isinstance(rec, dict):
        raise DataFormatError(f"{where}: expected an object with {shape}")
    bad = sorted(set(rec) - set(allowed))
    if bad:
        raise DataFormatError(f"{where}: unknown key(s) {_keys_text(bad)}; allowed: "
                              f"{', '.join(sorted(allowed))}")
    for req in required:
        if req not in rec:
            raise DataFormatError(f"{where}: missing required key '{req}'")


def read_json_instance(path: str | Path) -> WTAProblem:
    """Neutral JSON format (docs/wta.md): weapons [{id, count, cost?}], targets [{id, value,
    max_units?}], pk W x T, cost_weight?, feasible? (W x T booleans), max_units_per_pair?."""
    path = Path(path)
    name = path.name
    data = load_json(path, "JSON WTA instance")
    if not isinstance(data, dict):
        raise DataFormatError(f"{name}: expected a JSON object with keys weapons, targets, pk")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise DataFormatError(f"{name}: unknown key(s) {_keys_text(unknown)}; allowed: "
                              f"{', '.join(sorted(_TOP_KEYS))}")
    for key in ("weapons", "targets", "pk"):
        if key not in data:
            raise DataFormatError(f"{name}: missing required key '{key}'")
        if not isinstance(data[key], list):
            raise DataFormatError(f"{name}: '{key}' must be a list")
    weapons, targets = data["weapons"], data["targets"]
    if not weapons or not targets:
        raise DataFormatError(f"{name}: 'weapons' and 'targets' must not be empty")
    _check_size(name, len(weapons), len(targets), 0)
    w_ids, counts, costs = [], [], []
    for k, w in enumerate(weapons):
        where = f"{name}: weapons[{k}]"
        _check_record(w, where, _WEAPON_KEYS, ("id", "count"), "id, count[, cost]")
        w_ids.append(w["id"])
        c = _num(w["count"], f"{where}.count", integer=True, lo=0)
        if c > MAX_WTA_UNITS:   # each count first: the sum of 1e308s does not fit a float
            raise DataFormatError(f"{where}.count: got {excerpt(w['count'])}; at most "
                                  f"{MAX_WTA_UNITS:,} weapon units in all (docs/limits.md: the "
                                  "solver works per unit)")
        counts.append(c)
        costs.append(_num(w.get("cost", 0.0), f"{where}.cost", lo=0))
    t_ids, values, tcaps = [], [], []
    for k, t in enumerate(targets):
        where = f"{name}: targets[{k}]"
        _check_record(t, where, _TARGET_KEYS, ("id", "value"), "id, value[, max_units]")
        t_ids.append(t["id"])
        values.append(_num(t["value"], f"{where}.value", lo=0))
        tcaps.append(_num(t["max_units"], f"{where}.max_units", integer=True, lo=0)
                     if "max_units" in t else None)
    _check_size(name, len(weapons), len(targets), sum(counts), ": weapons[].count")
    for label, ids in (("weapon", w_ids), ("target", t_ids)):
        for v in ids:
            if not isinstance(v, (str, int)) or isinstance(v, bool):
                raise DataFormatError(f"{name}: {label} id {excerpt(v)} must be a string or "
                                      "integer")
        seen: set[Any] = set()
        for v in ids:
            if v in seen:
                raise DataFormatError(f"{name}: duplicate {label} id {excerpt(v)}")
            seen.add(v)
    W, T = len(weapons), len(targets)
    pk = _read_matrix(data["pk"], name, "pk", W, T, lambda v, wh: _num(v, wh, lo=0.0, hi=1.0))
    feas = None
    if "feasible" in data:
        def as_bool(v: Any, wh: str) -> bool:
            if not isinstance(v, bool):
                raise DataFormatError(f"{wh}: expected true or false, got {v!r}")
            return v
        feas = _read_matrix(data["feasible"], name, "feasible", W, T, as_bool)
    lam = _num(data.get("cost_weight", 0.0), f"{name}: cost_weight", lo=0)
    pair_cap = None
    if "max_units_per_pair" in data:
        pair_cap = _num(data["max_units_per_pair"], f"{name}: max_units_per_pair",
                        integer=True, lo=0)
    tcap = None
    if any(c is not None for c in tcaps):
        big = max(counts) if counts else 0
        tcap = [big * W if c is None else c for c in tcaps]
    try:
        return WTAProblem(values=np.array(values), pk=np.array(pk), counts=np.array(counts),
                          costs=np.array(costs), cost_weight=lam,
                          feasible=None if feas is None else np.array(feas, bool),
                          max_units_per_pair=pair_cap,
                          max_units_per_target=None if tcap is None else np.array(tcap),
                          weapon_ids=tuple(w_ids), target_ids=tuple(t_ids))
    except WTAError as e:
        raise DataFormatError(f"{name}: {e}") from None


def _read_matrix(rows: Any, name: str, key: str, W: int, T: int, conv: Any) -> list[list[Any]]:
    if not isinstance(rows, list):
        raise DataFormatError(f"{name}: '{key}' must be a list of {W} rows (weapons)")
    if len(rows) != W:
        raise DataFormatError(f"{name}: {key} has {len(rows)} rows, expected {W} "
                              f"(number of weapons)")
    out = []
    for r, row in enumerate(rows):
        if not isinstance(row, list):
            raise DataFormatError(f"{name}: {key} row {r} must be a list of {T} entries")
        if len(row) != T:
            raise DataFormatError(f"{name}: {key} row {r} has {len(row)} entries, expected {T} "
                                  f"(number of targets)")
        out.append([conv(v, f"{name}: {key}[{r}][{c}]") for c, v in enumerate(row)])
    return out


def read_toffolo(path: str | Path) -> WTAProblem:
    """Andersen-Pavlikov-Toffolo text format: ``W T mu``; T values; W*T lines ``i j p_ij``."""
    path = Path(path)
    name = path.name
    text = read_text(path, "Toffolo WTA instance")
    lines = [(n + 1, ln.split()) for n, ln in enumerate(text.splitlines()) if ln.strip()]
    if not lines:
        raise DataFormatError(f"{name}: empty file; expected 'W T mu' on line 1")
    n0, head = lines[0]
    if len(head) != 3:
        raise DataFormatError(f"{name}: line {n0}: expected 'W T mu' (3 integers), got "
                              f"{len(head)} field(s)")
    if not all(v.lstrip("+-").isdigit() and len(v) <= 12 for v in head):
        raise DataFormatError(f"{name}: line {n0}: expected 'W T mu' as integers, got "
                              f"{excerpt(' '.join(head))}")
    W, T, mu = (int(v) for v in head)
    if W <= 0 or T <= 0 or mu < 0:
        raise DataFormatError(f"{name}: line {n0}: need W > 0, T > 0, mu >= 0")
    _check_size(name, W, T, W * mu, f": line {n0} (W T mu = {W} {T} {mu})")
    need = 1 + T + W * T
    if len(lines) != need:
        raise DataFormatError(f"{name}: {len(lines)} non-empty lines, expected {need} "
                              f"(1 header + {T} values + {W}x{T} kill probabilities)")
    values = np.empty(T)
    for k in range(T):
        n, f = lines[1 + k]
        if len(f) != 1:
            raise DataFormatError(f"{name}: line {n}: expected one target value, got {len(f)} "
                                  "fields")
        values[k] = _parse_float(f[0], name, n, "target value", lo=0.0)
    pk = np.full((W, T), np.nan)
    for n, f in lines[1 + T:]:
        if len(f) != 3:
            raise DataFormatError(f"{name}: line {n}: expected 'i j p' (3 fields), got {len(f)}")
        if not all(v.lstrip("+-").isdigit() and len(v) <= 12 for v in f[:2]):
            raise DataFormatError(f"{name}: line {n}: weapon and target indices must be "
                                  f"integers, got {excerpt(f[0])} {excerpt(f[1])}")
        i, j = int(f[0]), int(f[1])
        if not (0 <= i < W and 0 <= j < T):
            raise DataFormatError(f"{name}: line {n}: index ({i}, {j}) outside 0..{W - 1} x "
                                  f"0..{T - 1}")
        if not np.isnan(pk[i, j]):
            raise DataFormatError(f"{name}: line {n}: duplicate pair ({i}, {j})")
        pk[i, j] = _parse_float(f[2], name, n, "kill probability", lo=0.0, hi=1.0)
    return WTAProblem(values=values, pk=pk, counts=np.full(W, mu, np.int64))


def _parse_float(s: str, name: str, line: int, what: str, lo: float | None = None,
                 hi: float | None = None) -> float:
    try:
        v = float(s)
    except ValueError:
        raise DataFormatError(f"{name}: line {line}: {what} {excerpt(s)} is not a "
                              "number") from None
    rng = f"[{lo}, {hi}]" if hi is not None else f">= {lo}"
    shown = s if len(s) <= 24 else excerpt(s, 24)
    if not math.isfinite(v):     # nan, inf, or too many digits for a float (e.g. 400 nines)
        raise DataFormatError(f"{name}: line {line}: {what} {shown} is not a finite number; "
                              f"expected a number {rng}")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise DataFormatError(f"{name}: line {line}: {what} {shown} is outside {rng}")
    return v
