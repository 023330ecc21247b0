"""``GET /me/claims/{id}/explanation``: the member's explanation, in one language."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import ANSWER
from engine.decision.values import Amount
from engine.lifecycle import Status
from engine.outcome import Outcome

__all__ = ["ExplainedClock", "ExplainedLine", "MemberExplanation", "Missing", "Right"]


class Right(BaseModel):
    """A right or remedy of the member that holds for this claim."""

    model_config = ANSWER

    id: str
    legal_basis: list[str]
    text: str


class ExplainedLine(BaseModel):
    model_config = ANSWER

    line_id: int
    submitted: Amount
    eligible: Amount
    deductible: Amount
    copay: Amount
    payable: Amount
    outcome: Outcome
    explanations: list[str] = Field(description="why, for this line")


class ExplainedClock(BaseModel):
    model_config = ANSWER

    id: str
    status: str
    started_at: str | None
    due_at: str | None
    due_date: str | None
    stopped_at: str | None
    explanation: str


class Missing(BaseModel):
    """A document still awaited, or why the decision is on hold (one of the two)."""

    model_config = ANSWER

    document: str | None = None
    reason_code: str | None = None
    why: str | None = None


class ExplainedAmounts(BaseModel):
    model_config = ANSWER

    submitted: Amount
    eligible: Amount
    deductible: Amount
    copay: Amount
    payable: Amount


class RulesetIdentity(BaseModel):
    model_config = ANSWER

    id: str
    version: str
    content_hash: str
    revision: str


class ExplainedPayment(BaseModel):
    model_config = ANSWER

    amount: Amount
    paid_at: str
    kind: Literal["advance", "final"]


class PastDecision(BaseModel):
    """One decision that was the claim's: who decided (rules or a person, never which person),
    what and when."""

    model_config = ANSWER

    decision_id: str
    decided_by: Literal["rules", "person"]
    outcome: Outcome
    payable: Amount
    at: str


class MemberExplanation(BaseModel):
    """The claim's state in plain words (``status``, ``status_text``, payments and every
    decision so far); before a decision the summary and the rights that hold for any claim;
    once decided, the current decision in plain words."""

    model_config = ANSWER

    claim_id: str
    language: Literal["zh", "en"]
    hotline: str = Field(description="the regulator's consumer hotline")
    status: Status
    status_text: str = Field(description="where the claim is and what happens next")
    as_of: str = Field(description="the instant the clocks are read at")
    payments: list[ExplainedPayment] = Field(default_factory=list)
    paid: Amount
    decisions: list[PastDecision] = Field(default_factory=list)
    decision_id: str | None = None
    summary: str
    rights: list[Right]
    outcome: Outcome | None = None
    decided_by: Literal["rules", "person"] | None = None
    decided_at: str | None = None
    currency: str | None = None
    amounts: ExplainedAmounts | None = None
    lines: list[ExplainedLine] | None = None
    reasons: list[str] | None = None
    sla: list[ExplainedClock] | None = None
    missing: list[Missing] | None = None
    ruleset: RulesetIdentity | None = None
