"""Admission: whether an event may join a claim's life, and what it implies on the timeline.

``admit(state, event, ir=..., config=...)`` is the one gate. It refuses, with a typed error
(:mod:`engine.lifecycle.errors`), anything that does not fit the current state, the
ruleset's lifecycle, the bounds of overrides or the payable; otherwise it returns
``Admission(events, state)``: the event first, then what it implies, and the state after all
of them (``fold`` of the same events gives the same state). How to wire it (the API):

1. read the claim's state (the projection row, or ``fold`` of its audit events);
2. build the event: :func:`intake`, :func:`amendment` and :func:`propose_override` compute
   the fields that must agree with the claim (hashes, the override's plan); the others are
   built directly (``DocumentReceived(document=..., at=..., actor=...)``);
3. ``admit`` it; map a raised error to a problem response (each has a ``code``);
4. append every event of ``admission.events`` to the audit trail in one transaction, and
   store ``admission.state`` under the claim's row lock (a concurrent writer must re-read
   and admit again: an ETag or decision id that moved gives 412/409 there).

What is implied, each as a ``TimelineEventAdded`` by the engine, under the event types the
claim's vocabulary records (a role the ruleset does not record implies nothing):

- intake without the ``received`` event: ``received`` at the intake instant;
- a decision (rules, or an override becoming effective) that determines the claim (approve,
  partial, deny) otherwise than the timeline says: ``decided`` with ``detail.outcome``,
  ``decided_by`` (rules | person), ``decision_id`` and ``payable``, which stops the
  determination clock and starts those that follow a decision; and ``amount_agreed`` when it
  pays a new amount;
- an override that needs no second person, or its approval: ``OverrideEffective``, then as a
  decision;
- a document: ``document_received``, and ``documents_completed`` when it was the last one the
  open requests asked for, both dated when the document arrived;
- a payment: ``paid`` when it pays the payable in full, ``advance_paid`` otherwise, dated when
  it was paid;
- an appeal: ``appeal_received``.

An implied event dated before the latest one on the timeline (a payment recorded late) is
marked backdated with the reason. Implied events pass the same lifecycle check as any other:
a ruleset whose ``paid`` needs ``amount_agreed`` refuses a payment its decisions never agreed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, JsonValue

from engine.claim import Backdating, Claim, Event, Voiding
from engine.lifecycle.config import LifecycleConfig
from engine.lifecycle.decisions import DETERMINATIONS
from engine.lifecycle.errors import (
    AdmissionError,
    ApprovalError,
    ClaimPatchError,
    OverrideError,
    PaymentError,
    SelfApprovalError,
    StaleDecisionError,
    VoidError,
)
from engine.lifecycle.events import (
    AppealReceived,
    ClaimAmended,
    ClaimClosed,
    ClaimEvent,
    ClaimReceived,
    ClaimReopened,
    DocumentReceived,
    OverrideApproved,
    OverrideEffective,
    OverrideProposed,
    OverrideRejected,
    OverrideRequest,
    PaymentRecorded,
    RulesDecisionMade,
    TimelineEventAdded,
    TimelineEventVoided,
)
from engine.lifecycle.fold import evolve, person_decision, rules_decision
from engine.lifecycle.overrides import plan_override
from engine.lifecycle.patch import apply_patch, claim_hash
from engine.lifecycle.payments import check_payment
from engine.lifecycle.state import ClaimState, DecisionRecord, OverrideRecord
from engine.lifecycle.timeline import check_addition, check_intake, check_void
from engine.lifecycle.vocabulary import ENGINE_ROLES, Role, Vocabulary
from engine.ruleset.ir import RulesetIR

__all__ = ["Admission", "admit", "amendment", "intake", "propose_override"]

#: What a person does instead of adding an event of an engine-written role.
_INSTEAD: dict[Role, str] = {
    "decided": "evaluate the claim, or override its decision",
    "amount_agreed": "evaluate the claim, or override its decision",
    "document_received": "record the received document",
    "advance_paid": "record the payment",
    "paid": "record the payment",
    "appeal_received": "record the appeal",
}


class Admission(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    events: tuple[ClaimEvent, ...]
    state: ClaimState


# ---- building the events whose fields must agree with the claim ---------------------------


def intake(claim: Claim, *, ir: RulesetIR, at: dt.datetime, actor: str) -> ClaimReceived:
    return ClaimReceived(
        claim=claim,
        content_hash=claim_hash(claim),
        vocabulary=Vocabulary.of(ir),
        at=at,
        actor=actor,
    )


def amendment(state: ClaimState, patch: JsonValue, *, at: dt.datetime, actor: str) -> ClaimAmended:
    """The amendment ``patch`` makes (raises as :func:`engine.lifecycle.patch.apply_patch`)."""
    result = apply_patch(_claim(state), patch)
    assert isinstance(patch, dict)  # apply_patch refused anything else
    return ClaimAmended(patch=patch, content_hash=result.content_hash, at=at, actor=actor)


def propose_override(
    state: ClaimState,
    request: OverrideRequest,
    *,
    override_id: str,
    config: LifecycleConfig,
    at: dt.datetime,
    actor: str,
) -> OverrideProposed:
    plan = plan_override(state, request, override_id=override_id, config=config)
    return OverrideProposed(override=plan, at=at, actor=actor)


# ---- admitting ---------------------------------------------------------------------------


def admit(
    state: ClaimState,
    event: ClaimEvent,
    *,
    ir: RulesetIR,
    config: LifecycleConfig | None = None,
) -> Admission:
    """``event`` and what it implies, with the state after them (module docstring)."""
    gate = _Gate(state, ir, config or LifecycleConfig(), event)
    follow = _CHECKS[event.kind](gate, event)
    events: list[ClaimEvent] = [event]
    after = evolve(state, event)
    for item in follow:
        if isinstance(item, Event):
            item = gate.timeline_event(after, item)
        events.append(item)
        after = evolve(after, item)
    if len(after.anomalies) != len(state.anomalies):  # a defect of admission, never the user's
        raise AssertionError(f"admitted events that do not fold: {after.anomalies[-1]}")
    return Admission(events=tuple(events), state=after)


Follow = list[ClaimEvent | Event]


class _Gate:
    def __init__(
        self, state: ClaimState, ir: RulesetIR, config: LifecycleConfig, event: ClaimEvent
    ) -> None:
        self.state = state
        self.ir = ir
        self.config = config
        self.at = event.at
        self.actor = event.actor

    @property
    def vocabulary(self) -> Vocabulary:
        return self.state.vocabulary or Vocabulary.of(self.ir)

    def claim(self, *, open_only: bool = True) -> Claim:
        claim = _claim(self.state)
        if open_only and self.state.closed:
            raise AdmissionError(f"claim {claim.claim_id} is closed", suggestion="reopen it first")
        return claim

    def mark(self, role: Role, at: dt.datetime, **detail: JsonValue) -> list[Event]:
        kind = self.vocabulary.type_of(role)
        return [Event(type=kind, at=at, detail=detail)] if kind is not None else []

    def timeline_event(self, state: ClaimState, event: Event) -> TimelineEventAdded:
        """``event`` as the engine adds it: backdated when needed, checked like any other."""
        claim = _claim(state)
        current = [e.at for e in claim.events if e.void is None]
        if current and event.at < max(current):
            reason = f"{event.type} happened {event.at.isoformat()}, recorded later by the engine"
            event = event.model_copy(update={"backdated": Backdating(reason=reason)})
        check_addition(
            self.ir, claim.events, event, recorded_at=self.at, skew=self.config.clock_skew
        )
        return TimelineEventAdded(
            index=len(claim.events), event=event, by_engine=True, at=self.at, actor=self.actor
        )

    def decision_marks(self, record: DecisionRecord) -> list[Event]:
        """What a decision becoming current writes on the timeline (module docstring)."""
        current = self.state.determination
        if record.outcome not in DETERMINATIONS:
            return []
        if current is not None and (current.outcome, current.payable) == (
            record.outcome,
            record.payable,
        ):
            return []
        marks = self.mark(
            "decided",
            self.at,
            outcome=record.outcome,
            decided_by=record.source,
            decision_id=record.decision_id,
            payable=f"{record.payable:.2f}",
        )
        if record.payable > 0 and (current is None or current.payable != record.payable):
            marks += self.mark(
                "amount_agreed",
                self.at,
                amount=f"{record.payable:.2f}",
                decision_id=record.decision_id,
            )
        return marks

    def pending(self, override_id: str) -> OverrideRecord:
        record = self.state.pending_override
        if record is None or record.plan.override_id != override_id:
            raise ApprovalError(
                f"override {override_id!r} is not waiting for approval",
                suggestion="read the claim's overrides again",
            )
        if record.proposed_by == self.actor:
            raise SelfApprovalError(override_id=override_id, actor=self.actor)
        return record

    def effective(self, record: OverrideRecord, *, approved_by: str | None) -> Follow:
        decision = person_decision(record, approved_by=approved_by, at=self.at)
        effective = OverrideEffective(
            override_id=record.plan.override_id, at=self.at, actor=self.actor
        )
        return [effective, *self.decision_marks(decision)]


def _claim(state: ClaimState) -> Claim:
    if state.claim is None:
        raise AdmissionError("there is no claim yet", suggestion="take the claim in first")
    return state.claim


# ---- one check per kind of event ---------------------------------------------------------


def _intake(gate: _Gate, event: ClaimReceived) -> Follow:
    if gate.state.claim is not None:
        raise AdmissionError(
            f"claim {gate.state.claim.claim_id} was already received",
            suggestion="amend it, or add to its timeline",
        )
    if event.content_hash != claim_hash(event.claim) or event.vocabulary != Vocabulary.of(gate.ir):
        raise AdmissionError(
            "the intake's content hash or vocabulary is not the claim's and ruleset's",
            suggestion="build it with engine.lifecycle.admission.intake",
        )
    events = event.claim.events
    check_intake(gate.ir, events, recorded_at=event.at, skew=gate.config.clock_skew)
    received = event.vocabulary.received
    if received is None or any(e.type == received and e.void is None for e in events):
        return []
    return [Event(type=received, at=event.at)]


def _amended(gate: _Gate, event: ClaimAmended) -> Follow:
    result = apply_patch(gate.claim(), event.patch)
    if not result.changed:
        raise ClaimPatchError("", "the patch changes nothing", suggestion="send what changes")
    if result.content_hash != event.content_hash:
        raise AdmissionError(
            "the amendment's content hash is not what its patch gives",
            suggestion="build it with engine.lifecycle.admission.amendment",
        )
    return []


def _document(gate: _Gate, event: DocumentReceived) -> Follow:
    gate.claim()
    document = event.document
    if document.received_at > event.at + gate.config.clock_skew:
        raise AdmissionError(
            f"received_at {document.received_at.isoformat()} is after it is recorded",
            suggestion="record a document once it has arrived",
        )
    detail: dict[str, JsonValue] = {"document": document.type}
    if document.reference is not None:
        detail["reference"] = document.reference
    marks = gate.mark("document_received", document.received_at, **detail)
    after = evolve(gate.state, event)
    if gate.state.outstanding_documents and not after.outstanding_documents:
        marks += gate.mark("documents_completed", document.received_at)
    return list(marks)


def _added(gate: _Gate, event: TimelineEventAdded) -> Follow:
    claim = gate.claim()
    if event.by_engine:
        raise AdmissionError(
            "the engine adds its own timeline events", suggestion="add the event as a person"
        )
    if event.index != len(claim.events):
        raise AdmissionError(
            f"the event would be events[{event.index}], but the timeline has "
            f"{len(claim.events)} events",
            suggestion="read the claim again",
        )
    role = gate.vocabulary.role_of(event.event.type)
    if role in ENGINE_ROLES:
        raise AdmissionError(
            f"'{event.event.type}' is recorded by the engine", suggestion=_INSTEAD[role]
        )
    check_addition(
        gate.ir, claim.events, event.event, recorded_at=event.at, skew=gate.config.clock_skew
    )
    return []


def _voided(gate: _Gate, event: TimelineEventVoided) -> Follow:
    claim = gate.claim()
    if event.index in gate.state.engine_events:
        raise VoidError(
            event.index,
            f"'{claim.events[event.index].type}' was recorded by the engine",
            suggestion="correct what it records (a decision, a payment, a document) instead",
        )
    voiding = Voiding(reason=event.reason, by=event.actor, at=event.at)
    check_void(gate.ir, claim.events, event.index, voiding)
    return []


def _ruled(gate: _Gate, event: RulesDecisionMade) -> Follow:
    gate.claim()
    if event.claim_hash != gate.state.content_hash:
        raise AdmissionError(
            "the decision was made on another version of the claim",
            suggestion="evaluate the current claim again",
        )
    decision = event.decision
    if decision.payable < gate.state.paid:
        raise PaymentError(
            f"{gate.state.paid:.2f} is already paid and the rules now pay {decision.payable:.2f}",
            amount=decision.payable,
            payable=gate.state.payable,
            paid=gate.state.paid,
            suggestion="a person decides (override) what happens to the difference",
        )
    return list(gate.decision_marks(rules_decision(decision, at=event.at)))


def _proposed(gate: _Gate, event: OverrideProposed) -> Follow:
    gate.claim()
    waiting = gate.state.pending_override
    if waiting is not None:
        raise AdmissionError(
            f"override {waiting.plan.override_id!r} waits for approval",
            suggestion="approve or reject it first",
        )
    plan = event.override
    again = plan_override(
        gate.state, plan.request, override_id=plan.override_id, config=gate.config
    )
    if again != plan:
        raise AdmissionError(
            "the override's plan is not what its request gives",
            suggestion="build it with engine.lifecycle.admission.propose_override",
        )
    if plan.needs_approval:
        return []
    record = OverrideRecord(
        plan=plan, proposed_by=event.actor, proposed_at=event.at, status="pending"
    )
    return gate.effective(record, approved_by=None)


def _approved(gate: _Gate, event: OverrideApproved) -> Follow:
    gate.claim()
    record = gate.pending(event.override_id)
    current = gate.state.decision
    if current is None or current.decision_id != record.plan.request.overrides:
        raise StaleDecisionError(
            named=record.plan.request.overrides,
            current=current.decision_id if current else None,
        )
    if record.plan.payable < gate.state.paid:
        raise OverrideError(
            f"{gate.state.paid:.2f} was paid since the override was proposed; it pays "
            f"{record.plan.payable:.2f}",
            suggestion="reject it and propose another",
        )
    return gate.effective(record, approved_by=event.actor)


def _rejected(gate: _Gate, event: OverrideRejected) -> Follow:
    gate.claim()
    gate.pending(event.override_id)
    return []


def _effective(gate: _Gate, event: OverrideEffective) -> Follow:
    raise AdmissionError(
        "an override becomes effective when it is proposed without needing approval, or approved",
        suggestion="approve the override",
    )


def _paid(gate: _Gate, event: PaymentRecorded) -> Follow:
    gate.claim()
    payment = event.payment
    in_full = check_payment(gate.state, payment, recorded_at=event.at, skew=gate.config.clock_skew)
    detail: dict[str, JsonValue] = {
        "amount": f"{payment.amount:.2f}",
        "paid": f"{gate.state.paid + payment.amount:.2f}",
        "reference": payment.reference,
        "payment_id": payment.payment_id,
    }
    return list(gate.mark("paid" if in_full else "advance_paid", payment.paid_at, **detail))


def _appealed(gate: _Gate, event: AppealReceived) -> Follow:
    gate.claim(open_only=False)
    decision = gate.state.decision
    if decision is None or decision.outcome not in DETERMINATIONS or gate.state.reopened:
        raise AdmissionError(
            "there is no determination to appeal", suggestion="an appeal follows a decision"
        )
    if gate.state.appealed:
        raise AdmissionError("an appeal is already open", suggestion="decide the claim again first")
    return list(gate.mark("appeal_received", event.at, reason=event.reason))


def _reopened(gate: _Gate, event: ClaimReopened) -> Follow:
    gate.claim(open_only=False)
    state = gate.state
    if not state.closed and (state.decision is None or state.reopened):
        raise AdmissionError(
            "the claim is open and waits for a decision", suggestion="decide it instead"
        )
    return []


def _closed(gate: _Gate, event: ClaimClosed) -> Follow:
    gate.claim()
    waiting = gate.state.pending_override
    if waiting is not None:
        raise AdmissionError(
            f"override {waiting.plan.override_id!r} waits for approval",
            suggestion="approve or reject it first",
        )
    return []


_CHECKS: dict[str, Callable[[_Gate, Any], Follow]] = {
    "claim_received": _intake,
    "claim_amended": _amended,
    "document_received": _document,
    "timeline_event_added": _added,
    "timeline_event_voided": _voided,
    "rules_decision_made": _ruled,
    "override_proposed": _proposed,
    "override_approved": _approved,
    "override_rejected": _rejected,
    "override_effective": _effective,
    "payment_recorded": _paid,
    "appeal_received": _appealed,
    "claim_reopened": _reopened,
    "claim_closed": _closed,
}
