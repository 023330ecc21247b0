"""Why a rule's condition held or failed on a claim: ``explain_rule`` (``claims evaluate
--explain RULE_ID``).

The rule's condition is compiled with the recorder of condition coverage
(:class:`engine.coverage.RecordingCompiler`) and evaluated on the claim's facts, once for a
claim-scope rule and once per line for a line-scope rule. The result is a tree of the
condition's ``and``/``or`` operands, keyed as coverage reports them (``"1.0"``: operand 0 of
the ``and``/``or`` inside operand 1), each with its text, the values it evaluated to and the
facts it read (masked as in the decision's trace). Short-circuiting is kept: an operand after
a false ``and`` operand (or a true ``or`` operand) has no value, as the backends never look
at it. An operand inside a list function (``any(items, .a and .b)``) has one value per item
it was evaluated on. The verdict is the rule's own compiled condition, the one both backends
must agree with; a rule with an effective-date window has the window's comparisons as its
first operands.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, JsonValue

from engine.claim import Claim
from engine.coverage import RecordingCompiler
from engine.errors import EvaluationError, UnknownRuleError
from engine.expression.nodes import BoolOp, Node
from engine.expression.text import expression_text
from engine.expression.types import suggest
from engine.program import CompiledRule, Facts, Program, line_facts, trace_keys, trace_values
from engine.semantics import Semantics

__all__ = ["ConditionResult", "OperandResult", "RuleExplanation", "explain_rule"]

Combinator = Literal["and", "or"]


class OperandResult(BaseModel):
    """One ``and``/``or`` operand: what it says, what it evaluated to, what it read."""

    model_config = ConfigDict(frozen=True)

    key: str
    text: str
    #: One value per evaluation, in order; empty when short-circuiting skipped it.
    results: tuple[bool, ...]
    facts: dict[str, JsonValue]
    #: How ``operands`` combine, when this operand holds an ``and``/``or`` itself.
    combined_by: Combinator | None = None
    operands: tuple[OperandResult, ...] = ()


class ConditionResult(BaseModel):
    """The condition on the claim (``line_id`` None) or on one line."""

    model_config = ConfigDict(frozen=True)

    line_id: int | None
    held: bool
    combined_by: Combinator
    operands: tuple[OperandResult, ...]


class RuleExplanation(BaseModel):
    model_config = ConfigDict(frozen=True)

    rule_id: str
    title: str
    scope: str
    outcome: str
    #: The author's ``when``, as written (whitespace collapsed).
    when: str
    #: The effective-date window; its comparisons come first among the operands.
    effective_from: dt.date | None
    effective_to: dt.date | None
    results: tuple[ConditionResult, ...]


def explain_rule(
    program: Program,
    claim: Claim,
    rule_id: str,
    *,
    as_of: dt.datetime,
    semantics: Semantics | None = None,
) -> RuleExplanation:
    """Evaluate one rule's condition on ``claim`` at ``as_of`` operand by operand.

    Raises :class:`UnknownRuleError` (with a "did you mean") for a rule the ruleset lacks and
    :class:`EvaluationError` (naming the rule) when the condition cannot be evaluated.
    """
    compiled = _rule(program, rule_id)
    rule = compiled.rule
    node = rule.condition.node
    root = node if isinstance(node, BoolOp) else BoolOp("and", (node,), col=node.col)
    seen: dict[str, list[bool]] = {}
    keys: list[str] = []
    nodes: dict[str, tuple[str, Node]] = {}
    recorder = RecordingCompiler(
        program.compiler, lambda key, value: seen.setdefault(key, []).append(value), keys, nodes
    )
    recorded = recorder.compile(root)
    facts = program.facts(claim, as_of, semantics=semantics)
    results = []
    for target in line_facts(facts) if rule.scope == "line" else [facts]:
        seen.clear()
        try:
            held = compiled.test(target, None) is True
            recorded(target, None)
        except EvaluationError as exc:
            raise EvaluationError(exc.reason, rule_id=rule.id, path=exc.path) from exc
        line_id = target["line"]["line_id"] if rule.scope == "line" else None
        operands = _operands("", nodes, seen, target)
        results.append(
            ConditionResult(
                line_id=line_id, held=held, combined_by=_combinator(root.op), operands=operands
            )
        )
    return RuleExplanation(
        rule_id=rule.id,
        title=rule.title,
        scope=rule.scope,
        outcome=rule.outcome,
        when=" ".join(rule.when.source.split()),
        effective_from=rule.effective_from,
        effective_to=rule.effective_to,
        results=tuple(results),
    )


def _rule(program: Program, rule_id: str) -> CompiledRule:
    for compiled in program.rules:
        if compiled.rule.id == rule_id:
            return compiled
    ids = [c.rule.id for c in program.rules]
    raise UnknownRuleError(rule_id, program.ir.identity.id, tuple(ids), suggest(rule_id, ids))


def _operands(
    parent: str, nodes: dict[str, tuple[str, Node]], seen: dict[str, list[bool]], target: Facts
) -> tuple[OperandResult, ...]:
    """The operands directly below ``parent`` ("" for the root), in order."""
    out = []
    for key, (_, node) in nodes.items():
        if _parent(key) != parent:
            continue
        children = _operands(key, nodes, seen, target)
        out.append(
            OperandResult(
                key=key,
                text=expression_text(node),
                results=tuple(seen.get(key, ())),
                facts=trace_values(trace_keys(node), target),
                combined_by=_combinator(nodes[f"{key}.0"][0]) if children else None,
                operands=children,
            )
        )
    return tuple(out)


def _parent(key: str) -> str:
    return key.rpartition(".")[0]


def _combinator(op: str) -> Combinator:
    return "and" if op == "and" else "or"
