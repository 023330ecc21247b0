"""Concurrent writers never fork the chain or leave a gap; a writer killed with SIGKILL in the
middle of its transaction leaves no partial event behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from audit.errors import UnknownEventError
from audit.models import EVENTS
from audit.store import append_event, get_event, iter_events
from audit.verification import verify_store
from tests.audit.conftest import ORIGIN, SIGNER, VERIFIER, Store

REPO = Path(__file__).resolve().parents[2]


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.audit.writer", *args],
        cwd=REPO,
        env={**os.environ, "AUDIT_TEST_SIGNER": SIGNER},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_writers(store: Store, writers: int, each: int) -> None:
    start_at = time.time() + 2.0  # let every interpreter start before the first append
    procs = [spawn("append", store.url, str(each), f"{start_at}", str(w)) for w in range(writers)]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert out.strip() == "done"


def check_log(store: Store, writers: int, each: int) -> None:
    total = writers * each
    report = verify_store(store.engine, verifier_key=VERIFIER, origin=ORIGIN)
    assert report.problem is None, report.problem
    assert report.events_checked == total
    assert report.checkpoints_checked == total // 100
    with store.connect() as conn:
        events = list(iter_events(conn))
    assert [e.seq for e in events] == list(range(1, total + 1))  # no gap
    assert len({e.prev_hash for e in events}) == total  # no fork
    for w in range(writers):  # each writer's own events in its order
        mine = [json.loads(e.payload) for e in events if e.claim_id == f"CLM-{w}"]
        assert [p["i"] for p in mine] == list(range(each))


@pytest.mark.postgres
@pytest.mark.slow
def test_eight_processes_appending_500_each_on_postgres(pg_store: Store) -> None:
    run_writers(pg_store, 8, 500)
    check_log(pg_store, 8, 500)


def test_four_processes_appending_on_sqlite(sqlite_store: Store) -> None:
    run_writers(sqlite_store, 4, 100)
    check_log(sqlite_store, 4, 100)


def test_a_writer_killed_mid_transaction_leaves_no_partial_event(store: Store) -> None:
    for i in range(3):
        append_event(store.engine, event_type="decision", claim_id="C", payload={"i": i}, actor="t")
    with spawn("hold", store.url) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        held = proc.stdout.readline().strip()
        assert held, proc.stderr.read()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    with pytest.raises(UnknownEventError):
        get_event(store.engine, event_id=held)
    # the lock died with the writer: the next append goes through at once, as seq 4
    started = time.monotonic()
    event = append_event(
        store.engine, event_type="decision", claim_id="C", payload={"after": 1}, actor="t"
    )
    assert event.seq == 4 and time.monotonic() - started < 5
    report = verify_store(store.engine, verifier_key=VERIFIER, origin=ORIGIN)
    assert report.problem is None and report.events_checked == 4


def test_a_busy_writer_killed_at_a_random_moment_leaves_a_valid_chain(store: Store) -> None:
    with spawn("loop", store.url) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "running"
        time.sleep(0.137)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    with store.connect() as conn:
        count = conn.execute(select(func.count()).select_from(EVENTS)).scalar_one()
    assert count >= 20
    append_event(store.engine, event_type="decision", claim_id="C", payload={}, actor="t")
    report = verify_store(store.engine, verifier_key=VERIFIER, origin=ORIGIN)
    assert report.problem is None and report.events_checked == count + 1
