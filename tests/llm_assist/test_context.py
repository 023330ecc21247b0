"""DraftContext: the redacted facts a drafter sees, and nothing personal beyond placeholders."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.routing import ruleset_for_claim
from engine.claim import Claim, load_claim
from engine.decision import Decision
from engine.evaluate import evaluate, load_program
from engine.program import Program
from llm_assist.context import DraftContext, FreeText, build_context, outstanding_documents
from llm_assist.redaction import find_personal_data
from llm_assist.rights import RightsBase, load_rights

ROOT = Path(__file__).resolve().parents[2]
CLAIMS = ROOT / "examples" / "claims"
AS_OF = dt.datetime.fromisoformat("2025-07-01T09:00:00+08:00")
NAME, PHONE, CARD = "王小明", "13912345678", "6222021234567890128"


@cache
def _rights() -> RightsBase:
    return load_rights()


@cache
def _program(root: str) -> Program:
    return load_program(ROOT / root)


def _raw(name: str) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads((CLAIMS / name).read_text(encoding="utf-8"))
    return raw


def _decide(claim: Claim) -> Decision:
    return evaluate(_program(str(ruleset_for_claim(claim))), claim, as_of=AS_OF, backend="native")


def _planted(description: str = "", events: list[dict[str, Any]] | None = None) -> Claim:
    raw = _raw("02-partial-dental-excluded.json")
    raw["member"].update(name=NAME, phone=PHONE, bank_card=CARD)
    raw["incident"]["description"] = description or f"{NAME}住院，电话{PHONE}，卡号{CARD}。"
    if events is not None:
        raw["events"] = events
    return load_claim(raw)


def _context(claim: Claim, **kw: Any) -> DraftContext:
    return build_context(claim, _decide(claim), _rights(), **kw)


def test_the_context_carries_the_decision_and_the_selected_reminders() -> None:
    claim = load_claim(_raw("02-partial-dental-excluded.json"))
    decision = _decide(claim)
    ctx = build_context(claim, decision, _rights())
    assert (ctx.claim_id, ctx.outcome, ctx.language) == (claim.claim_id, "partial", "zh")
    assert ctx.decision.amounts == decision.amounts
    assert ctx.decision.reasons == decision.reasons
    assert [e.id for e in ctx.reminders] == [e.id for e in _rights().select(decision)]
    person = build_context(claim, decision, _rights(), decided_by="person", language="en")
    assert "human_explanation_and_review" in [e.id for e in ctx.reminders]
    assert "human_explanation_and_review" not in [e.id for e in person.reminders]
    assert person.language == "en"


def test_citable_ids_are_applied_rules_and_clocks() -> None:
    claim = load_claim(_raw("08-partial-annual-limit.json"))
    decision = _decide(claim)
    ctx = build_context(claim, decision, _rights())
    expected = {r.rule_id for r in decision.reasons}
    expected |= {c.id for c in decision.sla if c.status != "not_applicable"}
    assert ctx.citable_ids == frozenset(expected)
    unmatched = {t.rule_id for t in decision.trace if not t.matched}
    assert unmatched and not unmatched & ctx.citable_ids  # evaluated is not applied
    assert "annual_limit" in ctx.citable_ids  # a benefit step: a reason, not a trace rule
    assert "annual_limit" not in {t.rule_id for t in decision.trace}


def test_free_text_is_redacted_in_claim_order() -> None:
    events: list[dict[str, Any]] = [
        {"type": "claim_received", "at": "2025-06-20T09:12:00+08:00"},
        {
            "type": "report_guidance_sent",
            "at": "2025-06-21T10:00:00+08:00",
            "detail": {"note": f"Spoke to {NAME} on {PHONE}", "tags": ["urgent", CARD]},
        },
    ]
    ctx = _context(_planted(events=events))
    assert [f.path for f in ctx.free_text] == [
        "incident.description",
        "events[1].detail.note",
        "events[1].detail.tags[0]",
        "events[1].detail.tags[1]",
    ]
    text = json.dumps([f.text for f in ctx.free_text], ensure_ascii=False)
    for value in (NAME, PHONE, CARD):
        assert value not in text
    assert "[NAME_1]" in ctx.free_text[0].text and "[PHONE_1]" in ctx.free_text[0].text
    assert ctx.free_text[2] == FreeText("events[1].detail.tags[0]", "urgent")


def test_the_decision_is_redacted_too() -> None:
    claim = _planted()
    decision = _decide(claim)
    first = decision.reasons[0]
    planted = first.explanation.model_copy(
        update={"en": first.explanation.en + f" (member {NAME}, card {CARD})"}
    )
    reasons = (first.model_copy(update={"explanation": planted}), *decision.reasons[1:])
    decision = decision.model_copy(update={"reasons": reasons})
    assert CARD in decision.canonical_json()
    ctx = build_context(claim, decision, _rights())
    dumped = ctx.decision.canonical_json()
    assert NAME not in dumped and CARD not in dumped and PHONE not in dumped
    assert "[CARD_1]" in ctx.decision.reasons[0].explanation.en
    assert ctx.decision.amounts == decision.amounts


def test_the_redactor_knows_the_claims_own_values() -> None:
    ctx = _context(_planted())
    kinds = {p.kind for p in find_personal_data(f"{NAME}先生", redactor=ctx.redactor)}
    assert kinds == {"NAME"}


def test_outstanding_documents_follow_requests_and_completions() -> None:
    at = "2025-06-21T10:00:00+08:00"

    def event(kind: str, missing: list[str] | None = None) -> dict[str, Any]:
        return {"type": kind, "at": at, **({"detail": {"missing": missing}} if missing else {})}

    cases = [
        ([], ()),
        ([event("documents_requested", ["invoice", "id_copy"])], ("invoice", "id_copy")),
        ([event("documents_requested", ["invoice"]), event("documents_completed")], ()),
        (
            [
                event("documents_requested", ["invoice", "id_copy"]),
                event("documents_requested", ["id_copy"]),
            ],
            ("id_copy",),
        ),
    ]
    for events, expected in cases:
        assert outstanding_documents(_planted(events=events)) == expected


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"language": "fr"}, "language must be one of zh, en"),
        ({"claim_id": "CLM-OTHER"}, "the decision's claim_id is not the claim's claim_id"),
    ],
)
def test_a_bad_request_is_a_clear_error(change: dict[str, str], message: str) -> None:
    claim = load_claim(_raw("02-partial-dental-excluded.json"))
    decision = _decide(claim)
    language = change.pop("language", "zh")
    decision = decision.model_copy(update=change)
    with pytest.raises(ValueError, match=message):
        build_context(claim, decision, _rights(), language=language)


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)


@settings(max_examples=40, deadline=None)
@given(
    _TEXT, _TEXT, st.sampled_from([NAME, PHONE, CARD, "138 1234 5678", "6222-0212-3456-7890-128"])
)
def test_no_planted_value_survives_in_the_free_text(before: str, after: str, value: str) -> None:
    ctx = _context(_planted(description=f"{before}{value}{after}"))
    digits = "".join(ch for ch in value if ch.isdigit())
    for item in ctx.free_text:
        assert NAME not in item.text
        if digits:
            assert digits not in "".join(ch for ch in item.text if ch.isascii() and ch.isdigit())
