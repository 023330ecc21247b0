"""C2SP tlog-proof files: exact text, strict parsing, and verification of the project's own
proofs in that form (``event.json`` + ``proof.tlog-proof``)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.checkpoint import Checkpoint, sign_checkpoint, sign_note
from audit.checkpoints import create_checkpoint, inclusion_proof_for
from audit.errors import CheckpointError, CheckpointOriginError, ProofError
from audit.store import append_event
from audit.tlog_proof import HEADER, TlogProof, is_tlog_proof
from audit.verifier import ProofFiles
from tests.audit.conftest import ORIGIN, SIGNER, VERIFIER, Store

H1 = hashlib.sha256(b"one").digest()
H2 = hashlib.sha256(b"two").digest()
NOTE = sign_checkpoint(ORIGIN, 5, hashlib.sha256(b"root").digest(), SIGNER)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def padding_bits_set(encoded: str) -> str:
    """The same bytes with the unused low bits of the last character set (non-canonical)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = alphabet.index(encoded[-2])
    return encoded[:-2] + alphabet[last | 0b11] + "="


def test_exact_text() -> None:
    text = TlogProof(4, (H1, H2), NOTE).text()
    assert text == f"c2sp.org/tlog-proof@v1\nindex 4\n{b64(H1)}\n{b64(H2)}\n\n{NOTE}"
    assert TlogProof(0, (), NOTE).text() == f"c2sp.org/tlog-proof@v1\nindex 0\n\n{NOTE}"
    assert is_tlog_proof(text) and not is_tlog_proof('{"hashes": []}')


def test_extra_data_is_read_but_never_needed() -> None:
    text = f"{HEADER}\nextra {b64(b'context')}\nindex 4\n{b64(H1)}\n\n{NOTE}"
    parsed = TlogProof.parse(text)
    assert parsed == TlogProof(4, (H1,), NOTE, b"context")
    assert parsed.text() == text


@settings(max_examples=50)
@given(
    st.integers(0, 2**63 - 1),
    st.lists(st.binary(min_size=32, max_size=32), max_size=63),
    st.none() | st.binary(max_size=40),
)
def test_round_trip_property(index: int, hashes: list[bytes], extra: bytes | None) -> None:
    proof = TlogProof(index, tuple(hashes), NOTE, extra)
    assert TlogProof.parse(proof.text()) == proof


# The malformed inputs, written apart from the parser.
MALFORMED = [
    ("", "starts with the line"),
    (f"c2sp.org/tlog-proof@v2\nindex 0\n\n{NOTE}", "starts with the line"),
    (f"{HEADER}\nindex 0\n", "no empty line"),
    (f"{HEADER}\nindex 0\n\n", "no empty line"),
    (f"{HEADER}\n{b64(H1)}\n\n{NOTE}", "needs an 'index N' line"),
    (f"{HEADER}\nindex 01\n\n{NOTE}", "canonical decimal"),
    (f"{HEADER}\nindex -1\n\n{NOTE}", "canonical decimal"),
    (f"{HEADER}\nindex 1e3\n\n{NOTE}", "canonical decimal"),
    (f"{HEADER}\nindex  1\n\n{NOTE}", "canonical decimal"),
    (f"{HEADER}\nindex {2**63}\n\n{NOTE}", "canonical decimal"),
    (f"{HEADER}\nindex 1\n{H1.hex()}\n\n{NOTE}", "base64|32 bytes"),
    (f"{HEADER}\nindex 1\n{b64(H1[:31])}\n\n{NOTE}", "not 32 bytes"),
    (f"{HEADER}\nindex 1\n{b64(H1)[:-1]}\n\n{NOTE}", "base64"),
    (f"{HEADER}\nindex 1\n{padding_bits_set(b64(H1))}\n\n{NOTE}", "canonical base64"),
    (f"{HEADER}\nindex 1\n {b64(H1)}\n\n{NOTE}", "base64"),
    (f"{HEADER}\nextra !!\nindex 1\n\n{NOTE}", "extra data is not valid base64"),
    (f"{HEADER}\nindex 1\n" + f"{b64(H1)}\n" * 64 + f"\n{NOTE}", "more than 63"),
]


@pytest.mark.parametrize(("text", "match"), MALFORMED)
def test_malformed_proofs_are_rejected(text: str, match: str) -> None:
    with pytest.raises(ProofError, match=match):
        TlogProof.parse(text)


def make_proofs(store: Store, n: int) -> list[dict[str, str]]:
    ids = [
        append_event(
            store.engine,
            event_type="decision",
            claim_id=f"CLM-{i}",
            payload={"i": i, "名": "理赔"},
            actor="test",
        ).event_id
        for i in range(n)
    ]
    create_checkpoint(store.engine, config=store.config)
    return [p.files() for p in inclusion_proof_for(store.engine, event_ids=ids)]


def test_the_projects_proofs_verify_in_both_forms(sqlite_store: Store) -> None:
    for seq, files in enumerate(make_proofs(sqlite_store, 5), start=1):
        tlog = TlogProof.parse(files["proof.tlog-proof"])
        assert tlog.checkpoint == files["checkpoint.txt"]
        assert tlog.index == seq - 1
        as_tlog = ProofFiles.parse(files["event.json"], files["proof.tlog-proof"], None)
        as_json = ProofFiles.parse(
            files["event.json"], files["proof.json"], files["checkpoint.txt"]
        )
        assert (as_tlog.form, as_json.form) == ("tlog-proof", "json")
        assert as_tlog.proof == as_json.proof
        assert as_tlog.verify(VERIFIER) == as_json.verify(VERIFIER)
        assert as_tlog.verify(VERIFIER).size == 5


def test_a_changed_index_or_hash_does_not_verify(sqlite_store: Store) -> None:
    files = make_proofs(sqlite_store, 5)[2]
    tlog = TlogProof.parse(files["proof.tlog-proof"])
    moved = TlogProof(3, tlog.hashes, tlog.checkpoint).text()
    with pytest.raises(ProofError, match="leaf index 3, event seq 3 is leaf 2"):
        ProofFiles.parse(files["event.json"], moved, None).verify(VERIFIER)
    flipped = bytes([tlog.hashes[0][0] ^ 1]) + tlog.hashes[0][1:]
    changed = TlogProof(2, (flipped, *tlog.hashes[1:]), tlog.checkpoint).text()
    with pytest.raises(ProofError, match="does not match the expected root"):
        ProofFiles.parse(files["event.json"], changed, None).verify(VERIFIER)


def test_the_embedded_checkpoint_is_verified_like_a_separate_one(sqlite_store: Store) -> None:
    files = make_proofs(sqlite_store, 3)[0]
    tlog = TlogProof.parse(files["proof.tlog-proof"])
    resized = tlog.checkpoint.replace("\n3\n", "\n4\n", 1)
    with pytest.raises(CheckpointError, match="does not verify"):
        ProofFiles.parse(
            files["event.json"], TlogProof(0, tlog.hashes, resized).text(), None
        ).verify(VERIFIER)
    root = base64.b64decode(tlog.checkpoint.split("\n")[2])
    elsewhere = sign_note(Checkpoint("other.example/log", 3, root).body(), SIGNER)
    other = TlogProof(0, tlog.hashes, elsewhere).text()
    with pytest.raises(CheckpointOriginError):
        ProofFiles.parse(files["event.json"], other, None).verify(VERIFIER)
    ProofFiles.parse(files["event.json"], other, None).verify(VERIFIER, origin="other.example/log")


def test_the_files_must_fit_the_proofs_form(sqlite_store: Store) -> None:
    files = make_proofs(sqlite_store, 1)[0]
    with pytest.raises(ProofError, match="carries its checkpoint"):
        ProofFiles.parse(files["event.json"], files["proof.tlog-proof"], files["checkpoint.txt"])
    with pytest.raises(ProofError, match="needs the checkpoint file"):
        ProofFiles.parse(files["event.json"], files["proof.json"], None)
    with pytest.raises(ProofError, match="JSON object"):
        ProofFiles.parse("[]", files["proof.tlog-proof"], None)
