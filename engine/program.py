"""An executable ruleset: the IR plus its compiled closures and the fact stage.

Built once per ruleset version and shared by both backends. The fact stage turns a claim
into the nested fact dict (claim fields, ``as_of``, ``today``, derived facts, per-line facts)
exactly once per evaluation; backends only decide which rules match those facts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from engine.claim import Claim
from engine.errors import EvaluationError
from engine.expression.native import Compiled, NativeCompiler, lookup
from engine.expression.nodes import Call, Node, Path, walk
from engine.expression.numbers import canonical_number
from engine.masking import mask_fact
from engine.ruleset.ir import Rule, RulesetIR
from engine.ruleset.tables import table_function
from engine.semantics import Semantics

Facts = dict[str, Any]
#: Facts key of the counted events with their index on the claim, for the SLA clocks; not a
#: name the condition language can spell, so no rule reads it.
TIMELINE = "__timeline__"


@dataclass(frozen=True)
class TraceKey:
    """How to read one value a rule looked at, for the trace."""

    label: str
    parts: tuple[str, ...]
    item_parts: tuple[str, ...] | None = None  # set for ``list[].field`` keys


@dataclass
class CompiledRule:
    rule: Rule
    test: Compiled
    trace_keys: tuple[TraceKey, ...]


class Program:
    def __init__(self, ir: RulesetIR) -> None:
        self.ir = ir
        self.tz = ZoneInfo(ir.timezone)
        tables: dict[str, Compiled] = {}
        compiler = NativeCompiler(tables)
        for table in ir.tables:  # later tables may call earlier ones
            tables[table.id] = table_function(table, compiler)
        self.compiler = compiler
        self.derives = [(d.name, d.scope, compiler.compile(d.expr.node)) for d in ir.derives]
        self.rules = [
            CompiledRule(r, compiler.compile(r.condition.node), trace_keys(r.condition.node))
            for r in ir.rules_in_order()
        ]
        self.steps = [(s, compiler.compile(s.expr.node)) for s in ir.benefit]
        from engine.sla import compile_sla_nodes  # engine.sla builds on this module

        self.sla = compile_sla_nodes(ir, compiler)

    def facts(
        self, claim: Claim, as_of: dt.datetime, *, semantics: Semantics | None = None
    ) -> Facts:
        """The fact dict a claim presents to the rules at ``as_of``, under ``semantics``
        (:mod:`engine.semantics`; default: the current one)."""
        semantics = semantics or Semantics()
        if as_of.tzinfo is None:
            raise EvaluationError("as_of must include a UTC offset", path="as_of")
        facts: Facts = claim.model_dump(mode="python")
        _as_of_view(facts, as_of, semantics)
        facts["as_of"] = as_of
        facts["today"] = as_of.astimezone(self.tz).date()
        items = facts["items"]
        for name, scope, fn in self.derives:
            try:
                if scope == "line":
                    for item in items:
                        item[name] = fn({**facts, "line": item}, None)
                else:
                    facts[name] = fn(facts, None)
            except EvaluationError as exc:
                raise EvaluationError(f"derived fact '{name}': {exc.reason}", path=name) from exc
        return facts


def _as_of_view(facts: Facts, as_of: dt.datetime, semantics: Semantics) -> None:
    """What of the timeline and the documents exists for this evaluation, in place.

    A void event never counts (it stays on the claim, marked, for history). Under
    :attr:`Semantics.reads_as_of` an event dated after ``as_of`` or a document received after
    it does not exist yet. Clocks name events by their position on the claim, so the events
    kept are also stored under :data:`TIMELINE` with their original index.
    """
    kept = [(i, e) for i, e in enumerate(facts["events"]) if e.get("void") is None]
    if semantics.reads_as_of:
        kept = [(i, e) for i, e in kept if e["at"] <= as_of]
        facts["documents"] = [d for d in facts["documents"] if d["received_at"] <= as_of]
    facts["events"] = [e for _, e in kept]
    facts[TIMELINE] = kept


def line_facts(facts: Facts) -> list[Facts]:
    return [{**facts, "line": item} for item in facts["items"]]


def trace_keys(node: Node) -> tuple[TraceKey, ...]:
    """The values a condition reads, named as an author would: ``items[].category``."""
    keys: dict[str, TraceKey] = {}
    item_sources: set[tuple[str, ...]] = set()
    for sub in walk(node):
        if (
            isinstance(sub, Call)
            and len(sub.args) == 2
            and isinstance(sub.args[0], Path)
            and not sub.args[0].relative
        ):
            src = sub.args[0]
            for inner in walk(sub.args[1]):
                if isinstance(inner, Path) and inner.relative:
                    label = f"{src.dotted}[].{inner.dotted}"
                    keys.setdefault(label, TraceKey(label, src.parts, inner.parts))
                    item_sources.add(src.parts)
    for sub in walk(node):
        if isinstance(sub, Path) and not sub.relative and sub.parts not in item_sources:
            keys.setdefault(sub.dotted, TraceKey(sub.dotted, sub.parts))
    return tuple(sorted(keys.values(), key=lambda k: k.label))


def trace_values(keys: tuple[TraceKey, ...], facts: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in keys:
        value = lookup(facts, key.parts)
        if key.item_parts is not None:
            values = value if isinstance(value, list) else []
            out[key.label] = [to_json(lookup(v, key.item_parts)) for v in values]
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            out[f"count({key.label})"] = len(value)
        else:
            out[key.label] = mask_fact(key.label, to_json(value))
    return out


def to_json(value: Any) -> Any:
    """Canonical JSON form of a fact value (dates ISO, Decimals as strings)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return canonical_number(value)
