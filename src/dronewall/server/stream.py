"""WebSocket ``/api/v1/stream``: the snapshot, then one delta per step.

Protocol: the client sends ``{"token": "dw_..."}`` as its first message within
``AUTH_TIMEOUT_S`` (browsers cannot set headers on a WebSocket, and a token in the URL would
end up in access logs); the server answers with a ``snapshot`` message (session, current
picture, alerts, threats, open recommendations, sensor health) and then sends every published
message: ``step`` deltas (docs/serve.md) and ``status`` changes, plus ``sensors`` every
``SENSORS_EVERY`` steps. Close codes: 4401 no or bad token, 4408 no token in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from dronewall.server.auth import AuthError

ws_router = APIRouter()
AUTH_TIMEOUT_S = 10.0


@ws_router.websocket("/stream")
async def stream(ws: WebSocket) -> None:
    await ws.accept()
    st = ws.app.state.dw
    try:
        first = await asyncio.wait_for(ws.receive_text(), AUTH_TIMEOUT_S)
    except TimeoutError:
        await ws.close(4408, "no token")
        return
    except WebSocketDisconnect:
        return
    try:
        token = json.loads(first).get("token")
        user = await asyncio.to_thread(st.auth.require, token, "viewer")
    except (ValueError, AttributeError, AuthError):
        await ws.close(4401, "bad token")
        return
    client = st.hub.add(user.name)
    try:
        from dronewall.server.api import snapshot

        await ws.send_text(json.dumps(snapshot(st), separators=(",", ":"), allow_nan=False))
        reader = asyncio.create_task(_drain(ws))
        while not reader.done():
            waiter = asyncio.create_task(st.hub.next_messages(client))
            done, _ = await asyncio.wait({waiter, reader}, return_when=asyncio.FIRST_COMPLETED)
            if waiter not in done:
                waiter.cancel()
                break
            for text in waiter.result():
                await ws.send_text(text)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        st.hub.remove(client)
        with contextlib.suppress(Exception):
            await ws.close()


async def _drain(ws: WebSocket) -> None:
    """Read (and ignore) client messages until it disconnects."""
    try:
        while True:
            await ws.receive_text()
    except (WebSocketDisconnect, RuntimeError):
        return
