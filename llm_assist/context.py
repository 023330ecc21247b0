"""DraftContext: everything a drafter may see about one claim, already redacted.

Why one object: the prompt, the template drafter and the grounding guard must all rest on
exactly the same facts. The decision and the claim's free text are redacted here, once, with
the claim's own :class:`~llm_assist.redaction.Redactor`, and the same redactor travels with
the context so the guard recognises the claim's personal data (and its placeholders) in a
draft. Nothing else of the claim is kept: a drafter that never sees the member's name cannot
leak it.

The redacted decision is a :class:`~engine.decision.Decision` again: every string of its JSON
form redacted (recall first: amounts, dates and hashes are protected shapes and survive),
then read back into the model, so everything downstream reads typed fields.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from engine.claim import Claim
from engine.decision import Decision
from engine.outcome import Outcome
from llm_assist.redaction import Redactor
from llm_assist.rights import RightsBase, RightsEntry

__all__ = ["LANGUAGES", "DraftContext", "FreeText", "build_context", "outstanding_documents"]

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")


@dataclass(frozen=True)
class FreeText:
    """One piece of claimant- or staff-written text, redacted, with where it came from."""

    path: str  # e.g. "incident.description", "events[2].detail.note"
    text: str


@dataclass(frozen=True)
class DraftContext:
    """The redacted facts of one draft (module docstring).

    ``outstanding_documents`` (an addition to the issue's field list, with a default) holds
    the document codes the claim's events requested and did not yet see completed: the
    decision alone does not say which requests are still open.
    """

    claim_id: str
    outcome: Outcome
    decision: Decision  # redacted
    reminders: tuple[RightsEntry, ...]
    free_text: tuple[FreeText, ...]
    redactor: Redactor
    language: Language = "zh"
    outstanding_documents: tuple[str, ...] = ()

    @property
    def citable_ids(self) -> frozenset[str]:
        """Ids a finding may cite: the rules the decision applied (its reasons' rules, benefit
        steps too) and its SLA clocks that apply. A rule evaluated and not matched is not
        citable: a finding speaks of what applied."""
        decision = self.decision
        ids = [r.rule_id for r in decision.reasons]
        ids += [c.id for c in decision.sla if c.status != "not_applicable"]
        return frozenset(i for i in ids if i)


def build_context(
    claim: Claim,
    decision: Decision,
    rights: RightsBase,
    *,
    decided_by: str = "rules",
    language: str = "zh",
) -> DraftContext:
    """The context of one draft; ``decision`` is the engine's decision for ``claim``.

    Raises ``ValueError`` with a plain message when the decision does not belong to the
    claim or the language is not ``zh``/``en`` (or, never seen, when redaction made a field
    unreadable: a pydantic ``ValidationError``, which is a ``ValueError`` too).
    """
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    if decision.claim_id != claim.claim_id:
        raise ValueError("the decision's claim_id is not the claim's claim_id")
    redactor = Redactor.for_claim(claim)
    redacted = Decision.model_validate(redactor.redact_json(decision.json_form()))
    return DraftContext(
        claim_id=claim.claim_id,
        outcome=decision.outcome,
        decision=redacted,
        reminders=tuple(rights.select(redacted, decided_by=decided_by)),
        free_text=tuple(
            FreeText(path, redactor.redact(text)) for path, text in _free_text(claim) if text
        ),
        redactor=redactor,
        language=language,
        outstanding_documents=outstanding_documents(claim),
    )


def outstanding_documents(claim: Claim) -> tuple[str, ...]:
    """Documents asked for (``documents_requested``) and not since completed, in order.

    A later request replaces the open list (it is meant to repeat what is still missing);
    ``documents_completed`` closes it.
    """
    open_list: list[str] = []
    for event in claim.events:
        if event.type == "documents_requested":
            missing = event.detail.get("missing")
            open_list = [str(m) for m in missing] if isinstance(missing, list) else []
        elif event.type == "documents_completed":
            open_list = []
    return tuple(dict.fromkeys(open_list))


def _free_text(claim: Claim) -> Iterator[tuple[str, str]]:
    """The claim's free text in claim order: the description, then event details."""
    yield "incident.description", claim.incident.description
    for index, event in enumerate(claim.events):
        yield from _strings(event.detail, f"events[{index}].detail")


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")
