"""claim_state: the projection of each claim's life (api/claim_states/).

Derived data: one row per claim, the state folded from the claim's audited ``life.*`` events,
written in the transaction that appends them. Created empty: a claim taken in before this
revision gets its row at its first change (its intake is recorded then), and ``claims audit
rebuild-state`` can always fold the rows again from the trail. On PostgreSQL the application
role may read and write it, as the other tables of the service.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import context, op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_ROLE = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def upgrade() -> None:
    op.create_table(
        "claim_state",
        sa.Column("claim_id", sa.String(128), primary_key=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("content_hash", sa.String(80), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("decision_id", sa.String(80), nullable=True),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_claim_state_status", "claim_state", ["status"])
    if op.get_bind().dialect.name == "postgresql":
        role = str(context.config.attributes.get("app_role", "claims_app"))
        if not _ROLE.fullmatch(role):
            raise ValueError(f"application role {role!r} must be a plain lowercase identifier")
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON claim_state TO {role}")


def downgrade() -> None:
    op.drop_index("ix_claim_state_status", table_name="claim_state")
    op.drop_table("claim_state")
