"""docs/audit-format.md cannot drift: its worked example is the code's, byte for byte.

Every ``<!-- example: NAME -->`` block of the document must equal the value the project's code
computes for it (tests/audit/worked_example.py), every computed value must be shown, and the
real store, given the example's ids and times, must write the same events, checkpoint, proof
files and export bundle. After a deliberate format change, ``python -m
tests.audit.worked_example`` rewrites the blocks (then update the prose around them).
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections import Counter

import pytest

from audit import store as store_module
from audit.checkpoints import create_checkpoint, inclusion_proof_for
from audit.export import export_claim
from audit.store import append_event
from tests.audit.conftest import Store
from tests.audit.worked_example import (
    DOC,
    EVENTS,
    ORIGIN,
    SEED,
    SEED_PHRASE,
    SIGNER,
    as_block,
    document_blocks,
    rewrite,
    worked_example,
)

README = DOC.parents[1] / "README.md"


def test_every_example_block_of_the_document_is_the_codes_value() -> None:
    text = DOC.read_text(encoding="utf-8")
    blocks = document_blocks(text)
    values = worked_example()
    names = [name for name, _ in blocks]
    assert [n for n, count in Counter(names).items() if count > 1] == []
    assert sorted(names) == sorted(values), "the document shows other values than the code"
    for name, shown in blocks:
        assert shown == as_block(values[name]), (
            f"docs/audit-format.md, example {name!r} differs from the code; if the format "
            "changed on purpose, run `python -m tests.audit.worked_example`"
        )
    assert rewrite(text, values) == text


def test_a_changed_number_in_the_document_is_caught() -> None:
    text = DOC.read_text(encoding="utf-8")
    root = worked_example()["root"]
    drifted = text.replace(root, root[:-1] + ("0" if root[-1] != "0" else "1"), 1)
    assert drifted != text
    values = worked_example()
    assert any(shown != as_block(values[name]) for name, shown in document_blocks(drifted))


def test_the_example_key_is_the_documented_seed_and_name() -> None:
    assert hashlib.sha256(SEED_PHRASE).digest() == SEED
    assert SIGNER.startswith(f"PRIVATE+KEY+{ORIGIN}+")
    assert SEED_PHRASE.decode() in DOC.read_text(encoding="utf-8")


def test_the_store_writes_the_example_byte_for_byte(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = iter(uuid.UUID(e.event_id) for e in EVENTS)
    times = iter(e.recorded_at for e in EVENTS)
    monkeypatch.setattr(uuid, "uuid4", lambda: next(ids))
    monkeypatch.setattr(store_module, "now_text", lambda: next(times))
    config = dataclasses.replace(store.config, origin=ORIGIN, signer_key=SIGNER)
    for e in EVENTS:
        append_event(
            store.engine,
            event_type=e.event_type,
            claim_id=e.claim_id,
            payload=e.payload,
            actor=e.actor,
            occurred_at=e.occurred_at,
            config=config,
        )
    monkeypatch.undo()  # the checkpoint's own time is not part of any file
    create_checkpoint(store.engine, config=config)
    values = worked_example()
    proven = inclusion_proof_for(store.engine, event_ids=[EVENTS[0].event_id, EVENTS[2].event_id])
    first, third = (p.files() for p in proven)
    assert third["event.json"] == values["event_3_json"]
    assert third["proof.json"] == values["proof_3_json"]
    assert third["checkpoint.txt"] == values["checkpoint"]
    assert third["proof.tlog-proof"] == values["proof_3_tlog"]
    assert first["proof.json"] == values["proof_1_json"]
    bundle = export_claim(store.engine, claim_id=EVENTS[0].claim_id or "", config=config)
    assert bundle.text() == values["bundle"]


def test_the_readme_links_the_document() -> None:
    assert "(docs/audit-format.md)" in README.read_text(encoding="utf-8")
