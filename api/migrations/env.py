"""Alembic environment of the service's tables: run on a connection from :func:`upgrade`.

``config.attributes["connection"]`` is an open connection inside a transaction (the caller
commits); without one (plain ``alembic`` with an ``alembic.ini``), ``sqlalchemy.url`` is
used. The version table is ``api_alembic_version``, so this history and the audit trail's
never see each other's revisions. On PostgreSQL concurrent upgrades serialize on an
advisory lock.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text

from api.migrations import VERSION_TABLE

#: Advisory lock key of these migrations (the audit history's is ...0002).
MIGRATION_LOCK = 0x636C61696D730003

config = context.config


def _run(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    context.configure(connection=connection, target_metadata=None, version_table=VERSION_TABLE)
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
        raise RuntimeError("no connection and no sqlalchemy.url for the service migrations")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        literal_binds=True,
        version_table=VERSION_TABLE,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
