"""The claim's state: what every view of a claim reads (staff, member page, notes, metrics).

A frozen pydantic model, folded from the claim's domain events (:mod:`engine.lifecycle.fold`)
and nothing else; it serialises to JSON and parses back equal, so the API can keep it as a
projection row and rebuild it from the audit trail at any time. What needs a ruleset and an
instant (the SLA clocks) is not in it: the API computes clocks on ``state.claim``.

Status, first match wins:

``closed``               closed, and not reopened or appealed since
``awaiting_approval``    an override waits for a second person
``appealed``             an appeal was received after the current determination
``paid``                 determined with a payable above 0.00, and paid in full
``awaiting_payment``     determined with a payable above 0.00, not yet paid in full
``decided``              determined (approve, partial, deny) with nothing to pay
``awaiting_documents``   requested documents are outstanding
``received``             anything else: not decided yet, held (pend, refer), or reopened
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from engine.claim import Claim
from engine.lifecycle.decisions import DETERMINATIONS, DecisionSummary, Outcome, RulesetRef
from engine.lifecycle.events import OverridePlan, Payment
from engine.lifecycle.vocabulary import Vocabulary
from engine.money import Money

__all__ = [
    "ClaimState",
    "DecisionLine",
    "DecisionRecord",
    "Determination",
    "HistoryEntry",
    "OverrideRecord",
    "Status",
    "status_of",
]

Status = Literal[
    "received",
    "awaiting_documents",
    "decided",
    "awaiting_approval",
    "awaiting_payment",
    "paid",
    "closed",
    "appealed",
]

_FROZEN = ConfigDict(extra="forbid", frozen=True)
ZERO = Decimal("0.00")


class DecisionLine(BaseModel):
    model_config = _FROZEN

    line_id: int
    payable: Money
    outcome: Outcome


class DecisionRecord(BaseModel):
    """A decision that was the claim's current one at some point (rules or a person)."""

    model_config = _FROZEN

    decision_id: str  # the rules decision's audit event id, or the override's id
    source: Literal["rules", "person"]
    outcome: Outcome
    payable: Money
    lines: tuple[DecisionLine, ...]
    made_by: str  # "rules", or the person who proposed the override
    approved_by: str | None = None  # the second person, when one was needed
    at: AwareDatetime  # when it became the current decision
    as_of: AwareDatetime | None = None  # rules: the instant the rules decided at
    ruleset: RulesetRef | None = None
    overrides: str | None = None  # person: the decision it replaced
    reason: str | None = None  # person: why


class Determination(BaseModel):
    """The determination the timeline carries (its ``decided`` event); a later decision
    that determines otherwise, or any after an appeal or a reopening, is written anew."""

    model_config = _FROZEN

    decision_id: str
    outcome: Outcome
    payable: Money


class OverrideRecord(BaseModel):
    model_config = _FROZEN

    plan: OverridePlan
    proposed_by: str
    proposed_at: AwareDatetime
    status: Literal["pending", "effective", "rejected", "superseded"]
    decided_by: str | None = None  # who approved or rejected it
    decided_at: AwareDatetime | None = None
    rejection: str | None = None


class HistoryEntry(BaseModel):
    """One folded event, for people: what happened, when, who, and the audit event id."""

    model_config = _FROZEN

    kind: str
    at: AwareDatetime
    actor: str
    summary: str
    ref: str | None = None


class ClaimState(BaseModel):
    model_config = _FROZEN

    claim: Claim | None = None  # the current version, with its timeline and documents
    vocabulary: Vocabulary | None = None
    version: int = 0  # 1 at intake, +1 per amendment
    content_hash: str | None = None  # of ``claim``: changes with every change to it
    status: Status = "received"
    decision: DecisionRecord | None = None  # the current decision
    decisions: tuple[DecisionRecord, ...] = ()  # every current decision there was, oldest first
    rules_decision: DecisionSummary | None = None  # the latest by the rules
    determination: Determination | None = None
    overrides: tuple[OverrideRecord, ...] = ()
    outstanding_documents: tuple[str, ...] = ()
    payments: tuple[Payment, ...] = ()
    paid: Money = ZERO
    payable: Money = ZERO  # of the current decision
    engine_events: tuple[int, ...] = ()  # timeline positions the engine wrote
    appealed: bool = False
    reopened: bool = False
    closed: bool = False
    history: tuple[HistoryEntry, ...] = ()
    anomalies: tuple[str, ...] = ()  # events that could not apply (a log not written by admit)

    @property
    def claim_id(self) -> str | None:
        return self.claim.claim_id if self.claim is not None else None

    @property
    def pending_override(self) -> OverrideRecord | None:
        return next((o for o in self.overrides if o.status == "pending"), None)

    @property
    def outstanding_payment(self) -> Decimal:
        return self.payable - self.paid


def status_of(state: ClaimState) -> Status:
    """The status the state's facts give (module docstring)."""
    if state.closed:
        return "closed"
    if state.pending_override is not None:
        return "awaiting_approval"
    if state.appealed:
        return "appealed"
    decision = state.decision
    if decision is not None and decision.outcome in DETERMINATIONS and not state.reopened:
        if decision.payable > 0:
            return "paid" if state.paid >= decision.payable else "awaiting_payment"
        return "decided"
    if state.outstanding_documents:
        return "awaiting_documents"
    return "received"
