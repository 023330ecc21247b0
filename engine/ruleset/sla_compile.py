"""Compile the ``sla``, ``events`` and ``calendar`` sections into SLA nodes."""

from __future__ import annotations

import re
from typing import Any

from engine.claim import Event
from engine.expression.types import STRING as STRING_T
from engine.expression.types import Scope, T, model_type, record
from engine.ruleset.context import CompileContext
from engine.ruleset.ir import CalendarConfig, Explanation, SlaExtension, SlaNode
from engine.ruleset.placeholders import check_placeholders
from engine.ruleset.schema import CALENDAR, EVENT_TYPE, SLA, SLA_EXTENSION, SLA_PAUSE

_DUE_SOON = re.compile(r"^\s*(\d+)\s*([hd])\s*$")
# What an SLA explanation may name besides facts: {clock.due_date}, {clock.duration} ...
CLOCK_TYPE = record(
    {
        "due_at": T("datetime"),
        "due_date": T("date"),
        "started_at": T("datetime"),
        "duration": T("number"),
        "unit": STRING_T,
        "status": STRING_T,
    }
)


def compile_calendar(ctx: CompileContext, data: Any) -> CalendarConfig:
    raw = data.get("calendar")
    if raw is None:
        return CalendarConfig()
    if not ctx.check_keys(raw, CALENDAR, "calendar", ctx.at(data, "calendar")):
        return CalendarConfig()
    return CalendarConfig(str(raw.get("name", "CN")), str(raw.get("beyond", "error")))


def compile_event_types(
    ctx: CompileContext, entries: list[tuple[str, Any, int, Any]]
) -> tuple[str, ...]:
    """The ``events`` entries of every file of the ruleset, in include order."""
    out: list[str] = []
    for file, entry, index, container in entries:
        ctx.file = file
        where = ctx.at(container, index)
        if ctx.check_keys(entry, EVENT_TYPE, f"event type #{index + 1}", where) and "type" in entry:
            kind = str(entry["type"])
            if kind in out:
                ctx.bag.error(
                    "E-DUP",
                    f"event type '{kind}' is declared twice",
                    **ctx.at(entry, "type").kw(),
                    suggestion="declare each event type once",
                )
                continue
            out.append(kind)
    return tuple(out)


def compile_sla(
    ctx: CompileContext,
    entries: list[tuple[str, Any, int, Any]],
    scope: Scope,
    event_types: tuple[str, ...],
) -> list[SlaNode]:
    nodes: list[SlaNode] = []
    seen: set[str] = set()
    for file, data, index, container in entries:
        ctx.file = file
        node = _node(ctx, data, ctx.at(container, index), scope, event_types)
        if node is None:
            continue
        if node.id in seen:
            ctx.bag.error("E-DUP", f"duplicate SLA node '{node.id}'", **ctx.at(data, "id").kw())
            continue
        seen.add(node.id)
        nodes.append(node)
    return nodes


def _node(
    ctx: CompileContext, data: Any, where: Any, scope: Scope, event_types: tuple[str, ...]
) -> SlaNode | None:
    label = f"SLA node '{data.get('id')}'" if isinstance(data, dict) else "SLA node"
    if not ctx.check_keys(data, SLA, label, where):
        return None
    ok = True
    starts = _event_list(ctx, data, "start_event", event_types, label)
    stops = _event_list(ctx, data, "stop_event", event_types, label)
    restarts = _event_list(ctx, data, "restart_event", event_types, label)
    if not starts and "start_fact" not in data:
        ctx.bag.error("E-SLA", f"{label} needs start_event or start_fact", **where.kw())
        ok = False
    event_scope = Scope(scope.facts, [model_type(Event)], scope.tables)
    start_where = _optional_expr(ctx, data, "start_where", event_scope, "bool")
    start_fact = _optional_expr(ctx, data, "start_fact", scope, "")
    if start_fact is not None and start_fact.type.kind not in ("date", "datetime"):
        ctx.bag.error(
            "E-TYPE", f"start_fact must be a date, not {start_fact.type}", **start_fact.where.kw()
        )
        ok = False
    applies = _optional_expr(ctx, data, "applies_when", scope, "bool")
    explain = ctx.explanation(data, label) if "explain" in data else None
    if explain is not None:
        _check_placeholders(ctx, data["explain"], scope, label)
    pauses = _pauses(ctx, data, event_types, label)
    extension = _extension(ctx, data, event_types, label)
    due_soon = _due_soon(ctx, data)
    required = ("id", "title", "duration", "unit", "breach_action", "legal_basis")
    if not ok or explain is None or not all(k in data for k in required):
        return None
    if int(data["duration"]) <= 0:
        ctx.bag.error(
            "E-SLA", f"{label}: duration must be positive", **ctx.at(data, "duration").kw()
        )
        return None
    unit = str(data["unit"])
    return SlaNode(
        id=str(data["id"]),
        title=str(data["title"]),
        start_events=starts,
        stop_events=stops,
        duration=int(data["duration"]),
        unit=unit,
        breach_action=str(data["breach_action"]),
        legal_basis=tuple(str(b) for b in data["legal_basis"]),
        explain=explain,
        start_where=start_where,
        start_fact=start_fact,
        restart_events=restarts,
        start_rule=str(data.get("start_rule", "next_day")),
        roll_to_working_day=bool(data.get("roll_to_working_day", False)),
        pauses=pauses,
        extension=extension,
        applies_when=applies,
        due_soon_seconds=due_soon,
        where=where,
    )


def _event_list(
    ctx: CompileContext, data: Any, key: str, event_types: tuple[str, ...], label: str
) -> tuple[str, ...]:
    raw = data.get(key)
    if raw is None:
        return ()
    values = [str(v) for v in raw] if isinstance(raw, list) else [str(raw)]
    for value in values:
        _known_event(ctx, data, key, value, event_types, label)
    return tuple(values)


def _known_event(
    ctx: CompileContext, data: Any, key: str, value: str, event_types: tuple[str, ...], label: str
) -> None:
    if event_types and value not in event_types:
        from engine.expression.types import suggest

        ctx.bag.error(
            "E-EVENT",
            f"{label}: unknown event type '{value}'",
            **ctx.at(data, key).kw(),
            suggestion=suggest(value, list(event_types)) or "declare it under events:",
        )


def _optional_expr(ctx: CompileContext, data: Any, key: str, scope: Scope, want: str) -> Any:
    if key not in data:
        return None
    return ctx.expression(data, key, scope, want=want)


def _pauses(
    ctx: CompileContext, data: Any, event_types: tuple[str, ...], label: str
) -> tuple[tuple[str, str], ...]:
    raw = data.get("pause_events") or []
    out = []
    for i, pair in enumerate(raw if isinstance(raw, list) else []):
        if ctx.check_keys(pair, SLA_PAUSE, f"{label} pause #{i + 1}", ctx.at(raw, i)) and all(
            k in pair for k in ("pause", "resume")
        ):
            for k in ("pause", "resume"):
                _known_event(ctx, pair, k, str(pair[k]), event_types, label)
            out.append((str(pair["pause"]), str(pair["resume"])))
    return tuple(out)


def _extension(
    ctx: CompileContext, data: Any, event_types: tuple[str, ...], label: str
) -> SlaExtension | None:
    raw = data.get("extension")
    if raw is None:
        return None
    if not ctx.check_keys(raw, SLA_EXTENSION, f"{label} extension", ctx.at(data, "extension")):
        return None
    if "event" not in raw or "max" not in raw:
        return None
    _known_event(ctx, raw, "event", str(raw["event"]), event_types, label)
    return SlaExtension(
        str(raw["event"]),
        int(raw["max"]),
        bool(raw.get("requires_approval", True)),
        bool(raw.get("requires_notice", True)),
    )


def _due_soon(ctx: CompileContext, data: Any) -> int:
    raw = data.get("due_soon")
    if raw is None:
        return 0
    match = _DUE_SOON.match(str(raw))
    if match is None:
        ctx.bag.error(
            "E-SLA",
            f"due_soon '{raw}' is not a duration",
            **ctx.at(data, "due_soon").kw(),
            suggestion="write hours or days, e.g. 48h or 2d",
        )
        return 0
    return int(match.group(1)) * (3600 if match.group(2) == "h" else 86400)


def _check_placeholders(ctx: CompileContext, explain: Any, scope: Scope, label: str) -> None:
    with_clock = Scope(scope.facts.with_field("clock", CLOCK_TYPE), [], scope.tables)
    check_placeholders(ctx, explain, with_clock, label)


__all__ = ["CLOCK_TYPE", "Explanation", "compile_calendar", "compile_event_types", "compile_sla"]
