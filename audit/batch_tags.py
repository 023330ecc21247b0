"""Batch tags: every appended batch of events is authenticated with a key the database lacks.

Why
---
The hash chain and the Merkle checkpoints prove the log was not changed *under* them, but
anyone who can INSERT into ``audit_event`` (the application's own database credentials) can
compute the next ``entry_hash`` and append an event that chains perfectly, and the next
checkpoint would sign it. A batch tag closes that: it is an HMAC-SHA256, under a secret *batch
key* held by the service (settings, never the database), over the entry hashes of the events
one transaction appended. An event no valid tag covers was not written by the service.

The tag
-------
::

    message = "claims-audit-batch/v1\\n" || origin "\\n" || first_seq "\\n" || last_seq "\\n"
              || entry_hash(first_seq) "\\n" || ... || entry_hash(last_seq) "\\n"
    tag     = lowercase hex HMAC-SHA256(batch key bytes, UTF-8 message)

(sequence numbers in decimal, hashes as the 64 lowercase hex digits stored). Because every
``entry_hash`` covers its ``seq`` and ``prev_hash``, a tag pins its batch to its place in the
chain. Tags are rows of ``audit_batch_tag`` keyed by ``last_seq``; their ranges partition the
log after its *legacy prefix*.

Legacy prefix and adoption
--------------------------
A trail written before batch tags existed has events no tag covers. The events before the
first tag are the legacy prefix: verify reports them as *untagged* (not as tampered, not as
fine). ``claims audit adopt`` checks the prefix (chain, checkpoints) and writes one tag of
kind ``adoption`` over it, plus an audited ``audit.trail_adopted`` event; from then on every
event is covered. An untagged event *after* a tag is always an error.

Keys
----
``BATCH+KEY+<8 hex key ID>+<base64 of 32 random bytes>``; the key ID is the first four bytes
of SHA-256("claims-audit-batch-key\\n" || key bytes), stored on every tag so that a tag made
with another key is named as such. This module imports no database code.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from audit.errors import ChainError, ConfigError, TamperError

__all__ = [
    "BATCH_KEY_PREFIX",
    "BatchKey",
    "StoredBatchTag",
    "TagWalk",
    "batch_message",
    "derive_batch_key",
    "generate_batch_key",
]

BATCH_KEY_PREFIX = "BATCH+KEY+"
_DOMAIN = "claims-audit-batch/v1\n"
_KEY_ID = re.compile(r"[0-9a-f]{8}")
_HEX64 = re.compile(r"[0-9a-f]{64}")

TagKind = Literal["batch", "adoption"]


def _key_id(raw: bytes) -> str:
    return hashlib.sha256(b"claims-audit-batch-key\n" + raw).hexdigest()[:8]


@dataclass(frozen=True, slots=True)
class BatchKey:
    """A parsed batch key (module docstring). ``repr`` never shows the secret."""

    key_id: str
    secret: bytes

    @classmethod
    def parse(cls, text: str) -> BatchKey:
        """The key of ``BATCH+KEY+<id>+<base64>``; :class:`ConfigError` if malformed."""
        text = text.strip() if isinstance(text, str) else ""
        if not text.startswith(BATCH_KEY_PREFIX):
            raise ConfigError("the audit batch key must start with BATCH+KEY+")
        parts = text[len(BATCH_KEY_PREFIX) :].split("+", 1)
        if len(parts) != 2 or not _KEY_ID.fullmatch(parts[0]):
            raise ConfigError("the audit batch key is not BATCH+KEY+<8 hex key ID>+<base64>")
        try:
            raw = base64.b64decode(parts[1].encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise ConfigError("the audit batch key material is not valid base64") from None
        if len(raw) != 32:
            raise ConfigError("the audit batch key must hold 32 bytes")
        if _key_id(raw) != parts[0]:
            raise ConfigError("the audit batch key ID does not match its key material")
        return cls(parts[0], raw)

    def __repr__(self) -> str:
        return f"BatchKey(key_id={self.key_id!r}, secret=<hidden>)"

    def tag(self, origin: str, first_seq: int, entry_hashes: Sequence[str]) -> str:
        """The tag of events ``first_seq..`` with these entry hashes (module docstring)."""
        last_seq = first_seq + len(entry_hashes) - 1
        message = batch_message(origin, first_seq, last_seq, entry_hashes)
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()


def generate_batch_key() -> str:
    """A new random batch key, as text."""
    raw = secrets.token_bytes(32)
    return f"{BATCH_KEY_PREFIX}{_key_id(raw)}+{base64.b64encode(raw).decode('ascii')}"


def derive_batch_key(signer_key: str) -> str:
    """A batch key derived from a signer key (HMAC-SHA256 of its text under a fixed label):
    as secret as the signer key, for development setups that give only that one."""
    raw = hmac.new(b"claims-audit-batch-key/derived/v1", signer_key.encode(), hashlib.sha256)
    digest = raw.digest()
    return f"{BATCH_KEY_PREFIX}{_key_id(digest)}+{base64.b64encode(digest).decode('ascii')}"


def batch_message(origin: str, first_seq: int, last_seq: int, entry_hashes: Sequence[str]) -> bytes:
    """The bytes a batch tag authenticates (module docstring)."""
    if first_seq < 1 or last_seq - first_seq + 1 != len(entry_hashes) or not entry_hashes:
        raise ValueError("a batch tag covers one or more consecutive events")
    body = "".join(f"{h}\n" for h in entry_hashes)
    return f"{_DOMAIN}{origin}\n{first_seq}\n{last_seq}\n{body}".encode()


@dataclass(frozen=True, slots=True)
class StoredBatchTag:
    """One row of ``audit_batch_tag``."""

    first_seq: int
    last_seq: int
    kind: str
    key_id: str
    tag: str
    created_at: str = ""


class TagWalk:
    """Checks, event by event in ``seq`` order, that every event is covered by a valid tag.

    ``legacy_end`` is the last ``seq`` of the legacy prefix (events before the first tag;
    ``None`` when there is no tag at all: every event is legacy); ``adopted`` says the first
    tag is an ``adoption`` tag over it. ``tags`` are the stored tags from the one covering
    the walk's first event (``start_seq``) on, in ``last_seq`` order (read lazily), and
    ``carry`` the entry hashes of that tag's events before ``start_seq``. With ``key``
    ``None`` only the coverage is checked
    (:attr:`keyless`), not the HMACs: a verifier without the secret cannot tell a forged
    tag. Raises :class:`TamperError` / :class:`ChainError` at the first bad ``seq``.
    """

    def __init__(
        self,
        tags: Iterable[StoredBatchTag],
        *,
        key: BatchKey | None,
        origin: str,
        legacy_end: int | None,
        adopted: bool = False,
        start_seq: int = 1,
        carry: Sequence[str] = (),
    ) -> None:
        # read one tag ahead, in last_seq order: a long log's tags are never all in memory
        self._tags: Iterator[StoredBatchTag] = iter(tags)
        self._peek = next(self._tags, None)
        self._key = key
        self._origin = origin
        self.legacy_end = legacy_end
        self.adopted = adopted
        self.keyless = key is None
        self.checked = 0
        self.legacy_seen = 0
        self._current: StoredBatchTag | None = None
        self._hashes: list[str] = []
        if self._peek is not None and self._peek.first_seq < start_seq:
            self._current = self._take()
            self._hashes = list(carry)

    def _take(self) -> StoredBatchTag | None:
        taken = self._peek
        self._peek = next(self._tags, None)
        return taken

    def see(self, seq: int, entry_hash: str) -> None:
        """Account for event ``seq``; checks its tag when ``seq`` ends one."""
        if self.legacy_end is None or seq <= self.legacy_end:
            self.legacy_seen += 1
            return
        if self._current is None or seq > self._current.last_seq:
            following = self._take()
            if following is None or following.first_seq > seq:
                raise TamperError(seq, _NO_TAG.format(seq=seq))
            if following.first_seq < seq or following.last_seq < following.first_seq:
                raise TamperError(
                    seq,
                    f"batch tag {following.first_seq}..{following.last_seq} overlaps the tag "
                    "before it: a tag row was inserted by someone without the batch key",
                )
            if following.kind != "batch" and not (
                following.kind == "adoption" and following.first_seq == 1
            ):
                raise TamperError(seq, f"batch tag {following.last_seq} has an unknown kind")
            self._current = following
            self._hashes = []
        self._hashes.append(entry_hash)
        if seq == self._current.last_seq:
            self._check(self._current)

    def finish(self, last_seq: int) -> None:
        """After the walk's last event: a tag reaching past it means events were removed."""
        beyond = [t for t in (self._current, self._peek) if t and t.last_seq > last_seq]
        if beyond:
            tag = beyond[0]
            raise ChainError(
                last_seq + 1,
                f"event {last_seq + 1} is missing: batch tag {tag.first_seq}..{tag.last_seq} "
                f"covers events up to {tag.last_seq} but the walk ends at {last_seq}",
            )

    def _check(self, tag: StoredBatchTag) -> None:
        self.checked += 1
        if self._key is None:
            return
        if tag.key_id != self._key.key_id:
            raise TamperError(
                tag.first_seq,
                f"batch tag {tag.first_seq}..{tag.last_seq} was made with batch key "
                f"{tag.key_id}, not the configured key {self._key.key_id}",
            )
        if len(self._hashes) != tag.last_seq - tag.first_seq + 1:
            raise ChainError(tag.first_seq, f"batch tag {tag.last_seq}: events are missing")
        expected = self._key.tag(self._origin, tag.first_seq, self._hashes)
        if not _HEX64.fullmatch(tag.tag) or not hmac.compare_digest(expected, tag.tag):
            raise TamperError(
                tag.first_seq,
                f"batch tag {tag.first_seq}..{tag.last_seq} does not verify: these events were "
                "written or changed by someone without the batch key (e.g. with database "
                "credentials alone)",
            )


_NO_TAG = (
    "event {seq} is covered by no batch tag: it was not appended by the service holding the "
    "batch key (e.g. written with database credentials alone)"
)
