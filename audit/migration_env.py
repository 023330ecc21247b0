"""The body of an Alembic ``env.py``, shared by the audit history and the service's.

Both histories run the same way and differ only in their version table, their advisory lock
and the name their errors use; ``audit`` holds the runner because ``api`` may import
``audit`` but not the reverse. Call :func:`run_env` from ``env.py``: it reads
``alembic.context``, which exists only while Alembic runs an environment.

Online, ``config.attributes["connection"]`` is an open connection inside a transaction (the
caller commits); without one (plain ``alembic`` with an ``alembic.ini``), ``sqlalchemy.url``
is used. On PostgreSQL concurrent upgrades serialize on the history's advisory lock.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text

__all__ = ["DEFAULT_VERSION_TABLE", "run_env"]

#: Alembic's own default, kept by the audit history.
DEFAULT_VERSION_TABLE = "alembic_version"


def run_env(*, lock_key: int, history: str, version_table: str = DEFAULT_VERSION_TABLE) -> None:
    """Run the current Alembic command offline or online for one history.

    ``lock_key`` is the history's transaction-level advisory lock on PostgreSQL; ``history``
    names it in errors (``"audit"`` gives "... for the audit migrations").
    """
    if context.is_offline_mode():
        _run_offline(version_table)
    else:
        _run_online(lock_key, history, version_table)


def _run_online(lock_key: int, history: str, version_table: str) -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection, lock_key, version_table)
        return
    from audit.db import create_engine  # only plain `alembic` runs need an engine of their own

    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError(f"no connection and no sqlalchemy.url for the {history} migrations")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            _run(connection, lock_key, version_table)
    finally:
        engine.dispose()


def _run(connection: Connection, lock_key: int, version_table: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key})
    context.configure(connection=connection, target_metadata=None, version_table=version_table)
    with context.begin_transaction():
        context.run_migrations()


def _run_offline(version_table: str) -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        literal_binds=True,
        version_table=version_table,
    )
    with context.begin_transaction():
        context.run_migrations()
