"""The one place the member pages get a claim's state: :func:`claim_state_for_member`.

It reads the claim-state projection (:mod:`api.claim_states`: the state every view reads)
and the full rules decision its latest rules decision names. A claim taken in before its life
was recorded has no projection row yet: its audit events are folded here with
:mod:`engine.lifecycle` instead (the intake built from the stored claim, each rules
``decision`` event as ``RulesDecisionMade``, each person's ``decision_override`` as an
override made effective at once). Nothing else in the member pages reads a claim's state,
so no two views can disagree.

A claim that is not the member's is answered exactly like one that does not exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from api.claim_states.store import read_state
from api.decisions import OVERRIDE_EVENT
from api.deps import AppState
from api.errors import ProblemError
from api.rulesets import RulesetUnavailable
from audit.chain import StoredEvent
from audit.errors import AuditError, ReplayError
from audit.replay import DECISION_EVENT, recorded_decision
from audit.store import events_for_claim
from engine.claim import Claim, load_claim
from engine.decision import Clock, Decision
from engine.errors import EngineError
from engine.evaluate import clocks
from engine.lifecycle import (
    ClaimEvent,
    ClaimState,
    evolve,
    intake,
    parse_event,
    summarize_decision,
)
from engine.lifecycle.events import (
    LinePayable,
    OverrideEffective,
    OverridePlan,
    OverrideProposed,
    OverrideRequest,
    RulesDecisionMade,
)
from engine.lifecycle.overrides import line_bounds, spread
from engine.lifecycle.state import status_of
from engine.outcome import PAYING
from engine.ruleset.ir import RulesetIR

__all__ = ["LIFECYCLE_KINDS", "MemberClaim", "claim_state_for_member"]

#: Audit event types that are lifecycle events (their payload is the event without
#: ``at``/``actor``/``ref``, which come from the audit row).
LIFECYCLE_KINDS = frozenset(
    {
        "claim_amended",
        "document_received",
        "timeline_event_added",
        "timeline_event_voided",
        "override_proposed",
        "override_approved",
        "override_rejected",
        "override_effective",
        "payment_recorded",
        "appeal_received",
        "claim_reopened",
        "claim_closed",
    }
)


@dataclass(frozen=True, slots=True)
class MemberClaim:
    """What the claim page reads: the folded state, the latest rules decision in full (its
    reasons and line amounts), that decision's audit event (for the proof), and the
    claim's SLA clocks now."""

    state: ClaimState
    claim: Claim
    ir: RulesetIR
    decision: Decision | None
    decision_event: StoredEvent | None
    clocks: tuple[Clock, ...]
    events: tuple[StoredEvent, ...]


def _when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def claim_state_for_member(
    app: AppState, *, member_id: str, claim_id: str, now: dt.datetime
) -> MemberClaim:
    """The member's claim and its state; a 404 problem when it is not theirs."""
    record = app.claims.get(claim_id)
    if record is None or record.member_id != member_id:
        raise ProblemError(404, f"there is no claim {claim_id}")
    projected = read_state(app.engine, claim_id)
    claim = (
        projected.claim if projected is not None and projected.claim else load_claim(record.body)
    )
    try:
        loaded = app.rulesets.for_claim(claim)
        current = tuple(clocks(loaded.program, claim, as_of=now))
    except (RulesetUnavailable, EngineError) as exc:
        raise ProblemError(503, f"the claim cannot be shown now: {exc}") from None
    try:
        stored = events_for_claim(app.engine, claim_id=claim_id)
    except AuditError as exc:
        raise ProblemError(503, f"the audit trail is unavailable: {exc}") from None
    ir = loaded.program.ir
    if projected is not None:
        state, latest, latest_event = projected, *_rules_decision(projected, stored)
    else:  # taken in before the claim's life was recorded: folded from the trail here
        state, latest, latest_event = _fold(claim, ir, _when(record.created_at), stored)
    return MemberClaim(
        state=state,
        claim=claim,
        ir=ir,
        decision=latest,
        decision_event=latest_event,
        clocks=current,
        events=tuple(stored),
    )


def _rules_decision(
    state: ClaimState, stored: Sequence[StoredEvent]
) -> tuple[Decision | None, StoredEvent | None]:
    """The full rules decision the projected state's latest rules decision names."""
    if state.rules_decision is None:
        return None, None
    named = state.rules_decision.decision_id
    event = next((e for e in stored if e.event_id == named), None)
    if event is None:
        raise ProblemError(503, f"the audit trail does not hold decision {named}")
    try:
        return recorded_decision(event), event
    except ReplayError as exc:
        raise ProblemError(503, f"the audit trail cannot be read: {exc}") from None


def _fold(
    claim: Claim, ir: RulesetIR, received_at: dt.datetime, stored: Sequence[StoredEvent]
) -> tuple[ClaimState, Decision | None, StoredEvent | None]:
    first = min([received_at, *(_when(e.occurred_at) for e in stored)])
    state = evolve(ClaimState(), intake(claim, ir=ir, at=first, actor="system:intake"))
    latest: Decision | None = None
    latest_event: StoredEvent | None = None
    for event in stored:
        try:
            if event.event_type == DECISION_EVENT:
                latest, latest_event = recorded_decision(event), event
                state = evolve(state, _ruled(state, latest, event))
            elif event.event_type == OVERRIDE_EVENT:
                for step in _legacy_override(state, event):
                    state = evolve(state, step)
            elif event.event_type in LIFECYCLE_KINDS:
                state = evolve(state, _lifecycle(event))
        except (ReplayError, ValidationError) as exc:
            raise ProblemError(503, f"the audit trail cannot be read: {exc}") from None
    return state.model_copy(update={"status": status_of(state)}), latest, latest_event


def _ruled(state: ClaimState, decision: Decision, event: StoredEvent) -> ClaimEvent:
    return RulesDecisionMade(
        decision=summarize_decision(decision, decision_id=event.event_id),
        claim_hash=state.content_hash or "",
        at=_when(event.occurred_at),
        actor=event.actor,
        ref=event.event_id,
    )


def _legacy_override(state: ClaimState, event: StoredEvent) -> list[ClaimEvent]:
    """A ``decision_override`` (before two-person overrides): effective when made."""
    payload = event.payload_value()
    data = payload if isinstance(payload, dict) else {}
    outcome = str(data.get("outcome") or "refer")
    payable = Decimal(str(data.get("payable") or "0.00"))
    if outcome not in PAYING:
        payable = Decimal("0.00")
    lines = spread(payable, line_bounds(state.claim)) if state.claim is not None else {}
    request = OverrideRequest(
        overrides=str(data.get("overrides") or event.event_id),
        outcome=outcome,
        total=payable,
        reason=str(data.get("reason") or "-"),
    )
    plan = OverridePlan(
        override_id=event.event_id,
        request=request,
        lines=tuple(LinePayable(line_id=k, payable=v) for k, v in sorted(lines.items())),
        payable=payable,
        needs_approval=False,
    )
    at = _when(event.occurred_at)
    return [
        OverrideProposed(override=plan, at=at, actor=event.actor, ref=event.event_id),
        OverrideEffective(override_id=event.event_id, at=at, actor=event.actor),
    ]


def _lifecycle(event: StoredEvent) -> ClaimEvent:
    payload = event.payload_value()
    data = payload if isinstance(payload, dict) else {}
    fields: dict[str, Any] = {
        k: v for k, v in data.items() if k not in ("at", "actor", "ref", "claim_id")
    }
    fields.update(
        kind=event.event_type, at=event.occurred_at, actor=event.actor, ref=event.event_id
    )
    return parse_event(fields)
