"""Alembic environment: migrations run on a connection handed over by :func:`audit.db.upgrade`.

``config.attributes["connection"]`` is an open connection inside a transaction (the caller
commits); without one (plain ``alembic`` with an ``alembic.ini``), ``sqlalchemy.url`` is
used. On PostgreSQL concurrent upgrades serialize on an advisory lock.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text

#: Advisory lock key of schema migrations (distinct from the append lock).
MIGRATION_LOCK = 0x636C61696D730002

config = context.config


def _run(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from audit.db import create_engine

    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection and no sqlalchemy.url for the audit migrations")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


def run_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
