"""SLA clocks as decisions carry them (:mod:`engine.sla` computes them)."""

from __future__ import annotations

from typing import Final, Literal, get_args

from pydantic import BaseModel, Field

from engine.decision.values import FROZEN, Day, Explanation, Instant, optional_field

__all__ = [
    "CLOCK_STATUSES",
    "ClaimClock",
    "Clock",
    "ClockEffect",
    "ClockEvent",
    "ClockStatus",
    "ClockUnit",
]

ClockStatus = Literal[
    "not_applicable", "not_started", "running", "paused", "due_soon", "met", "breached"
]
#: Every clock status, in the order a clock goes through them.
CLOCK_STATUSES: Final[tuple[ClockStatus, ...]] = get_args(ClockStatus)
ClockUnit = Literal["calendar_days", "working_days", "hours"]
ClockEffect = Literal["start", "restart", "pause", "resume", "extend", "extension_refused", "stop"]


class ClockEvent(BaseModel):
    """What one timeline event did to a clock."""

    model_config = FROZEN

    index: int = Field(description="the event's index in the claim's events")
    type: str = Field(description="the event type")
    at: Instant
    effect: ClockEffect
    note: str | None = optional_field(
        description="why, for extend (+N unit) and extension_refused; absent otherwise"
    )


class Clock(BaseModel):
    """An SLA clock: a legal deadline of claims handling, where it stands at ``as_of``."""

    model_config = FROZEN

    id: str = Field(description="the SLA node id in the ruleset")
    title: str
    status: ClockStatus
    started_at: Instant | None = Field(description="when the count began; null if not started")
    due_at: Instant | None = Field(
        description="the deadline: 00:00 after the last allowed day, in the ruleset's zone"
    )
    due_date: Day | None = Field(description="the last allowed day (null for clocks in hours)")
    stopped_at: Instant | None = Field(description="when the stop event came; else null")
    remaining_seconds: int | None = Field(description="negative when overdue")
    elapsed_seconds: int | None = Field(description="counted time, pauses excluded")
    duration: int = Field(description="the ruleset's duration, before extensions")
    unit: ClockUnit
    extended_by: int = Field(description="approved extension, in the clock's unit")
    breach_action: str = Field(description="what the ruleset says to do on a breach")
    legal_basis: tuple[str, ...]
    explanation: Explanation
    events: tuple[ClockEvent, ...] = Field(description="the events that moved the clock")
    calendar: str | None = Field(
        description="the working-day calendar used, if the clock counts working days"
    )
    calendar_estimated: bool = Field(
        description="true when a day outside the calendar's known years was counted"
    )


class _OfClaim(BaseModel):
    model_config = FROZEN

    claim_id: str


class ClaimClock(Clock, _OfClaim):
    """A clock of one claim in a portfolio sweep: ``claim_id``, then the clock's fields (the
    base order puts it first, as the sweep's rows always began)."""
