"""SLA clocks of a ruleset over a claim's event timeline, and the portfolio sweep.

``claim_clocks`` is what a decision carries under ``sla`` (:class:`engine.decision.Clock`
models); ``sweep`` ranks the breached and due-soon clocks of many claims for the adjusters'
work queue.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic_core import TzInfo

from engine.decision import ClaimClock, Clock, Explanation, trusted
from engine.errors import TimelineError
from engine.explain import Labels, render
from engine.expression.native import Compiled, NativeCompiler
from engine.expression.types import suggest
from engine.program import TIMELINE, Facts, to_json
from engine.ruleset.ir import RulesetIR, SlaNode
from engine.sla.calendars import WorkingCalendar
from engine.sla.clock import ClockInputs, ClockState, TimelineEvent, compute_clock

URGENCY = {"breached": 0, "due_soon": 1}
_FIXED_OFFSET_TYPES = (dt.timezone, TzInfo)  # pydantic's parsed offsets are fixed too
NOT_STARTED = {"zh": "尚未开始计时", "en": "not started yet"}


@dataclass(frozen=True)
class CompiledSla:
    node: SlaNode
    applies_when: Compiled | None
    start_fact: Compiled | None
    start_where: Compiled | None


def compile_sla_nodes(ir: RulesetIR, compiler: NativeCompiler) -> list[CompiledSla]:
    def maybe(expr: Any) -> Compiled | None:
        return compiler.compile(expr.node) if expr is not None else None

    return [
        CompiledSla(n, maybe(n.applies_when), maybe(n.start_fact), maybe(n.start_where))
        for n in ir.sla
    ]


def timeline(ir: RulesetIR, facts: Facts) -> list[TimelineEvent]:
    """The counted events (:data:`engine.program.TIMELINE`: no void event, and under engine
    semantics 0.2.0 none after ``as_of``) in time order; an unknown event type is an error
    naming the event's index on the claim."""
    events = []
    for index, raw in facts[TIMELINE]:
        if ir.event_types and raw["type"] not in ir.event_types:
            hint = suggest(raw["type"], list(ir.event_types))
            raise TimelineError(
                index, f"unknown event type '{raw['type']}'" + (f" ({hint})" if hint else "")
            )
        at = _shared_offset(raw["at"])
        events.append(TimelineEvent(index, raw["type"], at, dict(raw.get("detail") or {})))
    return sorted(events, key=lambda e: (e.at, e.index))


@functools.lru_cache(maxsize=64)
def _fixed_offset(offset: dt.timedelta) -> dt.timezone:
    return dt.timezone(offset)


def _shared_offset(instant: dt.datetime) -> dt.datetime:
    """``instant`` with one shared tzinfo object per fixed UTC offset.

    Aware datetimes whose tzinfo objects differ compare ~40x slower than those sharing one
    (CPython then works out both UTC offsets, twice for PEP 495), and the clocks compare every
    event with every bound. Only fixed offsets are swapped (``datetime.timezone`` and the
    equivalent pydantic type): the instant, its offset and its ISO text stay the same. A zone
    with rules (``ZoneInfo``) is kept, since arithmetic on it differs from a fixed offset.
    """
    if type(instant.tzinfo) not in _FIXED_OFFSET_TYPES:
        return instant
    offset = instant.utcoffset()
    if offset is None:
        return instant
    return instant.replace(tzinfo=_fixed_offset(offset))


def claim_clocks(
    ir: RulesetIR,
    nodes: list[CompiledSla],
    facts: Facts,
    as_of: dt.datetime,
    tz: Any,
    currency: str,
) -> list[Clock]:
    events = timeline(ir, facts)
    as_of = _shared_offset(as_of)
    calendar = WorkingCalendar(ir.calendar.name, ir.calendar.beyond)
    out = []
    for compiled in nodes:
        applies = compiled.applies_when is None or compiled.applies_when(facts, None) is True
        start_fact = compiled.start_fact(facts, None) if compiled.start_fact else None
        inputs = ClockInputs(compiled.node, applies, start_fact, compiled.start_where)
        state = compute_clock(inputs, events, as_of, tz, calendar)
        out.append(clock_entry(state, facts, calendar, currency, tz, ir.labels))
    return out


def clock_entry(
    state: ClockState,
    facts: Facts,
    calendar: WorkingCalendar,
    currency: str,
    tz: Any,
    labels: Labels | None = None,
) -> Clock:
    """One clock as decisions carry it; instants are shown in the ruleset's time zone."""
    node = state.node
    clock = {
        "due_at": state.due_at,
        "due_date": state.due_date,
        "started_at": state.started_at,
        "duration": node.duration + state.extended_by,
        "unit": node.unit,
        "status": state.status,
    }

    def explain(lang: str) -> str:
        # A clock that has not started has no dates yet: say so instead of a blank.
        pending = {
            k: NOT_STARTED[lang] for k in ("due_at", "due_date", "started_at") if clock[k] is None
        }
        context = {**facts, "clock": {**clock, **pending}}
        template = node.explain.zh if lang == "zh" else node.explain.en
        return render(template, context, lang, currency, labels)

    return trusted(
        Clock,
        id=node.id,
        title=node.title,
        status=state.status,
        started_at=to_json(_local(state.started_at, tz)),
        due_at=to_json(_local(state.due_at, tz)),
        due_date=to_json(state.due_date),
        stopped_at=to_json(_local(state.stopped_at, tz)),
        remaining_seconds=state.remaining_seconds,
        elapsed_seconds=state.elapsed_seconds,
        duration=node.duration,
        unit=node.unit,
        extended_by=state.extended_by,
        breach_action=node.breach_action,
        legal_basis=node.legal_basis,
        explanation=trusted(Explanation, zh=explain("zh"), en=explain("en")),
        events=tuple(state.moves),
        calendar=calendar.source
        if node.unit == "working_days" or node.roll_to_working_day
        else None,
        calendar_estimated=state.estimated,
    )


def _local(value: dt.datetime | None, tz: Any) -> dt.datetime | None:
    return value.astimezone(tz) if value is not None else None


def sweep(claims: Iterable[tuple[str, Iterable[Clock]]]) -> list[ClaimClock]:
    """Breached and due-soon clocks of many claims (claim id, its clocks), most urgent first.

    Breached clocks come first, the longest overdue first; then due-soon clocks, the
    soonest deadline first; ties by claim id and clock id so the order is stable.
    """
    found = [
        trusted(ClaimClock, claim_id=claim_id, **dict(clock))
        for claim_id, clocks in claims
        for clock in clocks
        if clock.status in URGENCY
    ]
    return sorted(
        found, key=lambda c: (URGENCY[c.status], c.remaining_seconds or 0, c.claim_id, c.id)
    )
