"""The shared Alembic runner, on a one-revision history of its own in a temporary folder.

The audit and service histories run through it on handed-over connections in their own tests;
these cover the paths those do not: offline SQL, a plain ``sqlalchemy.url``, and neither.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect

ENV = """\
from audit.migration_env import run_env

run_env(lock_key=0x636C61696D73FFFF, history="demo", version_table="demo_version")
"""
REVISION = '''\
"""One table."""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("demo", sa.Column("id", sa.Integer, primary_key=True))
'''


@pytest.fixture
def history(tmp_path: Path) -> Path:
    folder = tmp_path / "history"
    (folder / "versions").mkdir(parents=True)
    (folder / "env.py").write_text(ENV)
    (folder / "versions" / "0001_demo.py").write_text(REVISION)
    return folder


def _config(history: Path, url: str | None, output: io.StringIO | None = None) -> Config:
    config = Config(output_buffer=output)
    config.set_main_option("script_location", str(history))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url)
    return config


def test_offline_writes_sql_with_the_given_version_table(history: Path) -> None:
    output = io.StringIO()
    command.upgrade(_config(history, "postgresql://nobody@nowhere/db", output), "head", sql=True)
    sql = output.getvalue()
    assert "CREATE TABLE demo_version" in sql
    assert "CREATE TABLE demo" in sql
    assert "INSERT INTO demo_version (version_num) VALUES ('0001')" in sql


def test_online_without_a_connection_uses_the_url(history: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    command.upgrade(_config(history, url), "head")
    engine = create_engine(url)
    try:
        assert {"demo", "demo_version"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_online_with_neither_connection_nor_url_names_the_history(history: Path) -> None:
    with pytest.raises(RuntimeError, match=r"no sqlalchemy\.url for the demo migrations"):
        command.upgrade(_config(history, None), "head")
