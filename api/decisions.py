"""A claim's decisions as the audit trail holds them, and the original override endpoint.

Decisions are made through the claim's life (:mod:`api.claim_states`): ``evaluate`` records
the audited decision with the claim's ``rules_decision_made`` in one transaction, and a
person's decision is an override proposed on the current decision (bounded per line, and
four-eyed when it pays more than the rules or what they refused). The original
``POST /claims/{id}/override`` is kept as it was called (``outcome``, ``reason``, optional
``payable``) and goes the same way: it names the claim's current decision, and ``payable`` is
the total spread over the lines (absent: what the current decision pays, for an outcome that
pays; nothing otherwise). The history of a claim is read back from the audit trail alone:
rules decisions (``decision``), overrides proposed through the claim's life
(``life.override_proposed``) and overrides recorded before it (``decision_override``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.auth import Principal
from api.claim_states import operations as life_ops
from api.claim_states.schemas import OverrideIn
from api.claim_states.store import read_state
from api.claim_states.trail import LIFE_PREFIX
from api.deps import AppState
from api.errors import ProblemError
from audit.chain import StoredEvent
from audit.errors import AuditError
from audit.replay import DECISION_EVENT, recorded_decision
from audit.store import events_for_claim, get_event
from engine.lifecycle.decisions import PAYING
from engine.outcome import Outcome

__all__ = [
    "LIFE_OVERRIDE_EVENT",
    "OVERRIDE_EVENT",
    "ClaimHistory",
    "OverrideRequest",
    "history",
    "override_decision",
]

OVERRIDE_EVENT = "decision_override"
LIFE_OVERRIDE_EVENT = LIFE_PREFIX + "override_proposed"
_OVERRIDES = (OVERRIDE_EVENT, LIFE_OVERRIDE_EVENT)


class OverrideRequest(BaseModel):
    """A person's decision replacing the latest one."""

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    reason: str = Field(min_length=10, max_length=4000, description="why, for the file")
    payable: str | None = Field(
        default=None, pattern=r"^[0-9]{1,12}\.[0-9]{2}$", description="amount to pay, e.g. 100.00"
    )


def _unavailable(exc: Exception) -> ProblemError:
    return ProblemError(503, f"the audit trail is unavailable: {exc}")


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
        found = [e for e in self.events if e.event_type in _OVERRIDES and e.seq > after]
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
    if event.event_type == LIFE_OVERRIDE_EVENT:
        plan = payload.get("override")
        plan = plan if isinstance(plan, dict) else {}
        request = plan.get("request")
        request = request if isinstance(request, dict) else {}
        return {
            **common,
            "source": "human",
            "override_id": plan.get("override_id"),
            "outcome": request.get("outcome"),
            "payable": plan.get("payable"),
            "lines": plan.get("lines"),
            "needs_approval": plan.get("needs_approval"),
            "reason": request.get("reason"),
            "overrides": request.get("overrides"),
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
    try:
        events = events_for_claim(state.engine, claim_id=claim_id)
    except AuditError as exc:
        raise _unavailable(exc) from None
    return ClaimHistory([e for e in events if e.event_type in (DECISION_EVENT, *_OVERRIDES)])


def override_decision(
    state: AppState, claim_id: str, request: OverrideRequest, who: Principal
) -> dict[str, Any]:
    """The original override (module docstring): an override of the current decision."""
    life = read_state(state.engine, claim_id)
    if life is None:
        state.claims.claim(claim_id)  # 404 for an unknown claim
    current = life.decision if life is not None else None
    if current is None:
        raise ProblemError(
            409,
            f"claim {claim_id} has no decision to override: evaluate it first",
            kind="nothing-to-override",
        )
    if request.payable is not None:
        total = Decimal(request.payable)
    else:
        total = current.payable if request.outcome in PAYING else Decimal("0.00")
    try:
        body = OverrideIn(outcome=request.outcome, total=total, reason=request.reason)
    except ValidationError as exc:
        raise ProblemError(
            422,
            "the override is invalid",
            errors=[{"path": "payable", "reason": e["msg"]} for e in exc.errors()],
        ) from None
    written = life_ops.propose(
        state.life, claim_id, body, decision_id=current.decision_id, actor=who.actor
    )
    proposed = next(e for e in written.events if e.kind == "override_proposed")
    assert proposed.ref is not None
    try:
        event = get_event(state.engine, event_id=proposed.ref)
    except AuditError as exc:
        raise _unavailable(exc) from None
    if written.state.decision is not None and written.state.decision.source == "person":
        state.metrics.decisions.labels(request.outcome, "human").inc()
    return {**_entry(event), "status": written.state.status}
