"""Alembic environment of the service's tables: run on a connection from :func:`upgrade`.

``config.attributes["connection"]`` is an open connection inside a transaction (the caller
commits); without one (plain ``alembic`` with an ``alembic.ini``), ``sqlalchemy.url`` is
used. The version table is ``api_alembic_version``, so this history and the audit trail's
never see each other's revisions. On PostgreSQL concurrent upgrades serialize on an
advisory lock. The runner is :func:`audit.migration_env.run_env`, shared with the audit
history.
"""

from __future__ import annotations

from api.migrations import VERSION_TABLE
from audit.migration_env import run_env

#: Advisory lock key of these migrations (the audit history's is ...0002).
MIGRATION_LOCK = 0x636C61696D730003

run_env(lock_key=MIGRATION_LOCK, history="service", version_table=VERSION_TABLE)
