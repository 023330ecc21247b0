"""What the views read of a claim, all from its projection (:mod:`api.claim_states`).

:func:`current_view` gives the claim's state, the full rules decision the state's current
decision rests on (read back from the audit trail by its id) shaped as the *current* decision
(a person's outcome and line payables replacing the rules' where a person decided), and the
claim's SLA clocks at an instant, computed on the state's claim exactly as ``/sla/breaches``
computes them. The member explanation and the review notes read nothing else, so neither can
show another outcome, amount or clock than the state holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from api.claim_states.store import read_state
from api.deps import AppState
from api.errors import ProblemError
from api.rulesets import RulesetUnavailable
from audit.errors import AuditError, ReplayError
from audit.replay import recorded_decision
from audit.store import get_event
from engine.decision import Clock, Decision
from engine.errors import EngineError
from engine.evaluate import clocks
from engine.lifecycle import ClaimState
from engine.lifecycle.state import DecisionRecord

__all__ = ["CurrentView", "as_current", "current_view"]


@dataclass(frozen=True, slots=True)
class CurrentView:
    state: ClaimState
    decision: Decision | None  # the current decision in the rules decision's shape
    clocks: list[Clock]
    as_of: dt.datetime


def as_current(rules: Decision, record: DecisionRecord) -> Decision:
    """``rules`` as the decision ``record`` made: a person's outcome, payables per line (a
    line the person did not pay pays 0.00) and total; the rules' own decision unchanged."""
    if record.source == "rules":
        return rules
    payable = {line.line_id: line for line in record.lines}
    lines = tuple(
        line.model_copy(
            update={
                "payable": payable[line.line_id].payable if line.line_id in payable else Decimal(0),
                "outcome": payable[line.line_id].outcome
                if line.line_id in payable
                else record.outcome,
            }
        )
        for line in rules.lines
    )
    amounts = rules.amounts.model_copy(update={"payable": record.payable})
    return rules.model_copy(
        update={"outcome": record.outcome, "automated": False, "amounts": amounts, "lines": lines}
    )


def _rules_decision(app: AppState, decision_id: str) -> Decision:
    try:
        return recorded_decision(get_event(app.engine, event_id=decision_id))
    except (AuditError, ReplayError) as exc:
        raise ProblemError(503, f"the audit trail cannot be read: {exc}") from None


def current_view(app: AppState, claim_id: str, as_of: dt.datetime) -> CurrentView:
    """The claim's state and what is derived from it (module docstring); 404 without one."""
    state = read_state(app.engine, claim_id)
    if state is None or state.claim is None:
        raise ProblemError(404, f"there is no claim {claim_id}")
    decision = None
    if state.decision is not None and state.rules_decision is not None:
        rules = _rules_decision(app, state.rules_decision.decision_id)
        decision = as_current(rules, state.decision)
    try:
        program = app.rulesets.for_claim(state.claim).program
        found = clocks(program, state.claim, as_of=as_of)
    except RulesetUnavailable as exc:
        raise ProblemError(503, str(exc)) from None
    except EngineError as exc:
        raise ProblemError(422, f"the claim's clocks cannot be computed: {exc}") from None
    return CurrentView(state=state, decision=decision, clocks=found, as_of=as_of)
