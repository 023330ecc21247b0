"""The audit trail over HTTP, for auditors: events, inclusion proofs, checkpoints, the key.

``/audit/public-key`` needs no token: anyone may verify what the service hands out.
An event is returned exactly as recorded, including the claim's personal data in a decision
payload (a proof needs the exact bytes), so only auditors may read events, and every read is
logged with who made it on the ``claims.api.disclosure`` logger.
A proof is against the latest signed checkpoint; when none covers the event yet, one is
signed on demand (as ``claims audit export`` does).
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from api.auth import Principal
from api.deps import State, allow
from api.errors import ProblemError
from api.openapi import problem_responses
from api.schemas.audit import AuditEvent, Checkpoint, EventProof, PublicKey
from audit.chain import event_document
from audit.checkpoints import create_checkpoint, inclusion_proof_for, latest_checkpoint
from audit.store import get_event

router = APIRouter(prefix="/audit", tags=["audit"])

disclosure_log = logging.getLogger("claims.api.disclosure")


def _disclosed(who: Principal, event_id: str) -> None:
    disclosure_log.info(
        json.dumps({"event": "audit_event_read", "actor": who.actor, "event_id": event_id})
    )


Auditor = Annotated[Principal, Depends(allow("auditor"))]
EventId = Annotated[str, Path(min_length=1, max_length=64)]


def _checkpoint_view(checkpoint: Any) -> dict[str, Any]:
    return {
        "tree_size": checkpoint.tree_size,
        "root_hash": checkpoint.root_hash,
        "note": checkpoint.note,
        "created_at": checkpoint.created_at,
    }


@router.get(
    "/events/{event_id}",
    response_model=AuditEvent,
    responses=problem_responses(401, 403, 404, 422, 503),
)
def read_event(event_id: EventId, state: State, who: Auditor) -> dict[str, Any]:
    """The event document (header, payload, hashes) as hashed into the chain."""
    document = event_document(get_event(state.engine, event_id=event_id))
    _disclosed(who, event_id)
    return document


@router.get(
    "/events/{event_id}/proof",
    response_model=EventProof,
    responses=problem_responses(401, 403, 404, 422, 503),
)
def event_proof(event_id: EventId, state: State, who: Auditor) -> dict[str, Any]:
    """The event, its RFC 9162 inclusion proof and the signed checkpoint it is proven in."""
    event = get_event(state.engine, event_id=event_id)
    latest = latest_checkpoint(state.engine)
    if latest is None or latest.tree_size < event.seq:
        create_checkpoint(state.engine, config=state.audit)
    (proven,) = inclusion_proof_for(state.engine, event_ids=[event_id])
    _disclosed(who, event_id)
    return {
        "event": event_document(proven.event),
        "proof": proven.proof.to_dict(),
        "checkpoint": _checkpoint_view(proven.checkpoint),
        "verifier_key": state.audit.verifier_key(),
    }


@router.get(
    "/checkpoints/latest",
    response_model=Checkpoint,
    responses=problem_responses(401, 403, 404, 503),
)
def latest(state: State, who: Auditor) -> dict[str, Any]:
    """The newest signed checkpoint (404 while there is none)."""
    found = latest_checkpoint(state.engine)
    if found is None:
        raise ProblemError(404, "no checkpoint has been signed yet")
    return _checkpoint_view(found)


@router.get("/public-key", response_model=PublicKey)
def public_key(state: State) -> dict[str, str]:
    """The log's verifier key and origin (no token needed)."""
    return {"origin": state.audit.origin, "verifier_key": state.audit.verifier_key()}
