"""Opening a store: SQLite (WAL) by default, PostgreSQL + PostGIS for ``postgresql://`` URLs;
the schema is brought to the latest Alembic revision on open.

SQLite: ``journal_mode=WAL`` (readers never block the writer), ``synchronous=NORMAL`` (a
committed transaction survives a crash of the server process, e.g. ``kill -9``; an operating
system crash or power loss can lose the last steps), a 10 s busy timeout. Operator decisions and
audit entries are committed with ``synchronous=FULL`` (:func:`durable`): they, and every step
before them, survive a power loss too. While ``dronewall serve`` runs, the log is copied into
the database by a background thread (``Store.start_checkpointer``), not by a step's commit.

PostgreSQL: psycopg 3; the PostGIS extension is created if missing (needs the right to
``CREATE EXTENSION``) and the track history gets a generated ``geom`` point column with a GiST
index (spatial queries on the track history).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from dronewall.errors import InputError


def normalise_url(url: str) -> str:
    """A store location as an SQLAlchemy URL: a file path -> ``sqlite:///PATH``;
    ``postgresql://`` -> ``postgresql+psycopg://`` (psycopg 3)."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def redact(url: str) -> str:
    """The URL without its password (for messages and logs)."""
    try:
        return make_url(normalise_url(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid URL>"


def make_engine(url: str) -> Engine:
    u = normalise_url(url)
    try:
        parsed = make_url(u)
    except ArgumentError:
        raise InputError(f"--db {url!r}: not a database URL; expected a file path, "
                         "sqlite:///PATH or postgresql://USER@HOST:PORT/DB") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            parent = Path(parsed.database).parent
            if not parent.is_dir():
                raise InputError(f"--db {url}: folder {parent} does not exist")
        # pooled connections (the pragmas run once per connection, not per statement)
        eng = create_engine(u, pool_size=4, max_overflow=8,
                            connect_args={"check_same_thread": False, "timeout": 10.0})

        @event.listens_for(eng, "connect")
        def _pragmas(dbapi_conn, _rec):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.close()

        return eng
    if parsed.get_backend_name() == "postgresql":
        return create_engine(u, pool_size=4, max_overflow=8, pool_pre_ping=True)
    raise InputError(f"--db {redact(url)}: unsupported database "
                     f"{parsed.get_backend_name()!r}; expected SQLite or PostgreSQL")


def durable(conn: Connection, on: bool = True) -> None:
    """Make the commits on ``conn`` reach the disk before they return (SQLite: fsync the
    write-ahead log; PostgreSQL commits are durable anyway); ``on`` False: back to NORMAL."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA synchronous={'FULL' if on else 'NORMAL'}")


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest Alembic revision (creates it in an empty database)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location",
                        str(resources.files("dronewall.store").joinpath("migrations")))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except OperationalError as e:
        raise InputError(f"store {engine.url.render_as_string(hide_password=True)}: cannot "
                         f"open or migrate the database ({str(e.orig).strip()})") from None
