"""claim_record: the claims taken in, exactly as ``create_all`` made it before this history.

A database made by the service before it had migrations already holds the table: when its
shape is exactly this one it is adopted as it is (only the revision is recorded); any other
shape is refused with the differences (:class:`api.migrations.SchemaMismatch`), never
altered.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.migrations import check_existing

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLE = "claim_record"
INDEX = "ix_claim_record_member_id"


def _columns() -> list[sa.Column[object]]:
    return [
        sa.Column("claim_id", sa.String(128), primary_key=True),
        sa.Column("member_id", sa.String(128), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=True, unique=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
    ]


def _expected() -> sa.Table:
    table = sa.Table(TABLE, sa.MetaData(), *_columns())
    sa.Index(INDEX, table.c.member_id)
    return table


def upgrade() -> None:
    bind = op.get_bind()
    if sa.inspect(bind).has_table(TABLE):
        check_existing(bind, _expected())
        return
    op.create_table(TABLE, *_columns())
    op.create_index(INDEX, TABLE, ["member_id"])


def downgrade() -> None:
    raise RuntimeError("claim_record holds the claims taken in: it is never dropped by a migration")
