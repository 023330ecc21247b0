"""The member pages' own tables: one-time sign-in links and the sessions they open.

Neither holds a secret in the clear: a link's token and a session's id are stored as their
SHA-256 (hex), so a copy of the database signs nobody in. Rows are working data, not
evidence: issuing a link is also an audit event (:mod:`api.member_pages.sign_in`).
Made by revision ``0005_member_sign_in`` of :mod:`api.migrations`.
"""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import Column, Index, String, Table
from sqlmodel import Field, SQLModel

__all__ = ["MemberSession", "SignInLink", "member_tables"]


class SignInLink(SQLModel, table=True):
    """A row of ``member_sign_in_link``: single use (``used_at``), valid until ``expires_at``."""

    __tablename__: ClassVar[str] = "member_sign_in_link"
    __table_args__ = (Index("ix_member_sign_in_link_member_id", "member_id"),)

    token_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    member_id: str = Field(sa_column=Column(String(128), nullable=False))
    issued_by: str = Field(sa_column=Column(String(200), nullable=False))
    created_at: str = Field(sa_column=Column(String(32), nullable=False))
    expires_at: str = Field(sa_column=Column(String(32), nullable=False))
    used_at: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))


class MemberSession(SQLModel, table=True):
    """A row of ``member_session``: ended by sign-out (``ended_at``) or by idleness."""

    __tablename__: ClassVar[str] = "member_session"

    session_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    member_id: str = Field(sa_column=Column(String(128), nullable=False))
    created_at: str = Field(sa_column=Column(String(32), nullable=False))
    last_seen_at: str = Field(sa_column=Column(String(32), nullable=False))
    ended_at: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))


def _table(model: type[SQLModel]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def member_tables() -> tuple[Table, Table]:
    """``(member_sign_in_link, member_session)``: what revision 0005 makes."""
    return _table(SignInLink), _table(MemberSession)
