"""``dronewall serve``: the live operator picture (FastAPI app, WebSocket stream, web COP),
human approval of engagement recommendations, recording and audit (docs/serve.md)."""
