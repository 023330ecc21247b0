"""Alembic environment of the audit schema (run with :func:`audit.db.upgrade`)."""
