"""Standalone verification of one audited event: no database, only what a member or auditor
can be handed.

Inputs: the event JSON text (as stored in the audit trail), an inclusion proof
(:class:`~audit.merkle.InclusionProof` JSON), a signed checkpoint (C2SP signed note) and the
log's public verifier key. :func:`verify_event_proof`

1. parses the event JSON strictly (:func:`audit.canonical.parse_json`) and takes its
   ``entry_hash`` member: 64 lowercase hex digits, the event's hash in the chain;
2. optionally recomputes that ``entry_hash`` from the event itself with the chain's own
   function (``entry_hash_of``), so a changed event body is caught even when its stated
   ``entry_hash`` was left alone;
3. recomputes the Merkle leaf: ``SHA-256(0x00 || entry_hash as 32 raw bytes)``;
4. verifies the checkpoint's Ed25519 signature with the verifier key (and its origin, when
   one is expected);
5. checks the proof is for the checkpoint's tree size and verifies inclusion of the leaf at
   the proof's index under the checkpoint's root (RFC 9162 §2.1.3.2).

``audit/{errors,canonical,merkle,checkpoint,verifier}.py`` import only each other, the
standard library and ``cryptography`` (no database, no engine), so an auditor can run them
with nothing else installed. Keep it that way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from audit.canonical import JsonValue, parse_json
from audit.checkpoint import Checkpoint, verify_checkpoint
from audit.errors import CanonicalError, ProofError
from audit.merkle import InclusionProof, entry_leaf

__all__ = ["event_leaf_hash", "verify_event_proof"]

_HEX64 = re.compile(r"[0-9a-f]{64}")

#: Recomputes an event's ``entry_hash`` (hex or raw bytes) from its parsed JSON object.
EntryHashFn = Callable[[dict[str, JsonValue]], "str | bytes"]


def _event_entry_hash(event_json_text: str, entry_hash_of: EntryHashFn | None) -> bytes:
    try:
        event = parse_json(event_json_text)
    except CanonicalError as exc:
        raise ProofError(f"event is not valid audit JSON: {exc}") from None
    if not isinstance(event, dict):
        raise ProofError("event JSON must be an object")
    stated = event.get("entry_hash")
    if not isinstance(stated, str) or not _HEX64.fullmatch(stated):
        raise ProofError("event has no entry_hash of 64 lowercase hex digits")
    entry_hash = bytes.fromhex(stated)
    if entry_hash_of is not None:
        recomputed = entry_hash_of(event)
        if isinstance(recomputed, str):
            recomputed = bytes.fromhex(recomputed)
        if recomputed != entry_hash:
            raise ProofError("event content does not match its entry_hash")
    return entry_hash


def event_leaf_hash(event_json_text: str) -> bytes:
    """Merkle leaf hash of a stored event: SHA-256(0x00 || its 32-byte ``entry_hash``)."""
    return entry_leaf(_event_entry_hash(event_json_text, None))


def verify_event_proof(
    event_json_text: str,
    proof_json: str | Mapping[str, Any],
    checkpoint_text: str,
    verifier_key: str,
    *,
    origin: str | None = None,
    entry_hash_of: EntryHashFn | None = None,
) -> None:
    """Verify that an event is in the log as committed to by a signed checkpoint.

    Returns ``None`` when everything holds. Raises :class:`~audit.errors.CheckpointError`
    when the checkpoint is malformed or not signed by ``verifier_key`` (or is for another
    ``origin``), :class:`~audit.errors.ProofError` when the event or proof is malformed, the
    proof is for another tree size, or inclusion does not verify.
    """
    leaf = entry_leaf(_event_entry_hash(event_json_text, entry_hash_of))
    checkpoint: Checkpoint = verify_checkpoint(checkpoint_text, verifier_key, origin=origin)
    proof = InclusionProof.from_json(proof_json)
    if proof.tree_size != checkpoint.size:
        raise ProofError(
            f"proof is for tree size {proof.tree_size}, checkpoint is for {checkpoint.size}"
        )
    proof.verify(leaf, checkpoint.root)
