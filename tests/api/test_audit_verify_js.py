"""The JavaScript verifier (api/static/audit-verify.js) run in Node on the project's own proofs.

It shares no code with the Python verifier and was written from docs/audit-format.md, so it
checks that the document is enough and that the formats are what it says. Every case carries
its expected verdict, set where the case is made (valid output, or one corruption of it);
both the JavaScript and the Python verifier must reach it. The worked example's numbers are
read from the document itself and recomputed in JavaScript.

Node >= 20 runs the module (WebCrypto Ed25519). Without it the tests skip with the reason,
unless ``CLAIMS_TEST_REQUIRE_NODE=1`` (set by .ci/run), where they fail.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import random
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from audit.bundle import verify_bundle
from audit.canonical import JsonValue, canonical_json, sha256_hex
from audit.checkpoint import Checkpoint, generate_key, parse_checkpoint, sign_checkpoint, sign_note
from audit.checkpoints import ProvenEvent, create_checkpoint, inclusion_proof_for
from audit.errors import AuditError
from audit.export import export_claim
from audit.store import append_event
from audit.verifier import ProofFiles
from tests.audit.conftest import ORIGIN, SIGNER, VERIFIER, make_store
from tests.audit.worked_example import DOC, document_blocks

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "api" / "static" / "audit-verify.js"
HARNESS = Path(__file__).with_name("js") / "run_cases.mjs"
MIN_NODE = 20


def node() -> str:
    """The ``node`` executable, or skip (fail with CLAIMS_TEST_REQUIRE_NODE=1) saying why."""
    problem = None
    path = shutil.which("node")
    if path is None:
        problem = "node is not installed (the JavaScript verifier needs Node >= 20)"
    else:
        version = subprocess.run(
            [path, "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
        major = version.lstrip("v").split(".")[0]
        if not major.isdigit() or int(major) < MIN_NODE:
            problem = f"node {version or '?'} is older than {MIN_NODE} (no WebCrypto Ed25519)"
    if problem is None:
        assert path is not None
        return path
    if os.environ.get("CLAIMS_TEST_REQUIRE_NODE") == "1":
        pytest.fail(problem)
    pytest.skip(problem)


def run_js(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The JavaScript verdicts of ``cases`` (one Node process for all of them)."""
    done = subprocess.run(
        [node(), str(HARNESS), str(MODULE)],
        input=json.dumps(cases, ensure_ascii=False),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    verdicts: list[dict[str, Any]] = json.loads(done.stdout)
    assert len(verdicts) == len(cases)
    return verdicts


# ---------------------------------------------------------------------------------------------
# The project's proofs, and corruptions of them
# ---------------------------------------------------------------------------------------------

PAYLOADS: list[JsonValue] = [
    {"amount": "12.30", "名": "理赔", "n": 2**53 - 1, "neg": -5},
    # control characters, quotes and backslashes, an astral character; keys whose UTF-16
    # order differs from their code point order (U+1F600 sorts before U+FF61 in UTF-16)
    {"text": 'a\nb\t\u0001"\\\u007f😀', "\U0001f600": 1, "\uff61": 2, "é": [1, None, True]},
    {"nested": {"list": [{"b": 1, "a": 2}, [], {}], "empty": ""}},
    "a payload may be any JSON value",
    [1, 2, 3],
]


@dataclasses.dataclass
class Log:
    proofs: list[ProvenEvent]  # every event in the newest checkpoint
    older: list[ProvenEvent]  # events 1..8 in checkpoint 8
    bundle: str


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Log]:
    store = make_store("sqlite", f"sqlite:///{tmp_path_factory.mktemp('js') / 'audit.db'}", 4)
    ids = []
    for i in range(9):
        claim = [None, "CLM-A", "CLM-B"][i % 3]
        event = append_event(
            store.engine,
            event_type="decision" if claim else "maintenance",
            claim_id=claim,
            payload=PAYLOADS[i % len(PAYLOADS)],
            actor=f"adjuster:{i}",
            config=store.config,
        )
        ids.append(event.event_id)
    create_checkpoint(store.engine, config=store.config)  # 4 and 8 were made automatically
    proofs = inclusion_proof_for(store.engine, event_ids=ids)
    older = inclusion_proof_for(store.engine, event_ids=ids[:8], tree_size=8)
    bundle = export_claim(store.engine, claim_id="CLM-A", config=store.config).text()
    yield Log(proofs, older, bundle)
    store.engine.dispose()


def event_case(
    files: dict[str, str], *, tlog: bool, expect: bool, key: str = VERIFIER, **change: Any
) -> dict[str, Any]:
    args: dict[str, Any] = {
        "event": files["event.json"],
        "proof": files["proof.tlog-proof"] if tlog else files["proof.json"],
        "checkpoint": None if tlog else files["checkpoint.txt"],
        "verifierKey": key,
        "origin": None,
    }
    args.update(change)
    return {"kind": "event", "args": args, "expect": expect}


def bundle_case(bundle: str, *, expect: bool, origin: str | None = None) -> dict[str, Any]:
    return {
        "kind": "bundle",
        "bundle": bundle,
        "verifierKey": VERIFIER,
        "origin": origin,
        "expect": expect,
    }


def python_accepts(case: dict[str, Any]) -> bool:
    """The Python verifier's verdict on the same case."""
    try:
        if case["kind"] == "bundle":
            verify_bundle(case["bundle"], case["verifierKey"], origin=case["origin"])
        else:
            a = case["args"]
            files = ProofFiles.parse(a["event"], a["proof"], a["checkpoint"])
            files.verify(a["verifierKey"], origin=a["origin"])
    except AuditError:
        return False
    return True


def changed_char(text: str, at: int) -> str:
    """``text`` with the character at ``at`` replaced by another one."""
    ch = text[at]
    replacement = "B" if ch == "A" else "A"
    if ch.isdigit():
        replacement = str((int(ch) + 1) % 10)
    return text[:at] + replacement + text[at + 1 :]


def changed_hex_byte(hex_text: str, byte: int) -> str:
    """One byte of a lowercase hex string changed (its low four bits flipped)."""
    digit = format(int(hex_text[2 * byte + 1], 16) ^ 0xF, "x")
    return hex_text[: 2 * byte + 1] + digit + hex_text[2 * byte + 2 :]


def valid_cases(log: Log) -> list[dict[str, Any]]:
    cases = []
    for proven in [*log.proofs, *log.older]:
        files = proven.files()
        cases.append(event_case(files, tlog=False, expect=True))
        cases.append(event_case(files, tlog=True, expect=True))
    cases.append(bundle_case(log.bundle, expect=True))
    cases.append(bundle_case(log.bundle, expect=True, origin=ORIGIN))
    return cases


def corrupted_cases(log: Log) -> list[dict[str, Any]]:
    files = log.proofs[4].files()  # seq 5 of 9: a proof of four hashes
    proof = json.loads(files["proof.json"])
    event = json.loads(files["event.json"])
    note = files["checkpoint.txt"]
    cases = []
    # one byte changed in each hash of the proof, in the event's hashes
    for h in range(len(proof["hashes"])):
        for byte in range(32):
            forged = json.loads(files["proof.json"])
            forged["hashes"][h] = changed_hex_byte(forged["hashes"][h], byte)
            cases.append(event_case(files, tlog=False, expect=False, proof=json.dumps(forged)))
    for field in ("entry_hash", "payload_hash", "prev_hash"):
        for byte in (0, 17, 31):
            forged = dict(event, **{field: changed_hex_byte(event[field], byte)})
            cases.append(event_case(files, tlog=False, expect=False, event=json.dumps(forged)))
    # the index and the tree size of the JSON proof
    for field in ("leaf_index", "tree_size"):
        for delta in (1, -1):
            forged = dict(proof, **{field: proof[field] + delta})
            cases.append(event_case(files, tlog=False, expect=False, proof=json.dumps(forged)))
    # every character of the signed checkpoint (origin, size, root, signature line)
    for at in range(len(note)):
        if note[at] != "\n":
            cases.append(
                event_case(files, tlog=False, expect=False, checkpoint=changed_char(note, at))
            )
    # every character of the tlog-proof (header, index, hashes, and its checkpoint)
    tlog = files["proof.tlog-proof"]
    for at in range(len(tlog)):
        if tlog[at] != "\n":
            cases.append(event_case(files, tlog=True, expect=False, proof=changed_char(tlog, at)))
    # another origin signed by the log's own key: rejected unless asked for
    signed = parse_checkpoint(note)
    other = sign_note(Checkpoint("other.example/log", signed.size, signed.root).body(), SIGNER)
    cases.append(event_case(files, tlog=False, expect=False, checkpoint=other))
    cases.append(
        event_case(files, tlog=False, expect=True, checkpoint=other, origin="other.example/log")
    )
    cases.append(event_case(files, tlog=False, expect=False, origin="other.example/log"))
    # a forger's key of the same name
    forger_signer, forger_verifier = generate_key(ORIGIN)
    forged_note = sign_checkpoint(ORIGIN, signed.size, signed.root, forger_signer)
    cases.append(event_case(files, tlog=False, expect=False, checkpoint=forged_note))
    cases.append(event_case(files, tlog=False, expect=False, key=forger_verifier))
    cases.append(event_case(files, tlog=False, expect=True))
    return cases


def corrupted_bundles(log: Log) -> list[dict[str, Any]]:
    bundle = json.loads(log.bundle)
    cases = []

    def forged(change: Any, *, expect: bool = False) -> None:
        copy = json.loads(log.bundle)
        change(copy)
        cases.append(bundle_case(json.dumps(copy, ensure_ascii=False), expect=expect))

    forged(lambda b: b.update(origin="other.example/log"))
    forged(lambda b: b.update(tree_size=b["tree_size"] - 1))
    forged(lambda b: b["events"][0]["event"]["payload"].update(text="x"))
    forged(lambda b: b["events"][1]["event"]["payload"].append(4))
    forged(lambda b: b["events"][0]["event"].update(actor="mallory"))
    forged(lambda b: b["events"][0]["proof"]["hashes"].__setitem__(0, "00" * 32))
    forged(lambda b: b["events"][0]["proof"].update(leaf_index=0))
    forged(lambda b: b["events"][0]["event"].update(claim_id="CLM-B"))
    forged(lambda b: b.update(checkpoint=changed_char(b["checkpoint"], len(b["checkpoint"]) - 5)))
    forged(lambda b: b.update(events=[]))
    forged(lambda b: b.update(format="claims-audit-export/9"))
    # the embedded key is informational: replacing it changes nothing
    forged(lambda b: b.update(informational_verifier_key=generate_key(ORIGIN)[1]), expect=True)
    assert bundle["informational_verifier_key"] == VERIFIER
    return cases


def test_the_projects_proofs_and_bundles_verify_in_javascript(log: Log) -> None:
    cases = valid_cases(log)
    verdicts = run_js(cases)
    for case, verdict in zip(cases, verdicts, strict=True):
        assert verdict["ok"], (verdict, case)
        assert python_accepts(case)
    newest = parse_checkpoint(log.proofs[0].checkpoint.note)
    results = [v["result"] for c, v in zip(cases, verdicts, strict=True) if c["kind"] == "event"]
    assert [r["seq"] for r in results[:18:2]] == list(range(1, 10))
    assert all(r["treeSize"] == 9 and r["root"] == newest.root.hex() for r in results[:18])
    assert all(r["treeSize"] == 8 for r in results[18:])
    bundle_results = verdicts[-2]["result"]
    assert [r["seq"] for r in bundle_results] == [2, 5, 8]


def test_every_corruption_is_rejected_by_both_verifiers(log: Log) -> None:
    cases = corrupted_cases(log) + corrupted_bundles(log)
    assert len(cases) > 500
    verdicts = run_js(cases)
    wrong = [
        (case, verdict)
        for case, verdict in zip(cases, verdicts, strict=True)
        if verdict["ok"] != case["expect"] or python_accepts(case) != case["expect"]
    ]
    assert not wrong, wrong[:3]
    reasons = {v["reason"] for v in verdicts if not v["ok"]}
    assert any("does not match the checkpoint's root" in r for r in reasons)
    assert any("does not verify" in r for r in reasons)
    assert any("(the verifier key's name)" in r for r in reasons)
    assert any("leaf index" in r for r in reasons)


# ---------------------------------------------------------------------------------------------
# Canonical JSON: the same bytes as the Python encoder
# ---------------------------------------------------------------------------------------------

ALPHABET = 'aZ0 "\\/\n\t\r\b\f\u0000\u001f\u007f\u00e9\u2028\u4e2d\uff61\U0001f600\U00010000'


def random_value(rng: random.Random, depth: int = 0) -> JsonValue:
    kind = rng.randrange(7 if depth < 4 else 4)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.choice([0, -1, 2**53 - 1, -(2**53 - 1), rng.randrange(-(10**9), 10**9)])
    if kind in (2, 3):
        return "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(6)))
    if kind == 4:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {
        "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(1, 4))): random_value(
            rng, depth + 1
        )
        for _ in range(rng.randrange(5))
    }


def test_canonical_json_is_byte_identical_to_the_python_encoder() -> None:
    rng = random.Random(19)
    values = [random_value(rng) for _ in range(400)]
    cases: list[dict[str, Any]] = []
    for value in values:
        cases.append({"kind": "canonical", "value": value})
        cases.append({"kind": "payload_hash", "payload": value})
    cases.append({"kind": "canonical", "value": 2**53})
    cases.append({"kind": "canonical", "value": 1.5})
    verdicts = run_js(cases)
    for i, value in enumerate(values):
        assert verdicts[2 * i] == {"ok": True, "result": canonical_json(value)}, value
        assert verdicts[2 * i + 1] == {"ok": True, "result": sha256_hex(canonical_json(value))}
    assert [v["ok"] for v in verdicts[-2:]] == [False, False]  # as the Python encoder refuses


# ---------------------------------------------------------------------------------------------
# The worked example of docs/audit-format.md
# ---------------------------------------------------------------------------------------------


def test_the_worked_examples_numbers_are_recomputed_in_javascript() -> None:
    doc = dict(document_blocks(DOC.read_text(encoding="utf-8")))
    value = {name: block.removesuffix("\n") for name, block in doc.items()}
    public = value["public_key"]
    cases: list[dict[str, Any]] = []
    expected: list[Any] = []
    for n in (1, 2, 3):
        cases.append({"kind": "payload_hash", "payload": json.loads(value[f"payload_{n}"])})
        expected.append(value[f"payload_hash_{n}"])
        cases.append({"kind": "entry_hash", "event": json.loads(value[f"entry_input_{n}"])})
        expected.append(value[f"entry_hash_{n}"])
        cases.append({"kind": "leaf_hash", "entryHash": value[f"entry_hash_{n}"]})
        expected.append(value[f"leaf_hash_{n}"])
    leaves = [value[f"leaf_hash_{n}"] for n in (1, 2, 3)]
    cases.append({"kind": "node_hash", "left": leaves[0], "right": leaves[1]})
    expected.append(value["node_12"])
    cases.append({"kind": "node_hash", "left": value["node_12"], "right": leaves[2]})
    expected.append(value["root"])
    origin = doc["checkpoint_body"].split("\n")[0]
    cases.append({"kind": "key_id", "name": origin, "publicKey": public})
    expected.append(value["key_id"])
    key = value["verifier_key"]
    cases.append({"kind": "checkpoint", "note": doc["checkpoint"], "verifierKey": key})
    expected.append({"origin": "claims.example/audit", "size": 3, "root": value["root"]})
    event = value["event_3_json"]
    proofs = ((value["proof_3_json"], doc["checkpoint"]), (doc["proof_3_tlog"], None))
    for proof, checkpoint in proofs:
        args = {"event": event, "proof": proof, "checkpoint": checkpoint, "verifierKey": key}
        cases.append({"kind": "event", "args": args})
        expected.append(None)
    cases.append({"kind": "bundle", "bundle": doc["bundle"], "verifierKey": key})
    expected.append(None)
    verdicts = run_js(cases)
    for case, verdict, want in zip(cases, verdicts, expected, strict=True):
        assert verdict["ok"], (case, verdict)
        if want is not None:
            assert verdict["result"] == want, case
    assert verdicts[-3]["result"]["root"] == value["root"]
    assert [r["seq"] for r in verdicts[-1]["result"]] == [1, 3]
    assert base64.b64decode(value["root_base64"]).hex() == value["root"]


def test_real_decisions_exported_by_the_cli_verify_in_javascript(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from api.cli.audit import audit_group
    from api.settings import get_settings
    from tests.engine.factories import CN_HEALTH, EXAMPLE

    node()  # skip before doing the work when there is no Node
    for name in ("CLAIMS_DATABASE_URL", "CLAIMS_AUDIT_SIGNER_KEY", "CLAIMS_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()

    def claims(*args: str) -> str:
        result = CliRunner().invoke(audit_group, list(args))
        assert result.exit_code == 0, result.output
        return result.stdout

    try:
        ids = [
            claims(
                "append-decision", str(EXAMPLE), "--ruleset", str(CN_HEALTH), "--backend", b
            ).strip()
            for b in ("native", "native")
        ]
        claims("export", "--claim", "CLM-2026-000123", "-o", "bundle.json")
        claims("prove", ids[1], "out")
        key = claims("public-key").strip()
    finally:
        get_settings.cache_clear()
    out = tmp_path / "out"
    files = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()}
    bundle = (tmp_path / "bundle.json").read_text(encoding="utf-8")
    cases = [
        event_case(files, tlog=True, expect=True, key=key),
        event_case(files, tlog=False, expect=True, key=key),
        {"kind": "bundle", "bundle": bundle, "verifierKey": key, "origin": None},
    ]
    verdicts = run_js(cases)
    assert all(v["ok"] for v in verdicts), verdicts
    assert verdicts[0]["result"]["seq"] == 2 and verdicts[0]["result"]["eventId"] == ids[1]
    assert [r["eventId"] for r in verdicts[2]["result"]] == ids
    assert json.loads(files["event.json"])["payload"]["decision"]["outcome"]
