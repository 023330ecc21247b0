"""Review notes for adjusters: LLM-assisted drafts, guarded and audited (:mod:`api.review_notes`).

============================================ ============================== ==================
endpoint                                     what                           roles
============================================ ============================== ==================
``POST /claims/{id}/review-notes``           draft a note on the latest     adjuster,
                                             decision and audit it          supervisor
``GET /claims/{id}/review-notes``            the claim's audited notes      adjuster,
                                                                            supervisor
============================================ ============================== ==================

A draft never changes the decision. The body is optional (``{"language": "en"}``; ``zh`` by
default).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path

from api.auth import Principal
from api.deps import State, allow
from api.openapi import problem_responses
from api.review_notes import NoteRequest, notes_of, request_note
from api.schemas.notes import ReviewNoteEntry, ReviewNotes

router = APIRouter(tags=["review notes"])

ClaimId = Annotated[str, Path(min_length=1, max_length=128, description="the claim id")]
Handler = Annotated[Principal, Depends(allow("adjuster", "supervisor"))]


@router.post(
    "/claims/{claim_id}/review-notes",
    status_code=201,
    response_model=ReviewNoteEntry,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
def draft_note(
    claim_id: ClaimId,
    state: State,
    who: Handler,
    body: Annotated[NoteRequest | None, Body()] = None,
) -> dict[str, Any]:
    """Draft a review note on the claim's latest decision (the configured provider, checked by
    the grounding guard, else the template draft marked ``fallback``) and audit it."""
    return request_note(state, claim_id, body or NoteRequest(), who)


@router.get(
    "/claims/{claim_id}/review-notes",
    response_model=ReviewNotes,
    responses=problem_responses(401, 403, 404, 422, 503),
)
def list_notes(claim_id: ClaimId, state: State, who: Handler) -> dict[str, Any]:
    """The claim's review notes as audited, oldest first."""
    return {"claim_id": claim_id, "review_notes": notes_of(state, claim_id)}
