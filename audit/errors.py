"""Typed errors of the audit trail.

Every failure the audit package can detect is one of these, so callers (the API, the
``claims`` CLI, a standalone verifier) can tell *what* failed without parsing messages::

    AuditError                      base of everything below; never raised bare
    ├── CanonicalError(reason, path)    a value cannot be encoded as canonical JSON, or a
    │                                   stored text is not valid/canonical JSON
    ├── ProofError(reason)              a Merkle inclusion or consistency proof does not
    │                                   verify, or its inputs are malformed
    ├── CheckpointError(reason)         a signed checkpoint (C2SP signed note) is malformed,
    │   │                               unsigned by the expected key, or its signature fails;
    │   │                               also a malformed signer or verifier key
    │   └── CheckpointOriginError(origin, expected, reason)
    │                                   a checkpoint is for another log than expected (by
    │                                   default the verifier key's name), or a key named for
    │                                   another log was asked to sign it
    ├── ChainError(seq, reason)         the hash chain is broken at event ``seq`` (wrong
    │                                   ``prev_hash``, gap, fork, non-monotonic sequence)
    ├── TamperError(seq, reason)        stored content does not match what was hashed or
    │                                   signed (recomputed ``entry_hash`` differs, a row was
    │                                   changed or removed under the chain)
    ├── ConfigError(reason)             an ``AuditConfig`` is unusable (no signer key where
    │   │                               one is needed, bad origin, bad interval)
    │   └── SignerKeyNameError(key_name, origin)
    │                                   the signer key is named for another log than the
    │                                   configured origin
    ├── StoreError(reason)              the database cannot do what was asked (schema not
    │                                   migrated, append-only trigger fired, empty log)
    ├── UnknownEventError(event_id)     no audited event has this ``event_id``
    ├── SnapshotError(content_hash, reason)  a ruleset snapshot is missing, or its files do
    │                                   not hash to its content address
    ├── WitnessError(reason)            a witness refused a checkpoint (not signed by the
    │                                   log, inconsistent with what it saw), cannot be
    │                                   reached, or its record cannot be read
    └── ReplayError(event_id, reason)   an event cannot be replayed (not a decision event,
                                        malformed payload, backend unavailable)

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
    "CheckpointOriginError",
    "ConfigError",
    "ProofError",
    "ReplayError",
    "SignerKeyNameError",
    "SnapshotError",
    "StoreError",
    "TamperError",
    "UnknownEventError",
    "WitnessError",
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


class CheckpointOriginError(CheckpointError):
    """A checkpoint's ``origin`` is not the ``expected`` one (the log's key name)."""

    def __init__(self, origin: str, expected: str, reason: str) -> None:
        super().__init__(reason)
        self.origin = origin
        self.expected = expected

    def __reduce__(self) -> tuple[type[CheckpointOriginError], tuple[str, str, str]]:
        return (type(self), (self.origin, self.expected, self.reason))


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


class ConfigError(AuditError):
    """An :class:`~audit.config.AuditConfig` cannot be used for what was asked."""


class SignerKeyNameError(ConfigError):
    """The signer key is named ``key_name`` but the log's origin is ``origin``.

    tlog-checkpoint: the log's key name should match its origin; a checkpoint of ``origin``
    signed by a key named for another log would be refused by every verifier pinned to the
    key's name, so nothing is signed.
    """

    def __init__(self, key_name: str, origin: str) -> None:
        super().__init__(
            f"the signer key is named {key_name!r} but the log's origin is {origin!r}: "
            "checkpoints must be signed by a key named for their origin"
        )
        self.key_name = key_name
        self.origin = origin

    def __reduce__(self) -> tuple[type[SignerKeyNameError], tuple[str, str]]:
        return (type(self), (self.key_name, self.origin))


class StoreError(AuditError):
    """The audit database refused or cannot perform an operation (see ``reason``)."""


class UnknownEventError(AuditError):
    """No audited event has ``event_id``."""

    def __init__(self, event_id: str) -> None:
        super().__init__(f"no audited event has id {event_id!r}")
        self.event_id = event_id

    def __reduce__(self) -> tuple[type[UnknownEventError], tuple[str]]:
        return (type(self), (self.event_id,))


class SnapshotError(AuditError):
    """The ruleset snapshot ``content_hash`` is missing or does not match its files."""

    def __init__(self, content_hash: str, reason: str) -> None:
        super().__init__(reason)
        self.content_hash = content_hash
        self.args = (f"ruleset snapshot {content_hash}: {reason}",)

    def __reduce__(self) -> tuple[type[SnapshotError], tuple[str, str]]:
        return (type(self), (self.content_hash, self.reason))


class ReplayError(AuditError):
    """The event ``event_id`` cannot be replayed (see ``reason``)."""

    def __init__(self, event_id: str, reason: str) -> None:
        super().__init__(reason)
        self.event_id = event_id
        self.args = (f"event {event_id}: {reason}",)

    def __reduce__(self) -> tuple[type[ReplayError], tuple[str, str]]:
        return (type(self), (self.event_id, self.reason))


class WitnessError(AuditError):
    """A witness refused a checkpoint, cannot be reached, or its record is unreadable."""
