"""The deterministic drafter: a review-note draft built from the decision alone (no model).

It is the ``template`` provider and the fallback whenever a model's draft fails the guard, so
it must itself always pass the guard. It writes through the same slots a model is given
(:mod:`llm_assist.slots`): every outcome, amount, status and date is a slot, every finding
cites an applied rule (or a pressing clock) and adds nothing to its statement, and its own
words are a few fixed labels. Nothing from the claim's free text is used.
"""

from __future__ import annotations

from collections.abc import Iterator

from llm_assist.context import DraftContext
from llm_assist.note import DraftFinding, NoteDraft, ReviewNote
from llm_assist.rendering import render_note

__all__ = ["template_draft", "template_note"]

# Clocks whose explanation is the member's right to written reasons for a refusal.
_WRITTEN_REASONS_CLOCKS = ("rejection_notice",)
_PRESSING = {"breached": ("升级处理", "Escalate"), "due_soon": ("优先处理", "Act on this first")}


def template_draft(context: DraftContext) -> NoteDraft:
    """The template's draft for ``context`` (module docstring); same context, same draft."""
    zh = context.language == "zh"
    summary = (
        "{outcome}金额：{payable}；{submitted}。{decided_by}"
        if zh
        else "{outcome} Amounts: {payable}; {submitted}. {decided_by}"
    )
    return NoteDraft(
        summary=summary,
        findings=list(_findings(context)),
        missing_information=list(_missing(context)),
        next_steps=list(_next_steps(context)),
        member_reminders=[entry.id for entry in context.reminders],
        decision_echo=context.outcome,
    )


def template_note(context: DraftContext) -> ReviewNote:
    """The template's draft, rendered: what the adjuster reads on a fallback."""
    return render_note(template_draft(context), context)


def _findings(context: DraftContext) -> Iterator[DraftFinding]:
    cited = dict.fromkeys((r.rule_id, r.line_id) for r in context.decision.reasons if r.rule_id)
    for rule_id, line_id in cited:
        yield DraftFinding(rule_id=rule_id, line_id=line_id, text="")
    for clock in context.decision.sla:
        if clock.status in _PRESSING and clock.id:
            yield DraftFinding(rule_id=clock.id, line_id=None, text="")


def _missing(context: DraftContext) -> Iterator[str]:
    if context.outstanding_documents:
        yield (
            "待收材料：{outstanding}"
            if context.language == "zh"
            else "Documents still awaited: {outstanding}"
        )
    pending = (r.rule_id for r in context.decision.reasons if r.outcome == "pend" and r.rule_id)
    for rule_id in dict.fromkeys(pending):
        yield f"{{reason:{rule_id}}}"


def _next_steps(context: DraftContext) -> Iterator[str]:
    zh = context.language == "zh"
    decision = context.decision
    yield "{action}"
    if context.outcome in ("partial", "deny"):
        for clock in decision.sla:
            if clock.id in _WRITTEN_REASONS_CLOCKS and (
                clock.explanation.zh or clock.explanation.en
            ):
                yield f"{{clock:{clock.id}}}"
        for notice in decision.notices:
            yield (
                f"告知会员：{{notice:{notice.id}}}"
                if zh
                else f"Tell the member: {{notice:{notice.id}}}"
            )
    for clock in decision.sla:
        label = _PRESSING.get(clock.status)
        if label is None or not clock.id:
            continue
        has_due = clock.due_date is not None or clock.due_at is not None
        due = ("，" if zh else ", ") + f"{{due_date:{clock.id}}}" if has_due else ""
        head, sep, end = (label[0], "：", "。") if zh else (label[1], ": ", ".")
        yield f"{head}{sep}{{status:{clock.id}}}{due}{end}"
