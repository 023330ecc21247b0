"""The JSON Schemas of the audit files (schemas/audit-*.schema.json) against real outputs.

event.json, proof.json and export bundles written by the store (and the CLI's, in
tests/api/cli/test_audit.py) must validate; files that break the documented format must not.
The export schema carries its own copies of the event and proof schemas (one file an editor
can use alone): they must stay equal to the standalone ones."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from audit.checkpoints import create_checkpoint, inclusion_proof_for
from audit.export import export_claim
from audit.store import append_event
from tests.audit.conftest import Store
from tests.audit.worked_example import worked_example

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (SCHEMAS / f"audit-{name}.schema.json").read_text(encoding="utf-8")
    )
    Draft202012Validator.check_schema(loaded)
    return loaded


def errors(name: str, document: Any) -> list[str]:
    return [e.message for e in Draft202012Validator(schema(name)).iter_errors(document)]


def test_the_export_schemas_copies_equal_the_standalone_schemas() -> None:
    export = schema("export")
    for name in ("event", "proof"):
        standalone = schema(name)
        body = {k: v for k, v in standalone.items() if k not in {"$schema", "title", "$defs"}}
        assert export["$defs"][name] == body
        for key, definition in standalone["$defs"].items():
            assert export["$defs"][key] == definition


def outputs(store: Store) -> tuple[list[dict[str, str]], dict[str, Any]]:
    payloads: list[Any] = [
        {"amount": "12.30", "名": "理赔", "n": 2**53 - 1},
        ["a", None, True, {"nested": []}],
        "text",
    ]
    ids = [
        append_event(
            store.engine,
            event_type="decision",
            claim_id=None if i == 1 else "CLM-1",
            payload=payload,
            actor="adjuster:li",
        ).event_id
        for i, payload in enumerate(payloads)
    ]
    create_checkpoint(store.engine, config=store.config)
    files = [p.files() for p in inclusion_proof_for(store.engine, event_ids=ids)]
    bundle = json.loads(export_claim(store.engine, claim_id="CLM-1", config=store.config).text())
    return files, bundle


def test_the_stores_files_and_bundles_validate(sqlite_store: Store) -> None:
    files, bundle = outputs(sqlite_store)
    for f in files:
        assert errors("event", json.loads(f["event.json"])) == []
        assert errors("proof", json.loads(f["proof.json"])) == []
    assert errors("export", bundle) == []
    example = worked_example()
    assert errors("event", json.loads(example["event_3_json"])) == []
    assert errors("proof", json.loads(example["proof_1_json"])) == []
    assert errors("export", json.loads(example["bundle"])) == []


def changed(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(document)
    target = out
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return out


DELETE = object()

# Breaks of the documented format, written apart from the schemas.
BAD_EVENTS = [
    (("payload", "amount"), 12.3),  # money is a decimal string, never a float
    (("payload", "n"), 2**53),
    (("entry_hash",), "AB" * 32),
    (("prev_hash",), "0" * 63),
    (("seq",), 0),
    (("seq",), "1"),
    (("occurred_at",), "2026-01-05T01:30:00Z"),
    (("recorded_at",), "2026-01-05T09:30:00.000000+08:00"),
    (("event_type",), "Decision"),
    (("claim_id",), ""),
    (("actor",), ""),
    (("payload_hash",), DELETE),
    (("extra",), 1),
]


@pytest.mark.parametrize(("path", "value"), BAD_EVENTS)
def test_events_outside_the_format_are_invalid(
    sqlite_store: Store, path: tuple[Any, ...], value: Any
) -> None:
    files, bundle = outputs(sqlite_store)
    event = json.loads(files[0]["event.json"])
    assert errors("event", changed(event, path, value))
    assert errors("export", changed(bundle, ("events", 0, "event", *path), value))


BAD_PROOFS = [
    (("hashes", 0), "AB" * 32),
    (("hashes",), "ab" * 32),
    (("leaf_index",), -1),
    (("tree_size",), 0),
    (("tree_size",), DELETE),
    (("root",), "ab" * 32),
]


@pytest.mark.parametrize(("path", "value"), BAD_PROOFS)
def test_proofs_outside_the_format_are_invalid(
    sqlite_store: Store, path: tuple[Any, ...], value: Any
) -> None:
    files, bundle = outputs(sqlite_store)
    proof = json.loads(files[0]["proof.json"])
    assert errors("proof", changed(proof, path, value))
    assert errors("export", changed(bundle, ("events", 0, "proof", *path), value))


BAD_BUNDLES = [
    (("format",), "claims-audit-export/1"),
    (("verifier_key",), "claims.example/audit+00000000+AQ=="),
    (("informational_verifier_key",), DELETE),
    (("events",), []),
    (("tree_size",), "3"),
    (("checkpoint",), "claims.example/audit\n3\nnot base64\n\n— k AAAA\n"),
    (("checkpoint",), "claims.example/audit\n03\n" + "A" * 43 + "=\n\n— k AAAA\n"),
]


@pytest.mark.parametrize(("path", "value"), BAD_BUNDLES)
def test_bundles_outside_the_format_are_invalid(
    sqlite_store: Store, path: tuple[Any, ...], value: Any
) -> None:
    _, bundle = outputs(sqlite_store)
    assert errors("export", changed(bundle, path, value))
