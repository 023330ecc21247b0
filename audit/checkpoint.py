"""Signed checkpoints: C2SP tlog-checkpoint bodies in C2SP signed notes, Ed25519 keys.

A checkpoint commits to the whole audit log at one size. Its body (the note text) is::

    <origin>\\n
    <size, decimal>\\n
    <base64 of the 32-byte Merkle root>\\n

and the signed note appends a blank line and one signature line per signer::

    — <key name> <base64(4-byte key ID || 64-byte Ed25519 signature over the body)>\\n

The key ID is the first four bytes of SHA-256(key name || 0x0A || 0x01 || public key)
(C2SP signed-note, signature type 0x01 = Ed25519). Keys are text in the formats of
``golang.org/x/mod/sumdb/note``, so Go tooling (and any C2SP implementation) reads them:

- signer (secret) key:  ``PRIVATE+KEY+<name>+<8 hex key ID>+<base64(0x01 || 32-byte seed)>``
- verifier (public) key: ``<name>+<8 hex key ID>+<base64(0x01 || 32-byte public key)>``

:func:`generate_key` makes a pair; :func:`verifier_key_from_signer` exports the public half
of a stored signer key; :func:`key_name` reads (and checks) the name of either. Keeping the
signer key (settings, generated on first run) is the caller's job.

Origin and key name. tlog-checkpoint says the log's key name SHOULD match the origin; here
it must. :func:`sign_checkpoint` refuses a key whose name is not the checkpoint's origin, and
:func:`verify_checkpoint` without an explicit ``origin`` accepts only checkpoints whose origin
is the verifier key's name (:class:`~audit.errors.CheckpointOriginError` otherwise), so a
checkpoint of another log signed with the same key is never taken for one of this log.

Strictness. We only ever write checkpoints with exactly the three body lines, so
:func:`parse_checkpoint` rejects extension lines, sizes with leading zeros or signs, and
non-canonical base64. :func:`verify_checkpoint` follows the signed-note rules: signatures
by other keys (e.g. witness cosignatures) are ignored, a signature whose key name *and* ID
match the verifier key must verify, and at least one must. Any problem raises
:class:`~audit.errors.CheckpointError`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from audit.errors import CheckpointError, CheckpointOriginError

__all__ = [
    "ALG_ED25519",
    "MAX_SIGNATURES",
    "Checkpoint",
    "generate_key",
    "key_id",
    "key_name",
    "open_note",
    "parse_checkpoint",
    "sign_checkpoint",
    "sign_note",
    "verifier_key_from_signer",
    "verify_checkpoint",
]

#: Signature type byte of Ed25519 in C2SP signed notes.
ALG_ED25519 = 0x01

#: Most signature lines accepted in one note (the spec requires accepting at least 16).
MAX_SIGNATURES = 100

_ROOT_SIZE = 32
_SIG_SIZE = 64
_PRIVATE_PREFIX = "PRIVATE+KEY+"
_SIG_PREFIX = "— "
_KEY_ID_HEX = re.compile(r"[0-9a-f]{8}")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_MAX_SIZE = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The signed statement "log ``origin`` has ``size`` entries with Merkle ``root``"."""

    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        """The note text that gets signed (three lines, each ending in a newline)."""
        _check_origin(self.origin)
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise CheckpointError("checkpoint size must be an integer")
        if not 0 <= self.size <= _MAX_SIZE:
            raise CheckpointError("checkpoint size out of range")
        if not isinstance(self.root, bytes) or len(self.root) != _ROOT_SIZE:
            raise CheckpointError(f"checkpoint root must be {_ROOT_SIZE} bytes")
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode('ascii')}\n"


# ---------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------


def _check_name(name: str, what: str = "key name") -> str:
    if not isinstance(name, str) or not name:
        raise CheckpointError(f"{what} must be a non-empty string")
    if "+" in name or any(ch.isspace() for ch in name):
        raise CheckpointError(f"{what} {name!r} must not contain '+' or whitespace")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        raise CheckpointError(f"{what} {name!r} must not contain control characters")
    return name


def _check_origin(origin: str) -> str:
    if not isinstance(origin, str) or not origin:
        raise CheckpointError("checkpoint origin must be a non-empty string")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in origin):
        raise CheckpointError("checkpoint origin must not contain control characters")
    if origin != origin.strip():
        raise CheckpointError("checkpoint origin must not start or end with whitespace")
    return origin


def _b64decode_strict(text: str, what: str) -> bytes:
    """Standard base64 that must round-trip exactly (no stray padding bits, no spaces)."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise CheckpointError(f"{what} is not valid base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise CheckpointError(f"{what} is not canonical base64")
    return raw


def key_id(name: str, public_key: bytes) -> int:
    """C2SP key ID of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
    _check_name(name)
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + public_key)
    return int.from_bytes(digest.digest()[:4], "big")


@dataclass(frozen=True, slots=True)
class _Verifier:
    name: str
    key_id: int
    public_key: Ed25519PublicKey


@dataclass(frozen=True, slots=True)
class _Signer:
    name: str
    key_id: int
    private_key: Ed25519PrivateKey


def _split_key(text: str, what: str) -> tuple[str, int, bytes]:
    """``name+hexid+base64`` → (name, key id, decoded key bytes after the 0x01 type byte)."""
    parts = text.split("+", 2)  # the base64 part may itself contain '+'
    if len(parts) != 3:
        raise CheckpointError(f"{what} is not of the form name+keyid+key")
    name, id_hex, key_b64 = parts
    _check_name(name)
    if not _KEY_ID_HEX.fullmatch(id_hex):
        raise CheckpointError(f"{what} key ID is not 8 lowercase hex digits")
    raw = _b64decode_strict(key_b64, f"{what} key material")
    if len(raw) != 1 + 32 or raw[0] != ALG_ED25519:
        raise CheckpointError(f"{what} is not an Ed25519 (type 0x01) key")
    return name, int(id_hex, 16), raw[1:]


def _parse_verifier(text: str) -> _Verifier:
    if not isinstance(text, str):
        raise CheckpointError("verifier key must be text")
    if text.strip().startswith(_PRIVATE_PREFIX):
        raise CheckpointError("this is a secret signer key, not a verifier key: do not share it")
    name, kid, pub = _split_key(text.strip(), "verifier key")
    if key_id(name, pub) != kid:
        raise CheckpointError("verifier key ID does not match its name and public key")
    try:
        public_key = Ed25519PublicKey.from_public_bytes(pub)
    except ValueError:
        raise CheckpointError("verifier key is not a valid Ed25519 public key") from None
    return _Verifier(name, kid, public_key)


def _parse_signer(text: str) -> _Signer:
    if not isinstance(text, str) or not text.strip().startswith(_PRIVATE_PREFIX):
        raise CheckpointError("signer key must start with PRIVATE+KEY+")
    name, kid, seed = _split_key(text.strip()[len(_PRIVATE_PREFIX) :], "signer key")
    private_key = Ed25519PrivateKey.from_private_bytes(seed)
    if key_id(name, private_key.public_key().public_bytes_raw()) != kid:
        raise CheckpointError("signer key ID does not match its name and key")
    return _Signer(name, kid, private_key)


def _format_key(name: str, kid: int, material: bytes) -> str:
    encoded = base64.b64encode(bytes([ALG_ED25519]) + material).decode("ascii")
    return f"{name}+{kid:08x}+{encoded}"


def generate_key(name: str, *, seed: bytes | None = None) -> tuple[str, str]:
    """New Ed25519 key pair for ``name``: ``(signer_key_text, verifier_key_text)``.

    ``name`` is the signer's identity on every signature line and must be the log's origin;
    C2SP recommends a schema-less URL such as ``claims.example.com/audit``. Keep the signer
    key secret; publish the verifier key. ``seed`` (32 bytes) makes the pair reproducible:
    only for test vectors and worked examples, never for a real log.
    """
    _check_name(name)
    if seed is None:
        private_key = Ed25519PrivateKey.generate()
    elif isinstance(seed, bytes) and len(seed) == 32:
        private_key = Ed25519PrivateKey.from_private_bytes(seed)
    else:
        raise CheckpointError("a key seed must be 32 bytes")
    seed = private_key.private_bytes_raw()
    pub = private_key.public_key().public_bytes_raw()
    kid = key_id(name, pub)
    return _PRIVATE_PREFIX + _format_key(name, kid, seed), _format_key(name, kid, pub)


def key_name(key_text: str) -> str:
    """The name of a signer or verifier key, after checking the whole key."""
    if isinstance(key_text, str) and key_text.strip().startswith(_PRIVATE_PREFIX):
        return _parse_signer(key_text).name
    return _parse_verifier(key_text).name


def verifier_key_from_signer(signer_key_text: str) -> str:
    """Export the public verifier key of a signer key."""
    signer = _parse_signer(signer_key_text)
    pub = signer.private_key.public_key().public_bytes_raw()
    return _format_key(signer.name, signer.key_id, pub)


# ---------------------------------------------------------------------------------------------
# Signed notes
# ---------------------------------------------------------------------------------------------


def _check_note_chars(text: str, what: str) -> None:
    if not isinstance(text, str):
        raise CheckpointError(f"{what} must be text")
    for ch in text:
        o = ord(ch)
        if (o < 0x20 and ch != "\n") or 0xD800 <= o <= 0xDFFF:
            raise CheckpointError(f"{what} contains a control character or invalid Unicode")


def sign_note(text: str, signer_key_text: str) -> str:
    """Sign ``text`` (non-empty, ending in a newline) as a C2SP signed note."""
    _check_note_chars(text, "note text")
    if not text.endswith("\n"):
        raise CheckpointError("note text must end in a newline")
    signer = _parse_signer(signer_key_text)
    signature = signer.private_key.sign(text.encode("utf-8"))
    blob = base64.b64encode(signer.key_id.to_bytes(4, "big") + signature).decode("ascii")
    return f"{text}\n{_SIG_PREFIX}{signer.name} {blob}\n"


def _split_note(note: str) -> tuple[str, list[str]]:
    _check_note_chars(note, "signed note")
    if not note.endswith("\n"):
        raise CheckpointError("signed note must end in a newline")
    split = note.rfind("\n\n")
    if split < 0:
        raise CheckpointError("signed note has no blank line before its signatures")
    text, signatures = note[: split + 1], note[split + 2 :]
    if not signatures:
        raise CheckpointError("signed note has no signatures")
    lines = signatures[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError(f"signed note has more than {MAX_SIGNATURES} signatures")
    return text, lines


def open_note(note: str, verifier_key_text: str) -> str:
    """Verify a signed note against one verifier key and return its (now trusted) text.

    Signatures by other keys are ignored (C2SP signed-note); a signature with this key's
    name and ID must verify, and there must be one. Raises CheckpointError otherwise.
    """
    verifier = _parse_verifier(verifier_key_text)
    text, lines = _split_note(note)
    message = text.encode("utf-8")
    seen: set[tuple[str, int]] = set()
    verified = False
    for line in lines:
        if not line.startswith(_SIG_PREFIX):
            raise CheckpointError("signature line does not start with '— '")
        name, sep, blob = line[len(_SIG_PREFIX) :].partition(" ")
        if not sep:
            raise CheckpointError("signature line is not '— <name> <signature>'")
        _check_name(name, "signature key name")
        raw = _b64decode_strict(blob, "signature")
        if len(raw) < 5:
            raise CheckpointError("signature is too short to hold a key ID")
        kid = int.from_bytes(raw[:4], "big")
        if (name, kid) in seen:
            raise CheckpointError(f"duplicate signature by {name}")
        seen.add((name, kid))
        if name != verifier.name or kid != verifier.key_id:
            continue  # another key's signature (e.g. a witness): ignored, per the spec
        if len(raw) != 4 + _SIG_SIZE:
            raise CheckpointError(f"signature by {name} is not a 64-byte Ed25519 signature")
        try:
            verifier.public_key.verify(raw[4:], message)
        except InvalidSignature:
            raise CheckpointError(f"signature by {name} does not verify") from None
        verified = True
    if not verified:
        raise CheckpointError(f"note has no signature by key {verifier.name}+{verifier.key_id:08x}")
    return text


# ---------------------------------------------------------------------------------------------
# Checkpoints
# ---------------------------------------------------------------------------------------------


def _parse_body(text: str) -> Checkpoint:
    if not text.endswith("\n"):
        raise CheckpointError("checkpoint body must end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) != 3:
        raise CheckpointError(
            f"checkpoint body must have exactly 3 lines (origin, size, root), got {len(lines)}"
        )
    origin, size_text, root_text = lines
    _check_origin(origin)
    if not _DECIMAL.fullmatch(size_text):
        raise CheckpointError("checkpoint size is not a canonical decimal number")
    size = int(size_text)
    if size > _MAX_SIZE:
        raise CheckpointError("checkpoint size out of range")
    root = _b64decode_strict(root_text, "checkpoint root")
    if len(root) != _ROOT_SIZE:
        raise CheckpointError(f"checkpoint root is not {_ROOT_SIZE} bytes")
    return Checkpoint(origin, size, root)


def sign_checkpoint(origin: str, size: int, root: bytes, signer_key_text: str) -> str:
    """Signed note text of the checkpoint ``(origin, size, root)``.

    The signer key must be named ``origin`` (module docstring): a key named for another log
    is refused with :class:`~audit.errors.CheckpointOriginError`.
    """
    body = Checkpoint(origin, size, root).body()
    name = _parse_signer(signer_key_text).name
    if name != origin:
        raise CheckpointOriginError(
            origin,
            name,
            f"refusing to sign a checkpoint of origin {origin!r} with a key named "
            f"{name!r}: the log's key name must be its origin",
        )
    return sign_note(body, signer_key_text)


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a signed checkpoint **without verifying its signature**.

    For display and routing only; trust comes from :func:`verify_checkpoint`.
    """
    body, _ = _split_note(text)
    return _parse_body(body)


def verify_checkpoint(
    text: str, verifier_key_text: str, *, origin: str | None = None
) -> Checkpoint:
    """Verify a signed checkpoint against ``verifier_key_text`` and return it.

    The checkpoint must be for ``origin``, by default the verifier key's name (module
    docstring); a checkpoint of another origin raises
    :class:`~audit.errors.CheckpointOriginError`. Raises
    :class:`~audit.errors.CheckpointError` on any other problem.
    """
    expected = origin if origin is not None else _parse_verifier(verifier_key_text).name
    checkpoint = _parse_body(open_note(text, verifier_key_text))
    if checkpoint.origin != expected:
        pinned = "" if origin is not None else " (the verifier key's name)"
        raise CheckpointOriginError(
            checkpoint.origin,
            expected,
            f"checkpoint is for origin {checkpoint.origin!r}, expected {expected!r}{pinned}",
        )
    return checkpoint
