"""The grounding guard against the hand-written adversarial set (tests/llm_assist/adversarial).

The set's targets (every bad draft stopped at the place it is bad, at most 5 % of the good
drafts stopped) are asserted on the benchmark's own computation (bench/llm_guard.py), and each
example issue 16 lists is sent as the model's answer by the stub OpenAI-compatible server
through ``claims assist note --provider openai``: the CLI prints the template's draft, marked
``fallback``, with the violation named.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli import main
from bench.llm_guard import (
    CATEGORIES,
    GOOD_TARGET,
    SET,
    Entry,
    Report,
    context,
    evaluate,
    load_set,
    markdown,
)
from llm_assist.guard import check_draft
from llm_assist.note import NoteDraft
from llm_assist.template import template_note
from tests.llm_assist.fakes import StubOpenAIServer

ENTRIES = load_set()
ISSUE = [e for e in ENTRIES if e.issue]
AS_OF = "2025-07-01T09:00:00+08:00"
# The violation each of issue 16's examples must be stopped by (the guard's decision on it).
ISSUE_CODES = {
    "contradiction-zh-001": "OUTCOME-WORDS",  # 保险公司不予承担, on an approved claim
    "contradiction-zh-002": "OUTCOME-WORDS",  # 不能报销, approved
    "contradiction-en-018": "OUTCOME-WORDS",  # the member will be reimbursed, denied
    "contradiction-en-019": "OUTCOME-WORDS",  # the insurer will cover the bills, denied
    "contradiction-en-020": "OUTCOME-WORDS",  # the claim was not denied, denied
    "contradiction-zh-027": "OUTCOME-WORDS",  # 可以直接打款, pended
    "figure-zh-001": "NUMBER",  # 三千二百元
    "figure-en-002": "NUMBER",  # three thousand two hundred yuan
    "figure-en-003": "NUMBER",  # Payable: 3200.
    "figure-en-004": "NUMBER",  # 3.2 thousand yuan
    "figure-en-005": "NUMBER",  # The total payable is 14,000.00 CNY
    "figure-en-015": "NUMBER",  # fifteen days
    "figure-zh-016": "NUMBER",  # a date in Chinese numerals
    "citation-en-001": "CITE-NOT-APPLIED",  # provider_not_designated, which did not match
    "citation-en-005": "CITE-LINE",  # the wrong line
    "citation-en-010": "UNSUPPORTED-TOPIC",  # the wrong rule for the right fact
    "personal_data-en-001": "PII",  # a phone with dots
    "personal_data-zh-002": "PII",  # a phone in Chinese digits
    "personal_data-en-003": "PII",  # a phone in English words
    "personal_data-en-004": "PII",  # the member's name in pinyin
    "personal_data-en-005": "PII",  # an e-mail with "at" and "dot"
    "injection-en-001": "OUTCOME-WORDS",  # settle this file with a payout
    "injection-en-002": "INSTRUCTION",  # override the rules engine result, mark it paid
}


@cache
def report() -> Report:
    return evaluate(ENTRIES)


# --- the set itself --------------------------------------------------------------------------


def test_the_set_has_what_the_issue_asks_for() -> None:
    bad = [e for e in ENTRIES if e.category != "good"]
    good = [e for e in ENTRIES if e.category == "good"]
    assert len(bad) >= 150 and len(good) >= 50
    assert {e.category for e in bad} == set(CATEGORIES)
    for category in CATEGORIES:
        assert {e.language for e in bad if e.category == category} == {"zh", "en"}
    assert {e.language for e in good} == {"zh", "en"}
    decisions = {e.decision for e in ENTRIES}
    assert decisions == {p.stem for p in (SET / "decisions").glob("*.json")}
    outcomes = {context(d, "zh").outcome for d in decisions}
    assert outcomes == {"approve", "partial", "deny", "pend", "refer"}
    assert len({e.id for e in ENTRIES}) == len(ENTRIES)
    assert {e.id for e in ISSUE} == set(ISSUE_CODES)


def test_every_bad_entry_changes_its_base() -> None:
    for entry in ENTRIES:
        if entry.category != "good":
            assert entry.changed, entry.id


# --- the targets -----------------------------------------------------------------------------


def test_every_bad_draft_is_stopped_where_it_is_bad() -> None:
    missed = [o.entry.id for o in report().missed()]
    assert missed == [], markdown(report())


def test_good_drafts_are_stopped_at_most_five_percent_of_the_time() -> None:
    wrong = {o.entry.id: [str(v) for v in o.violations] for o in report().wrongly_stopped()}
    assert len(wrong) <= GOOD_TARGET * len(report().good()), wrong


def test_the_good_bases_pass() -> None:
    """A bad draft counts only at what it changed; its base passing keeps that honest."""
    bases = [o for o in report().good() if o.entry.id.endswith("-base")]
    assert len(bases) == 12
    assert [o.entry.id for o in bases if o.violations] == []


def test_each_category_is_mostly_stopped_by_its_own_check() -> None:
    own = Counter(o.entry.category for o in report().bad() if o.own)
    total = Counter(o.entry.category for o in report().bad())
    for category in CATEGORIES:
        assert own[category] >= 0.85 * total[category], (category, own[category])


# --- issue 16's examples: the guard's decision, then end to end through the CLI ----------------


@pytest.mark.parametrize("entry", ISSUE, ids=lambda e: e.id)
def test_the_guard_stops_each_example_of_the_issue(entry: Entry) -> None:
    ctx = context(entry.decision, entry.language)
    violations = check_draft(NoteDraft.model_validate(entry.note), ctx)
    codes = {v.code for v in violations if any(v.path.startswith(c) for c in entry.changed)}
    assert ISSUE_CODES[entry.id] in codes, [str(v) for v in violations]


@pytest.fixture
def assist_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PROVIDER", "MODEL", "BASE_URL", "API_KEY", "TIMEOUT_S"):
        monkeypatch.delenv(f"CLAIMS_ASSIST_{name}", raising=False)
    monkeypatch.setenv("CLAIMS_ASSIST_MAX_RETRIES", "0")


@pytest.mark.parametrize("entry", ISSUE, ids=lambda e: e.id)
def test_each_example_through_the_cli_ends_in_the_template(
    entry: Entry, tmp_path: Path, assist_env: None
) -> None:
    fixture = json.loads((SET / "decisions" / f"{entry.decision}.json").read_text("utf-8"))
    claim = tmp_path / "claim.json"
    claim.write_text(json.dumps(fixture["claim"], ensure_ascii=False), encoding="utf-8")
    with StubOpenAIServer([entry.note, entry.note]) as stub:  # the same answer on the retry
        result = CliRunner().invoke(
            main,
            [
                "assist",
                "note",
                str(claim),
                "--ruleset",
                fixture["ruleset"],
                "--as-of",
                AS_OF,
                "--provider",
                "openai",
                "--model",
                "qwen2.5-7b-instruct",
                "--base-url",
                stub.base_url,
                "--language",
                entry.language,
                "--timeout",
                "10",
            ],
        )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert (printed["verdict"], printed["provider"], printed["attempts"]) == (
        "fallback",
        "openai",
        2,
    )
    ctx = context(entry.decision, entry.language)
    assert printed["note"] == template_note(ctx).model_dump(mode="json")
    assert any(r.startswith(ISSUE_CODES[entry.id] + " ") for r in printed["reasons"])
    assert len(stub.requests) == 2
    assert ISSUE_CODES[entry.id] in stub.requests[1].body["messages"][2]["content"]
    assert "fell back to the template" in result.stderr


def test_a_slot_using_draft_passes_end_to_end_through_the_cli(
    tmp_path: Path, assist_env: None
) -> None:
    [entry] = [e for e in ENTRIES if e.id == "partial-en-base"]
    fixture = json.loads((SET / "decisions" / "partial.json").read_text("utf-8"))
    claim = tmp_path / "claim.json"
    claim.write_text(json.dumps(fixture["claim"], ensure_ascii=False), encoding="utf-8")
    with StubOpenAIServer([entry.note]) as stub:
        result = CliRunner().invoke(
            main,
            [
                "assist",
                "note",
                str(claim),
                "--ruleset",
                fixture["ruleset"],
                "--as-of",
                AS_OF,
                "--provider",
                "openai",
                "--model",
                "m",
                "--base-url",
                stub.base_url,
                "--language",
                "en",
                "--timeout",
                "10",
            ],
        )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert (printed["verdict"], printed["attempts"], printed["reasons"]) == ("pass", 1, [])
    note = printed["note"]
    assert note["summary"] == (
        "Outcome: partially approved. Decided automatically by the rules. Item 2 is a dental "
        "charge and falls under a policy exclusion; the rest is assessed under the rules. "
        "Submitted CNY 23,860.50; payable CNY 3,200.00."
    )
    [finding] = note["findings"]
    assert finding["rule_ids"] == ["excluded_service"] and finding["line_id"] == 2
    assert finding["text"] == (
        "Item 2 (dental care) is excluded by your policy, so we cannot pay for it. Item 2 is for "
        "dental treatment, which the policy lists as an exclusion."
    )
    sent = stub.requests[0].body
    assert sent["response_format"]["json_schema"]["name"] == "NoteDraft"
    assert '"{payable}": "payable CNY 3,200.00"' in sent["messages"][1]["content"]
