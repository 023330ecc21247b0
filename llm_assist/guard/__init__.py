"""The grounding guard: a draft is checked against the decision, never trusted.

``check_draft(draft, context)`` returns every violation (``[]``: the draft passes, and
:func:`llm_assist.rendering.render_note` turns it into the adjuster's note). The design is
that a model never states a case fact in its own words: outcomes, amounts, dates, statuses
and counts come only from slots the system renders (:mod:`llm_assist.slots`), each finding
starts from the system's statement of the rule it cites, and reminders are the knowledge
base's text. So the checks ask what the drafter's own words *are*, not whether they are
right, which a paraphrase cannot get around by choosing other numbers or other phrasing of a
contradiction. Deterministic, no model. The codes::

    ECHO-MISMATCH      decision_echo is not the engine's outcome
    SLOT-INVALID       a slot that does not exist or names nothing in this decision
    NUMBER             number-like text in the drafter's words (any script, separator, word)
    OUTCOME-WORDS      words of paying, covering, approving, refusing (zh/en, recall first)
    STATUS-WORDS       a deadline's status in words ("overdue", "超期")
    DISPUTE            words calling a figure or result wrong, or swapping it ("instead of")
    NEGATED-SLOT       negation in a sentence that holds a slot ("not {outcome}")
    INSTRUCTION        instruction-like text, markup, stray braces, invisible characters
    PII                personal data in any disguise (pinyin names, spelled digits, "at"/"dot")
    UNSUPPORTED-TOPIC  a topic (waiting period, exclusion, network...) the system's text for
                       that part does not raise
    CITE-NOT-APPLIED   a finding cites a rule that did not apply (or no rule or clock at all)
    CITE-LINE          a finding's line is not one its rule applied to, or its text names another
    CITE-MISMATCH      a finding's slots speak of another rule or clock than the one it cites
    MISSING-NONE       missing information on a decision that lists nothing missing
    REMINDER-UNKNOWN   a reminder id that is not a selected entry (or is repeated)

Modules: :mod:`.texts` (one text: slots, words, sentences), :mod:`.numbers`,
:mod:`.lexicon`, :mod:`.personal`, :mod:`.topics`, :mod:`.violation`.
"""

from __future__ import annotations

from collections.abc import Iterator

from llm_assist.context import DraftContext
from llm_assist.guard.texts import Scope, check_text
from llm_assist.guard.violation import Violation, quote_id
from llm_assist.note import DraftFinding, NoteDraft
from llm_assist.slots import finding_statement

__all__ = ["CODES", "Violation", "check_draft"]

CODES = (
    "ECHO-MISMATCH",
    "SLOT-INVALID",
    "NUMBER",
    "OUTCOME-WORDS",
    "STATUS-WORDS",
    "DISPUTE",
    "NEGATED-SLOT",
    "INSTRUCTION",
    "PII",
    "UNSUPPORTED-TOPIC",
    "CITE-NOT-APPLIED",
    "CITE-LINE",
    "CITE-MISMATCH",
    "MISSING-NONE",
    "REMINDER-UNKNOWN",
)
_PRESSING = ("breached", "due_soon")


def check_draft(draft: NoteDraft, context: DraftContext) -> list[Violation]:
    """Every violation of ``draft`` against ``context`` (module docstring); ``[]`` passes."""
    out: list[Violation] = []
    if draft.decision_echo != context.outcome:
        out.append(
            Violation(
                "ECHO-MISMATCH",
                "decision_echo",
                f"decision_echo is '{draft.decision_echo}' but the engine's outcome is "
                f"'{context.outcome}': copy the outcome exactly",
            )
        )
    general = _general_support(context)
    out += check_text(draft.summary, "summary", Scope(general, documents=True), context)
    for index, finding in enumerate(draft.findings):
        out += _finding(finding, index, context)
    missing = _missing_support(context)
    for index, text in enumerate(draft.missing_information):
        path = f"missing_information[{index}]"
        if not missing.strip():
            out.append(
                Violation(
                    "MISSING-NONE",
                    path,
                    "the decision lists nothing missing: leave missing_information empty",
                )
            )
        out += check_text(text, path, Scope(missing, documents=True), context)
    for index, text in enumerate(draft.next_steps):
        out += check_text(text, f"next_steps[{index}]", Scope(general), context)
    out += _reminders(draft, context)
    return list(dict.fromkeys(out))


def _finding(finding: DraftFinding, index: int, context: DraftContext) -> Iterator[Violation]:
    path = f"findings[{index}]"
    decision = context.decision
    rule_id, line_id = finding.rule_id, finding.line_id
    statement = finding_statement(rule_id, line_id, decision, context.language)
    if statement is None:
        yield _not_applied(finding, path, context)
        return
    is_line_rule = any(r.rule_id == rule_id and r.line_id is not None for r in decision.reasons)
    scope = Scope(
        f"{rule_id} {statement}",
        documents=True,
        ids=frozenset({rule_id}),
        line_id=line_id,
        line_bound=is_line_rule,
    )
    yield from check_text(finding.text, f"{path}.text", scope, context)


def _not_applied(finding: DraftFinding, path: str, context: DraftContext) -> Violation:
    decision = context.decision
    rule_id = finding.rule_id
    lines = sorted({r.line_id for r in decision.reasons if r.rule_id == rule_id and r.line_id})
    shown = quote_id(rule_id)
    if lines:
        items = ", ".join(str(n) for n in lines)
        return Violation(
            "CITE-LINE",
            f"{path}.line_id",
            f"{shown} applied to item(s) {items} only: set "
            "line_id to the item the finding speaks of",
        )
    if any(r.rule_id == rule_id for r in decision.reasons):
        return Violation(
            "CITE-LINE",
            f"{path}.line_id",
            f"{shown} applied to the whole claim: line_id must be null",
        )
    if any(c.id == rule_id for c in decision.sla):
        return Violation(
            "CITE-LINE",
            f"{path}.line_id",
            f"{shown} is an SLA clock that does not apply here "
            "or takes no line: line_id must be null",
        )
    matched = any(t.rule_id == rule_id for t in decision.trace)
    why = "was evaluated and did not apply" if matched else "is no rule or clock of this decision"
    return Violation(
        "CITE-NOT-APPLIED",
        f"{path}.rule_id",
        f"{shown} {why}: cite only the rules the decision applied (its reasons) and its SLA clocks",
    )


def _general_support(context: DraftContext) -> str:
    """What the summary and next steps may speak of: applied reasons, notices, pressing
    clocks, outstanding documents."""
    decision = context.decision
    texts = [f"{r.rule_id} {r.explanation.zh} {r.explanation.en}" for r in decision.reasons]
    texts += [f"{n.id} {n.zh} {n.en}" for n in decision.notices]
    texts += [
        f"{c.id} {c.explanation.zh} {c.explanation.en}"
        for c in decision.sla
        if c.status in _PRESSING
    ]
    texts += context.outstanding_documents
    return "\n".join(texts)


def _missing_support(context: DraftContext) -> str:
    texts = [
        f"{r.rule_id} {r.explanation.zh} {r.explanation.en}"
        for r in context.decision.reasons
        if r.outcome == "pend"
    ]
    return "\n".join([*texts, *context.outstanding_documents])


def _reminders(draft: NoteDraft, context: DraftContext) -> Iterator[Violation]:
    selected = {entry.id for entry in context.reminders}
    seen: set[str] = set()
    for index, entry_id in enumerate(draft.member_reminders):
        path = f"member_reminders[{index}]"
        shown = quote_id(entry_id)
        if entry_id not in selected:
            yield Violation(
                "REMINDER-UNKNOWN",
                path,
                f"{shown} is not one of the selected member-rights entries: list only their ids",
            )
        elif entry_id in seen:
            yield Violation("REMINDER-UNKNOWN", path, f"{shown} is listed twice")
        seen.add(entry_id)
