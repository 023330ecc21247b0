"""What the claim page says, in one language, built from the claim's state alone.

:func:`claim_page` turns a :class:`~api.member_pages.state.MemberClaim` into a
:class:`ClaimPage`: the one large sentence (where the claim is, what happens next, with a
date), the timeline in plain words (what happened; the deadlines that matter to a member:
our decision, our written reasons, our payment), the amounts per line in plain words, why,
who decided and the right to ask a person, what is missing, and the rights reminders that
apply. Status words of the engine (``met``, ``breached``...), internal notes and clock
explanations written for staff never reach it; every text from a ruleset or the rights base
goes through :func:`api.member_pages.plain.plain`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from api.member_pages.plain import plain
from api.member_pages.state import MemberClaim
from engine.decision import Clock, Line
from engine.lifecycle.decisions import DETERMINATIONS
from engine.lifecycle.wording import DOCUMENT_WORDS
from engine.money import format_date, format_money
from llm_assist.rights import DecisionFacts, RightsBase

__all__ = ["ClaimPage", "PageTexts", "TimelineItem", "claim_page", "date_words"]

#: The clocks a member is told about, with what we will have done by then.
_MEMBER_CLOCKS: dict[str, tuple[str, str]] = {
    "determination": ("我们告诉您审核结果", "we tell you our decision"),
    "rejection_notice": ("我们书面告诉您不赔的理由", "we tell you in writing why we do not pay"),
    "payment": ("钱打到您的账户", "the money reaches your account"),
    "advance_payment": ("我们先付一部分钱", "we pay you part of the money in advance"),
}
_OPEN = ("running", "due_soon", "paused", "breached")
_UNDECIDED = ("received", "awaiting_documents", "appealed", "awaiting_approval")
#: The statuses in which each clock is still something the member waits for.
_CLOCK_SHOWN: dict[str, tuple[str, ...]] = {
    "determination": _UNDECIDED,
    "rejection_notice": ("decided",),
    "payment": ("awaiting_payment",),
    "advance_payment": ("received", "awaiting_documents"),
}
_CATEGORY: dict[str, tuple[str, str]] = {
    "inpatient": ("住院", "hospital stay"),
    "outpatient": ("门诊", "outpatient visit"),
    "dental": ("看牙", "dental care"),
    "cosmetic": ("美容", "cosmetic treatment"),
    "pharmacy": ("买药", "medicine"),
    "emergency": ("急诊", "emergency care"),
}


@dataclass(frozen=True, slots=True)
class PageTexts:
    """The insurer's own words, from the settings: where to send documents, how to complain."""

    documents_zh: str
    documents_en: str
    complaints_zh: str
    complaints_en: str


@dataclass(frozen=True, slots=True)
class TimelineItem:
    day: str
    text: str
    done: bool


@dataclass(frozen=True, slots=True)
class LineWords:
    title: str
    text: str
    why: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ClaimPage:
    claim_id: str
    lang: str
    headline: str
    status: str
    timeline: tuple[TimelineItem, ...]
    lines: tuple[LineWords, ...]
    reasons: tuple[str, ...]
    decided: bool
    by_person: bool
    who_decided: str
    missing: tuple[str, ...]
    rights: tuple[str, ...]
    total: str = ""
    verifiable: bool = False
    feedback_open: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def date_words(day: dt.date, lang: str) -> str:
    return format_date(day, lang)


class _Say:
    def __init__(self, member: MemberClaim, lang: str) -> None:
        self.m = member
        self.lang = lang
        self.zh = lang == "zh"
        vocabulary = member.state.vocabulary
        self.zone = ZoneInfo(vocabulary.timezone if vocabulary else "Asia/Shanghai")
        self.currency = member.claim.currency

    def pick(self, zh: str, en: str) -> str:
        return plain(zh) if self.zh else en

    def money(self, amount: Decimal | str) -> str:
        return format_money(Decimal(str(amount)), self.lang, self.currency)

    def day(self, when: dt.datetime | dt.date) -> str:
        if isinstance(when, dt.datetime):
            when = when.astimezone(self.zone).date()
        return format_date(when, self.lang)

    def document(self, kind: str) -> str:
        words = DOCUMENT_WORDS.get(kind) or DOCUMENT_WORDS["other"]
        return words["zh" if self.zh else "en"]

    def clock(self, clock_id: str) -> Clock | None:
        return next((c for c in self.m.clocks if c.id == clock_id and c.status in _OPEN), None)

    def due(self, clock_id: str) -> str | None:
        found = self.clock(clock_id)
        if found is None or not found.due_date:
            return None
        return self.day(dt.date.fromisoformat(found.due_date))


def _missing(member: MemberClaim) -> tuple[str, ...]:
    """Outstanding documents: those asked for on the timeline, else those a held decision
    names in its trace as missing."""
    state = member.state
    if state.outstanding_documents:
        return state.outstanding_documents
    decision = member.decision
    if decision is None or decision.outcome != "pend":
        return ()
    found: list[str] = []
    for entry in decision.trace:
        for key, value in entry.facts.items():
            if "missing" in key and isinstance(value, list):
                found.extend(str(v) for v in value if str(v) not in found)
    return tuple(found)


def _headline(say: _Say, missing: tuple[str, ...]) -> str:
    state = say.m.state
    status = state.status
    decision = state.decision
    decided_by = say.due("determination")
    if status == "paid":
        last = max(p.paid_at for p in state.payments)
        return say.pick(
            f"已于{say.day(last)}到账{say.money(state.paid)}。",
            f"Paid: {say.money(state.paid)} reached your account on {say.day(last)}.",
        )
    if status == "awaiting_payment":
        due = say.due("payment")
        when_zh = f"将于{due}前到账" if due else "我们会尽快付款"
        when_en = f"it will reach your account by {due}" if due else "we will pay it soon"
        return say.pick(
            f"已决定赔付{say.money(state.payable)}，{when_zh}。",
            f"We have decided to pay {say.money(state.payable)}; {when_en}.",
        )
    if status == "appealed":
        return say.pick(
            "我们已收到您的申诉，正在重新审核"
            + (f"，会在{decided_by}前答复您。" if decided_by else "。"),
            "We have your appeal and are looking at your claim again"
            + (f"; we will answer by {decided_by}." if decided_by else "."),
        )
    if status == "awaiting_approval":
        return say.pick(
            "理赔人员改了对您申请的决定，现在由第二位审核人员复核，复核后我们马上告诉您。",
            "A claims handler changed the decision on your claim; a second person is checking "
            "it, and we will tell you as soon as they have.",
        )
    if status == "decided" and decision is not None:
        due = say.due("rejection_notice")
        if decision.outcome == "deny":
            return say.pick(
                "很抱歉，这次我们决定不赔。"
                + (f"我们会在{due}前书面告诉您理由。" if due else "理由写在下面。"),
                "We are sorry: we have decided not to pay this claim. "
                + (
                    f"We will explain why in writing by {due}." if due else "The reasons are below."
                ),
            )
        return say.pick(
            "我们已作出决定：这次没有可以赔付的金额，理由写在下面。",
            "We have decided your claim: there is nothing to pay on it; the reasons are below.",
        )
    if missing:
        zh_docs = "、".join(say.document(k) for k in missing)
        en_docs = ", ".join(say.document(k) for k in missing)
        return say.pick(
            f"还差{len(missing)}份材料：{zh_docs}。请尽快寄来，收到后我们继续审核"
            + (f"，并在{decided_by}前告诉您结果。" if decided_by else "。"),
            f"We still need {len(missing)} document(s): {en_docs}. Please send them; once they "
            "arrive we continue"
            + (f" and tell you our decision by {decided_by}." if decided_by else "."),
        )
    if decision is not None and decision.outcome == "refer":
        return say.pick(
            "您的申请已交给一位理赔人员（一个人）仔细审核"
            + (f"，我们会在{decided_by}前告诉您结果。" if decided_by else "。"),
            "A claims handler (a person) is looking at your claim"
            + (f"; we will tell you our decision by {decided_by}." if decided_by else "."),
        )
    return say.pick(
        "我们已收到您的申请，正在审核"
        + (f"，会在{decided_by}前告诉您结果。" if decided_by else "。"),
        "We have your claim and are checking it"
        + (f"; we will tell you our decision by {decided_by}." if decided_by else "."),
    )


def _outcome_words(say: _Say, outcome: str, payable: Decimal) -> str:
    if outcome in ("approve", "partial") and payable > 0:
        part = "部分" if outcome == "partial" else ""
        return say.pick(
            f"我们作出决定：{part}赔付{say.money(payable)}。",
            f"We decided to pay {'part of your claim, ' if part else ''}{say.money(payable)}.",
        )
    if outcome == "deny":
        return say.pick("我们作出决定：这次不赔。", "We decided not to pay.")
    if outcome == "pend":
        return say.pick("我们请您补充材料。", "We asked you for more documents.")
    if outcome == "refer":
        return say.pick(
            "您的申请交给理赔人员（一个人）审核。",
            "Your claim went to a claims handler (a person).",
        )
    return say.pick("我们作出决定：没有可赔付的金额。", "We decided there is nothing to pay.")


def _timeline(say: _Say) -> tuple[TimelineItem, ...]:
    state, claim = say.m.state, say.m.claim
    done: list[tuple[dt.datetime, str]] = []
    received = min((d.received_at for d in claim.documents), default=None)
    if received is not None:
        done.append((received, say.pick("我们收到了您的申请。", "We received your claim.")))
    for doc in claim.documents:
        if received is not None and doc.received_at > received:
            done.append(
                (
                    doc.received_at,
                    say.pick(f"收到材料：{say.document(doc.type)}。", f"We received: "
                             f"{say.document(doc.type)}."),
                )
            )  # fmt: skip
    for record in state.decisions:
        text = _outcome_words(say, record.outcome, record.payable)
        if record.source == "person":
            text = say.pick("理赔人员（一个人）复查后：", "After a review by a person: ") + text
        done.append((record.as_of or record.at, text))
    for payment in state.payments:
        done.append(
            (
                payment.paid_at,
                say.pick(f"{say.money(payment.amount)}已打到您的账户。",
                         f"{say.money(payment.amount)} was paid into your account."),
            )
        )  # fmt: skip
    appeals = [h.at for h in state.history if h.kind == "appeal_received"]
    if state.appealed and appeals:
        done.append((appeals[-1], say.pick("我们收到了您的申诉。", "We received your appeal.")))
    items = [TimelineItem(say.day(at), text, True) for at, text in sorted(done, key=lambda p: p[0])]
    for clock_id, (zh, en) in _MEMBER_CLOCKS.items():
        if state.status not in _CLOCK_SHOWN[clock_id]:
            continue  # the state says it is done: a clock the timeline never stopped is moot
        clock = say.clock(clock_id)
        if clock is None or not clock.due_date:
            continue
        day = say.day(dt.date.fromisoformat(clock.due_date))
        late = clock.status == "breached"
        items.append(
            TimelineItem(
                day,
                say.pick(
                    f"最晚这一天{zh}"
                    + ("（已经晚了，我们正在加紧办理；您可以投诉）。" if late else "。"),
                    f"By this day at the latest {en}"
                    + (" (we are late and hurrying; you may complain)." if late else "."),
                ),
                False,
            )
        )
    return tuple(items)


def _lines(say: _Say) -> tuple[LineWords, ...]:
    decision = say.m.decision
    if decision is None:
        return ()
    items = {item.line_id: item for item in say.m.claim.items}
    why: dict[int, list[str]] = {}
    for reason in decision.reasons:
        if reason.line_id is not None:
            why.setdefault(reason.line_id, []).append(
                say.pick(reason.explanation.zh, reason.explanation.en)
            )
    out: list[LineWords] = []
    for line in decision.lines:
        item = items.get(line.line_id)
        category = (
            _CATEGORY.get(item.category, (item.category, item.category)) if item else ("", "")
        )
        when = say.day(item.service_date) if item else ""
        title = say.pick(
            f"第{line.line_id}笔：{category[0]}（{when}）",
            f"Item {line.line_id}: {category[1]} ({when})",
        )
        covered = (item.social_insurance_paid + item.other_insurance_paid) if item else Decimal(0)
        text = _line_text(say, line, covered, held=decision.outcome not in DETERMINATIONS)
        out.append(LineWords(title, text, tuple(why.get(line.line_id, ()))))
    return tuple(out)


def _line_text(say: _Say, line: Line, covered: Decimal, *, held: bool) -> str:
    m = say.money
    if held:
        return say.pick(
            f"您花了{m(line.submitted)}；赔多少还没有决定。",
            f"You spent {m(line.submitted)}; how much we pay is not decided yet.",
        )
    if say.zh:
        parts = [f"您花了{m(line.submitted)}"]
        if covered > 0:
            parts.append(f"，医保等已经付了{m(covered)}")
        parts.append(f"；其中我们可以考虑的部分是{m(line.eligible)}")
        if line.deductible > 0:
            parts.append(f"，里面{m(line.deductible)}算作免赔额")
        if line.copay > 0:
            parts.append(f"，{m(line.copay)}按自付比例由您自己承担")
        parts.append(f"；我们赔付{m(line.payable)}。")
        return plain("".join(parts))
    parts = [f"You spent {m(line.submitted)}"]
    if covered > 0:
        parts.append(f"; public insurance and others already paid {m(covered)}")
    parts.append(f"; of it we could consider {m(line.eligible)}")
    if line.deductible > 0:
        parts.append(f", of which {m(line.deductible)} counts as your deductible")
    if line.copay > 0:
        parts.append(f" and {m(line.copay)} is your share")
    parts.append(f"; we pay {m(line.payable)}.")
    return "".join(parts)


def claim_page(member: MemberClaim, lang: str, rights: RightsBase, texts: PageTexts) -> ClaimPage:
    """The claim page's words in ``lang`` (module docstring)."""
    say = _Say(member, lang)
    state, decision = member.state, member.decision
    missing = _missing(member)
    current = state.decision
    by_person = current is not None and current.source == "person"
    who = (
        say.pick(
            "这个决定是理赔人员（一个人）看过您的申请后作出的。",
            "A claims handler (a person) made this decision after looking at your claim.",
        )
        if by_person
        else say.pick(
            "这个决定是电脑按照保险合同的规则自动作出的。您有权要求由一个人重新看一遍（人工复查），"
            "不用说明理由。",
            "Our computer made this decision by the rules of your policy. You have the right to "
            "ask for a person to look at it again (review by a person), without giving a reason.",
        )
    )
    reasons = tuple(
        say.pick(r.explanation.zh, r.explanation.en)
        for r in (decision.reasons if decision is not None else ())
        if r.line_id is None
    )
    facts = DecisionFacts(ruleset=state.vocabulary.ruleset if state.vocabulary else None)
    if decision is not None and current is not None:
        facts = dataclasses.replace(
            DecisionFacts.of(decision), outcome=current.outcome, automated=not by_person
        )
    chosen = rights.select(facts, decided_by="person" if by_person else "rules")
    determined = current is not None and current.outcome in DETERMINATIONS
    total = say.money(current.payable) if determined and current is not None else ""
    return ClaimPage(
        claim_id=member.claim.claim_id,
        lang=lang,
        headline=_headline(say, missing),
        status=state.status,
        timeline=_timeline(say),
        lines=_lines(say),
        reasons=reasons,
        decided=current is not None,
        by_person=by_person,
        who_decided=who if current is not None else "",
        missing=tuple(say.document(k) for k in missing),
        rights=tuple(say.pick(e.zh, e.en) for e in chosen),
        total=total,
        verifiable=member.decision_event is not None,
        feedback_open=current is not None,
        extra={
            "documents": texts.documents_zh if say.zh else texts.documents_en,
            "complaints": texts.complaints_zh if say.zh else texts.complaints_en,
        },
    )
