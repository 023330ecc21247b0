"""``explain_rule``: which ``and``/``or`` operand of a rule's condition held or failed, with
the facts it read; its verdict is the one the decision's trace records."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.claim import load_claim
from engine.errors import UnknownRuleError
from engine.program import Program
from engine.rule_explanation import OperandResult, RuleExplanation, explain_rule
from tests.engine.factories import (
    AS_OF,
    CN_HEALTH,
    REPO,
    bundled_program,
    decide,
    make_claim_dict,
    make_item,
    make_program,
    make_rule,
    make_rules_yaml,
)

CORPUS = sorted((REPO / "examples" / "claims").glob("*.json"))


def explain(program: Program, rule_id: str, claim: dict[str, Any] | None = None) -> RuleExplanation:
    return explain_rule(program, load_claim(claim or make_claim_dict()), rule_id, as_of=AS_OF)


def one_rule(tmp_path: Path, when: str, **kwargs: Any) -> Program:
    return make_program(tmp_path, make_rules_yaml(make_rule("r", when, **kwargs)))


def summary(operands: tuple[OperandResult, ...]) -> list[tuple[str, str, tuple[bool, ...]]]:
    return [(o.key, o.text, o.results) for o in operands]


def test_each_operand_with_its_value_and_the_facts_it_read(tmp_path: Path) -> None:
    program = one_rule(tmp_path, 'policy.status == "in_force" and incident.is_accident')

    (result,) = explain(program, "r").results

    assert (result.line_id, result.held, result.combined_by) == (None, False, "and")
    assert summary(result.operands) == [
        ("0", 'policy.status == "in_force"', (True,)),
        ("1", "incident.is_accident", (False,)),
    ]
    assert result.operands[0].facts == {"policy.status": "in_force"}
    assert result.operands[1].facts == {"incident.is_accident": False}


@pytest.mark.parametrize(
    ("when", "values", "held"),
    [
        ("incident.is_accident and policy.waiting_period_days > 0", [(False,), ()], False),
        ("policy.waiting_period_days > 0 or incident.is_accident", [(True,), ()], True),
        ("incident.is_accident or policy.waiting_period_days > 100", [(False,), (False,)], False),
    ],
)
def test_short_circuit_leaves_later_operands_unevaluated(
    tmp_path: Path, when: str, values: list[tuple[bool, ...]], held: bool
) -> None:
    (result,) = explain(one_rule(tmp_path, when), "r").results

    assert [o.results for o in result.operands] == values
    assert result.held is held


def test_nested_and_or_is_a_tree_keyed_as_coverage_reports_it(tmp_path: Path) -> None:
    when = (
        "policy.deductible > 0 and (incident.is_accident "
        "or (policy.waiting_period_days >= 30 and not policy.designated_providers_only))"
    )
    (result,) = explain(one_rule(tmp_path, when), "r").results

    assert result.held is True
    top = result.operands
    assert summary(top)[0] == ("0", "policy.deductible > 0", (True,))
    assert (top[1].key, top[1].combined_by, top[1].results) == ("1", "or", (True,))
    assert summary(top[1].operands) == [
        ("1.0", "incident.is_accident", (False,)),
        (
            "1.1",
            "policy.waiting_period_days >= 30 and not policy.designated_providers_only",
            (True,),
        ),
    ]
    inner = top[1].operands[1]
    assert inner.combined_by == "and"
    assert [o.key for o in inner.operands] == ["1.1.0", "1.1.1"]
    assert inner.operands[1].facts == {"policy.designated_providers_only": False}


def test_line_rule_is_explained_per_line(tmp_path: Path) -> None:
    program = one_rule(
        tmp_path, 'line.category == "inpatient" and line.amount > 1000', scope="line"
    )

    results = explain(program, "r").results

    assert [(r.line_id, r.held) for r in results] == [(1, True), (2, False)]
    assert results[1].operands[0].facts == {"line.category": "outpatient"}
    assert results[1].operands[1].results == ()


def test_operand_inside_a_list_function_has_a_value_per_item(tmp_path: Path) -> None:
    claim = make_claim_dict(
        items=[make_item(1, amount="50.00"), make_item(2, amount="5000.00"), make_item(3)]
    )
    when = 'any(items, .amount > 1000 and .category == "outpatient")'
    (result,) = explain(one_rule(tmp_path, when), "r", claim).results

    (call,) = result.operands
    assert call.results == (True,)
    # `any` stops at the first item that holds: the third item is never looked at
    assert summary(call.operands) == [
        ("0.0", ".amount > 1000", (False, True)),
        ("0.1", '.category == "outpatient"', (True,)),
    ]
    assert call.facts == {
        "items[].amount": ["50.00", "5000.00", "100.00"],
        "items[].category": ["outpatient", "outpatient", "outpatient"],
    }


def test_effective_window_comes_first(tmp_path: Path) -> None:
    rule = make_rule("r", "incident.is_accident", extra="effective_from: 2025-07-01\n")
    explanation = explain(make_program(tmp_path, make_rules_yaml(rule)), "r")

    assert (explanation.effective_from, explanation.effective_to) == (dt.date(2025, 7, 1), None)
    (result,) = explanation.results
    assert summary(result.operands) == [
        ("0", 'incident.onset_date >= date("2025-07-01")', (False,)),
        ("1", "incident.is_accident", ()),
    ]
    assert explanation.when == "incident.is_accident"


def test_facts_are_masked_as_in_the_trace() -> None:
    program = bundled_program(CN_HEALTH)
    decision = decide(program)
    (entry,) = [t for t in decision.trace if t.rule_id == "member_identity"]

    (result,) = explain(program, "member_identity").results

    assert result.operands[0].facts == entry.facts
    assert make_claim_dict()["member"]["id_number"] not in json.dumps(result.model_dump())


def test_unknown_rule_suggests_the_nearest_id() -> None:
    program = bundled_program(CN_HEALTH)

    with pytest.raises(UnknownRuleError) as close:
        explain(program, "waiting_perod")
    with pytest.raises(UnknownRuleError) as far:
        explain(program, "zzz")

    assert close.value.suggestion == "did you mean waiting_period?"
    assert "did you mean waiting_period?" in str(close.value)
    assert far.value.suggestion == ""
    assert "policy_in_force" in str(far.value)  # then the rules there are are listed
    assert close.value.known == tuple(c.rule.id for c in program.rules)


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(CORPUS))
def test_verdicts_match_the_decision_trace_and_the_operands(path: Path) -> None:
    """On sample claims, for every rule of cn-health: the explanation's verdict per claim or
    line is the trace's ``matched``, and it follows from the top operands' values."""
    claim = json.loads(path.read_text(encoding="utf-8"))
    if claim["claim_type"] != "medical_expense" or claim["jurisdiction"] != "CN":
        return
    program = bundled_program(CN_HEALTH)
    matched = {(t.rule_id, t.line_id): t.matched for t in decide(program, claim).trace}
    for compiled in program.rules:
        for result in explain(program, compiled.rule.id, claim).results:
            assert result.held is matched[(compiled.rule.id, result.line_id)]
            values = [o.results for o in result.operands]
            if result.combined_by == "and":
                assert result.held is all(v == (True,) for v in values)
                first_false = next((i for i, v in enumerate(values) if v != (True,)), len(values))
                assert all(v == () for v in values[first_false + 1 :])
            else:
                assert result.held is any(v == (True,) for v in values)
                first_true = next((i for i, v in enumerate(values) if v == (True,)), len(values))
                assert all(v == () for v in values[first_true + 1 :])
