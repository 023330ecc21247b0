"""Answers about claims: the stored claim, a timeline event added, a member's claims."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.claim_states.schemas import StateView
from api.schemas.common import ANSWER
from engine.claim import Claim
from engine.lifecycle import Status

__all__ = ["EventAdded", "MemberClaim", "MemberClaims", "StoredClaim"]


class StoredClaim(Claim):
    """The stored claim, personal data masked for the caller's role (the claim's own schema),
    with its ``version`` and ``state`` once its life is recorded (intake answers the claim
    alone)."""

    version: int | None = Field(default=None, ge=1, description="the claim's version")
    state: StateView | None = Field(
        default=None, description="the claim's state (the projection every view reads)"
    )


class EventAdded(BaseModel):
    """``POST /claims/{id}/events``: where the event went on the timeline."""

    model_config = ANSWER

    claim_id: str
    index: int = Field(ge=0, description="the new event's index in the claim's events")
    events: int = Field(ge=1, description="how many events the timeline now holds")
    status: Status = Field(description="the claim's status after the event")


class MemberClaim(BaseModel):
    """One of a member's claims."""

    model_config = ANSWER

    claim_id: str
    created_at: str = Field(description="when the claim was taken in (ISO 8601)")
    claim: Claim = Field(description="the claim, personal data masked for the member")


class MemberClaims(BaseModel):
    """``GET /me/claims``."""

    model_config = ANSWER

    member_id: str
    claims: list[MemberClaim]
