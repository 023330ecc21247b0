"""The append-only store: serialized appends, reads, ruleset snapshots.

Appending
---------
:func:`append_event` computes the payload's canonical text and hash first, then, inside one
transaction: takes the append lock, reads the chain head (highest ``seq`` and its
``entry_hash``), inserts the event as ``seq + 1`` chained to it, tags the batch with the
config's batch key (:mod:`audit.batch_tags`), signs a checkpoint when the new size is a
multiple of ``config.checkpoint_every`` or the oldest unsigned event has waited
``config.checkpoint_interval_s`` (only over a chain that verifies: a refused one is logged
and the append stands), and commits. It returns only after the commit, so a decision is
acknowledged only once it is durable. Checkpoints made through an engine are then sent to
the configured witnesses (:func:`audit.checkpoints.witness_checkpoints`).

Through an engine, the appends of one process are *group-committed* (:mod:`audit.batching`):
concurrent appends queue, and one of them writes every queued event in a single transaction
(one lock, one head read, one commit and fsync), chained in queue order; each call still
returns only after the transaction holding its event has committed. A lone append is a
batch of one, exactly as described above.

The append lock
    PostgreSQL: ``pg_advisory_xact_lock(APPEND_LOCK)`` under READ COMMITTED. The lock is held
    to the end of the transaction, and the head is read *after* taking it, so it is the head
    the previous holder committed. ``UNIQUE(prev_hash)`` (and the ``seq`` primary key) are the
    backstop: a writer that skipped the lock fails with :class:`~audit.errors.ChainError`
    instead of forking the chain. SQLite: the engines of :func:`audit.db.create_engine` begin
    every write transaction with ``BEGIN IMMEDIATE``, which takes SQLite's single write lock.

Given a :class:`~sqlalchemy.orm.Session` instead of an engine, :func:`append_event` works
inside the session's transaction (so an event can be written atomically with other rows) and
the *caller* commits (or, after an error, rolls back); the advisory lock is then held until
that commit. The session must be bound to an engine of :func:`audit.db.create_engine`: on
PostgreSQL a REPEATABLE READ or SERIALIZABLE transaction would read a head older than the
lock (the ``UNIQUE(prev_hash)`` backstop then refuses the append), and on SQLite only those
engines begin with ``BEGIN IMMEDIATE`` (others are refused with a StoreError).

The transactions themselves (:func:`write_transaction`, :func:`read_connection`) live in
:mod:`audit.transactions` and are re-exported here.

A killed writer leaves nothing behind: its transaction never committed, PostgreSQL rolls it
back when the connection drops (releasing the lock), SQLite ignores WAL frames without a
commit record and the OS releases the file lock.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
import uuid
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, replace

from sqlalchemy import Connection, Engine, Row, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from audit.batch_tag_store import insert_tag
from audit.batch_tags import BatchKey
from audit.batching import GroupCommit, group_commit_of
from audit.canonical import JsonValue, canonical_json, sha256_hex
from audit.chain import GENESIS_HASH, StoredCheckpoint, StoredEvent, format_timestamp
from audit.config import AuditConfig
from audit.db import is_postgres
from audit.errors import (
    ChainError,
    SnapshotError,
    StoreError,
    TamperError,
    UnknownEventError,
)
from audit.models import CHECKPOINTS, EVENTS, SNAPSHOTS
from audit.snapshot import RulesetSnapshot
from audit.transactions import (
    APPEND_LOCK,
    Target,
    now_text,
    read_connection,
    write_transaction,
)

__all__ = [
    "APPEND_LOCK",
    "Target",
    "append_event",
    "chain_head",
    "count_events",
    "entry_hashes",
    "events_for_claim",
    "get_event",
    "get_snapshot",
    "iter_events",
    "now_text",
    "read_connection",
    "save_snapshot",
    "write_transaction",
]

_LOG = logging.getLogger("audit")
_EVENT_TYPE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.-")

#: Content hashes of the snapshots known to be stored, per engine: snapshots are
#: content-addressed and append-only, so once seen stored they stay stored.
_SNAPSHOTS_STORED: weakref.WeakKeyDictionary[Engine, set[str]] = weakref.WeakKeyDictionary()
_SNAPSHOTS_LOCK = threading.Lock()


# ---------------------------------------------------------------------------------------------
# Appending
# ---------------------------------------------------------------------------------------------


def _event(row: Row[tuple[object, ...]] | Mapping[str, object]) -> StoredEvent:
    m = row._mapping if isinstance(row, Row) else row
    return StoredEvent(
        seq=int(str(m["seq"])),
        event_id=str(m["event_id"]),
        event_type=str(m["event_type"]),
        claim_id=None if m["claim_id"] is None else str(m["claim_id"]),
        occurred_at=str(m["occurred_at"]),
        recorded_at=str(m["recorded_at"]),
        actor=str(m["actor"]),
        payload=str(m["payload"]),
        payload_hash=str(m["payload_hash"]),
        prev_hash=str(m["prev_hash"]),
        entry_hash=str(m["entry_hash"]),
    )


# Statements built once: building and cache-keying them again cost more than running them.
_HEAD = select(EVENTS.c.seq, EVENTS.c.entry_hash).order_by(EVENTS.c.seq.desc()).limit(1)
_INSERT = EVENTS.insert()
_LATEST_CHECKPOINT_AT = (
    select(CHECKPOINTS.c.created_at).order_by(CHECKPOINTS.c.tree_size.desc()).limit(1)
)
_FIRST_RECORDED_AT = select(EVENTS.c.recorded_at).where(EVENTS.c.seq == 1)
_COLUMNS = tuple(f.name for f in fields(StoredEvent))


def chain_head(conn: Connection) -> tuple[int, str]:
    """``(seq, entry_hash)`` of the newest event, ``(0, GENESIS_HASH)`` for an empty log."""
    row = conn.execute(_HEAD).first()
    return (0, GENESIS_HASH) if row is None else (int(row[0]), str(row[1]))


def _check_header(event_type: str, claim_id: str | None, actor: str) -> None:
    if not event_type or not set(event_type) <= _EVENT_TYPE_CHARS or len(event_type) > 64:
        raise ValueError(f"event_type {event_type!r}: use 1-64 of a-z 0-9 _ . -")
    if claim_id is not None and not 0 < len(claim_id) <= 128:
        raise ValueError("claim_id must be 1-128 characters or None")
    if not actor or len(actor) > 256:
        raise ValueError("actor must be 1-256 characters")


@dataclass(frozen=True, slots=True)
class _Pending:
    """An event before its position is known: everything computed outside the lock."""

    event_id: str
    event_type: str
    claim_id: str | None
    occurred_at: str | None
    actor: str
    payload: str
    payload_hash: str
    config: AuditConfig | None


def append_event(
    target: Target,
    *,
    event_type: str,
    claim_id: str | None,
    payload: JsonValue,
    actor: str,
    occurred_at: dt.datetime | None = None,
    config: AuditConfig | None = None,
) -> StoredEvent:
    """Append one event and return it as stored (module docstring).

    ``payload`` must be canonicalisable (:func:`audit.canonical.canonical_json`: no floats,
    money as decimal strings). ``occurred_at`` (aware) defaults to the time of recording.
    With a ``config`` whose ``checkpoint_every`` divides the new size, a signed checkpoint is
    added in the same transaction.
    """
    _check_header(event_type, claim_id, actor)
    payload_text = canonical_json(payload)
    pending = _Pending(
        event_id=str(uuid.uuid4()),
        event_type=event_type,
        claim_id=claim_id,
        occurred_at=format_timestamp(occurred_at) if occurred_at is not None else None,
        actor=actor,
        payload=payload_text,
        payload_hash=sha256_hex(payload_text),
        config=config,
    )
    if isinstance(target, Session):
        with write_transaction(target) as conn:
            return _write_events(conn, [pending])[0]
    group: GroupCommit[_Pending, StoredEvent] = group_commit_of(target)
    return group.submit(pending, functools.partial(_write_batch, target))


def _write_batch(engine: Engine, batch: Sequence[_Pending]) -> list[StoredEvent]:
    made: list[StoredCheckpoint] = []
    with write_transaction(engine) as conn:
        written = _write_events(conn, batch, made)
    config = _config_of(batch)
    if made and config is not None and (config.witness_dir or config.witness_url):
        from audit.checkpoints import witness_checkpoints  # lazy: it imports this module

        witness_checkpoints(engine, made, config=config)
    return written


def _config_of(batch: Sequence[_Pending]) -> AuditConfig | None:
    """The config a batch is tagged and checkpointed with: the last one given."""
    return next((p.config for p in reversed(batch) if p.config is not None), None)


def _write_events(
    conn: Connection, batch: Sequence[_Pending], made: list[StoredCheckpoint] | None = None
) -> list[StoredEvent]:
    """Chain ``batch`` after the head, insert and tag it, checkpoint where due (the lock is
    held). Checkpoints made are added to ``made``."""
    config = _config_of(batch)
    key = config.batch() if config is not None else None
    head_seq, prev_hash = chain_head(conn)
    written: list[StoredEvent] = []
    segment: list[StoredEvent] = []
    for pending in batch:
        recorded = now_text()
        seq = head_seq + len(written) + 1
        unhashed = StoredEvent(
            seq=seq,
            event_id=pending.event_id,
            event_type=pending.event_type,
            claim_id=pending.claim_id,
            occurred_at=pending.occurred_at or recorded,
            recorded_at=recorded,
            actor=pending.actor,
            payload=pending.payload,
            payload_hash=pending.payload_hash,
            prev_hash=prev_hash,
            entry_hash="",
        )
        event = replace(unhashed, entry_hash=unhashed.computed_entry_hash())
        written.append(event)
        segment.append(event)
        prev_hash = event.entry_hash
        if config is not None and config.checkpoint_every and seq % config.checkpoint_every == 0:
            _insert_segment(conn, segment, key, config)
            segment = []
            _auto_checkpoint(conn, seq, config, made)
    _insert_segment(conn, segment, key, config)
    if written and config is not None and _interval_due(conn, config):
        _auto_checkpoint(conn, written[-1].seq, config, made)
    return written


def _insert_segment(
    conn: Connection, segment: list[StoredEvent], key: BatchKey | None, config: AuditConfig | None
) -> None:
    """Insert events, then the tag of exactly those events (a checkpoint may follow)."""
    if not segment:
        return
    _insert_events(conn, [{name: getattr(e, name) for name in _COLUMNS} for e in segment])
    if key is not None and config is not None:
        insert_tag(
            conn,
            first_seq=segment[0].seq,
            entry_hashes=[e.entry_hash for e in segment],
            key=key,
            origin=config.origin,
        )


def _interval_due(conn: Connection, config: AuditConfig) -> bool:
    """Has the oldest event no checkpoint covers waited ``checkpoint_interval_s``?

    Measured from the latest checkpoint's signing (every event after it came later), or
    from the first event when there is no checkpoint yet.
    """
    if not config.checkpoint_interval_s or not config.signer_key:
        return False
    since = conn.execute(_LATEST_CHECKPOINT_AT).scalar()
    if since is None:
        since = conn.execute(_FIRST_RECORDED_AT).scalar()
    try:
        then = dt.datetime.strptime(str(since), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    except ValueError:  # a junk row: a new checkpoint is due
        return True
    age = (dt.datetime.now(dt.UTC) - then).total_seconds()
    return age >= config.checkpoint_interval_s


def _auto_checkpoint(
    conn: Connection, size: int, config: AuditConfig, made: list[StoredCheckpoint] | None
) -> None:
    """Sign the automatic checkpoint at ``size``; a trail that does not verify is logged and
    left unsigned (the append itself stands: refusing it would lose a decision, and verify
    names the bad ``seq``)."""
    if not config.signer_key:
        return
    from audit.checkpoints import checkpoint_at  # lazy: it imports this module

    try:
        checkpoint = checkpoint_at(conn, size=size, config=config)
    except (ChainError, TamperError) as exc:
        _LOG.error("audit checkpoint %d not signed: %s", size, exc)
        return
    if made is not None:
        made.append(checkpoint)


def _insert_events(conn: Connection, rows: list[dict[str, object]]) -> None:
    if not rows:
        return
    try:
        conn.execute(_INSERT, rows)
    except IntegrityError:
        raise ChainError(
            int(str(rows[0]["seq"])),
            "another writer appended this position without the append lock "
            "(prev_hash or seq already used); nothing was written",
        ) from None


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def get_event(target: Target, *, event_id: str) -> StoredEvent:
    """The event with ``event_id`` (:class:`~audit.errors.UnknownEventError` if none)."""
    with read_connection(target) as conn:
        row = conn.execute(select(EVENTS).where(EVENTS.c.event_id == event_id)).first()
    if row is None:
        raise UnknownEventError(event_id)
    return _event(row)


def iter_events(
    conn: Connection, *, from_seq: int = 1, to_seq: int | None = None, batch: int = 2000
) -> Iterator[StoredEvent]:
    """Events with ``from_seq <= seq <= to_seq`` in order, read in keyset pages."""
    after = from_seq - 1
    while True:
        query = select(EVENTS).where(EVENTS.c.seq > after).order_by(EVENTS.c.seq).limit(batch)
        if to_seq is not None:
            query = query.where(EVENTS.c.seq <= to_seq)
        rows = conn.execute(query).all()
        for row in rows:
            yield _event(row)
        if len(rows) < batch:
            return
        after = int(rows[-1][0])


def entry_hashes(conn: Connection, *, from_seq: int = 1, to_seq: int) -> list[bytes]:
    """Raw ``entry_hash`` bytes of events ``from_seq..to_seq`` in order (for Merkle trees)."""
    rows = conn.execute(
        select(EVENTS.c.seq, EVENTS.c.entry_hash)
        .where(EVENTS.c.seq >= from_seq, EVENTS.c.seq <= to_seq)
        .order_by(EVENTS.c.seq)
    ).all()
    if len(rows) != to_seq - from_seq + 1 or (rows and int(rows[0][0]) != from_seq):
        raise StoreError(
            f"events {from_seq}..{to_seq} are not all present: run `claims audit verify`"
        )
    return [bytes.fromhex(str(r[1])) for r in rows]


def events_for_claim(target: Target, *, claim_id: str) -> list[StoredEvent]:
    """Every event of one claim, in ``seq`` order."""
    with read_connection(target) as conn:
        rows = conn.execute(
            select(EVENTS).where(EVENTS.c.claim_id == claim_id).order_by(EVENTS.c.seq)
        ).all()
    return [_event(r) for r in rows]


def count_events(conn: Connection) -> int:
    """Number of stored events."""
    return int(conn.execute(select(func.count()).select_from(EVENTS)).scalar_one())


# ---------------------------------------------------------------------------------------------
# Ruleset snapshots
# ---------------------------------------------------------------------------------------------


def _insert_ignore(conn: Connection, values: dict[str, str]) -> None:
    if is_postgres(conn):
        conn.execute(postgresql.insert(SNAPSHOTS).values(**values).on_conflict_do_nothing())
    else:
        conn.execute(sqlite.insert(SNAPSHOTS).values(**values).on_conflict_do_nothing())


def save_snapshot(target: Target | Connection, *, snapshot: RulesetSnapshot) -> None:
    """Store a ruleset snapshot unless one with its content hash is already stored.

    Content-addressed, so storing it before the events that use it (in its own
    transaction) is safe: a crash in between leaves an unused snapshot, nothing else.
    Through an engine, a snapshot once seen stored is not looked up again (every decision
    saves its snapshot: this saves a query and the canonical JSON of the files each time).
    """
    if isinstance(target, Connection):
        _insert_ignore(target, _snapshot_values(snapshot))
        return
    stored_here = _stored_snapshots(target)
    if snapshot.content_hash in stored_here:
        return
    with read_connection(target) as conn:
        stored = conn.execute(
            select(SNAPSHOTS.c.content_hash).where(
                SNAPSHOTS.c.content_hash == snapshot.content_hash
            )
        ).first()
    if stored is None:
        with write_transaction(target) as conn:
            _insert_ignore(conn, _snapshot_values(snapshot))
    stored_here.add(snapshot.content_hash)


def _snapshot_values(snapshot: RulesetSnapshot) -> dict[str, str]:
    return {
        "content_hash": snapshot.content_hash,
        "ruleset_id": snapshot.ruleset_id,
        "version": snapshot.version,
        "files": snapshot.files_json(),
        "created_at": now_text(),
    }


def _stored_snapshots(target: Target) -> set[str]:
    """The known-stored set of an engine; a throwaway set for a session (it may roll back)."""
    if isinstance(target, Session):
        return set()
    found = _SNAPSHOTS_STORED.get(target)
    if found is None:
        with _SNAPSHOTS_LOCK:
            found = _SNAPSHOTS_STORED.setdefault(target, set())
    return found


def get_snapshot(target: Target | Connection, *, content_hash: str) -> RulesetSnapshot:
    """The stored snapshot ``content_hash``, checked against its files."""
    query = select(SNAPSHOTS).where(SNAPSHOTS.c.content_hash == content_hash)
    if isinstance(target, Connection):
        row = target.execute(query).first()
    else:
        with read_connection(target) as conn:
            row = conn.execute(query).first()
    if row is None:
        raise SnapshotError(content_hash, "no ruleset snapshot with this content hash is stored")
    m = row._mapping
    return RulesetSnapshot.from_stored(
        content_hash=str(m["content_hash"]),
        ruleset_id=str(m["ruleset_id"]),
        version=str(m["version"]),
        files_json=str(m["files"]),
    )
