"""Decision assembly: outcome precedence, line denials, hit policy ``first``, the PIPL art. 24
notice, filled explanations, amount formatting and a trace of every evaluation."""

from __future__ import annotations

import itertools
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine.backends import available_backends
from engine.outcome import OUTCOME_RANK
from engine.program import Program
from tests.engine.factories import (
    CN_HEALTH,
    REPO,
    bundled_program,
    decide,
    make_claim_dict,
    make_item,
    make_policy,
    make_program,
    make_rule,
    make_rules_yaml,
    without_engine,
)

OUTCOMES = ["approve", "partial", "pend", "refer", "deny"]
AMOUNT = re.compile(r"^(0|[1-9][0-9]*)\.[0-9]{2}$")
AMOUNT_KEYS = ("submitted", "eligible", "deductible", "copay", "payable")
EXAMPLE_CLAIMS = sorted((REPO / "examples" / "claims").glob("*.json"))


def routed_program(claim: dict[str, Any]) -> Program:
    """The bundled ruleset that decides this example claim (api.routing)."""
    from api.routing import ruleset_for_claim
    from engine.claim import load_claim

    return bundled_program(REPO / ruleset_for_claim(load_claim(claim)))


def example(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def flagged_claim(*flags: str, **overrides: Any) -> dict[str, Any]:
    """The example claim whose ``policy.exclusions`` carries ``flags`` (the tests' switches)."""
    return make_claim_dict(policy=make_policy(exclusions=list(flags)), **overrides)


@pytest.fixture(scope="module")
def flag_program(tmp_path_factory: pytest.TempPathFactory) -> Program:
    """One claim rule per outcome, each applying when its name is among the flags."""
    rules = [make_rule(f"claim_{o}", f'"{o}" in policy.exclusions', outcome=o) for o in OUTCOMES]
    rules += [
        make_rule(
            f"line_{o}",
            f'"line_{o}" in policy.exclusions and line.category == "dental"',
            outcome=o,
            scope="line",
        )
        for o in ("deny", "refer", "pend", "partial")
    ]
    return make_program(tmp_path_factory.mktemp("flags"), make_rules_yaml(*rules))


def two_lines(*categories: str) -> list[dict[str, Any]]:
    return [
        make_item(n, category=c, amount="100.00", social_insurance_paid="10.00")
        for n, c in enumerate(categories, start=1)
    ]


# ---------------------------------------------------------------- outcome precedence


@pytest.mark.parametrize(
    "flags",
    [c for n in range(len(OUTCOMES) + 1) for c in itertools.combinations(OUTCOMES, n)],
    ids="-".join,
)
def test_outcome_precedence_deny_refer_pend_partial_approve(
    flag_program: Program, flags: tuple[str, ...]
) -> None:
    decision = decide(flag_program, flagged_claim(*flags))

    expected = max(flags, key=OUTCOME_RANK.__getitem__, default="approve")
    assert decision.outcome == expected
    assert sorted(r.outcome for r in decision.reasons) == sorted(flags)
    if expected in ("deny", "refer", "pend"):
        assert decision.amounts.payable == Decimal("0.00")


def test_precedence_order_is_the_documented_one() -> None:
    assert sorted(OUTCOME_RANK, key=OUTCOME_RANK.__getitem__) == OUTCOMES


@pytest.mark.parametrize("backend", available_backends())
def test_a_denied_line_makes_the_claim_partial(flag_program: Program, backend: str) -> None:
    claim = flagged_claim("line_deny", items=two_lines("outpatient", "dental"))
    decision = decide(flag_program, claim, backend=backend)

    assert decision.outcome == "partial"
    first, dental = decision.lines
    assert dental.outcome == "deny"
    assert dental.reason_codes == ("LINE-DENY",)
    assert {getattr(dental, k) for k in ("eligible", "deductible", "copay", "payable")} == {0}
    assert dental.submitted == Decimal("100.00")
    assert first.payable == Decimal("90.00")
    assert first.reason_codes == ()
    assert decision.amounts.payable == Decimal("90.00")
    (reason,) = decision.reasons
    assert (reason.rule_id, reason.scope, reason.line_id) == ("line_deny", "line", 2)


@pytest.mark.parametrize("backend", available_backends())
def test_every_line_denied_denies_the_claim(flag_program: Program, backend: str) -> None:
    claim = flagged_claim("line_deny", items=two_lines("dental", "dental"))
    decision = decide(flag_program, claim, backend=backend)

    assert decision.outcome == "deny"
    assert [line.outcome for line in decision.lines] == ["deny", "deny"]
    assert decision.json_form()["amounts"] == {
        "submitted": "200.00",
        "eligible": "0.00",
        "deductible": "0.00",
        "copay": "0.00",
        "payable": "0.00",
    }


@pytest.mark.parametrize("hold", ["refer", "pend"])
def test_a_line_refer_or_pend_holds_the_whole_claim(flag_program: Program, hold: str) -> None:
    claim = flagged_claim(f"line_{hold}", "line_deny", items=two_lines("outpatient", "dental"))
    decision = decide(flag_program, claim)

    assert decision.outcome == hold
    assert decision.amounts.payable == Decimal("0.00")
    assert all(line.payable == 0 for line in decision.lines)


def test_a_line_partial_makes_the_claim_partial_with_the_notice(flag_program: Program) -> None:
    claim = flagged_claim("line_partial", items=two_lines("outpatient", "dental"))
    decision = decide(flag_program, claim)

    assert decision.outcome == "partial"
    assert [n.id for n in decision.notices] == ["human_review"]
    assert decision.lines[1].reason_codes == ("LINE-PARTIAL",)


def test_claim_deny_overrides_a_partial_from_lines(flag_program: Program) -> None:
    claim = flagged_claim("deny", "line_deny", items=two_lines("outpatient", "dental"))
    decision = decide(flag_program, claim)

    assert decision.outcome == "deny"
    assert [line.outcome for line in decision.lines] == ["deny", "deny"]
    assert decision.amounts.eligible == Decimal("0.00")


def test_pend_keeps_the_assessed_amounts_but_pays_nothing(flag_program: Program) -> None:
    decision = decide(flag_program, flagged_claim("pend", items=two_lines("outpatient")))

    assert decision.amounts.eligible == Decimal("90.00")
    assert decision.amounts.payable == Decimal("0.00")


# ---------------------------------------------------------------- hit policy first

FIRST_RULES = [
    make_rule("low_deny", "true", outcome="deny", priority=1),
    make_rule("high_refer", "true", outcome="refer", priority=10),
    make_rule("high_pend_later", "true", outcome="pend", priority=10),
    make_rule("line_low", "true", outcome="deny", scope="line", priority=0),
    make_rule(
        "line_high", 'line.category == "dental"', outcome="approve", scope="line", priority=3
    ),
]


@pytest.mark.parametrize("backend", available_backends())
def test_hit_policy_first_applies_one_rule_per_claim_and_per_line(
    tmp_path: Path, backend: str
) -> None:
    program = make_program(tmp_path, make_rules_yaml(*FIRST_RULES, hit_policy="first"))
    decision = decide(
        program, make_claim_dict(items=two_lines("outpatient", "dental")), backend=backend
    )

    applied = [(r.rule_id, r.line_id) for r in decision.reasons]
    assert applied == [("high_refer", None), ("line_high", 2), ("line_low", 1)]
    assert decision.outcome == "refer"  # a collect policy would deny
    matched = {(t.rule_id, t.line_id) for t in decision.trace if t.matched}
    assert ("low_deny", None) in matched and ("high_pend_later", None) in matched
    assert ("line_low", 2) in matched  # evaluated and traced, but not applied


def test_same_rules_under_collect_apply_all(tmp_path: Path) -> None:
    program = make_program(tmp_path, make_rules_yaml(*FIRST_RULES, hit_policy="collect"))
    decision = decide(program, make_claim_dict(items=two_lines("outpatient", "dental")))

    assert decision.outcome == "deny"
    assert len(decision.reasons) == 3 + 3


# ---------------------------------------------------------------- notices and automation


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_adverse_outcomes_carry_the_human_review_notice(
    flag_program: Program, outcome: str
) -> None:
    decision = decide(flag_program, flagged_claim(outcome))

    assert decision.outcome == outcome
    assert decision.automated is True
    notices = decision.notices
    if outcome in ("deny", "partial"):
        (notice,) = notices
        assert notice.id == "human_review"
        assert notice.legal_basis == ("PIPL art. 24",)
        assert "人工" in notice.zh
        assert "person" in notice.en and "review" in notice.en
    else:
        assert notices == ()


def test_a_partial_from_a_denied_line_carries_the_notice(flag_program: Program) -> None:
    claim = flagged_claim("line_deny", items=two_lines("outpatient", "dental"))

    assert [n.id for n in decide(flag_program, claim).notices] == ["human_review"]


# ---------------------------------------------------------------- explanations


@pytest.mark.parametrize("path", EXAMPLE_CLAIMS, ids=lambda p: p.stem)
def test_every_explanation_has_its_placeholders_filled(path: Path) -> None:
    claim = example(path)
    decision = decide(routed_program(claim), claim)

    texts = [t for r in decision.reasons for t in (r.explanation.zh, r.explanation.en)]
    texts += [t for c in decision.sla for t in (c.explanation.zh, c.explanation.en)]
    for text in texts:
        assert text.strip()
        assert "{" not in text and "}" not in text, text
    for reason in decision.reasons:
        assert reason.code and reason.legal_basis


def test_explanations_render_facts_in_each_language(tmp_path: Path) -> None:
    en = (
        "{policy.status}; {policy.deductible}; {policy.coinsurance:percent}; "
        "{incident.onset_date}; {incident.knew_date}; {policy.exclusions}; "
        "{policy.exclusions_explained_at_sale}; {line.line_id}; {line.amount:money}"
    )
    rule = make_rule("shows", "true", scope="line", en=en).replace(
        '"规则shows适用。"', json.dumps(en, ensure_ascii=False)
    )
    program = make_program(tmp_path, make_rules_yaml(rule))
    (reason,) = decide(program, make_claim_dict(items=two_lines("outpatient"))).reasons

    assert reason.explanation.en == (
        "in_force; CNY 10,000.00; 80%; 10 June 2025; —; cosmetic, dental; yes; 1; CNY 100.00"
    )
    assert reason.explanation.zh == (
        "in_force; 10,000.00元; 80%; 2025年6月10日; —; cosmetic、dental; 是; 1; 100.00元"
    )


def test_benefit_step_reason_fills_its_step_values() -> None:
    decision = decide(
        bundled_program(CN_HEALTH), example(REPO / "examples/claims/08-partial-annual-limit.json")
    )
    limit = [r for r in decision.reasons if r.code == "LIMIT-ANNUAL"]

    assert decision.outcome == "partial"
    assert limit[0].explanation.en.startswith(
        "Item 1 reaches your policy's annual limit: CNY 2,000.00 was left"
    )


# ---------------------------------------------------------------- amounts and trace


def _all_amounts(decision: dict[str, Any]) -> list[Any]:
    values = [decision["amounts"][k] for k in AMOUNT_KEYS]
    values += [line[k] for line in decision["lines"] for k in AMOUNT_KEYS]
    return values + list(decision["benefit_balance"].values())


@pytest.mark.parametrize("path", EXAMPLE_CLAIMS, ids=lambda p: p.stem)
def test_amounts_are_decimal_strings_with_two_places(path: Path) -> None:
    claim = example(path)
    decision = decide(routed_program(claim), claim)
    data = decision.json_form()

    for value in _all_amounts(data):
        assert isinstance(value, str)
        assert AMOUNT.match(value), value
    for k in AMOUNT_KEYS:
        total = sum((getattr(line, k) for line in decision.lines), Decimal(0))
        assert getattr(decision.amounts, k) == total
        assert data["amounts"][k] == f"{total:.2f}"


@pytest.mark.parametrize("path", EXAMPLE_CLAIMS, ids=lambda p: p.stem)
def test_trace_covers_every_rule_and_line_with_the_facts_read(path: Path) -> None:
    claim = example(path)
    program = routed_program(claim)
    decision = decide(program, claim)
    line_ids = [i["line_id"] for i in claim["items"]]

    expected = [
        (c.rule.id, line_id)
        for c in program.rules
        for line_id in (line_ids if c.rule.scope == "line" else [None])
    ]
    assert [(t.rule_id, t.line_id) for t in decision.trace] == expected
    labels = {c.rule.id: {k.label for k in c.trace_keys} for c in program.rules}
    for entry in decision.trace:
        assert isinstance(entry.matched, bool)
        keys = {k.removeprefix("count(").removesuffix(")") for k in entry.facts}
        assert keys == labels[entry.rule_id], entry
    applied = {(r.rule_id, r.line_id) for r in decision.reasons if r.rule_id in labels}
    matched = {(t.rule_id, t.line_id) for t in decision.trace if t.matched}
    assert applied == matched  # cn-health collects every matching rule


def test_trace_records_the_values_each_rule_read_per_line() -> None:
    claim = make_claim_dict()
    claim["items"][1]["category"] = "dental"
    decision = decide(bundled_program(CN_HEALTH), claim)
    trace = {(t.rule_id, t.line_id): t for t in decision.trace}

    excluded = trace[("excluded_service", 2)]
    assert excluded.matched is True
    assert excluded.facts == {
        "line.category": "dental",
        "policy.exclusions": ["cosmetic", "dental"],
        "line.exclusion_explained": True,
    }
    assert trace[("excluded_service", 1)].facts["line.category"] == "inpatient"
    assert trace[("policy_in_force", None)].facts == {
        "incident.onset_date": "2025-06-10",
        "policy.end_date": "2026-02-28",
        "policy.start_date": "2025-03-01",
    }
    assert trace[("policy_status_on_loss_date", None)].facts["policy.status"] == "in_force"
    # the check digit is a derived fact: the rule reads it, not the ID number
    assert trace[("member_identity", None)].facts == {"member_id_valid": True}
    assert make_claim_dict()["member"]["id_number"] not in decision.canonical_json()


def test_personal_data_a_rule_reads_is_masked_in_the_trace(tmp_path: Path) -> None:
    rule = make_rule("id_given", 'member.id_number != ""')
    decision = decide(make_program(tmp_path, make_rules_yaml(rule)))

    (entry,) = decision.trace
    assert entry.facts == {"member.id_number": "1****************X"}


def test_decision_echoes_claim_ruleset_and_as_of() -> None:
    decision = decide(bundled_program(CN_HEALTH))

    assert decision.claim_id == "CLM-2026-000123"
    assert decision.as_of == "2025-07-01T09:00:00+08:00"
    assert decision.ruleset.id == "cn-health"
    assert decision.ruleset.content_hash.startswith("sha256:")
    assert set(json.loads(without_engine(decision))) == set(decision.json_form()) - {"engine"}
