"""Fixtures of the audit tests: a migrated store on SQLite and on real PostgreSQL.

PostgreSQL tests connect to ``postgresql+psycopg://postgres@127.0.0.1:5432/test`` and work
in a schema of their own (created for the test, dropped after it), selected through the
connection's ``search_path``. When the server is unreachable they skip, unless
``CLAIMS_TEST_REQUIRE_PG=1`` (CI), where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text

from audit.checkpoint import generate_key
from audit.config import AuditConfig
from audit.db import create_engine, upgrade

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ORIGIN = "claims.example/audit-test"
SIGNER, VERIFIER = generate_key(ORIGIN)

_pg_problem: list[str] = []


def pg_reachable() -> str | None:
    """``None`` when PostgreSQL answers, else why not (checked once per session)."""
    if not _pg_problem:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            _pg_problem.append("")
        except Exception as exc:  # any failure to connect means "not reachable"
            _pg_problem.append(str(exc).strip().splitlines()[0])
        finally:
            engine.dispose()
    return _pg_problem[0] or None


def require_pg() -> None:
    """Skip (or fail, with CLAIMS_TEST_REQUIRE_PG=1) when PostgreSQL is unreachable."""
    problem = pg_reachable()
    if problem is None:
        return
    message = f"PostgreSQL not reachable on 127.0.0.1:5432: {problem}"
    if os.environ.get("CLAIMS_TEST_REQUIRE_PG") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """URL of a fresh, empty schema of the test database (dropped afterwards)."""
    require_pg()
    schema = f"audit_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@dataclass(frozen=True)
class Store:
    """A migrated audit store for one test."""

    kind: str  # "sqlite" | "postgres"
    url: str
    engine: Engine
    config: AuditConfig

    def with_checkpoints(self, every: int) -> AuditConfig:
        return replace(self.config, checkpoint_every=every)

    def bypass(self, *statements: str) -> None:
        """Run statements as a superuser would, with the append-only triggers out of the way.

        SQLite: the triggers are dropped (and not put back). PostgreSQL:
        ``SET LOCAL session_replication_role = replica`` disables them for the transaction.
        """
        with self.engine.begin() as conn:
            if self.kind == "sqlite":
                names = conn.execute(
                    text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                ).scalars()
                for name in list(names):
                    conn.execute(text(f"DROP TRIGGER {name}"))
            else:
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            for statement in statements:
                conn.exec_driver_sql(statement)

    def connect(self) -> Connection:
        return self.engine.connect()


def make_store(kind: str, url: str, checkpoint_every: int = 0) -> Store:
    engine = create_engine(url)
    upgrade(engine)
    config = AuditConfig(url, ORIGIN, SIGNER, checkpoint_every)
    return Store(kind, url, engine, config)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = make_store("sqlite", f"sqlite:///{tmp_path / 'audit.db'}")
    yield store
    store.engine.dispose()


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:
    store = make_store("postgres", pg_url)
    yield store
    store.engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> Store:
    """The same test on SQLite and on PostgreSQL."""
    fixture = "sqlite_store" if request.param == "sqlite" else "pg_store"
    result: Store = request.getfixturevalue(fixture)
    return result
