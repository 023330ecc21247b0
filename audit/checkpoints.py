"""Signed checkpoints of the stored log, and the proofs that tie events and checkpoints.

A checkpoint at size ``n`` is the C2SP signed note "log ``origin`` has ``n`` entries with
Merkle root ``r``" (:mod:`audit.checkpoint`), where the leaves are the events' entry hashes
in ``seq`` order (:mod:`audit.merkle`). Checkpoints are made

- automatically, inside the append that makes the size a multiple of
  ``AuditConfig.checkpoint_every`` (:func:`audit.store.append_event`), and
- on demand (:func:`create_checkpoint`, ``claims audit checkpoint``), at the current size.

Each row also keeps the Merkle compact range at its size, so the next checkpoint hashes only
the events added since (the range is restored from the previous checkpoint *signed by the
key*, checked against its root, and extended). A checkpoint is signed only after the events
since that previous one verify (links, hashes and batch tags, :func:`checkpoint_at`), so a
row forged into the database is never signed over. Making a checkpoint takes the append
lock: its size is exactly the head of the chain, and a concurrent append cannot slip in
between.

Proofs: :func:`inclusion_proof_for` proves an event is in a checkpoint (RFC 9162 inclusion
proof, leaf index ``seq - 1``); :func:`consistency_proof_between` proves a later checkpoint
extends an earlier one. Both are checked by the DB-free :mod:`audit.verifier` /
:mod:`audit.merkle` with only the public key.
"""

from __future__ import annotations

import hmac
import logging
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, Row, select

from audit.batch_tag_store import tag_walk
from audit.canonical import canonical_json, parse_json
from audit.chain import (
    GENESIS_HASH,
    StoredCheckpoint,
    StoredEvent,
    event_document,
    junk_reason,
    verify_chain,
)
from audit.checkpoint import sign_checkpoint
from audit.config import AuditConfig
from audit.errors import AuditError, CanonicalError, ChainError, ProofError, StoreError, TamperError
from audit.merkle import (
    ConsistencyProof,
    InclusionProof,
    MerkleAccumulator,
    MerkleTree,
    consistency_proof,
    entry_leaf,
    inclusion_proof,
)
from audit.models import CHECKPOINTS, EVENTS
from audit.store import (
    Target,
    chain_head,
    entry_hashes,
    get_event,
    iter_events,
    now_text,
    read_connection,
    write_transaction,
)
from audit.tlog_proof import TlogProof
from audit.witness import FileWitness

_LOG = logging.getLogger("audit")

__all__ = [
    "ProvenEvent",
    "checkpoint_at",
    "checkpoint_at_or_below",
    "checkpoint_by_size",
    "consistency_proof_between",
    "create_checkpoint",
    "get_checkpoint",
    "inclusion_proof_for",
    "latest_checkpoint",
    "list_checkpoints",
    "merkle_tree",
    "witness_checkpoints",
]


# ---------------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------------


def _checkpoint(row: Row[tuple[object, ...]]) -> StoredCheckpoint:
    m = row._mapping
    size = int(str(m["tree_size"]))
    try:
        hashes = parse_json(str(m["compact_range"]))
    except CanonicalError:
        hashes = None
    if not isinstance(hashes, list) or not all(isinstance(h, str) for h in hashes):
        # kept (not raised) so that one junk row does not hide the rest of the trail: the
        # marker is not hex, so the range never restores (chain.junk_reason names the row)
        hashes = ["(not a list of hashes)"]
    return StoredCheckpoint(
        tree_size=size,
        root_hash=str(m["root_hash"]),
        note=str(m["note"]),
        compact_range=tuple(str(h) for h in hashes),
        created_at=str(m["created_at"]),
    )


def list_checkpoints(conn: Connection, *, min_size: int = 0) -> list[StoredCheckpoint]:
    """Checkpoints of size at least ``min_size``, smallest first."""
    rows = conn.execute(
        select(CHECKPOINTS)
        .where(CHECKPOINTS.c.tree_size >= min_size)
        .order_by(CHECKPOINTS.c.tree_size)
    ).all()
    return [_checkpoint(r) for r in rows]


def checkpoint_by_size(conn: Connection, size: int) -> StoredCheckpoint | None:
    """The checkpoint with ``tree_size == size``, if any."""
    row = conn.execute(select(CHECKPOINTS).where(CHECKPOINTS.c.tree_size == size)).first()
    return None if row is None else _checkpoint(row)


def checkpoint_at_or_below(conn: Connection, size: int) -> StoredCheckpoint | None:
    """The largest checkpoint with ``tree_size <= size``."""
    row = conn.execute(
        select(CHECKPOINTS)
        .where(CHECKPOINTS.c.tree_size <= size)
        .order_by(CHECKPOINTS.c.tree_size.desc())
        .limit(1)
    ).first()
    return None if row is None else _checkpoint(row)


def insert_checkpoint(conn: Connection, checkpoint: StoredCheckpoint) -> None:
    """Insert a checkpoint row (the caller holds the append lock)."""
    conn.execute(
        CHECKPOINTS.insert().values(
            tree_size=checkpoint.tree_size,
            root_hash=checkpoint.root_hash,
            note=checkpoint.note,
            compact_range=canonical_json(list(checkpoint.compact_range)),
            created_at=checkpoint.created_at,
        )
    )


# ---------------------------------------------------------------------------------------------
# Making checkpoints
# ---------------------------------------------------------------------------------------------


def _signed_base(
    conn: Connection, size: int, verifier_key: str, origin: str
) -> tuple[int, str, MerkleAccumulator]:
    """``(size, its event's entry_hash, restored accumulator)`` of the largest checkpoint
    below ``size`` that is a checkpoint signed by the key (junk rows are passed over);
    the genesis when there is none."""
    rows = conn.execute(
        select(CHECKPOINTS)
        .where(CHECKPOINTS.c.tree_size < size)
        .order_by(CHECKPOINTS.c.tree_size.desc())
        .limit(_BASE_CANDIDATES)
    ).all()
    for row in rows:
        base = _checkpoint(row)
        if base.tree_size > 0 and junk_reason(base, verifier_key, origin) is None:
            try:
                acc = base.accumulator()
            except (ValueError, AuditError):
                continue
            if not hmac.compare_digest(acc.root().hex(), base.root_hash):
                continue
            prev = conn.execute(
                select(EVENTS.c.entry_hash).where(EVENTS.c.seq == base.tree_size)
            ).scalar()
            if prev is None:
                raise ChainError(base.tree_size, f"event {base.tree_size} is missing")
            return base.tree_size, str(prev), acc
    return 0, GENESIS_HASH, MerkleAccumulator()


#: Checkpoint rows looked at, newest first, for a signed base (junk rows are skipped).
_BASE_CANDIDATES = 8


def checkpoint_at(conn: Connection, *, size: int, config: AuditConfig) -> StoredCheckpoint:
    """Sign and store the checkpoint at ``size`` (or return the one already there).

    Nothing is signed unless the events since the previous signed checkpoint verify: every
    link, hash and, with a batch key, every batch tag (:mod:`audit.batch_tags`). Otherwise
    the problem is raised (:class:`ChainError` / :class:`TamperError`, naming its ``seq``)
    and nothing is written. The caller holds the append lock
    (:func:`audit.store.write_transaction`).
    """
    verifier = config.verifier_key()
    existing = checkpoint_by_size(conn, size)
    if existing is not None:
        why = junk_reason(existing, verifier, config.origin)
        if why is not None:
            raise TamperError(size, f"the checkpoint row already at size {size} is junk: {why}")
        return existing
    base, prev, acc = _signed_base(conn, size, verifier, config.origin)
    walk = tag_walk(
        conn, start_seq=base + 1, key=config.batch(), origin=config.origin, end_seq=size
    )
    reports = verify_chain(
        iter_events(conn, from_seq=base + 1, to_seq=size),
        [],
        verifier_key=verifier,
        origin=config.origin,
        start=(base + 1, prev, acc),
        tags=walk,
    )
    report = deque(reports, maxlen=1).pop()  # the last report is the final one
    if report.problem is not None:
        problem = report.problem
        raise type(problem)(problem.seq, f"refusing to sign checkpoint {size}: {problem.reason}")
    if acc.size != size:
        raise ChainError(acc.size + 1, f"refusing to sign checkpoint {size}: events are missing")
    root = acc.root()
    checkpoint = StoredCheckpoint(
        tree_size=size,
        root_hash=root.hex(),
        note=sign_checkpoint(config.origin, size, root, config.require_signer()),
        compact_range=tuple(h.hex() for h in acc.hashes),
        created_at=now_text(),
    )
    insert_checkpoint(conn, checkpoint)
    return checkpoint


def create_checkpoint(target: Target, *, config: AuditConfig) -> StoredCheckpoint:
    """Checkpoint the log at its current size now (the existing one if nothing was added).

    Through an engine, the checkpoint is then sent to the configured witness (a refusal is
    logged: the checkpoint stands)."""
    config.require_signer()
    with write_transaction(target) as conn:
        size, _ = chain_head(conn)
        if size == 0:
            raise StoreError("the audit trail is empty: there is nothing to checkpoint")
        checkpoint = checkpoint_at(conn, size=size, config=config)
    if (config.witness_dir or config.witness_url) and isinstance(target, Engine):
        witness_checkpoints(target, [checkpoint], config=config)
    return checkpoint


def get_checkpoint(target: Target, *, size: int) -> StoredCheckpoint:
    """The checkpoint at ``size`` (:class:`StoreError` if there is none)."""
    with read_connection(target) as conn:
        found = checkpoint_by_size(conn, size)
    if found is None:
        raise StoreError(f"there is no checkpoint at size {size}")
    return found


def latest_checkpoint(target: Target | Connection) -> StoredCheckpoint | None:
    """The largest checkpoint, or ``None``."""
    query = select(CHECKPOINTS.c.tree_size).order_by(CHECKPOINTS.c.tree_size.desc()).limit(1)
    if isinstance(target, Connection):
        size = target.execute(query).scalar()
        return None if size is None else checkpoint_by_size(target, int(size))
    with read_connection(target) as conn:
        size = conn.execute(query).scalar()
        return None if size is None else checkpoint_by_size(conn, int(size))


def merkle_tree(conn: Connection, *, size: int) -> MerkleTree:
    """The Merkle tree of events ``1..size`` as stored."""
    return MerkleTree(entry_leaf(h) for h in entry_hashes(conn, to_seq=size))


@dataclass(frozen=True, slots=True)
class ProvenEvent:
    """An event, its inclusion proof and the checkpoint the proof is against."""

    event: StoredEvent
    proof: InclusionProof
    checkpoint: StoredCheckpoint

    def files(self) -> dict[str, str]:
        """The proof files ``claims audit prove`` writes, by name (docs/audit-format.md):
        the event document as canonical JSON, the JSON inclusion proof, the signed
        checkpoint, and the same proof and checkpoint as one C2SP tlog-proof."""
        tlog = TlogProof(self.proof.leaf_index, self.proof.hashes, self.checkpoint.note)
        return {
            "event.json": canonical_json(event_document(self.event)),
            "proof.json": self.proof.to_json(),
            "checkpoint.txt": self.checkpoint.note,
            "proof.tlog-proof": tlog.text(),
        }


def _covering(conn: Connection, seq: int, tree_size: int | None) -> StoredCheckpoint:
    if tree_size is not None:
        found = checkpoint_by_size(conn, tree_size)
        if found is None:
            raise StoreError(f"there is no checkpoint at size {tree_size}")
        if found.tree_size < seq:
            raise StoreError(f"checkpoint {tree_size} does not cover event {seq}")
        return found
    latest = latest_checkpoint(conn)
    if latest is None or latest.tree_size < seq:
        raise StoreError(
            f"no checkpoint covers event {seq} yet: make one with `claims audit checkpoint`"
        )
    return latest


def inclusion_proof_for(
    target: Target,
    *,
    event_ids: list[str],
    tree_size: int | None = None,
    tree: MerkleTree | None = None,
) -> list[ProvenEvent]:
    """Inclusion proofs of events in one checkpoint (the latest, or the one at ``tree_size``).

    Every event must be covered by that checkpoint. The Merkle tree is read once for all of
    them (or pass a ``tree`` already built from the log).
    """
    events = [get_event(target, event_id=e) for e in event_ids]
    with read_connection(target) as conn:
        newest = max((e.seq for e in events), default=1)
        checkpoint = _covering(conn, newest, tree_size)
        size = checkpoint.tree_size
        if tree is None or tree.size < size:
            tree = merkle_tree(conn, size=size)
    if not hmac.compare_digest(tree.root(size).hex(), checkpoint.root_hash):
        raise ProofError(
            f"the stored events do not match checkpoint {size}: run `claims audit verify`"
        )
    return [
        ProvenEvent(
            e,
            InclusionProof(e.seq - 1, size, tuple(inclusion_proof(e.seq - 1, size, tree))),
            checkpoint,
        )
        for e in events
    ]


def consistency_proof_between(
    target: Target, *, first_size: int, second_size: int
) -> tuple[ConsistencyProof, StoredCheckpoint, StoredCheckpoint]:
    """Proof that checkpoint ``second_size`` extends checkpoint ``first_size``."""
    if first_size > second_size:
        raise StoreError(f"checkpoint {first_size} is newer than checkpoint {second_size}")
    with read_connection(target) as conn:
        first, second = checkpoint_by_size(conn, first_size), checkpoint_by_size(conn, second_size)
        for size, found in ((first_size, first), (second_size, second)):
            if found is None:
                raise StoreError(f"there is no checkpoint at size {size}")
        tree = merkle_tree(conn, size=second_size)
    assert first is not None and second is not None
    proof = ConsistencyProof(
        first_size, second_size, tuple(consistency_proof(first_size, second_size, tree))
    )
    return proof, first, second


def witness_checkpoints(
    engine: Engine, checkpoints: Iterable[StoredCheckpoint], *, config: AuditConfig
) -> None:
    """Send committed checkpoints to the configured witnesses; problems are logged (the
    checkpoints stand: the next one is witnessed with the events in between)."""
    for checkpoint in checkpoints:
        try:
            if config.witness_dir is not None:
                _file_witness(engine, checkpoint, config, config.witness_dir)
            if config.witness_url is not None:
                _http_witness(engine, checkpoint, config, config.witness_url)
        except AuditError as exc:
            _LOG.error("audit checkpoint %d not witnessed: %s", checkpoint.tree_size, exc)


def _file_witness(
    engine: Engine, checkpoint: StoredCheckpoint, config: AuditConfig, directory: Path
) -> None:
    witness = FileWitness(directory, verifier_key=config.verifier_key(), origin=config.origin)

    def leaves(first: int, last: int) -> list[bytes]:
        with read_connection(engine) as conn:
            return entry_hashes(conn, from_seq=first, to_seq=last)

    witness.add(checkpoint, leaves)


def _http_witness(
    engine: Engine, checkpoint: StoredCheckpoint, config: AuditConfig, url: str
) -> None:
    from audit.witness_http import submit_checkpoint  # lazy: only with an HTTP witness

    def proof(old: int, new: int) -> list[bytes]:
        with read_connection(engine) as conn:
            return consistency_proof(old, new, merkle_tree(conn, size=new))

    submit_checkpoint(
        url,
        checkpoint.note,
        checkpoint.tree_size,
        proof,
        witness_key=config.witness_key,
        log_key=config.verifier_key(),
    )
