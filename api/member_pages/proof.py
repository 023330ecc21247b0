"""The proof that a member's decision is on record: an export bundle of one event.

The bundle (``claims-audit-export/2``, :mod:`audit.bundle`) holds the decision's audit event,
its inclusion proof and the signed checkpoint it is proven in: the page verifies it in the
browser (``/static/audit-verify.js``: SHA-256 and Ed25519 in WebCrypto) and offers it as a
download that ``claims audit verify-proof --bundle FILE --public-key KEY`` accepts. A
checkpoint is signed on demand when none covers the event yet, as ``GET /audit/events/{id}/
proof`` does. The event holds the member's own claim as recorded (a proof needs the exact
bytes), so the bundle is served only to that member, as a download, never inside a page.
"""

from __future__ import annotations

from sqlalchemy import Engine

from audit.bundle import ExportBundle
from audit.chain import StoredEvent, event_document
from audit.checkpoints import create_checkpoint, inclusion_proof_for, latest_checkpoint
from audit.config import AuditConfig

__all__ = ["decision_bundle"]


def decision_bundle(engine: Engine, event: StoredEvent, *, audit: AuditConfig) -> ExportBundle:
    latest = latest_checkpoint(engine)
    if latest is None or latest.tree_size < event.seq:
        create_checkpoint(engine, config=audit)
    (proven,) = inclusion_proof_for(engine, event_ids=[event.event_id])
    return ExportBundle(
        claim_id=event.claim_id or "",
        origin=audit.origin,
        informational_verifier_key=audit.verifier_key(),
        checkpoint=proven.checkpoint.note,
        tree_size=proven.checkpoint.tree_size,
        events=((event_document(proven.event), proven.proof),),
    )
