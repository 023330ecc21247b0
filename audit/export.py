"""Export of one claim's audit events with inclusion proofs, for a member or a regulator.

The bundle format and its DB-free verification are in :mod:`audit.bundle`. The proofs are
against the latest checkpoint; when it does not yet cover the claim's newest event and a
signer key is configured, a checkpoint is made first (on demand), so the export is always
complete.
"""

from __future__ import annotations

from audit.bundle import ExportBundle
from audit.chain import event_document
from audit.checkpoint import parse_checkpoint
from audit.checkpoints import create_checkpoint, inclusion_proof_for, latest_checkpoint
from audit.config import AuditConfig
from audit.errors import StoreError
from audit.store import Target, events_for_claim

__all__ = ["export_claim"]


def export_claim(
    target: Target, *, claim_id: str, config: AuditConfig, verifier_key: str | None = None
) -> ExportBundle:
    """The export bundle of ``claim_id`` (:class:`StoreError` when it has no events).

    ``verifier_key`` (default: the configured signer's) is embedded as
    ``informational_verifier_key``: a label, never used to verify.
    """
    events = events_for_claim(target, claim_id=claim_id)
    if not events:
        raise StoreError(f"no audited events for claim {claim_id!r}")
    latest = latest_checkpoint(target)
    if latest is None or latest.tree_size < events[-1].seq:
        if not config.signer_key:
            raise StoreError(
                f"no checkpoint covers the events of claim {claim_id!r} yet, and no signer "
                "key is configured to make one"
            )
        create_checkpoint(target, config=config)
    proven = inclusion_proof_for(target, event_ids=[e.event_id for e in events])
    checkpoint = proven[0].checkpoint
    return ExportBundle(
        claim_id=claim_id,
        origin=parse_checkpoint(checkpoint.note).origin,
        informational_verifier_key=verifier_key or config.verifier_key(),
        checkpoint=checkpoint.note,
        tree_size=checkpoint.tree_size,
        events=tuple((event_document(p.event), p.proof) for p in proven),
    )
