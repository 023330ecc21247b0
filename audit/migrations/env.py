"""Alembic environment: migrations run on a connection handed over by :func:`audit.db.upgrade`.

``config.attributes["connection"]`` is an open connection inside a transaction (the caller
commits); without one (plain ``alembic`` with an ``alembic.ini``), ``sqlalchemy.url`` is
used. On PostgreSQL concurrent upgrades serialize on an advisory lock. The runner is
:func:`audit.migration_env.run_env`, shared with the service's history.
"""

from __future__ import annotations

from audit.migration_env import run_env

#: Advisory lock key of schema migrations (distinct from the append lock).
MIGRATION_LOCK = 0x636C61696D730002

run_env(lock_key=MIGRATION_LOCK, history="audit")
