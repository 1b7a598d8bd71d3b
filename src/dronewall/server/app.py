"""The FastAPI application factory: store, session, chain, runner, API and the web COP.

``create_app(settings)`` opens (and migrates) the store, applies the retention setting, creates
the first admin when the store has no user, starts or resumes the session, builds the chain and
its source (:mod:`dronewall.server.live`) and, when the app starts (lifespan), the runner thread.
Everything lives on one typed :class:`ServerState` (``app.state.dw``); no module globals, so
tests run the app in-process (httpx ASGI transport, Starlette's TestClient).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from dronewall.errors import InputError
from dronewall.server.approver import LiveApprover
from dronewall.server.auth import TokenAuth
from dronewall.server.hub import Hub
from dronewall.server.live import LiveChain
from dronewall.server.runner import Runner
from dronewall.server.settings import Settings
from dronewall.store import SessionInfo, Store

log = logging.getLogger("dronewall.server")
API_PREFIX = "/api/v1"
VERSION = "1"
#: The interpreter's thread switch interval while the server runs, s (Python's default: 5 ms).
#: At ~1,000 tracks the chain thread computes without pause; the event loop, which encodes and
#: writes each step to every client, needs the GIL back after every socket write and would wait
#: up to the interval each time -- 20 clients x several writes x 5 ms is most of a second.
SWITCH_INTERVAL_S = 0.0005


@dataclass
class ServerState:
    settings: Settings
    store: Store
    auth: TokenAuth
    approver: LiveApprover
    live: LiveChain
    session: SessionInfo
    runner: Runner
    hub: Hub
    source_desc: dict[str, Any]
    first_token: str | None = None
    layers: dict[str, Any] | None = None
    #: the chain's scratch folder (the simulated effects' output folder); removed when the
    #: app shuts down, or with this object
    scratch: tempfile.TemporaryDirectory[str] | None = None
    started_utc: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


def _scenario(settings: Settings) -> tuple[Any, Path | None, Path, str]:
    """(scenario, its folder for zone files, its path, its YAML text)."""
    from dronewall.pipeline.demo import flagship_path
    from dronewall.scenario import load_scenario

    path = Path(settings.scenario) if settings.scenario is not None else flagship_path()
    if not path.is_file():
        raise InputError(f"--scenario {path}: no such file; expected a scenario YAML")
    return load_scenario(path), path.parent, path, path.read_text(encoding="utf-8")


def build_state(settings: Settings, store: Store | None = None) -> ServerState:
    """Everything but the running thread and the event loop (see the module docstring)."""
    store = store or Store(settings.db)
    if settings.retention_days is not None:
        cut = (datetime.now(UTC) - timedelta(days=settings.retention_days)).isoformat()
        n = store.purge(cut.replace("+00:00", "Z"), actor="system", actor_role="system")
        if n:
            log.info("retention: deleted %d recorded steps before %s", n, cut)
    first_token = None
    if store.user_count() == 0:
        first_token = store.create_user("admin", "admin", actor="system", actor_role="system")
    sc, base, path, yaml_text = _scenario(settings)
    seed = sc.seed if settings.seed is None else settings.seed
    mode, source = "scenario", f"{sc.name}|seed={seed}|{path.name}"
    replay_store = None
    if settings.replay is not None:
        mode = "replay"
        source = f"{sc.name}|replay={settings.replay}|{settings.replay_session or ''}"
        rp = Path(settings.replay)
        if not rp.is_dir():
            replay_store = Store(settings.replay) if settings.replay != settings.db else store
            if settings.replay_session is None:
                raise InputError("--replay STORE needs --session ID (dronewall replay --db "
                                 "STORE --list shows the sessions)")
            if replay_store.session(settings.replay_session) is None:
                raise InputError(f"--session {settings.replay_session}: not in the store "
                                 f"{settings.replay}")
    live_cfg = None
    epoch_utc = sc.time.start.isoformat().replace("+00:00", "Z")
    if settings.live is not None:
        from dronewall.scenario.live import check_against_site, load_live_config

        if settings.replay is not None:
            raise InputError("--live and --replay: choose one source")
        live_cfg = load_live_config(Path(settings.live))
        check_against_site(live_cfg, sc, str(settings.live))
        if live_cfg.adapters:   # wire feeds replace the simulated sensors
            now = datetime.now(UTC)
            epoch_utc = now.isoformat().replace("+00:00", "Z")
            # a live feed cannot be replayed from its start: every run is a new session
            mode, source = "live", f"{sc.name}|live={Path(settings.live).name}|{epoch_utc}"
    approver = LiveApprover()
    session = store.resumable(mode, source) if settings.resume and mode != "live" else None
    resume = session is not None and session.last_seq > 0
    if session is None:
        session = store.start_session(
            mode=mode, source=source, epoch_utc=epoch_utc,
            seed=seed, scenario_yaml=yaml_text,
            config={"speed": settings.speed, "record_period_s": settings.record_period_s,
                    "scenario_path": str(path), "replay": settings.replay,
                    "live": None if settings.live is None else str(settings.live),
                    "engage": settings.engage})
    scratch = tempfile.TemporaryDirectory(prefix="dronewall-serve-")
    out_dir = Path(scratch.name)
    from dronewall.server import live as L

    chain = L.build_live_chain(sc, base, seed, approver, out_dir, engage=settings.engage,
                               wire=mode == "live")
    src: Any
    if mode == "live":
        from dronewall.server.feeds import LiveFeedsSource

        assert live_cfg is not None
        src = LiveFeedsSource(live_cfg, chain.sensors, {s.id: s for s in sc.sensors},
                              chain.step_s,
                              epoch_wall=datetime.fromisoformat(
                                  epoch_utc.replace("Z", "+00:00")).timestamp())
    elif mode == "scenario":
        src = L.ScenarioSource(chain)
    elif replay_store is None:
        src = L.DetectionsSource(L.run_dir_batches(Path(settings.replay or "."), chain.sensors,
                                                   chain.step_s))
    else:
        from dronewall.store import query

        src = L.DetectionsSource(L.store_batches(
            query.detection_steps(replay_store, settings.replay_session or ""), chain.sensors))
    hub = Hub(snapshot=lambda: {})
    runner = Runner(chain, src, store, session, approver, hub.publish, speed=settings.speed,
                    record_period_s=settings.record_period_s, resume=resume)
    runner.fast_until_s = settings.start_s
    if live_cfg is not None:
        from dronewall.adapters.cot import CotUdpSink

        for o in live_cfg.outputs:
            host, _, port = (o.send or "").rpartition(":")
            if o.protocol == "sapient":
                from dronewall.adapters.sapient.out import SapientOut

                runner.sinks.append(SapientOut(host.strip("[]"), int(port), every_s=o.every_s))
            else:
                runner.sinks.append(CotUdpSink(host.strip("[]"), int(port), every_s=o.every_s,
                                               stale_s=o.stale_s, ttl=o.ttl))
    st = ServerState(settings, store, TokenAuth(store), approver, chain, session, runner, hub,
                     {"mode": mode, "scenario": sc.name, "seed": seed, "path": str(path),
                      "replay": settings.replay,
                      "live": None if settings.live is None else str(settings.live),
                      "replay_session": settings.replay_session},
                     first_token, scratch=scratch)
    from dronewall.server.api import snapshot

    hub.snapshot = lambda: snapshot(st)
    if first_token is None:
        store.audit("system", "system", "server.start", f"session:{session.session_id}",
                    {"settings": settings.model_dump(mode="json"), "resume": resume})
    else:
        store.audit("system", "system", "server.start", f"session:{session.session_id}",
                    {"settings": settings.model_dump(mode="json"), "resume": resume,
                     "first_admin": "admin"})
    return st


def create_app(settings: Settings | None = None, *, state: ServerState | None = None,
               start_runner: bool = True) -> FastAPI:
    """The server application. ``start_runner`` False: serve the store and the API without
    stepping the chain (tests drive ``state.runner`` themselves)."""
    st = state or build_state(settings or Settings())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        st.hub.bind(asyncio.get_running_loop())
        switch0 = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        if start_runner:
            st.runner.start()
        try:
            yield
        finally:
            close = getattr(st.runner.source, "close", None)
            if close is not None:   # live feeds: end their reader threads
                close()
            st.runner.stop()
            for sink in st.runner.sinks:
                sink.close()
            sys.setswitchinterval(switch0)
            if st.runner.state.status not in ("finished", "failed"):
                st.store.set_status(st.session.session_id, "interrupted")
            if st.scratch is not None:
                st.scratch.cleanup()

    app = FastAPI(title="dronewall", version=VERSION, lifespan=lifespan,
                  openapi_url=f"{API_PREFIX}/openapi.json", docs_url=None, redoc_url=None,
                  description="Live air picture, alerts, threats, engagement recommendations "
                              "with human approval, recording and audit (docs/serve.md).")
    app.state.dw = st
    from dronewall.server.api import router
    from dronewall.server.stream import ws_router

    app.include_router(router, prefix=API_PREFIX)
    app.include_router(ws_router, prefix=API_PREFIX)
    static = Path(str(resources.files("dronewall.server").joinpath("static")))
    app.mount("/static", StaticFiles(directory=static), name="static")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(static / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        return FileResponse(static / "favicon.svg", media_type="image/svg+xml")

    return app
