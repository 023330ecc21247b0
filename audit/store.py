"""The append-only store: serialized appends, reads, ruleset snapshots.

Appending
---------
:func:`append_event` computes the payload's canonical text and hash first, then, inside one
transaction: takes the append lock, reads the chain head (highest ``seq`` and its
``entry_hash``), inserts the event as ``seq + 1`` chained to it, signs a checkpoint when the
new size is a multiple of ``config.checkpoint_every``, and commits. It returns only after the
commit, so a decision is acknowledged only once it is durable.

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

A killed writer leaves nothing behind: its transaction never committed, PostgreSQL rolls it
back when the connection drops (releasing the lock), SQLite ignores WAL frames without a
commit record and the OS releases the file lock.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, replace

from sqlalchemy import Connection, Engine, Row, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from audit.canonical import JsonValue, canonical_json, sha256_hex
from audit.chain import GENESIS_HASH, StoredEvent, format_timestamp
from audit.config import AuditConfig
from audit.db import begins_immediate, is_postgres, read_only
from audit.errors import (
    ChainError,
    SnapshotError,
    StoreError,
    UnknownEventError,
)
from audit.models import EVENTS, SNAPSHOTS
from audit.snapshot import RulesetSnapshot

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

#: Advisory lock key of appends on PostgreSQL ("claims" + 1).
APPEND_LOCK = 0x636C61696D730001

#: Where reads and writes go: an engine (one transaction per call) or a caller's session.
Target = Engine | Session

_EVENT_TYPE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.-")


def now_text() -> str:
    """The current time as stored (:func:`audit.chain.format_timestamp`)."""
    return format_timestamp(dt.datetime.now(dt.UTC))


# ---------------------------------------------------------------------------------------------
# Transactions
# ---------------------------------------------------------------------------------------------


def _lock(conn: Connection) -> None:
    if is_postgres(conn):
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({APPEND_LOCK})")
    elif not begins_immediate(conn):
        raise StoreError(
            "this SQLite engine does not begin transactions with BEGIN IMMEDIATE: "
            "create it with audit.db.create_engine"
        )


@contextmanager
def write_transaction(target: Target) -> Iterator[Connection]:
    """A connection inside a transaction holding the append lock.

    With an engine: a new transaction, committed when the block ends (rolled back on error).
    With a session: the session's transaction; the caller commits.
    """
    try:
        if isinstance(target, Session):
            conn = target.connection()
            _lock(conn)
            yield conn
            return
        with target.begin() as conn:
            _lock(conn)
            yield conn
    except (OperationalError, ProgrammingError) as exc:
        raise _store_error(exc) from exc


@contextmanager
def read_connection(target: Target) -> Iterator[Connection]:
    """A connection for reading: one consistent snapshot on SQLite (WAL) and PostgreSQL."""
    try:
        if isinstance(target, Session):
            yield target.connection()
            return
        with target.connect() as conn:
            if is_postgres(conn):
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with read_only(conn).begin():
                yield conn
    except (OperationalError, ProgrammingError) as exc:
        raise _store_error(exc) from exc


def _store_error(exc: Exception) -> StoreError:
    text = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    if "no such table" in text or "does not exist" in text:
        return StoreError(f"the audit schema is missing ({text}): run `claims db upgrade`")
    if "append-only" in text:
        return StoreError(text)
    return StoreError(f"database error: {text}")


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


def chain_head(conn: Connection) -> tuple[int, str]:
    """``(seq, entry_hash)`` of the newest event, ``(0, GENESIS_HASH)`` for an empty log."""
    row = conn.execute(
        select(EVENTS.c.seq, EVENTS.c.entry_hash).order_by(EVENTS.c.seq.desc()).limit(1)
    ).first()
    return (0, GENESIS_HASH) if row is None else (int(row[0]), str(row[1]))


def _check_header(event_type: str, claim_id: str | None, actor: str) -> None:
    if not event_type or not set(event_type) <= _EVENT_TYPE_CHARS or len(event_type) > 64:
        raise ValueError(f"event_type {event_type!r}: use 1-64 of a-z 0-9 _ . -")
    if claim_id is not None and not 0 < len(claim_id) <= 128:
        raise ValueError("claim_id must be 1-128 characters or None")
    if not actor or len(actor) > 256:
        raise ValueError("actor must be 1-256 characters")


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
    payload_hash = sha256_hex(payload_text)
    event_id = str(uuid.uuid4())
    occurred = format_timestamp(occurred_at) if occurred_at is not None else None
    with write_transaction(target) as conn:
        head_seq, prev_hash = chain_head(conn)
        recorded = now_text()
        event = StoredEvent(
            seq=head_seq + 1,
            event_id=event_id,
            event_type=event_type,
            claim_id=claim_id,
            occurred_at=occurred or recorded,
            recorded_at=recorded,
            actor=actor,
            payload=payload_text,
            payload_hash=payload_hash,
            prev_hash=prev_hash,
            entry_hash="",
        )
        event = replace(event, entry_hash=event.computed_entry_hash())
        try:
            conn.execute(EVENTS.insert().values(**asdict(event)))
        except IntegrityError:
            raise ChainError(
                event.seq,
                "another writer appended this position without the append lock "
                "(prev_hash or seq already used); nothing was written",
            ) from None
        every = config.checkpoint_every if config is not None else 0
        if config is not None and every and event.seq % every == 0 and config.signer_key:
            from audit.checkpoints import checkpoint_at  # lazy: it imports this module

            checkpoint_at(conn, size=event.seq, config=config)
    return event


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
    """
    values = {
        "content_hash": snapshot.content_hash,
        "ruleset_id": snapshot.ruleset_id,
        "version": snapshot.version,
        "files": snapshot.files_json(),
        "created_at": now_text(),
    }
    if isinstance(target, Connection):
        _insert_ignore(target, values)
        return
    with read_connection(target) as conn:
        stored = conn.execute(
            select(SNAPSHOTS.c.content_hash).where(
                SNAPSHOTS.c.content_hash == snapshot.content_hash
            )
        ).first()
    if stored is None:
        with write_transaction(target) as conn:
            _insert_ignore(conn, values)


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
