"""Decision events replay byte for byte from their recorded ruleset snapshot, claim and as_of."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from audit.errors import ReplayError, SnapshotError, TamperError
from audit.replay import (
    DECISION_EVENT,
    Replayer,
    decision_payload,
    record_decision,
    recorded_decision,
)
from audit.snapshot import RulesetSnapshot, SnapshotFile, snapshot_ruleset
from audit.store import append_event, get_event
from engine.backends import available_backends
from engine.evaluate import evaluate
from tests.audit.conftest import Store
from tests.engine.factories import CN_HEALTH, EXAMPLE, REPO

if str(REPO) not in sys.path:  # bench/ is not an installed package
    sys.path.insert(0, str(REPO))

from bench.corpus import make_claims

AS_OF = dt.datetime(2025, 7, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
CORPUS = 200


def record(
    store: Store, claim: dict[str, Any] | str, *, backend: str | None = None, revision: str = "r1"
) -> str:
    snapshot, program = snapshot_ruleset(CN_HEALTH, revision=revision)
    decision = evaluate(program, claim, as_of=AS_OF, backend=backend)
    event = record_decision(
        store.engine,
        snapshot=snapshot,
        claim=claim,
        decision=decision,
        actor="test",
    )
    return event.event_id


def test_every_decision_of_a_generated_corpus_replays_byte_identically(
    sqlite_store: Store,
) -> None:
    snapshot, program = snapshot_ruleset(CN_HEALTH, revision="abc123")
    backends = available_backends()
    ids = []
    for index, claim in enumerate(make_claims(CORPUS)):
        backend = backends[index % len(backends)]
        decision = evaluate(program, claim, as_of=AS_OF, backend=backend)
        ids.append(
            record_decision(
                sqlite_store.engine, snapshot=snapshot, claim=claim, decision=decision, actor="t"
            ).event_id
        )
    replayer = Replayer(sqlite_store.engine)
    results = [replayer.replay(event_id) for event_id in ids]
    assert [r.event_id for r in results if not r.matches] == []
    assert {r.backend for r in results} == set(backends)
    assert len({r.recorded for r in results}) == CORPUS


@pytest.mark.postgres
def test_decisions_replay_on_postgres(pg_store: Store) -> None:
    ids = [record(pg_store, claim, backend="native") for claim in make_claims(8, seed=3)]
    replayer = Replayer(pg_store.engine)
    assert all(replayer.replay(event_id).matches for event_id in ids)


def test_a_doctored_decision_does_not_replay(store: Store) -> None:
    snapshot, program = snapshot_ruleset(CN_HEALTH)
    claim = EXAMPLE.read_text(encoding="utf-8")
    decision = evaluate(program, claim, as_of=AS_OF, backend="native")
    amounts = decision.amounts.model_copy(update={"payable": Decimal("999999.00")})
    decision = decision.model_copy(update={"amounts": amounts})
    event = record_decision(
        store.engine, snapshot=snapshot, claim=claim, decision=decision, actor="mallory"
    )
    result = Replayer(store.engine).replay(event.event_id)
    assert not result.matches
    offset = result.first_difference()
    assert offset is not None and result.recorded[offset:].startswith("999999.00")


@pytest.mark.skipif(len(available_backends()) < 2, reason="needs both backends")
def test_replay_on_the_other_backend_ignores_only_the_engine_block(sqlite_store: Store) -> None:
    event_id = record(sqlite_store, EXAMPLE.read_text(encoding="utf-8"), backend="durable")
    result = Replayer(sqlite_store.engine).replay(event_id, backend="native")
    assert result.matches and result.engine_block_ignored and result.backend == "native"


def test_replay_refuses_what_is_not_a_replayable_decision(sqlite_store: Store) -> None:
    note = append_event(
        sqlite_store.engine, event_type="note", claim_id=None, payload={"x": 1}, actor="t"
    )
    with pytest.raises(ReplayError, match="not a decision"):
        Replayer(sqlite_store.engine).replay(note.event_id)
    bogus = append_event(
        sqlite_store.engine, event_type=DECISION_EVENT, claim_id="C", payload={}, actor="t"
    )
    with pytest.raises(ReplayError, match="not a decision payload"):
        Replayer(sqlite_store.engine).replay(bogus.event_id)


def test_replay_checks_the_event_and_the_snapshot(store: Store) -> None:
    event_id = record(store, EXAMPLE.read_text(encoding="utf-8"), backend="native")
    event = get_event(store.engine, event_id=event_id)
    snapshot, _ = snapshot_ruleset(CN_HEALTH)
    changed = snapshot.files_json().replace("waiting", "wai7ing", 1).replace("'", "''")
    store.bypass(f"UPDATE ruleset_snapshot SET files = '{changed}'")
    with pytest.raises(SnapshotError, match="was changed"):
        Replayer(store.engine).replay(event_id)
    store.bypass(f"UPDATE audit_event SET actor = 'mallory' WHERE seq = {event.seq}")
    with pytest.raises(TamperError) as info:
        Replayer(store.engine).replay(event_id)
    assert info.value.seq == event.seq


def test_decision_payload_refuses_mismatched_pieces() -> None:
    snapshot, program = snapshot_ruleset(CN_HEALTH)
    claim = EXAMPLE.read_text(encoding="utf-8")
    decision = evaluate(program, claim, as_of=AS_OF, backend="native")
    other = RulesetSnapshot("sha256:" + "1" * 64, "x", "1", snapshot.files)
    with pytest.raises(ValueError, match="not with snapshot"):
        decision_payload(snapshot=other, claim=claim, decision=decision)
    with pytest.raises(ValueError, match="another claim"):
        decision_payload(
            snapshot=snapshot,
            claim=claim,
            decision=decision.model_copy(update={"claim_id": "CLM-OTHER"}),
        )
    payload = decision_payload(snapshot=snapshot, claim=claim, decision=decision)
    assert set(payload) == {"as_of", "backend", "claim", "decision", "ruleset"}
    assert payload["as_of"] == "2025-07-01T09:00:00+08:00"
    assert payload["decision"] == decision.json_form()


def test_a_recorded_decision_reads_back_into_the_same_model(store: Store) -> None:
    snapshot, program = snapshot_ruleset(CN_HEALTH)
    claim = EXAMPLE.read_text(encoding="utf-8")
    decision = evaluate(program, claim, as_of=AS_OF, backend="native")
    event = record_decision(
        store.engine, snapshot=snapshot, claim=claim, decision=decision, actor="t"
    )

    assert recorded_decision(get_event(store.engine, event_id=event.event_id)) == decision


def test_a_stored_decision_that_does_not_parse_is_reported(sqlite_store: Store) -> None:
    snapshot, program = snapshot_ruleset(CN_HEALTH)
    claim = EXAMPLE.read_text(encoding="utf-8")
    good = decision_payload(
        snapshot=snapshot,
        claim=claim,
        decision=evaluate(program, claim, as_of=AS_OF, backend="native"),
    )
    stored = dict(good["decision"])  # type: ignore[arg-type]
    stored["outcome"] = "approved"
    event = append_event(
        sqlite_store.engine,
        event_type=DECISION_EVENT,
        claim_id="CLM-2026-000123",
        payload={**good, "decision": stored},
        actor="t",
    )
    with pytest.raises(ReplayError, match=r"no readable decision \(outcome: "):
        recorded_decision(event)
    with pytest.raises(ReplayError, match="no readable decision"):
        Replayer(sqlite_store.engine).replay(event.event_id)


def test_snapshot_of_a_folder_with_includes_compiles_to_the_same_program(tmp_path: Path) -> None:
    snapshot, program = snapshot_ruleset(CN_HEALTH, revision="rev", display="rulesets/cn-health")
    assert [f.path for f in snapshot.files] == [
        "ruleset.yaml",
        *[f.path for f in snapshot.files[1:]],
    ]
    assert len(snapshot.files) > 1  # cn-health includes other files
    assert (snapshot.ruleset_id, snapshot.version) == ("cn-health", "1.1.0")
    again = RulesetSnapshot.from_stored(
        content_hash=snapshot.content_hash,
        ruleset_id=snapshot.ruleset_id,
        version=snapshot.version,
        files_json=snapshot.files_json(),
    )
    assert again == snapshot
    recompiled = again.compile(revision="rev")
    assert recompiled.ir.identity == program.ir.identity
    snapshot.materialize(tmp_path)
    assert (tmp_path / "ruleset.yaml").read_text(encoding="utf-8") == snapshot.files[0].text
    escaping = RulesetSnapshot("h", "x", "1", (SnapshotFile("../evil.yaml", "x"),))
    with pytest.raises((SnapshotError, ValueError)):
        escaping.materialize(tmp_path)


def test_a_decision_a_newer_engine_wrote_says_so(sqlite_store: Store) -> None:
    snapshot, program = snapshot_ruleset(CN_HEALTH)
    claim = EXAMPLE.read_text(encoding="utf-8")
    good = decision_payload(
        snapshot=snapshot,
        claim=claim,
        decision=evaluate(program, claim, as_of=AS_OF, backend="native"),
    )
    stored = dict(good["decision"])  # type: ignore[arg-type]
    stored["engine"] = {"backend": "native", "version": "9.0.0+native.1", "fallbacks": []}
    event = append_event(
        sqlite_store.engine,
        event_type=DECISION_EVENT,
        claim_id="CLM-2026-000123",
        payload={**good, "decision": stored},
        actor="t",
    )
    with pytest.raises(ReplayError, match=r"engine\.fallbacks: .*engine semantics '9\.0\.0'"):
        Replayer(sqlite_store.engine).replay(event.event_id)
