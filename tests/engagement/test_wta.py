"""WTA solvers against a brute-force oracle, the Toffolo benchmark, readers and the CLI."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from dronewall.engagement.wta import (
    WTAError,
    WTAProblem,
    solve,
    solve_exact,
    solve_heuristic,
)
from dronewall.errors import DataFormatError
from dronewall.io.wta_files import read_json_instance, read_toffolo

WTA_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "wta"
REL = 1e-7  # solver tolerances: bounds and optima are compared with this relative slack


def _distributions(count: int, allowed: list[int], T: int) -> list[np.ndarray]:
    """All rows x_i (T,) with sum <= count and support inside allowed."""
    rows = []
    for k in range(count + 1):
        for combo in itertools.combinations_with_replacement(allowed, k):
            r = np.zeros(T, np.int64)
            for j in combo:
                r[j] += 1
            rows.append(r)
    uniq = {tuple(r) for r in rows}
    return [np.array(r) for r in sorted(uniq)]


def brute_force(p: WTAProblem) -> tuple[float, np.ndarray]:
    W, T = p.pk.shape
    per = [_distributions(int(p.counts[i]), list(np.flatnonzero(p.feasible[i])), T)
           for i in range(W)]
    best, best_x = np.inf, None
    for rows in itertools.product(*per):
        x = np.array(rows)
        if p.violations(x):
            continue
        v = p.objective(x)
        if v < best:
            best, best_x = v, x
    return best, best_x


def random_problem(rng: np.random.Generator, cost: bool, mask: bool) -> WTAProblem:
    W, T = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    feas = rng.random((W, T)) > 0.3 if mask else None
    return WTAProblem(values=rng.integers(1, 100, T).astype(float),
                      pk=rng.uniform(0.05, 0.95, (W, T)),
                      counts=rng.integers(0, 3, W),
                      costs=rng.uniform(0, 40, W) if cost else None,
                      cost_weight=float(rng.uniform(0.2, 2.0)) if cost else 0.0,
                      feasible=feas)


CASES = [(seed, cost, mask) for seed in range(12) for cost in (False, True)
         for mask in (False, True)]


@pytest.mark.parametrize(("seed", "cost", "mask"), CASES)
def test_against_brute_force(seed: int, cost: bool, mask: bool) -> None:
    rng = np.random.default_rng(1000 + seed)
    p = random_problem(rng, cost, mask)
    opt, _ = brute_force(p)
    tol = REL * max(1.0, opt)
    ex = solve_exact(p, time_limit_s=20)
    assert ex.status == "optimal"
    assert ex.objective == pytest.approx(opt, rel=1e-7, abs=1e-9)
    assert ex.lower_bound <= opt + tol
    he = solve_heuristic(p, time_limit_s=1.0)
    assert he.objective >= opt - tol
    assert he.objective <= opt * 1.02 + 1e-9
    assert he.lower_bound <= opt + tol
    for plan in (ex, he):
        assert not p.violations(plan.x)
        assert np.all(plan.x.sum(axis=1) <= p.counts)
        assert not np.any(plan.x[~p.feasible])
        assert plan.objective == pytest.approx(p.objective(plan.x), rel=1e-12)


def test_heuristic_hits_oracle_on_most() -> None:
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(40):
        p = random_problem(rng, bool(rng.integers(2)), bool(rng.integers(2)))
        opt, _ = brute_force(p)
        he = solve_heuristic(p, time_limit_s=0.5)
        hits += he.objective <= opt * (1 + 1e-6) + 1e-9
    assert hits >= 36


def _multi_unit_problem(seed: int, W: int = 4, T: int = 6, cost: bool = False) -> WTAProblem:
    rng = np.random.default_rng(seed)
    return WTAProblem(values=rng.integers(1, 100, T).astype(float),
                      pk=rng.uniform(0.05, 0.95, (W, T)), counts=rng.integers(1, 4, W),
                      costs=rng.uniform(0, 10, W) if cost else None,
                      cost_weight=1.0 if cost else 0.0)


@pytest.mark.parametrize("seed", range(6))
def test_heuristic_multi_unit_near_optimal(seed: int) -> None:
    # several units per type: LP rounding + type re-optimisation + ILS; exact gives the optimum
    p = _multi_unit_problem(seed, cost=bool(seed % 2))
    ex = solve_exact(p, time_limit_s=20)
    assert ex.status == "optimal"
    he = solve_heuristic(p, time_limit_s=2.0)
    assert not p.violations(he.x)
    assert he.objective >= ex.objective * (1 - REL) - 1e-9
    assert he.objective <= ex.objective * 1.02 + 1e-9
    assert he.lower_bound <= ex.objective * (1 + REL) + 1e-9


@pytest.mark.parametrize("seed", range(4))
def test_type_pass_is_exact_for_one_type(seed: int) -> None:
    # re-optimising all units of one type, the other types fixed, equals brute force over it
    from dronewall.engagement.wta.heuristic import _pass_types, _Units

    p = _multi_unit_problem(10 + seed, W=3, T=4, cost=True)
    rng = np.random.default_rng(seed)
    s = _Units(p)
    x = np.zeros(p.pk.shape, np.int64)
    for i in range(3):
        for _ in range(int(rng.integers(0, p.counts[i] + 1))):
            x[i, int(rng.integers(0, 4))] += 1
    s.set_x(x)
    _pass_types(s, -np.inf, np.array([0]))
    got = p.objective(s.x())
    assert not p.violations(s.x())
    best = min(p.objective(np.vstack([row, x[1:]]))
               for row in _distributions(int(p.counts[0]), list(range(4)), 4))
    assert got == pytest.approx(best, rel=1e-12)


def test_heuristic_iteration_limit_is_deterministic() -> None:
    for p in (_multi_unit_problem(3, W=8, T=14), random_problem(np.random.default_rng(5), True,
                                                                 False)):
        a = solve_heuristic(p, time_limit_s=60.0, max_iters=15, seed=4)
        b = solve_heuristic(p, time_limit_s=60.0, max_iters=15, seed=4)
        assert np.array_equal(a.x, b.x) and a.objective == b.objective
        assert a.solve_time_s < 30.0


def test_lp_relaxation_bound_valid() -> None:
    from dronewall.engagement.wta.bounds import lp_relaxation

    for seed in range(4):
        p = _multi_unit_problem(20 + seed, cost=bool(seed % 2))
        opt = solve_exact(p, time_limit_s=20).objective
        res = lp_relaxation(p, time.perf_counter() + 10)
        assert res is not None
        xf, lb = res
        assert lb <= opt * (1 + REL) + 1e-9
        assert np.all(xf.sum(axis=1) <= p.counts + 1e-6)


def test_expensive_weapon_not_used() -> None:
    # weapon 1 costs 1000 with λ = 1; total target value is 30, so it can never pay off
    p = WTAProblem(values=np.array([10.0, 20.0]), pk=np.array([[0.5, 0.5], [0.99, 0.99]]),
                   counts=np.array([1, 5]), costs=np.array([1.0, 1000.0]), cost_weight=1.0)
    for plan in (solve_heuristic(p, 0.5), solve_exact(p, 10)):
        assert plan.x[1].sum() == 0
        assert plan.x[0].sum() == 1
    assert solve_exact(p, 10).status == "optimal"


def test_caps_respected() -> None:
    rng = np.random.default_rng(3)
    p = WTAProblem(values=rng.uniform(1, 50, 4), pk=rng.uniform(0.1, 0.9, (3, 4)),
                   counts=np.array([2, 2, 2]), max_units_per_pair=1,
                   max_units_per_target=np.array([1, 2, 1, 2]))
    opt, _ = brute_force(p)
    for plan in (solve_heuristic(p, 0.5), solve_exact(p, 10)):
        assert not p.violations(plan.x)
        assert plan.lower_bound <= opt * (1 + REL)
    assert solve_exact(p, 10).objective == pytest.approx(opt, rel=1e-7)


def test_problem_validation() -> None:
    with pytest.raises(WTAError, match="outside"):
        WTAProblem(values=[1.0], pk=[[1.5]], counts=[1])
    with pytest.raises(WTAError, match="counts"):
        WTAProblem(values=[1.0], pk=[[0.5]], counts=[-1])
    with pytest.raises(WTAError, match="values"):
        WTAProblem(values=[1.0, 2.0], pk=[[0.5]], counts=[1])
    with pytest.raises(WTAError, match="cost_weight"):
        WTAProblem(values=[1.0], pk=[[0.5]], counts=[1], cost_weight=-1)


def test_p_equal_one_and_empty() -> None:
    p = WTAProblem(values=[5.0, 1.0], pk=[[1.0, 0.2]], counts=[1])
    for plan in (solve_heuristic(p, 0.2), solve_exact(p, 5)):
        assert plan.x[0, 0] == 1 and plan.objective == pytest.approx(1.0)
        assert plan.lower_bound <= 1.0
    p0 = WTAProblem(values=[5.0], pk=[[0.5]], counts=[0])
    assert solve(p0, 1.0).objective == 5.0 and solve(p0, 1.0, exact=True).status == "optimal"


@pytest.mark.skipif(not (WTA_DATA / "wta_50x100x1.txt").exists(), reason="shared WTA data absent")
def test_toffolo_50x100x1_heuristic() -> None:
    p = read_toffolo(WTA_DATA / "wta_50x100x1.txt")
    assert p.pk.shape == (50, 100) and p.counts.tolist() == [1] * 50
    t = time.perf_counter()
    plan = solve_heuristic(p, time_limit_s=5.0)
    assert time.perf_counter() - t < 8.0
    assert plan.objective <= 1734.302257 * 1.005
    assert plan.lower_bound <= 1734.302257
    assert not p.violations(plan.x)


# ------------------------------------------------------------------ readers and CLI

GOOD = {"weapons": [{"id": "gun", "count": 2, "cost": 1.0}, {"id": "sam", "count": 1, "cost": 50}],
        "targets": [{"id": "d1", "value": 10}, {"id": "d2", "value": 30},
                    {"id": "d3", "value": 5}],
        "pk": [[0.4, 0.3, 0.5], [0.9, 0.95, 0.9]], "cost_weight": 0.1}


def _write(tmp_path: Path, name: str, obj: object) -> Path:
    f = tmp_path / name
    f.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return f


def test_read_json_errors(tmp_path: Path) -> None:
    bad = json.loads(json.dumps(GOOD))
    bad["pk"][1] = [0.1, 0.2]
    with pytest.raises(DataFormatError, match=r"wta\.json: pk row 1 has 2 entries, expected 3"):
        read_json_instance(_write(tmp_path, "wta.json", bad))
    bad = json.loads(json.dumps(GOOD))
    bad["colour"] = "red"
    with pytest.raises(DataFormatError, match="unknown key.*colour"):
        read_json_instance(_write(tmp_path, "w.json", bad))
    bad = json.loads(json.dumps(GOOD))
    bad["weapons"][0]["count"] = -1
    with pytest.raises(DataFormatError, match=r"weapons\[0\]\.count"):
        read_json_instance(_write(tmp_path, "w.json", bad))


def test_read_toffolo_errors(tmp_path: Path) -> None:
    f = _write(tmp_path, "t.txt", "1 2 1\n5\n7\n0 0 0.5\n0 1 1.7\n")
    with pytest.raises(DataFormatError, match=r"t\.txt: line 5: kill probability 1\.7"):
        read_toffolo(f)
    f = _write(tmp_path, "t.txt", "1 2 1\n5\n7\n0 0 0.5\n")
    with pytest.raises(DataFormatError, match="expected 5"):
        read_toffolo(f)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dronewall.cli.main", "wta", *args],
                          capture_output=True, text=True, timeout=120)


def test_cli_good(tmp_path: Path) -> None:
    f = _write(tmp_path, "inst.json", GOOD)
    r = _cli(str(f), "--time-limit", "2", "--exact")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    for k in ("objective", "lower_bound", "gap", "status", "solve_time_s", "solver", "assignment"):
        assert k in out
    assert out["status"] == "optimal"
    assert all(len(t) == 3 for t in out["assignment"])
    assert {a["weapon"] for a in out["assignment_ids"]} <= {"gun", "sam"}
    o = tmp_path / "res.json"
    r = _cli(str(f), "--time-limit", "1", "--out", str(o))
    assert r.returncode == 0 and json.loads(o.read_text())["status"] in ("optimal", "feasible")


@pytest.mark.parametrize("case", ["missing", "shape", "pk15", "garbage", "unknown_key",
                                  "not_object", "no_id"])
def test_cli_bad(tmp_path: Path, case: str) -> None:
    bad = json.loads(json.dumps(GOOD))
    if case == "missing":
        del bad["targets"]
    elif case == "unknown_key":
        bad["weapons"][0]["colour"] = "red"
    elif case == "not_object":
        bad["weapons"][0] = 5
    elif case == "no_id":
        del bad["targets"][0]["id"]
    elif case == "shape":
        bad["pk"][0] = [0.1]
    elif case == "pk15":
        bad["pk"][0][0] = 1.5
    else:
        bad = "this is {not json"
    f = _write(tmp_path, f"bad_{case}.json", bad)
    r = _cli(str(f), "--time-limit", "1")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert f"bad_{case}.json" in r.stderr
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1
