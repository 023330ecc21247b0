"""The gate's view of one admission: the claim's state, the ruleset, the config, and what an
event implies on the timeline (:mod:`engine.lifecycle.admission`)."""

from __future__ import annotations

import datetime as dt

from pydantic import JsonValue

from engine.claim import Backdating, Claim, Event
from engine.lifecycle.config import LifecycleConfig
from engine.lifecycle.decisions import DETERMINATIONS
from engine.lifecycle.errors import AdmissionError, ApprovalError, SelfApprovalError
from engine.lifecycle.events import ClaimEvent, OverrideEffective, TimelineEventAdded
from engine.lifecycle.fold import person_decision
from engine.lifecycle.state import ClaimState, DecisionRecord, OverrideRecord
from engine.lifecycle.timeline import check_addition
from engine.lifecycle.vocabulary import Role, Vocabulary
from engine.ruleset.ir import RulesetIR

__all__ = ["Follow", "Gate", "claim_of"]

#: What an event implies: domain events, and timeline events the gate adds as the engine's.
Follow = list[ClaimEvent | Event]


class Gate:
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
        claim = claim_of(self.state)
        if open_only and self.state.closed:
            raise AdmissionError(f"claim {claim.claim_id} is closed", suggestion="reopen it first")
        return claim

    def mark(self, role: Role, at: dt.datetime, **detail: JsonValue) -> list[Event]:
        kind = self.vocabulary.type_of(role)
        return [Event(type=kind, at=at, detail=detail)] if kind is not None else []

    def timeline_event(self, state: ClaimState, event: Event) -> TimelineEventAdded:
        """``event`` as the engine adds it: backdated when needed, checked like any other."""
        claim = claim_of(state)
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


def claim_of(state: ClaimState) -> Claim:
    if state.claim is None:
        raise AdmissionError("there is no claim yet", suggestion="take the claim in first")
    return state.claim
