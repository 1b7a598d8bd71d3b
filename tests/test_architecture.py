"""Dependencies point one way, as documented: the core never imports outer layers, and every
package imports only the dronewall packages its row of docs/architecture.md allows."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "dronewall"
DOC = ROOT / "docs" / "architecture.md"
CORE = ["errors.py", "geo", "detections", "catalog", "tracking", "metrics", "airspace",
        "classify", "engagement", "chain"]
OUTER = ["dronewall.sim", "dronewall.sensors", "dronewall.cli", "dronewall.pipeline",
         "dronewall.io", "dronewall.scenario", "dronewall.report", "dronewall.server",
         "dronewall.adapters"]


def _files(pkg: str) -> list[Path]:
    p = SRC / pkg
    return [p] if p.suffix == ".py" else sorted(p.rglob("*.py"))


def _core_files() -> list[Path]:
    return [f for c in CORE for f in _files(c)]


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append(node.module)
    return out


def documented_table() -> dict[str, set[str]]:
    """package -> allowed dronewall packages, from the "may import" column of the doc."""
    rows: dict[str, set[str]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\|\s*`dronewall\.(\w+)`\s*\|[^|]*\|\s*([^|]*)\|\s*$", line)
        if m:
            allowed = {a.strip() for a in m.group(2).split(",")} - {"—", ""}
            rows[m.group(1)] = allowed
    return rows


def _packages() -> list[str]:
    return sorted(p.name for p in SRC.iterdir()
                  if p.is_dir() and (p / "__init__.py").exists()) + ["errors"]


@pytest.mark.parametrize("path", _core_files(), ids=lambda p: str(p.relative_to(SRC)))
def test_core_does_not_import_outer_layers(path: Path) -> None:
    bad = [m for m in _imports(path) if any(m == o or m.startswith(o + ".") for o in OUTER)]
    assert not bad, f"{path.relative_to(SRC)} imports outer layer(s) {bad}"


def test_every_package_is_documented() -> None:
    table = documented_table()
    missing = [p for p in _packages() if p not in table]
    assert not missing, f"packages missing from the table in docs/architecture.md: {missing}"


@pytest.mark.parametrize("pkg", _packages())
def test_imports_follow_the_documented_table(pkg: str) -> None:
    allowed = documented_table().get(pkg, set())
    files = _files("errors.py" if pkg == "errors" else pkg)
    bad: dict[str, set[str]] = {}
    for f in files:
        for m in _imports(f):
            parts = m.split(".")
            if parts[0] != "dronewall" or len(parts) < 2 or parts[1] == pkg:
                continue
            if parts[1] not in allowed:
                bad.setdefault(str(f.relative_to(SRC)), set()).add(parts[1])
    assert not bad, (f"dronewall.{pkg} imports packages its row of docs/architecture.md does "
                     f"not allow: {bad}")


def test_table_parser_reads_rows() -> None:
    table = documented_table()
    assert table["tracking"] == {"detections", "errors", "geo"}
    assert "chain" in table["pipeline"]
