"""``GET /sla/breaches``: breached and due-soon clocks, most urgent first."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import ANSWER
from engine.decision import ClaimClock

__all__ = ["SkippedClaim", "SlaBreaches"]


class SkippedClaim(BaseModel):
    """A claim whose clocks could not be computed, and why."""

    model_config = ANSWER

    claim_id: str
    reason: str


class SlaBreaches(BaseModel):
    model_config = ANSWER

    as_of: str = Field(description="the instant the clocks stand at (ISO 8601 with offset)")
    page: int = Field(ge=1)
    size: int = Field(ge=1)
    total: int = Field(ge=0, description="urgent clocks over all pages")
    items: list[ClaimClock]
    skipped: list[SkippedClaim]
