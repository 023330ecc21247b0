"""The ruleset test runner: cn-health's own cases pass with full rule coverage on both
backends, and the runner catches wrong expectations, unknown keys and bad ``set`` paths."""

from __future__ import annotations

import re
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from api.cli import main
from engine.backends import available_backends
from engine.evaluate import evaluate, load_program
from engine.program import Program
from engine.ruleset_tests import RulesetTestReport, run_ruleset_tests

REPO = Path(__file__).resolve().parents[2]
CN_HEALTH = REPO / "rulesets" / "cn-health"
EXAMPLE = REPO / "examples" / "claim.json"


def make_program() -> Program:
    return load_program(CN_HEALTH)


def make_test_file(root: Path, cases: str, *, header: str = "", name: str = "cases.yaml") -> Path:
    """A ruleset tests/ file under ``root`` whose cases start on line 5."""
    folder = root / "tests"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(
        f"base: {EXAMPLE}\n"
        "as_of: 2025-07-01T09:00:00+08:00\n"
        f"{header or '# no extra keys'}\n"
        "cases:\n" + textwrap.dedent(cases).strip("\n") + "\n",
        encoding="utf-8",
    )
    return path


def make_report(root: Path, cases: str, **kwargs: Any) -> RulesetTestReport:
    make_test_file(root, cases, header=kwargs.pop("header", ""))
    return run_ruleset_tests(make_program(), root, **kwargs)


def failure_text(report: RulesetTestReport) -> str:
    return "\n".join(report.lines())


# ---------------------------------------------------------------- cn-health's own tests


def test_cn_health_cases_pass_on_both_backends_with_full_rule_coverage() -> None:
    report = run_ruleset_tests(make_program(), CN_HEALTH, compare_backends=True)

    assert report.failed == 0, failure_text(report)
    assert report.passed >= 30
    assert report.uncovered == [], failure_text(report)
    lifecycle = [r for r in report.rule_ids if r.startswith("lifecycle:")]
    assert len(report.covered) == report.total_rules == 32 + len(lifecycle) == 41
    assert report.always_applied == []  # every rule was also seen not applying
    assert "rule coverage: 41/41 (100%)" in report.lines()
    assert "cn-health: " + f"{report.passed} passed, 0 failed" in report.lines()


def test_cli_rules_test_prints_the_report_and_exits_zero() -> None:
    result = CliRunner().invoke(main, ["rules", "test", str(REPO / "rulesets")])

    assert result.exit_code == 0, result.output
    assert re.search(r"^cn-health: \d+ passed, 0 failed$", result.output, re.MULTILINE)
    assert "rule coverage: 41/41 (100%)" in result.output


# ---------------------------------------------------------------- the runner catches mistakes


def test_wrong_expected_outcome_is_reported_with_the_case_location(tmp_path: Path) -> None:
    report = make_report(
        tmp_path,
        """
        - name: reference claim
          expect: {outcome: approve, amounts: {payable: "3648.40"}}
        - name: wrongly expects a denial
          expect:
            outcome: deny
            reasons: [ELIG-INACTIVE]
            amounts: {payable: "0.00"}
            lines: {"2": {payable: "1.00"}}
        """,
    )
    path = tmp_path / "tests" / "cases.yaml"

    assert (report.passed, report.failed) == (1, 1)
    lines = report.lines()
    assert "  PASS reference claim" in lines
    assert f"  FAIL wrongly expects a denial  ({path}:7)" in lines
    text = failure_text(report)
    assert "outcome: expected deny, got approve" in text
    assert "reasons: expected [ELIG-INACTIVE], got [COST-COINSURANCE, COST-COINSURANCE, " in text
    assert "(missing ELIG-INACTIVE; unexpected COST-COINSURANCE" in text
    assert "amounts.payable: expected 0.00, got 3648.40" in text
    assert "lines.2.payable: expected 1.00, got 448.40" in text
    assert "cn-health: 1 passed, 1 failed" in lines


def test_unknown_keys_fail_with_file_line_and_column(tmp_path: Path) -> None:
    report = make_report(
        tmp_path,
        """
        - name: typo in expect
          expect: {outcom: deny}
        - name: typo in the case
          patchh: {policy: {status: lapsed}}
          expect: {outcome: deny}
        - name: typo in a line expectation
          expect: {lines: {"1": {payabel: "3200.00"}}}
        """,
        header="bse: elsewhere.json",
    )
    path = tmp_path / "tests" / "cases.yaml"

    assert report.problems == [f"{path}:3:1: unknown key 'bse' in test file (did you mean base?)"]
    assert [c.passed for c in report.cases] == [False, False, False]
    assert report.cases[0].mismatches == [
        f"{path}:6:12: unknown key 'outcom' in expect (did you mean outcome?)"
    ]
    assert report.cases[1].mismatches == [
        f"{path}:8:3: unknown key 'patchh' in case (did you mean patch?)"
    ]
    assert report.cases[2].mismatches == [
        f"{path}:11:26: unknown key 'payabel' in lines.1 (did you mean payable?)"
    ]
    assert report.failed == 4
    assert f"ERROR {path}:3:1: unknown key 'bse' in test file (did you mean base?)" in (
        report.lines()
    )


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("items[5].category", "items has 2 element(s): no index 5"),
        ("policy.nope.status", "policy.nope does not exist in the claim"),
        ("policy.status[0]", "policy.status is not a list, so [0] cannot index it"),
        ("items.category", "items is not an object, so it has no field 'category'"),
        ("items[x]", "'items[x]' is not a path such as policy.status or items[0].amount"),
    ],
)
def test_bad_set_path_is_a_failure_with_a_clear_message(
    tmp_path: Path, path: str, message: str
) -> None:
    report = make_report(
        tmp_path,
        f"""
        - name: bad path
          set: {{"{path}": dental}}
          expect: {{outcome: approve}}
        """,
    )

    assert report.failed == 1
    assert report.cases[0].mismatches == [
        f"{tmp_path / 'tests' / 'cases.yaml'}:6:9: set '{path}': {message}"
    ]


def test_unknown_rule_ids_and_bad_values_in_expect_are_failures(tmp_path: Path) -> None:
    report = make_report(
        tmp_path,
        """
        - name: typos would otherwise pass silently
          expect:
            outcome: denied
            not_fired: [waiting_periods]
            amounts: {payable: 3648.40}
        """,
    )
    text = failure_text(report)

    assert report.failed == 1
    assert "7:14: 'outcome': unknown outcome 'denied'" in text
    assert "not_fired: unknown rule 'waiting_periods' (did you mean waiting_period?)" in text
    assert "'payable' must be a quoted amount such as \"3648.40\", not 3648.4" in text


def test_expected_error_on_a_valid_claim_fails_and_an_invalid_claim_passes(
    tmp_path: Path,
) -> None:
    report = make_report(
        tmp_path,
        """
        - name: valid claim, error expected
          expect: {error: "items[0].amount"}
        - name: invalid claim, error expected
          set: {"items[0].amount": "-1.00"}
          expect: {error: "items[0].amount: must be >= 0"}
        - name: invalid claim, outcome expected
          set: {"items[0].amount": "-1.00"}
          expect: {outcome: approve}
        """,
    )

    assert [c.passed for c in report.cases] == [False, True, False]
    assert report.cases[0].mismatches == [
        "error: expected an invalid claim ('items[0].amount'), got outcome approve"
    ]
    assert report.cases[2].mismatches[0].startswith("the claim could not be evaluated:")


def test_patch_is_a_merge_patch_and_cases_do_not_leak_into_each_other(tmp_path: Path) -> None:
    report = make_report(
        tmp_path,
        """
        - name: lapsed, and the line 2 category set
          patch:
            policy: {status: lapsed, status_effective_date: "2025-06-01"}
            incident: {loss_notice_date: null}
          set: {"items[1].category": dental}
          expect:
            outcome: deny
            fired: [policy_status_on_loss_date, excluded_service, paid_by_others,
                    deductible_applies, coinsurance_applies, older_member_priority]
        - name: the next case starts from the untouched base
          expect:
            outcome: approve
            reasons: [COST-COINSURANCE, COST-COINSURANCE, COST-DEDUCTIBLE, COST-OFFSET, COST-OFFSET,
                      SVC-OLDER-PRIORITY]
        """,
    )

    assert report.failed == 0, failure_text(report)


def test_coverage_counts_rules_that_applied(tmp_path: Path) -> None:
    report = make_report(
        tmp_path,
        """
        - name: lapsed
          patch: {policy: {status: lapsed, status_effective_date: "2025-06-01"}}
          expect: {outcome: deny}
        - name: annual limit
          patch: {policy: {annual_used: "1999999.00"}}
          expect: {outcome: partial}
        """,
    )

    assert report.failed == 0, failure_text(report)
    assert report.covered == [
        "policy_status_on_loss_date", "paid_by_others", "deductible_applies",
        "coinsurance_applies", "older_member_priority", "annual_limit",
    ]  # fmt: skip
    assert report.total_rules == 41  # 32 rules and steps, 9 lifecycle rules
    assert "waiting_period" in report.uncovered
    assert "lifecycle:received_once" in report.uncovered
    assert "rule coverage: 6/41 (14%)" in report.lines()


def test_invalid_yaml_is_reported_not_raised(tmp_path: Path) -> None:
    make_test_file(tmp_path, "- name: [unclosed\n")
    report = run_ruleset_tests(make_program(), tmp_path)

    assert report.failed == 1
    assert "invalid YAML" in report.problems[0]


@pytest.mark.skipif(len(available_backends()) < 2, reason="needs both backends")
def test_compare_backends_fails_a_case_when_decisions_differ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def skewed(program: Program, claim: Any, *, as_of: Any, backend: str | None) -> Any:
        decision = evaluate(program, claim, as_of=as_of, backend=backend)
        if backend == "native":
            amounts = decision.amounts.model_copy(update={"payable": Decimal("0.01")})
            return decision.model_copy(update={"amounts": amounts})
        return decision

    monkeypatch.setattr("engine.ruleset_tests.runner.evaluate", skewed)
    cases = """
        - name: reference
          expect: {outcome: approve}
        """

    assert make_report(tmp_path, cases).failed == 0
    report = make_report(tmp_path, cases, backend="durable", compare_backends=True)
    assert report.cases[0].mismatches == [
        "backends differ: durable and native give different decisions "
        "(first difference in 'amounts')"
    ]


# ---------------------------------------------------------------- every bundled ruleset, SLA checks


@pytest.mark.parametrize("name", ["cn-health", "cn-complaints", "us-erisa"])
def test_every_bundled_ruleset_passes_its_tests_with_full_coverage(name: str) -> None:
    root = REPO / "rulesets" / name
    report = run_ruleset_tests(load_program(root), root, compare_backends=True)

    assert report.failed == 0, failure_text(report)
    assert report.uncovered == [], failure_text(report)
    assert report.passed >= 20


def test_sla_expectations_are_checked_and_their_typos_reported(tmp_path: Path) -> None:
    report = make_report(
        tmp_path,
        """
        - name: a wrong clock status fails
          expect:
            sla: {determination: {status: breached, due_date: 2025-07-23}}
        - name: typos in clock ids and statuses are problems of the test file
          expect:
            sla: {determinaton: {status: met}, payment: {status: late, due_at: 2025-01-01}}
        """,
    )
    text = failure_text(report)

    assert report.failed == 2
    assert "sla.determination.status: expected breached, got running" in text
    assert "due_date" not in text.split("typos")[0].split("status: expected")[1]
    assert "sla: unknown clock 'determinaton' (did you mean determination?)" in text
    assert "sla.payment.status must be one of" in text


def test_condition_coverage_sees_each_operand_true_and_false(tmp_path: Path) -> None:
    from engine.coverage import ConditionCoverage

    program = make_program()
    conditions = ConditionCoverage(program)
    report = make_report(
        tmp_path,
        """
        - name: only the reference claim
          expect: {outcome: approve}
        """,
        observer=conditions.observe,
    )

    assert report.failed == 0
    assert 0 < conditions.covered < conditions.total
    missing = conditions.missing()
    assert (
        "waiting_period [1] `days_since_start < waiting_days_applied"
        ' and "waiting_period"…` never true' in missing
    )
    assert not any(
        m.startswith("waiting_period [1]") and m.endswith("never false") for m in missing
    )


def test_cli_coverage_threshold_fails_below_and_passes_at_full_coverage(tmp_path: Path) -> None:
    runner = CliRunner()
    full = runner.invoke(
        main, ["rules", "test", str(REPO / "rulesets"), "--coverage", "--threshold", "100"]
    )
    assert full.exit_code == 0, full.output
    assert full.output.count("condition coverage: ") == 3
    assert "(100%)" in full.output.split("condition coverage: ")[1].splitlines()[0]

    folder = tmp_path / "cn-health"
    import shutil

    shutil.copytree(CN_HEALTH, folder, ignore=shutil.ignore_patterns("tests"))
    (folder / "tests").mkdir()
    (folder / "tests" / "cases.yaml").write_text(
        f"base: {EXAMPLE}\nas_of: 2025-07-01T09:00:00+08:00\n"
        "cases:\n  - name: one case\n    expect: {outcome: approve}\n",
        encoding="utf-8",
    )
    partial = runner.invoke(main, ["rules", "test", str(folder), "--threshold", "100"])
    assert partial.exit_code == 1
    assert "cn-health: coverage below the threshold of 100%" in partial.output


# ---------------------------------------------------------------- lifecycle cases


def test_lifecycle_cases_check_additions_voids_and_intakes(tmp_path: Path) -> None:
    report = make_report(
        tmp_path,
        """
        - name: intake
          expect: {timeline: accepted}
        - name: a completion needs a request
          add: {type: documents_completed, at: "2025-06-30T09:00:00+08:00"}
          expect: {timeline: {refused: completion_needs_request, index: 4}}
        - name: void the request
          void: 2
          expect: {timeline: {refused: completion_needs_request}}
        """,
    )
    assert report.failed == 0, failure_text(report)
    assert report.covered == ["lifecycle:completion_needs_request"]


def test_a_wrong_lifecycle_expectation_is_a_failure_with_what_happened(tmp_path: Path) -> None:
    report = make_report(
        tmp_path,
        """
        - name: expects acceptance
          add: {type: paid, at: "2025-06-30T09:00:00+08:00"}
          expect: {timeline: accepted}
        - name: expects the wrong position
          add: {type: paid, at: "2025-06-30T09:00:00+08:00"}
          expect: {timeline: {refused: paid_needs_amount, index: 3}}
        - name: expects a refusal
          add: {type: documents_requested, at: "2025-06-30T09:00:00+08:00", detail: {missing: [x]}}
          expect: {timeline: {refused: request_lists_documents}}
        - name: voids nothing
          void: 9
          expect: {timeline: accepted}
        """,
    )
    failures = {c.name: c.mismatches for c in report.cases if not c.passed}
    assert failures["expects acceptance"] == [
        "timeline: expected accepted, got refused: events[4]: lifecycle rule 'paid_needs_amount': "
        "'paid' needs an earlier amount_agreed (record amount_agreed first)"
    ]
    assert failures["expects the wrong position"][0].startswith(
        "timeline: expected refused by 'paid_needs_amount' at events[3], got refused: events[4]"
    )
    assert failures["expects a refusal"] == [
        "timeline: expected refused by 'request_lists_documents', got accepted"
    ]
    assert "there is no such event" in failures["voids nothing"][0]


def test_a_malformed_lifecycle_case_is_reported_where_it_is_written(tmp_path: Path) -> None:
    report = make_report(
        tmp_path,
        """
        - name: unknown rule
          add: {type: paid, at: "2025-06-30T09:00:00+08:00"}
          expect: {timeline: {refused: paid_needs_amout}}
        - name: mixed
          void: 1
          add: {type: Paid, at: "2025-06-30"}
          expect: {timeline: {refused: x, when: now}, outcome: approve}
        - name: add without a timeline check
          add: {type: paid, at: "2025-06-30T09:00:00+08:00"}
          expect: {outcome: approve}
        - name: bad void and index
          void: -1
          expect: {timeline: {refused: timeline.order, index: first}}
        """,
    )
    problems = [m for c in report.cases for m in c.mismatches]
    where = str(tmp_path / "tests" / "cases.yaml")
    assert problems == [
        f"{where}:7:32: timeline: unknown lifecycle rule 'paid_needs_amout' "
        "(did you mean paid_needs_amount?)",
        f"{where}:10:8: 'add' is not a valid event: type: must be snake_case such as "
        "claim_received; at: must be a date-time in ISO 8601 form with a UTC offset, e.g. "
        "2025-06-20T09:12:00+08:00",
        f"{where}:9:3: a case adds an event or voids one, not both",
        f"{where}:11:12: 'timeline' checks the lifecycle only; it cannot be combined with outcome",
        f"{where}:11:22: 'timeline' must be accepted or {{refused: RULE_ID, index: N}}",
        f"{where}:13:3: 'add' and 'void' are checked by expect.timeline",
        f"{where}:16:9: 'void' must be an event position, e.g. 2",
        f"{where}:17:55: timeline: 'index' must be an event position",
    ]
