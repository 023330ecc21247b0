"""The audit trail's tables (SQLModel over SQLAlchemy 2).

Four append-only tables; the schema itself is made by the Alembic migrations in
``audit/migrations`` (which also add the triggers and privileges that keep the tables
append-only), and ``tests/audit/test_models.py`` checks that these classes and the migrated
schema agree.

``audit_event``
    One row per audited event, hash-chained (see :mod:`audit.chain` for the hash
    definition). ``seq`` is the primary key, 1-based and gapless; ``prev_hash`` is UNIQUE,
    the backstop that makes a fork impossible even if a writer skipped the append lock.
    Timestamps are RFC 3339 UTC text, exactly as hashed. ``payload`` is canonical JSON text
    (not ``jsonb``: the bytes hashed are the bytes stored).
``checkpoint``
    One signed checkpoint per tree size: the C2SP signed note, its root, and the compact
    range (perfect-subtree hashes) that lets the next checkpoint be computed from the new
    events only.
``ruleset_snapshot``
    The ruleset source a decision used, addressed by the engine's content hash
    (:mod:`audit.snapshot`).
``audit_batch_tag``
    One HMAC tag per appended batch (:mod:`audit.batch_tags`), keyed by the batch's last
    ``seq``: the proof that the service holding the batch key wrote those events.
"""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text
from sqlmodel import Field, SQLModel

__all__ = ["AuditEvent", "BatchTagRow", "Checkpoint", "RulesetSnapshotRow", "audit_tables"]

_HASH = 64
# INTEGER on SQLite, so that the primary key is the rowid (no second index).
_BIGINT = BigInteger().with_variant(Integer(), "sqlite")


class AuditEvent(SQLModel, table=True):
    """A row of ``audit_event``."""

    __tablename__: ClassVar[str] = "audit_event"
    __table_args__ = (Index("ix_audit_event_claim_id", "claim_id"),)

    seq: int = Field(sa_column=Column(_BIGINT, primary_key=True, autoincrement=False))
    event_id: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    event_type: str = Field(sa_column=Column(String(64), nullable=False))
    claim_id: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    occurred_at: str = Field(sa_column=Column(String(32), nullable=False))
    recorded_at: str = Field(sa_column=Column(String(32), nullable=False))
    actor: str = Field(sa_column=Column(String(256), nullable=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))
    payload_hash: str = Field(sa_column=Column(String(_HASH), nullable=False))
    prev_hash: str = Field(sa_column=Column(String(_HASH), nullable=False, unique=True))
    entry_hash: str = Field(sa_column=Column(String(_HASH), nullable=False, unique=True))


class Checkpoint(SQLModel, table=True):
    """A row of ``checkpoint``."""

    __tablename__: ClassVar[str] = "checkpoint"

    tree_size: int = Field(sa_column=Column(_BIGINT, primary_key=True, autoincrement=False))
    root_hash: str = Field(sa_column=Column(String(_HASH), nullable=False))
    note: str = Field(sa_column=Column(Text, nullable=False))
    compact_range: str = Field(sa_column=Column(Text, nullable=False))
    created_at: str = Field(sa_column=Column(String(32), nullable=False))


class RulesetSnapshotRow(SQLModel, table=True):
    """A row of ``ruleset_snapshot``."""

    __tablename__: ClassVar[str] = "ruleset_snapshot"

    content_hash: str = Field(sa_column=Column(String(80), primary_key=True))
    ruleset_id: str = Field(sa_column=Column(String(128), nullable=False))
    version: str = Field(sa_column=Column(String(64), nullable=False))
    files: str = Field(sa_column=Column(Text, nullable=False))
    created_at: str = Field(sa_column=Column(String(32), nullable=False))


class BatchTagRow(SQLModel, table=True):
    """A row of ``audit_batch_tag``."""

    __tablename__: ClassVar[str] = "audit_batch_tag"

    last_seq: int = Field(sa_column=Column(_BIGINT, primary_key=True, autoincrement=False))
    first_seq: int = Field(sa_column=Column(_BIGINT, nullable=False))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    key_id: str = Field(sa_column=Column(String(8), nullable=False))
    tag: str = Field(sa_column=Column(String(_HASH), nullable=False))
    created_at: str = Field(sa_column=Column(String(32), nullable=False))


def _table(model: type[SQLModel]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


#: The three tables as SQLAlchemy Core objects (the store uses Core for speed).
EVENTS: Table = _table(AuditEvent)
CHECKPOINTS: Table = _table(Checkpoint)
SNAPSHOTS: Table = _table(RulesetSnapshotRow)
BATCH_TAGS: Table = _table(BatchTagRow)


def audit_tables() -> tuple[Table, Table, Table, Table]:
    """``(audit_event, checkpoint, ruleset_snapshot, audit_batch_tag)``."""
    return EVENTS, CHECKPOINTS, SNAPSHOTS, BATCH_TAGS
