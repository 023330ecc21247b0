"""Typed IR of the condition language.

Every node keeps ``col``, its 0-based offset inside the expression source, so that a
diagnostic can point at the exact sub-expression inside a YAML scalar.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

COMPARE_OPS = ("==", "!=", "<", "<=", ">", ">=")
ARITH_OPS = ("+", "-", "*", "/")
NEGATED = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
FLIPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


@dataclass(frozen=True)
class Node:
    col: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True)
class Literal(Node):
    value: Any


@dataclass(frozen=True)
class ListLit(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Path(Node):
    """A fact path. ``relative`` paths (``.amount``) address the quantifier's current item."""

    parts: tuple[str, ...]
    relative: bool = False

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)

    @property
    def text(self) -> str:
        return ("." if self.relative else "") + self.dotted


@dataclass(frozen=True)
class Compare(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class In(Node):
    needle: Node
    haystack: Node
    negate: bool = False


@dataclass(frozen=True)
class BoolOp(Node):
    op: str  # "and" | "or"
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True)
class Arith(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Neg(Node):
    operand: Node


@dataclass(frozen=True)
class Call(Node):
    name: str
    args: tuple[Node, ...]


def children(node: Node) -> tuple[Node, ...]:
    """Direct sub-expressions, in source order."""
    if isinstance(node, ListLit):
        return node.items
    if isinstance(node, Compare | Arith):
        return (node.left, node.right)
    if isinstance(node, In):
        return (node.needle, node.haystack)
    if isinstance(node, BoolOp):
        return node.operands
    if isinstance(node, Not | Neg):
        return (node.operand,)
    if isinstance(node, Call):
        return node.args
    return ()


def walk(node: Node) -> list[Node]:
    """All nodes of a tree, pre-order."""
    out = [node]
    for child in children(node):
        out.extend(walk(child))
    return out


def absolute_paths(node: Node) -> list[Path]:
    """Fact paths a node reads from the facts (not the quantifier item), in order, unique."""
    seen: dict[tuple[str, ...], Path] = {}
    for sub in walk(node):
        if isinstance(sub, Path) and not sub.relative and sub.parts not in seen:
            seen[sub.parts] = sub
    return list(seen.values())
