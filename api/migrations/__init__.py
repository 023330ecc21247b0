"""The service's own tables (``claim_record``, the SLA index) as an Alembic history.

A history of its own, beside the audit trail's (:mod:`audit.db`): the audit package must
not know the service's tables, and the two evolve separately. Its version table is
``api_alembic_version``. :func:`upgrade` runs it programmatically (``claims db upgrade``
and the service's startup, after the audit migrations); nothing needs an ``alembic.ini``.

Databases made before this history began hold ``claim_record`` as ``create_all`` made it:
revision 0001 adopts such a table when its shape is exactly the one it would create
(:func:`check_existing`) and refuses any other shape with the differences
(:class:`SchemaMismatch`), never altering it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, Table, inspect

from api.errors import ApiError
from audit.db import read_only

__all__ = [
    "MIGRATIONS",
    "VERSION_TABLE",
    "SchemaMismatch",
    "check_existing",
    "current_revision",
    "upgrade",
]

#: Folder of the Alembic environment.
MIGRATIONS = Path(__file__).resolve().parent
#: Alembic's version table of this history (the audit history keeps ``alembic_version``).
VERSION_TABLE = "api_alembic_version"


class SchemaMismatch(ApiError, ValueError):
    """An existing table differs from the one a migration would create.

    A ``ValueError`` so that ``claims db upgrade`` reports it as a message, not a traceback.
    """

    def __init__(self, table: str, differences: list[str]) -> None:
        self.table = table
        self.differences = differences
        super().__init__(
            f"table {table} exists with another shape than this migration makes; fix or rename "
            f"it by hand, then run `claims db upgrade` again: {'; '.join(differences)}"
        )


def _config(connection: Connection, app_role: str = "claims_app") -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    config.attributes["app_role"] = app_role
    return config


def upgrade(engine: Engine, *, revision: str = "head", app_role: str = "claims_app") -> None:
    """Migrate the service's tables to ``revision`` (idempotent); on PostgreSQL ``app_role``
    (the audit history's application role) may read and write them."""
    with engine.begin() as connection:
        command.upgrade(_config(connection, app_role), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision of the service's tables (``None`` before the first upgrade)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            read_only(connection), opts={"version_table": VERSION_TABLE}
        )
        return context.get_current_revision()


def check_existing(connection: Connection, table: Table) -> None:
    """Raise :class:`SchemaMismatch` unless the database's ``table`` has exactly its shape.

    Alembic's autogenerate comparison (columns, types, nullability, indexes, unique and
    foreign keys) restricted to that one table, plus the primary key, which it does not
    compare.
    """

    def only_this_table(name: str | None, type_: str, _parents: Any) -> bool:
        return type_ != "table" or name == table.name

    context = MigrationContext.configure(
        connection, opts={"include_name": only_this_table, "compare_type": True}
    )
    differences = [repr(d) for d in compare_metadata(context, table.metadata)]
    found = inspect(connection).get_pk_constraint(table.name)["constrained_columns"]
    wanted = [c.name for c in table.primary_key.columns]
    if found != wanted:
        differences.append(f"primary key is {found}, expected {wanted}")
    if differences:
        raise SchemaMismatch(table.name, differences)
