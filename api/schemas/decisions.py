"""Answers about decisions: an evaluation and the decision history of a claim."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from api.schemas.common import ANSWER
from engine.decision import Amounts, Decision, RulesetRef
from engine.lifecycle import Status
from engine.lifecycle.events import LinePayable
from engine.outcome import Outcome

__all__ = ["DecisionHistory", "Evaluated", "PersonDecision", "RulesDecision"]


class Evaluated(BaseModel):
    """``POST /claims/{id}/evaluate``: the decision, answered once its audit event committed."""

    model_config = ANSWER

    event_id: str = Field(description="the audit event holding the decision")
    seq: int = Field(ge=1, description="its position in the audit trail")
    recorded_at: str
    decision: Decision
    status: Status = Field(description="the claim's status after the decision")


class _Entry(BaseModel):
    model_config = ANSWER

    event_id: str
    seq: int = Field(ge=1)
    event_type: str
    recorded_at: str
    actor: str = Field(description="who: role:sub")


class RulesDecision(_Entry):
    """A decision of the rules, as audited."""

    source: Literal["rules"]
    outcome: Outcome
    amounts: Amounts
    as_of: str
    ruleset: RulesetRef
    decision: Decision


class PersonDecision(_Entry):
    """A person's override of the claim's current decision (through the claim's life, with
    its id, lines and whether a second person must approve it; or recorded before it)."""

    source: Literal["human"]
    outcome: Outcome | None
    payable: str | None = Field(description="the amount to pay, if the person set one")
    reason: str | None
    overrides: str | None = Field(description="the decision overridden")
    override_id: str | None = None
    lines: list[LinePayable] | None = Field(default=None, description="payable per line")
    needs_approval: bool | None = Field(
        default=None, description="whether a second person must approve it"
    )
    status: Status | None = Field(
        default=None, description="the claim's status after it (answer of the override)"
    )


class DecisionHistory(BaseModel):
    """``GET /claims/{id}/decisions``: oldest first."""

    model_config = ANSWER

    claim_id: str
    decisions: list[Annotated[RulesDecision | PersonDecision, Field(discriminator="source")]]
