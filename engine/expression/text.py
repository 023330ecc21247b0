"""Condition IR back to condition-language text: ``expression_text(node)``.

Explanations quote the operand they talk about. Nodes keep only where they start in the
author's source, not where they end, and the effective-date window of a rule is folded into
its condition as nodes with no source at all, so an operand's text is printed from the tree:
parentheses only where precedence needs them, literals as the language writes them
(``true``, ``null``, ``"text"``, ``date("2025-01-01")``), and an ``and``/``or`` inside another
always in parentheses. Parsing the text again gives the same tree
(``tests/engine/test_expression_text.py``).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

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

__all__ = ["expression_text"]

# Binding strength, loosest first (Python's, which the language borrows).
_OR, _AND, _NOT, _COMPARE, _SUM, _PRODUCT, _UNARY, _ATOM = range(8)


def expression_text(node: Node) -> str:
    """``node`` as condition-language text."""
    return _text(node)


def _text(node: Node) -> str:
    if isinstance(node, BoolOp):
        # an and/or inside an and/or always gets (): no reader should need the precedence table
        return f" {node.op} ".join(_wrapped(o, _NOT) for o in node.operands)
    if isinstance(node, Not):
        return f"not {_wrapped(node.operand, _NOT)}"
    if isinstance(node, Compare):
        return f"{_wrapped(node.left, _SUM)} {node.op} {_wrapped(node.right, _SUM)}"
    if isinstance(node, In):
        op = "not in" if node.negate else "in"
        return f"{_wrapped(node.needle, _SUM)} {op} {_wrapped(node.haystack, _SUM)}"
    if isinstance(node, Arith):
        strength = _precedence(node)
        # left-associative: only the right operand of an equal-strength operator needs ()
        return f"{_wrapped(node.left, strength)} {node.op} {_wrapped(node.right, strength + 1)}"
    if isinstance(node, Neg):
        return f"-{_wrapped(node.operand, _UNARY)}"
    if isinstance(node, Call):
        return f"{node.name}({', '.join(_text(a) for a in node.args)})"
    if isinstance(node, ListLit):
        return f"[{', '.join(_text(i) for i in node.items)}]"
    if isinstance(node, Path):
        return node.text
    if isinstance(node, Literal):
        return _literal(node.value)
    raise TypeError(f"not a condition node: {type(node).__name__}")


def _wrapped(node: Node, at_least: int) -> str:
    text = _text(node)
    return f"({text})" if _precedence(node) < at_least else text


def _precedence(node: Node) -> int:
    if isinstance(node, BoolOp):
        return _AND if node.op == "and" else _OR
    if isinstance(node, Not):
        return _NOT
    if isinstance(node, Compare | In):
        return _COMPARE
    if isinstance(node, Arith):
        return _SUM if node.op in ("+", "-") else _PRODUCT
    if isinstance(node, Neg):
        return _UNARY
    if isinstance(node, Literal) and _negative(node.value):
        return _UNARY  # `-1` binds like unary minus: `(-1) * x` needs no (), `x - -1` does not
    return _ATOM


def _negative(value: object) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool) and value < 0


def _literal(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.date):
        return f'date("{value.isoformat()}")'
    if isinstance(value, list | tuple):
        return f"[{', '.join(_literal(v) for v in value)}]"
    return str(value)
