"""Alembic environment of the dronewall store: runs on the connection handed over by
:func:`dronewall.store.db.migrate` (or on ``sqlalchemy.url`` from the Alembic config)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from dronewall.store.schema import metadata

config = context.config


def run_migrations_online() -> None:
    conn = config.attributes.get("connection")
    if conn is not None:
        context.configure(connection=conn, target_metadata=metadata,
                          render_as_batch=conn.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as c:
        context.configure(connection=c, target_metadata=metadata,
                          render_as_batch=c.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
