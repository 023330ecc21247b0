"""Lowering IR conditions to durable-rules' plain-dict condition language.

What durable-rules matches natively: comparisons of a fact path with a literal or another
path, ``and``/``or``, presence tests, and ``any`` over a list with item conditions. The rest
is *hoisted*: evaluated once per fact by the shared native evaluator into a synthetic fact
(``h0``, ``h1``...) that the Rete network then compares. Hoisted are arithmetic and function
operands (durable computes in doubles; we keep exact decimals), ``all`` (durable's ``$iall``
is false on an empty list, ours is true, as in Python and DMN), membership in a list fact,
and negated quantifiers.

``not`` is pushed down with De Morgan and operator negation. That is sound because the type
checker guarantees no operand of a comparison can be missing (optional facts must go through
``exists``/``coalesce``/``== null``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.backends.encoding import encode
from engine.errors import EngineError
from engine.expression.nodes import (
    FLIPPED,
    NEGATED,
    BoolOp,
    Call,
    Compare,
    In,
    ListLit,
    Literal,
    Node,
    Not,
    Path,
)

OPS = {"==": "$eq", "!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}
Condition = dict[str, Any]


class NotLowerable(EngineError):
    """Raised inside an item condition; the whole quantifier is then hoisted."""


@dataclass
class Lowered:
    condition: Condition
    hoisted: list[tuple[str, Node]] = field(default_factory=list)
    paths: set[tuple[str, ...]] = field(default_factory=set)  # absolute paths read from facts


class Lowering:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.out = Lowered({})

    def lower(self, node: Node) -> Lowered:
        self.out.condition = self.cond(node, negate=False)
        return self.out

    def hoist(self, node: Node) -> str:
        key = f"{self.prefix}{len(self.out.hoisted)}"
        self.out.hoisted.append((key, node))
        return key

    def hoist_bool(self, node: Node, negate: bool) -> Condition:
        return {self.hoist(node): encode(not negate)}

    def cond(self, node: Node, negate: bool, item: bool = False) -> Condition:
        if isinstance(node, BoolOp):
            op = ("$or" if node.op == "and" else "$and") if negate else f"${node.op}"
            return {op: [self.cond(o, negate, item) for o in node.operands]}
        if isinstance(node, Not):
            return self.cond(node.operand, not negate, item)
        if isinstance(node, Compare):
            return self.compare(node, negate, item)
        if (
            isinstance(node, In)
            and isinstance(node.haystack, ListLit)
            and all(isinstance(i, Literal) for i in node.haystack.items)
        ):
            return self.member(node, negate, item)
        if isinstance(node, Call) and node.name == "any" and not negate and not item:
            quantified = self.quantifier(node)
            if quantified is not None:
                return quantified
        if isinstance(node, Path) and (item == node.relative):
            self.record(node, item)
            return {OPS["!=" if negate else "=="]: {self.key(node): encode(True)}}
        if item:
            raise NotLowerable()
        return self.hoist_bool(node, negate)

    def operand(self, node: Node, item: bool) -> tuple[str, Any] | None:
        """('path', key) | ('literal', value) | None when the operand must be hoisted."""
        if isinstance(node, Literal):
            return ("literal", node.value)
        if isinstance(node, Path) and (item or not node.relative):
            self.record(node, item)
            return ("path", self.key(node))
        return None

    def compare(self, node: Compare, negate: bool, item: bool) -> Condition:
        op = NEGATED[node.op] if negate else node.op
        left, right = self.operand(node.left, item), self.operand(node.right, item)
        if left is None or right is None or (left[0] == right[0] == "literal"):
            if item:
                raise NotLowerable()
            return self.hoist_bool(node, negate)
        if left[0] == "literal" or (item and right[0] == "path" and right[1].startswith("$i.")):
            left, right, op = right, left, FLIPPED[op]
        if item and not left[1].startswith("$i."):
            raise NotLowerable()
        if right[0] == "literal" and right[1] is None:
            present = op == "!="
            return {"$ex" if present else "$nex": {left[1]: 1}}
        value = encode(right[1]) if right[0] == "literal" else {"$m": right[1]}
        return {OPS[op]: {left[1]: value}}

    def member(self, node: In, negate: bool, item: bool) -> Condition:
        inside = node.negate != negate
        needle = self.operand(node.needle, item)
        if needle is None or needle[0] != "path":
            if item:
                raise NotLowerable()
            return self.hoist_bool(node, negate)
        values = [i.value for i in node.haystack.items]  # type: ignore[attr-defined]
        if not values:
            return self.hoist_bool(node, negate)
        tests = [{OPS["!=" if inside else "=="]: {needle[1]: encode(v)}} for v in values]
        return {"$and": tests} if inside else {"$or": tests}

    def quantifier(self, node: Call) -> Condition | None:
        source = node.args[0]
        if not isinstance(source, Path) or source.relative:
            return None
        mark = (len(self.out.hoisted), set(self.out.paths))
        try:
            body = self.cond(node.args[1], negate=False, item=True)
        except NotLowerable:
            del self.out.hoisted[mark[0] :]
            self.out.paths = mark[1]
            return None
        self.out.paths.add(source.parts)
        return {"$iany": {source.dotted: body}}

    def key(self, node: Path) -> str:
        return f"$i.{node.dotted}" if node.relative else node.dotted

    def record(self, node: Path, item: bool) -> None:
        if not node.relative:
            self.out.paths.add(node.parts)
