"""Transactions of the audit store: writes under the append lock, consistent reads.

:func:`write_transaction` is the one way to write (see :mod:`audit.store` for the append lock
and why the chain head is read only after taking it); :func:`read_connection` gives one
consistent snapshot. Both accept an engine (a transaction of their own) or a caller's
session (the caller's transaction). :mod:`audit.store` re-exports everything here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from audit.chain import format_timestamp
from audit.db import begins_immediate, is_postgres, read_only
from audit.errors import StoreError

__all__ = ["APPEND_LOCK", "Target", "now_text", "read_connection", "write_transaction"]

#: Advisory lock key of appends on PostgreSQL ("claims" + 1).
APPEND_LOCK = 0x636C61696D730001

#: Where reads and writes go: an engine (one transaction per call) or a caller's session.
Target = Engine | Session


def now_text() -> str:
    """The current time as stored (:func:`audit.chain.format_timestamp`)."""
    return format_timestamp(dt.datetime.now(dt.UTC))


def _lock(conn: Connection) -> None:
    if is_postgres(conn):
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({APPEND_LOCK})")
    elif not begins_immediate(conn):
        raise StoreError(
            "this SQLite engine does not begin transactions with BEGIN IMMEDIATE: "
            "create it with audit.db.create_engine"
        )


@contextmanager
def write_transaction(target: Target) -> Iterator[Connection]:
    """A connection inside a transaction holding the append lock.

    With an engine: a new transaction, committed when the block ends (rolled back on error).
    With a session: the session's transaction; the caller commits.
    """
    try:
        if isinstance(target, Session):
            conn = target.connection()
            _lock(conn)
            yield conn
            return
        with target.begin() as conn:
            _lock(conn)
            yield conn
    except (OperationalError, ProgrammingError) as exc:
        raise _store_error(exc) from exc


@contextmanager
def read_connection(target: Target) -> Iterator[Connection]:
    """A connection for reading: one consistent snapshot on SQLite (WAL) and PostgreSQL."""
    try:
        if isinstance(target, Session):
            yield target.connection()
            return
        with target.connect() as conn:
            if is_postgres(conn):
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with read_only(conn).begin():
                yield conn
    except (OperationalError, ProgrammingError) as exc:
        raise _store_error(exc) from exc


def _store_error(exc: Exception) -> StoreError:
    text = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    if "no such table" in text or "does not exist" in text:
        return StoreError(f"the audit schema is missing ({text}): run `claims db upgrade`")
    if "append-only" in text:
        return StoreError(text)
    return StoreError(f"database error: {text}")
