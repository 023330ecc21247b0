"""The domain events of a claim's life: a discriminated union of frozen pydantic models.

Each is one audited fact (``kind`` names it): who (``actor``), when (``at``: when it happened,
the audit event's ``occurred_at``), and what. ``ref`` is the audit event's id when an event is
read back from the trail; nothing depends on it but the history shown to people. The API
stores ``event.model_dump(mode="json", exclude={"at", "actor", "ref"})`` (or the whole dump)
as an audit payload and reads it back with :func:`parse_event`.

Wiring: build an event, pass it to :func:`engine.lifecycle.admission.admit` with the claim's
current state; append every event of the returned ``Admission.events`` to the audit trail in
one transaction (the first is the one given; the others are what it implies on the timeline);
store ``Admission.state`` as the projection. ``engine.lifecycle.fold.fold`` of the events read
back gives the same state.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    TypeAdapter,
    model_validator,
)

from engine.claim import Claim, Document, Event, NonEmptyStr
from engine.lifecycle.decisions import DecisionSummary, Outcome
from engine.lifecycle.vocabulary import Vocabulary
from engine.money import Money

__all__ = [
    "AppealReceived",
    "ClaimAmended",
    "ClaimClosed",
    "ClaimEvent",
    "ClaimReceived",
    "ClaimReopened",
    "DocumentReceived",
    "LinePayable",
    "OverrideApproved",
    "OverrideEffective",
    "OverridePlan",
    "OverrideProposed",
    "OverrideRejected",
    "OverrideRequest",
    "Payment",
    "PaymentRecorded",
    "RulesDecisionMade",
    "TimelineEventAdded",
    "TimelineEventVoided",
    "parse_event",
]

_FROZEN = ConfigDict(extra="forbid", frozen=True)


class _Base(BaseModel):
    model_config = _FROZEN

    at: AwareDatetime
    actor: NonEmptyStr
    ref: str | None = None


# ---- payload parts ------------------------------------------------------------------------


class LinePayable(BaseModel):
    model_config = _FROZEN

    line_id: Annotated[int, Field(ge=1)]
    payable: Money


class OverrideRequest(BaseModel):
    """What a person asks: an outcome and either per-line payables or a total to spread
    (:func:`engine.lifecycle.overrides.spread`); a line not listed pays 0.00."""

    model_config = _FROZEN

    overrides: NonEmptyStr  # the decision id it replaces (the API's If-Match)
    outcome: Outcome
    lines: tuple[LinePayable, ...] | None = None
    total: Money | None = None
    reason: NonEmptyStr

    @model_validator(mode="after")
    def _one_way_of_saying_amounts(self) -> OverrideRequest:
        if self.lines is not None and self.total is not None:
            raise ValueError("give per-line amounts (lines) or a total, not both")
        if self.lines is not None:
            ids = [line.line_id for line in self.lines]
            if len(set(ids)) != len(ids):
                raise ValueError("each line may be given once")
        return self


class OverridePlan(BaseModel):
    """An override resolved against the claim: every line's payable and whether it needs a
    second person (:func:`engine.lifecycle.overrides.plan_override`)."""

    model_config = _FROZEN

    override_id: NonEmptyStr
    request: OverrideRequest
    lines: tuple[LinePayable, ...]
    payable: Money
    needs_approval: bool
    approval_reasons: tuple[str, ...] = ()


class Payment(BaseModel):
    model_config = _FROZEN

    payment_id: NonEmptyStr
    amount: Money
    paid_at: AwareDatetime
    reference: NonEmptyStr
    kind: Literal["advance", "final"]


# ---- the events ---------------------------------------------------------------------------


class ClaimReceived(_Base):
    """Intake: the claim as received, its content hash, and its ruleset's vocabulary."""

    kind: Literal["claim_received"] = "claim_received"
    claim: Claim
    content_hash: str
    vocabulary: Vocabulary


class ClaimAmended(_Base):
    """A new version of the claim: the merge patch and the content hash it leads to."""

    kind: Literal["claim_amended"] = "claim_amended"
    patch: dict[str, JsonValue]
    content_hash: str


class DocumentReceived(_Base):
    kind: Literal["document_received"] = "document_received"
    document: Document


class TimelineEventAdded(_Base):
    """An event put on the claim's timeline at position ``index``; ``by_engine`` when the
    engine implied it (a decision, a payment, a document, an appeal)."""

    kind: Literal["timeline_event_added"] = "timeline_event_added"
    index: Annotated[int, Field(ge=0)]
    event: Event
    by_engine: bool = False


class TimelineEventVoided(_Base):
    kind: Literal["timeline_event_voided"] = "timeline_event_voided"
    index: Annotated[int, Field(ge=0)]
    reason: NonEmptyStr


class RulesDecisionMade(_Base):
    """A rules decision, made on the claim whose content hash is ``claim_hash``."""

    kind: Literal["rules_decision_made"] = "rules_decision_made"
    decision: DecisionSummary
    claim_hash: str


class OverrideProposed(_Base):
    kind: Literal["override_proposed"] = "override_proposed"
    override: OverridePlan


class OverrideApproved(_Base):
    kind: Literal["override_approved"] = "override_approved"
    override_id: NonEmptyStr


class OverrideRejected(_Base):
    kind: Literal["override_rejected"] = "override_rejected"
    override_id: NonEmptyStr
    reason: NonEmptyStr


class OverrideEffective(_Base):
    """The override is the claim's decision from now: a decision by a person."""

    kind: Literal["override_effective"] = "override_effective"
    override_id: NonEmptyStr


class PaymentRecorded(_Base):
    kind: Literal["payment_recorded"] = "payment_recorded"
    payment: Payment


class AppealReceived(_Base):
    kind: Literal["appeal_received"] = "appeal_received"
    reason: NonEmptyStr


class ClaimReopened(_Base):
    kind: Literal["claim_reopened"] = "claim_reopened"
    reason: NonEmptyStr


class ClaimClosed(_Base):
    kind: Literal["claim_closed"] = "claim_closed"
    reason: NonEmptyStr


ClaimEvent = Annotated[
    ClaimReceived
    | ClaimAmended
    | DocumentReceived
    | TimelineEventAdded
    | TimelineEventVoided
    | RulesDecisionMade
    | OverrideProposed
    | OverrideApproved
    | OverrideRejected
    | OverrideEffective
    | PaymentRecorded
    | AppealReceived
    | ClaimReopened
    | ClaimClosed,
    Field(discriminator="kind"),
]

_EVENT: TypeAdapter[ClaimEvent] = TypeAdapter(ClaimEvent)


def parse_event(data: JsonValue) -> ClaimEvent:
    """An event from its JSON form (``model_dump(mode="json")``)."""
    return _EVENT.validate_python(data)
