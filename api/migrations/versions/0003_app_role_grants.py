"""PostgreSQL: the application role may read and write the service's own tables.

The audit history makes the application role (``claims_app`` unless ``upgrade(app_role=...)``
says otherwise) and lets it only read and append the audit tables. The service also keeps
``claim_record`` and the SLA index, which it updates (timeline events, reindexing) and
deletes from (index rows): this grants the role SELECT, INSERT, UPDATE and DELETE on them and
SELECT on this history's version table, making the role first if this history runs before
the audit one. Nothing to do on SQLite.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import re

from alembic import context, op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = "claim_record, sla_claim, sla_clock"
_ROLE = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _role() -> str:
    role = str(context.config.attributes.get("app_role", "claims_app"))
    if not _ROLE.fullmatch(role):
        raise ValueError(f"application role {role!r} must be a plain lowercase identifier")
    return role


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    role = _role()
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '{role}') THEN
                BEGIN
                    CREATE ROLE {role} NOLOGIN;
                EXCEPTION WHEN duplicate_object OR unique_violation THEN
                    NULL;  -- created meanwhile by a concurrent migration
                END;
            END IF;
            EXECUTE format('GRANT USAGE ON SCHEMA %I TO {role}', current_schema());
        END
        $$
        """
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {TABLES} TO {role}")
    op.execute(f"GRANT SELECT ON api_alembic_version TO {role}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    role = _role()
    op.execute(f"REVOKE ALL ON {TABLES} FROM {role}")
    op.execute(f"REVOKE ALL ON api_alembic_version FROM {role}")
