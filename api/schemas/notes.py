"""Review notes: the assistant's guarded draft with what its audit event records."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import ANSWER
from llm_assist.note import ReviewNote

__all__ = ["ReviewNoteEntry", "ReviewNotes"]


class ReviewNoteEntry(BaseModel):
    """One audited review note (members null only in events written before they existed)."""

    model_config = ANSWER

    event_id: str
    seq: int = Field(ge=1)
    recorded_at: str
    actor: str
    decision_event: str | None = Field(description="the audit event of the decision reviewed")
    language: str | None
    provider: str | None
    model: str | None
    verdict: str | None = Field(description="accepted, or fallback (the template drafted)")
    attempts: int | None
    reasons: list[str] | None = Field(description="why a draft was refused, if one was")
    prompt_template_version: str | None
    prompt_template_hash: str | None
    prompt_hash: str | None
    output_hash: str | None
    note: ReviewNote | None


class ReviewNotes(BaseModel):
    """``GET /claims/{id}/review-notes``: oldest first."""

    model_config = ANSWER

    claim_id: str
    review_notes: list[ReviewNoteEntry]
