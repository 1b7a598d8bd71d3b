"""Dependencies point one way: the core never imports outer layers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "dronewall"
CORE = ["geo", "detections", "catalog", "tracking", "metrics", "airspace", "classify", "engagement",
        "errors.py"]
OUTER = ["dronewall.sim", "dronewall.sensors", "dronewall.cli", "dronewall.pipeline",
         "dronewall.io", "dronewall.scenario", "dronewall.report", "dronewall.server"]


def _core_files() -> list[Path]:
    files: list[Path] = []
    for c in CORE:
        p = SRC / c
        files += [p] if p.suffix == ".py" else sorted(p.rglob("*.py"))
    return files


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append(node.module)
    return out


@pytest.mark.parametrize("path", _core_files(), ids=lambda p: str(p.relative_to(SRC)))
def test_core_does_not_import_outer_layers(path: Path) -> None:
    bad = [m for m in _imports(path) if any(m == o or m.startswith(o + ".") for o in OUTER)]
    assert not bad, f"{path.relative_to(SRC)} imports outer layer(s) {bad}"


def test_core_files_exist() -> None:
    assert len(_core_files()) >= 6
