"""Database engines for the audit trail, and running its migrations.

SQLite (the embedded default)
    WAL journal, ``synchronous=FULL`` (every commit is on disk before it returns), a 30 s
    busy timeout, and **every write transaction begins with ``BEGIN IMMEDIATE``**: the
    write lock is taken at the start, so two appenders never both read the same chain head
    and a reader never has to be upgraded to a writer mid-transaction (which SQLite answers
    with "database is locked"). Read-only work opts out with :func:`read_only`, which begins
    a plain deferred transaction: a consistent snapshot that blocks no writer.
PostgreSQL (production)
    ``psycopg`` 3, READ COMMITTED. Appends serialize on a transaction-scoped advisory lock
    (:mod:`audit.store`); each statement after the lock sees the previous writer's commit.
    ``postgresql://`` URLs are mapped to the psycopg driver.

Pooling (both): ``pool_size`` connections are kept (default :data:`POOL_SIZE`, as many as
the service's worker threads may hold at once: a connection opened past the pool is closed
again on return, and on PostgreSQL each one is a new server process). A pooled connection
that sat idle for :data:`PING_AFTER_IDLE` seconds is pinged before use and replaced if the
server dropped it; one in steady use is not (SQLAlchemy's ``pool_pre_ping`` would spend a
round trip on every checkout).

:func:`upgrade` runs the Alembic migrations in ``audit/migrations`` programmatically (the
``claims db upgrade`` command); nothing needs an ``alembic.ini``.
"""

from __future__ import annotations

import time
import weakref
from pathlib import Path
from typing import Any

import sqlalchemy
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, event, exc
from sqlalchemy.engine import make_url

__all__ = [
    "MIGRATIONS",
    "create_engine",
    "current_revision",
    "is_postgres",
    "normalize_url",
    "read_only",
    "upgrade",
]

#: Folder of the Alembic environment.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"

#: Connections kept per engine (and as many more opened under a burst, then closed).
POOL_SIZE = 20
#: Seconds a pooled connection may sit idle before it is pinged on checkout.
PING_AFTER_IDLE = 5.0

_READ_ONLY = "audit_read_only"
_IDLE_SINCE = "audit_idle_since"
_IMMEDIATE: weakref.WeakSet[Engine] = weakref.WeakSet()


def normalize_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` become ``postgresql+psycopg://``."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite would defer it).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    read_only_tx = conn.get_execution_options().get(_READ_ONLY, False)
    conn.exec_driver_sql("BEGIN" if read_only_tx else "BEGIN IMMEDIATE")


def _ping_when_idle(engine: Engine) -> None:
    """Ping a connection on checkout only if it was idle for :data:`PING_AFTER_IDLE` s."""

    def checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(str(error)) from error  # the pool reconnects
        if not alive:
            raise exc.DisconnectionError("the pooled connection did not answer a ping")

    event.listen(engine, "checkin", checkin)
    event.listen(engine, "checkout", checkout)


def create_engine(url: str, *, pool_size: int = POOL_SIZE, **kwargs: Any) -> Engine:
    """An engine for the audit trail on SQLite or PostgreSQL (see the module docstring).

    For a SQLite file, its folder is created if missing. ``pool_size`` connections are kept
    and as many more opened under a burst (not for in-memory SQLite, which has one). Extra
    keyword arguments go to :func:`sqlalchemy.create_engine`.
    """
    parsed = make_url(normalize_url(url))
    backend = parsed.get_backend_name()
    database = parsed.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file:")
    if "poolclass" not in kwargs and not (backend == "sqlite" and in_memory):
        kwargs.setdefault("pool_size", pool_size)
        kwargs.setdefault("max_overflow", pool_size)
    if backend == "sqlite":
        if not in_memory:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("timeout", 30)
        engine = sqlalchemy.create_engine(parsed, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        _IMMEDIATE.add(engine)
        return engine
    if backend == "postgresql":
        kwargs.setdefault("isolation_level", "READ COMMITTED")
        engine = sqlalchemy.create_engine(parsed, **kwargs)
        if not kwargs.get("pool_pre_ping"):
            _ping_when_idle(engine)
        return engine
    raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")


def is_postgres(bind: Engine | Connection) -> bool:
    """True on PostgreSQL."""
    return bind.dialect.name == "postgresql"


def begins_immediate(bind: Engine | Connection) -> bool:
    """True for a SQLite engine made by :func:`create_engine` (writes start locked)."""
    engine = bind if isinstance(bind, Engine) else bind.engine
    return engine in _IMMEDIATE


def read_only(conn: Connection) -> Connection:
    """Mark a not-yet-begun connection read-only: on SQLite it begins a deferred transaction."""
    return conn.execution_options(**{_READ_ONLY: True})


def _alembic_config(connection: Connection, app_role: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    config.attributes["app_role"] = app_role
    return config


def upgrade(engine: Engine, *, revision: str = "head", app_role: str = "claims_app") -> None:
    """Migrate the audit schema to ``revision`` (idempotent).

    On PostgreSQL the migrations also create ``app_role`` (NOLOGIN) if absent, grant it
    SELECT and INSERT on the audit tables and revoke UPDATE, DELETE and TRUNCATE.
    """
    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection, app_role), revision)


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at (``None`` before the first upgrade)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(read_only(connection)).get_current_revision()
