"""A member's own claims (``/me``): the token's ``sub`` is the member id.

A member sees only their own claims; any other claim id, existing or not, is a 404 with the
same message, so claim ids cannot be probed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path

from api.auth import Principal
from api.claim_states.views import current_view
from api.deps import State, allow
from api.disclosure import masked_claim
from api.explanations import explanation, language_of
from api.openapi import problem_responses
from api.routes.common import AsOf, parse_as_of, visible_record
from api.schemas.claims import MemberClaims
from api.schemas.explanations import MemberExplanation
from engine.claim import load_claim

router = APIRouter(prefix="/me", tags=["members"])

Member = Annotated[Principal, Depends(allow("member"))]


@router.get(
    "/claims",
    response_model=None,
    responses={200: {"model": MemberClaims}, **problem_responses(401, 403)},
)
def my_claims(state: State, who: Member) -> dict[str, Any]:
    """The caller's claims, personal data masked."""
    records = state.claims.for_member(who.sub)
    return {
        "member_id": who.sub,
        "claims": [
            {
                "claim_id": r.claim_id,
                "created_at": r.created_at,
                "claim": masked_claim(load_claim(r.body), "member"),
            }
            for r in records
        ],
    }


@router.get(
    "/claims/{claim_id}/explanation",
    response_model=MemberExplanation,
    response_model_exclude_unset=True,
    responses=problem_responses(401, 403, 404, 422, 503),
)
def my_explanation(
    claim_id: Annotated[str, Path(min_length=1, max_length=128)],
    state: State,
    who: Member,
    as_of: AsOf = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """The claim's status and current decision in plain language (zh or en by
    ``Accept-Language``): who decided, line amounts, payments, every earlier decision, the SLA
    clocks at ``as_of`` (now if absent), what is missing, and the member's rights and
    remedies. Read from the claim's state alone."""
    visible_record(state, claim_id, who)
    view = current_view(state, claim_id, parse_as_of(as_of))
    return explanation(view, language_of(accept_language), state.rights)
