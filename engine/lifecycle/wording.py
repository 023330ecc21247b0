"""What a member is told about their claim's status, in Chinese and English, from the state.

One function, so no view (member page, notes, e-mails) words a status its own way. The
sentence follows the state, never ahead of it: "paid / 已获赔付" only once a payment exists,
with its date and amount; before that "approved, payment due by ..." (the due date of the
claim's payment clock, when the caller passes its clocks); awaiting documents lists them.
Amounts use the claim's currency; dates are shown in the ruleset's time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from engine.lifecycle.decisions import ClockSummary
from engine.lifecycle.state import ClaimState, Status
from engine.money import format_date, format_money

__all__ = ["DOCUMENT_WORDS", "StatusSentence", "status_sentence"]

#: Words for the engine's document types; a ruleset's ``labels`` may word them otherwise.
DOCUMENT_WORDS: dict[str, dict[str, str]] = {
    "claim_form": {"zh": "理赔申请书", "en": "claim form"},
    "id_copy": {"zh": "身份证复印件", "en": "copy of your ID card"},
    "invoice": {"zh": "医疗费用发票", "en": "medical invoice"},
    "itemized_bill": {"zh": "费用明细清单", "en": "itemized bill"},
    "discharge_summary": {"zh": "出院小结", "en": "hospital discharge summary"},
    "medical_record": {"zh": "病历", "en": "medical record"},
    "diagnosis_certificate": {"zh": "诊断证明", "en": "diagnosis certificate"},
    "bank_account": {"zh": "银行账户信息", "en": "bank account details"},
    "police_report": {"zh": "报案证明", "en": "police report"},
    "other": {"zh": "其他材料", "en": "other documents"},
}
_WAITING = ("running", "due_soon", "paused", "breached")


class StatusSentence(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    status: Status
    zh: str
    en: str


def status_sentence(
    state: ClaimState,
    *,
    clocks: Sequence[ClockSummary] = (),
    labels: Mapping[str, Mapping[str, str]] | None = None,
) -> StatusSentence:
    """The member's status sentence for ``state``; ``clocks`` are the claim's current SLA
    clocks (:func:`engine.lifecycle.decisions.summarize_clocks`), ``labels`` the ruleset's."""
    words = _Words(state, labels or {})
    zh, en = words.sentence(state.status, _payment_due(state, clocks))
    return StatusSentence(status=state.status, zh=zh, en=en)


def _payment_due(state: ClaimState, clocks: Sequence[ClockSummary]) -> dt.date | None:
    clock_id = state.vocabulary.payment_clock if state.vocabulary else None
    for clock in clocks:
        if clock.id == clock_id and clock.status in _WAITING:
            return clock.due_date or (clock.due_at.date() if clock.due_at else None)
    return None


class _Words:
    def __init__(self, state: ClaimState, labels: Mapping[str, Mapping[str, str]]) -> None:
        self.state = state
        self.labels = labels
        self.currency = state.claim.currency if state.claim else "CNY"
        zone = state.vocabulary.timezone if state.vocabulary else "UTC"
        self.zone = ZoneInfo(zone)

    def money(self, amount: Decimal) -> tuple[str, str]:
        return format_money(amount, "zh", self.currency), format_money(amount, "en", self.currency)

    def date(self, day: dt.date) -> tuple[str, str]:
        return format_date(day, "zh"), format_date(day, "en")

    def documents(self) -> tuple[str, str]:
        def word(kind: str, lang: str) -> str:
            found = self.labels.get(kind) or DOCUMENT_WORDS.get(kind) or {}
            return found.get(lang, kind)

        kinds = self.state.outstanding_documents
        return "、".join(word(k, "zh") for k in kinds), ", ".join(word(k, "en") for k in kinds)

    def sentence(self, status: Status, due: dt.date | None) -> tuple[str, str]:
        state = self.state
        if status == "paid":
            last = max(p.paid_at for p in state.payments).astimezone(self.zone).date()
            (zh_amount, en_amount), (zh_day, en_day) = self.money(state.paid), self.date(last)
            return (
                f"已获赔付：我们已支付{zh_amount}（最近一笔于{zh_day}）。",
                f"Paid: we have paid {en_amount} (last payment on {en_day}).",
            )
        if status == "awaiting_documents":
            zh_docs, en_docs = self.documents()
            return (
                f"我们正在等待您补充以下材料：{zh_docs}。收到后我们会继续处理。",
                f"We are waiting for these documents from you: {en_docs}. We will continue as "
                "soon as they arrive.",
            )
        if status in ("awaiting_payment", "decided"):
            decision = state.decision
            assert decision is not None  # status_of: both need a determination
            if status == "awaiting_payment":
                return self._approved(decision.outcome, due)
            if decision.outcome == "deny":
                return (
                    "经核定，您的理赔申请不予赔付，我们会书面说明理由。",
                    "We have decided not to pay your claim; we will explain why in writing.",
                )
            return (
                "经核定，本次理赔没有应付金额。",
                "We have decided your claim: there is nothing to pay on it.",
            )
        return _FIXED[status]

    def _approved(self, outcome: str, due: dt.date | None) -> tuple[str, str]:
        state = self.state
        zh_amount, en_amount = self.money(state.payable)
        what_zh = "部分赔付" if outcome == "partial" else "赔付"
        what_en = "partly approved" if outcome == "partial" else "approved"
        zh = f"您的理赔申请已核定{what_zh}，应付{zh_amount}"
        en = f"Your claim is {what_en}: {en_amount} is payable"
        if state.paid > 0:
            (zh_paid, en_paid), (zh_left, en_left) = (
                self.money(state.paid),
                self.money(state.outstanding_payment),
            )
            zh += f"，已先行支付{zh_paid}，尚余{zh_left}"
            en += f"; {en_paid} is paid and {en_left} is still to pay"
        if due is not None:
            zh_day, en_day = self.date(due)
            return f"{zh}，我们将于{zh_day}前付款。", f"{en}, due by {en_day}."
        return f"{zh}，我们会尽快付款。", f"{en}; we will pay it soon."


_FIXED: dict[Status, tuple[str, str]] = {
    "received": (
        "我们已收到您的理赔申请，正在审核。",
        "We have received your claim and are reviewing it.",
    ),
    "awaiting_approval": (
        "您的理赔申请正在由第二位审核人员复核。",
        "A second reviewer is checking the decision on your claim.",
    ),
    "appealed": (
        "我们已收到您的申诉，正在重新审核您的理赔申请。",
        "We have received your appeal and are reviewing your claim again.",
    ),
    "closed": ("您的理赔申请已结案。", "Your claim is closed."),
}
