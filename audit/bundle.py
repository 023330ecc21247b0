"""The export bundle: one claim's events with their proofs, verifiable without the database.

A bundle is a JSON object (schemas/audit-export.schema.json, docs/audit-format.md)::

    {"checkpoint": "<signed checkpoint note>", "claim_id": "...",
     "events": [{"event": <event document>, "proof": <inclusion proof>}, ...],
     "format": "claims-audit-export/2",
     "informational_verifier_key": "<the exporting log's public key: for reference only>",
     "origin": "...", "tree_size": n}

Every event document is :func:`audit.chain.event_document` and every proof an
:class:`~audit.merkle.InclusionProof` against the one signed ``checkpoint``. A member or a
regulator verifies it with :func:`verify_bundle` (``claims audit verify-proof --bundle``)
and the log's verifier key **obtained independently**: the key inside the bundle is named
informational because trusting it would let a forger sign their own checkpoint, and
:func:`verify_bundle` never reads it. Each event's hashes are recomputed from its content,
the checkpoint signature and origin are checked (the origin is the verifier key's name
unless another is given), ``origin`` and ``tree_size`` must be the signed checkpoint's, and
each event's inclusion at leaf ``seq - 1`` under the checkpoint's root is verified.

Format ``claims-audit-export/1`` (the same with ``verifier_key`` for
``informational_verifier_key``) is still read.

DB-free, like :mod:`audit.verifier`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from audit.canonical import JsonValue, canonical_json, parse_json
from audit.chain import entry_hash_of
from audit.checkpoint import verify_checkpoint
from audit.errors import CanonicalError, ProofError
from audit.merkle import ConsistencyProof, InclusionProof
from audit.verifier import verify_event_proof

__all__ = [
    "BUNDLE_FORMAT",
    "CONSISTENCY_FORMAT",
    "READABLE_FORMATS",
    "ExportBundle",
    "consistency_document",
    "parse_bundle",
    "parse_consistency_document",
    "verify_bundle",
    "verify_consistency_document",
]

BUNDLE_FORMAT = "claims-audit-export/2"
CONSISTENCY_FORMAT = "claims-audit-consistency/1"

#: Bundle formats :func:`verify_bundle` reads, with the name of their (unused) key member.
READABLE_FORMATS = {
    "claims-audit-export/1": "verifier_key",
    BUNDLE_FORMAT: "informational_verifier_key",
}


@dataclass(frozen=True, slots=True)
class ExportBundle:
    """One claim's event documents with their inclusion proofs in one signed checkpoint."""

    claim_id: str
    origin: str
    informational_verifier_key: str
    checkpoint: str
    tree_size: int
    events: tuple[tuple[dict[str, JsonValue], InclusionProof], ...]

    def to_dict(self) -> dict[str, JsonValue]:
        """The bundle as a JSON object (module docstring)."""
        return {
            "checkpoint": self.checkpoint,
            "claim_id": self.claim_id,
            "events": [{"event": event, "proof": proof.to_dict()} for event, proof in self.events],
            "format": BUNDLE_FORMAT,
            "informational_verifier_key": self.informational_verifier_key,
            "origin": self.origin,
            "tree_size": self.tree_size,
        }

    def text(self) -> str:
        """The bundle file: members sorted, two-space indentation, UTF-8, a final newline."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def parse_bundle(text: str) -> dict[str, JsonValue]:
    """The bundle object; :class:`~audit.errors.ProofError` if it is not JSON or no bundle."""
    try:
        bundle = parse_json(text)
    except CanonicalError as exc:
        raise ProofError(f"bundle is not valid JSON: {exc}") from None
    if not isinstance(bundle, dict) or bundle.get("format") not in READABLE_FORMATS:
        raise ProofError(f"not a {' or '.join(READABLE_FORMATS)} bundle")
    return bundle


def verify_bundle(text: str, verifier_key: str, *, origin: str | None = None) -> list[str]:
    """Verify every event of a bundle; returns their event ids.

    Raises :class:`~audit.errors.ProofError` (malformed bundle, changed event, bad proof,
    ``origin`` or ``tree_size`` not the checkpoint's) or :class:`~audit.errors.CheckpointError`
    (checkpoint not signed by ``verifier_key``, or for another origin than ``origin``, by
    default the key's name).
    """
    bundle = parse_bundle(text)
    checkpoint, events = bundle.get("checkpoint"), bundle.get("events")
    if not isinstance(checkpoint, str) or not isinstance(events, list) or not events:
        raise ProofError("bundle needs a checkpoint and a non-empty list of events")
    signed = verify_checkpoint(checkpoint, verifier_key, origin=origin)
    if bundle.get("origin") != signed.origin or bundle.get("tree_size") != signed.size:
        raise ProofError(
            f"bundle origin/tree_size {bundle.get('origin')!r}/{bundle.get('tree_size')!r} "
            f"are not its signed checkpoint's {signed.origin!r}/{signed.size}"
        )
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
                origin=signed.origin,
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
