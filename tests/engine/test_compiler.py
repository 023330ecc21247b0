"""The ruleset compiler: bundled rulesets compile; a broken one reports every mistake at its
file:line:column in one run; decision tables and effective-date windows behave as documented."""

from __future__ import annotations

import datetime as dt
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine.backends import available_backends
from engine.decision import Decision
from engine.errors import Diagnostic, EvaluationError, RulesetError
from engine.program import Program
from engine.ruleset.compiler import compile_ruleset, compile_with_diagnostics
from engine.ruleset.ir import CellTest
from engine.ruleset.tables import cell_matches, parse_cell
from tests.engine.factories import (
    AS_OF,
    BUNDLED_RULESETS,
    REPO,
    RULESET_HEADER,
    decide,
    make_claim_dict,
    make_item,
    make_program,
    make_rule,
    make_rules_yaml,
    make_ruleset,
)

BROKEN = REPO / "tests" / "fixtures" / "broken"
BROKEN_SHOWN = "tests/fixtures/broken"


def errors_of(root: Path, display: str | None = None) -> list[Diagnostic]:
    ir, bag = compile_with_diagnostics(root, display=display)
    assert ir is None, "a ruleset with errors must not produce IR"
    return [d for d in bag.items if d.severity == "error"]


def position(file: Path, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based (line, column) of the ``occurrence``-th line containing ``needle``."""
    seen = 0
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number, line.index(needle) + 1
    raise AssertionError(f"{needle!r} is not in {file}")


# ---------------------------------------------------------------- bundled rulesets


@pytest.mark.parametrize("root", BUNDLED_RULESETS, ids=lambda p: p.name)
def test_bundled_ruleset_compiles_without_errors(root: Path) -> None:
    ir, bag = compile_with_diagnostics(root)

    assert [str(d) for d in bag.items if d.severity == "error"] == []
    assert ir is not None
    assert ir.identity.id == root.name
    assert ir.identity.content_hash.startswith("sha256:")
    assert ir.rules
    assert all(r.legal_basis and r.explain.zh and r.explain.en for r in ir.rules)


def test_cn_health_has_its_rules_tables_and_benefit_steps() -> None:
    ir = compile_ruleset(REPO / "rulesets" / "cn-health")

    assert len(ir.rules) == 30
    assert {t.id for t in ir.tables} == {
        "required_documents", "coinsurance_factor", "typical_cost", "benefit_schedule",
        "per_visit_limit",
    }  # fmt: skip
    assert [(s.kind, s.per) for s in ir.benefit] == [
        ("eligible", "claim"), ("deductible", "claim"), ("coinsurance", "claim"),
        ("limit", "line"), ("limit", "claim"),
    ]  # fmt: skip
    assert ir.extra["files"][1:] == [
        f"{REPO / 'rulesets' / 'cn-health'}/{name}"
        for name in ("tables.yaml", "benefit.yaml", "sla.yaml", "lifecycle.yaml")
    ]


def test_content_hash_follows_the_text(tmp_path: Path) -> None:
    text = make_rules_yaml(make_rule("r", 'policy.status == "lapsed"'))
    first = compile_ruleset(make_ruleset(tmp_path / "a", text)).identity.content_hash
    same = compile_ruleset(make_ruleset(tmp_path / "b", text)).identity.content_hash
    other = compile_ruleset(
        make_ruleset(tmp_path / "c", text.replace("lapsed", "expired"))
    ).identity.content_hash

    assert first == same != other


# ---------------------------------------------------------------- every mistake, located

MAIN = BROKEN / "ruleset.yaml"
TABLES = BROKEN / "tables.yaml"
BAD = BROKEN / "bad.yaml"

# (file, code, message fragment, (line, column)) -- positions found by text in the fixture.
EXPECTED = [
    (BAD, "E-YAML", "mapping values are not allowed", ("policy.status:", len("policy.status"))),
    (MAIN, "E-INCLUDE", "cannot include '../outside.yaml'", ("../outside.yaml", 0)),
    (TABLES, "E-TABLE", "cannot read cell '[1OO..x]'", ('"[1OO..x]"', 0)),
    (MAIN, "E-SCHEMA", "unknown key 'reason_cod' in rule 'unknown_key'", ("reason_cod:", 0)),
    (MAIN, "E-SCHEMA", "missing required key 'reason_code'", ("- id: unknown_key", 2)),
    (MAIN, "E-SCHEMA", "'outcome' must be one of", ("aprove", 0)),
    (MAIN, "E-TYPE", "cannot compare date with number", ("incident.onset_date > 5", 0)),
    (MAIN, "E-TYPE", "cannot compare date with number", ("policy.start_date > 5", 0)),
    (MAIN, "E-DUP", "duplicate rule 'plain_type_error'", ("plain_type_error", 0, 2)),
    (
        MAIN,
        "E-LEGAL",
        "rule 'no_basis' has an empty legal_basis",
        ("legal_basis: []", len("legal_basis: ")),
    ),
    (MAIN, "E-EXPLAIN", "explain is missing required key 'en'", ("{zh: 中文}", 0)),
    (MAIN, "E-PLACEHOLDER", "unknown fact 'policy.statsu'", ('"Your policy', 0)),
    (MAIN, "E-SCHEMA", "benefit step 'eligible' (eligible) needs 'amount'", ("- id: eligible", 2)),
]


def _expected_where(file: Path, spec: tuple[Any, ...]) -> tuple[int, int]:
    needle, shift = spec[0], spec[1]
    occurrence = spec[2] if len(spec) > 2 else 1
    line, col = position(file, needle, occurrence)
    return line, col + shift


def test_broken_ruleset_reports_every_mistake_at_its_position() -> None:
    found = errors_of(BROKEN, display=BROKEN_SHOWN)

    expected = []
    for file, code, fragment, spec in EXPECTED:
        line, column = _expected_where(file, spec)
        expected.append((f"{BROKEN_SHOWN}/{file.name}", line, column, code, fragment))
    actual = [(d.file, d.line, d.column, d.code, d.message) for d in found]
    for shown, line, column, code, fragment in expected:
        hits = [a for a in actual if a[:4] == (shown, line, column, code) and fragment in a[4]]
        assert hits, f"{shown}:{line}:{column} {code} {fragment!r} not in\n" + "\n".join(
            str(d) for d in found
        )
    assert len(found) == len(expected), "\n".join(str(d) for d in found)


@pytest.mark.parametrize(
    ("code", "fragment", "suggestion"),
    [
        ("E-SCHEMA", "unknown key 'reason_cod'", "did you mean reason_code?"),
        ("E-SCHEMA", "not 'aprove'", "did you mean approve?"),
        ("E-TYPE", "cannot compare date with number", "days_between"),
        ("E-PLACEHOLDER", "policy.statsu", "did you mean policy.status?"),
        ("E-INCLUDE", "../outside.yaml", "inside the ruleset folder"),
    ],
)
def test_broken_ruleset_diagnostics_carry_suggestions(
    code: str, fragment: str, suggestion: str
) -> None:
    found = [d for d in errors_of(BROKEN) if d.code == code and fragment in d.message]

    assert found
    assert all(suggestion in d.suggestion for d in found)


def test_type_error_column_is_exact_in_quoted_and_plain_scalars() -> None:
    found = {d.rule_id or d.line: d for d in errors_of(BROKEN) if d.code == "E-TYPE"}
    lines = MAIN.read_text(encoding="utf-8").splitlines()

    assert len(found) == 2
    for d in found.values():
        text = lines[d.line - 1]
        # The column points at the left operand of the bad comparison, not at the scalar.
        assert text[d.column - 1 :].startswith(("incident.onset_date > 5", "policy.start_date > 5"))
    quoted = lines[position(MAIN, "incident.onset_date > 5")[0] - 1]
    assert quoted.strip().startswith('when: "')


def test_compile_ruleset_raises_with_every_error_in_the_message() -> None:
    with pytest.raises(RulesetError) as info:
        compile_ruleset(BROKEN, display=BROKEN_SHOWN)

    assert len(info.value.diagnostics) == len(EXPECTED)
    text = str(info.value)
    assert text.startswith(f"ruleset has {len(EXPECTED)} error(s):")
    assert f"{BROKEN_SHOWN}/bad.yaml:" in text
    assert f"{BROKEN_SHOWN}/tables.yaml:" in text


def test_type_error_column_is_exact_in_a_folded_block_scalar(tmp_path: Path) -> None:
    root = make_ruleset(
        tmp_path,
        RULESET_HEADER
        + """\
rules:
  - id: folded
    title: folded
    when: >-
      policy.status == "lapsed"
      and incident.onset_date > 5
    outcome: deny
    reason_code: X
    legal_basis: [clause]
    explain: {zh: 中文, en: English}
""",
    )
    (d,) = errors_of(root, display="r")

    assert (d.line, d.column) == position(root / "ruleset.yaml", "incident.onset_date > 5")


def test_sections_of_included_files_are_compiled_in_include_order(tmp_path: Path) -> None:
    main = make_rules_yaml(make_rule("main_rule", "true"), extra="include: [more.yaml]\n")
    more = "rules:\n" + make_rule("included_rule", "policy.deductible > 0")
    ir = compile_ruleset(make_ruleset(tmp_path, main, more_yaml=more))

    assert [r.id for r in ir.rules] == ["main_rule", "included_rule"]
    assert ir.rules[1].where is not None
    assert ir.rules[1].where.file.endswith("ruleset/more.yaml")
    assert ir.rules[1].where.line == 2


def test_missing_ruleset_file_is_a_located_diagnostic(tmp_path: Path) -> None:
    (d,) = errors_of(tmp_path, display="nowhere")

    assert (d.code, d.file, d.line, d.column) == ("E-FILE", "nowhere/ruleset.yaml", 1, 1)


def test_missing_top_level_keys_and_unknown_timezone(tmp_path: Path) -> None:
    root = make_ruleset(tmp_path, "ruleset: x\nversion: 1\ntimezone: Mars/Olympus\nrules: []\n")
    messages = [d.message for d in errors_of(root)]

    assert "ruleset is missing required key 'jurisdiction'" in messages
    assert "unknown time zone 'Mars/Olympus'" in messages


def test_bad_effective_date_is_a_schema_error(tmp_path: Path) -> None:
    rule = make_rule("r", 'policy.status == "lapsed"', extra='effective_from: "1 June 2025"\n')
    (d,) = errors_of(make_ruleset(tmp_path, make_rules_yaml(rule)))

    assert d.code == "E-SCHEMA"
    assert "'effective_from' must be a date" in d.message


def test_table_and_derived_fact_mistakes_are_reported_together(tmp_path: Path) -> None:
    text = make_rules_yaml(
        make_rule("r", "bands_total > 0"),
        extra="""\
        derive:
          - name: bands_total
            expr: sum(items, .amount)
          - name: bands_total
            expr: 1
        tables:
          - id: t
            hit_policy: every
            inputs: [{name: a, expr: claim_typ}]
            outputs: [{name: o, type: string}]
            rows: []
        """,
    )
    codes = sorted(
        (d.code, d.message.split("'")[1]) for d in errors_of(make_ruleset(tmp_path, text))
    )

    assert ("E-DUP", "bands_total") in codes
    assert ("E-PATH", "claim_typ") in codes
    assert ("E-SCHEMA", "hit_policy") in codes


def test_unknown_table_in_an_expression(tmp_path: Path) -> None:
    (d,) = errors_of(make_ruleset(tmp_path, make_rules_yaml(make_rule("r", 'table("nope")'))))

    assert d.code == "E-TABLE"
    assert "unknown decision table 'nope'" in d.message


# ---------------------------------------------------------------- decision tables


def table_program(tmp_path: Path, table: str, *, scope: str = "claim") -> Program:
    """A ruleset whose derived fact ``out`` is ``table("t")``."""
    derive = f"""\
        derive:
          - name: out
            scope: {scope}
            expr: table("t")
        tables:
        """
    text = make_rules_yaml(make_rule("never", "false"), extra=textwrap.dedent(derive) + table)
    return make_program(tmp_path, text)


def out_for(program: Program, **claim: Any) -> Any:
    from engine.claim import load_claim

    facts = program.facts(load_claim(make_claim_dict(**claim)), AS_OF)
    return facts["out"]


def out_per_line(program: Program, amounts: list[str]) -> list[Any]:
    from engine.claim import load_claim

    items = [make_item(i + 1, amount=a) for i, a in enumerate(amounts)]
    facts = program.facts(load_claim(make_claim_dict(items=items)), AS_OF)
    return [item["out"] for item in facts["items"]]


BANDS = """\
  - id: t
    hit_policy: {policy}
    inputs:
      - {{name: amount, expr: line.amount}}
    outputs:
      - {{name: band, type: string}}
    rows:
      - {{when: {{amount: "[0..100)"}}, then: {{band: low}}}}
      - {{when: {{amount: "[100..1000]"}}, then: {{band: mid}}}}
      - {{when: {{amount: "> 500"}}, then: {{band: big}}}}
{default}"""


UNIQUE_BANDS = BANDS.replace('"> 500"', '"> 1000"')


def test_unique_table_picks_the_only_matching_row(tmp_path: Path) -> None:
    program = table_program(
        tmp_path, UNIQUE_BANDS.format(policy="unique", default=""), scope="line"
    )

    assert out_per_line(program, ["0.00", "99.99", "100.00", "500.00"]) == [
        "low",
        "low",
        "mid",
        "mid",
    ]


def test_unique_table_with_overlapping_rows_is_a_compile_error(tmp_path: Path) -> None:
    with pytest.raises(RulesetError) as info:
        table_program(tmp_path, BANDS.format(policy="unique", default=""), scope="line")

    (d,) = [d for d in info.value.diagnostics if d.severity == "error"]
    assert d.code == "E-TABLE-OVERLAP"
    assert d.message == "rows #2 and #3 of unique table 't' both match amount=500.000001"


def test_unique_table_overlap_at_runtime_is_an_evaluation_error() -> None:
    from engine.expression.native import NativeCompiler
    from engine.ruleset.tables import table_function

    table = compile_ruleset(REPO / "rulesets" / "cn-health").tables[1]
    doubled = type(table)(
        table.id,
        "unique",
        table.inputs,
        table.outputs,
        (*table.rows, table.rows[0]),
        table.default,
        table.where,
    )
    run = table_function(doubled, NativeCompiler())
    line = {"provider_level": "grade1", "social_insurance_paid": 1}
    with pytest.raises(EvaluationError, match=r"table coinsurance_factor: 2 rows match inputs"):
        run({"line": line}, None)


def test_unique_table_with_no_match_and_no_default_fails_naming_the_inputs(
    tmp_path: Path,
) -> None:
    table = BANDS.format(policy="unique", default="").replace('"> 500"', '"> 5000"')
    program = table_program(tmp_path, table, scope="line")

    with pytest.raises(EvaluationError, match=r"table t: no row matches inputs amount=1000\.01"):
        out_per_line(program, ["1000.01"])


def test_first_table_takes_the_first_matching_row_in_order(tmp_path: Path) -> None:
    program = table_program(tmp_path, BANDS.format(policy="first", default=""), scope="line")

    assert out_per_line(program, ["600.00", "1000.00", "1000.01"]) == ["mid", "mid", "big"]


def test_collect_table_returns_every_matching_row(tmp_path: Path) -> None:
    program = table_program(tmp_path, BANDS.format(policy="collect", default=""), scope="line")

    assert out_per_line(program, ["50.00", "600.00", "2000.00", "1000.00"]) == [
        ["low"],
        ["mid", "big"],
        ["big"],
        ["mid", "big"],
    ]


def test_default_applies_when_no_row_matches(tmp_path: Path) -> None:
    table = BANDS.format(policy="first", default="    default: {band: none}\n").replace(
        '"> 500"', '"> 5000"'
    )
    program = table_program(tmp_path, table, scope="line")

    assert out_per_line(program, ["1000.01", "10.00"]) == ["none", "low"]


def test_table_with_two_inputs_and_list_cells_feeds_a_rule(tmp_path: Path) -> None:
    table = """\
  - id: t
    hit_policy: first
    inputs:
      - {name: status, expr: policy.status}
      - {name: waiting, expr: policy.waiting_period_days}
    outputs:
      - {name: verdict, type: string}
      - {name: factor, type: number}
    rows:
      - {when: {status: [lapsed, expired]}, then: {verdict: out, factor: 0}}
      - {when: {status: in_force, waiting: ">= 90"}, then: {verdict: long, factor: 0.5}}
      - {when: {waiting: "-"}, then: {verdict: ok, factor: 1}}
"""
    program = table_program(tmp_path, table)

    assert out_for(program, policy={**make_claim_dict()["policy"], "status": "expired"}) == {
        "verdict": "out",
        "factor": Decimal("0"),
    }
    long_wait = {**make_claim_dict()["policy"], "waiting_period_days": 90}
    assert out_for(program, policy=long_wait) == {"verdict": "long", "factor": Decimal("0.5")}
    assert out_for(program) == {"verdict": "ok", "factor": Decimal("1")}


@pytest.mark.parametrize(
    ("cell", "inside", "outside"),
    [
        ("[0..100)", ["0", "99.99"], ["100", "-0.01"]),
        ("(0..100]", ["0.01", "100"], ["0", "100.01"]),
        ("[1..5]", ["1", "5"], ["0.99", "5.01"]),
        ("(1..5)", ["1.01", "4.99"], ["1", "5"]),
        ("< 100", ["99.99"], ["100"]),
        (">= 0.5", ["0.5", "7"], ["0.49"]),
        ("!= 3", ["2"], ["3"]),
        ("-", ["0", "-1"], []),
    ],
)
def test_cell_ranges_and_operators(cell: str, inside: list[str], outside: list[str]) -> None:
    test = parse_cell(cell)

    assert isinstance(test, CellTest)
    assert all(cell_matches(test, Decimal(v)) for v in inside)
    assert not any(cell_matches(test, Decimal(v)) for v in outside)
    assert cell_matches(test, None) is (test.op == "any")


@pytest.mark.parametrize("cell", ["[a..b)", "[1..x]", "(low..5]"])
def test_unreadable_range_cells(cell: str) -> None:
    assert parse_cell(cell) is None


# ---------------------------------------------------------------- effective windows


def window_program(tmp_path: Path, scope: str) -> Program:
    when = "true" if scope == "claim" else "line.amount > 0"
    rule = make_rule(
        "windowed",
        when,
        scope=scope,
        extra="effective_from: 2025-06-01\neffective_to: 2025-06-30\n",
    )
    return make_program(tmp_path, make_rules_yaml(rule))


def _windowed_hits(decision: Decision) -> list[Any]:
    return [r.line_id for r in decision.reasons if r.rule_id == "windowed"]


@pytest.mark.parametrize("backend", available_backends())
@pytest.mark.parametrize(
    ("onset", "applies"),
    [("2025-05-31", False), ("2025-06-01", True), ("2025-06-30", True), ("2025-07-01", False)],
)
def test_claim_rule_window_is_checked_against_the_onset_date(
    tmp_path: Path, backend: str, onset: str, applies: bool
) -> None:
    program = window_program(tmp_path, "claim")
    incident = {**make_claim_dict()["incident"], "onset_date": onset}
    decision = decide(program, make_claim_dict(incident=incident), backend=backend)

    assert _windowed_hits(decision) == ([None] if applies else [])


@pytest.mark.parametrize("backend", available_backends())
def test_line_rule_window_is_checked_against_each_service_date(
    tmp_path: Path, backend: str
) -> None:
    program = window_program(tmp_path, "line")
    dates = ["2025-05-31", "2025-06-01", "2025-06-30", "2025-07-01"]
    items = [make_item(i + 1, service_date=d) for i, d in enumerate(dates)]
    decision = decide(program, make_claim_dict(items=items), backend=backend)

    assert _windowed_hits(decision) == [2, 3]


def test_window_is_kept_on_the_rule_and_folded_into_its_condition(tmp_path: Path) -> None:
    (rule,) = window_program(tmp_path, "claim").ir.rules

    assert (rule.effective_from, rule.effective_to) == (dt.date(2025, 6, 1), dt.date(2025, 6, 30))
    assert rule.when.source == "true"
    assert rule.condition.node != rule.when.node


def test_table_cells_that_can_never_match_their_input_are_errors(tmp_path: Path) -> None:
    root = make_ruleset(
        tmp_path,
        RULESET_HEADER
        + """\
tables:
  - id: t
    hit_policy: first
    inputs:
      - {name: level, expr: line.provider_level}
      - {name: amount, expr: line.amount}
    outputs: [{name: rate, type: number}]
    rows:
      - {when: {level: grade4}, then: {rate: 1}}
      - {when: {amount: "(..5]"}, then: {rate: 1}}
      - {when: {level: "< grade3"}, then: {rate: 1}}
      - {when: {level: grade3, amount: "[0..100)"}, then: {rate: 1}}
""",
    )
    errors = errors_of(root, display="r")
    messages = [(d.code, d.line, d.message) for d in errors]

    assert len(errors) == 3, messages
    assert all(code == "E-TABLE" for code, _, _ in messages)
    assert "'grade4' is never a value of this input" in errors[0].message
    assert errors[0].suggestion.startswith("did you mean grade")
    assert "is a string but the input is a number" in errors[1].message
    assert "compares order, but the input is a string" in errors[2].message
