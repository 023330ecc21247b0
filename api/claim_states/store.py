"""The ``claim_state`` rows: the projection of each claim's life (:mod:`api.models`).

A row holds :class:`engine.lifecycle.ClaimState` as JSON, written only by
:class:`api.claim_states.writer.ClaimLife` in the transaction that appends the events it
folds. :func:`rebuild_states` folds the trail again, claim by claim, and compares: a
difference means the row was written otherwise (or the trail was), and is reported field by
field; with ``write`` the rebuilt state replaces the stored one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from api.claim_states.trail import LIFE_PREFIX, life_events, stored_life_events
from api.models import ClaimStateRow
from audit.db import read_only
from audit.models import EVENTS
from audit.store import now_text
from engine.lifecycle import ClaimState, fold

__all__ = [
    "Difference",
    "etag_of",
    "put_state",
    "read_state",
    "rebuild_states",
    "state_of_row",
    "status_counts",
]


def etag_of(state: ClaimState) -> str:
    """The claim's ETag: its version and content hash (quoted, RFC 9110 strong)."""
    digest = (state.content_hash or "").removeprefix("sha256:")[:20]
    return f'"v{state.version}-{digest}"'


def state_of_row(row: ClaimStateRow) -> ClaimState:
    return ClaimState.model_validate_json(row.state)


def _text(state: ClaimState) -> str:
    return state.model_dump_json()


def put_state(session: Session, *, state: ClaimState, last_seq: int) -> None:
    """Insert or replace the claim's row (the caller holds its lock and commits)."""
    claim_id = state.claim_id
    assert claim_id is not None  # only a received claim has a row
    values: dict[str, Any] = {
        "version": state.version,
        "content_hash": state.content_hash or "",
        "status": state.status,
        "decision_id": state.decision.decision_id if state.decision else None,
        "last_seq": last_seq,
        "state": _text(state),
        "updated_at": now_text(),
    }
    row = session.get(ClaimStateRow, claim_id)
    if row is None:
        row = ClaimStateRow(claim_id=claim_id, **values)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    session.add(row)


def read_state(engine: Engine, claim_id: str) -> ClaimState | None:
    """The stored state of ``claim_id`` (one consistent read), ``None`` without a row."""
    with engine.connect() as conn, Session(bind=read_only(conn)) as session:
        row = session.get(ClaimStateRow, claim_id)
        return state_of_row(row) if row is not None else None


def status_counts(engine: Engine) -> dict[str, int]:
    """How many claims have each status (what ``/metrics`` reports)."""
    status = col(ClaimStateRow.status)
    query = select(status, func.count()).group_by(status)
    with engine.connect() as conn:
        return {str(status): int(n) for status, n in conn.execute(query)}


@dataclass(frozen=True, slots=True)
class Difference:
    """A claim whose stored state is not what its trail folds to: the differing fields."""

    claim_id: str
    fields: tuple[str, ...]
    stored: bool  # False: the trail has the claim's life but there is no row

    def describe(self) -> str:
        if not self.stored:
            return f"{self.claim_id}: no stored state, the audit trail has its life"
        return f"{self.claim_id}: stored state differs in {', '.join(self.fields)}"


def _life_claims(engine: Engine) -> list[str]:
    query = (
        select(EVENTS.c.claim_id)
        .where(EVENTS.c.event_type.startswith(LIFE_PREFIX), EVENTS.c.claim_id.is_not(None))
        .distinct()
    )
    with engine.connect() as conn:
        return sorted(str(c) for c in conn.execute(query).scalars())


def _fields(stored: ClaimState, rebuilt: ClaimState) -> tuple[str, ...]:
    a, b = json.loads(_text(stored)), json.loads(_text(rebuilt))
    return tuple(sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k)))


def rebuild_states(
    engine: Engine, *, claim_ids: Iterable[str] | None = None, write: bool = False
) -> tuple[int, list[Difference]]:
    """Fold each claim's life from the trail and compare with its row: ``(claims checked,
    differences)``; ``write`` stores the rebuilt state where it differs."""
    ids = list(claim_ids) if claim_ids is not None else _life_claims(engine)
    differences: list[Difference] = []
    for claim_id in ids:
        with Session(engine) as session:
            events = life_events(session, claim_id=claim_id)
            rebuilt = fold(events)
            row = session.get(ClaimStateRow, claim_id)
            stored = state_of_row(row) if row is not None else None
            if stored == rebuilt or (stored is None and not events):
                continue
            differences.append(
                Difference(
                    claim_id,
                    _fields(stored, rebuilt) if stored is not None else (),
                    stored is not None,
                )
            )
            if write and events:
                seq = stored_life_events(session, claim_id=claim_id)[-1].seq
                put_state(session, state=rebuilt, last_seq=seq)
                session.commit()
    return len(ids), differences
