"""CLI commands of the live server: ``serve``, ``replay``, ``audit verify`` and ``token``.

Registered on the main app by :func:`register`; every heavy import stays inside the command so
``dronewall --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

#: Exit status of ``audit verify`` when the store fails the check.
EXIT_TAMPERED = 3

DB_HELP = "store: SQLite file path (WAL) or postgresql://USER@HOST:PORT/DB"


def _need_extra(db: str | None = None) -> None:
    """A clear message instead of an ImportError when an optional extra is missing."""
    import importlib.util

    from dronewall.errors import ConfigurationError

    mods = ["fastapi", "uvicorn", "sqlalchemy", "alembic", "argon2", "pydantic_settings"]
    missing = [m for m in mods if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigurationError(f"the server needs the 'server' extra ({', '.join(missing)} "
                                 "missing): pip install 'dronewall[server]' (make install "
                                 "does it)")
    if db and db.startswith("postgres") and importlib.util.find_spec("psycopg") is None:
        raise ConfigurationError("--db postgresql://...: needs the 'postgres' extra: "
                                 "pip install 'dronewall[postgres]'")


def serve(
    scenario: Annotated[Path | None, typer.Option(
        "--scenario", help="scenario YAML (default: the built-in flagship raid)")] = None,
    speed: Annotated[float, typer.Option(help="scenario seconds per wall-clock second")] = 1.0,
    replay: Annotated[str | None, typer.Option(
        "--replay", help="feed recorded detections instead of simulated sensors: a "
                         "'simulate' output folder, or a store with --session")] = None,
    session: Annotated[str | None, typer.Option(
        "--session", help="with --replay STORE: the session to replay")] = None,
    live: Annotated[Path | None, typer.Option(
        "--live", help="live config YAML: wire feeds (ADS-B receivers) bound to the "
                       "scenario's sensors, which is then only the site (docs/interop.md)")
                    ] = None,
    db: Annotated[str, typer.Option("--db", help=DB_HELP)] = "out/serve/store.db",
    host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (0: any free port)")] = 8000,
    seed: Annotated[int | None, typer.Option(help="seed (default: the scenario's)")] = None,
    start: Annotated[float, typer.Option(
        "--start", help="run the first SECONDS of the scenario unpaced (jump ahead)")] = 0.0,
    record_period: Annotated[float, typer.Option(
        "--record-period", help="track history decimation, s")] = 5.0,
    retention_days: Annotated[float | None, typer.Option(
        "--retention-days", help="delete recorded steps older than this on start")] = None,
    resume: Annotated[bool, typer.Option(
        "--resume/--no-resume", help="continue an unfinished session of the same source "
                                     "in the store (after a crash)")] = True,
    engage: Annotated[bool, typer.Option(
        "--engage/--no-engage", help="engagement recommendations")] = True,
    ws_deflate: Annotated[bool, typer.Option(
        "--ws-deflate/--no-ws-deflate",
        help="WebSocket per-message compression: less bandwidth to remote operators, more "
             "server CPU (off on a LAN)")] = True,
) -> None:
    """Live operator picture: the stage chain on simulated, recorded or live sensors (--live:
    ADS-B, Remote ID, SAPIENT, ASTERIX), a web COP on http://HOST:PORT, alerts, human
    approval, recording and audit (docs/serve.md, docs/interop.md)."""
    _need_extra(db)
    import socket

    import uvicorn
    from pydantic import ValidationError

    from dronewall.errors import InputError
    from dronewall.server.app import build_state, create_app
    from dronewall.server.settings import Settings

    try:
        settings = Settings(scenario=scenario, speed=speed, replay=replay,
                            replay_session=session, live=live, db=db, host=host, port=port,
                            seed=seed,
                            start_s=start, record_period_s=record_period,
                            retention_days=retention_days, resume=resume, engage=engage,
                            ws_deflate=ws_deflate)
    except ValidationError as e:
        err = e.errors()[0]
        raise InputError(f"--{'-'.join(str(x) for x in err['loc'])}: {err['msg']}") from None
    if "://" not in settings.db:
        Path(settings.db).expanduser().parent.mkdir(parents=True, exist_ok=True)
    sock = socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as e:
        raise InputError(f"--host/--port {settings.host}:{settings.port}: cannot bind "
                         f"({e.strerror}); pick another --port") from None
    from dronewall.server.memory import tune_malloc

    tune_malloc()   # flat resident memory over hours (server/memory.py)
    sys.stderr.write("dronewall serve: building the chain ...\n")
    st = build_state(settings)
    app = create_app(state=st)
    bound = sock.getsockname()[1]
    shown = settings.host if ":" not in settings.host else f"[{settings.host}]"
    url = f"http://{shown}:{bound}/"
    lines = [f"dronewall serve: {st.live.scenario.name}, session {st.session.session_id}"
             + (" (resumed)" if st.runner.resume_mode else ""),
             f"  store  {st.store!r}", f"  COP    {url}"]
    if st.runner.resume_mode:
        lines.append(f"  resuming: replaying the {st.session.last_seq} recorded steps through "
                     "the chain first (--no-resume starts a new session)")
    if st.first_token:
        lines += [f"  first admin token (shown once): {st.first_token}",
                  f"  open   {url}#token={st.first_token}"]
    else:
        lines.append("  tokens: 'dronewall token create --db ... --name NAME --role operator'")
    if settings.host not in ("127.0.0.1", "::1", "localhost"):
        lines.append("  WARNING: bound to a non-loopback address without TLS")
    print("\n".join(lines), flush=True)
    config = uvicorn.Config(app, log_level="warning", ws_ping_interval=20.0,
                            ws_per_message_deflate=settings.ws_deflate)
    server = uvicorn.Server(config)
    server.run(sockets=[sock])


def replay(
    db: Annotated[str, typer.Option("--db", help=DB_HELP)] = "out/serve/store.db",
    session: Annotated[str | None, typer.Option(
        "--session", help="session id (default: the latest)")] = None,
    list_: Annotated[bool, typer.Option("--list", help="list the sessions and exit")] = False,
) -> None:
    """Reproduce a recorded picture: run the recorded detections and decisions of a session
    through a fresh chain and compare the tracks with the recorded ones."""
    _need_extra(db)
    from dronewall.errors import InputError
    from dronewall.server.replay import reproduce
    from dronewall.store import Store

    store = Store(db)
    sessions = store.sessions()
    if list_:
        for s in sessions:
            print(f"{s.session_id}  {s.mode:8s} {s.status:11s} steps {s.last_seq:6d}  "
                  f"{s.source}")
        return
    if not sessions:
        raise InputError(f"--db {db}: the store holds no session")
    sid = session or sessions[-1].session_id
    if store.session(sid) is None:
        raise InputError(f"--session {sid}: not in the store (--list shows them)")
    res = reproduce(store, sid, progress=True)
    print(json.dumps(res, indent=2))
    if not res["reproduced"]:
        raise typer.Exit(EXIT_TAMPERED)


audit_app = typer.Typer(help="Audit log and store integrity.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(db: Annotated[str, typer.Option("--db", help=DB_HELP)] = "out/serve/store.db"
                 ) -> None:
    """Recompute the hash chains of a store: exit 0 intact, 3 edited or deleted rows."""
    _need_extra(db)
    from dronewall.store import Store
    from dronewall.store.verify import verify_store

    res = verify_store(Store(db))
    print(json.dumps(res.to_dict(), indent=2))
    if not res.ok:
        sys.stderr.write(f"dronewall: audit verify: {res.n_problems} problem(s): the store was "
                         "modified outside dronewall\n")
        raise typer.Exit(EXIT_TAMPERED)


@audit_app.command("log")
def audit_log(db: Annotated[str, typer.Option("--db", help=DB_HELP)] = "out/serve/store.db",
              limit: Annotated[int, typer.Option(help="entries")] = 50) -> None:
    """Print the latest audit entries (JSON lines)."""
    from dronewall.store import Store, query

    store = Store(db)
    total = query.audit_log(store, limit=1).total
    page = query.audit_log(store, limit=limit, offset=max(total - limit, 0))
    for e in page.items:
        print(json.dumps(e, sort_keys=True))


token_app = typer.Typer(help="Access tokens (users with a role).", no_args_is_help=True)


def _actor() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name (containers)
        return "cli"


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option("--name", help="user name")],
    role: Annotated[str, typer.Option("--role", help="viewer, operator or admin")] = "viewer",
    db: Annotated[str, typer.Option("--db", help=DB_HELP)] = "out/serve/store.db",
) -> None:
    """Create a user and print its token (shown once; only its hash is stored)."""
    from dronewall.store import Store

    print(Store(db).create_user(name, role, actor=_actor(), actor_role="admin"))


@token_app.command("list")
def token_list(db: Annotated[str, typer.Option("--db", help=DB_HELP)] = "out/serve/store.db"
               ) -> None:
    """List users and roles."""
    from dronewall.store import Store

    for u in Store(db).users():
        print(f"{u['name']:24s} {u['role']:9s} created {u['created_utc']}"
              + ("  REVOKED" if u["revoked"] else ""))


@token_app.command("revoke")
def token_revoke(name: Annotated[str, typer.Argument(help="user name")],
                 db: Annotated[str, typer.Option("--db", help=DB_HELP)] = "out/serve/store.db"
                 ) -> None:
    """Revoke a user's token."""
    from dronewall.store import Store

    Store(db).revoke_user(name, _actor(), "admin")
    print(f"revoked {name}")


def register(app: typer.Typer) -> None:
    """Add the server commands to the main CLI."""
    app.command("serve")(serve)
    app.command("replay")(replay)
    app.add_typer(audit_app, name="audit")
    app.add_typer(token_app, name="token")
