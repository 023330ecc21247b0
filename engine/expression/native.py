"""Compile IR into Python closures: the ``native`` evaluator.

A compiled expression is ``fn(facts, item) -> value`` where ``facts`` is the nested fact
dict and ``item`` the current quantifier item (or ``None``). Closures are built once per
ruleset version; evaluating a claim is then plain function calls with no tree walking.

Semantics (shared with the durable backend, which is why they live in one place):
numbers are exact (int/Decimal, arithmetic rounded to 6 places); a comparison whose operand
is missing is false, ``== null`` tests presence; ``and``/``or`` short-circuit.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any

from engine.errors import EvaluationError
from engine.expression.functions import FUNCTIONS
from engine.expression.nodes import (
    Arith,
    BoolOp,
    Call,
    Compare,
    In,
    ListLit,
    Literal,
    Neg,
    Node,
    Not,
    Path,
)
from engine.expression.numbers import quantize

Compiled = Callable[[Mapping[str, Any], Any], Any]
TableFn = Callable[[Mapping[str, Any], Any], Any]

_CMP: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _divide(a: Any, b: Any) -> Any:
    if b == 0:
        raise EvaluationError("division by zero")
    return Decimal(a) / Decimal(b)


_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": _divide,
}


def lookup(root: Any, parts: tuple[str, ...]) -> Any:
    value = root
    for part in parts:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


class NativeCompiler:
    def __init__(self, tables: Mapping[str, TableFn] | None = None) -> None:
        self.tables = tables if tables is not None else {}

    def compile(self, node: Node) -> Compiled:
        method: Callable[[Any], Compiled] = getattr(self, f"_{type(node).__name__}")
        return method(node)

    def _Literal(self, node: Literal) -> Compiled:
        value = node.value
        return lambda facts, item: value

    def _ListLit(self, node: ListLit) -> Compiled:
        parts = [self.compile(i) for i in node.items]
        return lambda facts, item: [p(facts, item) for p in parts]

    def _Path(self, node: Path) -> Compiled:
        parts = node.parts
        if node.relative:
            return lambda facts, item: lookup(item, parts)
        if len(parts) == 1:
            key = parts[0]
            return lambda facts, item: facts.get(key)
        return lambda facts, item: lookup(facts, parts)

    def _Compare(self, node: Compare) -> Compiled:
        left, right, op = self.compile(node.left), self.compile(node.right), _CMP[node.op]
        is_null_test = any(
            isinstance(s, Literal) and s.value is None for s in (node.left, node.right)
        )
        if is_null_test:
            return lambda facts, item: op(left(facts, item), right(facts, item))

        def compare(facts: Mapping[str, Any], item: Any) -> bool:
            a, b = left(facts, item), right(facts, item)
            if a is None or b is None:
                return False
            return op(a, b)

        return compare

    def _In(self, node: In) -> Compiled:
        needle, hay, negate = self.compile(node.needle), self.compile(node.haystack), node.negate

        def contains(facts: Mapping[str, Any], item: Any) -> bool:
            a, b = needle(facts, item), hay(facts, item)
            if a is None or b is None:
                return False
            return (a not in b) if negate else (a in b)

        return contains

    def _BoolOp(self, node: BoolOp) -> Compiled:
        parts = [self.compile(o) for o in node.operands]
        if node.op == "and":
            return lambda facts, item: all(p(facts, item) is True for p in parts)
        return lambda facts, item: any(p(facts, item) is True for p in parts)

    def _Not(self, node: Not) -> Compiled:
        inner = self.compile(node.operand)
        return lambda facts, item: inner(facts, item) is not True

    def _Arith(self, node: Arith) -> Compiled:
        left, right, op = self.compile(node.left), self.compile(node.right), _ARITH[node.op]

        def arith(facts: Mapping[str, Any], item: Any) -> Any:
            a, b = left(facts, item), right(facts, item)
            if a is None or b is None:
                return None
            try:
                return quantize(op(a, b))
            except (InvalidOperation, DivisionByZero) as exc:
                raise EvaluationError(f"arithmetic failed: {exc}") from exc

        return arith

    def _Neg(self, node: Neg) -> Compiled:
        inner = self.compile(node.operand)
        return lambda facts, item: None if (v := inner(facts, item)) is None else -v

    def _Call(self, node: Call) -> Compiled:
        if node.name == "table":
            table = self.tables[str(node.args[0].value)]  # type: ignore[attr-defined]
            return table
        fn = FUNCTIONS[node.name]
        if fn.item_arg and len(node.args) == 2:
            return self._item_call(fn.impl, node)
        args = [self.compile(a) for a in node.args]
        impl = fn.impl
        lenient = node.name in ("exists", "coalesce")

        def call(facts: Mapping[str, Any], item: Any) -> Any:
            values = [a(facts, item) for a in args]
            if not lenient and any(v is None for v in values):
                return None
            return impl(*values)

        return call

    def _item_call(self, impl: Callable[..., Any], node: Call) -> Compiled:
        source, body = self.compile(node.args[0]), self.compile(node.args[1])

        def call(facts: Mapping[str, Any], item: Any) -> Any:
            values = source(facts, item)
            if values is None:
                return None
            if not isinstance(values, list):  # min(a, b) / max(a, b) on scalars
                other = body(facts, item)
                return None if other is None else impl(values, other)
            return impl(values, lambda it: body(facts, it))

        return call
