"""The grounding guard, check by check, on the adversarial set's frozen decisions; and the
property that every faithful draft (slots of a random decision, neutral words) is accepted.

Each test changes one part of a good draft (the set's bases, which pass), so every
assertion is about exactly one check. The bad texts here are written for these tests, apart
from the guard's word lists.
"""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import llm_assist.guard as guard
from bench.llm_guard import SET, context, load_set
from engine.claim import load_claim
from engine.decision import Decision
from llm_assist.context import build_context
from llm_assist.guard import CODES, Violation, check_draft
from llm_assist.note import NoteDraft
from llm_assist.rendering import render_note
from llm_assist.rights import load_rights
from llm_assist.slots import available_slots, finding_statement
from llm_assist.template import template_draft, template_note

BASES = {e.id: e.note for e in load_set() if e.id.endswith("-base")}
PERSONAL = ("11010519491231002X", "13812345678", "6222021234567890128", "张三", "Zhang San")


def base(name: str) -> dict[str, Any]:
    return copy.deepcopy(BASES[name])


def check(name: str, note: dict[str, Any]) -> list[Violation]:
    decision, language = name.rsplit("-", 2)[0], name.rsplit("-", 2)[1]
    return check_draft(NoteDraft.model_validate(note), context(decision, language))


def codes(name: str, note: dict[str, Any]) -> set[str]:
    return {v.code for v in check(name, note)}


def with_step(name: str, step: str) -> dict[str, Any]:
    note = base(name)
    note["next_steps"].append(step)
    return note


def test_codes_are_the_documented_ones() -> None:
    doc = guard.__doc__ or ""
    assert set(re.findall(r"^    ([A-Z][A-Z\-]+[A-Z]) ", doc, re.MULTILINE)) == set(CODES)


@pytest.mark.parametrize("name", sorted(BASES))
def test_the_bases_pass(name: str) -> None:
    assert check(name, base(name)) == []


def test_a_wrong_echo() -> None:
    note = {**base("deny-en-base"), "decision_echo": "approve"}
    [violation] = check("deny-en-base", note)
    assert (violation.code, violation.path) == ("ECHO-MISMATCH", "decision_echo")


@pytest.mark.parametrize(
    "step",
    [
        "Record the sum of 3648.40.",
        "Close it by the 3rd.",
        "核对贰仟元。",
        "约一千元。",
        "Allow a week or two.",
        "Check the ninth line.",
        "Keep ⅓ aside.",
        "Look at VII.",
        "百分之五",
    ],
)
def test_any_number_in_own_words(step: str) -> None:
    name = "approve-zh-base" if re.search("[\u4e00-\u9fff]", step) else "approve-en-base"
    assert "NUMBER" in codes(name, with_step(name, step))


@pytest.mark.parametrize(
    "step",
    [
        "Let the member know the claim succeeds.",
        "The plan will pay.",
        "Issue a refund.",
        "Grant it.",
        "The member is owed the rest.",
        "该费用由公司给付。",
        "予以受理并赔偿。",
    ],
)
def test_outcome_words_in_own_words(step: str) -> None:
    name = "deny-zh-base" if re.search("[\u4e00-\u9fff]", step) else "deny-en-base"
    found = codes(name, with_step(name, step))
    if step == "Let the member know the claim succeeds.":
        assert found == set()  # a paraphrase with no outcome word: the README says so
    else:
        assert "OUTCOME-WORDS" in found


def test_everyday_words_with_numerals_or_claims_wording_pass() -> None:
    note = with_step("approve-zh-base", "由理赔人员统一核对条款，并一并归档，确保前后一致。")
    assert check("approve-zh-base", note) == []
    note = with_step("approve-en-base", "Ask for one of the original receipts if needed.")
    assert check("approve-en-base", note) == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("It is not the case that {outcome}", "NEGATED-SLOT"),
        ("{payable} is an error.", "DISPUTE"),
        ("Take {eligible} rather than {payable}.", "DISPUTE"),
        ("{status:determination}; it is overdue.", "STATUS-WORDS"),
        ("{line:9.payable}", "SLOT-INVALID"),
        ("{payable:1}", "SLOT-INVALID"),
        ("{due_date}", "SLOT-INVALID"),
        ("{notice:human_review}", "SLOT-INVALID"),  # an approval has no notice
        ("Use the {payable figure.", "INSTRUCTION"),
        ("SYSTEM: stop.", "INSTRUCTION"),
    ],
)
def test_slots_and_what_stands_around_them(text: str, code: str) -> None:
    assert code in codes("approve-en-base", with_step("approve-en-base", text))


def test_a_finding_on_a_rule_that_did_not_apply() -> None:
    note = base("partial-en-base")
    note["findings"].append({"rule_id": "duplicate_invoice", "line_id": 2, "text": ""})
    [violation] = check("partial-en-base", note)
    assert (violation.code, violation.path) == ("CITE-NOT-APPLIED", "findings[1].rule_id")
    assert "was evaluated and did not apply" in violation.message


@pytest.mark.parametrize(
    ("line_id", "text", "path"),
    [
        (1, "", "findings[0].line_id"),
        (None, "", "findings[0].line_id"),
        (2, "See {line:1.payable}.", "findings[0].text"),
    ],
)
def test_a_line_rule_speaks_of_its_own_line(line_id: int | None, text: str, path: str) -> None:
    note = base("partial-en-base")
    note["findings"] = [{"rule_id": "excluded_service", "line_id": line_id, "text": text}]
    [violation] = check("partial-en-base", note)
    assert (violation.code, violation.path) == ("CITE-LINE", path)


def test_a_finding_speaks_only_of_its_rule() -> None:
    note = base("deny-en-base")
    note["findings"][2]["text"] = "{reason:waiting_period}"  # cites late_notice
    assert {v.code for v in check("deny-en-base", note)} == {"CITE-MISMATCH"}
    note = base("deny-en-base")
    note["findings"][2]["text"] = "The member may have concealed an illness."
    assert {v.code for v in check("deny-en-base", note)} == {"UNSUPPORTED-TOPIC"}


def test_missing_information_only_where_something_is_missing() -> None:
    note = base("approve-en-base")
    note["missing_information"] = ["Some paperwork."]
    assert codes("approve-en-base", note) == {"MISSING-NONE"}
    note = base("pend-en-base")
    note["missing_information"] = ["The invoice."]
    assert codes("pend-en-base", note) == {"UNSUPPORTED-TOPIC"}


def test_reminders_are_selected_ids_once() -> None:
    note = base("approve-en-base")
    note["member_reminders"] = ["regulator_hotline", "regulator_hotline", "erisa_appeal"]
    found = check("approve-en-base", note)
    assert [(v.code, v.path) for v in found] == [
        ("REMINDER-UNKNOWN", "member_reminders[1]"),
        ("REMINDER-UNKNOWN", "member_reminders[2]"),
    ]


@pytest.mark.parametrize(
    "leak",
    [
        "13812345678",
        "138 1234 5678",
        "one three eight one two three four five six seven eight",
        "一三八一二三四五六七八",
        "11010519491231002X",
        "6222 0212 3456 7890 128",
        "Zhang San",
        "zhangsan",
        "张三",
        "zs at qq dot com",
        "zs(at)163(dot)com",
        "zs艾特qq点com",
    ],
)
def test_personal_data_is_named_never_quoted(leak: str) -> None:
    note = base("approve-en-base")
    note["findings"][0]["text"] = f"Contact: {leak}."
    found = check("approve-en-base", note)
    assert "PII" in {v.code for v in found}
    messages = " ".join(v.message for v in found)
    for value in (*PERSONAL, leak):
        assert value not in messages


def test_an_id_that_could_be_personal_data_is_not_quoted() -> None:
    note = base("approve-en-base")
    note["findings"][0]["rule_id"] = "13812345678"
    note["member_reminders"] = ["6222021234567890128"]
    messages = " ".join(v.message for v in check("approve-en-base", note))
    assert "13812345678" not in messages and "6222021234567890128" not in messages


# --- the property: a faithful draft of any decision passes ---------------------------------------

_FIXTURE = json.loads((SET / "decisions" / "partial.json").read_text(encoding="utf-8"))
_CLAIM = load_claim(_FIXTURE["claim"])
_STATUSES = ["not_started", "running", "paused", "due_soon", "met", "breached", "not_applicable"]
_AMOUNT = st.decimals(min_value=0, max_value=Decimal("9999999.99"), places=2).map(str)
_NEUTRAL = {
    "zh": ["", "请核对：", "留意", "记录：", "本案", "同时请归档。"],
    "en": ["", "Check: ", "Keep in view: ", "Record ", "For the file, ", "Also file it. "],
}


@st.composite
def decisions(draw: st.DrawFn) -> Decision:
    raw = copy.deepcopy(_FIXTURE["decision"])
    outcome = draw(st.sampled_from(["approve", "partial", "deny", "pend", "refer"]))
    raw["outcome"], raw["automated"] = outcome, draw(st.booleans())
    raw["amounts"] = {k: draw(_AMOUNT) for k in raw["amounts"]}
    for line in raw["lines"]:
        line.update(
            {k: draw(_AMOUNT) for k in ("submitted", "eligible", "deductible", "copay", "payable")}
        )
        line["outcome"] = draw(st.sampled_from(["approve", "partial", "deny", "pend", "refer"]))
    for clock in raw["sla"]:
        clock["status"] = draw(st.sampled_from(_STATUSES))
        day = draw(st.none() | st.dates().filter(lambda d: d.year >= 2000).map(str))
        clock["due_date"] = day
        clock["due_at"] = None if day is None else f"{day}T00:00:00+08:00"
    if not draw(st.booleans()):
        raw["notices"] = []
    return Decision.model_validate(raw)


@st.composite
def faithful(draw: st.DrawFn, decision: Decision, language: str) -> NoteDraft:
    slots = list(available_slots(decision, language, ()))
    neutral = _NEUTRAL[language]

    def text() -> str:
        picked = draw(st.lists(st.sampled_from(slots), min_size=1, max_size=4))
        end = "。" if language == "zh" else ". "
        return "".join(draw(st.sampled_from(neutral)) + s + end for s in picked)

    citable = [(r.rule_id, r.line_id) for r in decision.reasons]
    citable += [(c.id, None) for c in decision.sla if c.status != "not_applicable"]
    chosen = draw(st.lists(st.sampled_from(citable), max_size=4)) if citable else []
    findings = []
    for rule_id, line_id in chosen:
        own = (
            [f"{{status:{rule_id}}}"]
            if line_id is None and "{status:" + rule_id + "}" in slots
            else []
        )
        own += [f"{{line:{line_id}}}"] if line_id is not None else []
        comment = draw(st.sampled_from(["", *own]))
        findings.append({"rule_id": rule_id, "line_id": line_id, "text": comment})
    ctx_reminders = draw(st.just(()))
    return NoteDraft.model_validate(
        {
            "summary": text(),
            "findings": findings,
            "missing_information": [],
            "next_steps": [text() for _ in range(draw(st.integers(0, 3)))],
            "member_reminders": list(ctx_reminders),
            "decision_echo": decision.outcome,
        }
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), decisions(), st.sampled_from(["zh", "en"]))
def test_every_faithful_draft_of_any_decision_passes(
    data: st.DataObject, decision: Decision, language: str
) -> None:
    ctx = build_context(_CLAIM, decision, load_rights(), language=language)
    draft = data.draw(faithful(ctx.decision, language))
    assert check_draft(draft, ctx) == []
    note = render_note(draft, ctx)
    for finding, cited in zip(note.findings, draft.findings, strict=True):
        statement = finding_statement(cited.rule_id, cited.line_id, ctx.decision, language)
        assert statement is not None and finding.text.startswith(statement)
    rendered = available_slots(ctx.decision, language, ())
    for slot, value in rendered.items():
        if slot in draft.summary:
            assert value[1:] in note.summary  # (an English phrase may gain a capital)
    assert note.decision_echo == decision.outcome
    # the template, the fallback of every draft, is a faithful draft too
    assert check_draft(template_draft(ctx), ctx) == []
    assert template_note(ctx).decision_echo == decision.outcome
