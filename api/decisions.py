"""Deciding a stored claim and overriding a decision, both through the audit trail.

``evaluate`` routes the claim to its ruleset, evaluates it, and appends the decision with
its ruleset snapshot (:func:`audit.replay.record_payload`); the decision is returned, as the
very JSON audited, only after the append has committed. An ``override`` is a person's
decision: its own audited event (``decision_override``) naming the decision it overrides,
the new outcome and the reason, recorded with the person as actor. The history of a claim
is read back from the audit trail alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.auth import Principal
from api.deps import AppState
from api.errors import ProblemError
from audit.canonical import JsonValue
from audit.chain import StoredEvent
from audit.replay import DECISION_EVENT, decision_payload, record_payload, recorded_decision
from audit.store import append_event, events_for_claim
from engine.evaluate import evaluate
from engine.outcome import Outcome

__all__ = [
    "OVERRIDE_EVENT",
    "ClaimHistory",
    "OverrideRequest",
    "evaluate_claim",
    "history",
    "override_decision",
]

OVERRIDE_EVENT = "decision_override"


class OverrideRequest(BaseModel):
    """A person's decision replacing the latest one."""

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    reason: str = Field(min_length=10, max_length=4000, description="why, for the file")
    payable: str | None = Field(
        default=None, pattern=r"^[0-9]{1,12}\.[0-9]{2}$", description="amount to pay, e.g. 100.00"
    )


def evaluate_claim(
    state: AppState, claim_id: str, as_of: dt.datetime, who: Principal
) -> dict[str, Any]:
    claim = state.claims.claim(claim_id)
    loaded = state.rulesets.for_claim(claim)
    decision = evaluate(loaded.program, claim, as_of=as_of, backend=state.backend)
    payload = decision_payload(snapshot=loaded.snapshot, claim=claim, decision=decision)
    event = record_payload(
        state.engine,
        snapshot=loaded.snapshot,
        payload=payload,
        actor=who.actor,
        config=state.audit,
    )
    state.metrics.decisions.labels(decision.outcome, "rules").inc()
    return {
        "event_id": event.event_id,
        "seq": event.seq,
        "recorded_at": event.recorded_at,
        "decision": payload["decision"],  # the JSON just audited
    }


@dataclass(frozen=True, slots=True)
class ClaimHistory:
    """The decision and override events of one claim, oldest first."""

    events: list[StoredEvent]

    def entries(self) -> list[dict[str, Any]]:
        return [_entry(e) for e in self.events]

    def latest_decision(self) -> StoredEvent | None:
        found = [e for e in self.events if e.event_type == DECISION_EVENT]
        return found[-1] if found else None

    def latest_override(self) -> StoredEvent | None:
        """The override made after the latest rules decision, if any."""
        latest = self.latest_decision()
        after = latest.seq if latest is not None else 0
        found = [e for e in self.events if e.event_type == OVERRIDE_EVENT and e.seq > after]
        return found[-1] if found else None


def _payload(event: StoredEvent) -> dict[str, Any]:
    value = event.payload_value()
    return value if isinstance(value, dict) else {}


def _entry(event: StoredEvent) -> dict[str, Any]:
    payload = _payload(event)
    common = {
        "event_id": event.event_id,
        "seq": event.seq,
        "event_type": event.event_type,
        "recorded_at": event.recorded_at,
        "actor": event.actor,
    }
    if event.event_type == OVERRIDE_EVENT:
        return {
            **common,
            "source": "human",
            "outcome": payload.get("outcome"),
            "payable": payload.get("payable"),
            "reason": payload.get("reason"),
            "overrides": payload.get("overrides"),
        }
    decision = recorded_decision(event).json_form()
    return {
        **common,
        "source": "rules",
        "outcome": decision["outcome"],
        "amounts": decision["amounts"],
        "as_of": decision["as_of"],
        "ruleset": decision["ruleset"],
        "decision": decision,
    }


def history(state: AppState, claim_id: str) -> ClaimHistory:
    events = events_for_claim(state.engine, claim_id=claim_id)
    return ClaimHistory([e for e in events if e.event_type in (DECISION_EVENT, OVERRIDE_EVENT)])


def override_decision(
    state: AppState, claim_id: str, request: OverrideRequest, who: Principal
) -> dict[str, Any]:
    state.claims.claim(claim_id)  # 404 for an unknown claim
    latest = history(state, claim_id).latest_decision()
    if latest is None:
        raise ProblemError(
            409,
            f"claim {claim_id} has no decision to override: evaluate it first",
            kind="nothing-to-override",
        )
    payload: JsonValue = {
        "claim_id": claim_id,
        "outcome": request.outcome,
        "payable": request.payable,
        "reason": request.reason,
        "overrides": latest.event_id,
        "decided_by": {"role": who.role, "sub": who.sub},
    }
    event = append_event(
        state.engine,
        event_type=OVERRIDE_EVENT,
        claim_id=claim_id,
        payload=payload,
        actor=who.actor,
        config=state.audit,
    )
    state.metrics.decisions.labels(request.outcome, "human").inc()
    return _entry(event)
