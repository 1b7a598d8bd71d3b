"""``serve --no-ws-deflate``: WebSocket per-message compression is on by default and refused
when switched off (on a LAN it only costs server CPU for every client)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from serverkit import SCENARIO, ServerProcess

websockets = pytest.importorskip("websockets")


async def _extensions(url: str, token: str) -> list[str]:
    ws_url = url.replace("http://", "ws://") + "/api/v1/stream"
    async with websockets.connect(ws_url, compression="deflate", max_size=None) as ws:
        await ws.send(json.dumps({"token": token}))
        first = json.loads(await asyncio.wait_for(ws.recv(), 60))
        assert first["type"] == "snapshot"
        return [e.name for e in ws.protocol.extensions]


def test_ws_compression_can_be_switched_off(tmp_path: Path) -> None:
    from dronewall.server.settings import Settings

    assert Settings().ws_deflate is True   # on by default
    srv = ServerProcess(str(tmp_path / "s.db"), "--scenario", str(SCENARIO), "--no-engage",
                        "--no-ws-deflate", log=tmp_path / "server.log").start()
    try:
        assert asyncio.run(_extensions(srv.url, srv.token)) == []
    finally:
        srv.stop()
