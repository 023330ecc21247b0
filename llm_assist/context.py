"""DraftContext: everything a drafter may see about one claim, already redacted.

Why one object: the prompt, the template drafter and the grounding guard must all rest on
exactly the same facts. The decision and the claim's free text are redacted here, once, with
the claim's own :class:`~llm_assist.redaction.Redactor`, and the same redactor travels with
the context so the guard recognises the claim's personal data (and its placeholders) in a
draft. Nothing else of the claim is kept: a drafter that never sees the member's name cannot
leak it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

from engine.claim import Claim
from llm_assist.note import Outcome
from llm_assist.redaction import Redactor
from llm_assist.rights import RightsBase, RightsEntry

__all__ = ["LANGUAGES", "DraftContext", "FreeText", "build_context", "outstanding_documents"]

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")
OUTCOMES: tuple[str, ...] = get_args(Outcome)


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
    decision: Mapping[str, Any]
    reminders: tuple[RightsEntry, ...]
    free_text: tuple[FreeText, ...]
    redactor: Redactor
    language: Language = "zh"
    outstanding_documents: tuple[str, ...] = ()

    @property
    def citable_ids(self) -> frozenset[str]:
        """Ids a finding may cite: rules in the trace, reasons' rules (benefit steps too)
        and SLA clocks."""
        ids = [t.get("rule_id") for t in _dicts(self.decision.get("trace"))]
        ids += [r.get("rule_id") for r in _dicts(self.decision.get("reasons"))]
        ids += [c.get("id") for c in _dicts(self.decision.get("sla"))]
        return frozenset(i for i in ids if isinstance(i, str) and i)


def build_context(
    claim: Claim,
    decision: Mapping[str, Any],
    rights: RightsBase,
    *,
    decided_by: str = "rules",
    language: str = "zh",
) -> DraftContext:
    """The context of one draft; ``decision`` is the engine's decision JSON for ``claim``.

    Raises ``ValueError`` with a plain message when the decision does not belong to the
    claim, has no valid outcome, or the language is not ``zh``/``en``.
    """
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    outcome = decision.get("outcome")
    if outcome not in OUTCOMES:
        raise ValueError(f"decision.outcome must be one of {', '.join(OUTCOMES)}")
    if decision.get("claim_id") != claim.claim_id:
        raise ValueError("the decision's claim_id is not the claim's claim_id")
    redactor = Redactor.for_claim(claim)
    redacted = redactor.redact_json(dict(decision))
    return DraftContext(
        claim_id=claim.claim_id,
        outcome=cast(Outcome, outcome),
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


def _dicts(value: Any) -> Iterator[Mapping[str, Any]]:
    """The mapping items of a list-valued decision field (robust to a malformed decision)."""
    if isinstance(value, list | tuple):
        yield from (item for item in value if isinstance(item, Mapping))
