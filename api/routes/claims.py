"""Claims for the insurer's staff: intake, reading, timeline, evaluation, overrides, SLA.

========================================== ================================= =============
endpoint                                   what                              roles
========================================== ================================= =============
``POST /claims``                           intake (idempotent)               adjuster,
                                                                             supervisor
``GET /claims/{id}``                       the claim, PII masked per role    staff but
                                                                             rule_author;
                                                                             member (own)
``POST /claims/{id}/events``               append a timeline event           adjuster,
                                                                             supervisor
``POST /claims/{id}/evaluate``             decide and audit; ``?as_of=``     adjuster,
                                                                             supervisor
``GET /claims/{id}/decisions``             decisions and overrides           adjuster,
                                                                             supervisor,
                                                                             auditor
``POST /claims/{id}/override``             a person's decision, audited      adjuster,
                                                                             supervisor
``GET /sla/breaches``                      breached / due-soon clocks        adjuster,
                                                                             supervisor
========================================== ================================= =============

Every problem an operation can answer is declared on it (:func:`api.openapi.problem_responses`).
Unmasking a claim's personal data is :mod:`api.routes.unmask`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from api.auth import Principal
from api.claim_states import operations as life_ops
from api.claim_states.schemas import StateView
from api.claim_states.store import etag_of, read_state
from api.decisions import OverrideRequest, history, override_decision
from api.deps import AppState, Caller, State, allow
from api.disclosure import masked_claim
from api.errors import ProblemError, invalid_claim
from api.openapi import CLAIM_BODY_REF, problem_responses
from api.routes.common import (
    AsOf,
    JsonBytes,
    check_depth,
    parse_as_of,
    read_body,
    read_json,
    visible_record,
)
from api.rulesets import RulesetUnavailable
from api.schemas.claims import EventAdded, StoredClaim
from api.schemas.decisions import DecisionHistory, Evaluated, PersonDecision
from api.schemas.sla import SlaBreaches
from engine.claim import Claim, load_claim
from engine.decision import Clock
from engine.errors import EngineError, Problem
from engine.evaluate import clocks
from engine.lifecycle.events import TimelineEventAdded
from engine.sla import sweep

router = APIRouter(tags=["claims"])

ClaimId = Annotated[str, Path(min_length=1, max_length=128, description="the claim id")]
Handler = Annotated[Principal, Depends(allow("adjuster", "supervisor"))]
Reader = Annotated[Principal, Depends(allow("adjuster", "supervisor", "auditor"))]
_CLAIM_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": CLAIM_BODY_REF}}},
        "description": "the claim JSON (examples/claims/ holds examples); parsed by the engine, "
        "so a bad claim is answered with every problem's JSON path",
    }
}
_EVENT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["type", "at"],
                    "additionalProperties": False,
                    "properties": {
                        "type": {
                            "type": "string",
                            "pattern": "^[a-z][a-z0-9_]*$",
                            "description": "an event type of the claim's ruleset",
                        },
                        "at": {"type": "string", "format": "date-time"},
                        "detail": {"type": "object"},
                    },
                }
            }
        },
    }
}
_LOCATION = {"Location": {"required": True, "schema": {"type": "string"}}}


@router.post(
    "/claims",
    status_code=201,
    response_model=None,
    openapi_extra=_CLAIM_BODY,
    responses={
        201: {"model": StoredClaim, "description": "taken in", "headers": _LOCATION},
        200: {
            "model": StoredClaim,
            "description": "already stored: the stored claim",
            "headers": _LOCATION,
        },
        **problem_responses(401, 403, 409, 413, 415, 422, 503),
    },
)
async def intake(
    request: Request,
    response: Response,
    state: State,
    who: Handler,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> dict[str, Any]:
    """Take in a claim. The same claim again: 200 with the stored one; a different body under
    a stored claim id, or an ``Idempotency-Key`` reused for another claim: 409."""
    body = await read_body(request)
    with contextlib.suppress(ValueError, RecursionError):  # not JSON: load_claim says why
        check_depth(json.loads(body))
    claim = load_claim(body)
    _check_ids(claim)
    await run_in_threadpool(_check_timeline(state), claim)
    result = await run_in_threadpool(
        functools.partial(
            state.claims.intake,
            claim,
            idempotency_key=idempotency_key,
            record=lambda session, new: state.life.received(session, new, who.actor),
        )
    )
    if not result.created:
        response.status_code = 200
    response.headers["Location"] = f"/claims/{claim.claim_id}"
    return masked_claim(result.claim, who.role)


_ETAG = {"ETag": {"required": True, "schema": {"type": "string"}}}


@router.get(
    "/claims/{claim_id}",
    response_model=None,
    responses={
        200: {
            "model": StoredClaim,
            "description": "the claim, its version and state",
            "headers": _ETAG,
        },
        **problem_responses(401, 403, 404, 422),
    },
)
def read_claim(claim_id: ClaimId, response: Response, state: State, who: Caller) -> dict[str, Any]:
    """The stored claim, personal data masked for the caller's role, with its ``version``
    and ``state`` (the projection: status, current decision and who made it, history) and
    its ``ETag`` (send it as ``If-Match`` to PATCH the claim)."""
    if who.role == "rule_author":
        raise ProblemError(403, "rule authors do not read claims")
    record = visible_record(state, claim_id, who)
    life = read_state(state.engine, claim_id)
    if life is None or life.claim is None:  # taken in before its life was recorded
        return masked_claim(load_claim(record.body), who.role)
    etag = etag_of(life)
    response.headers["ETag"] = etag
    return {
        **masked_claim(life.claim, who.role),
        "version": life.version,
        "state": StateView.of(life, etag).model_dump(mode="json"),
    }


def _check_timeline(state: AppState) -> Any:
    """The claim's timeline checked against its ruleset's clocks (a
    :class:`~engine.errors.TimelineError` is answered by :mod:`api.errors`)."""

    def check(claim: Claim) -> None:
        clocks(state.rulesets.for_claim(claim).program, claim, as_of=_latest(claim))

    return check


#: Longest claim or member id stored (the audit trail's ``claim_id`` column).
MAX_ID = 128


def _check_ids(claim: Claim) -> None:
    problems = [
        Problem(path, f"must be at most {MAX_ID} characters")
        for path, value in (
            ("claim_id", claim.claim_id),
            ("member.member_id", claim.member.member_id),
        )
        if len(value) > MAX_ID
    ]
    if problems:
        raise invalid_claim(problems)


def _latest(claim: Claim) -> dt.datetime:
    """Now, or the latest event if later: the whole timeline is checked."""
    now = dt.datetime.now(dt.UTC)
    return max([now, *(e.at for e in claim.events)])


@router.post(
    "/claims/{claim_id}/events",
    status_code=201,
    response_model=EventAdded,
    openapi_extra=_EVENT_BODY,
    responses=problem_responses(401, 403, 404, 413, 415, 422, 503),
)
async def add_event(
    claim_id: ClaimId, request: Request, state: State, who: Handler
) -> dict[str, Any]:
    """Append one event ``{type, at, detail}`` to the claim's timeline (validated against
    the claim model and the ruleset's event types and clock rules)."""
    raw = await read_json(request)
    written = await run_in_threadpool(
        functools.partial(life_ops.add_event, state.life, claim_id, raw, actor=who.actor)
    )
    claim = written.state.claim
    assert claim is not None
    index = next(e.index for e in written.events if isinstance(e, TimelineEventAdded))
    return {
        "claim_id": claim_id,
        "index": index,
        "events": len(claim.events),
        "status": written.state.status,
    }


@router.post(
    "/claims/{claim_id}/evaluate",
    response_model=None,
    responses={
        200: {"model": Evaluated, "description": "the decision, audited"},
        **problem_responses(401, 403, 404, 422, 503),
    },
)
def evaluate(
    claim_id: ClaimId,
    state: State,
    who: Handler,
    as_of: AsOf = None,
) -> Response:
    """Evaluate the claim's current version with its routed ruleset and record the decision
    (the audited decision and the claim's ``rules_decision_made``, with what it implies on the
    timeline, in one transaction); answered only after it has committed."""
    written = life_ops.decide(
        state.life, claim_id, as_of=parse_as_of(as_of), backend=state.backend, actor=who.actor
    )
    event = written.extra["event"]
    state.metrics.decisions.labels(written.extra["outcome"], "rules").inc()
    return JsonBytes(
        {
            "event_id": event.event_id,
            "seq": event.seq,
            "recorded_at": event.recorded_at,
            "decision": written.extra["payload"]["decision"],  # the JSON just audited
            "status": written.state.status,
        }
    )


@router.get(
    "/claims/{claim_id}/decisions",
    response_model=DecisionHistory,
    responses=problem_responses(401, 403, 404, 422, 503),
)
def decisions(claim_id: ClaimId, state: State, who: Reader) -> dict[str, Any]:
    """Every audited decision and override of the claim, oldest first."""
    visible_record(state, claim_id, who)
    return {"claim_id": claim_id, "decisions": history(state, claim_id).entries()}


@router.post(
    "/claims/{claim_id}/override",
    status_code=201,
    response_model=PersonDecision,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
def override(
    claim_id: ClaimId, body: OverrideRequest, state: State, who: Handler
) -> dict[str, Any]:
    """Replace the latest decision with a person's; the reason is required and audited."""
    return override_decision(state, claim_id, body, who)


@router.get("/sla/breaches", response_model=SlaBreaches, responses=problem_responses(401, 403, 422))
def sla_breaches(
    state: State,
    who: Handler,
    as_of: AsOf = None,
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Breached and due-soon clocks of every stored claim, most urgent first, paginated."""
    when = parse_as_of(as_of)
    found: list[tuple[str, list[Clock]]] = []
    skipped: list[dict[str, str]] = []
    # The SLA index leaves out only claims that cannot be urgent at `when` (api/sla_index).
    for claim in state.claims.sla_candidates(when):
        try:
            program = state.rulesets.for_claim(claim).program
            found.append((claim.claim_id, clocks(program, claim, as_of=when)))
        except (EngineError, RulesetUnavailable) as exc:
            skipped.append({"claim_id": claim.claim_id, "reason": str(exc)})
    urgent = sweep(found)
    start = (page - 1) * size
    return {
        "as_of": when.isoformat(),
        "page": page,
        "size": size,
        "total": len(urgent),
        "items": [c.model_dump(mode="json") for c in urgent[start : start + size]],
        "skipped": skipped,
    }
