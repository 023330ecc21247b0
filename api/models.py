"""The service's own tables, beside the audit tables in one database.

``claim_record`` holds the current form of each claim (its canonical JSON, timeline events
appended as they arrive). It is working data, not evidence: every decision made on a claim
is in the append-only audit trail together with the exact claim it was made on.

``sla_claim`` and ``sla_clock`` are the SLA index (:mod:`api.sla_index`): per claim, which
ruleset version its clocks were indexed with (or why they could not be), and per clock the
bounds that let ``GET /sla/breaches`` skip every claim that cannot need attention at the
instant asked. They are derived data, rewritten with the claim in one transaction.

``claim_state`` is the projection of a claim's life (:mod:`api.claim_states`): the
:class:`engine.lifecycle.ClaimState` folded from the claim's audited ``life.*`` events, written
in the transaction that appends them, so it never disagrees with the trail; ``claims audit
rebuild-state`` folds the trail again and compares.

The schema is made by the service's own Alembic migrations (:mod:`api.migrations`, version
table ``api_alembic_version``); ``tests/api/test_migrations.py`` checks that these classes
and the migrated schema agree.
"""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, String, Table, Text
from sqlmodel import Field, SQLModel

__all__ = ["ClaimRecord", "ClaimStateRow", "SlaClaim", "SlaClock", "api_tables", "claim_table"]


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


class SlaClaim(SQLModel, table=True):
    """A row of ``sla_claim``: how one claim's ``sla_clock`` rows were made.

    ``decided`` is false when the rows cannot stand for the engine (the ruleset was
    unavailable, the claim's timeline is invalid, or the ruleset reads ``as_of``/``today``
    where the clocks depend on it): such a claim is always computed in full; ``reason`` says
    why. Rows made with another ruleset version than the one in use are not trusted either.
    """

    __tablename__: ClassVar[str] = "sla_claim"

    claim_id: str = Field(
        sa_column=Column(
            String(128),
            ForeignKey("claim_record.claim_id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    ruleset_folder: str = Field(sa_column=Column(String(128), nullable=False))
    ruleset_id: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    ruleset_version: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    content_hash: str | None = Field(default=None, sa_column=Column(String(80), nullable=True))
    decided: bool = Field(sa_column=Column(Boolean, nullable=False))
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    indexed_at: str = Field(sa_column=Column(String(32), nullable=False))


class SlaClock(SQLModel, table=True):
    """A row of ``sla_clock``: bounds on one clock of one claim, for every ``as_of``.

    Instants are whole Unix seconds rounded down. ``status`` is ``open`` (not stopped),
    ``met`` or ``breached`` (stopped: so it stays from ``stopped_at`` on),
    ``not_started`` (never starts) or ``not_applicable``. ``due_at`` is the earliest the
    deadline can be; ``due_soon_at`` the earliest the clock can be due soon or breached.
    """

    __tablename__: ClassVar[str] = "sla_clock"
    __table_args__ = (Index("ix_sla_clock_due_soon_at", "due_soon_at"),)

    claim_id: str = Field(
        sa_column=Column(
            String(128),
            ForeignKey("sla_claim.claim_id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    node_id: str = Field(sa_column=Column(String(128), primary_key=True))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    started_at: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    due_soon_at: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    due_at: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    stopped_at: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class ClaimStateRow(SQLModel, table=True):
    """A row of ``claim_state``: one claim's folded state (``state`` is its JSON form).

    ``version`` and ``content_hash`` are the claim's (its ETag); ``status`` and
    ``decision_id`` are copied out of ``state`` for queries; ``last_seq`` is the audit seq of
    the last event folded in.
    """

    __tablename__: ClassVar[str] = "claim_state"
    __table_args__ = (Index("ix_claim_state_status", "status"),)

    claim_id: str = Field(sa_column=Column(String(128), primary_key=True))
    version: int = Field(sa_column=Column(BigInteger, nullable=False))
    content_hash: str = Field(sa_column=Column(String(80), nullable=False))
    status: str = Field(sa_column=Column(String(32), nullable=False))
    decision_id: str | None = Field(default=None, sa_column=Column(String(80), nullable=True))
    last_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    state: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: str = Field(sa_column=Column(String(32), nullable=False))


def _table(model: type[SQLModel]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def claim_table() -> Table:
    return _table(ClaimRecord)


def api_tables() -> tuple[Table, ...]:
    """``(claim_record, sla_claim, sla_clock, claim_state)``: what :mod:`api.migrations`
    makes."""
    return _table(ClaimRecord), _table(SlaClaim), _table(SlaClock), _table(ClaimStateRow)
