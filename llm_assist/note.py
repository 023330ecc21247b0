"""The review note in its two shapes: the draft a drafter writes, and the note an adjuster reads.

Why two: a model never states a case fact in its own words. It writes a :class:`NoteDraft`
whose texts hold typed slots (``{payable}``, ``{line:2.payable}``, ``{due_date:determination}``,
``{outcome}``; :mod:`llm_assist.slots`) and whose findings name one applied rule each; the
system checks it (:mod:`llm_assist.guard`) and renders it into the :class:`ReviewNote`, filling
every slot, every finding's statement and every reminder from the decision and the rights
knowledge base. The template drafter writes a draft too, through the same slots.

A model gets the draft's schema (``with_structured_output(NoteDraft)`` where the provider
supports it, a strict JSON parser otherwise). Unknown fields are errors in both shapes.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from engine.outcome import Outcome

__all__ = ["DraftFinding", "NoteDraft", "NoteFinding", "NoteReminder", "ReviewNote"]

_STRICT = ConfigDict(extra="forbid", frozen=True)

_SLOTS = (
    "Write no outcome, amount, date, duration, count, number or personal data in your own "
    "words, and no word of paying, covering, approving or refusing: put slots instead, "
    "which the system fills from the decision: {outcome}, {decided_by}, {action}, "
    "{submitted}, {eligible}, {deductible}, {copay}, {payable}, {line:N}, {line:N.outcome}, "
    "{line:N.payable} (also .submitted .eligible .deductible .copay), {due_date:CLOCK}, "
    "{status:CLOCK}, {clock:CLOCK}, {reason:RULE}, {notice:ID}, {outstanding}."
)


# --- what a drafter writes ---------------------------------------------------------------------


class DraftFinding(BaseModel):
    """One finding of a draft: the rule (or SLA clock) it rests on and the drafter's comment."""

    model_config = _STRICT

    rule_id: str = Field(
        max_length=200,
        description="an applied rule of the decision (one of its reasons) or an SLA clock id",
    )
    line_id: int | None = Field(
        description="the item the finding speaks of: for a line rule, an item the rule "
        "applied to; null for a claim rule or a clock",
    )
    text: str = Field(
        max_length=2000,
        description="a comment on the rule's statement, which the system puts before it "
        "(may be empty). " + _SLOTS,
    )


class NoteDraft(BaseModel):
    """A review-note draft with slots; the system checks it and renders the ReviewNote."""

    model_config = _STRICT

    summary: str = Field(min_length=1, max_length=2000, description="the summary. " + _SLOTS)
    findings: list[DraftFinding] = Field(description="one finding per applied rule or clock")
    missing_information: list[str] = Field(description="what is missing (may be empty). " + _SLOTS)
    next_steps: list[str] = Field(description="what the adjuster does next. " + _SLOTS)
    member_reminders: list[str] = Field(
        description="ids of the selected member-rights entries; their text is added as is"
    )
    decision_echo: Outcome = Field(description="the engine's outcome, copied exactly")


# --- what an adjuster reads --------------------------------------------------------------------


class NoteFinding(BaseModel):
    """One finding for the adjuster: the rule's own statement, then the drafter's comment."""

    model_config = _STRICT

    text: str = Field(min_length=1, max_length=8000, description="the finding, rendered")
    rule_ids: list[str] = Field(description="ids of rules or SLA nodes in the decision trace")
    line_id: int | None = Field(
        default=None, description="the item the finding speaks of (line rules only)"
    )


class NoteReminder(BaseModel):
    """A member-rights reminder from the knowledge base, word for word."""

    model_config = _STRICT

    id: str = Field(description="the knowledge-base entry id")
    zh: str = Field(min_length=1, max_length=1000, description="the entry's Chinese text")
    en: str = Field(min_length=1, max_length=1000, description="the entry's English text")


class ReviewNote(BaseModel):
    """A review note for an adjuster, rendered from a checked draft. It echoes the decision;
    it never makes one."""

    model_config = _STRICT

    summary: str = Field(min_length=1, max_length=8000, description="outcome, amounts, reasons")
    findings: list[NoteFinding] = Field(description="one per applied rule or SLA clock cited")
    missing_information: list[str] = Field(description="what the decision says is missing")
    next_steps: list[str] = Field(description="what the adjuster does next")
    member_reminders: list[NoteReminder] = Field(description="the selected member-rights entries")
    decision_echo: Outcome = Field(description="the engine's outcome, copied exactly")
