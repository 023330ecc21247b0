"""The condition language: what parses, what is refused (with a column), what the checker
catches before a ruleset ships, and what the native evaluator computes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.errors import EvaluationError
from engine.expression.checker import Checker
from engine.expression.native import NativeCompiler
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
from engine.expression.parser import ExpressionSyntaxError, parse_expression
from engine.expression.types import Scope, T, TypeIssue
from engine.ruleset.compiler import base_scope
from tests.engine.factories import make_id_number


def P(*parts: str) -> Path:
    return Path(parts)


def item(*parts: str) -> Path:
    return Path(parts, relative=True)


def L(value: Any) -> Literal:
    return Literal(value)


def check(
    source: str, *, with_line: bool = False, condition: bool = False
) -> tuple[T, list[TypeIssue]]:
    """Type-check ``source`` against the claim facts (plus ``line`` for line rules);
    ``condition`` also requires a true/false result, as a rule's ``when`` does."""
    facts, line = base_scope()
    checker = Checker(Scope(facts.with_field("line", line) if with_line else facts))
    node = parse_expression(source)
    if condition:
        checker.expect_bool(node)
        return T("bool"), checker.issues
    return checker.check(node), checker.issues


def only_issue(source: str, **kwargs: Any) -> TypeIssue:
    _, issues = check(source, **kwargs)
    assert len(issues) == 1, issues
    return issues[0]


def syntax_error(source: str) -> ExpressionSyntaxError:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse_expression(source)
    return info.value


def run(source: str, facts: dict[str, Any] | None = None) -> Any:
    return NativeCompiler().compile(parse_expression(source))(facts or {}, None)


# ---------------------------------------------------------------- parser: accepted forms


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("policy.deductible > 0", Compare(">", P("policy", "deductible"), L(0))),
        ('claim_type == "medical_expense"', Compare("==", P("claim_type"), L("medical_expense"))),
        ("a != b", Compare("!=", P("a"), P("b"))),
        ("a <= 1.5", Compare("<=", P("a"), L(Decimal("1.5")))),
        (
            "1 < a < 3",
            BoolOp("and", (Compare("<", L(1), P("a")), Compare("<", P("a"), L(3)))),
        ),
        (
            "a and b or not c",
            BoolOp("or", (BoolOp("and", (P("a"), P("b"))), Not(P("c")))),
        ),
        ('a in ["x", "y"]', In(P("a"), ListLit((L("x"), L("y"))))),
        ("a not in b.c", In(P("a"), P("b", "c"), negate=True)),
        ("1 + 2 * 3", Arith("+", L(1), Arith("*", L(2), L(3)))),
        ("(a - b) / 2", Arith("/", Arith("-", P("a"), P("b")), L(2))),
        ("-a", Neg(P("a"))),
        ("-5", L(-5)),
        ("a.b.c.d", P("a", "b", "c", "d")),
        ("true and not false", BoolOp("and", (L(True), Not(L(False))))),
        ("a == null", Compare("==", P("a"), L(None))),
        (
            'any(items, .category == "inpatient")',
            Call("any", (P("items"), Compare("==", item("category"), L("inpatient")))),
        ),
        ("sum(items, .amount)", Call("sum", (P("items"), item("amount")))),
        (
            "count(items, .detail.kind == 1)",
            Call("count", (P("items"), Compare("==", item("detail", "kind"), L(1)))),
        ),
        (
            "any(items, .amount > 0 and all(prior_claims, .amount < 5))",
            Call(
                "any",
                (
                    P("items"),
                    BoolOp(
                        "and",
                        (
                            Compare(">", item("amount"), L(0)),
                            Call("all", (P("prior_claims"), Compare("<", item("amount"), L(5)))),
                        ),
                    ),
                ),
            ),
        ),
        ("days_between(a, b)", Call("days_between", (P("a"), P("b")))),
        ('date("2025-01-01")', Call("date", (L("2025-01-01"),))),
    ],
)
def test_documented_forms_parse_into_the_ir(source: str, expected: Node) -> None:
    assert parse_expression(source) == expected


def test_number_literals_are_exact_decimals_never_floats() -> None:
    tree = parse_expression("0.1 + 2")

    assert isinstance(tree, Arith)
    assert isinstance(tree.left, Literal)
    assert type(tree.left.value) is Decimal
    assert tree.left.value == Decimal("0.1")
    assert type(tree.right.value) is int  # type: ignore[attr-defined]


def test_columns_point_at_sub_expressions_in_the_authors_text() -> None:
    source = 'any(items, .amount > 0) and policy.status == "x"'
    tree = parse_expression(source)

    assert isinstance(tree, BoolOp)
    quantifier, compare = tree.operands
    assert compare.col == source.index("policy")
    assert isinstance(quantifier, Call)
    body = quantifier.args[1]
    assert isinstance(body, Compare)
    assert body.left.col == source.index(".amount")  # the inserted "_" is not counted


# ---------------------------------------------------------------- parser: refused syntax


@pytest.mark.parametrize(
    ("source", "at", "message"),
    [
        ("claim_type == 'x' and a ** 2 > 1", "a ** 2", "not allowed"),
        ("a % 2 == 0", "a % 2", "not allowed"),
        ("a // 2 == 0", "a // 2", "not allowed"),
        ("claim_type == 'x' or (lambda: 1)", "lambda", "not allowed"),
        ("a > 1 and policy.status.upper() == 'X'", "policy.status.upper()", "named functions"),
        ("a > 1 and items[0].amount > 1", "items[0]", "cannot pick a list element by index"),
        ("a > 1 and items[0] == 1", "items[0]", "cannot pick a list element by index"),
        ("claim_type == 'x' or max(1, key=2) > 0", "max(", "keyword arguments"),
        ("a if b else c", "a if b", "not allowed"),
        ("[x for x in items] == []", "[x for", "not allowed"),
        ("{1: 2} == a", "{1: 2}", "not allowed"),
        ("a is None", "a is None", "'is' comparisons"),
        ("~a", "~a", "'~'"),
        ("(a := 1) > 0", "a := 1", "not allowed"),
        ('f"{a}" == "1"', 'f"{a}"', "not allowed"),
        ("any(items, .amount > 0) and a ** 2 > 1", "a ** 2", "not allowed"),
        ('"中文" == claim_type and 1 ** 2 > 0', "1 ** 2", "not allowed"),
        ("_ == 1", "_", "reserved"),
    ],
)
def test_syntax_outside_the_whitelist_is_refused_at_its_column(
    source: str, at: str, message: str
) -> None:
    err = syntax_error(source)

    assert message in err.message
    assert err.col == source.index(at)


@pytest.mark.parametrize("source", ["", "   ", "a and", "a > > 1", "max(1,", "a.b("])
def test_unparsable_text_is_a_syntax_error_not_a_crash(source: str) -> None:
    err = syntax_error(source)

    assert err.message
    assert 0 <= err.col <= len(source)


@pytest.mark.parametrize(
    "source",
    ['__import__("os")', 'eval("1")', 'open("/etc/passwd")', "getattr(policy, 'x')"],
)
def test_calls_outside_the_function_whitelist_are_refused_by_the_checker(source: str) -> None:
    prefix = "claim_type == 'property' or "
    issue = only_issue(prefix + source)

    assert issue.code == "E-FUNC"
    assert issue.col == len(prefix)
    assert "unknown function" in issue.message


# ---------------------------------------------------------------- checker


def test_date_compared_with_a_number_is_a_type_error_with_a_hint() -> None:
    source = 'claim_type == "medical_expense" and incident.onset_date > 5'
    issue = only_issue(source)

    assert issue.code == "E-TYPE"
    assert issue.message == "cannot compare date with number"
    assert "days_between" in issue.suggestion
    assert issue.col == source.index("incident")


def test_date_compared_with_a_string_suggests_the_date_function() -> None:
    issue = only_issue('policy.start_date > "2025-01-01"')

    assert issue.code == "E-TYPE"
    assert 'date("YYYY-MM-DD")' in issue.suggestion


@pytest.mark.parametrize(
    ("source", "at", "suggestion"),
    [
        ('policy.statu == "lapsed"', "policy.statu", "did you mean policy.status?"),
        ('polcy.status == "lapsed"', "polcy", "did you mean policy"),
        ("claim_typ == 1", "claim_typ", "did you mean claim_type?"),
        ("any(items, .amout > 0)", ".amout", "did you mean amount?"),
    ],
)
def test_unknown_fact_path_says_did_you_mean(source: str, at: str, suggestion: str) -> None:
    issue = only_issue(source)

    assert issue.code == "E-PATH"
    assert "unknown fact" in issue.message
    assert issue.suggestion.startswith(suggestion)
    assert issue.col == source.index(at)


def test_field_of_a_list_points_to_the_quantifiers() -> None:
    issue = only_issue("items.amount > 1")

    assert issue.code == "E-PATH"
    assert "any(items, .amount" in issue.suggestion


def test_item_path_outside_a_quantifier_is_refused() -> None:
    issue = only_issue(".amount > 1")

    assert "outside a list function" in issue.message


@pytest.mark.parametrize(
    ("source", "bad", "suggestion"),
    [
        ('policy.status == "inforce"', '"inforce"', "did you mean in_force?"),
        ('"inforce" == policy.status', '"inforce"', "did you mean in_force?"),
        ('policy.status in ["in_force", "lapsd"]', '"lapsd"', "did you mean lapsed?"),
        ('any(items, .category == "dentl")', '"dentl"', "did you mean dental?"),
        ('line.category != "pharmacyy"', '"pharmacyy"', "did you mean pharmacy?"),
    ],
)
def test_string_outside_an_enum_is_reported_at_the_literal(
    source: str, bad: str, suggestion: str
) -> None:
    issue = only_issue(source, with_line=True)

    assert issue.code == "E-ENUM"
    assert "is never a value here" in issue.message
    assert issue.suggestion == suggestion
    assert issue.col == source.index(bad)


@pytest.mark.parametrize(
    "source",
    [
        "incident.loss_notice_date > policy.start_date",
        "policy.start_date < incident.knew_date",
        "days_between(incident.onset_date, incident.loss_notice_date) > 30",
        "incident.knew_date in [today]",
        "max(items, .amount) > 5",
    ],
)
def test_optional_fact_without_coalesce_is_refused(source: str) -> None:
    issue = only_issue(source)

    assert issue.code == "E-NULLABLE"
    assert "exists" in issue.suggestion or "coalesce" in issue.suggestion


@pytest.mark.parametrize(
    "source",
    [
        "coalesce(incident.loss_notice_date, today) > policy.start_date",
        "exists(incident.loss_notice_date)",
        "incident.loss_notice_date != null",
        "coalesce(max(items, .amount), 0) > 5",
        "member.phone == null or startswith(coalesce(member.phone, ''), '138')",
    ],
)
def test_optional_fact_through_exists_coalesce_or_null_test_is_fine(source: str) -> None:
    assert check(source)[1] == []


def test_unknown_function_suggests_the_closest_one() -> None:
    issue = only_issue("day_between(policy.start_date, today) > 3")

    assert issue.code == "E-FUNC"
    assert issue.suggestion == "did you mean days_between?"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("days_between(policy.start_date) > 1", "days_between() takes 2 argument(s), got 1"),
        ("len(items, items) > 1", "len() takes 1 argument(s), got 2"),
        ("coalesce(1) > 1", "coalesce() takes at least 2 argument(s), got 1"),
        ("round(1, 2, 3) > 1", "round() takes 1 to 2 argument(s), got 3"),
    ],
)
def test_wrong_number_of_arguments_is_an_arity_error(source: str, message: str) -> None:
    issue = only_issue(source)

    assert issue.code == "E-ARITY"
    assert issue.message == message


def test_every_problem_of_one_expression_is_collected() -> None:
    source = 'policy.statu == "x" and incident.onset_date > 5 and foo(1)'
    _, issues = check(source)

    assert [(i.code, i.col) for i in issues] == [
        ("E-PATH", source.index("policy")),
        ("E-TYPE", source.index("incident")),
        ("E-FUNC", source.index("foo")),
    ]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("policy.deductible + 1", "a condition must be true or false, not number"),
        ("policy.start_date + 1 > today", "arithmetic needs numbers, not date"),
        ("sum(items, .category) > 1", "sum() adds numbers, not string"),
        ("policy.exclusions > 1", "cannot compare list of string with number"),
        ("0.1234567 > policy.deductible", "more than 6 decimal places"),
    ],
)
def test_misused_values_are_type_errors(source: str, message: str) -> None:
    _, issues = check(source, condition=True)

    assert any(message in i.message for i in issues), issues


def test_well_typed_conditions_have_no_issues() -> None:
    for source in [
        'policy.status != "in_force" or incident.onset_date < policy.start_date',
        'any(items, .category == "inpatient" and .amount > 1000)',
        "sum(items, .amount - .social_insurance_paid) >= policy.deductible",
        "days_between(policy.start_date, incident.onset_date) < policy.waiting_period_days",
        'line.category in policy.exclusions and line.provider_level in ["grade1", "grade2"]',
        "count(items, .amount > 0) == len(items)",
        'incident.onset_date >= date("2025-01-01")',
        "not id_checksum_valid(member.id_number)",
    ]:
        t, issues = check(source, with_line=True)
        assert issues == [], source
        assert t.kind == "bool", source


# ---------------------------------------------------------------- native evaluation

FACTS: dict[str, Any] = {
    "x": Decimal("2.50"),
    "zero": 0,
    "items": [
        {"amount": Decimal("1.10"), "category": "inpatient"},
        {"amount": Decimal("2.20"), "category": "dental"},
    ],
    "empty": [],
    "start": dt.date(2025, 3, 1),
    "onset": dt.date(2025, 6, 10),
    "birth": dt.date(1990, 6, 11),
    "tags": ["a", "b"],
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("0.1 + 0.2 == 0.3", True),
        ("0.1 + 0.2", Decimal("0.3")),
        ("3 * 0.1 == 0.3", True),
        ("1 / 3", Decimal("0.333333")),
        ("2 / 3", Decimal("0.666667")),
        ("1 / 3 * 3 == 1", False),  # rounded to 6 places at every step, on purpose
        ("x * 2", Decimal("5.00")),
        ("-x", Decimal("-2.50")),
        ("10 - 2 * 3", 4),
        ("x > 2 and x < 3", True),
        ("not x > 2", False),
        ("x in [1, 2.5]", True),
        ('"c" not in tags', True),
        ('any(items, .category == "inpatient")', True),
        ('all(items, .category == "inpatient")', False),
        ("any(empty, .amount > 0)", False),
        ("all(empty, .amount > 0)", True),
        ("count(items, .amount > 2)", 1),
        ("count(items)", 2),
        ("sum(items, .amount)", Decimal("3.3")),
        ("sum(empty, .amount)", 0),
        ("max(items, .amount)", Decimal("2.20")),
        ("min(empty, .amount)", None),
        ("max(1, x)", Decimal("2.50")),
        ("any(items, .amount > 1 and any(items, .amount > 2))", True),
        ("any(items, any(empty, .amount > 0))", False),
        ("days_between(start, onset)", 101),
        ("add_days(start, 30) == date('2025-03-31')", True),
        ("age_at(birth, onset)", 34),
        ("year(onset)", 2025),
        ("round(2.675, 2)", Decimal("2.68")),
        ("abs(0 - x)", Decimal("2.50")),
        ("len(tags)", 2),
        ("unique(map(items, .category))", ["inpatient", "dental"]),
        ("difference(tags, ['a'])", ["b"]),
        ("coalesce(missing, 7)", 7),
        ("exists(missing)", False),
        ("lower('ABC') == 'abc'", True),
        ("startswith('H-3301', 'H-33')", True),
    ],
)
def test_native_evaluation(source: str, expected: Any) -> None:
    result = run(source, FACTS)

    assert result == expected
    assert type(result) is type(expected) or isinstance(expected, Decimal)
    assert not isinstance(result, float)


def test_arithmetic_results_are_rounded_half_even_to_six_places() -> None:
    assert run("0.0000025 * 1") == Decimal("0.000002")
    assert run("0.0000035 * 1") == Decimal("0.000004")


@given(
    st.decimals(min_value=0, max_value=10**9, places=2),
    st.decimals(min_value=0, max_value=10**9, places=2),
)
def test_decimal_sums_are_exact(a: Decimal, b: Decimal) -> None:
    facts = {"a": a, "b": b, "c": a + b}

    assert run("a + b == c", facts) is True
    assert run("a + b - b == a", facts) is True
    assert run("a + b", facts) == a + b


@pytest.mark.parametrize("source", ["1 / 0", "x / zero", "x / (x - 2.5)"])
def test_division_by_zero_is_an_evaluation_error(source: str) -> None:
    with pytest.raises(EvaluationError, match="division by zero"):
        run(source, FACTS)


@pytest.mark.parametrize(
    "source",
    [
        "missing > 1",
        "missing < 1",
        "missing >= 0",
        "missing == 1",
        "missing != 1",
        "missing.deeper == 1",
        "1 in missing",
        "1 not in missing",
        "missing in [1]",
        "missing + 1 > 0",
    ],
)
def test_comparisons_with_a_missing_value_are_false(source: str) -> None:
    assert run(source, FACTS) is False


def test_null_tests_and_negation_of_a_missing_comparison() -> None:
    assert run("missing == null", FACTS) is True
    assert run("missing != null", FACTS) is False
    assert run("x != null", FACTS) is True
    assert run("not (missing > 1)", FACTS) is True


def test_and_or_short_circuit_so_a_guard_prevents_a_division_error() -> None:
    assert run("zero != 0 and x / zero > 1", FACTS) is False
    assert run("zero == 0 or x / zero > 1", FACTS) is True


def test_id_checksum_function_uses_the_gb11643_check_digit() -> None:
    good, bad = make_id_number(valid=True), make_id_number(valid=False)

    assert run("id_checksum_valid(n)", {"n": good}) is True
    assert run("id_checksum_valid(n)", {"n": bad}) is False
