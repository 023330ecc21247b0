"""The system's wording of slots and statements, in Chinese and English, from a decision."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal

from engine.decision import Clock, Decision, Explanation, Line
from engine.money import format_date, format_money
from engine.outcome import Outcome

__all__ = [
    "AMOUNT_NAMES",
    "OUTCOME_WORDS",
    "STATUS_WORDS",
    "actions",
    "amount_phrase",
    "due_day",
    "finding_statement",
    "line_amount",
    "pick",
    "text_of",
]

# (zh, en) per outcome
OUTCOME_WORDS: Mapping[Outcome, tuple[str, str]] = {
    "approve": ("予以赔付", "approved"),
    "partial": ("部分赔付", "partially approved"),
    "deny": ("不予赔付", "denied"),
    "pend": ("暂缓核定，待补充信息", "on hold pending information"),
    "refer": ("转人工审核", "referred to a claims handler for review"),
}
AMOUNT_NAMES = {
    "submitted": ("申请金额", "submitted"),
    "eligible": ("合理金额", "eligible"),
    "deductible": ("免赔额", "deductible"),
    "copay": ("自付金额", "member share"),
    "payable": ("应付金额", "payable"),
}
STATUS_WORDS = {
    "not_applicable": ("不适用", "not applicable"),
    "not_started": ("尚未开始", "not started"),
    "running": ("进行中", "running"),
    "paused": ("已暂停", "paused"),
    "due_soon": ("即将到期", "due soon"),
    "met": ("已按时完成", "met"),
    "breached": ("已超期", "breached"),
}


def finding_statement(
    rule_id: str, line_id: int | None, decision: Decision, language: str
) -> str | None:
    """The system's statement a finding starts from, or None when ``rule_id`` (on ``line_id``)
    did not apply: a reason's explanation, or a clock's status, due date and explanation."""
    zh = language == "zh"
    texts = [
        text_of(r.explanation, zh) or f"{r.rule_id} ({r.code})"
        for r in decision.reasons
        if r.rule_id == rule_id and r.line_id == line_id
    ]
    if texts:
        return ("" if zh else " ").join(texts)
    clock = next((c for c in decision.sla if c.id == rule_id), None)
    if clock is None or line_id is not None or clock.status == "not_applicable":
        return None
    status = pick(STATUS_WORDS.get(clock.status, (clock.status, clock.status)), zh)
    due = due_day(clock)
    when = (
        ""
        if due is None
        else (f"，截止{format_date(due, 'zh')}" if zh else f", due {format_date(due, 'en')}")
    )
    body = text_of(clock.explanation, zh) or clock.id
    return (
        f"{clock.id}时限（{status}{when}）：{body}"
        if zh
        else f"{clock.id} deadline ({status}{when}): {body}"
    )


def actions(decision: Decision, zh: bool) -> Iterator[str]:
    outcome = decision.outcome
    payable = decision.amounts.payable
    if outcome in ("approve", "partial"):
        amount = format_money(payable, "zh" if zh else "en", decision.currency)
        if payable == 0:
            yield (
                f"应付金额为{amount}，无需付款。"
                if zh
                else f"The payable amount is {amount}; there is nothing to pay."
            )
        else:
            yield (
                f"按核定金额向会员支付{amount}。"
                if zh
                else f"Pay the member the payable amount of {amount}."
            )
    if outcome == "partial":
        refused = [line.line_id for line in decision.lines if line.outcome in ("deny", "partial")]
        if zh:
            what = "、".join(f"第{n}项" for n in refused) or "未赔付部分"
            yield f"书面告知会员{what}未获全额赔付的理由及依据。"
        else:
            what = ", ".join(f"item {n}" for n in refused) or "the unpaid part"
            yield (
                f"Explain in writing to the member why {what} is not paid in full, "
                "and on what basis."
            )
    if outcome == "deny":
        yield (
            "书面告知会员不予赔付的理由及依据。"
            if zh
            else "Explain in writing to the member why the claim is denied, and on what basis."
        )
    if outcome == "pend":
        yield (
            "待补充所需信息后重新评估本案。"
            if zh
            else "Re-evaluate the claim once the information it needs is received."
        )
    if outcome == "refer":
        ids = ", ".join(dict.fromkeys(r.rule_id for r in decision.reasons if r.outcome == "refer"))
        suffix = (f"（{ids}）" if zh else f" ({ids})") if ids else ""
        yield (
            f"由理赔人员审核转人工的原因{suffix}并作出决定。"
            if zh
            else f"A claims handler reviews the reasons the claim was referred{suffix} and "
            "decides it."
        )


def amount_phrase(field: str, value: Decimal, currency: str, zh: bool) -> str:
    name = pick(AMOUNT_NAMES[field], zh)
    money = format_money(value, "zh" if zh else "en", currency)
    return f"{name}{money}" if zh else f"{name} {money}"


def line_amount(line: Line, field: str) -> Decimal:
    value = getattr(line, field)
    assert isinstance(value, Decimal)
    return value


def due_day(clock: Clock) -> date | None:
    text = clock.due_date or (clock.due_at[:10] if clock.due_at else None)
    return date.fromisoformat(text) if text else None


def pick(pair: tuple[str, str], zh: bool) -> str:
    return pair[0] if zh else pair[1]


def text_of(explanation: Explanation, zh: bool) -> str:
    return explanation.zh if zh else explanation.en
