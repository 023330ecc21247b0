"""Tampering after a superuser bypass of the append-only triggers is detected by ``verify``
at the right ``seq``, on SQLite (triggers dropped) and PostgreSQL (replica role)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from audit.canonical import canonical_json, sha256_hex
from audit.chain import StoredEvent, entry_hash
from audit.checkpoints import create_checkpoint
from audit.errors import ChainError, TamperError
from audit.models import EVENTS
from audit.store import append_event, iter_events
from audit.verification import verify_store
from tests.audit.conftest import ORIGIN, VERIFIER, Store

N = 30
EVERY = 10


@pytest.fixture
def log(store: Store) -> Store:
    config = store.with_checkpoints(EVERY)
    for i in range(N):
        append_event(
            store.engine,
            event_type="decision",
            claim_id=f"CLM-{i % 4}",
            payload={"i": i, "payable": f"{100 + i}.00"},
            actor="test",
            config=config,
        )
    return store


def first_problem(store: Store, from_seq: int = 1) -> ChainError | TamperError | None:
    """The chain's problem, else the first junk checkpoint row as a TamperError at its size."""
    report = verify_store(store.engine, verifier_key=VERIFIER, origin=ORIGIN, from_seq=from_seq)
    if report.problem is None and report.junk:
        size, why = report.junk[0]
        return TamperError(size, f"checkpoint row {size} is junk: {why}")
    return report.problem


def quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def stored(store: Store, seq: int) -> StoredEvent:
    with store.connect() as conn:
        return next(iter_events(conn, from_seq=seq, to_seq=seq))


def test_untouched_log_verifies(log: Store) -> None:
    report = verify_store(log.engine, verifier_key=VERIFIER, origin=ORIGIN)
    assert (report.ok, report.events_checked, report.checkpoints_checked) == (True, N, 3)


def test_edited_payload_is_detected_at_its_seq(log: Store) -> None:
    log.bypass("""UPDATE audit_event SET payload = '{"i":7,"payable":"9999.00"}' WHERE seq = 8""")
    problem = first_problem(log)
    assert isinstance(problem, TamperError) and problem.seq == 8
    assert "payload does not match payload_hash" in problem.reason


def test_edited_payload_with_its_payload_hash_recomputed_is_detected_at_its_seq(
    log: Store,
) -> None:
    payload = '{"i":7,"payable":"9999.00"}'
    log.bypass(
        f"UPDATE audit_event SET payload = {quoted(payload)}, "
        f"payload_hash = '{sha256_hex(payload)}' WHERE seq = 8"
    )
    problem = first_problem(log)
    assert isinstance(problem, TamperError) and problem.seq == 8
    assert "entry_hash does not match" in problem.reason


def test_edited_event_with_its_own_hashes_recomputed_breaks_the_next_link(log: Store) -> None:
    event = stored(log, 8)
    payload = '{"i":7,"payable":"9999.00"}'
    fields = {
        "seq": 8,
        "event_id": event.event_id,
        "event_type": event.event_type,
        "claim_id": event.claim_id,
        "occurred_at": event.occurred_at,
        "recorded_at": event.recorded_at,
        "actor": event.actor,
        "payload_hash": sha256_hex(payload),
        "prev_hash": event.prev_hash,
    }
    log.bypass(
        f"UPDATE audit_event SET payload = {quoted(payload)}, payload_hash = "
        f"'{fields['payload_hash']}', entry_hash = '{entry_hash(**fields)}' WHERE seq = 8"  # type: ignore[arg-type]
    )
    problem = first_problem(log)
    assert isinstance(problem, ChainError) and problem.seq == 9
    assert "prev_hash does not match the entry_hash of event 8" in problem.reason


def test_deleted_row_is_detected_at_its_seq(log: Store) -> None:
    log.bypass("DELETE FROM audit_event WHERE seq = 12")
    problem = first_problem(log)
    assert isinstance(problem, ChainError) and problem.seq == 12
    assert "event 12 is missing" in problem.reason


def test_deleted_newest_row_is_detected_by_the_checkpoint_covering_it(log: Store) -> None:
    log.bypass(f"DELETE FROM audit_event WHERE seq = {N}")
    problem = first_problem(log)
    assert isinstance(problem, ChainError) and problem.seq == N
    assert f"signed checkpoint {N} covers" in problem.reason


def test_reordered_rows_are_detected_at_the_first_moved_seq(log: Store) -> None:
    log.bypass(
        "UPDATE audit_event SET seq = -1 WHERE seq = 15",
        "UPDATE audit_event SET seq = 15 WHERE seq = 16",
        "UPDATE audit_event SET seq = 16 WHERE seq = -1",
    )
    with log.connect() as conn:
        assert conn.execute(select(EVENTS.c.seq).where(EVENTS.c.seq == 15)).scalar() == 15
    problem = first_problem(log)
    assert problem is not None and problem.seq == 15


def test_rewriting_the_whole_tail_is_caught_by_the_next_signed_checkpoint(log: Store) -> None:
    """An attacker who recomputes every hash from seq 12 on still cannot re-sign checkpoint 20."""
    statements = []
    prev = stored(log, 11).entry_hash
    for seq in range(12, N + 1):
        event = stored(log, seq)
        payload = canonical_json({"i": seq, "payable": "0.00"})
        fields = {
            "seq": seq,
            "event_id": event.event_id,
            "event_type": event.event_type,
            "claim_id": event.claim_id,
            "occurred_at": event.occurred_at,
            "recorded_at": event.recorded_at,
            "actor": event.actor,
            "payload_hash": sha256_hex(payload),
            "prev_hash": prev,
        }
        prev = entry_hash(**fields)  # type: ignore[arg-type]
        statements.append(
            f"UPDATE audit_event SET payload = {quoted(payload)}, payload_hash = "
            f"'{fields['payload_hash']}', prev_hash = 'tmp{seq}', entry_hash = '{prev}' "
            f"WHERE seq = {seq}"
        )
        statements.append(
            f"UPDATE audit_event SET prev_hash = '{fields['prev_hash']}' WHERE seq = {seq}"
        )
    log.bypass(*statements)
    problem = first_problem(log)
    assert isinstance(problem, TamperError) and problem.seq == 20
    assert "does not match signed checkpoint 20" in problem.reason


def test_an_edited_checkpoint_root_is_detected(log: Store) -> None:
    log.bypass("UPDATE checkpoint SET root_hash = '" + "0" * 64 + "' WHERE tree_size = 20")
    problem = first_problem(log)
    assert isinstance(problem, TamperError) and problem.seq == 20
    assert "under another size or root" in problem.reason


def test_a_checkpoint_signed_by_another_key_is_detected(log: Store) -> None:
    from audit.checkpoint import generate_key, sign_checkpoint, verify_checkpoint

    other, _ = generate_key(ORIGIN)
    with log.connect() as conn:
        from audit.checkpoints import checkpoint_by_size

        found = checkpoint_by_size(conn, 10)
    assert found is not None
    signed = verify_checkpoint(found.note, VERIFIER)
    forged = sign_checkpoint(ORIGIN, 10, signed.root, other)
    log.bypass(f"UPDATE checkpoint SET note = {quoted(forged)} WHERE tree_size = 10")
    problem = first_problem(log)
    assert isinstance(problem, TamperError) and problem.seq == 10
    assert "is not a signed checkpoint of this log" in problem.reason


def test_verify_from_a_later_seq_checks_from_there(log: Store) -> None:
    report = verify_store(log.engine, verifier_key=VERIFIER, origin=ORIGIN, from_seq=15)
    assert (report.ok, report.events_checked, report.checkpoints_checked) == (True, 16, 3)
    log.bypass("""UPDATE audit_event SET payload = '{}' WHERE seq = 17""")
    problem = first_problem(log, from_seq=15)
    assert problem is not None and problem.seq == 17
    assert first_problem(log, from_seq=18) is None  # earlier events are taken as they are
    with pytest.raises(ValueError, match="beyond the last event"):
        first_problem(log, from_seq=N + 2)


def test_appending_after_a_checkpoint_on_demand_still_verifies(log: Store) -> None:
    create_checkpoint(log.engine, config=log.config)
    append_event(log.engine, event_type="note", claim_id=None, payload=[], actor="t")
    assert first_problem(log) is None
