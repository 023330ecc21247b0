"""Audit tables (audit_event, checkpoint, ruleset_snapshot), append-only by trigger.

SQLite: BEFORE UPDATE and BEFORE DELETE triggers that ``RAISE(ABORT)``. PostgreSQL: one
trigger function refusing the change, fired BEFORE UPDATE OR DELETE for each row and BEFORE
TRUNCATE for the statement. (SQLite has no TRUNCATE; its ``DELETE FROM t`` is caught by the
row trigger, which also disables the truncate optimisation.)

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = ("audit_event", "checkpoint", "ruleset_snapshot")
HASH = 64
# INTEGER on SQLite, so that the primary key is the rowid (no second index).
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _create_tables() -> None:
    op.create_table(
        "audit_event",
        sa.Column("seq", BIGINT, primary_key=True, autoincrement=False),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("claim_id", sa.String(128), nullable=True),
        sa.Column("occurred_at", sa.String(32), nullable=False),
        sa.Column("recorded_at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(256), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("payload_hash", sa.String(HASH), nullable=False),
        sa.Column("prev_hash", sa.String(HASH), nullable=False, unique=True),
        sa.Column("entry_hash", sa.String(HASH), nullable=False, unique=True),
    )
    op.create_index("ix_audit_event_claim_id", "audit_event", ["claim_id"])
    op.create_table(
        "checkpoint",
        sa.Column("tree_size", BIGINT, primary_key=True, autoincrement=False),
        sa.Column("root_hash", sa.String(HASH), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("compact_range", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "ruleset_snapshot",
        sa.Column("content_hash", sa.String(80), primary_key=True),
        sa.Column("ruleset_id", sa.String(128), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("files", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )


def _sqlite_triggers() -> None:
    for table in TABLES:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"
            )


def _postgres_triggers() -> None:
    op.execute(
        """
        CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'integrity_constraint_violation';
        END
        $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()"
        )


def upgrade() -> None:
    _create_tables()
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_triggers()
    elif dialect == "postgresql":
        _postgres_triggers()
    else:  # pragma: no cover - audit.db refuses other engines
        raise RuntimeError(f"no append-only triggers for {dialect}")


def downgrade() -> None:
    raise RuntimeError("the audit trail is append-only: its tables are never dropped")
