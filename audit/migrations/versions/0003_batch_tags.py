"""Batch tags (audit_batch_tag): append-only, SELECT and INSERT only for the application role.

One row per appended batch: the HMAC-SHA256 under the service's batch key over the batch's
entry hashes (:mod:`audit.batch_tags`). Existing events get no tag here: they are the legacy
prefix, reported as untagged by verify until ``claims audit adopt`` tags them once.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import context, op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLE = "audit_batch_tag"
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_ROLE = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _role() -> str:
    role = str(context.config.attributes.get("app_role", "claims_app"))
    if not _ROLE.fullmatch(role):
        raise ValueError(f"application role {role!r} must be a plain lowercase identifier")
    return role


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("last_seq", BIGINT, primary_key=True, autoincrement=False),
        sa.Column("first_seq", BIGINT, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key_id", sa.String(8), nullable=False),
        sa.Column("tag", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_no_{operation.lower()} BEFORE {operation} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: {operation} refused'); END"
            )
        return
    # audit_refuse_change() was created by revision 0001
    op.execute(
        f"CREATE TRIGGER {TABLE}_no_change BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"
    )
    op.execute(
        f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()"
    )
    role = _role()
    op.execute(f"GRANT SELECT, INSERT ON {TABLE} TO {role}")
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {TABLE} FROM {role}, PUBLIC")


def downgrade() -> None:
    raise RuntimeError("the audit trail is append-only: its tables are never dropped")
