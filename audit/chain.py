"""The hash chain: what an event's hash is, and the walk that finds the first bad event.

Entry hash
----------
Every event is stored with its payload as canonical JSON text (:mod:`audit.canonical`) and

    payload_hash = SHA-256(UTF-8 bytes of the stored payload text), lowercase hex
    entry_hash   = SHA-256(canonical_json({
                       "actor", "claim_id", "event_id", "event_type", "occurred_at",
                       "payload_hash", "prev_hash", "recorded_at", "seq"
                   })), lowercase hex

where ``claim_id`` may be ``null``, ``seq`` is an integer and every other member is the
column's text exactly as stored (timestamps are stored as text, RFC 3339 UTC with
microseconds, e.g. ``2026-01-02T03:04:05.000006Z``, so that the hashed value *is* the stored
value on every engine). ``prev_hash`` is the previous event's ``entry_hash``; the first
event (``seq`` 1) has :data:`GENESIS_HASH`, 64 zeros. Sequence numbers start at 1 and have no
gaps; event ``seq`` is leaf ``seq - 1`` of the Merkle tree (:mod:`audit.merkle`), so a
checkpoint of size ``n`` covers events 1..n.

Because ``seq`` and ``prev_hash`` are inside the hash, an edited, deleted, inserted or
reordered row breaks the chain at that row (or, when every later hash was recomputed, the
Merkle root of the next signed checkpoint). Deleting the newest events that no checkpoint
covers yet cannot be detected from the data alone: that is what frequent checkpoints bound.

The event document
------------------
:func:`event_document` is the JSON form of one event handed to members and auditors: the
header fields, ``payload`` as a JSON object, ``payload_hash``, ``prev_hash`` and
``entry_hash``. :func:`entry_hash_of` recomputes its ``entry_hash`` (for
:func:`audit.verifier.verify_event_proof`).

This module imports no database code: a standalone auditor can use it.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from audit.batch_tags import TagWalk
from audit.canonical import JsonValue, canonical_json, parse_json, sha256_hex
from audit.checkpoint import verify_checkpoint
from audit.errors import AuditError, ChainError, CheckpointError, ProofError, TamperError
from audit.merkle import MerkleAccumulator, entry_leaf

__all__ = [
    "GENESIS_HASH",
    "HEADER_FIELDS",
    "StoredCheckpoint",
    "StoredEvent",
    "VerifyReport",
    "entry_hash",
    "entry_hash_of",
    "event_document",
    "format_timestamp",
    "junk_reason",
    "verify_chain",
]

#: ``prev_hash`` of the first event.
GENESIS_HASH = "0" * 64

#: The header fields covered by ``entry_hash`` besides ``payload_hash`` and ``prev_hash``.
HEADER_FIELDS = (
    "seq",
    "event_id",
    "event_type",
    "claim_id",
    "occurred_at",
    "recorded_at",
    "actor",
)


def format_timestamp(value: dt.datetime) -> str:
    """The stored text of a timestamp: RFC 3339 in UTC with microseconds and ``Z``."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamps must carry a UTC offset")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(
    *,
    seq: int,
    event_id: str,
    event_type: str,
    claim_id: str | None,
    occurred_at: str,
    recorded_at: str,
    actor: str,
    payload_hash: str,
    prev_hash: str,
) -> str:
    """The chain hash of one event (module docstring), lowercase hex."""
    return sha256_hex(
        canonical_json(
            {
                "actor": actor,
                "claim_id": claim_id,
                "event_id": event_id,
                "event_type": event_type,
                "occurred_at": occurred_at,
                "payload_hash": payload_hash,
                "prev_hash": prev_hash,
                "recorded_at": recorded_at,
                "seq": seq,
            }
        )
    )


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One row of ``audit_event`` as read back (every field as stored)."""

    seq: int
    event_id: str
    event_type: str
    claim_id: str | None
    occurred_at: str
    recorded_at: str
    actor: str
    payload: str
    payload_hash: str
    prev_hash: str
    entry_hash: str

    def computed_entry_hash(self) -> str:
        """:func:`entry_hash` of this row's stored fields."""
        return entry_hash(
            seq=self.seq,
            event_id=self.event_id,
            event_type=self.event_type,
            claim_id=self.claim_id,
            occurred_at=self.occurred_at,
            recorded_at=self.recorded_at,
            actor=self.actor,
            payload_hash=self.payload_hash,
            prev_hash=self.prev_hash,
        )

    def payload_value(self) -> JsonValue:
        """The payload parsed strictly (:func:`audit.canonical.parse_json`)."""
        return parse_json(self.payload)


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """One row of ``checkpoint``: the signed note and the compact range it was made from."""

    tree_size: int
    root_hash: str
    note: str
    compact_range: tuple[str, ...] = field(default=())
    created_at: str = ""

    def accumulator(self) -> MerkleAccumulator:
        """The Merkle accumulator saved with this checkpoint (not trusted: check its root)."""
        return MerkleAccumulator.from_state(
            self.tree_size, [bytes.fromhex(h) for h in self.compact_range]
        )


def event_document(event: StoredEvent) -> dict[str, JsonValue]:
    """The JSON form of an event for export (module docstring)."""
    return {
        "actor": event.actor,
        "claim_id": event.claim_id,
        "entry_hash": event.entry_hash,
        "event_id": event.event_id,
        "event_type": event.event_type,
        "occurred_at": event.occurred_at,
        "payload": event.payload_value(),
        "payload_hash": event.payload_hash,
        "prev_hash": event.prev_hash,
        "recorded_at": event.recorded_at,
        "seq": event.seq,
    }


def _text(document: dict[str, JsonValue], key: str, *, nullable: bool = False) -> str | None:
    value = document.get(key)
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise ProofError(f"event.{key} must be a string")
    return value


def entry_hash_of(document: dict[str, JsonValue]) -> str:
    """Recompute the ``entry_hash`` of an :func:`event_document` from its content.

    The payload's canonical text must hash to the stated ``payload_hash``
    (:class:`~audit.errors.ProofError` otherwise); the result is then :func:`entry_hash` of
    the header, so any changed field gives a different hash.
    """
    if "payload" not in document:
        raise ProofError("event has no payload")
    seq = document.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise ProofError("event.seq must be a positive integer")
    stated = _text(document, "payload_hash")
    if sha256_hex(canonical_json(document["payload"])) != stated:
        raise ProofError("event payload does not match its payload_hash")
    return entry_hash(
        seq=seq,
        event_id=str(_text(document, "event_id")),
        event_type=str(_text(document, "event_type")),
        claim_id=_text(document, "claim_id", nullable=True),
        occurred_at=str(_text(document, "occurred_at")),
        recorded_at=str(_text(document, "recorded_at")),
        actor=str(_text(document, "actor")),
        payload_hash=str(stated),
        prev_hash=str(_text(document, "prev_hash")),
    )


# ---------------------------------------------------------------------------------------------
# The verify walk
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class VerifyReport:
    """Outcome of :func:`verify_chain`: how far it got and the first problem, if any."""

    first_seq: int
    events_checked: int = 0
    checkpoints_checked: int = 0
    last_seq: int = 0
    problem: ChainError | TamperError | None = None
    #: The batch-tag walk (coverage, legacy prefix, tags checked), when tags were checked.
    tags: TagWalk | None = None
    #: Checkpoint rows that are not checkpoints signed by the key: ``(tree_size, why)``.
    #: They prove nothing and were left out of the walk; someone with database access
    #: inserted them (the signer never writes one).
    junk: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem was found (and no junk checkpoint row)."""
        return self.problem is None and not self.junk


def _check_event(event: StoredEvent, expected_seq: int, prev_hash: str) -> None:
    if event.seq != expected_seq:
        if event.seq > expected_seq:
            raise ChainError(
                expected_seq,
                f"event {expected_seq} is missing (the next stored event is {event.seq})",
            )
        raise ChainError(event.seq, f"event {event.seq} is out of order")
    if not hmac.compare_digest(sha256_hex(event.payload), event.payload_hash):
        raise TamperError(event.seq, "payload does not match payload_hash (payload was changed)")
    if not hmac.compare_digest(event.computed_entry_hash(), event.entry_hash):
        raise TamperError(
            event.seq, "entry_hash does not match the event's fields (a field was changed)"
        )
    if not hmac.compare_digest(event.prev_hash, prev_hash):
        raise ChainError(
            event.seq,
            f"prev_hash does not match the entry_hash of event {event.seq - 1} "
            "(an event before it was changed, removed or reordered)",
        )


def junk_reason(checkpoint: StoredCheckpoint, verifier_key: str, origin: str) -> str | None:
    """Why a checkpoint row is not a checkpoint signed by ``verifier_key``, or ``None``."""
    size = checkpoint.tree_size
    try:
        signed = verify_checkpoint(checkpoint.note, verifier_key, origin=origin)
    except CheckpointError as exc:
        return f"its note is not a signed checkpoint of this log ({exc.reason})"
    if signed.size != size or signed.root.hex() != checkpoint.root_hash:
        return f"it holds the signed checkpoint of size {signed.size} under another size or root"
    return None


def _check_checkpoint(
    checkpoint: StoredCheckpoint, root: bytes, verifier_key: str, origin: str
) -> None:
    size = checkpoint.tree_size
    signed = verify_checkpoint(checkpoint.note, verifier_key, origin=origin)
    if not hmac.compare_digest(signed.root, root):
        raise TamperError(
            size,
            f"the Merkle root of events 1..{size} does not match signed checkpoint {size} "
            "(events up to it were changed and their hashes recomputed)",
        )


def verify_chain(
    events: Iterable[StoredEvent],
    checkpoints: Sequence[StoredCheckpoint],
    *,
    verifier_key: str,
    origin: str,
    start: tuple[int, str, MerkleAccumulator] | None = None,
    tags: TagWalk | None = None,
) -> Iterator[VerifyReport]:
    """Walk ``events`` (in ``seq`` order) and check every link, hash and checkpoint.

    ``start`` is ``(first seq, prev_hash before it, accumulator over the events before it)``;
    by default the walk starts at the genesis. ``checkpoints`` are those with a size at least
    the first seq, in any order. Yields the same :class:`VerifyReport` after each event (for
    progress bars) and a last time when done; it stops at the first problem, recorded in
    ``report.problem``. Checkpoints larger than the last event mean events were deleted.
    Checkpoint rows that are not signed checkpoints of this log are listed in
    ``report.junk`` and otherwise ignored (the walk goes on without them). With ``tags``,
    every event is also checked to be covered by a valid batch tag (:mod:`audit.batch_tags`).
    """
    first, prev_hash, acc = start if start is not None else (1, GENESIS_HASH, MerkleAccumulator())
    report = VerifyReport(first_seq=first, last_seq=first - 1, tags=tags)
    pending: list[StoredCheckpoint] = []
    for checkpoint in sorted(checkpoints, key=lambda c: c.tree_size):
        if checkpoint.tree_size < first - 1:
            continue
        why = junk_reason(checkpoint, verifier_key, origin)
        if why is None:
            pending.append(checkpoint)
        else:
            report.junk.append((checkpoint.tree_size, why))
    index = 0
    expected = first
    try:
        while index < len(pending) and pending[index].tree_size < expected:
            _check_checkpoint(pending[index], acc.root(), verifier_key, origin)
            report.checkpoints_checked += 1
            index += 1
        for event in events:
            _check_event(event, expected, prev_hash)
            if tags is not None:
                tags.see(event.seq, event.entry_hash)
            acc.append(entry_leaf(bytes.fromhex(event.entry_hash)))
            prev_hash = event.entry_hash
            report.events_checked += 1
            report.last_seq = expected
            while index < len(pending) and pending[index].tree_size == expected:
                _check_checkpoint(pending[index], acc.root(), verifier_key, origin)
                report.checkpoints_checked += 1
                index += 1
            expected += 1
            yield report
        if index < len(pending):
            size = pending[index].tree_size
            raise ChainError(
                expected,
                f"event {expected} is missing: signed checkpoint {size} covers events "
                f"up to {size} but the log ends at {expected - 1}",
            )
        if tags is not None:
            tags.finish(expected - 1)
    except (ChainError, TamperError) as exc:
        report.problem = exc
    except AuditError as exc:  # e.g. a stored compact range that does not parse
        report.problem = TamperError(expected, exc.reason)
    yield report
