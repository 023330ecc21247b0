"""No personal data reaches a model: claims with IDs, phones, cards, names, e-mails and
addresses planted in every text field (checksum-valid and not, in the shapes people write
them) are drafted with a fake model, and no prompt it received, retry prompts included,
contains any planted value, as written or with its digits run together."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from hypothesis import HealthCheck, given, settings
from langchain_core.messages import BaseMessage

from engine.claim import Claim
from llm_assist.config import AssistConfig
from llm_assist.drafting import draft_review_note
from llm_assist.template import template_draft
from tests.llm_assist.fakes import ToolCallingFakeChatModel, context_for, prompt_text
from tests.llm_assist.pii_strategies import claims_with_planted_pii

_FULLWIDTH = str.maketrans("０１２３４５６７８９＋－（）Ｘｘ", "0123456789+-()Xx")
_BETWEEN_DIGITS = re.compile(r"(?<=[0-9])[\s\-+().]+(?=[0-9Xx])")
_NON_DIGITS = re.compile(r"[^0-9Xx]")
_INTERNATIONAL = re.compile(r"(?:\+|00)[0-9]{1,3}(?:[\s-]+|(?=[0-9]))")


def normalised(text: str) -> str:
    """Digits run together: separators between digits dropped, full-width folded, X upper."""
    return _BETWEEN_DIGITS.sub("", text.translate(_FULLWIDTH)).upper()


def digit_forms(value: str) -> list[str]:
    """Digits-only forms of a number-like planted value (at least 7 digits): as written, and
    without its international prefix (``+86 138...`` leaks as ``138...`` too)."""
    folded = value.translate(_FULLWIDTH).strip()
    forms = [folded]
    international = _INTERNATIONAL.match(folded)
    if international:
        forms.append(folded[international.end() :])
    digits = (_NON_DIGITS.sub("", form).upper() for form in forms)
    return [d for d in digits if sum(c.isdigit() for c in d) >= 7]


def leaks(prompts: Sequence[Sequence[BaseMessage]], planted: list[str]) -> list[str]:
    found = []
    for messages in prompts:
        text = prompt_text(messages)
        flat = normalised(text)
        for value in planted:
            if value in text or any(form in flat for form in digit_forms(value)):
                found.append(value)
    return found


def nosy(context: Any, *, echo_real: bool) -> Any:
    """A reply that quotes the prompt's first data block back, so the retry prompt's
    violations are built from text the model saw."""

    def reply(prompt: list[BaseMessage]) -> dict[str, Any]:
        text = str(prompt[1].content)
        block = text.split('">\n', 1)[-1].split("\n</data", 1)[0] if "<data" in text else "x"
        note = template_draft(context).model_dump(mode="json")
        note["summary"] = block[:1900] or "x"
        if not echo_real:
            note["decision_echo"] = "refer" if context.outcome != "refer" else "approve"
        return note

    return reply


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(claims_with_planted_pii())
def test_no_planted_value_reaches_any_prompt(case: tuple[Claim, list[str]]) -> None:
    claim, planted = case
    context = context_for(claim)
    fake = ToolCallingFakeChatModel(
        replies=[nosy(context, echo_real=False), nosy(context, echo_real=True)]
    )
    result = draft_review_note(context, AssistConfig(provider="openai", model="m"), model=fake)
    assert len(fake.prompts) == 2  # the first reply is rejected: the retry prompt is checked too
    assert len(fake.prompts[1]) == 3
    assert leaks(fake.prompts, planted) == []
    payload = str(result.audit_payload())
    assert [v for v in planted if v in payload] == []


def test_the_check_would_see_a_leak() -> None:
    """The normalised comparison is sharp: grouped, prefixed and full-width forms are caught."""
    from langchain_core.messages import HumanMessage

    prompts = [
        [HumanMessage(content="call 138 1234 5678 or ６２２２０２１２３４５６７８９０１２８")]
    ]
    assert leaks(prompts, ["+86 13812345678", "6222-0212-3456-7890-128", "王伟"]) == [
        "+86 13812345678",
        "6222-0212-3456-7890-128",
    ]
    assert leaks([[HumanMessage(content="王伟 11010519491231002x")]], ["11010519491231002X"]) == [
        "11010519491231002X"
    ]
