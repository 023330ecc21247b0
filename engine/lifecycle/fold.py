"""The claim's state as a pure fold over its domain events.

``fold(events)`` is deterministic and total: every sequence of events gives a state, and
``fold(a + b) == fold_from(fold(a), b)``. An event that cannot apply (an amendment before any
intake, a payment naming nothing) changes nothing but the state's ``anomalies`` and history:
:func:`engine.lifecycle.admission.admit` never writes such a log, so an anomaly in a state
rebuilt from the audit trail means the trail holds events admission did not pass.

How the fold and the timeline relate: the fold never invents timeline events. Whatever a
decision, a document, a payment or an appeal means for the clocks was written, when it was
admitted, as ``TimelineEventAdded`` events (``by_engine``) right after it; the fold appends
those to ``state.claim.events`` like any other. So the claim the API evaluates and computes
clocks on is ``state.claim``, and what the clocks saw is in the audit trail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from engine.claim import Claim, Voiding
from engine.errors import ClaimValidationError
from engine.lifecycle.decisions import DETERMINATIONS, PAYING, DecisionSummary, Outcome
from engine.lifecycle.errors import LifecycleError
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
    OverridePlan,
    OverrideProposed,
    OverrideRejected,
    PaymentRecorded,
    RulesDecisionMade,
    TimelineEventAdded,
    TimelineEventVoided,
)
from engine.lifecycle.patch import apply_patch, claim_hash
from engine.lifecycle.state import (
    ClaimState,
    DecisionLine,
    DecisionRecord,
    Determination,
    HistoryEntry,
    OverrideRecord,
    status_of,
)
from engine.lifecycle.timeline import current_order
from engine.lifecycle.vocabulary import Vocabulary

__all__ = ["evolve", "fold", "fold_from", "outstanding_documents", "person_decision"]

Update = dict[str, Any]


class _Skip(Exception):
    """The event cannot apply: recorded as an anomaly."""


def fold(events: Iterable[ClaimEvent]) -> ClaimState:
    return fold_from(ClaimState(), events)


def fold_from(state: ClaimState, events: Iterable[ClaimEvent]) -> ClaimState:
    for event in events:
        state = evolve(state, event)
    return state


def evolve(state: ClaimState, event: ClaimEvent) -> ClaimState:
    """The state after one more event."""
    entry = HistoryEntry(
        kind=event.kind, at=event.at, actor=event.actor, summary=_summary(event), ref=event.ref
    )
    update: Update = {"history": (*state.history, entry)}
    try:
        update |= _APPLY[event.kind](state, event)
    except _Skip as exc:
        update["anomalies"] = (*state.anomalies, f"{event.kind} at {event.at.isoformat()}: {exc}")
    changed = state.model_copy(update=update)
    documents = outstanding_documents(changed.claim, changed.vocabulary)
    changed = changed.model_copy(update={"outstanding_documents": documents})
    return changed.model_copy(update={"status": status_of(changed)})


def outstanding_documents(claim: Claim | None, vocabulary: Vocabulary | None) -> tuple[str, ...]:
    """Documents asked for by the open requests (since the last completion) and not held."""
    if claim is None or vocabulary is None:
        return ()
    asked, done = (
        vocabulary.type_of("documents_requested"),
        vocabulary.type_of("documents_completed"),
    )
    if asked is None:
        return ()
    wanted: list[str] = []
    for index in current_order(claim.events):
        event = claim.events[index]
        if event.type == asked:
            missing = event.detail.get("missing")
            wanted += [str(m) for m in missing] if isinstance(missing, list) else []
        elif event.type == done:
            wanted = []
    held = {d.type for d in claim.documents}
    return tuple(sorted({m for m in wanted if m not in held}))


def person_decision(
    record: OverrideRecord, *, approved_by: str | None, at: dt.datetime
) -> DecisionRecord:
    """The decision an effective override makes: each line approved when it pays, denied
    when it does not, under a paying outcome; the override's outcome otherwise."""
    plan = record.plan
    outcome = plan.request.outcome

    def line_outcome(payable: Decimal) -> Outcome:
        if outcome not in PAYING:
            return outcome
        return "approve" if payable > 0 else "deny"

    return DecisionRecord(
        decision_id=plan.override_id,
        source="person",
        outcome=outcome,
        payable=plan.payable,
        lines=tuple(
            DecisionLine(line_id=li.line_id, payable=li.payable, outcome=line_outcome(li.payable))
            for li in plan.lines
        ),
        made_by=record.proposed_by,
        approved_by=approved_by,
        at=at,
        overrides=plan.request.overrides,
        reason=plan.request.reason,
    )


def rules_decision(summary: DecisionSummary, *, at: dt.datetime) -> DecisionRecord:
    return DecisionRecord(
        decision_id=summary.decision_id,
        source="rules",
        outcome=summary.outcome,
        payable=summary.payable,
        lines=tuple(
            DecisionLine(line_id=li.line_id, payable=li.payable, outcome=li.outcome)
            for li in summary.lines
        ),
        made_by="rules",
        at=at,
        as_of=summary.as_of,
        ruleset=summary.ruleset,
    )


def determination_after(state: ClaimState, record: DecisionRecord) -> Determination | None:
    """The determination the timeline carries once ``record`` is the current decision."""
    if record.outcome not in DETERMINATIONS:
        return state.determination
    return Determination(
        decision_id=record.decision_id, outcome=record.outcome, payable=record.payable
    )


# ---- one function per kind of event ------------------------------------------------------


def _claim_of(state: ClaimState) -> Claim:
    if state.claim is None:
        raise _Skip("there is no claim yet (no intake before it)")
    return state.claim


def _with_claim(claim: Claim) -> Update:
    return {"claim": claim, "content_hash": claim_hash(claim)}


def _intake(state: ClaimState, event: ClaimReceived) -> Update:
    if state.claim is not None:
        raise _Skip("the claim was already received")
    return {**_with_claim(event.claim), "vocabulary": event.vocabulary, "version": 1}


def _amended(state: ClaimState, event: ClaimAmended) -> Update:
    try:
        result = apply_patch(_claim_of(state), event.patch)
    except (LifecycleError, ClaimValidationError) as exc:
        raise _Skip(f"the patch does not apply: {exc}") from None
    return {**_with_claim(result.claim), "version": state.version + 1}


def _document(state: ClaimState, event: DocumentReceived) -> Update:
    claim = _claim_of(state)
    return _with_claim(claim.model_copy(update={"documents": [*claim.documents, event.document]}))


def _added(state: ClaimState, event: TimelineEventAdded) -> Update:
    claim = _claim_of(state)
    if event.index != len(claim.events):
        raise _Skip(f"added at position {event.index}, but the timeline has {len(claim.events)}")
    update = _with_claim(claim.model_copy(update={"events": [*claim.events, event.event]}))
    if event.by_engine:
        update["engine_events"] = (*state.engine_events, event.index)
    return update


def _voided(state: ClaimState, event: TimelineEventVoided) -> Update:
    claim = _claim_of(state)
    if event.index >= len(claim.events) or claim.events[event.index].void is not None:
        raise _Skip(f"there is no current event at position {event.index}")
    voiding = Voiding(reason=event.reason, by=event.actor, at=event.at)
    events = list(claim.events)
    events[event.index] = events[event.index].model_copy(update={"void": voiding})
    return _with_claim(claim.model_copy(update={"events": events}))


def _becomes_current(state: ClaimState, record: DecisionRecord) -> Update:
    return {
        "decision": record,
        "decisions": (*state.decisions, record),
        "payable": record.payable if record.outcome in PAYING else Decimal("0.00"),
        "determination": determination_after(state, record),
        "appealed": False,
        "reopened": False,
    }


def _ruled(state: ClaimState, event: RulesDecisionMade) -> Update:
    _claim_of(state)
    overrides = tuple(
        o.model_copy(update={"status": "superseded"}) if o.status == "pending" else o
        for o in state.overrides
    )
    record = rules_decision(event.decision, at=event.at)
    return {
        **_becomes_current(state, record),
        "rules_decision": event.decision,
        "overrides": overrides,
    }


def _proposed(state: ClaimState, event: OverrideProposed) -> Update:
    _claim_of(state)
    if any(o.plan.override_id == event.override.override_id for o in state.overrides):
        raise _Skip(f"override {event.override.override_id!r} was already proposed")
    record = OverrideRecord(
        plan=event.override, proposed_by=event.actor, proposed_at=event.at, status="pending"
    )
    return {"overrides": (*state.overrides, record)}


def _pending(state: ClaimState, override_id: str) -> tuple[int, OverrideRecord]:
    for position, record in enumerate(state.overrides):
        if record.plan.override_id == override_id and record.status == "pending":
            return position, record
    raise _Skip(f"no override {override_id!r} is pending")


def _replace(state: ClaimState, position: int, record: OverrideRecord) -> Update:
    overrides = list(state.overrides)
    overrides[position] = record
    return {"overrides": tuple(overrides)}


def _approved(state: ClaimState, event: OverrideApproved) -> Update:
    position, record = _pending(state, event.override_id)
    return _replace(
        state,
        position,
        record.model_copy(update={"decided_by": event.actor, "decided_at": event.at}),
    )


def _rejected(state: ClaimState, event: OverrideRejected) -> Update:
    position, record = _pending(state, event.override_id)
    rejected = record.model_copy(
        update={
            "status": "rejected",
            "decided_by": event.actor,
            "decided_at": event.at,
            "rejection": event.reason,
        }
    )
    return _replace(state, position, rejected)


def _effective(state: ClaimState, event: OverrideEffective) -> Update:
    position, record = _pending(state, event.override_id)
    decision = person_decision(record, approved_by=record.decided_by, at=event.at)
    return {
        **_replace(state, position, record.model_copy(update={"status": "effective"})),
        **_becomes_current(state, decision),
    }


def _paid(state: ClaimState, event: PaymentRecorded) -> Update:
    _claim_of(state)
    return {
        "payments": (*state.payments, event.payment),
        "paid": state.paid + event.payment.amount,
    }


def _appealed(state: ClaimState, event: AppealReceived) -> Update:
    _claim_of(state)
    return {"appealed": True, "closed": False, "determination": None}


def _reopened(state: ClaimState, event: ClaimReopened) -> Update:
    _claim_of(state)
    return {"reopened": True, "closed": False, "determination": None}


def _closed(state: ClaimState, event: ClaimClosed) -> Update:
    _claim_of(state)
    return {"closed": True}


_APPLY: dict[str, Callable[[ClaimState, Any], Update]] = {
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


def _summary(event: ClaimEvent) -> str:
    """One line for people reading the history."""
    match event:
        case ClaimReceived():
            return f"claim {event.claim.claim_id} received"
        case ClaimAmended():
            changed = ", ".join(sorted(event.patch)) or "nothing"
            return f"claim amended: {changed} ({event.content_hash})"
        case DocumentReceived():
            return f"document received: {event.document.type}"
        case TimelineEventAdded():
            who = "by the engine" if event.by_engine else "by a person"
            return f"timeline events[{event.index}] added {who}: {event.event.type}"
        case TimelineEventVoided():
            return f"timeline events[{event.index}] voided: {event.reason}"
        case RulesDecisionMade():
            d = event.decision
            return f"rules decided {d.outcome}, payable {d.payable:.2f} ({d.decision_id})"
        case OverrideProposed():
            return _plan_summary(event.override)
        case OverrideApproved():
            return f"override {event.override_id} approved"
        case OverrideRejected():
            return f"override {event.override_id} rejected: {event.reason}"
        case OverrideEffective():
            return f"override {event.override_id} is the decision"
        case PaymentRecorded():
            p = event.payment
            return (
                f"{p.kind} payment {p.amount:.2f} on {p.paid_at.date().isoformat()} ({p.reference})"
            )
        case AppealReceived():
            return f"appeal received: {event.reason}"
        case ClaimReopened():
            return f"claim reopened: {event.reason}"
        case ClaimClosed():
            return f"claim closed: {event.reason}"


def _plan_summary(plan: OverridePlan) -> str:
    waits = "; waits for a second person" if plan.needs_approval else ""
    return (
        f"override {plan.override_id} proposed: {plan.request.outcome}, payable "
        f"{plan.payable:.2f}{waits}"
    )
