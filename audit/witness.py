"""Witnesses: signed checkpoints kept outside the database, and verify against them.

Why
---
Checkpoints in the ``checkpoint`` table protect the events under them only as long as the
table itself is honest. A database superuser can delete checkpoints, rewrite the events and
their hashes, or truncate everything; the signature check then has nothing left to fail. A
*witness* keeps every checkpoint somewhere the database's operators cannot rewrite, and
``claims audit verify --witness DIR`` (or ``--trusted-checkpoint FILE``) compares the stored
trail with it: a log shorter than a witnessed checkpoint was truncated, a root that differs
was rewritten, a witnessed checkpoint missing from the table was deleted.

The file witness
----------------
A directory holding ``checkpoints.jsonl``, opened in append mode only: one JSON object per
line, ``{"checkpoint": <signed note>, "compact_range": [<hex>...], "size": N,
"witnessed_at": <RFC 3339>}``. Before appending, the witness (under an exclusive ``flock``)
checks the new checkpoint is signed by the log's key, is not smaller than the last one it
saw, has the same root if the same size, and, if larger, *extends* it: the compact range it
kept at its last size, extended with the entry hashes of the new events, must give the new
root (the same check a consistency proof makes, from the leaves instead of a proof). An
inconsistent checkpoint is refused (:class:`WitnessError`) and never written. Keep the
directory on another machine or volume than the database (a mount, a synced folder): a file
next to the database is as rewritable as the database.

Every checkpoint made through an engine with ``AuditConfig.witness_dir`` is sent here after
its transaction commits (:func:`audit.checkpoints.witness_checkpoints`); a failure is
logged, never undone (the checkpoint stands in the database, the next one is witnessed with
the events between). :func:`audit.verification.check_against_witness` compares the stored
trail with what a witness holds. This module reads no database.
"""

from __future__ import annotations

import fcntl
import hmac
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from audit.chain import StoredCheckpoint
from audit.checkpoint import Checkpoint, verify_checkpoint
from audit.errors import AuditError, CheckpointError, WitnessError
from audit.merkle import MerkleAccumulator, entry_leaf
from audit.transactions import now_text

__all__ = [
    "WITNESS_FILE",
    "FileWitness",
    "Witnessed",
    "read_trusted_checkpoint",
]

#: The file of a file witness, in its directory.
WITNESS_FILE = "checkpoints.jsonl"

#: ``leaves(first_seq, last_seq)``: the entry hashes of those events, in order.
LeafSource = Callable[[int, int], Sequence[bytes]]


@dataclass(frozen=True, slots=True)
class Witnessed:
    """One checkpoint a witness holds: the verified checkpoint and its signed note."""

    checkpoint: Checkpoint
    note: str
    compact_range: tuple[str, ...] = ()


class FileWitness:
    """An append-only file witness in ``directory`` for the log of ``verifier_key``."""

    def __init__(self, directory: Path, *, verifier_key: str, origin: str) -> None:
        self.path = Path(directory) / WITNESS_FILE
        self._key = verifier_key
        self._origin = origin

    def records(self) -> list[Witnessed]:
        """Every checkpoint witnessed, oldest first (:class:`WitnessError` on a bad line)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as exc:
            raise WitnessError(f"cannot read the witness file {self.path}: {exc}") from None
        return [self._parse(n, line) for n, line in enumerate(text.splitlines(), 1) if line]

    def _parse(self, number: int, line: str) -> Witnessed:
        where = f"{self.path}:{number}"
        try:
            record = json.loads(line)
            note = record["checkpoint"]
            hashes = tuple(str(h) for h in record.get("compact_range", ()))
            if not isinstance(note, str):
                raise TypeError("checkpoint is not text")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise WitnessError(f"{where}: not a witness record ({exc})") from None
        try:
            checkpoint = verify_checkpoint(note, self._key, origin=self._origin)
        except CheckpointError as exc:
            raise WitnessError(
                f"{where}: not a checkpoint signed by the log's key: {exc}"
            ) from None
        return Witnessed(checkpoint, note, hashes)

    def add(self, checkpoint: StoredCheckpoint, leaves: LeafSource) -> bool:
        """Check ``checkpoint`` against the last one witnessed and append it (module
        docstring). False when it was witnessed already; :class:`WitnessError` if refused."""
        try:
            new = verify_checkpoint(checkpoint.note, self._key, origin=self._origin)
        except CheckpointError as exc:
            raise WitnessError(
                f"refused: not a checkpoint signed by the log's key: {exc}"
            ) from None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed
            records = self.records()
            if records and not _extends(records[-1], new, leaves):
                return False
            line = json.dumps(
                {
                    "checkpoint": checkpoint.note,
                    "compact_range": list(checkpoint.compact_range),
                    "size": new.size,
                    "witnessed_at": now_text(),
                },
                sort_keys=True,
                ensure_ascii=False,
            )
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return True


def _extends(last: Witnessed, new: Checkpoint, leaves: LeafSource) -> bool:
    """True when ``new`` extends ``last`` (False: the same checkpoint); WitnessError if not."""
    old = last.checkpoint
    if new.size < old.size:
        raise WitnessError(
            f"refused: checkpoint {new.size} is older than checkpoint {old.size} already "
            "witnessed (the log was truncated or rolled back)"
        )
    if new.size == old.size:
        if not hmac.compare_digest(new.root, old.root):
            raise WitnessError(
                f"refused: checkpoint {new.size} has another root than the one witnessed "
                "(a fork: the log was rewritten)"
            )
        return False
    try:
        acc = MerkleAccumulator.from_state(old.size, [bytes.fromhex(h) for h in last.compact_range])
    except (ValueError, AuditError):
        acc = None
    if acc is None or not hmac.compare_digest(acc.root(), old.root):
        acc = MerkleAccumulator()  # no usable range kept: from the first event
    acc.extend(entry_leaf(h) for h in leaves(acc.size + 1, new.size))
    if not hmac.compare_digest(acc.root(), new.root):
        raise WitnessError(
            f"refused: checkpoint {new.size} does not extend checkpoint {old.size} already "
            "witnessed (events up to it were rewritten)"
        )
    return True


def read_trusted_checkpoint(path: Path, *, verifier_key: str, origin: str) -> Witnessed:
    """A signed checkpoint kept outside the database (``--trusted-checkpoint FILE``)."""
    try:
        note = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WitnessError(f"cannot read the trusted checkpoint {path}: {exc}") from None
    try:
        return Witnessed(verify_checkpoint(note, verifier_key, origin=origin), note)
    except CheckpointError as exc:
        raise WitnessError(
            f"{path} is not a checkpoint signed by the log's key: {exc}; nothing was compared"
        ) from None
