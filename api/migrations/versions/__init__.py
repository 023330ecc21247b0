"""Alembic revisions of the service's own tables, oldest first."""
