"""The golden set: every draft gets exactly the verdict and violation codes it was made for.

Each ``golden/*.json`` case holds a claim and its engine decision inline, frozen when the set
was generated (``golden/generate.py``), and drafts labelled good or by the fault they carry.
Good drafts passing measures the guard's precision; bad drafts failing with their exact codes
measures its recall, fault by fault. The benchmark (``bench/llm_guard.py``) reports the same
set as rates; its smoke test is at the end.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from engine.claim import load_claim
from engine.decision import Decision
from llm_assist.context import DraftContext, build_context
from llm_assist.guard import check_note
from llm_assist.note import ReviewNote
from llm_assist.rights import RightsBase, load_rights

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(GOLDEN.glob("[0-9][0-9]-*.json"))

if str(ROOT) not in sys.path:  # bench/ is not an installed package
    sys.path.insert(0, str(ROOT))


@cache
def _rights() -> RightsBase:
    return load_rights()


@cache
def _case(path: Path) -> tuple[dict[str, Any], DraftContext]:
    case: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    claim = load_claim(case["claim"])
    decision = Decision.model_validate(case["decision"])  # frozen by an older engine
    return case, build_context(claim, decision, _rights(), language=case["language"])


def test_the_set_is_large_and_covers_every_outcome_fault_and_language() -> None:
    cases = [_case(path)[0] for path in CASES]
    assert len(cases) >= 20
    assert {c["outcome"] for c in cases} == {"approve", "partial", "deny", "pend", "refer"}
    assert {c["language"] for c in cases} == {"zh", "en"}
    assert {c["ruleset"] for c in cases} == {
        "rulesets/cn-health",
        "rulesets/cn-complaints",
        "rulesets/us-erisa",
    }
    kinds = Counter(d["kind"] for c in cases for d in c["drafts"])
    assert kinds["good"] >= 3 * len(cases)
    required = {
        "wrong_echo", "uncited_finding", "unknown_rule_id", "miscited_finding",
        "uncited_summary", "contradiction", "wrong_amount", "wrong_days", "wrong_date",
        "pii_id", "pii_phone", "pii_card", "pii_name", "pii_email", "dropped_reminder_number",
        "dropped_reminder", "unknown_reminder", "injection_approve", "injection_system",
        "injection_ignore", "injection_reminder",
    }  # fmt: skip
    assert min(kinds[k] for k in required) >= 5


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_every_draft_gets_its_expected_verdict_and_codes(path: Path) -> None:
    case, ctx = _case(path)
    assert ctx.outcome == case["outcome"]
    wrong = []
    for draft in case["drafts"]:
        note = ReviewNote.model_validate(draft["note"])
        found = check_note(note, ctx)
        verdict = "fail" if found else "pass"
        codes = sorted({v.code for v in found})
        expected = draft["expect"]
        if (verdict, codes) != (expected["verdict"], expected["codes"]):
            wrong.append((draft["name"], expected, [(v.code, v.path, v.message) for v in found]))
    assert wrong == []


@pytest.mark.parametrize("path", CASES[:6], ids=lambda p: p.stem)
def test_no_violation_message_repeats_a_personal_value(path: Path) -> None:
    case, ctx = _case(path)
    values = [v for v in case["personal_values"].values() if v]
    for draft in case["drafts"]:
        for violation in check_note(ReviewNote.model_validate(draft["note"]), ctx):
            assert not any(value in violation.message for value in values)


def test_the_benchmark_meets_its_targets_on_part_of_the_set(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bench.llm_guard import main

    assert main(["--cases", "4"]) == 0
    out = capsys.readouterr().out
    assert "| citation precision (accepted drafts) | 1.000 | 1.000 | ok |" in out
    assert "| injection pass-through | 0.000 | 0.000 | ok |" in out
