"""SLA clocks: where a deadline stands for a claim's event timeline at an instant ``as_of``.

Day counting (PRC Civil Code art. 201–203, CPL art. 43; documented in the README):

- ``start_rule: next_day`` (default): the day of the starting event is not counted; counting
  begins the next day. ``same_day`` counts the starting day as day 1.
- "以内" is inclusive: the whole last day is allowed. ``due_at`` is therefore 00:00 of the
  day after the last day, in the ruleset's time zone; a stop strictly before it is ``met``.
- ``working_days`` count only working days of the calendar (holidays skipped, make-up
  working days counted). ``calendar_days`` count every day; with ``roll_to_working_day`` a
  last day that is not a working day moves to the next working day (Civil Code art. 203).
- ``hours`` run continuously from the starting instant.

Pauses (pause/resume event pairs, e.g. documents requested → completed): in ``hours`` the
paused time is added to the deadline; in days, every day on which the clock is still paused
at its end is not counted. A clock still paused at ``as_of`` reports the deadline it would
have if it resumed at ``as_of``. Extensions count only if approved and notified when the
node requires it, only up to ``max`` in total, and only if granted before the deadline.

A ``restart_event`` (new facts in a complaint) before the stop starts the count afresh from
that event. Only events at or before ``as_of`` are seen, so a later ``as_of`` can never undo a
breach.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from engine.decision import ClockEffect, ClockEvent, ClockStatus, trusted
from engine.errors import EvaluationError, TimelineError
from engine.expression.native import Compiled
from engine.ruleset.ir import SlaNode
from engine.sla.calendars import WorkingCalendar

DAY = dt.timedelta(days=1)
MAX_DAYS = 3 * 366 * 10  # bound on day walking (a 10-year limitation clock is the longest)


@dataclass
class TimelineEvent:
    index: int
    type: str
    at: dt.datetime
    detail: dict[str, Any]

    @functools.cached_property
    def at_text(self) -> str:
        """``at`` in ISO 8601, written once per event although every clock may show it."""
        return self.at.isoformat()


@dataclass
class ClockState:
    node: SlaNode
    status: ClockStatus = "not_started"
    started_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    due_date: dt.date | None = None
    stopped_at: dt.datetime | None = None
    remaining_seconds: int | None = None
    elapsed_seconds: int | None = None
    extended_by: int = 0
    estimated: bool = False
    moves: list[ClockEvent] = field(default_factory=list)

    def move(self, event: TimelineEvent, effect: ClockEffect, note: str = "") -> None:
        self.moves.append(
            trusted(
                ClockEvent,
                index=event.index,
                type=event.type,
                at=event.at_text,
                effect=effect,
                note=note or None,
            )
        )


@dataclass(frozen=True)
class ClockInputs:
    node: SlaNode
    applies: bool
    start_fact: Any  # value of start_fact (date/datetime) or None
    start_where: Compiled | None


def compute_clock(
    inputs: ClockInputs,
    events: list[TimelineEvent],
    as_of: dt.datetime,
    tz: ZoneInfo,
    calendar: WorkingCalendar,
) -> ClockState:
    node = inputs.node
    state = ClockState(node)
    if not inputs.applies:
        state.status = "not_applicable"
        return state
    seen = [e for e in events if e.at <= as_of]
    start = _start(inputs, seen, tz, state)
    if start is None:
        return state
    start = _restart(node, seen, start, state)
    state.started_at = start
    stop = _stop(node, seen, start, events)
    until = stop.at if stop else as_of
    pauses = _pauses(node, seen, start, until, state)
    _run_clock(node, state, start, pauses, seen, calendar, tz, until)
    if stop is not None:
        state.move(stop, "stop")
    _status(state, stop, pauses, as_of)
    return state


def _start(
    inputs: ClockInputs, seen: list[TimelineEvent], tz: ZoneInfo, state: ClockState
) -> dt.datetime | None:
    if inputs.start_fact is not None:
        value = inputs.start_fact
        if isinstance(value, dt.datetime):
            return value
        return dt.datetime.combine(value, dt.time(), tz)
    for event in seen:
        if event.type in inputs.node.start_events and (
            inputs.start_where is None
            or inputs.start_where({}, {"type": event.type, "at": event.at, "detail": event.detail})
            is True
        ):
            state.move(event, "start")
            return event.at
    return None


def _restart(
    node: SlaNode, seen: list[TimelineEvent], start: dt.datetime, state: ClockState
) -> dt.datetime:
    """The last restart event before the clock stopped begins the count afresh."""
    for event in seen:
        if event.type in node.stop_events and event.at >= start:
            break
        if event.type in node.restart_events and event.at > start:
            start = event.at
            state.move(event, "restart")
    return start


def _stop(
    node: SlaNode, seen: list[TimelineEvent], start: dt.datetime, everything: list[TimelineEvent]
) -> TimelineEvent | None:
    for event in seen:
        if event.type in node.stop_events:
            if event.at < start:
                raise TimelineError(
                    event.index,
                    f"'{event.type}' stops SLA '{node.id}' at "
                    f"{event.at.isoformat()}, before the clock started at "
                    f"{start.isoformat()}",
                )
            return event
    return None


def _pauses(
    node: SlaNode,
    seen: list[TimelineEvent],
    start: dt.datetime,
    until: dt.datetime,
    state: ClockState,
) -> list[tuple[dt.datetime, dt.datetime | None]]:
    intervals: list[tuple[dt.datetime, dt.datetime | None]] = []
    pause_types = {p for p, _ in node.pauses}
    resume_types = {r for _, r in node.pauses}
    paused_at: dt.datetime | None = None
    for event in seen:
        if event.at < start or event.at > until:
            continue
        if event.type in pause_types and paused_at is None:
            paused_at = event.at
            state.move(event, "pause")
        elif event.type in resume_types and paused_at is not None:
            intervals.append((paused_at, event.at))
            paused_at = None
            state.move(event, "resume")
    if paused_at is not None:
        intervals.append((paused_at, None))
    return intervals


def _run_clock(
    node: SlaNode,
    state: ClockState,
    start: dt.datetime,
    pauses: list[tuple[dt.datetime, dt.datetime | None]],
    seen: list[TimelineEvent],
    calendar: WorkingCalendar,
    tz: ZoneInfo,
    until: dt.datetime,
) -> None:
    budget = node.duration
    due = _due(node, start, budget, pauses, calendar, tz, until, state)
    ext = node.extension
    for event in seen if ext else []:
        if ext is None or event.type != ext.event or event.at < start or event.at > until:
            continue
        problem = _extension_problem(node, event, due, state.extended_by)
        if problem:
            state.move(event, "extension_refused", problem)
            continue
        granted = min(
            int(event.detail.get("days", event.detail.get("hours", 0))), ext.max - state.extended_by
        )
        state.extended_by += granted
        budget += granted
        due = _due(node, start, budget, pauses, calendar, tz, until, state)
        state.move(event, "extend", f"+{granted} {node.unit}")
    state.due_at = due
    state.due_date = (due - DAY).astimezone(tz).date() if node.unit != "hours" else None


def _extension_problem(node: SlaNode, event: TimelineEvent, due: dt.datetime, used: int) -> str:
    ext = node.extension
    assert ext is not None
    amount = event.detail.get("days", event.detail.get("hours"))
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        return "detail.days (or detail.hours) must be a positive whole number"
    if event.at >= due:
        return "granted after the deadline had passed"
    if ext.requires_approval and not event.detail.get("approved_by"):
        return "not approved (detail.approved_by is missing)"
    if ext.requires_notice and not event.detail.get("notice_at"):
        return "the claimant was not notified (detail.notice_at is missing)"
    if used >= ext.max:
        return f"the maximum extension of {ext.max} {node.unit} is used up"
    return ""


def _due(
    node: SlaNode,
    start: dt.datetime,
    budget: int,
    pauses: list[tuple[dt.datetime, dt.datetime | None]],
    calendar: WorkingCalendar,
    tz: ZoneInfo,
    until: dt.datetime,
    state: ClockState,
) -> dt.datetime:
    if node.unit == "hours":
        due = start + dt.timedelta(hours=budget)
        for paused, resumed in pauses:
            if paused < due:
                due += (resumed or until) - paused
        return due
    paused_days = _paused_days(pauses, tz, until)
    day = start.astimezone(tz).date()
    if node.start_rule == "next_day":
        day += DAY
    if node.unit == "calendar_days":
        day = _last_calendar_day(day, budget, paused_days)
    else:
        day = _last_working_day(day, budget, paused_days, calendar, state)
    if node.unit == "calendar_days" and node.roll_to_working_day:
        while not _workday(calendar, day, state):
            day += DAY
    return dt.datetime.combine(day + DAY, dt.time(), tz)


def _last_calendar_day(first: dt.date, budget: int, paused: set[dt.date]) -> dt.date:
    """The budget-th counted day: every day counts except paused ones (computed, not walked)."""
    last = first + (budget - 1) * DAY
    for day in sorted(d for d in paused if d >= first):
        if day > last:
            break
        last += DAY
    return last


def _last_working_day(
    first: dt.date, budget: int, paused: set[dt.date], calendar: WorkingCalendar, state: ClockState
) -> dt.date:
    day, counted = first, 0
    for _ in range(MAX_DAYS):
        if day not in paused and _workday(calendar, day, state):
            counted += 1
            if counted == budget:
                return day
        day += DAY
    raise EvaluationError(f"no {budget} working days found within {MAX_DAYS} days")


def _paused_days(
    pauses: list[tuple[dt.datetime, dt.datetime | None]], tz: ZoneInfo, until: dt.datetime
) -> set[dt.date]:
    days: set[dt.date] = set()
    for paused, resumed in pauses:
        day = paused.astimezone(tz).date()
        end = (resumed or until).astimezone(tz).date()
        if resumed is None:
            end += DAY  # still paused: today is not counted either
        while day < end:
            days.add(day)
            day += DAY
    return days


def _workday(calendar: WorkingCalendar, day: dt.date, state: ClockState) -> bool:
    working, estimated = calendar.is_workday(day)
    state.estimated = state.estimated or estimated
    return working


def _status(
    state: ClockState,
    stop: TimelineEvent | None,
    pauses: list[tuple[dt.datetime, dt.datetime | None]],
    as_of: dt.datetime,
) -> None:
    assert state.due_at is not None and state.started_at is not None
    reference = stop.at if stop else as_of
    paused_seconds = sum(((r or reference) - p).total_seconds() for p, r in pauses)
    state.elapsed_seconds = int((reference - state.started_at).total_seconds() - paused_seconds)
    state.remaining_seconds = int((state.due_at - reference).total_seconds())
    if stop is not None:
        state.stopped_at = stop.at
        state.status = "met" if stop.at < state.due_at else "breached"
    elif as_of >= state.due_at:
        state.status = "breached"
    elif pauses and pauses[-1][1] is None:
        state.status = "paused"
    elif state.remaining_seconds <= state.node.due_soon_seconds:
        state.status = "due_soon"
    else:
        state.status = "running"
