"""The deterministic drafter: a review note built from the decision alone (no model).

It is the ``template`` provider and the fallback whenever a model's draft fails the guard,
so it must itself always pass the guard: every sentence is either the engine's own
explanation text (of a reason, a clock or a notice), an amount or date copied from the
decision, or fixed wording chosen by the outcome. Nothing from the claim's free text is used.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal

from engine.decision import Clock, Explanation
from engine.money import format_money
from engine.outcome import Outcome
from llm_assist.context import DraftContext
from llm_assist.note import NoteFinding, NoteReminder, ReviewNote

__all__ = ["template_note"]

# (zh, en) per outcome
_OUTCOME: Mapping[Outcome, tuple[str, str]] = {
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
    parts = [f"核定结果：{head}。" if lang == "zh" else f"Outcome: {head}."]
    payable = _money(decision.amounts.payable, context)
    submitted = _money(decision.amounts.submitted, context)
    parts.append(
        f"应付金额{payable}（申请金额{submitted}）。"
        if lang == "zh"
        else f"Payable {payable} of {submitted} submitted."
    )
    if decision.automated:
        parts.append(_pick(_AUTOMATED, lang))
    return ("" if lang == "zh" else " ").join(parts)


def _findings(context: DraftContext) -> Iterator[NoteFinding]:
    lang = context.language
    for reason in context.decision.reasons:
        if not reason.rule_id:
            continue
        text = _text(reason.explanation, lang) or f"{reason.rule_id} ({reason.code})"
        yield NoteFinding(text=text, rule_ids=[reason.rule_id])
    for clock in context.decision.sla:
        state = _CLOCK_STATE.get(clock.status)
        clock_id = clock.id
        if state is None or not clock_id:
            continue
        due = _due(clock)
        head = _pick(state, lang)
        if due:
            head += f"（{due}）" if lang == "zh" else f" (due {due})"
        body = _text(clock.explanation, lang) or clock_id
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
    for reason in context.decision.reasons:
        if reason.outcome == "pend":
            text = _text(reason.explanation, lang)
            if text:
                yield text


def _next_steps(context: DraftContext) -> Iterator[str]:
    lang = context.language
    decision = context.decision
    outcome = context.outcome
    payable = decision.amounts.payable
    if outcome in ("approve", "partial"):
        amount = _money(payable, context)
        if payable == 0:
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
            dict.fromkeys(r.rule_id for r in decision.reasons if r.outcome == "refer")
        )
        suffix = (f"（{referred}）" if lang == "zh" else f" ({referred})") if referred else ""
        yield (
            f"由理赔人员审核转人工的原因{suffix}并作出决定。"
            if lang == "zh"
            else f"A claims handler reviews the reasons the claim was referred{suffix} "
            "and decides it."
        )
    for status in ("breached", "due_soon"):
        ids = [c.id for c in decision.sla if c.status == status]
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
        refused = [line.line_id for line in decision.lines if line.outcome in ("deny", "partial")]
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
    for clock in decision.sla:
        if clock.id in _WRITTEN_REASONS_CLOCKS:
            text = _text(clock.explanation, lang)
            if text:
                yield text
    for notice in decision.notices:
        text = notice.zh if lang == "zh" else notice.en
        if text:
            yield f"告知会员：{text}" if lang == "zh" else f"Tell the member: {text}"


def _due(clock: Clock) -> str:
    """The due date as the decision writes it (a clock in hours has only ``due_at``)."""
    if clock.due_date is not None:
        return clock.due_date
    return clock.due_at[:10] if clock.due_at is not None else ""


def _money(amount: Decimal, context: DraftContext) -> str:
    return format_money(amount, context.language, context.decision.currency)


def _text(explanation: Explanation, lang: str) -> str:
    return explanation.zh if lang == "zh" else explanation.en
