"""Review notes: the LLM assistant's drafts for adjusters, each audited as its own event.

A note is drafted on the claim's current decision as its state holds it
(:mod:`api.claim_states.views`: a person's outcome and amounts where a person decided, so
``decision_echo`` is always the current outcome; never a decision made on the fly), by the
configured provider (``CLAIMS_ASSIST_PROVIDER``; the template drafter by default). The draft
passes the grounding guard or is replaced by the template draft, marked ``fallback`` with
the reasons (:mod:`llm_assist.drafting`). Drafting never raises for model trouble, so a
broken model endpoint never blocks a claim: the adjuster gets the template.

Each draft is appended to the audit trail as a ``review_note`` event: provider, model, the
prompt template's hash, the hash of the redacted prompt actually sent, the hash of the
output, the guard's verdict and the note (which the guard has checked holds no personal
data). The notes of a claim are read back from the audit trail alone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from api.auth import Principal
from api.claim_states.views import current_view
from api.deps import AppState
from api.errors import ProblemError
from audit.chain import StoredEvent
from audit.store import append_event, events_for_claim
from engine.claim import Claim
from engine.decision import Decision
from llm_assist.config import AssistConfig
from llm_assist.context import build_context
from llm_assist.drafting import Draft, draft_review_note
from llm_assist.rights import RightsBase

__all__ = ["REVIEW_NOTE_EVENT", "NoteRequest", "draft_for_claim", "notes_of", "request_note"]

REVIEW_NOTE_EVENT = "review_note"


class NoteRequest(BaseModel):
    """What an adjuster may choose about a draft: only its language."""

    model_config = ConfigDict(extra="forbid")

    language: Literal["zh", "en"] = "zh"


def draft_for_claim(
    claim: Claim,
    decision: Decision,
    *,
    rights: RightsBase,
    config: AssistConfig,
    language: str = "zh",
    decided_by: str = "rules",
) -> Draft:
    """The guarded draft for ``decision`` on ``claim`` (also used by ``claims assist note``)."""
    context = build_context(claim, decision, rights, decided_by=decided_by, language=language)
    return draft_review_note(context, config)


def _events(state: AppState, claim_id: str) -> list[StoredEvent]:
    return events_for_claim(state.engine, claim_id=claim_id)


def request_note(
    state: AppState, claim_id: str, request: NoteRequest, who: Principal
) -> dict[str, Any]:
    """Draft a note on the latest decision of ``claim_id`` and audit it (409 if undecided)."""
    view = current_view(state, claim_id, dt.datetime.now(dt.UTC))  # 404 for an unknown claim
    current = view.state.decision
    if current is None or view.decision is None or view.state.claim is None:
        raise ProblemError(
            409,
            f"claim {claim_id} has no decision to review: evaluate it first",
            kind="nothing-to-review",
        )
    draft = draft_for_claim(
        view.state.claim,
        view.decision,
        rights=state.rights,
        config=state.assist,
        language=request.language,
        decided_by="person" if current.source == "person" else "rules",
    )
    record = {
        **draft.audit_payload(),
        "claim_id": claim_id,
        "decision_event": current.decision_id,
        "language": request.language,
    }
    event = append_event(
        state.engine,
        event_type=REVIEW_NOTE_EVENT,
        claim_id=claim_id,
        payload=record,
        actor=who.actor,
        config=state.audit,
    )
    state.metrics.review_notes.labels(draft.provider, draft.verdict).inc()
    return _entry(event)


def notes_of(state: AppState, claim_id: str) -> list[dict[str, Any]]:
    """Every audited review note of ``claim_id``, oldest first."""
    state.claims.claim(claim_id)
    return [_entry(e) for e in _events(state, claim_id) if e.event_type == REVIEW_NOTE_EVENT]


def _entry(event: StoredEvent) -> dict[str, Any]:
    value = event.payload_value()
    payload = value if isinstance(value, dict) else {}
    return {
        "event_id": event.event_id,
        "seq": event.seq,
        "recorded_at": event.recorded_at,
        "actor": event.actor,
        **{k: payload.get(k) for k in _FIELDS},
    }


_FIELDS = (
    "decision_event",
    "language",
    "provider",
    "model",
    "verdict",
    "attempts",
    "reasons",
    "prompt_template_version",
    "prompt_template_hash",
    "prompt_hash",
    "output_hash",
    "note",
)
