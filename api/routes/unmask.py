"""Unmasking a claim's personal data, for supervisors (:mod:`api.unmasking`).

========================================== ================================= =============
endpoint                                   what                              roles
========================================== ================================= =============
``POST /claims/{id}/unmask``               clear personal data, with a       supervisor
                                           reason; audited before answering
========================================== ================================= =============

The body is ``{"reason": "...", "fields": ["member.phone", ...]}`` (``fields`` defaults to
every personal field). The ``pii_unmask`` audit event (field names and reason, never the
values) is readable by auditors at ``GET /audit/events/{id}``. The body is read like the
other JSON bodies (:func:`api.routes.common.read_json`: 413 past 1 MiB, 415 when not JSON)
rather than as a FastAPI model parameter, whose size limit answers in plain text.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from api.auth import Principal
from api.deps import State, allow
from api.openapi import problem_responses
from api.routes.claims import ClaimId
from api.routes.common import read_json
from api.unmasking import UnmaskAnswer, UnmaskRequest, parse_unmask_request, unmask_claim

router = APIRouter(tags=["claims"])

Supervisor = Annotated[Principal, Depends(allow("supervisor"))]
_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": UnmaskRequest.model_json_schema()}},
    }
}


@router.post(
    "/claims/{claim_id}/unmask",
    openapi_extra=_BODY,
    responses=problem_responses(401, 403, 404, 413, 415, 422, 503),
)
async def unmask(
    claim_id: ClaimId, request: Request, state: State, who: Supervisor
) -> UnmaskAnswer:
    """The claim's personal data in clear, answered only after the ``pii_unmask`` audit event
    (who, which fields, why; never the values) has committed."""
    body = parse_unmask_request(await read_json(request))
    return await run_in_threadpool(unmask_claim, state, claim_id, body, who)
