"""``claims audit ...`` and ``claims db upgrade``: exit 0 when all is well, 1 on tampering, 2
with a clear message for user errors, never a traceback."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from api.cli.audit import audit_group, db_group
from api.settings import get_settings
from tests.audit.conftest import pg_url  # noqa: F401  (fixture)
from tests.audit.test_schemas import errors as schema_errors
from tests.engine.factories import CN_HEALTH, EXAMPLE

AS_OF = "2025-07-01T09:00:00+08:00"


@click.group()
def cli() -> None:
    """The two groups as ``claims`` will mount them."""


cli.add_command(audit_group)
cli.add_command(db_group)


@pytest.fixture(autouse=True)
def workdir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    for name in ("CLAIMS_DATABASE_URL", "CLAIMS_AUDIT_SIGNER_KEY", "CLAIMS_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLAIMS_AUDIT_CHECKPOINT_EVERY", "3")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def claims(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback would have reached the user
    return result


def append_decision(*extra: str) -> str:
    result = claims(
        "audit",
        "append-decision",
        str(EXAMPLE),
        "--ruleset",
        str(CN_HEALTH),
        "--as-of",
        AS_OF,
        *extra,
    )
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def public_key() -> str:
    result = claims("audit", "public-key")
    assert result.exit_code == 0
    return result.stdout.strip()


def test_append_verify_replay_on_the_embedded_default(workdir: Path) -> None:
    ids = [append_decision("--backend", "native") for _ in range(4)]
    assert (workdir / "var" / "claims.db").is_file()  # created, with its folder, on first use
    assert (workdir / "var" / "audit-signer.key").is_file()
    result = claims("audit", "verify")
    assert result.exit_code == 0
    assert result.stdout == (
        "ok: 4 events (seq 1..4) and 1 checkpoints verified\n"
        "batch tags: 4 checked; every event is covered\n"
    )
    result = claims("audit", "replay", ids[2])
    assert result.exit_code == 0
    assert result.stdout.startswith(
        f"identical: event {ids[2]} (seq 3, claim CLM-2026-000123, native)"
    )


def test_checkpoint_public_key_prove_and_verify_proof_without_the_database(workdir: Path) -> None:
    event_id = append_decision()
    result = claims("audit", "checkpoint")
    assert result.exit_code == 0
    assert result.stdout.startswith("claims.example/audit\n1\n")
    key = public_key()
    (workdir / "pub.txt").write_text(key + "\n", encoding="utf-8")
    assert claims("audit", "prove", event_id, "out").exit_code == 0
    files = [str(workdir / "out" / n) for n in ("event.json", "proof.json", "checkpoint.txt")]
    # no database from here on: the settings point at a database that cannot exist
    (workdir / "var" / "claims.db").rename(workdir / "moved.db")
    for key_arg in (key, "pub.txt"):
        result = claims("audit", "verify-proof", *files, "--public-key", key_arg)
        assert result.exit_code == 0, result.output
        assert (
            f"ok: event {event_id} (seq 1) is in checkpoint 1 of claims.example/audit"
            in result.stdout
        )
    assert not (workdir / "var" / "claims.db").exists()
    event = json.loads(Path(files[0]).read_text(encoding="utf-8"))
    event["payload"]["decision"]["amounts"]["payable"] = "999999.00"
    Path(files[0]).write_text(json.dumps(event, ensure_ascii=False), encoding="utf-8")
    result = claims("audit", "verify-proof", *files, "--public-key", key)
    assert result.exit_code == 1
    assert "does NOT verify" in result.stderr and "payload_hash" in result.stderr


def test_verify_proof_user_errors_exit_2(workdir: Path) -> None:
    (workdir / "bad.json").write_text("{not json", encoding="utf-8")
    key = public_key()
    result = claims(
        "audit", "verify-proof", "bad.json", "bad.json", "bad.json", "--public-key", key
    )
    assert result.exit_code == 2 and "malformed input" in result.stderr
    result = claims("audit", "verify-proof", "missing.json", "x", "y", "--public-key", key)
    assert result.exit_code == 2 and "cannot read event file missing.json" in result.stderr
    result = claims("audit", "verify-proof", "--bundle", "bad.json", "--public-key", key)
    assert result.exit_code == 2 and "malformed bundle" in result.stderr
    result = claims("audit", "verify-proof", "only-one.json", "--public-key", key)
    assert result.exit_code == 2
    assert "expected EVENT.json PROOF.tlog-proof, or EVENT.json PROOF.json CHECKPOINT.txt" in (
        result.stderr
    )


def test_export_a_claim_and_verify_the_bundle_with_only_the_public_key(workdir: Path) -> None:
    ids = [append_decision() for _ in range(2)]
    result = claims("audit", "export", "--claim", "CLM-2026-000123", "-o", "bundle.json")
    assert result.exit_code == 0 and "2 events" in result.stdout
    bundle = json.loads((workdir / "bundle.json").read_text(encoding="utf-8"))
    assert schema_errors("export", bundle) == []  # real decision events included
    assert [e["event"]["event_id"] for e in bundle["events"]] == ids
    assert bundle["tree_size"] == 2  # a checkpoint was made on demand to cover them
    key = public_key()
    result = claims("audit", "verify-proof", "--bundle", "bundle.json", "--public-key", key)
    assert result.exit_code == 0 and "ok: 2 events" in result.stdout
    bundle["events"][1]["event"]["actor"] = "mallory"
    (workdir / "forged.json").write_text(json.dumps(bundle), encoding="utf-8")
    result = claims("audit", "verify-proof", "--bundle", "forged.json", "--public-key", key)
    assert result.exit_code == 1 and "events[1] (seq 2)" in result.stderr
    result = claims("audit", "export", "--claim", "CLM-NONE")
    assert result.exit_code == 2 and "no audited events for claim 'CLM-NONE'" in result.stderr


def test_consistency_between_two_checkpoints(workdir: Path) -> None:
    for _ in range(7):
        append_decision("--backend", "native")  # automatic checkpoints at 3 and 6
    result = claims("audit", "consistency", "3", "6")
    assert result.exit_code == 0
    (workdir / "c.json").write_text(result.stdout, encoding="utf-8")
    key = public_key()
    result = claims("audit", "verify-consistency", "c.json", "--public-key", key)
    assert result.exit_code == 0 and result.stdout == "ok: checkpoint 6 extends checkpoint 3\n"
    document = json.loads((workdir / "c.json").read_text(encoding="utf-8"))
    document["proof"]["hashes"][0] = "0" * 64
    (workdir / "c.json").write_text(json.dumps(document), encoding="utf-8")
    result = claims("audit", "verify-consistency", "c.json", "--public-key", key)
    assert result.exit_code == 1 and "does NOT verify" in result.stderr
    result = claims("audit", "consistency", "3", "5")
    assert result.exit_code == 2 and "no checkpoint at size 5" in result.stderr


def test_verify_reports_the_first_bad_seq_and_exits_1(workdir: Path) -> None:
    for _ in range(5):
        append_decision("--backend", "native")
    db = sqlite3.connect(workdir / "var" / "claims.db")
    db.execute("DROP TRIGGER audit_event_no_update")
    db.execute(
        "UPDATE audit_event SET payload = replace(payload, '\"approve\"', '\"deny\"') WHERE seq = 4"
    )
    db.commit()
    db.close()
    result = claims("audit", "verify")
    assert result.exit_code == 1
    assert "TAMPERED: first bad seq 4: payload does not match payload_hash" in result.stderr
    assert claims("audit", "verify", "--from", "5").exit_code == 0
    result = claims("audit", "replay", claims_event_id(workdir, 4))
    assert result.exit_code == 1 and "TAMPERED: event 4" in result.stderr


def claims_event_id(workdir: Path, seq: int) -> str:
    db = sqlite3.connect(workdir / "var" / "claims.db")
    try:
        return str(
            db.execute("SELECT event_id FROM audit_event WHERE seq = ?", (seq,)).fetchone()[0]
        )
    finally:
        db.close()


def test_verify_shows_a_progress_bar_on_request(workdir: Path) -> None:
    append_decision("--backend", "native")
    result = claims("audit", "verify", "--progress")
    assert result.exit_code == 0 and "verifying" in result.stderr


def test_user_errors_exit_2_with_a_message(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = claims("audit", "replay", "no-such-event")
    assert result.exit_code == 2 and "no audited event has id 'no-such-event'" in result.stderr
    result = claims("audit", "checkpoint")
    assert result.exit_code == 2 and "empty" in result.stderr
    result = claims("audit", "append-decision", str(EXAMPLE), "--ruleset", str(workdir))
    assert result.exit_code == 2 and "not a ruleset folder" in result.stderr
    result = claims("audit", "verify", "--from", "9")
    assert result.exit_code == 2 and "beyond the last event" in result.stderr
    monkeypatch.setenv("CLAIMS_ENVIRONMENT", "production")
    monkeypatch.setenv("CLAIMS_AUDIT_KEY_FILE", str(workdir / "absent.key"))
    get_settings.cache_clear()
    result = claims("audit", "verify")
    assert result.exit_code == 2 and "no audit signer key" in result.stderr


@pytest.mark.postgres
def test_db_upgrade_then_append_and_verify_on_postgres(
    pg_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLAIMS_DATABASE_URL", pg_url)
    get_settings.cache_clear()
    result = claims("audit", "verify")
    assert result.exit_code == 2 and "claims db upgrade" in result.stderr
    result = claims("db", "upgrade")
    assert result.exit_code == 0 and result.stdout == "ok: database at revision head\n"
    assert claims("db", "upgrade").exit_code == 0
    event_id = append_decision("--backend", "native")
    assert claims("audit", "verify").exit_code == 0
    assert claims("audit", "replay", event_id).exit_code == 0


def test_read_only_commands_need_no_signer_key(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    event_id = append_decision("--backend", "native")
    key = public_key()
    (workdir / "var" / "audit-signer.key").rename(workdir / "elsewhere.key")
    monkeypatch.setenv("CLAIMS_ENVIRONMENT", "production")
    get_settings.cache_clear()
    assert claims("audit", "verify").exit_code == 2  # our own key is needed to know ours
    result = claims("audit", "verify", "--public-key", key)
    assert result.exit_code == 0, result.output
    assert claims("audit", "replay", event_id).exit_code == 0
    assert not (workdir / "var" / "audit-signer.key").exists()  # nothing was generated


def test_prove_writes_a_tlog_proof_that_verify_proof_reads(workdir: Path) -> None:
    append_decision("--backend", "native")
    event_id = append_decision("--backend", "native")
    assert claims("audit", "checkpoint").exit_code == 0
    key = public_key()
    result = claims("audit", "prove", event_id, "out")
    assert result.exit_code == 0, result.output
    assert "verify-proof out/event.json out/proof.tlog-proof --public-key KEY" in result.stdout
    out = workdir / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "checkpoint.txt",
        "event.json",
        "proof.json",
        "proof.tlog-proof",
    ]
    for name in ("event", "proof"):
        document = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
        assert schema_errors(name, document) == []
    tlog = (out / "proof.tlog-proof").read_text(encoding="utf-8")
    assert tlog.startswith("c2sp.org/tlog-proof@v1\nindex 1\n")
    assert tlog.endswith("\n\n" + (out / "checkpoint.txt").read_text(encoding="utf-8"))
    result = claims(
        "audit", "verify-proof", "out/event.json", "out/proof.tlog-proof", "--public-key", key
    )
    assert result.exit_code == 0, result.output
    assert f"ok: event {event_id} (seq 2) is in checkpoint 2 of claims.example/audit" in (
        result.stdout
    )
    (out / "bad.tlog-proof").write_text(tlog.replace("index 1", "index 0"), encoding="utf-8")
    result = claims(
        "audit", "verify-proof", "out/event.json", "out/bad.tlog-proof", "--public-key", key
    )
    assert result.exit_code == 1 and "does NOT verify" in result.stderr
    files = ("out/event.json", "out/proof.tlog-proof", "out/checkpoint.txt")
    result = claims("audit", "verify-proof", *files, "--public-key", key)
    assert result.exit_code == 2 and "carries its checkpoint" in result.stderr
    result = claims(
        "audit", "verify-proof", "out/event.json", "out/proof.json", "--public-key", key
    )
    assert result.exit_code == 2 and "needs the checkpoint file" in result.stderr


def test_verify_proof_accepts_only_the_keys_origin_unless_told(workdir: Path) -> None:
    from audit.checkpoint import Checkpoint, parse_checkpoint, sign_note

    event_id = append_decision("--backend", "native")
    assert claims("audit", "checkpoint").exit_code == 0
    assert claims("audit", "prove", event_id, "out").exit_code == 0
    key = public_key()
    # The log's own key signs a note for another origin (only a raw note can: the service
    # refuses), e.g. a second log run with a copied key.
    signer = (workdir / "var" / "audit-signer.key").read_text(encoding="utf-8").strip()
    signed = parse_checkpoint((workdir / "out" / "checkpoint.txt").read_text(encoding="utf-8"))
    note = sign_note(Checkpoint("other.example/log", 1, signed.root).body(), signer)
    (workdir / "out" / "other.txt").write_text(note, encoding="utf-8")
    files = ("out/event.json", "out/proof.json", "out/other.txt")
    result = claims("audit", "verify-proof", *files, "--public-key", key)
    assert result.exit_code == 1
    assert "expected 'claims.example/audit' (the verifier key's name)" in result.stderr
    assert "pass --origin other.example/log" in result.stderr
    result = claims("audit", "verify-proof", *files, "--public-key", key, "--origin", "x.y/z")
    assert result.exit_code == 1 and "expected 'x.y/z'" in result.stderr
    result = claims(
        "audit", "verify-proof", *files, "--public-key", key, "--origin", "other.example/log"
    )
    assert result.exit_code == 0 and "of other.example/log" in result.stdout


def test_a_new_origin_with_the_old_key_signs_nothing(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    append_decision("--backend", "native")
    key = public_key()
    assert key.startswith("claims.example/audit+")
    monkeypatch.setenv("CLAIMS_AUDIT_ORIGIN", "claims.example/renamed")
    get_settings.cache_clear()
    for args in (
        ("audit", "checkpoint"),
        ("audit", "public-key"),
        ("audit", "append-decision", str(EXAMPLE), "--ruleset", str(CN_HEALTH)),
    ):
        result = claims(*args)
        assert result.exit_code == 2, args
        assert (
            "CLAIMS_AUDIT_ORIGIN is 'claims.example/renamed' but the signer key in the audit "
            "key file var/audit-signer.key is named 'claims.example/audit'"
        ) in result.stderr
        assert "Traceback" not in result.output
    assert claims_event_count(workdir) == 1  # nothing was appended
    monkeypatch.delenv("CLAIMS_AUDIT_ORIGIN")
    get_settings.cache_clear()
    assert public_key() == key  # the old origin again: all is as it was


def claims_event_count(workdir: Path) -> int:
    db = sqlite3.connect(workdir / "var" / "claims.db")
    try:
        return int(db.execute("SELECT count(*) FROM audit_event").fetchone()[0])
    finally:
        db.close()


def test_verify_against_the_file_witness_and_a_trusted_checkpoint_finds_truncation(
    workdir: Path,
) -> None:
    for _ in range(4):
        append_decision("--backend", "native")
    checkpoint = claims("audit", "checkpoint")
    (workdir / "kept.txt").write_text(checkpoint.stdout, encoding="utf-8")
    witness = workdir / "var" / "audit-witness"
    assert (witness / "checkpoints.jsonl").is_file()  # the default file witness
    result = claims(
        "audit", "verify", "--witness", str(witness), "--trusted-checkpoint", "kept.txt"
    )
    assert result.exit_code == 0, result.output
    assert "ok: the trail holds all 3 checkpoints kept outside the database" in result.stdout
    db = sqlite3.connect(workdir / "var" / "claims.db")
    for table in ("audit_event", "checkpoint", "audit_batch_tag"):
        db.execute(f"DROP TRIGGER {table}_no_delete")
        db.execute(f"DELETE FROM {table}")
    db.commit()
    db.close()
    assert claims("audit", "verify").exit_code == 0  # the database alone cannot tell
    result = claims("audit", "verify", "--trusted-checkpoint", "kept.txt")
    assert result.exit_code == 1
    assert "TRUNCATED: checkpoint 4 was witnessed but the log holds only 0 events" in result.stderr
    result = claims("audit", "verify", "--witness", str(witness))
    assert result.exit_code == 1 and "DELETED: witnessed checkpoint 3" in result.stderr
    result = claims("audit", "verify", "--witness", str(workdir / "nowhere"))
    assert result.exit_code == 2 and "no such folder" in result.stderr
    (workdir / "bad.txt").write_text("junk\n", encoding="utf-8")
    result = claims("audit", "verify", "--trusted-checkpoint", "bad.txt")
    assert result.exit_code == 2 and "not a checkpoint signed by the log's key" in result.stderr


def test_a_junk_checkpoint_row_gets_an_accurate_message_and_the_rest_is_reported(
    workdir: Path,
) -> None:
    for _ in range(4):
        append_decision("--backend", "native")
    db = sqlite3.connect(workdir / "var" / "claims.db")
    db.execute(
        "INSERT INTO checkpoint VALUES (1000, ?, 'junk', '[]', '2026-12-04T00:00:00.000000Z')",
        ("0" * 64,),
    )
    db.commit()
    db.close()
    result = claims("audit", "verify")
    assert result.exit_code == 1
    assert "JUNK CHECKPOINT ROW at size 1000: its note is not a signed checkpoint" in result.stderr
    assert "signed checkpoint 1000" not in result.stderr
    assert "the rest verifies: 4 events (seq 1..4) and 1 checkpoints verified" in result.stderr


def test_adopt_tags_a_trail_written_before_batch_tags(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAIMS_AUDIT_BATCH_KEY_FILE", str(workdir / "batch.key"))
    get_settings.cache_clear()
    append_decision("--backend", "native")
    db = sqlite3.connect(workdir / "var" / "claims.db")  # as if written by an older release
    db.execute("DROP TRIGGER audit_batch_tag_no_delete")
    db.execute("DELETE FROM audit_batch_tag")
    db.commit()
    db.close()
    result = claims("audit", "verify")
    assert result.exit_code == 0
    assert "the whole trail (1 events) was written before batch tags" in result.stdout
    result = claims("audit", "adopt", "--reason", "checked against the witness")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: events 1..1 adopted under the batch key")
    result = claims("audit", "verify")
    assert result.exit_code == 0
    assert "every event is covered (the legacy prefix by its adoption tag)" in result.stdout
    result = claims("audit", "adopt", "--reason", "again")
    assert result.exit_code == 2 and "nothing to adopt" in result.stderr


def test_verify_against_an_http_witness_the_service_sends_checkpoints_to(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from audit.witness_http import CosignerKey, WitnessServer

    key = CosignerKey.load_or_create(workdir / "w" / "witness.key", "witness.test/w1")
    server = WitnessServer(workdir / "w", log_key=public_key(), key=key)
    httpd = server.serve("127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        monkeypatch.setenv("CLAIMS_AUDIT_WITNESS_URL", url)
        monkeypatch.setenv("CLAIMS_AUDIT_WITNESS_KEY", key.verifier_key())
        get_settings.cache_clear()
        for _ in range(4):
            append_decision("--backend", "native")
        result = claims("audit", "verify", "--witness", url)
        assert result.exit_code == 0, result.output
        assert "ok: the trail holds all 1 checkpoints kept outside the database" in result.stdout
        db = sqlite3.connect(workdir / "var" / "claims.db")
        for table in ("audit_event", "checkpoint", "audit_batch_tag"):
            db.execute(f"DROP TRIGGER {table}_no_delete")
            db.execute(f"DELETE FROM {table}")
        db.commit()
        db.close()
        result = claims("audit", "verify", "--witness", url)
        assert result.exit_code == 1
        assert "TRUNCATED: checkpoint 3 was witnessed but the log holds only 0" in result.stderr
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
