"""Staff endpoints of the member pages.

``POST /members/{member_id}/sign-in-links`` (adjuster, supervisor): a one-time sign-in link
for a member with a claim (404 otherwise), audited as ``member_sign_in_link_issued``.
``GET /claims/{claim_id}/member-feedback`` (adjuster, supervisor, auditor): the member's
ratings and redacted comments on the claim, oldest first.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel

from api.auth import Principal
from api.deps import State, allow
from api.errors import ProblemError
from api.member_pages.feedback import feedback_entries
from api.member_pages.sign_in import issue_link
from api.member_pages.web import pages_of
from api.openapi import problem_responses
from audit.errors import AuditError
from audit.store import events_for_claim

router = APIRouter(tags=["members"])

Handler = Annotated[Principal, Depends(allow("adjuster", "supervisor"))]
Reader = Annotated[Principal, Depends(allow("adjuster", "supervisor", "auditor"))]


class SignInLinkOut(BaseModel):
    member_id: str
    url: str
    path: str
    expires_at: str
    single_use: bool = True


class FeedbackEntry(BaseModel):
    event_id: str
    recorded_at: str
    decision_id: str | None
    clear: int | None
    treated_well: int | None
    comment: str | None


class FeedbackOut(BaseModel):
    claim_id: str
    feedback: list[FeedbackEntry]


@router.post(
    "/members/{member_id}/sign-in-links",
    status_code=201,
    responses=problem_responses(401, 403, 404, 503),
)
def sign_in_link(
    member_id: Annotated[str, Path(min_length=1, max_length=128)],
    request: Request,
    state: State,
    who: Handler,
) -> SignInLinkOut:
    """A one-time sign-in link for the member's pages: valid 15 minutes, stored as a hash."""
    if not state.claims.for_member(member_id):
        raise ProblemError(404, f"there is no member {member_id} with a claim")
    try:
        link = issue_link(
            state.engine,
            member_id=member_id,
            issued_by=who.actor,
            now=pages_of(request).clock(),
            audit=state.audit,
        )
    except AuditError as exc:
        raise ProblemError(503, f"the audit trail is unavailable: {exc}") from None
    return SignInLinkOut(
        member_id=member_id,
        url=str(request.base_url).rstrip("/") + link.path,
        path=link.path,
        expires_at=link.expires_at.isoformat(),
    )


@router.get("/claims/{claim_id}/member-feedback", responses=problem_responses(401, 403, 404, 503))
def member_feedback(
    claim_id: Annotated[str, Path(min_length=1, max_length=128)], state: State, who: Reader
) -> FeedbackOut:
    """The member's ratings of the claim (comments redacted when stored)."""
    if state.claims.get(claim_id) is None:
        raise ProblemError(404, f"there is no claim {claim_id}")
    try:
        events = events_for_claim(state.engine, claim_id=claim_id)
    except AuditError as exc:
        raise ProblemError(503, f"the audit trail is unavailable: {exc}") from None
    return FeedbackOut(
        claim_id=claim_id,
        feedback=[FeedbackEntry.model_validate(e) for e in feedback_entries(events)],
    )
