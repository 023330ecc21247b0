"""The standalone verifier: event JSON + inclusion proof + signed checkpoint + public key."""

from __future__ import annotations

import hashlib
import json

import pytest

from audit.canonical import JsonValue, canonical_json, sha256_hex
from audit.checkpoint import (
    Checkpoint,
    generate_key,
    sign_checkpoint,
    sign_note,
    verify_checkpoint,
)
from audit.errors import CheckpointError, CheckpointOriginError, ProofError
from audit.merkle import (
    ConsistencyProof,
    InclusionProof,
    MerkleTree,
    consistency_proof,
    entry_leaf,
    inclusion_proof,
)
from audit.verifier import event_leaf_hash, verify_event_proof

ORIGIN = "claims.example.com/audit"
SIGNER, VERIFIER = generate_key(ORIGIN)
GENESIS = "0" * 64


def entry_hash_of(event: dict[str, JsonValue]) -> str:
    """A stand-in for the chain's hash: SHA-256 of the canonical event without entry_hash."""
    body = {k: v for k, v in event.items() if k != "entry_hash"}
    return sha256_hex(canonical_json(body))


def make_log(n: int) -> list[str]:
    events: list[str] = []
    prev = GENESIS
    for seq in range(n):
        event: dict[str, JsonValue] = {
            "seq": seq + 1,
            "kind": "decision",
            "prev_hash": prev,
            "payload": {"claim_id": f"CLM-{seq:04d}", "payable": f"{seq * 10}.50", "名": "理赔"},
        }
        event["entry_hash"] = entry_hash_of(event)
        prev = str(event["entry_hash"])
        events.append(canonical_json(event))
    return events


EVENTS = make_log(13)
TREE = MerkleTree(event_leaf_hash(e) for e in EVENTS)
CHECKPOINT_13 = sign_checkpoint(ORIGIN, 13, TREE.root(13), SIGNER)
CHECKPOINT_7 = sign_checkpoint(ORIGIN, 7, TREE.root(7), SIGNER)


def proof_json(index: int, size: int = 13) -> str:
    return InclusionProof(index, size, tuple(inclusion_proof(index, size, TREE))).to_json()


def test_leaf_is_the_raw_entry_hash_leaf_hashed() -> None:
    event = json.loads(EVENTS[3])
    raw = bytes.fromhex(event["entry_hash"])
    assert event_leaf_hash(EVENTS[3]) == hashlib.sha256(b"\x00" + raw).digest() == entry_leaf(raw)


@pytest.mark.parametrize("index", range(13))
def test_every_event_verifies(index: int) -> None:
    verify_event_proof(EVENTS[index], proof_json(index), CHECKPOINT_13, VERIFIER)
    verify_event_proof(
        EVENTS[index],
        json.loads(proof_json(index)),
        CHECKPOINT_13,
        VERIFIER,
        origin=ORIGIN,
        entry_hash_of=entry_hash_of,
    )


def test_events_verify_in_older_checkpoints_too() -> None:
    for index in range(7):
        verify_event_proof(EVENTS[index], proof_json(index, 7), CHECKPOINT_7, VERIFIER)


def test_changed_event_body_is_caught_with_the_chain_hash_function() -> None:
    tampered = EVENTS[4].replace('"40.50"', '"4000.50"')
    assert tampered != EVENTS[4]
    with pytest.raises(ProofError, match="does not match its entry_hash"):
        verify_event_proof(
            tampered, proof_json(4), CHECKPOINT_13, VERIFIER, entry_hash_of=entry_hash_of
        )
    # Without it only the stated entry_hash is checked (documented limitation).
    verify_event_proof(tampered, proof_json(4), CHECKPOINT_13, VERIFIER)


def test_changed_entry_hash_is_rejected() -> None:
    event = json.loads(EVENTS[4])
    event["entry_hash"] = hashlib.sha256(b"forged").hexdigest()
    with pytest.raises(ProofError, match="does not match the expected root"):
        verify_event_proof(canonical_json(event), proof_json(4), CHECKPOINT_13, VERIFIER)


@pytest.mark.parametrize(("event", "proof"), [(4, 5), (5, 4), (0, 12), (12, 0)])
def test_proof_of_another_event_is_rejected(event: int, proof: int) -> None:
    with pytest.raises(ProofError):
        verify_event_proof(EVENTS[event], proof_json(proof), CHECKPOINT_13, VERIFIER)


def test_the_proof_must_be_for_the_events_own_position() -> None:
    # A valid path for leaf 4 handed with event seq 6: the event is not at that position.
    with pytest.raises(ProofError, match="leaf index 4, event seq 6 is leaf 5"):
        verify_event_proof(EVENTS[5], proof_json(4), CHECKPOINT_13, VERIFIER)


def test_the_verified_checkpoint_is_returned() -> None:
    signed = verify_event_proof(EVENTS[2], proof_json(2), CHECKPOINT_13, VERIFIER)
    assert (signed.origin, signed.size, signed.root) == (ORIGIN, 13, TREE.root(13))


def test_the_origin_is_pinned_to_the_key_name_unless_given() -> None:
    # The log's own key, but a note for another origin (made without sign_checkpoint, which
    # refuses): accepted only when that origin is asked for explicitly.
    other = sign_note(Checkpoint("other.example/log", 13, TREE.root(13)).body(), SIGNER)
    with pytest.raises(CheckpointOriginError, match="the verifier key's name") as caught:
        verify_event_proof(EVENTS[0], proof_json(0), other, VERIFIER)
    assert (caught.value.origin, caught.value.expected) == ("other.example/log", ORIGIN)
    verify_event_proof(EVENTS[0], proof_json(0), other, VERIFIER, origin="other.example/log")


def test_swapped_checkpoints_are_rejected() -> None:
    with pytest.raises(ProofError, match="tree size 7, checkpoint is for 13"):
        verify_event_proof(EVENTS[3], proof_json(3, 7), CHECKPOINT_13, VERIFIER)
    with pytest.raises(ProofError, match="tree size 13, checkpoint is for 7"):
        verify_event_proof(EVENTS[3], proof_json(3, 13), CHECKPOINT_7, VERIFIER)
    # Proof claiming the checkpoint's size but built for another: rejected by the hashes.
    wrong = InclusionProof(3, 13, tuple(inclusion_proof(3, 7, TREE))).to_json()
    with pytest.raises(ProofError):
        verify_event_proof(EVENTS[3], wrong, CHECKPOINT_13, VERIFIER)


def test_checkpoint_consistency_between_signed_checkpoints() -> None:
    old = verify_checkpoint(CHECKPOINT_7, VERIFIER)
    new = verify_checkpoint(CHECKPOINT_13, VERIFIER)
    proof = ConsistencyProof(7, 13, tuple(consistency_proof(7, 13, TREE)))
    proof = ConsistencyProof.from_json(proof.to_json())
    proof.verify(old.root, new.root)
    with pytest.raises(ProofError):
        proof.verify(new.root, old.root)
    with pytest.raises(ProofError):
        ConsistencyProof(13, 7, proof.hashes).verify(new.root, old.root)


def test_checkpoint_problems_are_checkpoint_errors() -> None:
    _, other_verifier = generate_key(ORIGIN)
    with pytest.raises(CheckpointError, match="no signature by key"):
        verify_event_proof(EVENTS[0], proof_json(0), CHECKPOINT_13, other_verifier)
    with pytest.raises(CheckpointError, match="expected"):
        verify_event_proof(EVENTS[0], proof_json(0), CHECKPOINT_13, VERIFIER, origin="x/y")
    forged = CHECKPOINT_13.replace("\n13\n", "\n12\n")
    with pytest.raises(CheckpointError, match="does not verify"):
        verify_event_proof(EVENTS[0], proof_json(0), forged, VERIFIER)


@pytest.mark.parametrize(
    ("event", "match"),
    [
        ("[]", "must be an object"),
        ("{", "not valid audit JSON"),
        ('{"entry_hash": 1.5}', "not valid audit JSON"),
        ('{"seq": 1}', "no entry_hash"),
        ('{"entry_hash": "' + "AB" * 32 + '"}', "no entry_hash"),
        ('{"entry_hash": "' + "ab" * 31 + '"}', "no entry_hash"),
        ('{"entry_hash": "x", "entry_hash": "y"}', "duplicate"),
    ],
)
def test_malformed_events_are_rejected(event: str, match: str) -> None:
    with pytest.raises(ProofError, match=match):
        verify_event_proof(event, proof_json(0), CHECKPOINT_13, VERIFIER)


@pytest.mark.parametrize(
    "proof",
    [
        "",
        "{}",
        '{"leaf_index": 0, "tree_size": 13}',
        '{"leaf_index": 0, "tree_size": 13, "hashes": ["00"]}',
    ],
)
def test_malformed_proofs_are_rejected(proof: str) -> None:
    with pytest.raises(ProofError):
        verify_event_proof(EVENTS[0], proof, CHECKPOINT_13, VERIFIER)
