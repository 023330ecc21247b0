"""The claim's life: versions, documents, voids, four-eyed overrides, payments, appeals.

- ``PATCH /claims/{id}``: a new version (RFC 7396 merge patch; ``If-Match``: the claim's
  ETag). Adjuster, supervisor.
- ``POST /claims/{id}/documents``: a received document. Adjuster, supervisor.
- ``POST /claims/{id}/events/{index}/void``: void a timeline event. Adjuster, supervisor.
- ``POST /claims/{id}/overrides``: a person's decision on the decision ``If-Match`` names.
  Adjuster, supervisor.
- ``POST /claims/{id}/overrides/{override_id}/approve`` and ``/reject``: the second person.
  Supervisor, not the override's author (403).
- ``POST /claims/{id}/payments``: money paid. Adjuster, supervisor.
- ``POST /claims/{id}/appeals``: the member's appeal. Adjuster, supervisor.

Each answers :class:`~api.claim_states.schemas.LifeAnswer` (the recorded audit event ids and
the claim's state after them) and every refusal as a problem (:mod:`api.errors`).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from api.auth import Principal
from api.claim_states import operations as ops
from api.claim_states.schemas import (
    AppealIn,
    DocumentIn,
    LifeAnswer,
    OverrideIn,
    PaymentIn,
    ReasonIn,
    StateView,
)
from api.claim_states.store import etag_of
from api.claim_states.writer import ClaimLife, Written
from api.deps import AppState, State, allow
from api.errors import ProblemError
from api.openapi import problem_responses
from api.routes.common import check_depth, read_body

router = APIRouter(tags=["claim life"])

ClaimId = Annotated[str, Path(min_length=1, max_length=128, description="the claim id")]
Handler = Annotated[Principal, Depends(allow("adjuster", "supervisor"))]
Supervisor = Annotated[Principal, Depends(allow("supervisor"))]
IfMatch = Annotated[
    str | None,
    Header(
        description="the claim's ETag (PATCH) or the current decision's id (overrides)",
        max_length=200,
    ),
]
MERGE_PATCH = "application/merge-patch+json"
_PATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            MERGE_PATCH: {
                "schema": {"type": "object"},
                "example": {"policy": {"status": "in_force"}, "incident": {"diagnosis": "J18.9"}},
            }
        },
        "description": "RFC 7396: the fields that change; null removes an optional field",
    }
}


def _life(state: AppState) -> ClaimLife:
    return state.life


def answer(written: Written, claim_id: str, response: Response | None = None) -> LifeAnswer:
    etag = etag_of(written.state)
    if response is not None:
        response.headers["ETag"] = etag
    return LifeAnswer(
        claim_id=claim_id,
        recorded=[e.ref or "" for e in written.events],
        kinds=[e.kind for e in written.events],
        override_id=written.extra.get("override_id"),
        state=StateView.of(written.state, etag),
    )


def _need(if_match: str | None, what: str) -> str:
    if not if_match:
        raise ProblemError(
            428,
            f"send If-Match with {what}",
            kind="if-match-required",
            title="Precondition required",
        )
    return if_match


@router.patch(
    "/claims/{claim_id}",
    openapi_extra=_PATCH_BODY,
    response_model=LifeAnswer,
    responses=problem_responses(401, 403, 404, 412, 413, 415, 422, 428, 503),
)
async def patch_claim(
    claim_id: ClaimId,
    request: Request,
    response: Response,
    state: State,
    who: Handler,
    if_match: IfMatch = None,
) -> LifeAnswer:
    """A new version of the claim: the merge patch is applied and the claim validated whole
    (intake's error paths); ``claim_id``, ``member.member_id``, ``events`` and ``documents``
    cannot be patched (422). ``If-Match`` must carry the claim's current ETag (428 without,
    412 when another change came first). Audited as ``life.claim_amended``."""
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    if kind != MERGE_PATCH:
        raise ProblemError(415, f"send the patch as {MERGE_PATCH}, not {kind or 'nothing'}")
    tag = _need(if_match, "the claim's ETag (from GET /claims/{id})")
    body = await read_body(request)
    try:
        patch = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProblemError(
            422, "the patch is not JSON", errors=[{"path": "", "reason": str(exc)}]
        ) from None
    check_depth(patch)
    if not isinstance(patch, dict):
        raise ProblemError(
            422,
            "a claim patch must be a JSON object (RFC 7396 merge patch)",
            kind="claim-patch",
            errors=[{"path": "", "reason": "must be a JSON object of the fields that change"}],
        )
    written = await run_in_threadpool(
        ops.amend, _life(state), claim_id, patch, if_match=tag, actor=who.actor
    )
    return answer(written, claim_id, response)


@router.post(
    "/claims/{claim_id}/documents",
    status_code=201,
    response_model=LifeAnswer,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
def add_document(
    claim_id: ClaimId, body: DocumentIn, response: Response, state: State, who: Handler
) -> LifeAnswer:
    """Record a received document: it puts ``documents_received`` on the timeline (and
    ``documents_completed`` when it was the last one asked for); the next evaluation sees it
    from ``received_at`` on."""
    written = ops.add_document(_life(state), claim_id, body, actor=who.actor)
    return answer(written, claim_id, response)


@router.post(
    "/claims/{claim_id}/events/{index}/void",
    response_model=LifeAnswer,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
def void_event(
    claim_id: ClaimId,
    index: Annotated[int, Path(ge=0, le=100_000)],
    body: ReasonIn,
    response: Response,
    state: State,
    who: Handler,
) -> LifeAnswer:
    """Void ``events[index]``: it stays on the claim marked void (reason, who, when) and no
    rule or clock counts it. Events the engine wrote cannot be voided; a void that would
    leave the timeline breaking a lifecycle rule is refused naming it (422)."""
    written = ops.void(_life(state), claim_id, index, body.reason, actor=who.actor)
    return answer(written, claim_id, response)


@router.post(
    "/claims/{claim_id}/overrides",
    status_code=201,
    response_model=LifeAnswer,
    responses=problem_responses(401, 403, 404, 409, 422, 428, 503),
)
def propose_override(
    claim_id: ClaimId,
    body: OverrideIn,
    response: Response,
    state: State,
    who: Handler,
    if_match: IfMatch = None,
) -> LifeAnswer:
    """A person's decision replacing the current one, named by ``If-Match`` (its
    ``decision_id``; 409 when a newer decision exists). No line pays above its actual cost
    minus what others and earlier claims paid (422 naming the line). It is effective at once,
    or, when it pays more than the rules by more than the configured threshold or pays what
    the rules refused, waits for a supervisor other than its author (``awaiting_approval``)."""
    decision_id = _need(if_match, "the decision_id of the decision it overrides")
    written = ops.propose(_life(state), claim_id, body, decision_id=decision_id, actor=who.actor)
    return answer(written, claim_id, response)


OverrideId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^\S+$", description="the override id")
]


@router.post(
    "/claims/{claim_id}/overrides/{override_id}/approve",
    response_model=LifeAnswer,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
def approve_override(
    claim_id: ClaimId, override_id: OverrideId, response: Response, state: State, who: Supervisor
) -> LifeAnswer:
    """The second person approves: the override becomes the claim's decision (a decision by
    a person: ``claim_decided`` with ``decided_by: person``). Its author gets 403."""
    written = ops.approve(_life(state), claim_id, override_id, actor=who.actor)
    return answer(written, claim_id, response)


@router.post(
    "/claims/{claim_id}/overrides/{override_id}/reject",
    response_model=LifeAnswer,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
def reject_override(
    claim_id: ClaimId,
    override_id: OverrideId,
    body: ReasonIn,
    response: Response,
    state: State,
    who: Supervisor,
) -> LifeAnswer:
    """The second person rejects: the decision stays what it was. Its author gets 403."""
    written = ops.reject(_life(state), claim_id, override_id, body.reason, actor=who.actor)
    return answer(written, claim_id, response)


@router.post(
    "/claims/{claim_id}/payments",
    status_code=201,
    response_model=LifeAnswer,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
def record_payment(
    claim_id: ClaimId, body: PaymentIn, response: Response, state: State, who: Handler
) -> LifeAnswer:
    """Money paid: never above what the current decision leaves to pay (422); advances add
    up, a ``final`` payment pays exactly what is left; the payment clock stops when paid in
    full (``paid`` on the timeline)."""
    written = ops.pay(_life(state), claim_id, body, actor=who.actor)
    return answer(written, claim_id, response)


@router.post(
    "/claims/{claim_id}/appeals",
    status_code=201,
    response_model=LifeAnswer,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
def record_appeal(
    claim_id: ClaimId, body: AppealIn, response: Response, state: State, who: Handler
) -> LifeAnswer:
    """The member's appeal of the current determination: the claim is ``appealed`` until it
    is decided again (``POST /claims/{id}/evaluate`` records a new decision)."""
    written = ops.appeal(_life(state), claim_id, body.reason, body.at, actor=who.actor)
    return answer(written, claim_id, response)
