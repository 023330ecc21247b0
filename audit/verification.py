"""Verification of the stored trail: every link, payload hash, checkpoint root and signature.

:func:`verify_store` reads the log in one consistent snapshot (SQLite: a deferred read
transaction in WAL mode; PostgreSQL: REPEATABLE READ), in ``seq`` order and in pages, and
feeds it to :func:`audit.chain.verify_chain`, which stops at the first problem and says
which ``seq`` is bad and why. Appends may go on meanwhile; they are simply not seen.

``from_seq`` starts the walk later: the Merkle state before it is restored from the largest
checkpoint below it (whose signature and saved compact range are checked first) and extended
with the stored entry hashes up to ``from_seq - 1``, which are taken as they are; everything
from ``from_seq`` on is checked in full, and so is every checkpoint from that base on.

Checkpoint rows that are not signed checkpoints of the log (junk inserted by someone with
database access) are named in ``report.junk`` and left out; the rest is still verified.
Batch tags (:mod:`audit.batch_tags`) are walked along with the events.
"""

from __future__ import annotations

import contextlib
import hmac
from collections.abc import Callable, Sequence

from sqlalchemy import Connection, Engine, select

from audit.batch_tag_store import tag_walk
from audit.batch_tags import BatchKey
from audit.chain import GENESIS_HASH, VerifyReport, junk_reason, verify_chain
from audit.checkpoint import verify_checkpoint
from audit.checkpoints import checkpoint_at_or_below, checkpoint_by_size, list_checkpoints
from audit.errors import AuditError, CheckpointError, TamperError
from audit.merkle import MerkleAccumulator, entry_leaf
from audit.models import EVENTS
from audit.store import Target, chain_head, entry_hashes, iter_events, read_connection
from audit.witness import Witnessed

__all__ = ["PROGRESS_EVERY", "check_against_witness", "verify_store"]

#: Events between two progress callbacks.
PROGRESS_EVERY = 1000

Start = tuple[int, str, MerkleAccumulator]


def _start_at(conn: Connection, from_seq: int, verifier_key: str, origin: str) -> tuple[Start, int]:
    """Where the walk starts, and how many checkpoints (0 or 1) were checked to get there."""
    if from_seq <= 1:
        return (1, GENESIS_HASH, MerkleAccumulator()), 0
    base = checkpoint_at_or_below(conn, from_seq - 1)
    if base is not None and junk_reason(base, verifier_key, origin) is not None:
        base = None  # a junk row is reported by the walk; start from the genesis instead
    acc = MerkleAccumulator()
    if base is not None:
        try:
            signed = verify_checkpoint(base.note, verifier_key, origin=origin)
            acc = base.accumulator()
        except (CheckpointError, ValueError) as exc:
            reason = exc.reason if isinstance(exc, AuditError) else str(exc)
            raise TamperError(base.tree_size, f"checkpoint {base.tree_size}: {reason}") from None
        if not hmac.compare_digest(acc.root(), signed.root) or signed.size != base.tree_size:
            raise TamperError(
                base.tree_size,
                f"checkpoint {base.tree_size}: saved compact range does not match its root",
            )
    acc.extend(
        entry_leaf(h) for h in entry_hashes(conn, from_seq=acc.size + 1, to_seq=from_seq - 1)
    )
    prev = conn.execute(select(EVENTS.c.entry_hash).where(EVENTS.c.seq == from_seq - 1)).scalar()
    return (from_seq, str(prev), acc), int(base is not None)


def verify_store(
    target: Target,
    *,
    verifier_key: str,
    origin: str,
    from_seq: int = 1,
    progress: Callable[[int], None] | None = None,
    total: Callable[[int], None] | None = None,
    batch_key: BatchKey | None = None,
) -> VerifyReport:
    """Verify the stored log (module docstring) and return the report.

    Batch tags are always walked for coverage (every event after the legacy prefix is
    covered by one tag, tags follow each other); with ``batch_key`` their HMACs are checked
    too (:mod:`audit.batch_tags`). ``report.tags`` tells what was found.

    ``total`` is called once with the number of events to check, ``progress`` with the
    number checked since its previous call (every :data:`PROGRESS_EVERY` events and at the
    end). Raises ``ValueError`` when ``from_seq`` is beyond the log.
    """
    if from_seq < 1:
        raise ValueError("--from must be at least 1")
    with read_connection(target) as conn:
        head, _ = chain_head(conn)
        if from_seq > max(head, 1):
            raise ValueError(f"--from {from_seq} is beyond the last event ({head})")
        if total is not None:
            total(max(head - from_seq + 1, 0))
        try:
            start, base_checked = _start_at(conn, from_seq, verifier_key, origin)
            # the one at from_seq - 1, if any, was the base and is checked already
            checkpoints = list_checkpoints(conn, min_size=from_seq)
            tags = tag_walk(conn, start_seq=from_seq, key=batch_key, origin=origin)
        except TamperError as exc:
            return VerifyReport(first_seq=from_seq, problem=exc)
        except AuditError as exc:  # e.g. the events before from_seq are not all there
            return VerifyReport(first_seq=from_seq, problem=TamperError(from_seq, exc.reason))
        report = VerifyReport(first_seq=from_seq)
        reported = 0
        for report in verify_chain(
            iter_events(conn, from_seq=from_seq),
            checkpoints,
            verifier_key=verifier_key,
            origin=origin,
            start=start,
            tags=tags,
        ):
            if progress is not None and report.events_checked - reported >= PROGRESS_EVERY:
                progress(report.events_checked - reported)
                reported = report.events_checked
        report.checkpoints_checked += base_checked
        if progress is not None and report.events_checked > reported:
            progress(report.events_checked - reported)
    return report


def check_against_witness(engine: Engine, witnessed: Sequence[Witnessed]) -> list[str]:
    """What the stored trail contradicts in ``witnessed`` checkpoints (empty: nothing).

    The largest one must be within the log and have the root of events ``1..size`` as
    stored (else: truncated, or rewritten); every one must still be in the checkpoint table
    with its root (else: deleted, or replaced).
    """
    if not witnessed:
        return []
    problems: list[str] = []
    latest = max(witnessed, key=lambda w: w.checkpoint.size)
    with read_connection(engine) as conn:
        head, _ = chain_head(conn)
        size = latest.checkpoint.size
        if head < size:
            problems.append(
                f"TRUNCATED: checkpoint {size} was witnessed but the log holds only {head} events"
            )
        else:
            acc = MerkleAccumulator()
            # events missing: the root below differs, and verify names the gap
            with contextlib.suppress(AuditError):
                acc.extend(entry_leaf(h) for h in entry_hashes(conn, to_seq=size))
            if size and not hmac.compare_digest(acc.root(), latest.checkpoint.root):
                problems.append(
                    f"REWRITTEN: the stored events 1..{size} do not have the root of witnessed "
                    f"checkpoint {size}"
                )
        for item in sorted(witnessed, key=lambda w: w.checkpoint.size):
            stored = checkpoint_by_size(conn, item.checkpoint.size)
            if stored is None:
                problems.append(
                    f"DELETED: witnessed checkpoint {item.checkpoint.size} is not in the "
                    "checkpoint table"
                )
            elif stored.root_hash != item.checkpoint.root.hex():
                problems.append(
                    f"REPLACED: checkpoint {item.checkpoint.size} in the table has another root "
                    "than the one witnessed"
                )
    return problems
