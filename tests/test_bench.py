"""The benchmark's corpus and its zen-engine JDM stay sound as the cn-health rules change.

No timing here: only that the corpus is deterministic and loadable, and that the JDM graph
matches the same (rule, line) pairs as the engine's trace.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench/ is not an installed package
    sys.path.insert(0, str(ROOT))

pytest.importorskip("zen", reason="zen-engine is a dev/bench extra")

from bench.corpus import make_claims  # noqa: E402
from bench.engine import (  # noqa: E402
    AS_OF,
    RULESET,
    coverage_problems,
    cross_check,
    engine_matches,
    jdm_rule_ids,
    load_zen,
    measure,
    zen_input,
    zen_inside_ns,
    zen_matches,
)
from engine.claim import Claim, id_number_checksum_valid, load_claim  # noqa: E402
from engine.evaluate import evaluate, load_program  # noqa: E402
from engine.ruleset_tests import run_ruleset_tests  # noqa: E402
from tests.engine.test_backends import PROPERTY, claims, for_ruleset  # noqa: E402

# the first 104 claims of seed 7 match every rule of cn-health 1.1.0 (the last to match:
# emergency care at a non-designated provider, claim 104)
CROSS_CHECK_CLAIMS = 120


_ZEN = load_zen()


@pytest.fixture(scope="module")
def program():
    return load_program(RULESET)


def test_make_claims_is_deterministic_and_every_claim_loads() -> None:
    first = make_claims(60, seed=7)
    assert first == make_claims(60, seed=7)
    assert first[:20] == make_claims(20, seed=7)
    assert first != make_claims(60, seed=8)
    claims = [load_claim(c) for c in first]
    assert len({c.claim_id for c in claims}) == 60
    assert {len(c.items) for c in claims} == {1, 2, 3, 4, 5}
    assert any(not id_number_checksum_valid(c.member.id_number) for c in claims)
    assert sum(id_number_checksum_valid(c.member.id_number) for c in claims) > 40


def test_jdm_lists_every_compliance_rule(program) -> None:
    assert coverage_problems(program) == []
    ids = jdm_rule_ids()
    assert "excluded_service" in ids["line"] and "policy_in_force" in ids["claim"]


def test_zen_matches_the_engine_trace(program) -> None:
    claims = [load_claim(c) for c in make_claims(CROSS_CHECK_CLAIMS)]
    assert cross_check(program, claims) == []

    # not vacuous: the corpus makes every rule of the ruleset match somewhere
    decision = load_zen()
    matched = set()
    for claim in claims:
        ours = engine_matches(evaluate(program, claim, as_of=AS_OF, backend="native"))
        assert ours == zen_matches(decision.evaluate(zen_input(program.facts(claim, AS_OF))))
        matched |= {rule_id for rule_id, _ in ours}
    assert matched == {compiled.rule.id for compiled in program.rules}


def test_zen_matches_the_engine_on_every_claim_of_the_yaml_tests(program) -> None:
    """The rule author's own boundary cases (day 180, paid exactly the net amount, a status
    that took effect the day of the loss, ...) are where a hand-written JDM slips."""
    seen: list[tuple[Claim, dt.datetime]] = []
    report = run_ruleset_tests(
        program, RULESET, backend="native", observer=lambda c, at: seen.append((c, at))
    )
    assert report.problems == [] and len(seen) > 50
    differ = []
    for claim, as_of in seen:
        ours = engine_matches(evaluate(program, claim, as_of=as_of, backend="native"))
        theirs = zen_matches(_ZEN.evaluate(zen_input(program.facts(claim, as_of))))
        if ours != theirs:
            differ.append((claim.claim_id, sorted(ours ^ theirs, key=str)))
    assert differ == []


@settings(PROPERTY, max_examples=60)  # the suite runs on a shared 2-core machine
@given(case=claims())
def test_zen_matches_the_engine_on_any_claim(
    program, case: tuple[dict[str, Any], dt.datetime]
) -> None:
    """Beyond the corpus: boundary amounts, payment ratios, status dates, partial proof of
    explanation, prior payments, members of every age (the backends' claim strategy)."""
    raw, as_of = case
    claim = load_claim(for_ruleset(program, raw))
    ours = engine_matches(evaluate(program, claim, as_of=as_of, backend="native"))
    assert zen_matches(_ZEN.evaluate(zen_input(program.facts(claim, as_of)))) == ours


def test_cross_check_reports_a_disagreement(program, tmp_path) -> None:
    """A JDM that is off by one on a boundary is caught."""
    text = (ROOT / "bench" / "jdm" / "cn_health_compliance.json").read_text(encoding="utf-8")
    assert "typical_cost * 5" in text
    broken = tmp_path / "broken.json"
    broken.write_text(text.replace("typical_cost * 5", "typical_cost * 6"), encoding="utf-8")
    claims = [load_claim(c) for c in make_claims(CROSS_CHECK_CLAIMS)]
    problems = cross_check(program, claims, decision=load_zen(broken), backends=["native"])
    assert problems and all("fraud_amount_outlier" in p for p in problems)


@pytest.mark.parametrize(
    ("text", "ns"), [("209.7µs", 209_700), ("1.0ms", 1_000_000), ("12ns", 12), ("2s", 2 * 10**9)]
)
def test_zen_inside_time_is_read_from_its_performance_field(text: str, ns: int) -> None:
    assert zen_inside_ns({"performance": text}) == ns


def test_zen_inside_time_refuses_an_unknown_unit() -> None:
    with pytest.raises(ValueError, match="no known unit"):
        zen_inside_ns({"performance": "3 fortnights"})


def test_measure_reports_the_inside_time_per_evaluation() -> None:
    stats = measure(
        {"a": (lambda n: n, [1000, 3000]), "b": (lambda n: n, [5])},
        seconds=0.0,
        inside={"a": lambda n: 0 if n is None else n},
    )
    assert stats["a"].inside_us == pytest.approx(2.0)
    assert stats["a"].inside_p50_us in (1.0, 3.0)
    assert stats["b"].inside_us is None
