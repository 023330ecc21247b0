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
5. checks the proof is for the checkpoint's tree size and for the event's own position
   (``leaf_index == seq - 1``) and verifies inclusion of the leaf at that index under the
   checkpoint's root (RFC 9162 §2.1.3.2).

The checkpoint must be for the log named by the verifier key unless another ``origin`` is
given (:func:`audit.checkpoint.verify_checkpoint`). :class:`ProofFiles` reads what
``claims audit prove`` writes: ``event.json`` with ``proof.json`` and ``checkpoint.txt``, or
with ``proof.tlog-proof`` (:mod:`audit.tlog_proof`, which carries its checkpoint).

``audit/{errors,canonical,merkle,checkpoint,chain,tlog_proof,verifier}.py`` import only each other,
the standard library, ``orjson`` and ``cryptography`` (no database, no engine), so an auditor
can run them with nothing else installed. Keep it that way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from audit.canonical import JsonValue, canonical_json, parse_json
from audit.chain import entry_hash_of as chain_entry_hash_of
from audit.checkpoint import Checkpoint, parse_checkpoint, verify_checkpoint
from audit.errors import CanonicalError, ProofError
from audit.merkle import InclusionProof, entry_leaf
from audit.tlog_proof import TlogProof, is_tlog_proof

__all__ = ["ProofFiles", "event_leaf_hash", "verify_event_proof"]

_HEX64 = re.compile(r"[0-9a-f]{64}")

#: Recomputes an event's ``entry_hash`` (hex or raw bytes) from its parsed JSON object.
EntryHashFn = Callable[[dict[str, JsonValue]], "str | bytes"]


def _event_object(event_json_text: str) -> dict[str, JsonValue]:
    try:
        event = parse_json(event_json_text)
    except CanonicalError as exc:
        raise ProofError(f"event is not valid audit JSON: {exc}") from None
    if not isinstance(event, dict):
        raise ProofError("event JSON must be an object")
    return event


def _event_seq(event: dict[str, JsonValue]) -> int:
    seq = event.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise ProofError("event.seq must be a positive integer")
    return seq


def _event_entry_hash(event: dict[str, JsonValue], entry_hash_of: EntryHashFn | None) -> bytes:
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
    return entry_leaf(_event_entry_hash(_event_object(event_json_text), None))


def verify_event_proof(
    event_json_text: str,
    proof_json: str | Mapping[str, Any],
    checkpoint_text: str,
    verifier_key: str,
    *,
    origin: str | None = None,
    entry_hash_of: EntryHashFn | None = None,
) -> Checkpoint:
    """Verify that an event is in the log as committed to by a signed checkpoint.

    Returns the verified checkpoint when everything holds. Raises
    :class:`~audit.errors.CheckpointError` when the checkpoint is malformed or not signed by
    ``verifier_key`` (:class:`~audit.errors.CheckpointOriginError` when it is for another
    origin than ``origin``, by default the key's name), :class:`~audit.errors.ProofError`
    when the event or proof is malformed, the proof is for another tree size or position
    than the event's, or inclusion does not verify.
    """
    event = _event_object(event_json_text)
    leaf = entry_leaf(_event_entry_hash(event, entry_hash_of))
    seq = _event_seq(event)
    checkpoint: Checkpoint = verify_checkpoint(checkpoint_text, verifier_key, origin=origin)
    proof = InclusionProof.from_json(proof_json)
    if proof.tree_size != checkpoint.size:
        raise ProofError(
            f"proof is for tree size {proof.tree_size}, checkpoint is for {checkpoint.size}"
        )
    if proof.leaf_index != seq - 1:
        raise ProofError(
            f"proof is for leaf index {proof.leaf_index}, event seq {seq} is leaf {seq - 1}"
        )
    proof.verify(leaf, checkpoint.root)
    return checkpoint


@dataclass(frozen=True, slots=True)
class ProofFiles:
    """The files of one event's proof, parsed but not yet trusted.

    ``form`` is ``"json"`` (``event.json``, ``proof.json``, ``checkpoint.txt``) or
    ``"tlog-proof"`` (``event.json``, ``proof.tlog-proof``, whose checkpoint is inside).
    """

    event: dict[str, JsonValue]
    proof: InclusionProof
    checkpoint: str
    form: Literal["json", "tlog-proof"]

    @classmethod
    def parse(cls, event_text: str, proof_text: str, checkpoint_text: str | None) -> ProofFiles:
        """Parse the files; ProofError, CanonicalError or CheckpointError if one is malformed.

        The form is told by the proof's content, not its file name.
        """
        event = parse_json(event_text)
        if not isinstance(event, dict):
            raise ProofError("the event file must hold a JSON object")
        if is_tlog_proof(proof_text):
            if checkpoint_text is not None:
                raise ProofError("a tlog-proof carries its checkpoint: give no checkpoint file")
            tlog = TlogProof.parse(proof_text)
            size = parse_checkpoint(tlog.checkpoint).size
            return cls(event, tlog.inclusion_proof(size), tlog.checkpoint, "tlog-proof")
        if checkpoint_text is None:
            raise ProofError("a JSON proof needs the checkpoint file it is against")
        proof = InclusionProof.from_json(proof_text)
        parse_checkpoint(checkpoint_text)
        return cls(event, proof, checkpoint_text, "json")

    def verify(self, verifier_key: str, *, origin: str | None = None) -> Checkpoint:
        """:func:`verify_event_proof` of these files, the event's hashes recomputed from its
        content (:func:`audit.chain.entry_hash_of`); returns the verified checkpoint."""
        return verify_event_proof(
            canonical_json(self.event),
            self.proof.to_dict(),
            self.checkpoint,
            verifier_key,
            origin=origin,
            entry_hash_of=chain_entry_hash_of,
        )
