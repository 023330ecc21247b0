"""Condition IR printed back as text parses to the same IR (what ``--explain`` quotes)."""

from __future__ import annotations

import datetime as dt
import keyword
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.evaluate import load_program
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
from engine.expression.parser import parse_expression
from engine.expression.text import expression_text
from engine.ruleset.ir import Expr
from tests.engine.factories import BUNDLED_RULESETS

RESERVED = set(keyword.kwlist) | {"true", "false", "null", "True", "False", "_", "match", "case"}


def bundled_expressions() -> list[tuple[str, Expr]]:
    out: list[tuple[str, Expr]] = []
    for root in BUNDLED_RULESETS:
        ir = load_program(root).ir
        out += [(f"{root.name}:rule:{r.id}", r.when) for r in ir.rules]
        out += [(f"{root.name}:derive:{d.name}", d.expr) for d in ir.derives]
        out += [(f"{root.name}:step:{s.kind}", s.expr) for s in ir.benefit]
        out += [(f"{root.name}:table:{t.id}:{i.name}", i.expr) for t in ir.tables for i in t.inputs]
        out += [(f"{root.name}:sla:{n.id}", n.applies_when) for n in ir.sla if n.applies_when]
    return out


BUNDLED = bundled_expressions()


@pytest.mark.parametrize(("name", "expr"), BUNDLED, ids=[n for n, _ in BUNDLED])
def test_every_bundled_expression_prints_back_to_itself(name: str, expr: Expr) -> None:
    assert parse_expression(expression_text(expr.node)) == expr.node


A, B, C = Path(("a",)), Path(("b",)), Path(("c",))


@pytest.mark.parametrize(
    ("node", "text"),
    [
        (BoolOp("or", (A, BoolOp("and", (B, C)))), "a or (b and c)"),
        (BoolOp("and", (A, BoolOp("or", (B, C)))), "a and (b or c)"),
        (Not(BoolOp("and", (A, B))), "not (a and b)"),
        (Not(Compare("==", A, Literal("x"))), 'not a == "x"'),
        (Arith("-", A, Arith("-", B, C)), "a - (b - c)"),
        (Arith("-", Arith("-", A, B), C), "a - b - c"),
        (Arith("*", Arith("+", A, Literal(1)), Literal(Decimal("0.80"))), "(a + 1) * 0.80"),
        (Neg(Arith("+", A, B)), "-(a + b)"),
        (In(A, ListLit((Literal("x"), Literal(None))), negate=True), 'a not in ["x", null]'),
        (Call("any", (Path(("items",)), Compare(">", Path(("amount",), True), Literal(-1)))),
         "any(items, .amount > -1)"),
        (Compare(">=", Path(("incident", "onset_date")), Literal(dt.date(2024, 1, 1))),
         'incident.onset_date >= date("2024-01-01")'),
        (Literal('say "hi" 您好'), '"say \\"hi\\" 您好"'),
    ],
)  # fmt: skip
def test_text_uses_the_fewest_parentheses_that_keep_the_meaning(node: Node, text: str) -> None:
    assert expression_text(node) == text


names = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True).filter(lambda s: s not in RESERVED)
paths = st.builds(Path, st.lists(names, min_size=1, max_size=3).map(tuple), relative=st.booleans())
literals = st.builds(
    Literal,
    st.one_of(
        st.booleans(),
        st.none(),
        st.integers(-(10**9), 10**9),
        st.decimals(places=2, allow_nan=False, allow_infinity=False, min_value=-(10**6),
                    max_value=10**6),
        st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=8),
    ),
)  # fmt: skip


def _compound(inner: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    ops = st.sampled_from
    return st.one_of(
        st.builds(BoolOp, ops(["and", "or"]), st.lists(inner, min_size=2, max_size=3).map(tuple)),
        st.builds(Not, inner),
        st.builds(Compare, ops(["==", "!=", "<", "<=", ">", ">="]), inner, inner),
        st.builds(In, inner, inner, negate=st.booleans()),
        st.builds(Arith, ops(["+", "-", "*", "/"]), inner, inner),
        # the parser folds a minus sign into a number literal, so Neg only wraps the rest
        st.builds(Neg, inner.filter(lambda n: not isinstance(n, Literal))),
        st.builds(Call, names, st.lists(inner, max_size=3).map(tuple)),
        st.builds(ListLit, st.lists(inner, max_size=3).map(tuple)),
    )


trees = st.recursive(st.one_of(paths, literals), _compound, max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(trees)
def test_any_tree_prints_to_text_that_parses_back_to_it(node: Node) -> None:
    assert parse_expression(expression_text(node)) == node
