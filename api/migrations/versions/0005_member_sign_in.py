"""member_sign_in_link and member_session: members sign in with one-time links (issue 17).

Both start empty. On PostgreSQL the application role may read and write them (links are
marked used, sessions touched and ended), as 0003 grants for the service's other tables.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import context, op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = "member_sign_in_link, member_session"
_ROLE = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _role() -> str:
    role = str(context.config.attributes.get("app_role", "claims_app"))
    if not _ROLE.fullmatch(role):
        raise ValueError(f"application role {role!r} must be a plain lowercase identifier")
    return role


def upgrade() -> None:
    op.create_table(
        "member_sign_in_link",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("member_id", sa.String(128), nullable=False),
        sa.Column("issued_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.String(32), nullable=False),
        sa.Column("used_at", sa.String(32), nullable=True),
    )
    op.create_index("ix_member_sign_in_link_member_id", "member_sign_in_link", ["member_id"])
    op.create_table(
        "member_session",
        sa.Column("session_hash", sa.String(64), primary_key=True),
        sa.Column("member_id", sa.String(128), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("last_seen_at", sa.String(32), nullable=False),
        sa.Column("ended_at", sa.String(32), nullable=True),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {TABLES} TO {_role()}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"REVOKE ALL ON {TABLES} FROM {_role()}")
    op.drop_table("member_session")
    op.drop_index("ix_member_sign_in_link_member_id", table_name="member_sign_in_link")
    op.drop_table("member_sign_in_link")
