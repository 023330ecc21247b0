"""Typed slots: what each renders from a decision, in both languages, and the slots that name
nothing (an error, never an empty text); a checked draft rendered into the adjuster's note."""

from __future__ import annotations

import pytest

from bench.llm_guard import context
from llm_assist.note import NoteDraft
from llm_assist.rendering import render_note
from llm_assist.slots import KINDS, Slot, SlotError, Words, available_slots, parse, render


def rendered(text: str, decision: str = "partial", language: str = "en") -> str:
    ctx = context(decision, language)
    return render(text, ctx.decision, language, ctx.outstanding_documents)


@pytest.mark.parametrize(
    ("text", "en", "zh"),
    [
        ("{outcome}", "Outcome: partially approved.", "核定结果：部分赔付。"),
        ("{decided_by}", "Decided automatically by the rules.", "结果由规则自动作出。"),
        ("{payable}", "Payable CNY 3,200.00", "应付金额3,200.00元"),
        ("x {submitted}", "x submitted CNY 23,860.50", "x 申请金额23,860.50元"),
        ("{line:2}", "Item 2", "第2项"),
        ("{line:2.outcome}", "Item 2: denied.", "第2项：不予赔付。"),
        ("a {line:1.copay}", "a item 1 member share CNY 800.00", "a 第1项自付金额800.00元"),
        (
            "{status:determination}",
            "Determination deadline: running",
            "determination时限状态：进行中",
        ),
        (
            "by {due_date:determination}",
            "by the determination deadline (23 July 2025)",
            "by determination时限的截止日期2025年7月23日",
        ),
        (
            "{reason:excluded_service}",
            "Item 2 (dental care) is excluded by your policy, so we cannot pay for it.",
            "第2项费用（牙科）属于保单责任免除范围，该项不予赔付。",
        ),
    ],
)
def test_what_each_slot_renders(text: str, en: str, zh: str) -> None:
    assert rendered(text, language="en") == en
    assert rendered(text, language="zh") == zh


def test_the_action_follows_the_outcome() -> None:
    assert rendered("{action}", "approve") == "Pay the member the payable amount of CNY 3,648.40."
    assert rendered("{action}", "pend").startswith("Re-evaluate the claim")
    assert rendered("{action}", "deny").startswith("Explain in writing")
    assert "(fraud_early_large_claim)" in rendered("{action}", "refer")
    assert rendered("{action}", "partial").endswith(
        "why item 2 is not paid in full, and on what basis."
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{bonus}", "there is no slot 'bonus'"),
        ("{payable:2}", "takes no argument"),
        ("{line}", "needs an argument"),
        ("{line:7}", "no item 7"),
        ("{line:2.total}", "an item has no 'total'"),
        ("{due_date:payment}", "has no due date"),
        ("{status:nothing}", "no SLA clock 'nothing'"),
        ("{reason:waiting_period}", "not a rule the decision applied"),
        ("{outstanding}", "no document is outstanding"),
    ],
)
def test_a_slot_that_names_nothing_is_an_error(text: str, reason: str) -> None:
    with pytest.raises(SlotError) as caught:
        rendered(text)
    assert caught.value.slot == text and reason in caught.value.reason


def test_parse_keeps_words_and_slots_apart() -> None:
    parts = parse("A {payable} and {line:2.payable}; {not a slot}")
    assert [type(p) for p in parts] == [Words, Slot, Words, Slot, Words]
    slot = parts[3]
    assert isinstance(slot, Slot) and (slot.kind, slot.arg, slot.line_id) == (
        "line",
        "2.payable",
        2,
    )
    assert parts[4] == Words("; {not a slot}", 32, 46)


def test_available_slots_are_every_slot_the_decision_fills() -> None:
    ctx = context("partial", "en")
    slots = available_slots(ctx.decision, "en", ())
    kinds = {s.strip("{}").split(":")[0] for s in slots}
    assert kinds == set(KINDS) - {"outstanding"}
    assert slots["{notice:human_review}"].startswith("This result was made automatically")
    assert "{due_date:payment}" not in slots and "{status:payment}" in slots


def test_a_draft_renders_into_the_note() -> None:
    ctx = context("deny", "zh")
    draft = NoteDraft(
        summary="{outcome}{payable}。",
        findings=[{"rule_id": "late_notice", "line_id": None, "text": "仅作记录。"}],
        missing_information=[],
        next_steps=["{action}"],
        member_reminders=["regulator_hotline"],
        decision_echo="deny",
    )
    note = render_note(draft, ctx)
    assert note.summary == "核定结果：不予赔付。应付金额0.00元。"
    [finding] = note.findings
    late = next(r for r in ctx.decision.reasons if r.rule_id == "late_notice")
    assert finding.text == late.explanation.zh + "仅作记录。"
    assert (finding.rule_ids, finding.line_id) == (["late_notice"], None)
    # every selected reminder, word for word, whatever the draft listed
    assert [(r.id, r.zh) for r in note.member_reminders] == [(e.id, e.zh) for e in ctx.reminders]
