"""A claim's life in the audit trail: one ``life.<kind>`` event per domain event.

The payload is the domain event's JSON form without ``ref`` (which is the audit event's own
id, known only once stored); ``occurred_at`` is the event's ``at``. Reading back gives the
domain events with ``ref`` set, in chain order, which is the order they were admitted in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from pydantic import JsonValue as PydanticJson
from sqlalchemy.orm import Session

from audit.canonical import JsonValue
from audit.chain import StoredEvent
from audit.config import AuditConfig
from audit.store import Target, append_event, events_for_claim
from engine.lifecycle import ClaimEvent, parse_event

__all__ = ["LIFE_PREFIX", "append_life", "life_events", "stored_life_events"]

#: ``event_type`` prefix of the claim's life in the audit trail.
LIFE_PREFIX = "life."


def append_life(
    session: Session,
    *,
    claim_id: str,
    events: Sequence[ClaimEvent],
    config: AuditConfig | None,
) -> tuple[list[ClaimEvent], int]:
    """Append ``events`` in the session's transaction; returns them with ``ref`` set, and
    the seq of the last."""
    stored: list[ClaimEvent] = []
    seq = 0
    for event in events:
        payload: JsonValue = event.model_dump(mode="json", exclude={"ref"})
        written = append_event(
            session,
            event_type=LIFE_PREFIX + event.kind,
            claim_id=claim_id,
            payload=payload,
            actor=event.actor[:256],
            occurred_at=event.at,
            config=config,
        )
        stored.append(event.model_copy(update={"ref": written.event_id}))
        seq = written.seq
    return stored, seq


def _domain(event: StoredEvent) -> ClaimEvent:
    value = event.payload_value()
    data = dict(value) if isinstance(value, dict) else {}
    data["ref"] = event.event_id
    return parse_event(cast(PydanticJson, data))


def stored_life_events(target: Target, *, claim_id: str) -> list[StoredEvent]:
    return [
        e
        for e in events_for_claim(target, claim_id=claim_id)
        if e.event_type.startswith(LIFE_PREFIX)
    ]


def life_events(target: Target, *, claim_id: str) -> list[ClaimEvent]:
    """The claim's domain events as the trail holds them, oldest first."""
    return [_domain(e) for e in stored_life_events(target, claim_id=claim_id)]
