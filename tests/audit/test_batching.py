"""Group commit (audit.batching): concurrent appends share transactions, each is answered after
its own commit, and a failing member never takes the others down nor gets their answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import audit.store
from audit.batching import GroupCommit, group_commit_of
from audit.chain import StoredEvent
from audit.errors import StoreError
from audit.store import append_event, events_for_claim, iter_events
from audit.verification import verify_store
from tests.audit.conftest import ORIGIN, VERIFIER, Store

# ---------------------------------------------------------------------------------------------
# The mechanism, without a database
# ---------------------------------------------------------------------------------------------


class Log:
    """A fake transactional log: a batch is written whole (after a pause) or not at all."""

    def __init__(self, fail_if: Callable[[Sequence[int]], bool] = lambda _: False) -> None:
        self.committed: list[int] = []
        self.batches: list[list[int]] = []
        self.fail_if = fail_if
        self._lock = threading.Lock()

    def write(self, batch: Sequence[int]) -> list[str]:
        with self._lock:  # the append lock
            time.sleep(0.01)  # the commit's fsync
            if self.fail_if(batch):
                raise ValueError(f"batch {list(batch)} refused")
            self.batches.append(list(batch))
            self.committed.extend(batch)
            return [f"written {item}" for item in batch]


def submit_all(group: GroupCommit[int, str], log: Log, items: range) -> dict[int, Any]:
    def one(item: int) -> Any:
        try:
            return group.submit(item, log.write)
        except ValueError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        return dict(zip(items, pool.map(one, items), strict=True))


def test_concurrent_submits_are_batched_and_each_answered_with_its_own_result() -> None:
    group: GroupCommit[int, str] = GroupCommit()
    log = Log()
    answers = submit_all(group, log, range(40))
    assert answers == {i: f"written {i}" for i in range(40)}
    assert sorted(log.committed) == list(range(40))
    assert group.items == 40
    assert group.batches == len(log.batches) < 40  # some requests shared a transaction
    assert max(len(b) for b in log.batches) > 1


def test_a_lone_submit_is_a_batch_of_one() -> None:
    group: GroupCommit[int, str] = GroupCommit()
    log = Log()
    assert [group.submit(i, log.write) for i in range(3)] == [f"written {i}" for i in range(3)]
    assert log.batches == [[0], [1], [2]]


def test_batches_never_exceed_max_batch() -> None:
    group: GroupCommit[int, str] = GroupCommit(max_batch=3)
    log = Log()
    answers = submit_all(group, log, range(30))
    assert len(answers) == 30 and all(isinstance(a, str) for a in answers.values())
    assert max(len(b) for b in log.batches) <= 3


def test_a_failing_member_gets_its_own_error_and_the_others_are_committed() -> None:
    group: GroupCommit[int, str] = GroupCommit()
    log = Log(fail_if=lambda batch: 13 in batch)
    answers = submit_all(group, log, range(30))
    assert isinstance(answers[13], ValueError) and str(answers[13]) == "batch [13] refused"
    assert {i: a for i, a in answers.items() if i != 13} == {
        i: f"written {i}" for i in range(30) if i != 13
    }
    assert sorted(log.committed) == [i for i in range(30) if i != 13]


def test_when_every_write_fails_every_waiter_gets_an_error() -> None:
    group: GroupCommit[int, str] = GroupCommit()
    log = Log(fail_if=lambda batch: True)
    answers = submit_all(group, log, range(20))
    assert all(isinstance(a, ValueError) for a in answers.values())
    assert {str(a) for a in answers.values()} == {f"batch [{i}] refused" for i in range(20)}
    assert log.committed == []
    assert group.submit(99, Log().write) == "written 99"  # and the group still works


def test_a_write_returning_the_wrong_number_of_results_is_reported_not_retried() -> None:
    calls: list[list[int]] = []

    def short(batch: Sequence[int]) -> list[str]:
        calls.append(list(batch))
        return []  # "committed", but answers nobody

    group: GroupCommit[int, str] = GroupCommit()
    with pytest.raises(RuntimeError, match="0 results, 1 items"):
        group.submit(1, short)
    assert calls == [[1]]  # written once: a retry would write it twice


def test_max_batch_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        GroupCommit(max_batch=0)


# ---------------------------------------------------------------------------------------------
# append_event through an engine
# ---------------------------------------------------------------------------------------------


def append_concurrently(store: Store, threads: int, each: int) -> list[StoredEvent]:
    config = store.with_checkpoints(5)

    def writer(w: int) -> list[StoredEvent]:
        return [
            append_event(
                store.engine,
                event_type="decision",
                claim_id=f"CLM-{w}",
                payload={"i": i, "writer": w},
                actor=f"writer-{w}",
                config=config,
            )
            for i in range(each)
        ]

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return [e for events in pool.map(writer, range(threads)) for e in events]


def test_concurrent_appends_from_threads_are_all_committed_and_chained(store: Store) -> None:
    returned = append_concurrently(store, threads=8, each=15)
    report = verify_store(store.engine, verifier_key=VERIFIER, origin=ORIGIN)
    assert report.problem is None, report.problem
    assert report.events_checked == 120
    assert report.checkpoints_checked == 120 // 5  # checkpoints made inside batches too
    with store.connect() as conn:
        stored = {e.event_id: e for e in iter_events(conn)}
    assert sorted(e.seq for e in stored.values()) == list(range(1, 121))
    assert {e.event_id: e for e in returned} == stored  # each caller got its row as stored
    for w in range(8):  # each thread's events in its own order
        mine = events_for_claim(store.engine, claim_id=f"CLM-{w}")
        assert [e.payload for e in mine] == [f'{{"i":{i},"writer":{w}}}' for i in range(15)]
    group = group_commit_of(store.engine)
    assert group.items == 120 and group.batches < 120


def test_a_failing_append_in_a_batch_does_not_lose_the_others(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = audit.store._write_events

    def refusing(conn: Any, batch: Sequence[Any], *made: Any) -> list[StoredEvent]:
        time.sleep(0.005)  # let a queue build up
        if any(p.claim_id == "CLM-bad" for p in batch):
            raise StoreError("database error: refused")
        return real(conn, batch, *made)

    monkeypatch.setattr(audit.store, "_write_events", refusing)

    def one(i: int) -> StoredEvent | StoreError:
        try:
            claim = "CLM-bad" if i == 7 else f"CLM-{i}"
            return append_event(
                store.engine, event_type="decision", claim_id=claim, payload={"i": i}, actor="t"
            )
        except StoreError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(one, range(16)))
    assert isinstance(answers[7], StoreError)
    good = [a for i, a in enumerate(answers) if i != 7]
    assert all(isinstance(a, StoredEvent) for a in good)
    report = verify_store(store.engine, verifier_key=VERIFIER, origin=ORIGIN)
    assert report.problem is None and report.events_checked == 15
    assert events_for_claim(store.engine, claim_id="CLM-bad") == []
