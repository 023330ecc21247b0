"""Computing a claim's SLA index rows: bounds on each clock that hold for every ``as_of``.

See :mod:`api.sla_index` for what each bound promises and why it holds.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from api.rulesets import LoadedRuleset, RulesetUnavailable
from engine.claim import Claim
from engine.decision import ClockEvent
from engine.errors import EngineError
from engine.expression.nodes import Node, Path, walk
from engine.program import Facts, Program
from engine.sla import CompiledSla, timeline
from engine.sla.calendars import WorkingCalendar
from engine.sla.clock import MAX_DAYS, ClockInputs, TimelineEvent, compute_clock

__all__ = [
    "ClaimIndex",
    "ClockBounds",
    "Rulesets",
    "arrival_dependence",
    "index_claim",
    "seconds",
    "time_dependence",
]


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)
#: Facts that change with ``as_of``.
_CLOCK_FACTS = frozenset({"as_of", "today"})
#: Facts the engine reads as of ``as_of`` (engine semantics 0.2.0): they grow as things arrive.
_ARRIVING = frozenset({"events", "documents"})


class Rulesets(Protocol):
    """What the index needs of :class:`api.rulesets.RulesetCatalog`."""

    def folder_for(self, claim: Claim) -> Any: ...

    def get(self, name: str) -> LoadedRuleset: ...


@dataclass(frozen=True, slots=True)
class ClockBounds:
    """One ``sla_clock`` row (see the module docstring for what each bound promises)."""

    node_id: str
    status: str
    started_at: int | None = None
    due_soon_at: int | None = None
    due_at: int | None = None
    stopped_at: int | None = None


@dataclass(frozen=True, slots=True)
class ClaimIndex:
    """One ``sla_claim`` row and its clocks; ``reason`` is set when undecided."""

    claim_id: str
    folder: str
    ruleset_id: str | None = None
    ruleset_version: str | None = None
    content_hash: str | None = None
    reason: str | None = None
    clocks: tuple[ClockBounds, ...] = ()


class _Undecided(Exception):
    """The bounds of a clock cannot be promised; the claim is always computed."""


def seconds(instant: dt.datetime) -> int:
    """Whole Unix seconds, rounded down (exact: no float)."""
    return (instant - EPOCH) // SECOND


def index_claim(claim: Claim, rulesets: Rulesets) -> ClaimIndex:
    """The index rows of ``claim`` under the ruleset it is routed to now."""
    folder = rulesets.folder_for(claim).name
    try:
        loaded = rulesets.get(folder)
    except RulesetUnavailable as exc:
        return ClaimIndex(claim.claim_id, folder, reason=str(exc))
    program = loaded.program
    identity = program.ir.identity
    made = functools.partial(
        ClaimIndex,
        claim.claim_id,
        folder,
        identity.id,
        identity.version,
        loaded.snapshot.content_hash,
    )
    reason = time_dependence(program)
    if reason is not None:
        return made(reason)
    try:
        return made(None, tuple(_bounds(program, claim)))
    except (EngineError, ArithmeticError, ValueError) as exc:  # the engine raises the same
        return made(f"the clocks cannot be computed: {exc}")
    except _Undecided as exc:
        return made(str(exc))


@functools.lru_cache(maxsize=64)
def time_dependence(program: Program) -> str | None:
    """Why the clocks' facts may change with ``as_of`` (``None``: they cannot).

    Every fact but ``as_of`` and ``today`` is the same at every instant unless a derived
    fact or a table input reads one of those two (a derived fact may then also fail at some
    instants only), or a clock's ``applies_when``/``start_fact`` does.
    """
    ir = program.ir
    read: list[tuple[str, Node]] = [(f"derived fact '{d.name}'", d.expr.node) for d in ir.derives]
    read += [(f"table '{t.id}'", i.expr.node) for t in ir.tables for i in t.inputs]
    read += [
        (f"SLA '{n.id}'", e.node)
        for n in ir.sla
        for e in (n.applies_when, n.start_fact)
        if e is not None
    ]
    for what, node in read:
        if any(
            isinstance(n, Path) and not n.relative and n.parts[0] in _CLOCK_FACTS
            for n in walk(node)
        ):
            return f"{what} reads as_of/today: the clocks are computed at each request"
    return None


def _bounds(program: Program, claim: Claim) -> Iterator[ClockBounds]:
    ir = program.ir
    arrivals = _arrivals(claim)
    # From the last arrival on, every instant gives the same facts (time_dependence; the
    # engine reads events and documents as of ``as_of``): the clocks' facts are those.
    facts = program.facts(claim, arrivals[-1] if arrivals else EPOCH)
    earlier = (
        [(at, program.facts(claim, at)) for at in _instants_before(arrivals)]
        if arrival_dependence(program)
        else []
    )
    events = timeline(ir, facts)
    calendar = WorkingCalendar(ir.calendar.name, ir.calendar.beyond)
    for compiled in program.sla:
        _same_at_every_instant(compiled, facts, earlier, events)
        yield _clock(compiled, facts, events, program.tz, calendar)


def _arrivals(claim: Claim) -> list[dt.datetime]:
    """The instants at which what the rules read can change: events and documents arriving."""
    instants = {e.at for e in claim.events if e.void is None}
    instants |= {d.received_at for d in claim.documents}
    return sorted(instants)


def _instants_before(arrivals: list[dt.datetime]) -> list[dt.datetime]:
    """One ``as_of`` inside each stretch of time before the last arrival (facts are constant
    within one): just before the first arrival, then each arrival but the last."""
    if not arrivals:
        return []
    return [arrivals[0] - dt.timedelta(microseconds=1), *arrivals[:-1]]


@functools.lru_cache(maxsize=64)
def arrival_dependence(program: Program) -> bool:
    """True when a derived fact, a table input or a clock's ``applies_when``/``start_fact``
    reads ``events`` or ``documents``, which the engine reads as of ``as_of``."""
    ir = program.ir
    nodes: list[Node] = [d.expr.node for d in ir.derives]
    nodes += [i.expr.node for t in ir.tables for i in t.inputs]
    nodes += [e.node for n in ir.sla for e in (n.applies_when, n.start_fact) if e is not None]
    return any(
        isinstance(n, Path) and not n.relative and n.parts[0] in _ARRIVING
        for node in nodes
        for n in walk(node)
    )


def _same_at_every_instant(
    compiled: CompiledSla,
    facts: Facts,
    earlier: list[tuple[dt.datetime, Facts]],
    events: list[TimelineEvent],
) -> None:
    """The rows hold for every ``as_of`` when, wherever the clock applies before the claim's
    last arrival, it also applies in the end and starts from the same fact: an instant at which
    it does not apply cannot make it urgent, nor can one before its first start event."""
    node = compiled.node
    since = None
    if compiled.start_fact is None:
        since = next((e.at for e in events if e.type in node.start_events), None)
        if since is None:
            return  # never started at any as_of
    final = _fact_inputs(compiled, facts)
    seen = [_fact_inputs(compiled, f) for at, f in earlier if since is None or at >= since]
    if any(applies and (applies, start) != final for applies, start in seen):
        raise _Undecided(
            f"SLA '{compiled.node.id}' applies or starts differently before the claim's last "
            "event or document arrived"
        )


def _fact_inputs(compiled: CompiledSla, facts: Facts) -> tuple[object, object]:
    applies = compiled.applies_when is None or compiled.applies_when(facts, None) is True
    start = compiled.start_fact(facts, None) if compiled.start_fact else None
    return applies, start


def _clock(
    compiled: CompiledSla,
    facts: Facts,
    events: list[TimelineEvent],
    tz: Any,
    calendar: WorkingCalendar,
) -> ClockBounds:
    """The bounds of one clock, mirroring :func:`engine.sla.claim_clocks`."""
    node = compiled.node
    if compiled.applies_when is not None and compiled.applies_when(facts, None) is not True:
        return ClockBounds(node.id, "not_applicable")
    start_fact = compiled.start_fact(facts, None) if compiled.start_fact else None
    fact_start = _fact_instant(start_fact, tz)
    instants = [e.at for e in events] + ([fact_start] if fact_start else [])
    if not instants:
        return ClockBounds(node.id, "not_started")
    # Every event seen: how the clock ends (a stopped clock stays as it was at its stop).
    inputs = ClockInputs(node, True, start_fact, compiled.start_where)
    final = compute_clock(inputs, events, max(instants), tz, calendar)
    if final.started_at is None:
        return ClockBounds(node.id, "not_started")
    start = fact_start or _first_start(final.moves, events)
    # The earliest deadline: from that start, with nothing seen that moves it later.
    earliest = compute_clock(ClockInputs(node, True, start, None), [], start, tz, calendar)
    due = earliest.due_at
    assert due is not None
    if node.unit == "working_days" and (due - start).days * 2 > MAX_DAYS:
        # Pauses could push the engine's day walk past its bound at some as_of: let it say.
        raise _Undecided(f"SLA '{node.id}' is too long to bound")
    return ClockBounds(
        node.id,
        final.status if final.stopped_at is not None else "open",
        started_at=seconds(start),
        due_soon_at=seconds(due - node.due_soon_seconds * SECOND - SECOND),
        due_at=seconds(due),
        stopped_at=seconds(final.stopped_at) if final.stopped_at is not None else None,
    )


def _fact_instant(value: Any, tz: Any) -> dt.datetime | None:
    """Where a start fact starts the clock (as :func:`engine.sla.clock.compute_clock` does)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time(), tz)


def _first_start(moves: list[ClockEvent], events: list[TimelineEvent]) -> dt.datetime:
    index = next(m.index for m in moves if m.effect == "start")
    return next(e.at for e in events if e.index == index)
