"""Group commit: concurrent appends of one process share a transaction, a lock and an fsync.

Appends are serialized (one append lock per log, :mod:`audit.store`), and each one used to
hold that lock through its own commit, so a process could never append faster than its
disk flushes, and its threads queued on the database lock (SQLite's busy handler even
*sleeps* between retries). With :class:`GroupCommit` the threads of a process queue here
instead: the first one in becomes the *leader*, takes every request queued so far (up to
``max_batch``) and writes them in one transaction; the others wait on their own wake-up.
Each request is answered only after the transaction holding it has committed, so "answered
only after the append is durable" still holds, per request. While a batch is being written
new requests queue up and the first of them leads the next batch: there is no timer and no
extra latency when the process is idle (a lone request is a batch of one).

A batch fails as a whole (one transaction). Then no member is answered with another
member's error: every member of a failed batch of several is written again *alone*, by its
own thread, and gets its own result or its own exception. A batch of one reports its error
directly. Nothing is lost: a rolled-back batch wrote nothing, and a retried request is
written as if it had never been batched.

The class is generic (it knows nothing of databases): :func:`audit.store.append_event`
gives it the function that writes a batch inside one transaction.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

__all__ = ["DEFAULT_MAX_BATCH", "GroupCommit", "group_commit_of"]

#: Most requests written in one transaction (bounds the transaction's size and lock time).
DEFAULT_MAX_BATCH = 64

T = TypeVar("T")
R = TypeVar("R")


@dataclass(eq=False, slots=True)
class _Request(Generic[T, R]):
    item: T
    wake: threading.Event = field(default_factory=threading.Event)
    lead: bool = False  # woken to lead the next batch
    retry: bool = False  # its batch failed: write it alone
    result: R | None = None
    error: BaseException | None = None


class GroupCommit(Generic[T, R]):
    """Batches concurrent :meth:`submit` calls of one process (module docstring).

    ``write(batch)`` must write every item of ``batch`` in one transaction, in order, and
    return their results in the same order, or raise (having written nothing).
    """

    def __init__(self, *, max_batch: int = DEFAULT_MAX_BATCH) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Request[T, R]] = []
        self._writing = False
        #: Batches written and items in them (for tests and benchmarks).
        self.batches = 0
        self.items = 0

    def submit(self, item: T, write: Callable[[Sequence[T]], Sequence[R]]) -> R:
        """Write ``item`` (in a batch with whatever else is queued); returns after commit."""
        request: _Request[T, R] = _Request(item)
        with self._lock:
            self._queue.append(request)
            leading = not self._writing
            self._writing = True
        if not leading:
            request.wake.wait()  # woken when our batch is done, or to lead the next one
            leading = request.lead
        if leading:
            self._lead(write)  # our request is the oldest queued: it is in this batch
        if request.retry:
            return write([request.item])[0]
        if request.error is not None:
            raise request.error
        return cast(R, request.result)

    def _lead(self, write: Callable[[Sequence[T]], Sequence[R]]) -> None:
        with self._lock:
            batch = self._queue[: self._max_batch]
            del self._queue[: self._max_batch]
        try:
            try:
                results = write([r.item for r in batch])
            except BaseException as exc:  # every waiter must be woken, whatever happened
                if len(batch) == 1:
                    batch[0].error = exc
                else:
                    for request in batch:
                        request.retry = True
                if not isinstance(exc, Exception):
                    raise
                return
            self.batches += 1
            self.items += len(batch)
            if len(results) != len(batch):  # committed, so never retried: a bug to report
                mismatch = RuntimeError(f"group commit: {len(results)} results, {len(batch)} items")
                for request in batch:
                    request.error = mismatch
                return
            for request, result in zip(batch, results, strict=True):
                request.result = result
        finally:
            self._hand_over()
            for request in batch:
                request.wake.set()

    def _hand_over(self) -> None:
        """Wake the oldest queued request to lead the next batch, or stop writing."""
        with self._lock:
            if self._queue:
                following = self._queue[0]
                following.lead = True
                following.wake.set()
            else:
                self._writing = False


# One group per key (a database engine): held weakly, so a disposed engine takes its group
# with it; a forked child starts with none (a lock or a queue must not cross a fork).
_GROUPS: weakref.WeakKeyDictionary[Any, GroupCommit[Any, Any]] = weakref.WeakKeyDictionary()
_GROUPS_LOCK = threading.Lock()


def group_commit_of(key: object) -> GroupCommit[Any, Any]:
    """The process's :class:`GroupCommit` for ``key`` (made on first use)."""
    found = _GROUPS.get(key)
    if found is None:
        with _GROUPS_LOCK:
            found = _GROUPS.setdefault(key, GroupCommit())
    return found


def _forget_after_fork() -> None:
    global _GROUPS_LOCK
    _GROUPS_LOCK = threading.Lock()
    _GROUPS.clear()


os.register_at_fork(after_in_child=_forget_after_fork)
