"""The worked example of docs/audit-format.md, computed by the project's own code.

Three events with fixed ids and times, signed with a key made from a fixed seed, checkpointed
at size 3, with the proofs of events 1 and 3 and the export bundle of claim
``CLM-2026-000001``. :func:`worked_example` returns every number and file the document shows,
by the name of its ``<!-- example: NAME -->`` marker; tests/audit/test_audit_format.py checks
that the document shows exactly these (so it cannot drift) and that the real store produces
the same bytes, and tests/audit/test_js_verifier.py that the JavaScript verifier recomputes
them.

``python -m tests.audit.worked_example`` rewrites the example blocks of the document from the
code (after a deliberate format change; the prose around them is for you to update).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from audit.bundle import ExportBundle
from audit.canonical import JsonValue, canonical_json, sha256_hex
from audit.chain import (
    GENESIS_HASH,
    StoredCheckpoint,
    StoredEvent,
    event_document,
    format_timestamp,
)
from audit.checkpoint import generate_key, key_id, sign_checkpoint
from audit.checkpoints import ProvenEvent
from audit.merkle import InclusionProof, MerkleTree, entry_leaf, inclusion_proof, node_hash

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit-format.md"

#: The default origin (``CLAIMS_AUDIT_ORIGIN``), which is also the key's name.
ORIGIN = "claims.example/audit"
#: The example key's seed: SHA-256 of this phrase. A published key: never use it for a log.
SEED_PHRASE = b"claims audit-format worked example"
SEED = hashlib.sha256(SEED_PHRASE).digest()
SIGNER, VERIFIER = generate_key(ORIGIN, seed=SEED)
CLAIM = "CLM-2026-000001"


@dataclass(frozen=True)
class ExampleEvent:
    """What a caller of ``append_event`` chooses, and the id and time the store assigns."""

    event_id: str
    event_type: str
    claim_id: str | None
    actor: str
    payload: JsonValue
    occurred_at: dt.datetime
    recorded_at: str


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


EVENTS = (
    ExampleEvent(
        event_id="0b6f3d2e-5a71-4c1e-9f55-2d4b8e7a1c01",
        event_type="decision",
        claim_id=CLAIM,
        actor="adjuster:li",
        payload={"claim_id": CLAIM, "outcome": "pend", "reason": "缺少发票"},
        occurred_at=_at("2026-01-05T09:30:00+08:00"),
        recorded_at="2026-01-05T01:30:00.250000Z",
    ),
    ExampleEvent(
        event_id="7c9a0e41-2b3d-4f6a-8e1c-5d7f9b2a4c02",
        event_type="maintenance",
        claim_id=None,
        actor="ops:zhao",
        payload={"action": "backup verified"},
        occurred_at=_at("2026-01-05T02:00:00+00:00"),
        recorded_at="2026-01-05T02:00:00.000001Z",
    ),
    ExampleEvent(
        event_id="e4d2c6b8-1f3a-4b5c-9d7e-8a6b4c2d0e03",
        event_type="decision",
        claim_id=CLAIM,
        actor="adjuster:li",
        payload={"amounts": {"payable": "960.00"}, "claim_id": CLAIM, "outcome": "approve"},
        occurred_at=_at("2026-01-06T10:15:30+08:00"),
        recorded_at="2026-01-06T02:15:30.500000Z",
    ),
)


def stored_events() -> list[StoredEvent]:
    """The three events as the store chains them (:meth:`StoredEvent.computed_entry_hash`)."""
    out: list[StoredEvent] = []
    prev = GENESIS_HASH
    for seq, e in enumerate(EVENTS, start=1):
        payload = canonical_json(e.payload)
        unhashed = StoredEvent(
            seq=seq,
            event_id=e.event_id,
            event_type=e.event_type,
            claim_id=e.claim_id,
            occurred_at=format_timestamp(e.occurred_at),
            recorded_at=e.recorded_at,
            actor=e.actor,
            payload=payload,
            payload_hash=sha256_hex(payload),
            prev_hash=prev,
            entry_hash="",
        )
        event = dataclasses.replace(unhashed, entry_hash=unhashed.computed_entry_hash())
        out.append(event)
        prev = event.entry_hash
    return out


def _entry_hash_input(event: StoredEvent) -> str:
    """The canonical JSON that ``entry_hash`` is SHA-256 of, as the document states it."""
    return canonical_json(
        {
            "actor": event.actor,
            "claim_id": event.claim_id,
            "event_id": event.event_id,
            "event_type": event.event_type,
            "occurred_at": event.occurred_at,
            "payload_hash": event.payload_hash,
            "prev_hash": event.prev_hash,
            "recorded_at": event.recorded_at,
            "seq": event.seq,
        }
    )


def checkpoint(events: list[StoredEvent]) -> StoredCheckpoint:
    tree = MerkleTree(entry_leaf(bytes.fromhex(e.entry_hash)) for e in events)
    root = tree.root()
    return StoredCheckpoint(
        tree_size=len(events),
        root_hash=root.hex(),
        note=sign_checkpoint(ORIGIN, len(events), root, SIGNER),
    )


def proven(events: list[StoredEvent], seq: int) -> ProvenEvent:
    tree = MerkleTree(entry_leaf(bytes.fromhex(e.entry_hash)) for e in events)
    hashes = tuple(inclusion_proof(seq - 1, len(events), tree))
    return ProvenEvent(
        events[seq - 1], InclusionProof(seq - 1, len(events), hashes), checkpoint(events)
    )


def bundle(events: list[StoredEvent]) -> ExportBundle:
    covered = [proven(events, e.seq) for e in events if e.claim_id == CLAIM]
    return ExportBundle(
        claim_id=CLAIM,
        origin=ORIGIN,
        informational_verifier_key=VERIFIER,
        checkpoint=covered[0].checkpoint.note,
        tree_size=len(events),
        events=tuple((event_document(p.event), p.proof) for p in covered),
    )


def worked_example() -> dict[str, str]:
    """Every value the document shows, by marker name (module docstring)."""
    events = stored_events()
    values: dict[str, str] = {}
    leaves: list[bytes] = []
    for e in events:
        n = e.seq
        raw = bytes.fromhex(e.entry_hash)
        leaves.append(entry_leaf(raw))
        values[f"payload_{n}"] = e.payload
        values[f"payload_hash_{n}"] = e.payload_hash
        values[f"entry_input_{n}"] = _entry_hash_input(e)
        values[f"entry_hash_{n}"] = e.entry_hash
        values[f"leaf_input_{n}"] = "00" + e.entry_hash
        values[f"leaf_hash_{n}"] = leaves[-1].hex()
    node = node_hash(leaves[0], leaves[1])
    root = node_hash(node, leaves[2])
    assert root == MerkleTree(leaves).root()
    values["node_12_input"] = "01" + leaves[0].hex() + leaves[1].hex()
    values["node_12"] = node.hex()
    values["root_input"] = "01" + node.hex() + leaves[2].hex()
    values["root"] = root.hex()
    values["root_base64"] = base64.b64encode(root).decode("ascii")
    values["seed"] = SEED.hex()
    values["signer_key"] = SIGNER
    values["verifier_key"] = VERIFIER
    public = base64.b64decode(VERIFIER.split("+", 2)[2])[1:]
    values["public_key"] = public.hex()
    values["key_id_input"] = ORIGIN.encode().hex() + "0a" + "01" + public.hex()
    values["key_id"] = f"{key_id(ORIGIN, public):08x}"
    files = proven(events, 3).files()
    note = files["checkpoint.txt"]
    values["checkpoint_body"] = note.split("\n\n")[0] + "\n"
    signature = base64.b64decode(note.rstrip("\n").rsplit(" ", 1)[1])
    values["signature"] = signature[4:].hex()
    values["checkpoint"] = note
    values["event_3_json"] = files["event.json"]
    values["proof_3_json"] = files["proof.json"]
    values["proof_3_tlog"] = files["proof.tlog-proof"]
    values["proof_1_json"] = proven(events, 1).files()["proof.json"]
    values["bundle"] = bundle(events).text()
    return values


_BLOCK = re.compile(r"<!-- example: (?P<name>[a-z0-9_]+) -->\n```[a-z]*\n(?P<body>.*?)```\n", re.S)


def document_blocks(text: str) -> list[tuple[str, str]]:
    """``(name, value)`` of every example block of the document, in order.

    A block shows its value followed by a newline unless the value already ends in one.
    """
    return [(m["name"], m["body"]) for m in _BLOCK.finditer(text)]


def as_block(value: str) -> str:
    return value if value.endswith("\n") else value + "\n"


def rewrite(text: str, values: dict[str, str]) -> str:
    def replace(m: re.Match[str]) -> str:
        head = m.group(0)[: m.start("body") - m.start(0)]
        return head + as_block(values[m["name"]]) + "```\n"

    return _BLOCK.sub(replace, text)


def main() -> None:
    DOC.write_text(rewrite(DOC.read_text(encoding="utf-8"), worked_example()), encoding="utf-8")
    print(f"rewrote the example blocks of {DOC}", file=sys.stderr)


if __name__ == "__main__":
    main()
