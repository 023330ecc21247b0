"""Feedback after a decision (闭环评价): two ratings 1–5 and an optional comment.

Stored as an audit event of the claim (:data:`FEEDBACK_EVENT`), the comment redacted first
with the claim's own personal data and the generic shapes (ID numbers, phones, cards:
:class:`llm_assist.redaction.Redactor`), so nothing personal sits in the trail. Counted in
``claims_member_feedback{clear,treated_well}`` and listed for staff on the claim
(``GET /claims/{id}/member-feedback``).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from audit.chain import StoredEvent
from engine.claim import Claim
from llm_assist.redaction import Redactor

__all__ = ["FEEDBACK_EVENT", "Feedback", "feedback_entries", "feedback_payload"]

FEEDBACK_EVENT = "member_feedback"

Rating = Annotated[int, Field(ge=1, le=5)]


class Feedback(BaseModel):
    """What the form sends; a rating outside 1–5 or a comment above 1000 characters is
    refused with the field named."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    clear: Rating
    treated_well: Rating
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""


def feedback_payload(
    claim: Claim, feedback: Feedback, *, decision_id: str | None
) -> dict[str, Any]:
    redactor = Redactor.for_claim(claim)
    return {
        "claim_id": claim.claim_id,
        "decision_id": decision_id,
        "clear": feedback.clear,
        "treated_well": feedback.treated_well,
        "comment": redactor.redact(feedback.comment) if feedback.comment else "",
    }


def feedback_entries(events: tuple[StoredEvent, ...] | list[StoredEvent]) -> list[dict[str, Any]]:
    """The claim's feedback events, oldest first, as staff read them."""
    out = []
    for event in events:
        if event.event_type != FEEDBACK_EVENT:
            continue
        value = event.payload_value()
        data = value if isinstance(value, dict) else {}
        out.append(
            {
                "event_id": event.event_id,
                "recorded_at": event.recorded_at,
                "decision_id": data.get("decision_id"),
                "clear": data.get("clear"),
                "treated_well": data.get("treated_well"),
                "comment": data.get("comment"),
            }
        )
    return out
