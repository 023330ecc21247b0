"""Semantic diff of compiled rulesets, and the comparison of decisions behind ``rules impact``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from engine.impact import ImpactReport, compare
from engine.ruleset.compiler import compile_ruleset
from engine.ruleset.diff import Change, change_lines, diff_rulesets
from engine.ruleset.ir import RulesetIR
from tests.engine.factories import REPO, make_claim_dict


def compiled_copy(tmp_path: Path, name: str, edits: list[tuple[str, str, str]]) -> RulesetIR:
    """A bundled ruleset copied, edited (file, old, new: each ``old`` must be there), compiled."""
    root = tmp_path / name
    shutil.copytree(REPO / "rulesets" / name, root)
    for file, old, new in edits:
        path = root / file
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return compile_ruleset(root)


def changed(old: RulesetIR, new: RulesetIR) -> set[tuple[str, ...]]:
    [ruleset] = diff_rulesets({"r": old}, {"r": new}).rulesets
    return {(e.kind, e.id, e.status, *(c.field for c in e.changes)) for e in ruleset.elements} | {
        ("ruleset", c.field) for c in ruleset.changes
    }


def test_the_same_ruleset_has_no_changes(tmp_path: Path) -> None:
    ir = compiled_copy(tmp_path, "cn-health", [])
    result = diff_rulesets(
        {"cn-health": ir}, {"cn-health": compile_ruleset(tmp_path / "cn-health")}
    )
    assert not result.changed
    assert result.lines()[1] == "= ruleset cn-health (version 1.1.0): no semantic change"


def test_derived_facts_benefit_steps_labels_and_header(tmp_path: Path) -> None:
    old = compiled_copy(tmp_path / "a", "cn-health", [])
    new = compiled_copy(
        tmp_path / "b",
        "cn-health",
        [
            ("ruleset.yaml", "timezone: Asia/Shanghai", "timezone: Asia/Hong_Kong"),
            ("ruleset.yaml", "expr: sum(items, .amount)", "expr: sum(items, .amount) + 0"),
            (
                "ruleset.yaml",
                "dental: {zh: 牙科, en: dental care}",
                "dental: {zh: 牙科, en: dentistry}",
            ),
            ("ruleset.yaml", "  - {type: paid, description: the agreed amount was paid}\n", ""),
            (
                "sla.yaml",
                "stop_event: [claim_decided, advance_paid, paid]",
                "stop_event: [claim_decided, advance_paid]",
            ),
            ("sla.yaml", "stop_event: paid", "stop_event: amount_agreed"),
            ("sla.yaml", "stop_event: [paid]", "stop_event: [amount_agreed]"),
            (
                "benefit.yaml",
                "title: the policy's annual deductible, shared by the claim's lines\n",
                "title: the policy's annual deductible, per line\n    per: line\n",
            ),
            ("benefit.yaml", "code: LIMIT-ANNUAL", "code: LIMIT-YEAR"),
            ("lifecycle.yaml", "    paid: paid\n", ""),
            ("lifecycle.yaml", "event: paid\n", "event: advance_paid\n"),
        ],
    )
    assert changed(old, new) == {
        ("ruleset", "timezone"),
        ("ruleset", "events"),
        ("ruleset", "lifecycle"),
        ("lifecycle_rule", "paid_needs_amount", "changed", "event"),
        ("derive", "claimed_total", "changed", "expr"),
        ("label", "dental", "changed", "en"),
        ("benefit_step", "deductible", "changed", "title", "per"),
        ("benefit_step", "annual_limit", "changed", "reason.code"),
        ("sla", "payment", "changed", "stop_event"),
        ("sla", "payment_after_decision", "changed", "stop_event"),
        ("sla", "advance_payment", "changed", "stop_event"),
    }


def test_sla_pauses_extensions_and_conditions(tmp_path: Path) -> None:
    old = compiled_copy(tmp_path / "a", "us-erisa", [])
    new = compiled_copy(
        tmp_path / "b",
        "us-erisa",
        [
            (
                "ruleset.yaml",
                "max: 15, requires_approval: false",
                "max: 30, requires_approval: false",
            ),
            (
                "ruleset.yaml",
                "    pause_events:\n"
                "      - {pause: information_requested, resume: information_received}\n"
                "    duration: 15",
                "    duration: 15",
            ),
            ("ruleset.yaml", "due_soon: 3d", "due_soon: 36h"),
        ],
    )
    result = diff_rulesets({"us-erisa": old}, {"us-erisa": new})
    [element] = result.rulesets[0].elements
    fields = {c.field: (c.old, c.new) for c in element.changes}
    assert set(fields) == {"pause_events", "extension", "due_soon"}
    assert fields["pause_events"] == (["information_requested → information_received"], [])
    assert fields["extension"][0]["max"] == 15 and fields["extension"][1]["max"] == 30
    assert fields["due_soon"] == ("3d", "36h")


def test_change_lines() -> None:
    assert change_lines(Change("duration", 30, 15)) == ["duration: 30 → 15"]
    assert change_lines(Change("legal_basis", ["a", "b"], ["a", "c"])) == [
        "legal_basis:",
        "  - b",
        "  + c",
    ]
    long = "x" * 60
    assert change_lines(Change("when", long, long + " or y")) == [
        "when:",
        f"  - {long}",
        f"  + {long} or y",
    ]
    assert change_lines(Change("applies_when", None, "true")) == ["applies_when: (none) → true"]


def digest(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "outcome": "approve",
        "payable": "100.00",
        "currency": "CNY",
        "reasons": ["FAST-TRACK"],
        "sla": {"determination": {"due_at": "2025-07-24T00:00:00+08:00", "status": "running"}},
    }
    return {**base, **overrides}


def test_compare_decision_digests() -> None:
    assert compare(digest(), digest()) == {}
    found = compare(
        digest(),
        digest(outcome="partial", reasons=["COV-EXCLUDED[line 2]", "FAST-TRACK"], sla={}),
    )
    assert found["outcome"] == {"old": "approve", "new": "partial"}
    assert found["reasons"]["added"] == ["COV-EXCLUDED[line 2]"]
    assert found["reasons"]["removed"] == []
    assert found["sla"]["determination"]["new"] is None
    assert compare(digest(), {"error": "table t: no row matches"}) == {
        "error": {"old": None, "new": "table t: no row matches"}
    }
    assert compare({"error": "x"}, {"error": "x"}) == {}


def test_impact_report_counts_kinds_and_transitions() -> None:
    from engine.claim import load_claim

    claim = load_claim(make_claim_dict())
    report = ImpactReport("HEAD", "WORKTREE", "2025-07-01T09:00:00+08:00")
    report.add(claim, "a.json", "cn-health", digest(), digest(outcome="partial", payable="50.00"))
    report.add(claim, "b.json", "cn-health", digest(), digest())
    report.add(claim, "c.json", "cn-health", digest(), digest(outcome="partial"))
    assert report.summary() == {
        "evaluated": 3,
        "changed": 2,
        "by_kind": {"outcome": 2, "payable": 1, "reasons": 0, "sla": 0, "error": 0},
        "outcome_transitions": {"approve → partial": 2},
    }
    text = report.lines()
    assert "  outcome: approve → partial" in text
    assert "  payable: 100.00 → 50.00 CNY" in text
    assert text[-1].split() == ["approve", "→", "partial", "2"]
