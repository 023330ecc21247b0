"""The deterministic drafter: a review note built from the decision alone (no model).

It is the ``template`` provider and the fallback whenever a model's draft fails the guard,
so it must itself always pass the guard: every sentence is either the engine's own
explanation text (of a reason, a clock or a notice), an amount or date copied from the
decision, or fixed wording chosen by the outcome. Nothing from the claim's free text is used.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.money import format_money
from llm_assist.context import DraftContext
from llm_assist.note import NoteFinding, NoteReminder, ReviewNote

__all__ = ["template_note"]

# (zh, en) per outcome
_OUTCOME = {
    "approve": ("予以赔付", "approved"),
    "partial": ("部分赔付", "partially approved"),
    "deny": ("不予赔付", "denied"),
    "pend": ("暂缓核定，待补充信息", "on hold pending information"),
    "refer": ("转人工审核", "referred to a claims handler for review"),
}
_AUTOMATED = ("结果由规则自动作出。", "Decided automatically by the rules.")
_CLOCK_STATE = {
    "breached": ("时限已超期", "Deadline breached"),
    "due_soon": ("时限即将到期", "Deadline due soon"),
}
# Clocks whose explanation is the member's right to written reasons for a refusal.
_WRITTEN_REASONS_CLOCKS = ("rejection_notice",)


def template_note(context: DraftContext) -> ReviewNote:
    """The template's note for ``context`` (module docstring); same context, same note."""
    return ReviewNote(
        summary=_summary(context),
        findings=list(_findings(context)),
        missing_information=list(_missing(context)),
        next_steps=list(_next_steps(context)),
        member_reminders=[NoteReminder(id=e.id, zh=e.zh, en=e.en) for e in context.reminders],
        decision_echo=context.outcome,
    )


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def _summary(context: DraftContext) -> str:
    lang = context.language
    decision = context.decision
    head = _pick(_OUTCOME[context.outcome], lang)
    amounts = decision.get("amounts")
    parts = [f"核定结果：{head}。" if lang == "zh" else f"Outcome: {head}."]
    if isinstance(amounts, Mapping) and "payable" in amounts and "submitted" in amounts:
        payable = _money(amounts["payable"], context)
        submitted = _money(amounts["submitted"], context)
        parts.append(
            f"应付金额{payable}（申请金额{submitted}）。"
            if lang == "zh"
            else f"Payable {payable} of {submitted} submitted."
        )
    if decision.get("automated") is True:
        parts.append(_pick(_AUTOMATED, lang))
    return ("" if lang == "zh" else " ").join(parts)


def _findings(context: DraftContext) -> Iterator[NoteFinding]:
    lang = context.language
    for reason in _mappings(context.decision.get("reasons")):
        rule_id = str(reason.get("rule_id") or "")
        if not rule_id:
            continue
        text = _text(reason.get("explanation"), lang) or f"{rule_id} ({reason.get('code')})"
        yield NoteFinding(text=text, rule_ids=[rule_id])
    for clock in _mappings(context.decision.get("sla")):
        state = _CLOCK_STATE.get(str(clock.get("status")))
        clock_id = str(clock.get("id") or "")
        if state is None or not clock_id:
            continue
        due = _due(clock)
        head = _pick(state, lang)
        if due:
            head += f"（{due}）" if lang == "zh" else f" (due {due})"
        body = _text(clock.get("explanation"), lang) or clock_id
        yield NoteFinding(text=f"{head}：{body}" if lang == "zh" else f"{head}: {body}",
                          rule_ids=[clock_id])  # fmt: skip


def _missing(context: DraftContext) -> Iterator[str]:
    lang = context.language
    if context.outstanding_documents:
        names = ", ".join(context.outstanding_documents)
        yield (
            f"已要求补充但尚未收到的材料：{names}"
            if lang == "zh"
            else f"Documents requested and not yet received: {names}"
        )
    for reason in _mappings(context.decision.get("reasons")):
        if reason.get("outcome") == "pend":
            text = _text(reason.get("explanation"), lang)
            if text:
                yield text


def _next_steps(context: DraftContext) -> Iterator[str]:
    lang = context.language
    decision = context.decision
    outcome = context.outcome
    amounts = decision.get("amounts")
    payable = amounts.get("payable") if isinstance(amounts, Mapping) else None
    if outcome in ("approve", "partial") and payable is not None:
        amount = _money(payable, context)
        if _decimal(payable) == 0:
            yield (
                f"应付金额为{amount}，无需付款。"
                if lang == "zh"
                else f"The payable amount is {amount}; there is nothing to pay."
            )
        else:
            yield (
                f"按核定金额向会员支付{amount}。"
                if lang == "zh"
                else f"Pay the member the payable amount of {amount}."
            )
    if outcome in ("partial", "deny"):
        yield from _written_reasons(context)
    if outcome == "pend":
        yield (
            "待补充上述信息后重新评估本案。"
            if lang == "zh"
            else "Re-evaluate the claim once the information listed above is received."
        )
    if outcome == "refer":
        referred = ", ".join(
            dict.fromkeys(
                str(r.get("rule_id"))
                for r in _mappings(decision.get("reasons"))
                if r.get("outcome") == "refer"
            )
        )
        suffix = (f"（{referred}）" if lang == "zh" else f" ({referred})") if referred else ""
        yield (
            f"由理赔人员审核转人工的原因{suffix}并作出决定。"
            if lang == "zh"
            else f"A claims handler reviews the reasons the claim was referred{suffix} "
            "and decides it."
        )
    for status in ("breached", "due_soon"):
        ids = [
            str(c.get("id")) for c in _mappings(decision.get("sla")) if c.get("status") == status
        ]
        if ids:
            names = ", ".join(ids)
            if status == "breached":
                yield (
                    f"已超期的时限需升级处理：{names}。"
                    if lang == "zh"
                    else f"Escalate the breached deadlines: {names}."
                )
            else:
                yield (
                    f"优先处理即将到期的时限：{names}。"
                    if lang == "zh"
                    else f"Act first on the deadlines due soon: {names}."
                )


def _written_reasons(context: DraftContext) -> Iterator[str]:
    """Refused lines (or the whole claim) get written reasons; the member hears the notices."""
    lang = context.language
    decision = context.decision
    if context.outcome == "partial":
        refused = [
            line.get("line_id")
            for line in _mappings(decision.get("lines"))
            if line.get("outcome") in ("deny", "partial")
        ]
        if lang == "zh":
            what = "、".join(f"第{n}项" for n in refused) or "未赔付部分"
            yield f"书面告知会员{what}未获全额赔付的理由及依据。"
        else:
            what = ", ".join(f"item {n}" for n in refused) or "the unpaid part"
            yield (
                f"Explain in writing to the member why {what} is not paid in full, and on what "
                "basis."
            )
    else:
        yield (
            "书面告知会员不予赔付的理由及依据。"
            if lang == "zh"
            else "Explain in writing to the member why the claim is denied, and on what basis."
        )
    for clock in _mappings(decision.get("sla")):
        if clock.get("id") in _WRITTEN_REASONS_CLOCKS:
            text = _text(clock.get("explanation"), lang)
            if text:
                yield text
    for notice in _mappings(decision.get("notices")):
        text = str(notice.get(lang) or "")
        if text:
            yield f"告知会员：{text}" if lang == "zh" else f"Tell the member: {text}"


def _due(clock: Mapping[str, Any]) -> str:
    """The due date as the decision writes it (a clock in hours has only ``due_at``)."""
    if isinstance(clock.get("due_date"), str):
        return str(clock["due_date"])
    due_at = clock.get("due_at")
    return due_at[:10] if isinstance(due_at, str) else ""


def _money(value: Any, context: DraftContext) -> str:
    amount = _decimal(value)
    currency = str(context.decision.get("currency") or "CNY")
    if amount is None:
        return str(value)
    return format_money(amount, context.language, currency)


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _text(value: Any, lang: str) -> str:
    return str(value.get(lang) or "") if isinstance(value, Mapping) else ""


def _mappings(value: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, list | tuple):
        yield from (item for item in value if isinstance(item, Mapping))
