"""PostgreSQL: the application role may only read and append to the audit tables.

Creates the application role (``claims_app`` unless ``audit.db.upgrade(app_role=...)`` says
otherwise; NOLOGIN, so it is used through ``SET ROLE`` or granted to the login role the
service connects with) if it does not exist, grants it USAGE on the schema and SELECT and
INSERT on the audit tables (SELECT on ``alembic_version``), and revokes UPDATE, DELETE and
TRUNCATE from it and from PUBLIC. Triggers refuse those changes too; the revoke makes the
database refuse them before any trigger runs. Nothing to do on SQLite.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import re

from alembic import context, op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = "audit_event, checkpoint, ruleset_snapshot"
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
    op.execute(f"GRANT SELECT, INSERT ON {TABLES} TO {role}")
    op.execute(f"GRANT SELECT ON alembic_version TO {role}")
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {TABLES} FROM {role}, PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    role = _role()
    op.execute(f"REVOKE ALL ON {TABLES} FROM {role}")
    op.execute(f"REVOKE ALL ON alembic_version FROM {role}")
