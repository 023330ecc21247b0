"""Typed errors of the audit trail.

Every failure the audit package can detect is one of these, so callers (the API, the
``claims`` CLI, a standalone verifier) can tell *what* failed without parsing messages::

    AuditError                      base of everything below; never raised bare
    ├── CanonicalError(reason, path)    a value cannot be encoded as canonical JSON, or a
    │                                   stored text is not valid/canonical JSON
    ├── ProofError(reason)              a Merkle inclusion or consistency proof does not
    │                                   verify, or its inputs are malformed
    ├── CheckpointError(reason)         a signed checkpoint (C2SP signed note) is malformed,
    │                                   unsigned by the expected key, or its signature fails;
    │                                   also a malformed signer or verifier key
    ├── ChainError(seq, reason)         the hash chain is broken at event ``seq`` (wrong
    │                                   ``prev_hash``, gap, fork, non-monotonic sequence)
    └── TamperError(seq, reason)        stored content does not match what was hashed or
                                        signed (recomputed ``entry_hash`` differs, a row was
                                        changed or removed under the chain)

Each error carries a short machine-friendly ``reason`` (a sentence, no trailing period) and,
where it applies, the location (``path`` into the JSON value, ``seq`` of the event). ``str()``
of the error is the full human-readable message.
"""

from __future__ import annotations

__all__ = [
    "AuditError",
    "CanonicalError",
    "ChainError",
    "CheckpointError",
    "ProofError",
    "TamperError",
]


class AuditError(Exception):
    """Base class of all audit-trail errors."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CanonicalError(AuditError):
    """A value cannot be canonicalised, or a text is not (canonical) JSON.

    ``path`` is a JSONPath-like location of the offending value (``$`` is the root,
    ``$.lines[0].amount`` a nested member); empty when the whole text is at fault.
    """

    def __init__(self, reason: str, path: str = "") -> None:
        super().__init__(reason)
        self.path = path
        self.args = (f"{path}: {reason}" if path else reason,)

    def __reduce__(self) -> tuple[type[CanonicalError], tuple[str, str]]:
        return (type(self), (self.reason, self.path))


class ProofError(AuditError):
    """A Merkle inclusion or consistency proof failed to verify (see ``reason``)."""


class CheckpointError(AuditError):
    """A signed checkpoint or a note key is malformed or fails verification."""


class ChainError(AuditError):
    """The hash chain is broken at event ``seq``."""

    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(reason)
        self.seq = seq
        self.args = (f"event {seq}: {reason}",)

    def __reduce__(self) -> tuple[type[ChainError], tuple[int, str]]:
        return (type(self), (self.seq, self.reason))


class TamperError(AuditError):
    """Stored content at event ``seq`` does not match what was hashed or signed."""

    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(reason)
        self.seq = seq
        self.args = (f"event {seq}: {reason}",)

    def __reduce__(self) -> tuple[type[TamperError], tuple[int, str]]:
        return (type(self), (self.seq, self.reason))
