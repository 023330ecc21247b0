"""The ``claims`` command line: a decision with every contract field on stdout, exit 2 with a
located message (never a traceback) for anything the user can fix."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from api.cli import main
from engine.backends import available_backends
from tests.engine.factories import (
    CN_HEALTH,
    EXAMPLE,
    REPO,
    make_claim_dict,
    make_rule,
    make_rules_yaml,
    make_ruleset,
    without_engine,
)

AS_OF = "2025-07-01T09:00:00+08:00"
BROKEN = REPO / "tests" / "fixtures" / "broken"
AMOUNT_KEYS = {"submitted", "eligible", "deductible", "copay", "payable"}


def claims(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input)


def evaluate_args(claim: Path | str = EXAMPLE, *extra: str) -> list[str]:
    return ["evaluate", str(claim), "--ruleset", str(CN_HEALTH), "--as-of", AS_OF, *extra]


def write_claim(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "claim.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def assert_user_error(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def assert_contract(decision: dict[str, Any]) -> None:
    """Every field the decision contract promises, with its JSON type."""
    assert isinstance(decision["claim_id"], str)
    assert decision["outcome"] in ("approve", "partial", "deny", "pend", "refer")
    assert decision["automated"] is True
    assert set(decision["amounts"]) == AMOUNT_KEYS
    assert all(isinstance(v, str) for v in decision["amounts"].values())
    assert decision["lines"]
    for line in decision["lines"]:
        assert set(line) >= {"line_id", "outcome", "reason_codes"} | AMOUNT_KEYS
        assert isinstance(line["line_id"], int)
        assert isinstance(line["reason_codes"], list)
    for reason in decision["reasons"]:
        assert set(reason) >= {
            "rule_id", "code", "outcome", "scope", "line_id", "legal_basis", "explanation",
        }  # fmt: skip
        assert set(reason["explanation"]) == {"zh", "en"}
    assert decision["trace"]
    for entry in decision["trace"]:
        assert set(entry) >= {"rule_id", "matched", "facts"}
        assert isinstance(entry["facts"], dict)
    assert set(decision["ruleset"]) == {"id", "version", "content_hash", "revision"}
    assert isinstance(decision["as_of"], str)
    assert set(decision["engine"]) == {"backend", "version"}


# ---------------------------------------------------------------- happy path


def test_evaluate_prints_a_decision_with_every_contract_field() -> None:
    result = claims(*evaluate_args())

    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    decision = json.loads(result.stdout)
    assert_contract(decision)
    assert decision["claim_id"] == "CLM-2026-000123"
    assert decision["outcome"] == "approve"
    assert decision["amounts"]["payable"] == "3648.40"
    assert decision["as_of"] == AS_OF
    assert decision["ruleset"]["id"] == "cn-health"
    assert decision["engine"]["backend"] in available_backends()


def test_evaluate_output_is_canonical_json() -> None:
    out = claims(*evaluate_args()).stdout.strip()

    assert out == json.dumps(
        json.loads(out), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def test_partial_decision_has_reasons_with_their_contract_fields() -> None:
    claim = REPO / "examples" / "claims" / "02-partial-dental-excluded.json"
    decision = json.loads(claims(*evaluate_args(claim)).stdout)

    assert_contract(decision)
    assert decision["outcome"] == "partial"
    (reason,) = [r for r in decision["reasons"] if r["outcome"] != "approve"]
    assert (reason["code"], reason["scope"], reason["line_id"]) == ("COV-EXCLUDED", "line", 2)
    assert reason["legal_basis"]
    assert reason["explanation"]["en"].startswith("Item 2 (dental care) is excluded")


def test_evaluate_reads_the_claim_from_stdin() -> None:
    result = claims(*evaluate_args("-"), input=EXAMPLE.read_text(encoding="utf-8"))

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["claim_id"] == "CLM-2026-000123"


def text_rows(text: str, first: str) -> list[list[str]]:
    """The rows of the table whose header's first cell is ``first`` (cells split on 2+
    spaces), up to the first line that is not a row."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:1] == [first])
    rows = []
    for line in lines[start + 1 :]:
        if not line.strip() or not line.startswith("  ") or ":" in line.split()[0]:
            break
        rows.append(re.split(r" {2,}", line.strip()))
    return rows


@pytest.mark.parametrize("language", ["zh", "en"])
def test_text_format_shows_outcome_line_amounts_reasons_and_clocks(language: str) -> None:
    claim = REPO / "examples" / "claims" / "02-partial-dental-excluded.json"
    decision = json.loads(claims(*evaluate_args(claim)).stdout)
    result = claims(*evaluate_args(claim, "--format", "text", "--language", language))

    assert result.exit_code == 0, result.output
    text = result.stdout
    lines = text.splitlines()
    assert lines[0] == "Claim CLM-2026-000202: PARTIAL (automated)"
    assert "payable 3200.00 CNY" in lines[1]
    # every line of the decision, with all its amounts, as a row of the line table
    rows = text_rows(text, "line")
    assert rows == [
        [
            str(line["line_id"]), line["outcome"], line["submitted"], line["eligible"],
            line["deductible"], line["copay"], line["payable"],
            ", ".join(line["reason_codes"]) or "-",
        ]
        for line in decision["lines"]
    ]  # fmt: skip
    other = "en" if language == "zh" else "zh"
    for reason in decision["reasons"]:
        assert reason["explanation"][language] in text
        assert reason["explanation"][other] not in text
    assert "[COV-EXCLUDED] excluded_service (line 2): " in text
    assert decision["notices"][0][language] in text
    clocks = text_rows(text, "clock")
    assert [(c[0], c[1], c[2]) for c in clocks] == [
        (c["id"], c["status"], c["due_date"] or "-") for c in decision["sla"]
    ]
    assert lines[-1].startswith("ruleset cn-health 1.1.0 sha256:")
    assert "{" not in text


@pytest.mark.skipif("durable" not in available_backends(), reason="durable-rules not installed")
@pytest.mark.parametrize(
    "claim",
    # the hand-written examples; the generated corpus is compared in tests/engine/test_samples
    [
        EXAMPLE,
        *sorted(
            p
            for p in (REPO / "examples" / "claims").glob("*.json")
            if not p.name.startswith("gen-")
        ),
    ],
    ids=lambda p: p.stem,
)
def test_native_and_durable_backends_print_the_same_decision(claim: Path) -> None:
    native = claims(*evaluate_args(claim, "--backend", "native"))
    durable = claims(*evaluate_args(claim, "--backend", "durable"))

    assert native.exit_code == durable.exit_code == 0
    a, b = json.loads(native.stdout), json.loads(durable.stdout)
    assert (a["engine"]["backend"], b["engine"]["backend"]) == ("native", "durable")
    assert without_engine(a) == without_engine(b)


def test_module_entry_point_runs_in_a_subprocess() -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "api.cli", *evaluate_args(claim=EXAMPLE)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert_contract(json.loads(ok.stdout))

    bad = subprocess.run(
        [sys.executable, "-m", "api.cli", *evaluate_args(claim=REPO / "no-such-claim.json")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert "no-such-claim.json" in bad.stderr
    assert "Traceback" not in bad.stderr


# ---------------------------------------------------------------- user errors: exit 2


def test_invalid_claim_names_every_bad_field(tmp_path: Path) -> None:
    data = make_claim_dict()
    data["items"][1]["amount"] = "-860.50"
    data["policy"]["status"] = "active"
    result = claims(*evaluate_args(write_claim(tmp_path, data)))

    assert_user_error(
        result, "items[1].amount: must be >= 0", "policy.status: must be one of", "invalid claim"
    )


def test_claim_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "claim.json"
    path.write_text("{not json", encoding="utf-8")

    assert_user_error(claims(*evaluate_args(path)), "not valid JSON")


def test_invalid_ruleset_lists_every_error_with_file_line_column() -> None:
    args = ["evaluate", str(EXAMPLE), "--ruleset", str(BROKEN), "--as-of", AS_OF]
    result = claims(*args)

    assert_user_error(result, "has errors; nothing was evaluated")
    located = re.findall(r"^(\S+):(\d+):(\d+): error (E-[A-Z]+):", result.stderr, re.MULTILINE)
    assert len(located) >= 10
    files = {f for f, *_ in located}
    assert f"{BROKEN}/ruleset.yaml" in files
    assert f"{BROKEN}/bad.yaml" in files
    assert (f"{BROKEN}/bad.yaml", "3", "24", "E-YAML") in located


def test_rules_check_reports_the_broken_ruleset_and_exits_one() -> None:
    result = claims("rules", "check", str(BROKEN))

    assert result.exit_code == 1
    assert f"{BROKEN}/ruleset.yaml:" in result.stdout
    assert "E-DUP" in result.stdout


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("2025-07-01T09:00:00", "needs a UTC offset"),
        ("2025-07-01", "needs a UTC offset"),
        ("yesterday", "is not an ISO 8601 date-time"),
    ],
)
def test_bad_as_of_is_refused(as_of: str, message: str) -> None:
    args = ["evaluate", str(EXAMPLE), "--ruleset", str(CN_HEALTH), "--as-of", as_of]

    assert_user_error(claims(*args), "--as-of", message)


def test_missing_claim_file(tmp_path: Path) -> None:
    assert_user_error(
        claims(*evaluate_args(tmp_path / "absent.json")), "cannot read claim file", "absent.json"
    )


def test_missing_ruleset_folder(tmp_path: Path) -> None:
    args = ["evaluate", str(EXAMPLE), "--ruleset", str(tmp_path / "nope"), "--as-of", AS_OF]

    assert_user_error(claims(*args), "--ruleset", "is not a ruleset folder")


def test_folder_without_ruleset_yaml(tmp_path: Path) -> None:
    args = ["evaluate", str(EXAMPLE), "--ruleset", str(tmp_path), "--as-of", AS_OF]

    assert_user_error(claims(*args), f"{tmp_path}/ruleset.yaml:1:1: error E-FILE")


def test_runtime_evaluation_error_is_a_user_error_naming_the_rule(tmp_path: Path) -> None:
    rule = make_rule("ratio", "policy.deductible / policy.deductible_used > 1")
    root = make_ruleset(tmp_path, make_rules_yaml(rule))
    args = ["evaluate", str(EXAMPLE), "--ruleset", str(root), "--as-of", AS_OF]

    assert_user_error(claims(*args, "--backend", "native"), "rule ratio: division by zero")


def test_unknown_backend_is_refused_by_click() -> None:
    result = claims(*evaluate_args(EXAMPLE, "--backend", "rete"))

    assert result.exit_code == 2
    assert "Invalid value for '--backend'" in result.stderr


# ---------------------------------------------------------------- --explain RULE_ID


def test_explain_shows_each_operand_with_the_facts_it_read() -> None:
    decision = json.loads(claims(*evaluate_args()).stdout)
    (trace,) = [t for t in decision["trace"] if t["rule_id"] == "waiting_period"]
    result = claims(*evaluate_args(EXAMPLE, "--format", "text", "--explain", "waiting_period"))

    assert result.exit_code == 0, result.output
    section = result.stdout.split("\n\nRule waiting_period ", 1)[1].splitlines()
    assert section[1].strip() == (
        "when: not incident.is_accident and days_since_start < waiting_days_applied"
        ' and "waiting_period" in explained'
    )
    assert section[2].strip() == "claim: condition FAILED (and: all must hold)"
    assert re.match(r"^\s+\[0\] true +not incident\.is_accident$", section[3])
    assert section[4].strip() == "incident.is_accident = false"
    assert re.match(r"^\s+\[1\] false +days_since_start < waiting_days_applied$", section[5])
    read = {line.strip() for line in section[6:8]}
    # operand [2] is not evaluated once [1] is false: what only it reads is not shown
    shown = {
        k: v for k, v in trace["facts"].items() if k not in ("incident.is_accident", "explained")
    }
    assert read == {f"{k} = {v}" for k, v in shown.items()}


def test_explain_a_line_rule_per_line_and_whether_it_applied() -> None:
    claim = REPO / "examples" / "claims" / "02-partial-dental-excluded.json"
    result = claims(*evaluate_args(claim, "--format", "text", "--explain", "excluded_service"))

    assert result.exit_code == 0, result.output
    assert "  line 1: condition FAILED (and: all must hold)" in result.stdout
    assert "  line 2: condition HELD: the rule applies (and: all must hold)" in result.stdout


def test_explain_as_json_keeps_the_decision_beside_the_explanations() -> None:
    plain = json.loads(claims(*evaluate_args()).stdout)
    result = claims(
        *evaluate_args(EXAMPLE, "--explain", "waiting_period", "--explain", "late_notice")
    )

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["decision"] == plain
    assert [e["rule_id"] for e in document["explanations"]] == ["waiting_period", "late_notice"]
    matched = {t["rule_id"]: t["matched"] for t in plain["trace"]}
    for explanation in document["explanations"]:
        (only,) = explanation["results"]
        assert only["held"] is matched[explanation["rule_id"]]


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_unknown_rule_to_explain_is_a_user_error_with_a_suggestion(fmt: str) -> None:
    result = claims(*evaluate_args(EXAMPLE, "--format", fmt, "--explain", "waiting_perod"))

    assert_user_error(
        result, "--explain", "no rule 'waiting_perod'", "did you mean waiting_period?"
    )
