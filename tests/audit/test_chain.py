"""The chain definition and the verify walk, without a database."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from audit.canonical import canonical_json, sha256_hex
from audit.chain import (
    GENESIS_HASH,
    StoredCheckpoint,
    StoredEvent,
    entry_hash,
    entry_hash_of,
    event_document,
    format_timestamp,
    verify_chain,
)
from audit.checkpoint import Checkpoint, sign_checkpoint, sign_note
from audit.errors import ChainError, ProofError, TamperError
from audit.merkle import MerkleAccumulator, entry_leaf
from tests.audit.conftest import ORIGIN, SIGNER, VERIFIER

REPO = Path(__file__).resolve().parents[2]


def make_events(n: int) -> list[StoredEvent]:
    events: list[StoredEvent] = []
    prev = GENESIS_HASH
    for seq in range(1, n + 1):
        payload = canonical_json({"seq": seq, "amount": f"{seq}.00"})
        event = StoredEvent(
            seq=seq,
            event_id=f"e{seq}",
            event_type="decision",
            claim_id=None if seq % 3 == 0 else f"C{seq % 2}",
            occurred_at="2026-01-01T00:00:00.000000Z",
            recorded_at="2026-01-01T00:00:01.000000Z",
            actor="t",
            payload=payload,
            payload_hash=sha256_hex(payload),
            prev_hash=prev,
            entry_hash="",
        )
        event = dataclasses.replace(event, entry_hash=event.computed_entry_hash())
        prev = event.entry_hash
        events.append(event)
    return events


def checkpoint(events: list[StoredEvent], size: int) -> StoredCheckpoint:
    acc = MerkleAccumulator()
    acc.extend(entry_leaf(bytes.fromhex(e.entry_hash)) for e in events[:size])
    return StoredCheckpoint(
        size, acc.root().hex(), sign_checkpoint(ORIGIN, size, acc.root(), SIGNER)
    )


def walk(
    events: list[StoredEvent], checkpoints: list[StoredCheckpoint]
) -> ChainError | TamperError | None:
    *_, report = verify_chain(events, checkpoints, verifier_key=VERIFIER, origin=ORIGIN)
    return report.problem


def test_entry_hash_is_sha256_of_the_canonical_header() -> None:
    fields = {
        "seq": 1,
        "event_id": "e",
        "event_type": "decision",
        "claim_id": None,
        "occurred_at": "2026-01-01T00:00:00.000000Z",
        "recorded_at": "2026-01-01T00:00:00.000000Z",
        "actor": "张三",
        "payload_hash": "a" * 64,
        "prev_hash": GENESIS_HASH,
    }
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert entry_hash(**fields) == hashlib.sha256(text.encode()).hexdigest()  # type: ignore[arg-type]


def test_timestamps_are_utc_text_with_microseconds() -> None:
    shanghai = dt.timezone(dt.timedelta(hours=8))
    assert format_timestamp(dt.datetime(2026, 1, 2, 8, 4, 5, 6, tzinfo=shanghai)) == (
        "2026-01-02T00:04:05.000006Z"
    )
    with pytest.raises(ValueError, match="UTC offset"):
        format_timestamp(dt.datetime(2026, 1, 2))


def test_event_document_round_trips_through_entry_hash_of() -> None:
    event = make_events(2)[1]
    document = event_document(event)
    assert entry_hash_of(document) == event.entry_hash
    changed = {**document, "actor": "mallory"}
    assert entry_hash_of(changed) != event.entry_hash
    with pytest.raises(ProofError, match="payload_hash"):
        entry_hash_of({**document, "payload": {"seq": 2, "amount": "9.00"}})
    with pytest.raises(ProofError, match="seq"):
        entry_hash_of({**document, "seq": "2"})
    with pytest.raises(ProofError, match="actor"):
        entry_hash_of({**document, "actor": None})


def test_a_clean_chain_with_checkpoints_verifies() -> None:
    events = make_events(10)
    reports = list(
        verify_chain(
            events,
            [checkpoint(events, 4), checkpoint(events, 10)],
            verifier_key=VERIFIER,
            origin=ORIGIN,
        )
    )
    assert len(reports) == 11  # one per event and the final one
    final = reports[-1]
    assert (final.ok, final.events_checked, final.checkpoints_checked, final.last_seq) == (
        True,
        10,
        2,
        10,
    )


def test_each_kind_of_break_is_named_at_its_seq() -> None:
    events = make_events(10)
    cps = [checkpoint(events, 10)]
    missing = events[:4] + events[5:]
    problem = walk(missing, cps)
    assert isinstance(problem, ChainError) and problem.seq == 5
    edited = list(events)
    edited[6] = dataclasses.replace(events[6], payload='{"amount":"0.00","seq":7}')
    problem = walk(edited, cps)
    assert isinstance(problem, TamperError) and problem.seq == 7
    edited[6] = dataclasses.replace(events[6], actor="mallory")
    problem = walk(edited, cps)
    assert isinstance(problem, TamperError) and problem.seq == 7
    swapped = list(events)
    swapped[2], swapped[3] = (
        dataclasses.replace(events[3], seq=3),
        dataclasses.replace(events[2], seq=4),
    )
    problem = walk(swapped, cps)
    assert problem is not None and problem.seq == 3
    problem = walk(events[:8], cps)
    assert isinstance(problem, ChainError) and problem.seq == 9
    assert "signed checkpoint 10" in problem.reason


def test_a_checkpoint_for_another_origin_or_key_is_a_tamper() -> None:
    events = make_events(3)
    good = checkpoint(events, 3)
    # sign_checkpoint refuses a key named for another log: a raw signed note is what a
    # holder of the key could still make.
    body = Checkpoint("elsewhere", 3, bytes.fromhex(good.root_hash)).body()
    other = dataclasses.replace(good, note=sign_note(body, SIGNER))
    *_, report = verify_chain(events, [other], verifier_key=VERIFIER, origin=ORIGIN)
    # not a checkpoint of this log: named as a junk row, the events still verified
    assert report.problem is None and report.events_checked == 3 and not report.ok
    ((size, why),) = report.junk
    assert size == 3 and "origin" in why


def test_the_db_free_modules_import_without_a_database_library() -> None:
    """An auditor can verify with audit.{verifier,bundle,chain} and nothing but cryptography."""
    code = (
        "import sys\n"
        "for name in ('sqlalchemy', 'sqlmodel', 'alembic', 'psycopg', 'engine'):\n"
        "    sys.modules[name] = None\n"
        "import audit.verifier, audit.bundle, audit.chain, audit.merkle, audit.checkpoint\n"
        "import audit.tlog_proof\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "ok", result.stderr
