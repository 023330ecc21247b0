"""Issue 15, finding 2: the audit trail forged from inside the database, now detected.

Each test reproduces one attack of the finding as described (with the application's
database credentials only; as a database superuser) on SQLite and on PostgreSQL, and checks
what now answers it: batch tags, checkpoints signed only over a verifying chain, the file
witness and trusted checkpoints, junk checkpoint rows named as such.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import ProgrammingError

from audit.adoption import adopt_legacy_prefix
from audit.batch_tag_store import tags_from
from audit.batch_tags import generate_batch_key
from audit.canonical import canonical_json, sha256_hex
from audit.chain import StoredEvent, VerifyReport, entry_hash
from audit.checkpointer import IdleCheckpointer, checkpoint_if_due
from audit.checkpoints import create_checkpoint, latest_checkpoint
from audit.config import AuditConfig
from audit.errors import ChainError, TamperError, WitnessError
from audit.models import CHECKPOINTS, EVENTS
from audit.store import append_event, chain_head, iter_events
from audit.verification import check_against_witness, verify_store
from audit.witness import FileWitness
from tests.audit.conftest import ORIGIN, VERIFIER, Store

N = 25
EVERY = 10
FAKE_OVERRIDE = {
    "claim_id": "CLM-1",
    "outcome": "approve",
    "payable": "999999.00",
    "reason": "approved by phone",
    "decided_by": {"role": "adjuster", "sub": "mallory"},
}


@pytest.fixture
def config(store: Store, tmp_path: Path) -> AuditConfig:
    return replace(
        store.config,
        checkpoint_every=EVERY,
        batch_key=generate_batch_key(),
        witness_dir=tmp_path / "witness",
    )


@pytest.fixture
def log(store: Store, config: AuditConfig) -> Store:
    for i in range(N):
        append(store, config, i)
    return store


def append(store: Store, config: AuditConfig, i: int) -> StoredEvent:
    return append_event(
        store.engine,
        event_type="decision",
        claim_id=f"CLM-{i % 4}",
        payload={"i": i, "payable": f"{100 + i}.00"},
        actor="service",
        config=config,
    )


def verify(store: Store, config: AuditConfig) -> VerifyReport:
    return verify_store(
        store.engine, verifier_key=VERIFIER, origin=ORIGIN, batch_key=config.batch()
    )


def witness(config: AuditConfig) -> FileWitness:
    assert config.witness_dir is not None
    return FileWitness(config.witness_dir, verifier_key=VERIFIER, origin=ORIGIN)


def forged_row(store: Store, payload: object, seq: int | None = None) -> dict[str, object]:
    """An event with every hash recomputed, chained after ``seq - 1`` (default: the head)."""
    with store.connect() as conn:
        head, head_hash = chain_head(conn)
        if seq is not None and seq <= head:
            head_hash = next(iter_events(conn, from_seq=seq - 1, to_seq=seq - 1)).entry_hash
    seq = head + 1 if seq is None else seq
    body = canonical_json(payload)
    at = "2026-12-04T10:00:00.000000Z"
    fields = {
        "seq": seq,
        "event_id": f"forged-{seq}",
        "event_type": "decision_override",
        "claim_id": "CLM-1",
        "occurred_at": at,
        "recorded_at": at,
        "actor": "adjuster:mallory",
        "payload_hash": sha256_hex(body),
        "prev_hash": head_hash,
    }
    return {**fields, "payload": body, "entry_hash": entry_hash(**fields)}  # type: ignore[arg-type]


def insert_as_app(store: Store, row: dict[str, object]) -> None:
    """INSERT with the application's database credentials only (PostgreSQL: the app role)."""
    with store.engine.begin() as conn:
        if store.kind == "postgres":
            conn.execute(text("SET LOCAL ROLE claims_app"))
        conn.execute(EVENTS.insert().values(**row))


def rewrite_from(store: Store, seq: int, payload: object) -> None:
    """As a superuser: replace event ``seq`` and recompute every hash after it."""
    with store.connect() as conn:
        events = list(iter_events(conn, from_seq=seq))
    prev = forged_row(store, payload, seq)
    statements = [f"DELETE FROM audit_event WHERE seq >= {seq}"]
    rows = [prev]
    for event in events[1:]:
        fields = {
            "seq": event.seq,
            "event_id": event.event_id,
            "event_type": event.event_type,
            "claim_id": event.claim_id,
            "occurred_at": event.occurred_at,
            "recorded_at": event.recorded_at,
            "actor": event.actor,
            "payload_hash": event.payload_hash,
            "prev_hash": str(rows[-1]["entry_hash"]),
        }
        rows.append({**fields, "payload": event.payload, "entry_hash": entry_hash(**fields)})  # type: ignore[arg-type]
    store.bypass(*statements)
    with store.engine.begin() as conn:
        conn.execute(EVENTS.insert(), rows)


# ---------------------------------------------------------------------------------------------
# With the application's credentials only
# ---------------------------------------------------------------------------------------------


def test_a_fake_override_appended_with_app_credentials_fails_verify_and_is_never_signed(
    log: Store, config: AuditConfig
) -> None:
    assert verify(log, config).ok
    insert_as_app(log, forged_row(log, FAKE_OVERRIDE))
    report = verify(log, config)
    assert isinstance(report.problem, TamperError) and report.problem.seq == N + 1
    assert "covered by no batch tag" in report.problem.reason
    with pytest.raises(TamperError, match=f"refusing to sign checkpoint {N + 1}"):
        create_checkpoint(log.engine, config=config)
    # the service goes on appending; the checkpoint due at 30 is not signed over the forgery
    for i in range(N + 1, 30):
        append(log, config, i)
    with log.connect() as conn:
        assert conn.execute(select(func.max(CHECKPOINTS.c.tree_size))).scalar() == 20
    assert witness(config).records()[-1].checkpoint.size == 20
    report = verify(log, config)
    assert report.problem is not None and report.problem.seq == N + 1


def test_a_forged_tag_row_does_not_make_the_fake_override_verify(
    log: Store, config: AuditConfig
) -> None:
    row = forged_row(log, FAKE_OVERRIDE)
    insert_as_app(log, row)
    with log.engine.begin() as conn:
        if log.kind == "postgres":
            conn.execute(text("SET LOCAL ROLE claims_app"))
        key_id = config.batch().key_id  # type: ignore[union-attr]
        conn.execute(
            text(
                "INSERT INTO audit_batch_tag (last_seq, first_seq, kind, key_id, tag, created_at) "
                f"VALUES ({N + 1}, {N + 1}, 'batch', '{key_id}', '{'ab' * 32}', 'x')"
            )
        )
    problem = verify(log, config).problem
    assert isinstance(problem, TamperError) and problem.seq == N + 1
    assert "does not verify" in problem.reason and "without the batch key" in problem.reason


def test_the_app_role_cannot_delete_or_change_tags(pg_store: Store) -> None:
    for statement in ("DELETE FROM audit_batch_tag", "UPDATE audit_batch_tag SET tag = 'x'"):
        with (
            pytest.raises(ProgrammingError, match="permission denied"),
            pg_store.engine.begin() as conn,
        ):
            conn.execute(text("SET LOCAL ROLE claims_app"))
            conn.execute(text(statement))


# ---------------------------------------------------------------------------------------------
# As a database superuser
# ---------------------------------------------------------------------------------------------


def test_rewriting_the_events_after_the_last_checkpoint_is_detected(
    log: Store, config: AuditConfig
) -> None:
    rewrite_from(log, 22, FAKE_OVERRIDE)
    problem = verify(log, config).problem
    # each append was its own batch: the first rewritten event's tag fails
    assert isinstance(problem, TamperError) and problem.seq == 22
    assert "batch tag 22..22 does not verify" in problem.reason


def test_deleting_the_events_after_the_last_checkpoint_is_detected(
    log: Store, config: AuditConfig
) -> None:
    log.bypass("DELETE FROM audit_event WHERE seq > 20")
    problem = verify(log, config).problem
    assert isinstance(problem, ChainError) and problem.seq == 21
    assert "batch tag" in problem.reason


def test_deleting_the_checkpoints_then_rewriting_is_detected_with_the_witness(
    log: Store, config: AuditConfig, tmp_path: Path
) -> None:
    kept = tmp_path / "checkpoint-20.txt"
    found = latest_checkpoint(log.engine)
    assert found is not None
    kept.write_text(found.note, encoding="utf-8")
    log.bypass("DELETE FROM checkpoint", "DELETE FROM audit_batch_tag")
    rewrite_from(log, 5, FAKE_OVERRIDE)
    report = verify(log, config)
    assert report.ok  # from the database alone it looks like an untagged legacy trail...
    assert report.tags is not None and report.tags.legacy_end is None
    problems = check_against_witness(log.engine, witness(config).records())
    assert any(p.startswith("REWRITTEN: the stored events 1..20") for p in problems)
    assert any(p.startswith("DELETED: witnessed checkpoint 10") for p in problems)
    from audit.witness import read_trusted_checkpoint

    trusted = read_trusted_checkpoint(kept, verifier_key=VERIFIER, origin=ORIGIN)
    assert check_against_witness(log.engine, [trusted])[0].startswith("REWRITTEN")


def test_truncating_everything_is_detected_with_the_witness(
    log: Store, config: AuditConfig
) -> None:
    log.bypass("DELETE FROM audit_batch_tag", "DELETE FROM checkpoint", "DELETE FROM audit_event")
    assert verify(log, config).ok and verify(log, config).events_checked == 0
    problems = check_against_witness(log.engine, witness(config).records())
    assert problems[0] == "TRUNCATED: checkpoint 20 was witnessed but the log holds only 0 events"


def test_the_witness_refuses_a_checkpoint_of_a_rewritten_log(
    log: Store, config: AuditConfig
) -> None:
    rewrite_from(log, 5, FAKE_OVERRIDE)
    log.bypass("DELETE FROM checkpoint", "DELETE FROM audit_batch_tag")
    # even a holder of the signer key (not the batch key: none checks tags here) cannot
    # get a checkpoint of the rewritten log past the witness
    keyless = replace(config, batch_key=None, witness_dir=None)
    checkpoint = create_checkpoint(log.engine, config=keyless)

    def leaves(first: int, last: int) -> list[bytes]:
        with log.connect() as conn:
            return [
                bytes.fromhex(e.entry_hash) for e in iter_events(conn, from_seq=first, to_seq=last)
            ]

    with pytest.raises(WitnessError, match="does not extend checkpoint 20"):
        witness(config).add(checkpoint, leaves)
    assert witness(config).records()[-1].checkpoint.size == 20


# ---------------------------------------------------------------------------------------------
# Junk checkpoint rows
# ---------------------------------------------------------------------------------------------


def test_a_junk_checkpoint_row_is_named_and_the_rest_still_verifies(
    log: Store, config: AuditConfig
) -> None:
    with log.engine.begin() as conn:
        if log.kind == "postgres":
            conn.execute(text("SET LOCAL ROLE claims_app"))
        conn.execute(
            CHECKPOINTS.insert().values(
                tree_size=1000, root_hash="0" * 64, note="junk", compact_range="[]", created_at="x"
            )
        )
    report = verify(log, config)
    assert report.problem is None and report.events_checked == N
    assert report.checkpoints_checked == 2 and not report.ok
    ((size, why),) = report.junk
    assert size == 1000 and "is not a signed checkpoint of this log" in why
    # the service keeps checkpointing past it
    for i in range(N, 30):
        append(log, config, i)
    assert latest_checkpoint(log.engine).tree_size == 1000  # type: ignore[union-attr]
    report = verify(log, config)
    assert report.problem is None and report.checkpoints_checked == 3


# ---------------------------------------------------------------------------------------------
# Checkpoints by time
# ---------------------------------------------------------------------------------------------


def test_a_checkpoint_is_signed_when_the_unsigned_tail_is_older_than_the_interval(
    store: Store, config: AuditConfig
) -> None:
    timed = replace(config, checkpoint_every=0, checkpoint_interval_s=2.0)
    append(store, timed, 0)
    append(store, timed, 1)
    assert latest_checkpoint(store.engine) is None
    time.sleep(2.1)
    append(store, timed, 2)
    found = latest_checkpoint(store.engine)
    assert found is not None and found.tree_size == 3
    append(store, timed, 3)  # the new checkpoint is fresh: none now
    assert latest_checkpoint(store.engine).tree_size == 3  # type: ignore[union-attr]
    assert [r.checkpoint.size for r in witness(config).records()] == [3]


def test_an_idle_tail_gets_its_timed_checkpoint_without_another_append(
    store: Store, config: AuditConfig
) -> None:
    timed = replace(config, checkpoint_every=0, checkpoint_interval_s=3.0)
    append(store, timed, 0)
    append(store, timed, 1)
    assert checkpoint_if_due(store.engine, timed) is None  # not waited long enough
    checkpointer = IdleCheckpointer(store.engine, timed, poll_s=0.05)
    checkpointer.start()
    try:
        deadline = time.monotonic() + 20
        while latest_checkpoint(store.engine) is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        checkpointer.stop()
    found = latest_checkpoint(store.engine)
    assert found is not None and found.tree_size == 2
    assert checkpoint_if_due(store.engine, timed) is None  # nothing unsigned any more


def test_verify_from_a_later_seq_checks_the_tag_it_starts_inside(
    store: Store, config: AuditConfig
) -> None:
    legacy = replace(config, batch_key=None, checkpoint_every=0)
    for i in range(12):
        append(store, legacy, i)
    adopt_legacy_prefix(store.engine, config=config, actor="ops", reason="test")
    for i in range(12, 15):
        append(store, config, i)
    for from_seq in (1, 5, 13):
        report = verify_store(
            store.engine,
            verifier_key=VERIFIER,
            origin=ORIGIN,
            batch_key=config.batch(),
            from_seq=from_seq,
        )
        assert report.ok, (from_seq, report.problem)
        assert report.tags is not None and report.tags.adopted
    store.bypass(f"UPDATE audit_event SET entry_hash = '{'ab' * 32}' WHERE seq = 3")
    report = verify_store(
        store.engine, verifier_key=VERIFIER, origin=ORIGIN, batch_key=config.batch(), from_seq=5
    )
    # events before --from are taken as they are, but the adoption tag spanning --from is
    # checked over their stored entry hashes
    assert isinstance(report.problem, TamperError) and report.problem.seq == 1
    assert "batch tag 1..12 does not verify" in report.problem.reason
    with store.connect() as conn:
        # read in pages of 2: the adoption tag (1..12), then one per append (13..16)
        assert [t.last_seq for t in tags_from(conn, 1, page=2)] == [12, 13, 14, 15, 16]
