"""Signed checkpoints (C2SP signed note + tlog-checkpoint body, Ed25519).

The note format is pinned to the known answer of ``golang.org/x/mod/sumdb/note`` (the
PeterNeumann key and signed note from its documentation and tests): Ed25519 is
deterministic, so signing the same text with the same key must give the same bytes.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.checkpoint import (
    Checkpoint,
    generate_key,
    key_id,
    key_name,
    open_note,
    parse_checkpoint,
    sign_checkpoint,
    sign_note,
    verifier_key_from_signer,
    verify_checkpoint,
)
from audit.errors import AuditError, CheckpointError, CheckpointOriginError

# golang.org/x/mod/sumdb/note (note.go documentation, note_test.go).
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT
    + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqd"
    "ngotpRZb6KE6RyyBwJnAM=\n"
)

ORIGIN = "claims.example.com/audit"
ROOT = hashlib.sha256(b"some root").digest()
SIGNER, VERIFIER = generate_key(ORIGIN)


# ---------------------------------------------------------------------------------------------
# Known answers
# ---------------------------------------------------------------------------------------------


def test_sign_note_reproduces_the_go_known_answer() -> None:
    assert sign_note(GO_TEXT, GO_SIGNER) == GO_NOTE


def test_open_note_accepts_the_go_known_answer() -> None:
    assert open_note(GO_NOTE, GO_VERIFIER) == GO_TEXT


def test_verifier_key_exported_from_the_go_signer_key() -> None:
    assert verifier_key_from_signer(GO_SIGNER) == GO_VERIFIER


def test_key_id_is_truncated_sha256_of_name_newline_type_and_key() -> None:
    pub = base64.b64decode(GO_VERIFIER.split("+", 2)[2])[1:]
    assert key_id("PeterNeumann", pub) == 0xC74F20A3
    expected = hashlib.sha256(b"PeterNeumann\n\x01" + pub).digest()[:4]
    assert key_id("PeterNeumann", pub).to_bytes(4, "big") == expected


def test_go_note_rejects_a_changed_text() -> None:
    with pytest.raises(CheckpointError, match="does not verify"):
        open_note(GO_NOTE.replace("cryptography", "cryptographY"), GO_VERIFIER)


# ---------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------


def test_generate_key_formats() -> None:
    signer, verifier = generate_key("example.com/log")
    assert signer.startswith("PRIVATE+KEY+example.com/log+")
    name, kid, material = verifier.split("+", 2)
    assert name == "example.com/log"
    assert len(kid) == 8 and kid == kid.lower()
    raw = base64.b64decode(material)
    assert len(raw) == 33 and raw[0] == 0x01
    assert int(kid, 16) == key_id(name, raw[1:])
    assert verifier_key_from_signer(signer) == verifier
    assert generate_key("example.com/log") != (signer, verifier)


@pytest.mark.parametrize("name", ["", "a+b", "a b", "tab\there", "nl\n", "nbsp\u00a0x"])
def test_key_names_are_validated(name: str) -> None:
    with pytest.raises(CheckpointError, match="key name"):
        generate_key(name)


def _replace_id(key: str, new_id: str) -> str:
    parts = key.split("+")
    prefix = 2 if key.startswith("PRIVATE+KEY+") else 0
    parts[prefix + 1] = new_id
    return "+".join(parts)


@pytest.mark.parametrize(
    ("key", "match"),
    [
        ("", "not of the form"),
        ("PeterNeumann+c74f20a3", "not of the form"),
        (GO_VERIFIER.replace("c74f20a3", "c74f20a4"), "does not match"),
        (GO_VERIFIER.replace("c74f20a3", "C74F20A3"), "8 lowercase hex"),
        (GO_VERIFIER.replace("c74f20a3", "c74f20a"), "8 lowercase hex"),
        (GO_VERIFIER.replace("ARpc", "Apc"), "base64"),
        (GO_VERIFIER.replace("+ARpc", "+Apc2"), "base64|Ed25519"),
        (GO_VERIFIER[:-1], "base64"),
        ("PeterNeumann+c74f20a3+" + base64.b64encode(b"\x02" + b"\0" * 32).decode(), "type 0x01"),
        ("PeterNeumann+c74f20a3+" + base64.b64encode(b"\x01" + b"\0" * 31).decode(), "type 0x01"),
        (GO_SIGNER, "secret signer key"),  # a signer key is not a verifier key
    ],
)
def test_malformed_verifier_keys(key: str, match: str) -> None:
    with pytest.raises(CheckpointError, match=match):
        open_note(GO_NOTE, key)


@pytest.mark.parametrize(
    ("key", "match"),
    [
        (GO_VERIFIER, "PRIVATE\\+KEY"),
        ("PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", "match"),
        ("PRIVATE+KEY+Other+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", "match"),
        ("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr", "Ed25519"),
    ],
)
def test_malformed_signer_keys(key: str, match: str) -> None:
    with pytest.raises(CheckpointError, match=match):
        sign_note(GO_TEXT, key)


# ---------------------------------------------------------------------------------------------
# Checkpoints: round trip and exact format
# ---------------------------------------------------------------------------------------------


def test_round_trip() -> None:
    text = sign_checkpoint(ORIGIN, 100_000, ROOT, SIGNER)
    assert verify_checkpoint(text, VERIFIER) == Checkpoint(ORIGIN, 100_000, ROOT)
    assert verify_checkpoint(text, VERIFIER, origin=ORIGIN).size == 100_000
    assert parse_checkpoint(text) == Checkpoint(ORIGIN, 100_000, ROOT)


def test_exact_format() -> None:
    text = sign_checkpoint(ORIGIN, 7, ROOT, SIGNER)
    body, blank, signature, end = text.split("\n")[:3], *text.split("\n")[3:5], text[-1]
    assert body == [ORIGIN, "7", base64.b64encode(ROOT).decode()]
    assert blank == ""
    assert end == "\n"
    name, kid = VERIFIER.split("+")[:2]
    assert signature.startswith(f"— {name} ")
    raw = base64.b64decode(signature.rsplit(" ", 1)[1])
    assert len(raw) == 4 + 64
    assert raw[:4].hex() == kid
    assert text == Checkpoint(ORIGIN, 7, ROOT).body() + "\n" + signature + "\n"


def test_empty_tree_checkpoint() -> None:
    empty = hashlib.sha256(b"").digest()
    text = sign_checkpoint(ORIGIN, 0, empty, SIGNER)
    assert verify_checkpoint(text, VERIFIER) == Checkpoint(ORIGIN, 0, empty)


@pytest.mark.parametrize(
    ("origin", "size", "root"),
    [
        ("", 1, ROOT),
        ("a\nb", 1, ROOT),
        (" padded", 1, ROOT),
        (ORIGIN, -1, ROOT),
        (ORIGIN, True, ROOT),
        (ORIGIN, 2**63, ROOT),
        (ORIGIN, 1, ROOT[:31]),
        (ORIGIN, 1, ROOT.hex()),
    ],
)
def test_sign_checkpoint_rejects_bad_fields(origin: str, size: int, root: bytes) -> None:
    with pytest.raises(CheckpointError):
        sign_checkpoint(origin, size, root, SIGNER)


@settings(max_examples=25)
@given(
    st.text(
        alphabet=st.characters(
            min_codepoint=0x21,
            exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"),
            exclude_characters="+",
        ),
        min_size=1,
        max_size=30,
    ),
    st.integers(0, 2**63 - 1),
    st.binary(min_size=32, max_size=32),
)
def test_round_trip_property(origin: str, size: int, root: bytes) -> None:
    signer, verifier = generate_key(origin)
    text = sign_checkpoint(origin, size, root, signer)
    assert verify_checkpoint(text, verifier) == Checkpoint(origin, size, root)


def test_a_key_named_for_another_log_does_not_sign() -> None:
    with pytest.raises(CheckpointOriginError, match="with a key named") as caught:
        sign_checkpoint("claims.example.com/other", 1, ROOT, SIGNER)
    assert (caught.value.origin, caught.value.expected) == ("claims.example.com/other", ORIGIN)


def test_a_checkpoint_of_another_origin_needs_that_origin_asked_for() -> None:
    # Signed by our key as a raw note (sign_checkpoint refuses): a verifier pinned to the
    # key's name must not take it for a checkpoint of our log.
    note = sign_note(Checkpoint("claims.example.com/other", 1, ROOT).body(), SIGNER)
    with pytest.raises(CheckpointOriginError, match="verifier key's name"):
        verify_checkpoint(note, VERIFIER)
    assert verify_checkpoint(note, VERIFIER, origin="claims.example.com/other").size == 1


def test_a_seed_gives_the_same_key_every_time() -> None:
    seed = bytes(range(32))
    assert generate_key(ORIGIN, seed=seed) == generate_key(ORIGIN, seed=seed)
    assert generate_key(ORIGIN, seed=seed) != generate_key(ORIGIN, seed=bytes(32))
    with pytest.raises(CheckpointError, match="32 bytes"):
        generate_key(ORIGIN, seed=b"short")


def test_key_name_of_either_half() -> None:
    assert key_name(SIGNER) == key_name(VERIFIER) == ORIGIN
    assert key_name(GO_SIGNER) == key_name(GO_VERIFIER) == "PeterNeumann"
    with pytest.raises(CheckpointError):
        key_name("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")


# ---------------------------------------------------------------------------------------------
# Checkpoints: everything tampered is rejected
# ---------------------------------------------------------------------------------------------

GOOD = sign_checkpoint(ORIGIN, 1000, ROOT, SIGNER)
GOOD_ROOT_B64 = base64.b64encode(ROOT).decode()
OTHER_ROOT_B64 = base64.b64encode(hashlib.sha256(b"other").digest()).decode()


def _sig_line(note: str) -> str:
    return note.rstrip("\n").rsplit("\n", 1)[1]


@pytest.mark.parametrize(
    ("tampered", "match"),
    [
        (GOOD.replace("\n1000\n", "\n1001\n"), "does not verify"),
        (GOOD.replace("\n1000\n", "\n2000\n"), "does not verify"),
        (GOOD.replace("\n1000\n", "\n500\n"), "does not verify"),
        (GOOD.replace(GOOD_ROOT_B64, OTHER_ROOT_B64), "does not verify"),
        (GOOD.replace(ORIGIN + "\n", "claims.example.com/other\n", 1), "does not verify"),
        # Non-canonical or malformed body fields are caught before the signature.
        (GOOD.replace("\n1000\n", "\n01000\n"), "does not verify|canonical decimal"),
        (GOOD.replace("\n1000\n", "\n+1000\n"), "does not verify|canonical decimal"),
        # Truncated, extended or corrupted signatures.
        (GOOD[:-6] + "\n", "base64|64-byte"),
        (GOOD[:-10] + "AAAA\n", "base64|does not verify|64-byte"),
        (GOOD.replace(_sig_line(GOOD), _sig_line(GOOD)[:-8]), "base64|64-byte"),
        # Structure.
        (GOOD.rstrip("\n"), "end in a newline"),
        (GOOD.replace("\n\n", "\n"), "no blank line"),
        (GOOD.split("\n\n")[0] + "\n\n", "no signatures"),
        (GOOD.replace("\n", "\r\n"), "control character"),
        (GOOD.replace("— ", "- "), "does not start with"),
        (GOOD.replace("— ", "—"), "does not start with|key name"),
        (GOOD + _sig_line(GOOD) + "\n", "duplicate signature"),
        ("", "end in a newline"),
    ],
    ids=lambda v: v if len(v) < 40 else None,
)
def test_tampered_checkpoints_are_rejected(tampered: str, match: str) -> None:
    assert tampered != GOOD
    with pytest.raises(CheckpointError, match=match):
        verify_checkpoint(tampered, VERIFIER)


def test_every_single_character_change_of_the_body_is_rejected() -> None:
    body_end = GOOD.index("\n\n")
    for i in range(body_end):
        ch = GOOD[i]
        if ch == "\n":
            continue
        replacement = "A" if ch != "A" else "B"
        with pytest.raises(CheckpointError):
            verify_checkpoint(GOOD[:i] + replacement + GOOD[i + 1 :], VERIFIER)


def test_other_key_is_rejected() -> None:
    other_signer, other_verifier = generate_key(ORIGIN)  # same name, other key, other ID
    forged = sign_checkpoint(ORIGIN, 1000, ROOT, other_signer)
    with pytest.raises(CheckpointError, match="no signature by key"):
        verify_checkpoint(forged, VERIFIER)
    with pytest.raises(CheckpointError, match="no signature by key"):
        verify_checkpoint(GOOD, other_verifier)


def test_same_name_and_id_but_wrong_signature_is_rejected() -> None:
    # A signature line claiming our key's name and ID, made by another key.
    other_signer, _ = generate_key("someone.else")
    forged_line = _sig_line(sign_note(Checkpoint(ORIGIN, 1000, ROOT).body(), other_signer))
    forged_raw = base64.b64decode(forged_line.rsplit(" ", 1)[1])
    our_name, our_id = VERIFIER.split("+")[:2]
    blob = base64.b64encode(bytes.fromhex(our_id) + forged_raw[4:]).decode()
    forged = GOOD.split("\n\n")[0] + f"\n\n— {our_name} {blob}\n"
    with pytest.raises(CheckpointError, match="does not verify"):
        verify_checkpoint(forged, VERIFIER)


def test_wrong_key_name_is_rejected() -> None:
    _, blob = _sig_line(GOOD)[2:].split(" ")
    renamed = GOOD.replace(_sig_line(GOOD), f"— other.example/log {blob}")
    with pytest.raises(CheckpointError, match="no signature by key"):
        verify_checkpoint(renamed, VERIFIER)


def test_signatures_of_other_keys_are_ignored_but_ours_must_verify() -> None:
    witness_signer, witness_verifier = generate_key("witness.example/w1")
    cosigned = sign_note(GOOD.split("\n\n")[0] + "\n", witness_signer)
    both = GOOD + _sig_line(cosigned) + "\n"
    assert verify_checkpoint(both, VERIFIER).size == 1000
    assert verify_checkpoint(both, witness_verifier, origin=ORIGIN).size == 1000
    # A bad signature by our key is fatal even next to a good one by another key.
    bad_ours = both.replace(_sig_line(GOOD), _sig_line(GOOD)[:-6] + "AAAA==")
    with pytest.raises(CheckpointError):
        verify_checkpoint(bad_ours, VERIFIER)


def test_too_many_signatures_are_rejected() -> None:
    lines = "".join(f"— k{i} AAAAAAA=\n" for i in range(101))
    with pytest.raises(CheckpointError, match="more than 100"):
        verify_checkpoint(GOOD + lines, VERIFIER)


def test_origin_must_match_when_expected() -> None:
    with pytest.raises(CheckpointError, match=r"expected 'claims\.example\.com/other'"):
        verify_checkpoint(GOOD, VERIFIER, origin="claims.example.com/other")


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (f"{ORIGIN}\n1000\n{GOOD_ROOT_B64}\nextension line\n", "exactly 3 lines"),
        (f"{ORIGIN}\n1000\n", "exactly 3 lines"),
        (f"{ORIGIN}\n1000\n{GOOD_ROOT_B64}\n\n", "exactly 3 lines"),
        (f"\n1000\n{GOOD_ROOT_B64}\n", "origin"),
        (f"{ORIGIN}\n01000\n{GOOD_ROOT_B64}\n", "canonical decimal"),
        (f"{ORIGIN}\n-1\n{GOOD_ROOT_B64}\n", "canonical decimal"),
        (f"{ORIGIN}\n1e3\n{GOOD_ROOT_B64}\n", "canonical decimal"),
        (f"{ORIGIN}\n １\n{GOOD_ROOT_B64}\n", "canonical decimal"),
        (f"{ORIGIN}\n{2**63}\n{GOOD_ROOT_B64}\n", "out of range"),
        (f"{ORIGIN}\n1000\n{ROOT.hex()}\n", "32 bytes|base64"),
        (f"{ORIGIN}\n1000\n{GOOD_ROOT_B64.rstrip('=')}\n", "base64"),
        (f"{ORIGIN}\n1000\n{base64.b64encode(ROOT[:31]).decode()}\n", "32 bytes"),
        (f"{ORIGIN}\n1000\n{GOOD_ROOT_B64[:-2]}B=\n", "canonical base64|base64"),
    ],
)
def test_validly_signed_but_malformed_bodies_are_rejected(body: str, match: str) -> None:
    note = sign_note(body, SIGNER)
    open_note(note, VERIFIER)  # the signature itself is fine
    with pytest.raises(CheckpointError, match=match):
        verify_checkpoint(note, VERIFIER)
    with pytest.raises(CheckpointError, match=match):
        parse_checkpoint(note)


def test_checkpoint_errors_are_audit_errors() -> None:
    with pytest.raises(AuditError):
        verify_checkpoint("garbage\n", VERIFIER)
