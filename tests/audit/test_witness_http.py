"""The HTTP witness: C2SP tlog-witness add-checkpoint answered as the spec says, checkpoints
sent to it by the store, and verify against what it cosigned."""

from __future__ import annotations

import base64
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from audit.batch_tags import generate_batch_key
from audit.checkpoint import generate_key, open_note, sign_checkpoint
from audit.checkpoints import create_checkpoint, merkle_tree
from audit.config import AuditConfig
from audit.merkle import consistency_proof
from audit.verification import check_against_witness
from audit.witness_http import (
    CosignerKey,
    WitnessServer,
    fetch_witnessed,
    verify_cosignature,
)
from tests.audit.conftest import ORIGIN, SIGNER, VERIFIER, Store
from tests.audit.test_insider import append, rewrite_from

EVERY = 10


@pytest.fixture
def witness(tmp_path: Path) -> Iterator[tuple[str, CosignerKey]]:
    key = CosignerKey.load_or_create(tmp_path / "w" / "witness.key", "witness.test/w1")
    server = WitnessServer(tmp_path / "w", log_key=VERIFIER, key=key)
    httpd = server.serve("127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", key
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def config(store: Store, witness: tuple[str, CosignerKey]) -> AuditConfig:
    url, key = witness
    return replace(
        store.config,
        checkpoint_every=EVERY,
        batch_key=generate_batch_key(),
        witness_url=url,
        witness_key=key.verifier_key(),
    )


def post(url: str, body: str) -> tuple[int, str, str]:
    request = urllib.request.Request(url + "/add-checkpoint", data=body.encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def proof_lines(store: Store, old: int, new: int) -> str:
    with store.connect() as conn:
        proof = consistency_proof(old, new, merkle_tree(conn, size=new))
    return "".join(base64.b64encode(h).decode() + "\n" for h in proof)


def test_the_store_sends_checkpoints_and_the_witness_cosigns_them(
    store: Store, config: AuditConfig, witness: tuple[str, CosignerKey]
) -> None:
    url, key = witness
    for i in range(25):
        append(store, config, i)
    (latest,) = fetch_witnessed(url, verifier_key=VERIFIER, origin=ORIGIN)
    assert latest.checkpoint.size == 20
    cosignature = latest.note.splitlines()[-1] + "\n"
    assert verify_cosignature(cosignature, open_note(latest.note, VERIFIER), key.verifier_key()) > 0
    assert check_against_witness(store.engine, [latest]) == []


def test_add_checkpoint_answers_as_the_spec_says(
    store: Store, config: AuditConfig, witness: tuple[str, CosignerKey]
) -> None:
    url, _ = witness
    for i in range(20):
        append(store, config, i)  # the witness now holds 20
    create_checkpoint(store.engine, config=replace(config, witness_url=None))  # none at 20 yet
    for i in range(20, 25):
        append(store, config, i)
    newest = create_checkpoint(store.engine, config=replace(config, witness_url=None))
    assert newest.tree_size == 25
    good = proof_lines(store, 20, 25)
    assert post(url, f"old 10\n{good}\n{newest.note}")[:3] == (
        409,
        "text/x.tlog.size; charset=utf-8",
        "20\n",
    )
    assert post(url, f"old 30\n\n{newest.note}")[0] == 400
    assert good.count("\n") >= 1
    bad = base64.b64encode(bytes(32)).decode() + "\n" + good.split("\n", 1)[1]
    assert post(url, f"old 20\n{bad}\n{newest.note}")[0] == 422
    other_signer, _ = generate_key(ORIGIN)
    root = bytes.fromhex(newest.root_hash)
    forged = sign_checkpoint(ORIGIN, 25, root, other_signer)
    assert post(url, f"old 20\n{good}\n{forged}")[0] == 403
    elsewhere, _ = generate_key("elsewhere.example/log")
    foreign = sign_checkpoint("elsewhere.example/log", 25, root, elsewhere)
    assert post(url, f"old 20\n{good}\n{foreign}")[0] == 404
    status, _, body = post(url, f"old 20\n{good}\n{newest.note}")
    assert status == 200 and body.startswith("— witness.test/w1 ")
    fork = sign_checkpoint(ORIGIN, 25, b"\x01" * 32, SIGNER)
    assert post(url, f"old 25\n\n{fork}")[0] == 409


def test_a_rewritten_log_gets_no_cosignature_and_verify_finds_it(
    store: Store, config: AuditConfig, witness: tuple[str, CosignerKey]
) -> None:
    url, _ = witness
    for i in range(25):
        append(store, config, i)
    store.bypass("DELETE FROM checkpoint", "DELETE FROM audit_batch_tag")
    rewrite_from(store, 5, {"payable": "999999.00"})
    keyless = replace(config, batch_key=None, witness_url=None)
    rewritten = create_checkpoint(store.engine, config=keyless)
    assert post(url, f"old 20\n{proof_lines(store, 20, 25)}\n{rewritten.note}")[0] == 422
    witnessed = fetch_witnessed(url, verifier_key=VERIFIER, origin=ORIGIN)
    problems = check_against_witness(store.engine, witnessed)
    assert problems and problems[0].startswith("REWRITTEN: the stored events 1..20")
    store.bypass("DELETE FROM checkpoint", "DELETE FROM audit_event")
    problems = check_against_witness(store.engine, witnessed)
    assert problems[0] == "TRUNCATED: checkpoint 20 was witnessed but the log holds only 0 events"
