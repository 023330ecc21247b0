"""An audit trail written by an older release still verifies and replays byte for byte.

``tests/fixtures/audit_trail/trail.sqlite`` was written by the service of commit 79821c8
(its ``make_trail.py``, kept for reading, is never rerun by the tests): decision events from
all three bundled rulesets on both backends, an override and two review notes, with signed
checkpoints. The test works on a copy, migrated to the current schema as an upgrade would.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from audit.adoption import ADOPTED_EVENT, adopt_legacy_prefix
from audit.batch_tags import generate_batch_key
from audit.checkpoints import latest_checkpoint
from audit.config import AuditConfig
from audit.db import create_engine, upgrade
from audit.errors import StoreError
from audit.replay import DECISION_EVENT, Replayer, recorded_decision
from audit.store import iter_events, read_connection
from audit.verification import verify_store
from engine.backends import available_backends
from engine.decision import canonical_json

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "audit_trail"
INFO: dict[str, Any] = json.loads((FIXTURE / "trail.json").read_text(encoding="utf-8"))


@pytest.fixture
def trail(tmp_path: Path) -> Iterator[Engine]:
    copy = tmp_path / "trail.sqlite"
    shutil.copyfile(FIXTURE / "trail.sqlite", copy)
    engine = create_engine(f"sqlite:///{copy}")
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def _decision_events(engine: Engine) -> list[Any]:
    with read_connection(engine) as conn:
        return [e for e in iter_events(conn) if e.event_type == DECISION_EVENT]


def test_the_fixture_holds_what_it_says(trail: Engine) -> None:
    with read_connection(trail) as conn:
        stored = [(e.seq, e.event_type, e.claim_id) for e in iter_events(conn)]
    assert stored == [(e["seq"], e["event_type"], e["claim_id"]) for e in INFO["events"]]
    kinds = Counter(e["event_type"] for e in INFO["events"])
    assert kinds == {"decision": 28, "decision_override": 1, "review_note": 2}
    backends = Counter(e["backend"] for e in INFO["events"] if e["backend"])
    assert backends == {"native": 14, "durable": 14}


def test_the_old_trail_verifies(trail: Engine) -> None:
    report = verify_store(trail, verifier_key=INFO["verifier_key"], origin=INFO["origin"])
    assert report.ok, report.problem
    assert report.events_checked == len(INFO["events"])
    assert report.checkpoints_checked >= 7


def test_the_old_trail_is_reported_untagged_until_adopted_once(trail: Engine) -> None:
    """Written before batch tags: verify says so (neither fails nor passes it silently);
    one audited adoption tags it, and from then on every event must be covered."""
    key = generate_batch_key()
    config = AuditConfig(
        trail.url.render_as_string(hide_password=False), INFO["origin"], None, 0, key
    )
    verifier = INFO["verifier_key"]
    report = verify_store(
        trail, verifier_key=verifier, origin=INFO["origin"], batch_key=config.batch()
    )
    assert report.ok and report.tags is not None
    assert (report.tags.legacy_end, report.tags.legacy_seen) == (None, len(INFO["events"]))
    adoption = adopt_legacy_prefix(
        trail, config=config, actor="ops", reason="upgrade", verifier_key=verifier
    )
    assert (adoption.last_seq, adoption.event.seq) == (31, 32)
    assert adoption.event.event_type == ADOPTED_EVENT
    assert adoption.event.payload_value()["unsigned_tail"] == 31 - last_checkpoint_size(trail)
    report = verify_store(
        trail, verifier_key=verifier, origin=INFO["origin"], batch_key=config.batch()
    )
    assert report.ok and report.events_checked == 32
    assert report.tags is not None and report.tags.adopted and report.tags.checked == 2
    with pytest.raises(StoreError, match="nothing to adopt"):
        adopt_legacy_prefix(
            trail, config=config, actor="ops", reason="again", verifier_key=verifier
        )
    other = replace(config, batch_key=generate_batch_key())
    problem = verify_store(
        trail, verifier_key=verifier, origin=INFO["origin"], batch_key=other.batch()
    ).problem
    assert problem is not None and problem.seq == 1 and "another" not in problem.reason
    assert "was made with batch key" in problem.reason


def last_checkpoint_size(engine: Engine) -> int:
    found = latest_checkpoint(engine)
    assert found is not None
    return found.tree_size


@pytest.mark.parametrize("backend", ["native", "durable"])
def test_every_old_decision_replays_byte_identically(trail: Engine, backend: str) -> None:
    if backend not in available_backends():
        pytest.skip(f"{backend} is not installed here")
    replayer = Replayer(trail)
    events = _decision_events(trail)
    results = [replayer.replay_event(e, backend=backend) for e in events]
    assert len(results) == 28
    assert [r.event_id for r in results if not r.matches] == []
    # on the recording backend the engine block is compared too
    same = [r for r in results if not r.engine_block_ignored]
    assert len(same) == 14


def test_every_old_decision_reads_back_into_the_model_without_loss(trail: Engine) -> None:
    for event in _decision_events(trail):
        stored = event.payload_value()["decision"]
        decision = recorded_decision(event)
        assert decision.json_form() == stored
        assert decision.canonical_json() == canonical_json(stored)
