"""The timeline check: accept an intake, a new event or a void, or name the rule it breaks.

What counts: the claim's current events (void ones are skipped), in time order (ties by their
position). Besides the ruleset's ``lifecycle.rules``, four rules hold on every ruleset:

``timeline.event_type``
    the event type is declared under the ruleset's ``events:``.
``timeline.order``
    an event is not dated before an event already on the timeline, unless it carries
    ``backdated: {reason}`` (an event recorded late, say a letter found in the post).
``timeline.before_received``
    until the claim is received (the lifecycle's ``received`` event), and before the instant
    it was received, only ``before_received`` types may occur (``loss_reported``): also when
    backdated. A claim received at 09:12 can have its loss reported at 09:00, never a
    decision at 09:00.
``timeline.future``
    an event is not dated after the instant it is recorded (plus a small clock skew).

Each of the ruleset's rules governs the events of its ``event`` types and needs, from the
current events dated before it: ``after`` (one of these types), ``open`` (one of these not yet
closed by an event of the rule's own types since), ``once`` (no other of its type), ``detail``
(these keys, non-empty).

Only what a change *adds* is refused: a timeline recorded before a rule existed keeps its old
violations, and each new event, void or intake is judged by the violations it introduces,
anywhere on the timeline (a backdated event can break a later one; voiding a request can leave
a later completion without one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from engine.claim import Event, Voiding
from engine.lifecycle.errors import TimelineRuleError, Violation, VoidError
from engine.ruleset.ir import Lifecycle, LifecycleRule, RulesetIR

__all__ = [
    "BEFORE_RECEIVED",
    "EVENT_TYPE",
    "FUTURE",
    "ORDER",
    "check_addition",
    "check_intake",
    "check_void",
    "current_order",
    "violations",
]

EVENT_TYPE = "timeline.event_type"
ORDER = "timeline.order"
BEFORE_RECEIVED = "timeline.before_received"
FUTURE = "timeline.future"


def current_order(events: Sequence[Event]) -> list[int]:
    """Positions of the current (non-void) events, in time order (ties by position)."""
    return sorted(
        (i for i, e in enumerate(events) if e.void is None), key=lambda i: (events[i].at, i)
    )


def violations(ir: RulesetIR, events: Sequence[Event]) -> list[Violation]:
    """Every rule the timeline breaks, by event position then rule id."""
    found = _event_types(ir, events) + _order(events)
    lifecycle = ir.lifecycle
    if lifecycle is not None:
        found += _before_received(lifecycle, events)
        order = current_order(events)
        for position, index in enumerate(order):
            prior = [events[i] for i in order[:position]]
            found += _rules(lifecycle, index, events[index], prior)
    return sorted(found, key=lambda v: (v.index, v.rule_id))


def check_intake(
    ir: RulesetIR, events: Sequence[Event], *, recorded_at: dt.datetime, skew: dt.timedelta
) -> None:
    """A claim's timeline as taken in: every violation counts."""
    found = violations(ir, events)
    found += [v for i, e in enumerate(events) if (v := _future(i, e, recorded_at, skew))]
    if found:
        raise TimelineRuleError(sorted(found, key=lambda v: (v.index, v.rule_id)))


def check_addition(
    ir: RulesetIR,
    events: Sequence[Event],
    new: Event,
    *,
    recorded_at: dt.datetime,
    skew: dt.timedelta,
) -> None:
    """``new`` appended to ``events``: refused with the violations it introduces."""
    if new.void is not None:
        raise TimelineRuleError(
            [Violation(rule_id=ORDER, index=len(events), reason="a new event cannot be void",
                       suggestion="add it, then void it with a reason")]
        )  # fmt: skip
    before = _keys(violations(ir, events))
    found = [v for v in violations(ir, [*events, new]) if (v.rule_id, v.index) not in before]
    future = _future(len(events), new, recorded_at, skew)
    if future is not None:
        found.append(future)
    if found:
        raise TimelineRuleError(found)


def check_void(ir: RulesetIR, events: Sequence[Event], index: int, voiding: Voiding) -> Event:
    """The event at ``index`` marked void, if voiding it breaks no rule for the events left."""
    if not 0 <= index < len(events):
        raise VoidError(index, f"there is no such event (the timeline has {len(events)})")
    target = events[index]
    if target.void is not None:
        raise VoidError(index, f"'{target.type}' is already void ({target.void.reason})")
    voided = target.model_copy(update={"void": voiding})
    before = _keys(violations(ir, events))
    after = [*events[:index], voided, *events[index + 1 :]]
    found = [
        v.model_copy(
            update={"suggestion": f"void events[{v.index}] first, or keep events[{index}]"}
        )
        for v in violations(ir, after)
        if (v.rule_id, v.index) not in before
    ]
    if found:
        raise TimelineRuleError(found)
    return voided


def _keys(found: list[Violation]) -> set[tuple[str, int]]:
    return {(v.rule_id, v.index) for v in found}


def _event_types(ir: RulesetIR, events: Sequence[Event]) -> list[Violation]:
    if not ir.event_types:
        return []
    return [
        Violation(
            rule_id=EVENT_TYPE,
            index=i,
            reason=f"'{e.type}' is not an event type of ruleset {ir.identity.id}",
            suggestion=f"use one of {', '.join(ir.event_types)}",
        )
        for i, e in enumerate(events)
        if e.void is None and e.type not in ir.event_types
    ]


def _order(events: Sequence[Event]) -> list[Violation]:
    found = []
    latest: Event | None = None
    for index, event in enumerate(events):
        if event.void is not None:
            continue
        if latest is not None and event.at < latest.at and event.backdated is None:
            found.append(
                Violation(
                    rule_id=ORDER,
                    index=index,
                    reason=f"dated {event.at.isoformat()}, before the latest event on the "
                    f"timeline ('{latest.type}' at {latest.at.isoformat()})",
                    suggestion="date it at or after that event, or mark it backdated with a reason",
                )
            )
        if latest is None or event.at > latest.at:
            latest = event
    return found


def _before_received(lifecycle: Lifecycle, events: Sequence[Event]) -> list[Violation]:
    received = [e.at for e in events if e.void is None and e.type == lifecycle.received]
    since = min(received, default=None)
    allowed = ", ".join(lifecycle.before_received) or "nothing"
    found = []
    for index, event in enumerate(events):
        if event.void is not None or event.type in (lifecycle.received, *lifecycle.before_received):
            continue
        if since is None:
            reason = (
                f"the claim has not been received ('{lifecycle.received}'): before it, only "
                f"{allowed} may occur"
            )
            suggestion = f"record {lifecycle.received} first"
        elif event.at < since:
            reason = (
                f"dated before the claim was received ({since.isoformat()}); only {allowed} may be"
            )
            suggestion = f"date it at or after {since.isoformat()}"
        else:
            continue
        found.append(
            Violation(rule_id=BEFORE_RECEIVED, index=index, reason=reason, suggestion=suggestion)
        )
    return found


def _rules(lifecycle: Lifecycle, index: int, event: Event, prior: list[Event]) -> list[Violation]:
    found = []
    for rule in lifecycle.rules:
        if event.type not in rule.events:
            continue
        for reason, suggestion in _broken(rule, event, prior):
            found.append(
                Violation(
                    rule_id=rule.id,
                    index=index,
                    reason=reason,
                    suggestion=rule.suggestion or suggestion,
                )
            )
    return found


def _broken(rule: LifecycleRule, event: Event, prior: list[Event]) -> list[tuple[str, str]]:
    """(reason, what to do) for every check of ``rule`` that ``event`` fails."""
    out = []
    if rule.after and not any(p.type in rule.after for p in prior):
        wanted = " or ".join(rule.after)
        out.append((f"'{event.type}' needs an earlier {wanted}", f"record {rule.after[0]} first"))
    if rule.open:
        last = next((p for p in reversed(prior) if p.type in (*rule.open, *rule.events)), None)
        if last is None or last.type not in rule.open:
            wanted = " or ".join(rule.open)
            out.append(
                (
                    f"'{event.type}' needs an open {wanted} (one not yet closed by a "
                    f"{' or '.join(rule.events)})",
                    f"record {rule.open[0]} first",
                )
            )
    if rule.once and any(p.type == event.type for p in prior):
        out.append(
            (
                f"a claim has one '{event.type}', and it is already on the timeline",
                "void the earlier one first if this one replaces it",
            )
        )
    for key in rule.detail:
        if event.detail.get(key) in (None, "", [], {}):
            out.append((f"'{event.type}' needs detail.{key}", f"add detail.{key}"))
    return out


def _future(
    index: int, event: Event, recorded_at: dt.datetime, skew: dt.timedelta
) -> Violation | None:
    if event.at <= recorded_at + skew:
        return None
    return Violation(
        rule_id=FUTURE,
        index=index,
        reason=f"dated {event.at.isoformat()}, after it is recorded ({recorded_at.isoformat()})",
        suggestion="record it once it has happened",
    )
