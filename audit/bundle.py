"""The export bundle: one claim's events with their proofs, verifiable without the database.

A bundle is a JSON object::

    {"format": "claims-audit-export/1", "claim_id": "...", "origin": "...",
     "verifier_key": "<the log's public key, for reference only>",
     "checkpoint": "<signed checkpoint note>", "tree_size": n,
     "events": [{"event": <event document>, "proof": <inclusion proof>}, ...]}

Every event document is :func:`audit.chain.event_document` and every proof an
:class:`~audit.merkle.InclusionProof` against the one signed ``checkpoint``. A member or a
regulator verifies it with :func:`verify_bundle` (``claims audit verify-proof --bundle``)
and the log's public key **obtained independently** (the key inside the bundle is only a
label: trusting it would let a forger sign their own checkpoint). Each event's hashes are
recomputed from its content, the checkpoint signature is checked, and each event's
inclusion under the checkpoint's root is verified.

DB-free, like :mod:`audit.verifier`.
"""

from __future__ import annotations

from typing import Any

from audit.canonical import JsonValue, canonical_json, parse_json
from audit.chain import entry_hash_of
from audit.checkpoint import verify_checkpoint
from audit.errors import CanonicalError, ProofError
from audit.merkle import ConsistencyProof
from audit.verifier import verify_event_proof

__all__ = [
    "BUNDLE_FORMAT",
    "CONSISTENCY_FORMAT",
    "build_bundle",
    "consistency_document",
    "parse_bundle",
    "parse_consistency_document",
    "verify_bundle",
    "verify_consistency_document",
]

BUNDLE_FORMAT = "claims-audit-export/1"
CONSISTENCY_FORMAT = "claims-audit-consistency/1"


def build_bundle(
    *,
    claim_id: str,
    origin: str,
    verifier_key: str,
    checkpoint_note: str,
    tree_size: int,
    items: list[tuple[dict[str, JsonValue], dict[str, Any]]],
) -> dict[str, Any]:
    """A bundle of ``(event document, inclusion proof dict)`` pairs (module docstring)."""
    return {
        "checkpoint": checkpoint_note,
        "claim_id": claim_id,
        "events": [{"event": event, "proof": proof} for event, proof in items],
        "format": BUNDLE_FORMAT,
        "origin": origin,
        "tree_size": tree_size,
        "verifier_key": verifier_key,
    }


def parse_bundle(text: str) -> dict[str, JsonValue]:
    """The bundle object; :class:`~audit.errors.ProofError` if it is not JSON or no bundle."""
    try:
        bundle = parse_json(text)
    except CanonicalError as exc:
        raise ProofError(f"bundle is not valid JSON: {exc}") from None
    if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT:
        raise ProofError(f"not a {BUNDLE_FORMAT} bundle")
    return bundle


def verify_bundle(text: str, verifier_key: str, *, origin: str | None = None) -> list[str]:
    """Verify every event of a bundle; returns their event ids.

    Raises :class:`~audit.errors.ProofError` (malformed bundle, changed event, bad proof) or
    :class:`~audit.errors.CheckpointError` (checkpoint not signed by ``verifier_key``).
    """
    bundle = parse_bundle(text)
    checkpoint, events = bundle.get("checkpoint"), bundle.get("events")
    if not isinstance(checkpoint, str) or not isinstance(events, list) or not events:
        raise ProofError("bundle needs a checkpoint and a non-empty list of events")
    ids: list[str] = []
    for index, item in enumerate(events):
        if not isinstance(item, dict) or not isinstance(item.get("event"), dict):
            raise ProofError(f"events[{index}] must be {{event, proof}}")
        event, proof = item["event"], item.get("proof")
        if not isinstance(proof, dict):
            raise ProofError(f"events[{index}].proof must be an object")
        assert isinstance(event, dict)
        if event.get("claim_id") != bundle.get("claim_id"):
            raise ProofError(f"events[{index}] is for another claim")
        try:
            verify_event_proof(
                canonical_json(event),
                proof,
                checkpoint,
                verifier_key,
                origin=origin,
                entry_hash_of=entry_hash_of,
            )
        except ProofError as exc:
            raise ProofError(f"events[{index}] (seq {event.get('seq')}): {exc.reason}") from None
        ids.append(str(event.get("event_id")))
    return ids


def consistency_document(
    *, proof: ConsistencyProof, first_note: str, second_note: str
) -> dict[str, Any]:
    """A consistency proof between two signed checkpoints, as one JSON object."""
    return {
        "first_checkpoint": first_note,
        "format": CONSISTENCY_FORMAT,
        "proof": proof.to_dict(),
        "second_checkpoint": second_note,
    }


def parse_consistency_document(text: str) -> tuple[ConsistencyProof, str, str]:
    """``(proof, first note, second note)`` of a consistency document; ProofError if malformed."""
    try:
        document = parse_json(text)
    except CanonicalError as exc:
        raise ProofError(f"consistency document is not valid JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != CONSISTENCY_FORMAT:
        raise ProofError(f"not a {CONSISTENCY_FORMAT} document")
    first_note, second_note = document.get("first_checkpoint"), document.get("second_checkpoint")
    if not isinstance(first_note, str) or not isinstance(second_note, str):
        raise ProofError("the document needs first_checkpoint and second_checkpoint notes")
    raw_proof = document.get("proof")
    if not isinstance(raw_proof, dict):
        raise ProofError("the document needs a proof object")
    return ConsistencyProof.from_json(raw_proof), first_note, second_note


def verify_consistency_document(
    text: str, verifier_key: str, *, origin: str | None = None
) -> tuple[int, int]:
    """Verify that the second checkpoint extends the first; returns their sizes.

    Both notes must be signed by ``verifier_key`` (for the same origin); the sizes are taken
    from the signed notes, never from the proof alone.
    """
    proof, first_note, second_note = parse_consistency_document(text)
    first = verify_checkpoint(first_note, verifier_key, origin=origin)
    second = verify_checkpoint(second_note, verifier_key, origin=first.origin)
    if (proof.first_size, proof.second_size) != (first.size, second.size):
        raise ProofError(
            f"proof is for sizes {proof.first_size}->{proof.second_size}, "
            f"the checkpoints are {first.size}->{second.size}"
        )
    proof.verify(first.root, second.root)
    return first.size, second.size
