"""The service's own table: the claims taken in, beside the audit tables in one database.

``claim_record`` holds the current form of each claim (its canonical JSON, timeline events
appended as they arrive). It is working data, not evidence: every decision made on a claim
is in the append-only audit trail together with the exact claim it was made on. The table
is created at startup with ``create_all`` (after the audit migrations) until it gets an
Alembic migration of its own.
"""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import Column, Index, String, Table, Text
from sqlmodel import Field, SQLModel

__all__ = ["ClaimRecord", "claim_table"]


class ClaimRecord(SQLModel, table=True):
    """A row of ``claim_record``."""

    __tablename__: ClassVar[str] = "claim_record"
    __table_args__ = (Index("ix_claim_record_member_id", "member_id"),)

    claim_id: str = Field(sa_column=Column(String(128), primary_key=True))
    member_id: str = Field(sa_column=Column(String(128), nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    idempotency_key: str | None = Field(
        default=None, sa_column=Column(String(255), nullable=True, unique=True)
    )
    created_at: str = Field(sa_column=Column(String(32), nullable=False))
    updated_at: str = Field(sa_column=Column(String(32), nullable=False))


def claim_table() -> Table:
    table = ClaimRecord.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table
