"""Algebra for lowering conditions to durable-rules (:mod:`engine.backends.durable_lowering`):
integer-linear forms of arithmetic, durable-rules' arithmetic expressions, the ``coalesce``
case split and the ``len`` emptiness shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.backends.encoding import encode
from engine.errors import BackendError, EngineError
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
    children,
)


class NotLowerable(EngineError):
    """Raised where durable-rules can't express a test; the enclosing test is hoisted."""


@dataclass
class Linear:
    """sum(coef * path) + const, in scaled-number units."""

    terms: dict[tuple[str, ...], int] = field(default_factory=dict)
    const: int = 0

    def add(self, other: Linear, sign: int) -> None:
        for parts, coef in other.terms.items():
            self.terms[parts] = self.terms.get(parts, 0) + sign * coef
        self.const += sign * other.const

    def scaled(self, factor: int) -> Linear:
        return Linear({p: c * factor for p, c in self.terms.items()}, self.const * factor)


def integer(node: Node) -> int | None:
    """The value of an integer literal (``5`` or ``5.0``), else None."""
    if not isinstance(node, Literal) or isinstance(node.value, bool):
        return None
    value = node.value
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return None


def emptiness(op: str, value: Any) -> bool | None:
    """For ``len(x) op value``: True = "is empty", False = "is not empty", None = neither."""
    number = integer(Literal(value))
    if number is None:
        return None
    shapes = {("==", 0): True, ("<", 1): True, ("<=", 0): True}
    shapes |= {("!=", 0): False, (">", 0): False, (">=", 1): False}
    return shapes.get((op, number))


def scaled(value: int | Decimal) -> int:
    try:
        out = encode(value)
    except BackendError as exc:
        raise NotLowerable() from exc
    if not isinstance(out, int):
        raise NotLowerable()
    return out


def encoded(value: Any) -> Any:
    try:
        return encode(value)
    except BackendError as exc:
        raise NotLowerable() from exc


def expression(terms: dict[tuple[str, ...], int], const: int) -> Any:
    """durable-rules' arithmetic form of ``sum(coef * path) + const``."""
    out: Any = None
    for parts, coef in terms.items():
        ref: Any = {"$m": ".".join(parts)}
        magnitude = abs(coef)
        if magnitude != 1:
            ref = {"$mul": {"$l": ref, "$r": magnitude}}
        if out is None:
            out = ref if coef > 0 else {"$mul": {"$l": ref, "$r": -1}}
        else:
            out = {"$add" if coef > 0 else "$sub": {"$l": out, "$r": ref}}
    if out is None:
        return const
    if const:
        out = {"$add" if const > 0 else "$sub": {"$l": out, "$r": abs(const)}}
    return out


def coalesce_split(node: Node) -> Node | None:
    """``test(coalesce(p, d, ...))`` as ``exists(p) and test(p) or not exists(p) and
    test(coalesce(d, ...))``; None when the test has no ``coalesce`` of a path."""
    found = find_coalesce(node)
    if found is None:
        return None
    path = found.args[0]
    rest = found.args[1] if len(found.args) == 2 else Call("coalesce", found.args[1:])
    present = Call("exists", (path,))
    return BoolOp(
        "or",
        (
            BoolOp("and", (present, replace(node, found, path))),
            BoolOp("and", (Not(present), replace(node, found, rest))),
        ),
    )


def find_coalesce(node: Node) -> Call | None:
    if isinstance(node, Call) and node.name in ("any", "all", "count", "sum", "map"):
        return None  # item bodies are the quantifier's own
    if (
        isinstance(node, Call)
        and node.name == "coalesce"
        and isinstance(node.args[0], Path)
        and not node.args[0].relative
    ):
        return node
    for child in children(node):
        found = find_coalesce(child)
        if found is not None:
            return found
    return None


def replace(node: Node, old: Node, new: Node) -> Node:
    if node is old:
        return new
    if isinstance(node, Compare):
        return Compare(node.op, replace(node.left, old, new), replace(node.right, old, new))
    if isinstance(node, Arith):
        return Arith(node.op, replace(node.left, old, new), replace(node.right, old, new))
    if isinstance(node, In):
        return In(replace(node.needle, old, new), replace(node.haystack, old, new), node.negate)
    if isinstance(node, Neg):
        return Neg(replace(node.operand, old, new))
    if isinstance(node, Not):
        return Not(replace(node.operand, old, new))
    if isinstance(node, BoolOp):
        return BoolOp(node.op, tuple(replace(o, old, new) for o in node.operands))
    if isinstance(node, Call):
        return Call(node.name, tuple(replace(a, old, new) for a in node.args))
    if isinstance(node, ListLit):
        return ListLit(tuple(replace(i, old, new) for i in node.items))
    return node
