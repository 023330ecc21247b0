"""The drafting loop: pass, one guarded retry, fallback to the template with the reasons, the
template provider, and the audit payload (deterministic hashes, no decision ever changed)."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import time
from typing import Any

import pytest

from llm_assist.config import AssistConfig
from llm_assist.context import DraftContext, build_context
from llm_assist.drafting import Draft, deadline_s, draft_review_note, note_hash
from llm_assist.note import ReviewNote
from llm_assist.prompts import (
    PROMPT_TEMPLATE_VERSION,
    build_messages,
    prompt_hash,
    prompt_template_hash,
)
from llm_assist.template import template_draft, template_note
from tests.llm_assist.fakes import (
    EXAMPLE_CLAIMS,
    Delay,
    ToolCallingFakeChatModel,
    context_for,
    decide,
    example,
    rights,
)

OPENAI = AssistConfig(provider="openai", model="qwen2.5-7b-instruct", timeout_s=5.0)
HASH = re.compile(r"^sha256:[0-9a-f]{64}$")
OTHER = {"approve": "deny", "partial": "approve", "deny": "approve", "pend": "approve"}


@pytest.fixture(scope="module")
def pend() -> DraftContext:
    return context_for(example("03-pend-missing-discharge-summary"))


@pytest.fixture(scope="module")
def deny() -> DraftContext:
    return context_for(example("04-deny-waiting-period"))


def good(context: DraftContext) -> dict[str, Any]:
    """A draft the guard accepts: the template's, as a model would send it."""
    return template_draft(context).model_dump(mode="json")


def wrong_echo(context: DraftContext) -> dict[str, Any]:
    return {**good(context), "decision_echo": OTHER.get(context.outcome, "approve")}


def draft(context: DraftContext, *replies: Any, config: AssistConfig = OPENAI) -> Draft:
    fake = ToolCallingFakeChatModel(replies=list(replies))
    result = draft_review_note(context, config, model=fake)
    draft.prompts = fake.prompts  # type: ignore[attr-defined]
    return result


def last_prompts() -> list[Any]:
    return draft.prompts  # type: ignore[attr-defined]


# --- verdicts ----------------------------------------------------------------------------------


def test_a_good_first_reply_passes(pend: DraftContext) -> None:
    result = draft(pend, good(pend))
    assert result.verdict == "pass"
    assert result.attempts == 1
    assert result.reasons == ()
    assert result.note == template_note(pend)  # the same draft, rendered
    assert (result.provider, result.model) == ("openai", "qwen2.5-7b-instruct")
    [prompt] = last_prompts()
    assert prompt == build_messages(pend)
    assert result.prompt_hash == prompt_hash(prompt)


def test_a_rejected_reply_is_retried_with_the_violations(pend: DraftContext) -> None:
    result = draft(pend, wrong_echo(pend), good(pend))
    assert result.verdict == "retried"
    assert result.attempts == 2
    assert result.note == template_note(pend)  # the same draft, rendered
    assert result.reasons and all(r.split(" ")[0].isupper() for r in result.reasons)
    first, second = last_prompts()
    assert first == build_messages(pend)
    assert second[:2] == first and len(second) == 3
    for reason in result.reasons:
        assert reason.split(" ")[0] in second[2].content
    assert result.prompt_hash == prompt_hash(second)


def test_two_rejected_replies_fall_back_to_the_template(deny: DraftContext) -> None:
    result = draft(deny, wrong_echo(deny), wrong_echo(deny))
    assert result.verdict == "fallback"
    assert result.attempts == 2
    assert result.note == template_note(deny)
    assert result.note.decision_echo == "deny"
    assert len(result.reasons) >= 2
    assert len(last_prompts()) == 2
    assert result.prompt_hash == prompt_hash(last_prompts()[1])


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (RuntimeError("model crashed"), "provider: RuntimeError: model crashed (openai)"),
        (ConnectionError("refused"), "provider: connection failed: refused (openai)"),
        ("I approve this claim.", "format: not JSON: Expecting value at line 1 column 1"),
        ({"summary": "x"}, "format: findings: Field required (and 4 more)"),
    ],
)
def test_model_trouble_falls_back_at_once(pend: DraftContext, reply: Any, reason: str) -> None:
    result = draft(pend, reply, good(pend))  # the good reply is never asked for
    assert result.verdict == "fallback"
    assert result.attempts == 1
    assert result.reasons == (reason,)
    assert result.note == template_note(pend)
    assert len(last_prompts()) == 1


def test_a_slow_model_falls_back_at_the_deadline(pend: DraftContext) -> None:
    config = AssistConfig(provider="openai", model="m", timeout_s=0.2, max_retries=0)
    started = time.monotonic()
    result = draft(pend, Delay(5.0, good(pend)), config=config)
    elapsed = time.monotonic() - started
    assert result.verdict == "fallback"
    assert result.reasons == ("provider: timeout (openai, timeout_s=0.2, max_retries=0)",)
    assert elapsed < deadline_s(config) + 0.5


def test_the_deadline_grows_with_transport_retries() -> None:
    assert deadline_s(AssistConfig(timeout_s=2.0, max_retries=0)) == 3.0
    assert deadline_s(AssistConfig(timeout_s=2.0, max_retries=2)) == 9.0


def test_a_misconfigured_provider_falls_back(pend: DraftContext) -> None:
    result = draft_review_note(pend, AssistConfig(provider="openai", model=""))
    assert result.verdict == "fallback"
    assert result.attempts == 0
    assert result.reasons == ("provider: no model configured",)
    assert result.prompt_hash == ""


class _Unconstrainable(ToolCallingFakeChatModel):
    def with_structured_output(self, schema: Any, **kwargs: Any) -> Any:
        raise ValueError("schema not supported")


def test_a_model_that_cannot_be_constrained_falls_back(pend: DraftContext) -> None:
    model = _Unconstrainable(replies=[good(pend)])
    result = draft_review_note(pend, OPENAI, model=model)
    assert (result.verdict, result.attempts) == ("fallback", 0)
    assert result.reasons == ("provider: ValueError: schema not supported",)
    assert model.prompts == []


# --- the template provider ---------------------------------------------------------------------


def test_the_template_provider_needs_no_model(pend: DraftContext) -> None:
    result = draft_review_note(pend, AssistConfig())
    assert (result.provider, result.model, result.verdict) == ("template", "", "pass")
    assert (result.attempts, result.reasons, result.prompt_hash) == (0, (), "")
    assert result.note == template_note(pend)


def test_a_given_model_overrides_the_template_setting(pend: DraftContext) -> None:
    result = draft(pend, good(pend), config=AssistConfig())
    assert result.provider == "tool-calling-fake"
    assert result.attempts == 1


@pytest.mark.slow
def test_the_template_passes_the_guard_on_every_example_claim() -> None:
    """A template note failing the guard would be a bug: none does, in either language."""
    failures = {}
    for path in sorted(EXAMPLE_CLAIMS.glob("*.json")):
        chinese = context_for(json.loads(path.read_text(encoding="utf-8")))
        for context in (chinese, dataclasses.replace(chinese, language="en")):
            result = draft_review_note(context, AssistConfig())
            if result.verdict != "pass":
                failures[f"{path.name} {context.language}"] = result.reasons
    assert failures == {}


# --- the audit payload ---------------------------------------------------------------------------


def test_the_audit_payload(pend: DraftContext) -> None:
    result = draft(pend, wrong_echo(pend), good(pend))
    payload = result.audit_payload()
    assert json.loads(json.dumps(payload)) == payload
    assert payload == {
        "claim_id": pend.claim_id,
        "provider": "openai",
        "model": "qwen2.5-7b-instruct",
        "prompt_template_version": PROMPT_TEMPLATE_VERSION,
        "prompt_template_hash": prompt_template_hash(),
        "prompt_hash": prompt_hash(last_prompts()[1]),
        "output_hash": note_hash(result.note),
        "verdict": "retried",
        "attempts": 2,
        "reasons": list(result.reasons),
        "note": template_note(pend).model_dump(mode="json"),
    }
    for key in ("prompt_template_hash", "prompt_hash", "output_hash"):
        assert HASH.match(payload[key])


def test_the_audit_payload_is_deterministic(pend: DraftContext) -> None:
    again = context_for(example("03-pend-missing-discharge-summary"))
    first = draft(pend, wrong_echo(pend), good(pend)).audit_payload()
    second = draft(again, wrong_echo(again), good(again)).audit_payload()
    assert first == second
    template = draft_review_note(pend, AssistConfig()).audit_payload()
    assert template == draft_review_note(again, AssistConfig()).audit_payload()
    assert template["output_hash"] == note_hash(template_note(pend))


def test_note_hash_is_of_the_canonical_note(pend: DraftContext) -> None:
    note = template_note(pend)
    reordered = ReviewNote.model_validate(dict(reversed(note.model_dump(mode="json").items())))
    assert note_hash(note) == note_hash(reordered)
    changed = note.model_copy(update={"summary": note.summary + "."})
    assert note_hash(note) != note_hash(changed)


# --- the decision is an input only -------------------------------------------------------------


def test_drafting_never_changes_the_decision() -> None:
    claim = example("04-deny-waiting-period")
    decision = decide(claim)
    before = copy.deepcopy(decision)
    from engine.claim import load_claim

    context = build_context(load_claim(claim), decision, rights())
    snapshot = copy.deepcopy(dict(context.decision))
    obeying = {**good(context), "decision_echo": "approve", "summary": "已批准赔付。"}
    for replies in ([obeying, obeying], [good(context)], [RuntimeError("x")]):
        draft(context, *replies)
    draft_review_note(context, AssistConfig())
    assert decision == before
    assert dict(context.decision) == snapshot
