"""Type checker: infers the type of an expression and collects every problem in it.

It keeps going after a problem (the failing sub-expression gets type ``any``) so that one
compile reports all mistakes of an expression, not just the first.
"""

from __future__ import annotations

from decimal import Decimal

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
from engine.expression.numbers import too_precise
from engine.expression.types import (
    ANY,
    BOOL,
    NULL,
    NUMBER,
    STRING,
    Scope,
    T,
    TypeIssue,
    compatible,
    list_of,
    suggest,
)


class Checker:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.issues: list[TypeIssue] = []

    def check(self, node: Node) -> T:
        try:
            return self._check(node)
        except TypeIssue as issue:
            self.issues.append(issue)
            return ANY

    def expect_bool(self, node: Node) -> None:
        t = self.check(node)
        if t.kind not in ("bool", "any"):
            self.issues.append(TypeIssue(f"a condition must be true or false, not {t}", node.col))

    def _check(self, node: Node) -> T:
        if isinstance(node, Literal):
            return _literal_type(node)
        if isinstance(node, ListLit):
            elems = [self.check(e) for e in node.items]
            return list_of(elems[0] if elems else ANY)
        if isinstance(node, Path):
            return self._path(node)
        if isinstance(node, Compare):
            return self._compare(node)
        if isinstance(node, In):
            return self._in(node)
        if isinstance(node, BoolOp):
            for operand in node.operands:
                self.expect_bool(operand)
            return BOOL
        if isinstance(node, Not):
            self.expect_bool(node.operand)
            return BOOL
        if isinstance(node, Arith | Neg):
            return self._arith(node)
        if isinstance(node, Call):
            return self._call(node)
        raise TypeIssue("unsupported expression", node.col)

    def _path(self, node: Path) -> T:
        if node.relative:
            if not self.scope.items:
                raise TypeIssue(
                    f"'{node.text}' refers to a list item outside a list function",
                    node.col,
                    "use it inside any(list, .field == ...)",
                )
            current = self.scope.items[-1]
        else:
            current = self.scope.facts
        walked: list[str] = []
        for part in node.parts:
            if current.kind == "any" or (current.kind == "record" and current.open):
                return ANY
            nxt = current.field(part) if current.kind == "record" else None
            if nxt is None:
                raise self._unknown(node, walked, part, current)
            if current.optional:
                raise TypeIssue(
                    f"'{'.'.join(walked)}' may be missing",
                    node.col,
                    "check exists(...) first or use coalesce",
                    "E-NULLABLE",
                )
            walked.append(part)
            current = nxt
        return current

    def _unknown(self, node: Path, walked: list[str], part: str, current: T) -> TypeIssue:
        prefix = ".".join(walked)
        if current.kind == "list":
            return TypeIssue(
                f"'{prefix}' is a list; '{part}' is a field of its items",
                node.col,
                f"use any({prefix}, .{part} == ...) or sum({prefix}, .{part})",
                "E-PATH",
            )
        candidates = (
            [f"{prefix}.{k}" if prefix else k for k, _ in current.fields]
            if current.kind == "record"
            else []
        )
        if not walked and not node.relative:
            candidates = self.scope.all_paths()
        full = ".".join((*walked, part))
        return TypeIssue(
            f"unknown fact '{node.text}'",
            node.col,
            suggest(full, candidates) or "see the fact list in the README",
            "E-PATH",
        )

    def _compare(self, node: Compare) -> T:
        left, right = self.check(node.left), self.check(node.right)
        null_test = NULL.kind in (left.kind, right.kind)
        if null_test:
            if node.op not in ("==", "!="):
                raise TypeIssue("null can only be compared with == or !=", node.col)
            return BOOL
        for side, t in (("left", left), ("right", right)):
            if t.optional:
                raise TypeIssue(
                    f"the {side} side may be missing",
                    node.col,
                    "check exists(...) first or use coalesce(value, default)",
                    "E-NULLABLE",
                )
        if not compatible(left, right):
            raise TypeIssue(
                f"cannot compare {left} with {right}", node.col, _date_hint(left, right)
            )
        if node.op not in ("==", "!=") and left.kind in ("bool", "list", "record"):
            raise TypeIssue(f"'{node.op}' does not apply to {left}", node.col)
        self._enum_check(left, node.right)
        self._enum_check(right, node.left)
        return BOOL

    def _enum_check(self, t: T, other: Node) -> None:
        if (
            t.enum
            and isinstance(other, Literal)
            and isinstance(other.value, str)
            and other.value not in t.enum
        ):
            self.issues.append(
                TypeIssue(
                    f"'{other.value}' is never a value here (one of: {', '.join(t.enum)})",
                    other.col,
                    suggest(other.value, list(t.enum)),
                    "E-ENUM",
                )
            )

    def _in(self, node: In) -> T:
        needle, hay = self.check(node.needle), self.check(node.haystack)
        if hay.kind not in ("list", "string", "any"):
            raise TypeIssue(f"'in' needs a list on the right, not {hay}", node.col)
        if hay.kind == "list" and hay.elem and not compatible(needle, hay.elem):
            raise TypeIssue(f"cannot look for {needle} in a list of {hay.elem}", node.col)
        if needle.optional:
            raise TypeIssue(
                "the value looked for may be missing",
                node.col,
                "use coalesce(value, default)",
                "E-NULLABLE",
            )
        if hay.kind == "list" and hay.elem and isinstance(node.haystack, ListLit):
            for item in node.haystack.items:
                self._enum_check(needle, item)
        return BOOL

    def _arith(self, node: Arith | Neg) -> T:
        operands = (node.left, node.right) if isinstance(node, Arith) else (node.operand,)
        for operand in operands:
            t = self.check(operand)
            if t.kind not in ("number", "any"):
                hint = "use days_between(a, b) or add_days(d, n)" if t.kind == "date" else ""
                raise TypeIssue(f"arithmetic needs numbers, not {t}", operand.col, hint)
            if t.optional:
                raise TypeIssue(
                    "a number here may be missing",
                    operand.col,
                    "use coalesce(value, 0)",
                    "E-NULLABLE",
                )
        return NUMBER

    def _call(self, node: Call) -> T:
        if node.name == "table":
            return self._table(node)
        fn = FUNCTIONS.get(node.name)
        if fn is None:
            raise TypeIssue(
                f"unknown function '{node.name}'",
                node.col,
                suggest(node.name, [*FUNCTIONS, "table"]) or "see the function list in the README",
                "E-FUNC",
            )
        n = len(node.args)
        if n < fn.min_args or (fn.max_args >= 0 and n > fn.max_args):
            raise TypeIssue(
                f"{fn.name}() takes {_arity(fn.min_args, fn.max_args)} argument(s), got {n}",
                node.col,
                code="E-ARITY",
            )
        types = self._call_arg_types(node, fn.item_arg)
        if node.name in ("exists",) and not isinstance(node.args[0], Path):
            raise TypeIssue("exists() takes a fact path", node.col)
        return fn.type_rule(types, node.col)

    def _call_arg_types(self, node: Call, item_arg: bool) -> list[T]:
        first = self.check(node.args[0])
        if not (item_arg and len(node.args) == 2 and first.kind in ("list", "any")):
            return [first, *(self.check(a) for a in node.args[1:])]
        self.scope.items.append(first.elem or ANY)
        try:
            return [first, self.check(node.args[1])]
        finally:
            self.scope.items.pop()

    def _table(self, node: Call) -> T:
        if (
            len(node.args) != 1
            or not isinstance(node.args[0], Literal)
            or not isinstance(node.args[0].value, str)
        ):
            raise TypeIssue('table() takes the table name as a string: table("name")', node.col)
        name = node.args[0].value
        if name not in self.scope.tables:
            raise TypeIssue(
                f"unknown decision table '{name}'",
                node.col,
                suggest(name, list(self.scope.tables)),
                "E-TABLE",
            )
        return self.scope.tables[name]


def _literal_type(node: Literal) -> T:
    v = node.value
    if v is None:
        return NULL
    if isinstance(v, bool):
        return BOOL
    if isinstance(v, str):
        return STRING
    if isinstance(v, Decimal) and too_precise(v):
        raise TypeIssue(f"{v} has more than 6 decimal places", node.col)
    return NUMBER


def _date_hint(a: T, b: T) -> str:
    if {a.kind, b.kind} == {"date", "number"}:
        return 'compare days with days_between(a, b), or dates with date("YYYY-MM-DD")'
    if {a.kind, b.kind} == {"date", "string"}:
        return 'write the date as date("YYYY-MM-DD")'
    return ""


def _arity(lo: int, hi: int) -> str:
    if hi < 0:
        return f"at least {lo}"
    return str(lo) if lo == hi else f"{lo} to {hi}"
