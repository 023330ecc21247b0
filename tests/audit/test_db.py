"""Engines of the audit trail (:mod:`audit.db`): pool sizing, pings of idle connections only,
in-memory SQLite, and the folder of a SQLite file.

The ping tests hold the pool at one connection (``pool_size=1``) so that the connection the
test kills on the server is the one the next checkout gets back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import Engine, text

import audit.db
from audit.db import POOL_SIZE, create_engine, read_only
from tests.audit.conftest import PG_ADMIN_URL

# --- helpers ----------------------------------------------------------------------------------


def _backend_pid(engine: Engine) -> int:
    """The server process behind the connection the pool hands out next."""
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(pid: int) -> None:
    """Kill a server process from another connection, waiting until it has exited."""
    admin = create_engine(PG_ADMIN_URL, pool_size=1)
    try:
        with admin.connect() as conn:
            # The timeout (ms) makes pg_terminate_backend wait for the process to be gone.
            killed = conn.execute(
                text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}
            ).scalar_one()
        assert killed is True
    finally:
        admin.dispose()


def _count_pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record the answer of every ping the engine makes (on this engine's dialect only)."""
    answers: list[bool] = []
    real_ping: Callable[[Any], bool] = engine.dialect.do_ping

    def counting(dbapi_connection: Any) -> bool:
        try:
            alive = real_ping(dbapi_connection)
        except Exception:
            answers.append(False)
            raise
        answers.append(alive)
        return alive

    monkeypatch.setattr(engine.dialect, "do_ping", counting)
    return answers


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    """An engine on the test schema whose pool holds exactly one connection."""
    engine = create_engine(pg_url, pool_size=1)
    yield engine
    engine.dispose()


# --- pings of idle connections (PostgreSQL) ---------------------------------------------------


@pytest.mark.postgres
def test_killed_idle_connection_is_replaced_on_next_use(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings = _count_pings(pg_engine, monkeypatch)
    killed = _backend_pid(pg_engine)
    assert pg_engine.pool.checkedin() == 1  # the pool holds exactly that connection
    _terminate(killed)
    monkeypatch.setattr(audit.db, "PING_AFTER_IDLE", 0.0)  # it has been idle long enough

    with pg_engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
        replacement = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())

    assert replacement != killed
    assert pings[0] is False  # the ping found the dead connection; the pool reconnected
    assert pg_engine.pool.checkedin() == 1


@pytest.mark.postgres
def test_connection_in_steady_use_is_not_pinged(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit.db, "PING_AFTER_IDLE", 3600.0)
    pings = _count_pings(pg_engine, monkeypatch)
    pids = {_backend_pid(pg_engine) for _ in range(5)}
    assert len(pids) == 1  # the same pooled connection every time
    assert pings == []


@pytest.mark.postgres
def test_connection_idle_past_the_threshold_is_pinged_once_per_checkout(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings = _count_pings(pg_engine, monkeypatch)
    _backend_pid(pg_engine)  # a brand-new connection: nothing to ping yet
    assert pings == []
    monkeypatch.setattr(audit.db, "PING_AFTER_IDLE", 0.0)
    _backend_pid(pg_engine)
    _backend_pid(pg_engine)
    assert pings == [True, True]


@pytest.mark.postgres
def test_without_the_ping_a_killed_connection_fails_its_next_statement(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the idle ping saves the first request after a quiet spell from (and a check that
    the tests above do kill the pooled connection)."""
    monkeypatch.setattr(audit.db, "PING_AFTER_IDLE", 3600.0)
    _terminate(_backend_pid(pg_engine))
    with pytest.raises(sqlalchemy.exc.OperationalError), pg_engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    with pg_engine.connect() as conn:  # the pool dropped it: the one after works again
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


# --- pool sizing ------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def pooled_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL whose engine gets a sized pool: a SQLite file or PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


def test_default_pool_size(pooled_url: str) -> None:
    engine = create_engine(pooled_url)
    try:
        assert engine.pool.size() == POOL_SIZE
    finally:
        engine.dispose()


def test_pool_keeps_pool_size_and_opens_as_many_more_under_a_burst(pooled_url: str) -> None:
    engine = create_engine(pooled_url, pool_size=2, pool_timeout=0.2)
    try:
        assert engine.pool.size() == 2
        held = [read_only(engine.connect()) for _ in range(4)]  # two kept + two overflow
        for conn in held:  # read-only: on SQLite, four writers would wait on each other
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
        with pytest.raises(sqlalchemy.exc.TimeoutError):
            engine.connect()  # a fifth is past pool_size + max_overflow
        for conn in held:
            conn.close()
        assert engine.pool.checkedin() == 2  # the burst's extra connections were closed
    finally:
        engine.dispose()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_sqlite_ignores_pool_size_and_keeps_its_one_database(url: str) -> None:
    engine = create_engine(url, pool_size=3)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (7)"))
        with engine.connect() as conn:  # the same in-memory database, not a fresh one
            assert conn.execute(text("SELECT x FROM t")).scalar_one() == 7
    finally:
        engine.dispose()


def test_sqlite_file_folder_is_created(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "nested" / "audit.db"
    engine = create_engine(f"sqlite:///{path}")
    try:
        assert path.parent.is_dir()
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        assert path.is_file()
    finally:
        engine.dispose()
