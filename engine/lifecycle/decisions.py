"""What the claim's life keeps of a rules decision, read through one narrow adapter.

``evaluate`` returns the decision as a JSON-ready mapping today; a typed, frozen ``Decision``
model is on its way (issue 12). Everything in :mod:`engine.lifecycle` reads a decision only
through :func:`summarize_decision` and :func:`summarize_clocks`, so switching to the typed
model changes these two functions and nothing else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from engine.money import Money

__all__ = [
    "DETERMINATIONS",
    "ClockSummary",
    "DecisionSummary",
    "LineSummary",
    "Outcome",
    "RulesetRef",
    "summarize_clocks",
    "summarize_decision",
]

# One outcome vocabulary for the lifecycle; to be replaced by the engine-wide one (issue 12).
Outcome = Literal["approve", "partial", "deny", "pend", "refer"]
#: Outcomes that determine a claim (IL art. 23-24): the rest hold it for documents or a person.
DETERMINATIONS: tuple[Outcome, ...] = ("approve", "partial", "deny")
#: Outcomes that may pay.
PAYING: tuple[Outcome, ...] = ("approve", "partial")

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


def summarize_decision(decision: Mapping[str, object], *, decision_id: str) -> DecisionSummary:
    """The summary of a decision as ``engine.evaluate.evaluate`` returns it."""
    amounts = _mapping(decision["amounts"])
    ruleset = _mapping(decision["ruleset"])
    engine = _mapping(decision["engine"])
    return DecisionSummary.model_validate(
        {
            "decision_id": decision_id,
            "outcome": decision["outcome"],
            "submitted": amounts["submitted"],
            "eligible": amounts["eligible"],
            "payable": amounts["payable"],
            "lines": [
                {k: line[k] for k in ("line_id", "submitted", "eligible", "payable", "outcome")}
                for line in map(_mapping, _sequence(decision["lines"]))
            ],
            "as_of": decision["as_of"],
            "ruleset": {k: ruleset[k] for k in ("id", "version", "content_hash")},
            "engine_version": engine["version"],
        }
    )


def summarize_clocks(sla: Sequence[Mapping[str, object]]) -> tuple[ClockSummary, ...]:
    """The clocks of a decision's ``sla`` list (or of ``engine.evaluate.clocks``)."""
    return tuple(
        ClockSummary.model_validate({k: c.get(k) for k in ("id", "status", "due_date", "due_at")})
        for c in sla
    )


def _mapping(value: object) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise TypeError(f"a decision part must be an object, not {type(value).__name__}")
    return value


def _sequence(value: object) -> Sequence[object]:
    if not isinstance(value, list | tuple):
        raise TypeError(f"decision lines must be a list, not {type(value).__name__}")
    return value
