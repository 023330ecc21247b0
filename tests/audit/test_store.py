"""The append-only store on SQLite and PostgreSQL: chaining, triggers, privileges, checkpoints,
proofs and ruleset snapshots."""

from __future__ import annotations

import hashlib
import itertools
import json
import re

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from audit import store as store_module
from audit.canonical import canonical_json, sha256_hex
from audit.chain import GENESIS_HASH, entry_hash, entry_hash_of, event_document
from audit.checkpoint import verify_checkpoint
from audit.checkpoints import (
    consistency_proof_between,
    create_checkpoint,
    inclusion_proof_for,
    latest_checkpoint,
    list_checkpoints,
)
from audit.db import create_engine, current_revision, upgrade
from audit.errors import CanonicalError, ChainError, SnapshotError, StoreError, UnknownEventError
from audit.models import EVENTS, audit_tables
from audit.snapshot import snapshot_ruleset
from audit.store import append_event, events_for_claim, get_event, get_snapshot, save_snapshot
from audit.verification import verify_store
from audit.verifier import verify_event_proof
from tests.audit.conftest import ORIGIN, VERIFIER, Store
from tests.engine.factories import CN_HEALTH

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def append(store: Store, n: int, *, every: int = 0, claim: str = "CLM-1") -> list[str]:
    config = store.with_checkpoints(every)
    return [
        append_event(
            store.engine,
            event_type="decision",
            claim_id=claim,
            payload={"n": i, "amount": f"{i}.50", "名": "理赔"},
            actor="test",
            config=config,
        ).event_id
        for i in range(n)
    ]


def verify(store: Store) -> None:
    report = verify_store(store.engine, verifier_key=VERIFIER, origin=ORIGIN)
    assert report.problem is None, report.problem


def test_first_event_is_chained_to_the_genesis_and_hashed_as_documented(store: Store) -> None:
    (event_id,) = append(store, 1)
    event = get_event(store.engine, event_id=event_id)
    assert event.seq == 1
    assert event.prev_hash == GENESIS_HASH == "0" * 64
    assert event.payload == '{"amount":"0.50","n":0,"名":"理赔"}'
    assert event.payload_hash == hashlib.sha256(event.payload.encode()).hexdigest()
    assert TIMESTAMP.fullmatch(event.occurred_at) and TIMESTAMP.fullmatch(event.recorded_at)
    header = {
        "actor": "test",
        "claim_id": "CLM-1",
        "event_id": event_id,
        "event_type": "decision",
        "occurred_at": event.occurred_at,
        "payload_hash": event.payload_hash,
        "prev_hash": GENESIS_HASH,
        "recorded_at": event.recorded_at,
        "seq": 1,
    }
    by_hand = hashlib.sha256(
        json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()
    assert event.entry_hash == by_hand == entry_hash(**header)  # type: ignore[arg-type]


def test_events_chain_in_order_and_verify(store: Store) -> None:
    ids = append(store, 12)
    events = [get_event(store.engine, event_id=i) for i in ids]
    assert [e.seq for e in events] == list(range(1, 13))
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.entry_hash
    assert [e.event_id for e in events_for_claim(store.engine, claim_id="CLM-1")] == ids
    verify(store)


def test_a_payload_that_is_not_canonical_json_is_refused_and_nothing_written(
    store: Store,
) -> None:
    with pytest.raises(CanonicalError, match=r"\$\.amount: floats are not allowed"):
        append_event(
            store.engine,
            event_type="decision",
            claim_id=None,
            payload={"amount": 1.5},  # type: ignore[dict-item]
            actor="t",
        )
    with pytest.raises(ValueError, match="event_type"):
        append_event(store.engine, event_type="Bad Type", claim_id=None, payload={}, actor="t")
    with store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(EVENTS)).scalar_one() == 0


def test_unknown_event_id(store: Store) -> None:
    with pytest.raises(UnknownEventError) as info:
        get_event(store.engine, event_id="nope")
    assert info.value.event_id == "nope"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET payload = '{}' WHERE seq = 2",
        "UPDATE audit_event SET actor = 'mallory'",
        "DELETE FROM audit_event WHERE seq = 3",
        "DELETE FROM audit_event",
        "UPDATE checkpoint SET note = 'x'",
        "DELETE FROM checkpoint",
        "UPDATE ruleset_snapshot SET files = '[]'",
        "DELETE FROM ruleset_snapshot",
    ],
)
def test_update_and_delete_are_refused_by_triggers(store: Store, statement: str) -> None:
    append(store, 4, every=2)
    snapshot, _ = snapshot_ruleset(CN_HEALTH)
    save_snapshot(store.engine, snapshot=snapshot)
    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(text(statement))
    verify(store)
    with store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(EVENTS)).scalar_one() == 4


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["audit_event", "checkpoint", "ruleset_snapshot"])
def test_truncate_is_refused_by_a_trigger_on_postgres(pg_store: Store, table: str) -> None:
    append(pg_store, 2, every=1)
    with (
        pytest.raises(DBAPIError, match="append-only: TRUNCATE refused"),
        pg_store.engine.begin() as conn,
    ):
        conn.execute(text(f"TRUNCATE {table}"))


@pytest.mark.postgres
def test_the_application_role_may_read_and_append_but_not_change(pg_store: Store) -> None:
    append(pg_store, 2)
    with pg_store.engine.begin() as conn:
        conn.execute(text("SET LOCAL ROLE claims_app"))
        # the role can append through the normal path (advisory lock, head, insert)
        event = append_event(
            Session(bind=conn), event_type="decision", claim_id="C", payload={}, actor="app"
        )
        assert event.seq == 3
        assert conn.execute(select(func.count()).select_from(EVENTS)).scalar_one() == 3
    for statement in (
        "UPDATE audit_event SET actor = 'x'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event",
        "UPDATE checkpoint SET note = 'x'",
        "DELETE FROM ruleset_snapshot",
    ):
        with pytest.raises(DBAPIError, match="permission denied"), pg_store.engine.begin() as conn:
            conn.execute(text("SET LOCAL ROLE claims_app"))
            conn.execute(text(statement))
    verify(pg_store)


def test_a_writer_without_the_lock_cannot_fork_the_chain(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    append(store, 3)
    real_head = store_module.chain_head
    monkeypatch.setattr(store_module, "chain_head", lambda conn: (2, real_head(conn)[1]))
    with pytest.raises(ChainError) as info:
        append(store, 1)
    assert info.value.seq == 3
    monkeypatch.undo()
    # the backstop on its own: a second event with an existing prev_hash
    with store.connect() as conn:
        first = conn.execute(select(EVENTS).where(EVENTS.c.seq == 1)).mappings().one()
    forged = {**first, "seq": 99, "event_id": "forged", "entry_hash": "f" * 64}
    with pytest.raises(DBAPIError), store.engine.begin() as conn:
        conn.execute(EVENTS.insert().values(**forged))
    append(store, 1)
    verify(store)


def test_append_inside_a_session_commits_with_the_callers_transaction(store: Store) -> None:
    with Session(store.engine) as session:
        event = append_event(
            session, event_type="decision", claim_id="C", payload={"x": 1}, actor="t"
        )
        session.rollback()
    with pytest.raises(UnknownEventError):
        get_event(store.engine, event_id=event.event_id)
    with Session(store.engine) as session:
        event = append_event(
            session, event_type="decision", claim_id="C", payload={"x": 1}, actor="t"
        )
        session.commit()
    assert get_event(store.engine, event_id=event.event_id).seq == 1


def test_checkpoints_every_n_events_and_on_demand(store: Store) -> None:
    append(store, 12, every=5)
    with store.connect() as conn:
        assert [c.tree_size for c in list_checkpoints(conn)] == [5, 10]
    made = create_checkpoint(store.engine, config=store.config)
    assert made.tree_size == 12
    assert create_checkpoint(store.engine, config=store.config) == made  # nothing new
    signed = verify_checkpoint(made.note, VERIFIER, origin=ORIGIN)
    assert (signed.size, signed.root.hex()) == (12, made.root_hash)
    assert latest_checkpoint(store.engine) == made
    append(store, 3, every=5)  # 15: automatic again
    with store.connect() as conn:
        assert [c.tree_size for c in list_checkpoints(conn)] == [5, 10, 12, 15]
    report = verify_store(store.engine, verifier_key=VERIFIER, origin=ORIGIN)
    assert (report.events_checked, report.checkpoints_checked, report.problem) == (15, 4, None)


def test_empty_log_cannot_be_checkpointed(store: Store) -> None:
    with pytest.raises(StoreError, match="empty"):
        create_checkpoint(store.engine, config=store.config)


def test_inclusion_and_consistency_proofs_verify_without_the_database(store: Store) -> None:
    ids = append(store, 13, every=6)
    create_checkpoint(store.engine, config=store.config)
    proven = inclusion_proof_for(store.engine, event_ids=ids)
    for item in proven:
        assert item.checkpoint.tree_size == 13 and item.proof.leaf_index == item.event.seq - 1
        verify_event_proof(
            canonical_json(event_document(item.event)),
            item.proof.to_json(),
            item.checkpoint.note,
            VERIFIER,
            origin=ORIGIN,
            entry_hash_of=entry_hash_of,
        )
    older = inclusion_proof_for(store.engine, event_ids=ids[:6], tree_size=6)
    assert {p.checkpoint.tree_size for p in older} == {6}
    with pytest.raises(StoreError, match="does not cover"):
        inclusion_proof_for(store.engine, event_ids=[ids[7]], tree_size=6)
    for first, second in ((6, 12), (6, 13), (12, 13), (13, 13)):
        proof, a, b = consistency_proof_between(store.engine, first_size=first, second_size=second)
        proof.verify(
            verify_checkpoint(a.note, VERIFIER).root, verify_checkpoint(b.note, VERIFIER).root
        )


def test_ruleset_snapshots_are_content_addressed_and_checked(store: Store) -> None:
    snapshot, program = snapshot_ruleset(CN_HEALTH)
    assert snapshot.content_hash == program.ir.identity.content_hash
    assert snapshot.files[0].path == "ruleset.yaml"
    save_snapshot(store.engine, snapshot=snapshot)
    save_snapshot(store.engine, snapshot=snapshot)  # idempotent
    assert get_snapshot(store.engine, content_hash=snapshot.content_hash) == snapshot
    with pytest.raises(SnapshotError, match="no ruleset snapshot"):
        get_snapshot(store.engine, content_hash="sha256:" + "0" * 64)
    changed = snapshot.files_json().replace("cn-health", "cn-hea1th", 1)
    store.bypass(f"UPDATE ruleset_snapshot SET files = '{changed.replace(chr(39), chr(39) * 2)}'")
    with pytest.raises(SnapshotError, match="the snapshot was changed"):
        get_snapshot(store.engine, content_hash=snapshot.content_hash)


def test_migrations_are_idempotent_and_match_the_models(store: Store) -> None:
    upgrade(store.engine)
    assert current_revision(store.engine) == "0003"
    ours = MetaData()
    for table in audit_tables():
        table.to_metadata(ours)
    with store.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), ours)
    ours_only = [d for d in diff if "alembic_version" not in repr(d)]
    assert ours_only == []


def test_a_database_without_the_schema_says_to_upgrade(tmp_path: object) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/empty.db")
    with pytest.raises(StoreError, match="claims db upgrade"):
        get_event(engine, event_id="x")


def test_payload_hash_is_over_the_stored_text(store: Store) -> None:
    (event_id,) = append(store, 1)
    event = get_event(store.engine, event_id=event_id)
    assert sha256_hex(event.payload) == event.payload_hash
    assert canonical_json(event.payload_value()) == event.payload
