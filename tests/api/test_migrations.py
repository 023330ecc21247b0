"""The service's own Alembic history (api/migrations): fresh upgrade, idempotence, adopting a
``claim_record`` made by ``create_all`` before the history existed, refusing one of another
shape, the models matching the migrated schema, and ``claims db upgrade`` running both
histories. On SQLite and on PostgreSQL (a fresh schema per test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import Engine, MetaData, inspect, text
from sqlmodel import SQLModel

from api import migrations
from api.cli import main
from api.member_pages.models import member_tables
from api.models import api_tables, claim_table
from api.settings import get_settings
from audit import db as audit_db
from audit.db import create_engine
from tests.audit.conftest import pg_url  # noqa: F401  (fixture)

API_TABLES = {t.name for t in (*api_tables(), *member_tables())}
ROW = {
    "claim_id": "CLM-OLD-1",
    "member_id": "M-1",
    "body": "{}",
    "idempotency_key": "k-1",
    "created_at": "2026-01-01T00:00:00Z",
    "updated_at": "2026-01-01T00:00:00Z",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'claims.db'}"
    found: str = request.getfixturevalue("pg_url")
    return found


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    engine = create_engine(url)
    yield engine
    engine.dispose()


def _tables(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def _differences(engine: Engine) -> list[object]:
    """Autogenerate's diff between the api models and the database, api tables only."""
    ours = MetaData()
    for table in (*api_tables(), *member_tables()):
        table.to_metadata(ours)

    def api_only(name: str | None, type_: str, _parents: object) -> bool:
        return type_ != "table" or name in API_TABLES

    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_name": api_only, "compare_type": True}
        )
        return list(compare_metadata(context, ours))


def test_fresh_upgrade_is_idempotent_and_matches_the_models(engine: Engine) -> None:
    assert migrations.current_revision(engine) is None
    audit_db.upgrade(engine)
    migrations.upgrade(engine)
    migrations.upgrade(engine)  # nothing left to do: no error, nothing changes
    assert migrations.current_revision(engine) == "0006"
    assert audit_db.current_revision(engine) == "0003"  # the two histories are separate
    assert API_TABLES | {"api_alembic_version", "alembic_version"} <= _tables(engine)
    assert _differences(engine) == []


def test_the_histories_do_not_depend_on_each_other(engine: Engine) -> None:
    migrations.upgrade(engine)  # without the audit tables
    assert "audit_event" not in _tables(engine)
    audit_db.upgrade(engine)
    assert migrations.current_revision(engine) == "0006"
    assert audit_db.current_revision(engine) == "0003"


def test_a_claim_record_made_by_create_all_is_adopted(engine: Engine) -> None:
    """A database of the service before its migrations: the table is kept, rows included."""
    audit_db.upgrade(engine)
    SQLModel.metadata.create_all(engine, tables=[claim_table()])
    with engine.begin() as conn:
        conn.execute(claim_table().insert().values(**ROW))
    migrations.upgrade(engine)
    assert migrations.current_revision(engine) == "0006"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT claim_id FROM claim_record")).scalars().all() == [
            "CLM-OLD-1"
        ]
    assert _differences(engine) == []


def test_a_claim_record_of_another_shape_is_refused_untouched(engine: Engine) -> None:
    other = sa.Table(
        "claim_record",
        MetaData(),
        sa.Column("claim_id", sa.String(128), primary_key=True),
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
    )
    other.create(engine)
    with pytest.raises(migrations.SchemaMismatch) as caught:
        migrations.upgrade(engine)
    assert caught.value.table == "claim_record"
    problems = " ".join(caught.value.differences)
    for column in ("idempotency_key", "created_at", "updated_at"):
        assert column in problems
    assert "claims db upgrade" in str(caught.value)
    assert migrations.current_revision(engine) is None
    assert "sla_clock" not in _tables(engine)
    with engine.connect() as conn:
        assert [c["name"] for c in inspect(conn).get_columns("claim_record")] == [
            "claim_id",
            "member_id",
            "body",
        ]


def test_a_different_primary_key_is_refused(engine: Engine) -> None:
    columns = [
        sa.Column("claim_id", sa.String(128), nullable=False),
        sa.Column("member_id", sa.String(128), primary_key=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=True, unique=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
    ]
    table = sa.Table("claim_record", MetaData(), *columns)
    sa.Index("ix_claim_record_member_id", table.c.member_id)
    table.create(engine)
    with pytest.raises(migrations.SchemaMismatch, match="primary key is"):
        migrations.upgrade(engine)


def test_claims_db_upgrade_runs_both_histories(
    url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLAIMS_ENVIRONMENT", raising=False)
    monkeypatch.setenv("CLAIMS_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        for _ in range(2):
            result = CliRunner().invoke(main, ["db", "upgrade"])
            assert result.exit_code == 0, result.output
            assert result.stdout == "ok: database at revision head\n"
    finally:
        get_settings.cache_clear()
    assert migrations.current_revision(engine) == "0006"
    assert audit_db.current_revision(engine) == "0003"


def test_claims_db_upgrade_reports_a_refused_table_without_a_traceback(
    engine: Engine, url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sa.Table("claim_record", MetaData(), sa.Column("claim_id", sa.Text(), primary_key=True)).create(
        engine
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLAIMS_ENVIRONMENT", raising=False)
    monkeypatch.setenv("CLAIMS_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["db", "upgrade"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert "error: table claim_record exists with another shape" in result.stderr


@pytest.mark.postgres
@pytest.mark.parametrize("audit_first", [True, False])
def test_the_application_role_may_keep_claims_and_the_sla_index(
    pg_url: str,  # noqa: F811  (fixture)
    audit_first: bool,
) -> None:
    """The role the service runs as reads and writes its own tables, whichever history ran
    first, while the audit tables stay append-only for it."""
    engine = create_engine(pg_url)
    try:
        _check_role_grants(engine, audit_first=audit_first)
    finally:
        engine.dispose()


def _check_role_grants(engine: Engine, *, audit_first: bool) -> None:
    if audit_first:
        audit_db.upgrade(engine)
    migrations.upgrade(engine)
    audit_db.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL ROLE claims_app"))
        conn.execute(
            text(
                "INSERT INTO claim_record (claim_id, member_id, body, created_at, updated_at) "
                "VALUES ('C-1', 'M-1', '{}', 'now', 'now')"
            )
        )
        conn.execute(text("UPDATE claim_record SET body = '{\"a\": 1}' WHERE claim_id = 'C-1'"))
        assert conn.execute(text("SELECT count(*) FROM sla_clock")).scalar_one() == 0
        conn.execute(text("DELETE FROM sla_clock WHERE claim_id = 'C-1'"))
        conn.execute(text("DELETE FROM sla_claim WHERE claim_id = 'C-1'"))
        conn.execute(text("SELECT version_num FROM api_alembic_version")).all()
        conn.execute(text("UPDATE member_sign_in_link SET used_at = 'now' WHERE member_id = 'M'"))
        conn.execute(text("UPDATE member_session SET ended_at = 'now' WHERE member_id = 'M'"))
    with pytest.raises(sa.exc.DBAPIError, match="permission denied"), engine.begin() as conn:
        conn.execute(text("SET LOCAL ROLE claims_app"))
        conn.execute(text("DELETE FROM audit_event"))
