"""Plain ``make_*`` factories for the claim's life: states, events and decisions on cn-health.

Every factory returns a fresh object. Instants are given as offsets in hours from ``T0``
(the reference claim was received on 2025-06-20 at 09:12 in Shanghai).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from typing import Any

from engine.claim import Claim, Document, Event, load_claim
from engine.evaluate import evaluate, load_program
from engine.lifecycle import admission as adm
from engine.lifecycle.config import LifecycleConfig
from engine.lifecycle.decisions import summarize_decision
from engine.lifecycle.events import (
    ClaimEvent,
    DocumentReceived,
    OverrideRequest,
    Payment,
    PaymentRecorded,
    RulesDecisionMade,
)
from engine.lifecycle.state import ClaimState
from engine.program import Program
from tests.engine.factories import CN_HEALTH, make_claim_dict

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2025, 6, 20, 9, 12, tzinfo=SHANGHAI)
ADJUSTER = "adjuster:li"
SUPERVISOR = "supervisor:wang"


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


@cache
def cn_health() -> Program:
    return load_program(CN_HEALTH)


def make_claim(*, missing_summary: bool = False, **overrides: Any) -> Claim:
    """The reference claim; ``missing_summary``: the discharge summary has not come, and the
    timeline stops at the request for it."""
    data = make_claim_dict(**overrides)
    if missing_summary:
        data["documents"] = [d for d in data["documents"] if d["type"] != "discharge_summary"]
        data["events"] = data["events"][:3]
    return load_claim(data)


def make_admitted(state: ClaimState, event: ClaimEvent, **config: Any) -> ClaimState:
    return adm.admit(state, event, ir=cn_health().ir, config=LifecycleConfig(**config)).state


def make_received(claim: Claim | None = None, *, hours: float = 30) -> ClaimState:
    """A state right after intake (by default the claim with the summary missing)."""
    claim = claim or make_claim(missing_summary=True)
    event = adm.intake(claim, ir=cn_health().ir, at=at(hours), actor=ADJUSTER)
    return make_admitted(ClaimState(), event)


def make_rules_decision(
    state: ClaimState, *, hours: float, decision_id: str = "dec-1"
) -> RulesDecisionMade:
    assert state.claim is not None
    decision = evaluate(cn_health(), state.claim, as_of=at(hours), backend="native")
    return RulesDecisionMade(
        decision=summarize_decision(decision, decision_id=decision_id),
        claim_hash=state.content_hash or "",
        at=at(hours),
        actor=ADJUSTER,
    )


def make_summary_arrival(hours: float = 102.5) -> DocumentReceived:
    """The discharge summary arriving (by default on 06-24 at 15:42)."""
    document = Document(type="discharge_summary", received_at=at(hours))
    return DocumentReceived(document=document, at=at(hours), actor=ADJUSTER)


def make_decided(*, hours: float = 120) -> ClaimState:
    """The complete reference claim, approved by the rules (payable 3648.40)."""
    state = make_received(make_claim(), hours=hours - 1)
    return make_admitted(state, make_rules_decision(state, hours=hours))


def make_override(
    state: ClaimState,
    *,
    override_id: str = "ov-1",
    hours: float = 121,
    actor: str = ADJUSTER,
    config: LifecycleConfig | None = None,
    **request: Any,
) -> Any:
    assert state.decision is not None
    fields = {
        "overrides": state.decision.decision_id,
        "outcome": "approve",
        "reason": "the file shows more",
        **request,
    }
    return adm.propose_override(
        state,
        OverrideRequest.model_validate(fields),
        override_id=override_id,
        config=config or LifecycleConfig(),
        at=at(hours),
        actor=actor,
    )


def make_payment(
    amount: str,
    *,
    kind: str = "advance",
    hours: float = 130,
    payment_id: str = "pay-1",
    reference: str | None = None,
) -> PaymentRecorded:
    payment = Payment(
        payment_id=payment_id,
        amount=Decimal(amount),
        paid_at=at(hours),
        reference=reference or f"TX-{payment_id}",
        kind=kind,  # type: ignore[arg-type]
    )
    return PaymentRecorded(payment=payment, at=at(hours), actor="finance:zhao")


def make_event(kind: str, hours: float, **detail: Any) -> Event:
    return Event(type=kind, at=at(hours), detail=detail)
