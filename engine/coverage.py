"""Condition coverage of a ruleset's rules: every ``and``/``or`` operand seen true and false.

Each rule's condition is compiled a second time with a recorder around every operand of every
``and``/``or`` (a condition without them is one operand: the whole condition). Evaluating the
test cases through these closures records which operands were seen true and which false.
Short-circuiting is kept: an operand that was never evaluated counts as neither, as in MC/DC
tools. Coverage = (operand, value) pairs seen / (2 × operands).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.claim import Claim
from engine.expression.native import Compiled, NativeCompiler
from engine.expression.nodes import BoolOp, Node
from engine.program import Program, line_facts

Recorder = Callable[[str, bool], None]


@dataclass(frozen=True)
class Operand:
    rule_id: str
    key: str  # position in the condition: "0", "1.0" ...
    text: str  # the operand as written (approximate for folded sources)


class RecordingCompiler(NativeCompiler):
    """Compiles a condition so that every ``and``/``or`` operand reports its value.

    Operands are keyed by their position: ``"1.0"`` is operand 0 of the ``and``/``or`` found
    inside operand 1. ``operands`` receives the keys in compile order; ``nodes`` (if given)
    maps each key to the operator that combines it and its node (``engine.rule_explanation``).
    """

    def __init__(
        self,
        base: NativeCompiler,
        record: Recorder,
        operands: list[str],
        nodes: dict[str, tuple[str, Node]] | None = None,
    ) -> None:
        super().__init__(base.tables)
        self.record = record
        self.operands = operands
        self.nodes = nodes
        self.path: list[int] = []

    def _BoolOp(self, node: BoolOp) -> Compiled:
        parts = []
        for index, operand in enumerate(node.operands):
            self.path.append(index)
            key = ".".join(map(str, self.path))
            self.operands.append(key)
            if self.nodes is not None:
                self.nodes.setdefault(key, (node.op, operand))
            parts.append(self._watch(self.compile(operand), key))
            self.path.pop()
        return _combine(node.op, parts)

    def _watch(self, fn: Compiled, key: str) -> Compiled:
        record = self.record

        def run(facts: Any, item: Any) -> Any:
            value = fn(facts, item)
            record(key, value is True)
            return value

        return run


def _combine(op: str, parts: list[Compiled]) -> Compiled:
    if op == "and":
        return lambda facts, item: all(p(facts, item) is True for p in parts)
    return lambda facts, item: any(p(facts, item) is True for p in parts)


@dataclass
class ConditionCoverage:
    """Collects operand outcomes of one ruleset across many evaluations."""

    program: Program
    operands: list[Operand] = field(default_factory=list)
    seen: set[tuple[str, str, bool]] = field(default_factory=set)
    _tests: list[tuple[str, str, Compiled]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for compiled in self.program.rules:
            rule = compiled.rule
            keys: list[str] = []

            def record(key: str, value: bool, rule_id: str = rule.id) -> None:
                self.seen.add((rule_id, key, value))

            recorder = RecordingCompiler(self.program.compiler, record, keys)
            node = rule.condition.node
            if not isinstance(node, BoolOp):
                node = BoolOp("and", (node,), col=node.col)
            test = recorder.compile(node)
            self._tests.append((rule.id, rule.scope, test))
            self.operands.extend(
                Operand(rule.id, k, _text(rule.when.source, node, k)) for k in keys
            )

    def observe(self, claim: Claim, as_of: dt.datetime) -> None:
        facts = self.program.facts(claim, as_of)
        lines = line_facts(facts)
        for _rule_id, scope, test in self._tests:
            for target in lines if scope == "line" else [facts]:
                test(target, None)

    @property
    def total(self) -> int:
        return 2 * len(self.operands)

    @property
    def covered(self) -> int:
        return sum((o.rule_id, o.key, v) in self.seen for o in self.operands for v in (True, False))

    @property
    def percent(self) -> int:
        return 100 if not self.total else self.covered * 100 // self.total

    def missing(self) -> list[str]:
        """Readable ``rule: operand never true/false`` lines for what the tests never showed."""
        out = []
        for o in self.operands:
            for value in (True, False):
                if (o.rule_id, o.key, value) not in self.seen:
                    out.append(f"{o.rule_id} [{o.key}] `{o.text}` never {str(value).lower()}")
        return out


def _text(source: str, root: Node, key: str) -> str:
    node: Node = root
    for index in key.split("."):
        if not isinstance(node, BoolOp):
            break
        node = node.operands[int(index)]
    flat = " ".join(source.split())
    start = min(max(node.col, 0), len(flat))
    snippet = flat[start : start + 60]
    return snippet + ("…" if len(flat) > start + 60 else "")
