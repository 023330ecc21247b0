"""Request and response models of the claim's life endpoints, with OpenAPI examples.

Amounts are decimal strings with two places, as everywhere in the service; instants are
ISO 8601 with a UTC offset. The state answered is the projection (:mod:`api.claim_states`),
never recomputed for the answer.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.claim import DocumentType, IsoDateTime, NonEmptyStr
from engine.lifecycle import ClaimState, Status
from engine.lifecycle.events import LinePayable, Payment
from engine.lifecycle.state import DecisionRecord, HistoryEntry, OverrideRecord
from engine.money import Money
from engine.outcome import Outcome

__all__ = [
    "AppealIn",
    "DocumentIn",
    "LifeAnswer",
    "OverrideIn",
    "PaymentIn",
    "ReasonIn",
    "StateView",
]

_IN = ConfigDict(extra="forbid")
Reason = Annotated[str, Field(min_length=3, max_length=4000, description="why, for the file")]


class DocumentIn(BaseModel):
    """A document that arrived."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "type": "discharge_summary",
                    "received_at": "2025-06-28T10:00:00+08:00",
                    "reference": "DOC-2025-0042",
                }
            ]
        },
    )

    type: DocumentType
    received_at: IsoDateTime
    reference: NonEmptyStr | None = Field(default=None, max_length=200)


class ReasonIn(BaseModel):
    """Why (a void, a rejection)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "entered on the wrong claim"}]},
    )

    reason: Reason


class AppealIn(BaseModel):
    """The member's appeal (or complaint) about the current decision."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "the discharge summary shows 5 days"}]},
    )

    reason: Reason
    at: IsoDateTime | None = Field(default=None, description="when it was received; now if absent")


class OverrideIn(BaseModel):
    """A person's decision on the decision named by ``If-Match``: per-line payables
    (a line not listed pays 0.00), or a total spread over the lines pro rata to what each
    may pay at most, in whole fen (the remaining fen to the largest remainders)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "outcome": "approve",
                    "lines": [{"line_id": 1, "payable": "3200.00"}],
                    "reason": "discharge summary seen on paper at the branch",
                },
                {"outcome": "approve", "total": "3600.00", "reason": "agreed with the member"},
            ]
        },
    )

    outcome: Outcome
    lines: list[LinePayable] | None = None
    total: Money | None = None
    reason: Annotated[str, Field(min_length=10, max_length=4000, description="why, for the file")]


class PaymentIn(BaseModel):
    """Money paid to the member: an advance (in part) or the final payment (what is left)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "amount": "3648.40",
                    "paid_at": "2025-07-03T15:00:00+08:00",
                    "reference": "BANK-TX-88231",
                    "kind": "final",
                }
            ]
        },
    )

    amount: Money
    paid_at: IsoDateTime
    reference: Annotated[str, Field(min_length=1, max_length=200)]
    kind: Literal["advance", "final"]


class StateView(BaseModel):
    """The claim's state as every view reads it (the projection)."""

    version: int
    etag: str
    status: Status
    decision: DecisionRecord | None
    decisions: list[DecisionRecord]
    overrides: list[OverrideRecord]
    outstanding_documents: list[str]
    payments: list[Payment]
    payable: Money
    paid: Money
    history: list[HistoryEntry]

    @classmethod
    def of(cls, state: ClaimState, etag: str) -> StateView:
        return cls(
            version=state.version,
            etag=etag,
            status=state.status,
            decision=state.decision,
            decisions=list(state.decisions),
            overrides=list(state.overrides),
            outstanding_documents=list(state.outstanding_documents),
            payments=list(state.payments),
            payable=state.payable,
            paid=state.paid,
            history=list(state.history),
        )


class LifeAnswer(BaseModel):
    """What a change to a claim answers: the audit ids of the events it recorded and the
    state after it."""

    claim_id: str
    recorded: list[str] = Field(description="audit event ids of what was recorded, in order")
    kinds: list[str] = Field(description="the kinds of those events")
    override_id: str | None = None
    state: StateView
