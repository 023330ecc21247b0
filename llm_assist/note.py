"""The review note: the one structured shape every drafter must produce.

A model gets this schema (``with_structured_output`` where the provider supports it, a strict
JSON parser otherwise); the template drafter builds it directly. Unknown fields are errors.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from engine.outcome import Outcome

__all__ = ["NoteFinding", "NoteReminder", "ReviewNote"]

_STRICT = ConfigDict(extra="forbid", frozen=True)


class NoteFinding(BaseModel):
    """One finding for the adjuster, citing the rules (or SLA nodes) it rests on."""

    model_config = _STRICT

    text: str = Field(min_length=1, max_length=2000)
    rule_ids: list[str] = Field(description="ids of rules or SLA nodes in the decision trace")


class NoteReminder(BaseModel):
    """A member-rights reminder from the knowledge base, possibly rephrased."""

    model_config = _STRICT

    id: str = Field(description="the knowledge-base entry id")
    zh: str = Field(min_length=1, max_length=1000)
    en: str = Field(min_length=1, max_length=1000)


class ReviewNote(BaseModel):
    """A draft review note for an adjuster. It echoes the decision; it never makes one."""

    model_config = _STRICT

    summary: str = Field(min_length=1, max_length=2000)
    findings: list[NoteFinding]
    missing_information: list[str]
    next_steps: list[str]
    member_reminders: list[NoteReminder]
    decision_echo: Outcome = Field(description="the engine's outcome, copied exactly")
