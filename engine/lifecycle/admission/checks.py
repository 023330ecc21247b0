"""One check per kind of event: refuse it, or say what it implies (a ``Follow``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import JsonValue

from engine.claim import Event, Voiding
from engine.lifecycle.admission.gate import Follow, Gate
from engine.lifecycle.decisions import DETERMINATIONS
from engine.lifecycle.errors import (
    AdmissionError,
    ClaimPatchError,
    OverrideError,
    PaymentError,
    StaleDecisionError,
    VoidError,
)
from engine.lifecycle.events import (
    AppealReceived,
    ClaimAmended,
    ClaimClosed,
    ClaimReceived,
    ClaimReopened,
    DocumentReceived,
    OverrideApproved,
    OverrideEffective,
    OverrideProposed,
    OverrideRejected,
    PaymentRecorded,
    RulesDecisionMade,
    TimelineEventAdded,
    TimelineEventVoided,
)
from engine.lifecycle.fold import evolve, rules_decision
from engine.lifecycle.overrides import plan_override
from engine.lifecycle.patch import apply_patch, claim_hash
from engine.lifecycle.payments import check_payment
from engine.lifecycle.state import OverrideRecord
from engine.lifecycle.timeline import check_addition, check_intake, check_void
from engine.lifecycle.vocabulary import ENGINE_ROLES, Role, Vocabulary

__all__ = ["CHECKS"]

#: What a person does instead of adding an event of an engine-written role.
_INSTEAD: dict[Role, str] = {
    "decided": "evaluate the claim, or override its decision",
    "amount_agreed": "evaluate the claim, or override its decision",
    "document_received": "record the received document",
    "advance_paid": "record the payment",
    "paid": "record the payment",
    "appeal_received": "record the appeal",
}


def _intake(gate: Gate, event: ClaimReceived) -> Follow:
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


def _amended(gate: Gate, event: ClaimAmended) -> Follow:
    result = apply_patch(gate.claim(), event.patch)
    if not result.changed:
        raise ClaimPatchError("", "the patch changes nothing", suggestion="send what changes")
    if result.content_hash != event.content_hash:
        raise AdmissionError(
            "the amendment's content hash is not what its patch gives",
            suggestion="build it with engine.lifecycle.admission.amendment",
        )
    return []


def _document(gate: Gate, event: DocumentReceived) -> Follow:
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


def _added(gate: Gate, event: TimelineEventAdded) -> Follow:
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


def _voided(gate: Gate, event: TimelineEventVoided) -> Follow:
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


def _ruled(gate: Gate, event: RulesDecisionMade) -> Follow:
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


def _proposed(gate: Gate, event: OverrideProposed) -> Follow:
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


def _approved(gate: Gate, event: OverrideApproved) -> Follow:
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


def _rejected(gate: Gate, event: OverrideRejected) -> Follow:
    gate.claim()
    gate.pending(event.override_id)
    return []


def _effective(gate: Gate, event: OverrideEffective) -> Follow:
    raise AdmissionError(
        "an override becomes effective when it is proposed without needing approval, or approved",
        suggestion="approve the override",
    )


def _paid(gate: Gate, event: PaymentRecorded) -> Follow:
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


def _appealed(gate: Gate, event: AppealReceived) -> Follow:
    gate.claim(open_only=False)
    decision = gate.state.decision
    if decision is None or decision.outcome not in DETERMINATIONS or gate.state.reopened:
        raise AdmissionError(
            "there is no determination to appeal", suggestion="an appeal follows a decision"
        )
    if gate.state.appealed:
        raise AdmissionError("an appeal is already open", suggestion="decide the claim again first")
    return list(gate.mark("appeal_received", event.at, reason=event.reason))


def _reopened(gate: Gate, event: ClaimReopened) -> Follow:
    gate.claim(open_only=False)
    state = gate.state
    if not state.closed and (state.decision is None or state.reopened):
        raise AdmissionError(
            "the claim is open and waits for a decision", suggestion="decide it instead"
        )
    return []


def _closed(gate: Gate, event: ClaimClosed) -> Follow:
    gate.claim()
    waiting = gate.state.pending_override
    if waiting is not None:
        raise AdmissionError(
            f"override {waiting.plan.override_id!r} waits for approval",
            suggestion="approve or reject it first",
        )
    return []


CHECKS: dict[str, Callable[[Gate, Any], Follow]] = {
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
