"""A checked draft becomes the adjuster's note: every slot, statement and reminder filled in
by the system from the (redacted) decision and the rights knowledge base.

Only a draft that passed the guard is rendered (a bad slot raises
:class:`~llm_assist.slots.SlotError`). A finding's text is the system's statement of the
rule (or clock) it cites, then the drafter's comment; the reminders are every selected
entry, word for word, in the knowledge base's order (a drafter may not leave a member's right
out; the ids it lists are checked, not obeyed).
"""

from __future__ import annotations

from llm_assist.context import DraftContext
from llm_assist.note import NoteDraft, NoteFinding, NoteReminder, ReviewNote
from llm_assist.slots import SlotError, finding_statement, render

__all__ = ["render_note"]


def render_note(draft: NoteDraft, context: DraftContext) -> ReviewNote:
    """The note an adjuster reads, from a draft the guard accepted."""
    decision = context.decision
    lang = context.language

    def fill(text: str) -> str:
        return render(text, decision, lang, context.outstanding_documents)

    findings = []
    for finding in draft.findings:
        statement = finding_statement(finding.rule_id, finding.line_id, decision, lang)
        if statement is None:
            raise SlotError(finding.rule_id, "the cited rule did not apply")
        comment = fill(finding.text).strip()
        text = statement if not comment else statement + ("" if lang == "zh" else " ") + comment
        findings.append(NoteFinding(text=text, rule_ids=[finding.rule_id], line_id=finding.line_id))
    return ReviewNote(
        summary=fill(draft.summary),
        findings=findings,
        missing_information=[fill(t) for t in draft.missing_information],
        next_steps=[fill(t) for t in draft.next_steps],
        member_reminders=[NoteReminder(id=e.id, zh=e.zh, en=e.en) for e in context.reminders],
        decision_echo=draft.decision_echo,
    )
