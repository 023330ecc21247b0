"""Export bundles: one claim's events with proofs, verified with a key the verifier brings.

The key inside a bundle is informational: a forger who swaps it (and signs their own
checkpoint with their key) must still be rejected by a verifier holding the log's key."""

from __future__ import annotations

import json

import pytest

from audit.bundle import BUNDLE_FORMAT, verify_bundle
from audit.checkpoint import Checkpoint, generate_key, parse_checkpoint, sign_checkpoint, sign_note
from audit.errors import CheckpointError, CheckpointOriginError, ProofError
from audit.export import export_claim
from audit.store import append_event
from tests.audit.conftest import ORIGIN, SIGNER, VERIFIER, Store


def make_bundle(store: Store) -> dict[str, object]:
    for i, claim in enumerate(["CLM-A", "CLM-B", "CLM-A", "CLM-A"]):
        append_event(
            store.engine,
            event_type="decision",
            claim_id=claim,
            payload={"i": i},
            actor="test",
        )
    bundle = export_claim(store.engine, claim_id="CLM-A", config=store.config)
    return json.loads(bundle.text())


def text(bundle: dict[str, object]) -> str:
    return json.dumps(bundle, ensure_ascii=False)


def test_a_bundle_verifies_with_the_logs_key(sqlite_store: Store) -> None:
    bundle = make_bundle(sqlite_store)
    assert bundle["format"] == BUNDLE_FORMAT == "claims-audit-export/2"
    assert bundle["informational_verifier_key"] == VERIFIER
    assert "verifier_key" not in bundle
    assert (bundle["origin"], bundle["tree_size"]) == (ORIGIN, 4)
    events = bundle["events"]
    assert isinstance(events, list)
    assert [e["event"]["seq"] for e in events] == [1, 3, 4]
    assert [e["proof"]["leaf_index"] for e in events] == [0, 2, 3]
    assert len(verify_bundle(text(bundle), VERIFIER)) == 3


def test_the_embedded_key_is_never_used(sqlite_store: Store) -> None:
    bundle = make_bundle(sqlite_store)
    forger_signer, forger_verifier = generate_key(ORIGIN)
    note = str(bundle["checkpoint"])
    signed = parse_checkpoint(note)
    bundle["checkpoint"] = sign_checkpoint(ORIGIN, signed.size, signed.root, forger_signer)
    bundle["informational_verifier_key"] = forger_verifier
    with pytest.raises(CheckpointError, match="no signature by key"):
        verify_bundle(text(bundle), VERIFIER)
    # and a harmless change of the label alone changes nothing
    bundle["checkpoint"] = note
    bundle["informational_verifier_key"] = "anything at all"
    assert len(verify_bundle(text(bundle), VERIFIER)) == 3


def test_origin_and_tree_size_must_be_the_signed_checkpoints(sqlite_store: Store) -> None:
    bundle = make_bundle(sqlite_store)
    for field, value in (("origin", "claims.example/other"), ("tree_size", 5)):
        forged = dict(bundle, **{field: value})
        with pytest.raises(ProofError, match="not its signed checkpoint's"):
            verify_bundle(text(forged), VERIFIER)


def test_a_checkpoint_of_another_origin_needs_that_origin_asked_for(
    sqlite_store: Store,
) -> None:
    bundle = make_bundle(sqlite_store)
    signed = parse_checkpoint(str(bundle["checkpoint"]))
    body = Checkpoint("claims.example/other", signed.size, signed.root).body()
    bundle["checkpoint"] = sign_note(body, SIGNER)
    bundle["origin"] = "claims.example/other"
    with pytest.raises(CheckpointOriginError):
        verify_bundle(text(bundle), VERIFIER)
    assert len(verify_bundle(text(bundle), VERIFIER, origin="claims.example/other")) == 3


def test_a_changed_event_names_its_position(sqlite_store: Store) -> None:
    bundle = make_bundle(sqlite_store)
    events = bundle["events"]
    assert isinstance(events, list)
    events[1]["event"]["payload"]["i"] = 7
    with pytest.raises(ProofError, match=r"events\[1\] \(seq 3\): .*payload_hash"):
        verify_bundle(text(bundle), VERIFIER)


def test_version_1_bundles_are_still_read(sqlite_store: Store) -> None:
    bundle = make_bundle(sqlite_store)
    bundle["format"] = "claims-audit-export/1"
    bundle["verifier_key"] = bundle.pop("informational_verifier_key")
    assert len(verify_bundle(text(bundle), VERIFIER)) == 3
    bundle["format"] = "claims-audit-export/3"
    with pytest.raises(ProofError, match="not a claims-audit-export/1 or"):
        verify_bundle(text(bundle), VERIFIER)
