"""sla_claim and sla_clock: the SLA index behind ``GET /sla/breaches`` (api/sla_index/).

Derived data: created empty here and filled by the service at its next start (every stored
claim without index rows is indexed then), so this migration reads no claim.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sla_claim",
        sa.Column("claim_id", sa.String(128), primary_key=True),
        sa.Column("ruleset_folder", sa.String(128), nullable=False),
        sa.Column("ruleset_id", sa.String(128), nullable=True),
        sa.Column("ruleset_version", sa.String(64), nullable=True),
        sa.Column("content_hash", sa.String(80), nullable=True),
        sa.Column("decided", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("indexed_at", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["claim_record.claim_id"], ondelete="CASCADE"),
    )
    op.create_table(
        "sla_clock",
        sa.Column("claim_id", sa.String(128), primary_key=True),
        sa.Column("node_id", sa.String(128), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=True),
        sa.Column("due_soon_at", sa.BigInteger(), nullable=True),
        sa.Column("due_at", sa.BigInteger(), nullable=True),
        sa.Column("stopped_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["claim_id"], ["sla_claim.claim_id"], ondelete="CASCADE"),
    )
    op.create_index("ix_sla_clock_due_soon_at", "sla_clock", ["due_soon_at"])


def downgrade() -> None:
    op.drop_index("ix_sla_clock_due_soon_at", table_name="sla_clock")
    op.drop_table("sla_clock")
    op.drop_table("sla_claim")
