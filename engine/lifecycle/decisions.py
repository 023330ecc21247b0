"""What the claim's life keeps of a rules decision.

Everything in :mod:`engine.lifecycle` reads a decision only through
:func:`summarize_decision` and :func:`summarize_clocks`: the state keeps a summary (the full
decision stays in the audit trail under ``decision_id``), so folding a claim's history never
needs the decision model of the engine release that made each decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pydantic import AwareDatetime, BaseModel, ConfigDict

from engine.decision import Clock, Decision
from engine.money import Money
from engine.outcome import PAYING, Outcome

__all__ = [
    "DETERMINATIONS",
    "PAYING",
    "ClockSummary",
    "DecisionSummary",
    "LineSummary",
    "Outcome",
    "RulesetRef",
    "summarize_clocks",
    "summarize_decision",
]

#: Outcomes that determine a claim (IL art. 23-24): the rest hold it for documents or a person.
DETERMINATIONS: tuple[Outcome, ...] = ("approve", "partial", "deny")

_FROZEN = ConfigDict(extra="forbid", frozen=True)


class LineSummary(BaseModel):
    model_config = _FROZEN

    line_id: int
    submitted: Money
    eligible: Money
    payable: Money
    outcome: Outcome


class RulesetRef(BaseModel):
    model_config = _FROZEN

    id: str
    version: str
    content_hash: str


class DecisionSummary(BaseModel):
    """A rules decision as the claim's state keeps it (the full decision stays in the audit
    trail under ``decision_id``)."""

    model_config = _FROZEN

    decision_id: str
    outcome: Outcome
    submitted: Money
    eligible: Money
    payable: Money
    lines: tuple[LineSummary, ...]
    as_of: AwareDatetime
    ruleset: RulesetRef
    engine_version: str


class ClockSummary(BaseModel):
    """One SLA clock as a member's status sentence reads it."""

    model_config = _FROZEN

    id: str
    status: str
    due_date: dt.date | None = None
    due_at: AwareDatetime | None = None


def summarize_decision(decision: Decision, *, decision_id: str) -> DecisionSummary:
    """The summary of a decision as ``engine.evaluate.evaluate`` returns it."""
    return DecisionSummary(
        decision_id=decision_id,
        outcome=decision.outcome,
        submitted=decision.amounts.submitted,
        eligible=decision.amounts.eligible,
        payable=decision.amounts.payable,
        lines=tuple(
            LineSummary(
                line_id=line.line_id,
                submitted=line.submitted,
                eligible=line.eligible,
                payable=line.payable,
                outcome=line.outcome,
            )
            for line in decision.lines
        ),
        as_of=dt.datetime.fromisoformat(decision.as_of),
        ruleset=RulesetRef(
            id=decision.ruleset.id,
            version=decision.ruleset.version,
            content_hash=decision.ruleset.content_hash,
        ),
        engine_version=decision.engine.version,
    )


def summarize_clocks(sla: Sequence[Clock]) -> tuple[ClockSummary, ...]:
    """The clocks of a decision's ``sla`` (or of ``engine.evaluate.clocks``)."""
    return tuple(
        ClockSummary(
            id=c.id,
            status=c.status,
            due_date=dt.date.fromisoformat(c.due_date) if c.due_date else None,
            due_at=dt.datetime.fromisoformat(c.due_at) if c.due_at else None,
        )
        for c in sla
    )
