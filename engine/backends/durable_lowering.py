"""Lowering IR conditions to durable-rules' plain-dict condition language.

Everything durable-rules can compare exactly is lowered into the Rete network; facts are
exactly encoded first (``engine.backends.encoding``: numbers as integers scaled by 10**6,
dates as ordinals, datetimes as epoch microseconds), so its doubles only ever hold integers.

- comparisons of a fact path with a literal or another path, ``and``/``or``/``not``;
- presence: ``exists(p)`` and ``p == null`` become ``$ex``/``$nex``;
- membership in a literal list (``$or`` of ``$eq``) and in a list fact (``$iany`` of
  ``$i == x``; ``not in`` as "the list is absent or ``$iall`` differ");
- ``len(list)``/``count(list)`` against 0 (empty lists are left out of the fact, so emptiness
  is ``$nex``); membership in an empty literal list is a constant (or a presence test);
- ``any``/``all`` over a list fact, negated or not (``all`` is "absent or ``$iall``": durable's
  ``$iall`` is false on an empty list, ours true, as in Python and DMN);
- integer-linear arithmetic: ``+``, ``-``, unary ``-``, ``*`` by an integer literal and
  ``days_between`` of two dates, solved for one path (``a - b > 3`` as ``a > b + 3``) and
  written with ``$add``/``$sub``/``$mul``. Integer arithmetic on doubles is exact below 2**53:
  each such comparison carries a :class:`Bound` the backend checks per claim (beyond it the
  rule goes native, visibly). durable-rules reads an absent operand as 0, so every path of
  the arithmetic is guarded by ``$ex``;
- ``coalesce(p, d)`` inside a test splits into "p present and the test on p" or "p absent and
  the test on d".

The rest is *hoisted*: evaluated once per fact by the shared native evaluator into a synthetic
fact (``h0``...) that the Rete network compares (function calls such as the ID check digit,
division, ``*`` by a non-integer, ``len`` against other numbers, tests on lists that may be
missing, presence of a list or record, an item test against arithmetic). Each leaf test
records where it runs (:class:`Leaf`), for ``claims rules backend-report`` and the
``W-HOISTED`` lint warning. A ruleset moves such a test into Rete by declaring it as a
derived fact.

``not`` is pushed down with De Morgan and operator negation. That is sound because the type
checker guarantees no operand of a comparison can be missing (optional facts must go through
``exists``/``coalesce``/``== null``); where a lowering could still see an absent value
(arithmetic, membership), it says what absent means explicitly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from typing import Literal as Kind

from engine.backends.durable_algebra import (
    Linear,
    NotLowerable,
    coalesce_split,
    emptiness,
    encoded,
    expression,
    integer,
    scaled,
)
from engine.backends.encoding import encode
from engine.expression.nodes import (
    FLIPPED,
    NEGATED,
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
    absolute_paths,
)
from engine.expression.numbers import SCALE
from engine.expression.types import T

OPS = {"==": "$eq", "!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}
Condition = dict[str, Any]
#: Kinds whose presence durable-rules can test: an empty list (or record) is left out of a
#: fact or encoded as is, so its presence can't be told apart from its absence.
SCALARS = ("number", "date", "datetime", "string", "bool")
#: Every fact has ``k`` (its kind): constant tests.
ALWAYS: Condition = {"$ex": {"k": 1}}
NEVER: Condition = {"$nex": {"k": 1}}
Where = Kind["rete", "python"]
#: The type of an absolute fact path, or None when unknown.
TypeOf = Callable[[tuple[str, ...]], T | None]


@dataclass(frozen=True)
class Leaf:
    """One leaf test of a condition and where the durable backend evaluates it."""

    node: Node
    where: Where
    paths: tuple[tuple[str, ...], ...]  # absolute fact paths it reads


@dataclass(frozen=True)
class Bound:
    """An arithmetic comparison computed in doubles: exact while the sum of the magnitudes
    of its terms stays below 2**53 (checked per claim on the encoded values)."""

    terms: tuple[tuple[tuple[str, ...], int], ...]  # (path, coefficient)
    const: int


@dataclass
class Lowered:
    condition: Condition
    hoisted: list[tuple[str, Node]] = field(default_factory=list)
    paths: set[tuple[str, ...]] = field(default_factory=set)  # absolute paths read from facts
    tests: list[Leaf] = field(default_factory=list)
    bounds: list[Bound] = field(default_factory=list)


def _no_types(parts: tuple[str, ...]) -> T | None:
    return None


class Lowering:
    def __init__(self, prefix: str, type_of: TypeOf = _no_types) -> None:
        self.prefix = prefix
        self.type_of = type_of
        self.out = Lowered({})
        self._leaf: Node | None = None  # the leaf test being lowered (its expansions are one)

    def lower(self, node: Node) -> Lowered:
        self.out.condition = self.cond(node, negate=False)
        return self.out

    def hoist(self, node: Node) -> str:
        key = f"{self.prefix}{len(self.out.hoisted)}"
        self.out.hoisted.append((key, node))
        return key

    def cond(self, node: Node, negate: bool, item: bool = False) -> Condition:
        if isinstance(node, BoolOp):
            op = ("$or" if node.op == "and" else "$and") if negate else f"${node.op}"
            return {op: [self.cond(o, negate, item) for o in node.operands]}
        if isinstance(node, Not):
            return self.cond(node.operand, not negate, item)
        if item:  # inside a quantifier: the quantifier is the test
            return self.leaf(node, negate, item)
        if self._leaf is not None:  # a part of a leaf's expansion (coalesce)
            return self.lower_or_hoist(node, negate)
        self._leaf = node
        try:
            before = len(self.out.hoisted)
            lowered = self.lower_or_hoist(node, negate)
            where: Where = "python" if len(self.out.hoisted) > before else "rete"
            paths = tuple(p.parts for p in absolute_paths(node))
            self.out.tests.append(Leaf(node, where, paths))
            return lowered
        finally:
            self._leaf = None

    def lower_or_hoist(self, node: Node, negate: bool) -> Condition:
        mark = self._mark()
        try:
            return self.leaf(node, negate, item=False)
        except NotLowerable:
            self._reset(mark)
            return {self.hoist(node): encode(not negate)}

    def leaf(self, node: Node, negate: bool, item: bool) -> Condition:
        split = None if item else coalesce_split(node)
        if split is not None:
            return self.cond(split, negate)
        if isinstance(node, Compare):
            return self.compare(node, negate, item)
        if isinstance(node, In):
            return self.member(node, negate, item)
        if isinstance(node, Call) and not item:
            return self.call(node, negate)
        if isinstance(node, Literal) and isinstance(node.value, bool) and not item:
            return ALWAYS if node.value != negate else NEVER
        if isinstance(node, Path) and (item == node.relative):
            self.record(node, item)
            return {OPS["!=" if negate else "=="]: {self.key(node): encode(True)}}
        raise NotLowerable()

    def call(self, node: Call, negate: bool) -> Condition:
        if node.name in ("any", "all") and len(node.args) == 2:
            return self.quantifier(node, negate)
        if node.name == "exists" and isinstance(node.args[0], Path):
            return self.presence(node.args[0], present=not negate)
        raise NotLowerable()

    def presence(self, path: Path, *, present: bool) -> Condition:
        # Empty lists are left out of the fact, so presence of a list can't be told apart.
        if path.relative or self._kind(path) not in SCALARS:
            raise NotLowerable()
        self.record(path, False)
        return {"$ex" if present else "$nex": {self.key(path): 1}}

    def operand(self, node: Node, item: bool) -> tuple[str, Any] | None:
        """('path', key) | ('literal', value) | None when the operand is not a plain one."""
        if isinstance(node, Literal):
            return ("literal", node.value)
        if isinstance(node, Path) and (item or not node.relative):
            self.record(node, item)
            return ("path", self.key(node))
        return None

    def compare(self, node: Compare, negate: bool, item: bool) -> Condition:
        op = NEGATED[node.op] if negate else node.op
        length = self.length(node, op)
        if length is not None:
            return length
        mark = self._mark()
        left, right = self.operand(node.left, item), self.operand(node.right, item)
        if left is None or right is None or (left[0] == right[0] == "literal"):
            self._reset(mark)
            if item:
                raise NotLowerable()
            return self.arithmetic(node, op, negate)
        if left[0] == "literal" or (item and right[0] == "path" and right[1].startswith("$i.")):
            left, right, op = right, left, FLIPPED[op]
        if item and not left[1].startswith("$i."):
            raise NotLowerable()
        if right[0] == "literal" and right[1] is None:
            path = node.left if isinstance(node.left, Path) else node.right
            if not item and self._kind(path) not in SCALARS:
                raise NotLowerable()  # empty lists are left out of the fact
            present = op == "!="
            return {"$ex" if present else "$nex": {left[1]: 1}}
        value = encoded(right[1]) if right[0] == "literal" else {"$m": right[1]}
        return {OPS[op]: {left[1]: value}}

    def length(self, node: Compare, op: str) -> Condition | None:
        """``len(list) op 0`` (or ``op 1``) as an emptiness test; None if not that shape."""
        call, other, op2 = node.left, node.right, op
        if isinstance(other, Call):
            call, other, op2 = other, call, FLIPPED[op]
        if not (
            isinstance(call, Call)
            and call.name in ("len", "count")
            and len(call.args) == 1
            and isinstance(call.args[0], Path)
            and not call.args[0].relative
            and isinstance(other, Literal)
        ):
            return None
        empty = emptiness(op2, other.value)
        t = self._type(call.args[0])
        if empty is None:
            raise NotLowerable()
        if t is None or t.kind != "list" or t.optional:
            raise NotLowerable()
        self.record(call.args[0], False)
        return {"$nex" if empty else "$ex": {call.args[0].dotted: 1}}

    def arithmetic(self, node: Compare, op: str, negate: bool) -> Condition:
        """An integer-linear comparison solved for one path (module docstring)."""
        diff = self.linear(node.left)
        diff.add(self.linear(node.right), -1)
        terms = {p: c for p, c in diff.terms.items() if c != 0}
        if not terms:
            raise NotLowerable()
        pivot, coef = min(terms.items(), key=lambda t: (abs(t[1]), t[1] < 0))
        rest = {p: c for p, c in terms.items() if p != pivot}
        if any(c % coef for c in rest.values()) or diff.const % coef:
            raise NotLowerable()
        solved_op = op if coef > 0 else FLIPPED[op]
        rhs = expression({p: -c // coef for p, c in rest.items()}, -diff.const // coef)
        for parts in terms:
            self.out.paths.add(parts)
        self.out.bounds.append(Bound(tuple(terms.items()), diff.const))
        guards = [{"$nex" if negate else "$ex": {".".join(p): 1}} for p in terms]
        test = {OPS[solved_op]: {".".join(pivot): rhs}}
        return {"$or" if negate else "$and": [*guards, test]}

    def linear(self, node: Node) -> Linear:
        if isinstance(node, Literal) and isinstance(node.value, int | Decimal):
            if isinstance(node.value, bool):
                raise NotLowerable()
            return Linear({}, scaled(node.value))
        if isinstance(node, Path) and not node.relative and self._kind(node) == "number":
            return Linear({node.parts: 1})
        if isinstance(node, Neg):
            return self.linear(node.operand).scaled(-1)
        if isinstance(node, Arith) and node.op in ("+", "-"):
            out = self.linear(node.left)
            out.add(self.linear(node.right), 1 if node.op == "+" else -1)
            return out
        if isinstance(node, Arith) and node.op == "*":
            for a, b in ((node.left, node.right), (node.right, node.left)):
                factor = integer(b)
                if factor is not None:
                    return self.linear(a).scaled(factor)
        if isinstance(node, Call) and node.name == "days_between":
            a, b = node.args
            if (
                isinstance(a, Path)
                and isinstance(b, Path)
                and self._kind(a) == self._kind(b) == "date"
            ):
                out = Linear({b.parts: SCALE})  # dates are day ordinals
                out.add(Linear({a.parts: SCALE}), -1)
                return out
        raise NotLowerable()

    def member(self, node: In, negate: bool, item: bool) -> Condition:
        inside = node.negate != negate  # the test is "not in"
        if isinstance(node.haystack, ListLit):
            return self.literal_member(node, negate, item)
        hay, needle = node.haystack, node.needle
        if item or not isinstance(hay, Path) or hay.relative:
            raise NotLowerable()
        t = self._type(hay)
        if t is None or t.kind != "list" or t.optional:
            raise NotLowerable()
        value = self.operand(needle, item)
        if value is None or (value[0] == "literal" and value[1] is None):
            raise NotLowerable()
        self.record(hay, False)
        ref = encoded(value[1]) if value[0] == "literal" else {"$m": value[1]}
        hit = {"$iany": {hay.dotted: {"$eq": {"$i": ref}}}}
        miss = {"$or": [{"$nex": {hay.dotted: 1}}, {"$iall": {hay.dotted: {"$neq": {"$i": ref}}}}]}
        if value[0] == "literal":
            return miss if inside else hit
        # Native: a missing needle makes ``in``/``not in`` false, and ``not (...)`` true.
        if negate:
            return {"$or": [{"$nex": {value[1]: 1}}, miss if inside else hit]}
        return {"$and": [{"$ex": {value[1]: 1}}, miss if inside else hit]}

    def literal_member(self, node: In, negate: bool, item: bool) -> Condition:
        inside = node.negate != negate
        items = node.haystack.items  # type: ignore[attr-defined]
        if not all(isinstance(i, Literal) for i in items):
            raise NotLowerable()
        needle = self.operand(node.needle, item)
        if needle is None or needle[0] != "path":
            raise NotLowerable()
        if not items:  # a missing needle is in nothing and not-in nothing; ``not`` flips that
            if node.negate:
                return {"$nex" if negate else "$ex": {needle[1]: 1}}
            return ALWAYS if negate else NEVER
        tests = [{OPS["!=" if inside else "=="]: {needle[1]: encoded(i.value)}} for i in items]
        return {"$and": tests} if inside else {"$or": tests}

    def quantifier(self, node: Call, negate: bool) -> Condition:
        source = node.args[0]
        if not isinstance(source, Path) or source.relative:
            raise NotLowerable()
        t = self._type(source)
        if t is not None and t.optional:
            raise NotLowerable()
        # any: some item holds; all: no item fails. Negation swaps them (and the body).
        some = (node.name == "all") == negate
        body = self.cond(node.args[1], negate=negate, item=True)
        self.out.paths.add(source.parts)
        if some:
            return {"$iany": {source.dotted: body}}
        return {"$or": [{"$nex": {source.dotted: 1}}, {"$iall": {source.dotted: body}}]}

    def key(self, node: Path) -> str:
        return f"$i.{node.dotted}" if node.relative else node.dotted

    def record(self, node: Path, item: bool) -> None:
        if not node.relative:
            self.out.paths.add(node.parts)

    def _type(self, node: Path) -> T | None:
        return None if node.relative else self.type_of(node.parts)

    def _kind(self, node: Node) -> str | None:
        t = self._type(node) if isinstance(node, Path) else None
        return None if t is None else t.kind

    def _mark(self) -> tuple[int, set[tuple[str, ...]], int, int]:
        out = self.out
        return (len(out.hoisted), set(out.paths), len(out.tests), len(out.bounds))

    def _reset(self, mark: tuple[int, set[tuple[str, ...]], int, int]) -> None:
        del self.out.hoisted[mark[0] :]
        self.out.paths = mark[1]
        del self.out.tests[mark[2] :]
        del self.out.bounds[mark[3] :]


def type_resolver(facts_type: T) -> TypeOf:
    """The declared type of a fact path (``line.x`` is an item of ``items``)."""
    items = facts_type.field("items")
    line = items.elem if items is not None else None

    def type_of(parts: tuple[str, ...]) -> T | None:
        current = line if parts[0] == "line" else facts_type.field(parts[0])
        for part in parts[1:]:
            if current is None or current.kind != "record":
                return None
            current = current.field(part)
        return current

    return type_of
