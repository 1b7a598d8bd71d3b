"""The COP's files: the vendored map library is the one VENDOR.md records (with its licence),
and no page, script or style of the COP loads anything from another host."""

from __future__ import annotations

import hashlib
import re
from importlib import resources
from pathlib import Path

STATIC = Path(str(resources.files("dronewall.server").joinpath("static")))


def test_vendored_files_match_their_recorded_hashes() -> None:
    table = (STATIC / "vendor" / "VENDOR.md").read_text()
    rows = re.findall(r"`([\w.-]+)`[^|]*\|\s*([0-9a-f]{64})\s*\|", table)
    assert {n for n, _ in rows} == {"maplibre-gl.js", "maplibre-gl.css", "LICENSE.txt"}
    folder = STATIC / "vendor" / "maplibre-gl-5.24.1"
    for name, sha in rows:
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == sha, name
    assert "Redistribution and use in source and binary forms" in \
        (folder / "LICENSE.txt").read_text()


def test_cop_loads_nothing_from_another_host() -> None:
    own = [p for p in STATIC.rglob("*") if p.is_file() and p.suffix in (".html", ".js", ".css")
           and "vendor" not in p.parts]
    assert {p.name for p in own} >= {"index.html", "cop.js", "panels.js", "symbols.js",
                                     "cop.css"}
    pat = re.compile(r"""(src|href)\s*=\s*["']\s*(https?:)?//|url\(\s*["']?(https?:)?//|"""
                     r"""fetch\(\s*["'`]https?:|new WebSocket\(\s*["'`]wss?://(?!["'`])""")
    for p in own:
        text = p.read_text()
        assert not pat.search(text), f"{p.name} references another host"
    html = (STATIC / "index.html").read_text()
    for ref in re.findall(r"""(?:src|href)="([^"]+)\"""", html):
        assert ref.startswith("/static/"), ref
        assert (STATIC / ref.removeprefix("/static/")).is_file(), ref
    style = (STATIC / "cop.js").read_text()
    assert '"glyphs"' not in style and '"sprite"' not in style  # MapLibre would fetch them
