"""``claims audit ...`` and ``claims db ...``: the audit trail from the command line.

Exit status: 0 when all is well; 1 when tampering is detected (a broken chain, a changed
event, a checkpoint that does not verify, a proof that fails, a replay that differs); 2 with
a clear message on stderr for anything the user can fix (unknown event id, unreadable or
malformed proof file, bad settings, a database that is not migrated). Never a traceback.

The database and the signer key come from the settings (:mod:`api.settings`). An embedded
SQLite database is migrated on first use; PostgreSQL is migrated with ``claims db upgrade``.
``verify-proof`` and ``verify-consistency`` touch neither the database nor the settings:
they need only the public key and the files they are given, and accept only checkpoints of
the log the key is named for unless ``--origin`` names another (docs/audit-format.md).

SQLAlchemy, Alembic and the settings are imported inside the commands, so that loading this
group costs the other ``claims`` commands nothing (:mod:`api.cli`).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from api.cli.common import (
    FINDINGS,
    backend_option,
    example,
    fail,
    git_revision,
    parse_as_of,
    read_claim,
    run_evaluate,
)
from audit.errors import (
    AuditError,
    ChainError,
    CheckpointOriginError,
    SnapshotError,
    TamperError,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from api.settings import Settings
    from audit.config import AuditConfig

__all__ = ["audit_group", "audit_store", "db_group", "guarded"]

TAMPERED = FINDINGS
#: Show a progress bar when verifying at least this many events.
PROGRESS_MIN = 10_000

F = TypeVar("F", bound=Callable[..., Any])


def guarded(func: F) -> F:
    """Turn every expected error into a message and an exit status (module docstring)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ChainError, TamperError, SnapshotError) as exc:
            fail(f"TAMPERED: {exc}", code=TAMPERED)
        except (AuditError, ValueError, OSError) as exc:
            fail(str(exc))
        except Exception as exc:
            if _is_settings_error(exc):
                fail(str(exc))
            if _is_database_error(exc):  # e.g. the database cannot be reached
                reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
                fail(f"database error: {reason}")
            raise

    return wrapper  # type: ignore[return-value]


def _is_settings_error(exc: Exception) -> bool:
    from api.settings import SettingsError

    return isinstance(exc, SettingsError)


def _is_database_error(exc: Exception) -> bool:
    # Not imported for the check: an error cannot come from SQLAlchemy if it was never loaded.
    errors = sys.modules.get("sqlalchemy.exc")
    return errors is not None and isinstance(exc, errors.SQLAlchemyError)


@contextmanager
def audit_store(*, signer: bool = True) -> Iterator[tuple[Settings, AuditConfig, Engine]]:
    """Settings, audit config and engine; ``signer=False`` leaves the signer key alone."""
    from api.settings import get_settings
    from audit.config import AuditConfig
    from audit.db import create_engine, upgrade

    settings = get_settings()
    if signer:
        config = settings.audit_config()
    else:  # read-only work needs no secret (and must not generate one)
        config = AuditConfig(
            database_url=settings.database_url,
            origin=settings.audit_origin,
            checkpoint_every=settings.audit_checkpoint_every,
        )
    engine = create_engine(config.database_url)
    try:
        if engine.dialect.name == "sqlite":
            upgrade(engine)
        yield settings, config, engine
    finally:
        engine.dispose()


def _read(path: str, what: str) -> str:
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {what} {path}: {exc}")


def _public_key(value: str) -> str:
    """``--public-key``: the key text itself, or a file holding it."""
    if "+" not in value or Path(value).is_file():
        return _read(value, "public key file").strip()
    return value.strip()


PUBLIC_KEY = click.option(
    "--public-key",
    "public_key",
    required=True,
    help="the log's verifier key (name+id+key), or a file holding it",
)
ORIGIN = click.option(
    "--origin",
    default=None,
    help="accept checkpoints of this log origin (default: the public key's name)",
)


@click.group(
    "audit",
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=example("claims audit verify", "claims audit replay EVENT_ID"),
)
def audit_group() -> None:
    """The immutable audit trail: verify, prove, replay and export audited decisions."""


@click.group(
    "db",
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=example("claims db upgrade"),
)
def db_group() -> None:
    """Database administration."""


@db_group.command(
    "upgrade",
    epilog=example(
        "claims db upgrade",
        "CLAIMS_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test claims db upgrade",
    ),
)
@click.option("--revision", default="head", help="audit trail revision to migrate to")
@click.option(
    "--app-role",
    default="claims_app",
    help="PostgreSQL role granted only SELECT and INSERT on the audit tables",
)
@guarded
def db_upgrade_command(revision: str, app_role: str) -> None:
    """Apply the database migrations: the audit trail's (tables, triggers, privileges; up to
    ``--revision``), then the service's own tables (to their head)."""
    from api import migrations
    from api.settings import get_settings
    from audit.db import create_engine, upgrade

    settings = get_settings()
    engine = create_engine(settings.database_url)
    try:
        upgrade(engine, revision=revision, app_role=app_role)
        migrations.upgrade(engine)
    finally:
        engine.dispose()
    click.echo(f"ok: database at revision {revision}")


# ---------------------------------------------------------------------------------------------
# Verifying the stored trail
# ---------------------------------------------------------------------------------------------


@audit_group.command(
    "verify",
    epilog=example(
        "claims audit verify",
        "claims audit verify --public-key audit.pub",
        "claims audit verify --witness /mnt/witness --trusted-checkpoint kept/checkpoint.txt",
    ),
)
@click.option("--from", "from_seq", type=click.IntRange(min=1), default=1, help="first seq")
@click.option(
    "--public-key",
    "public_key",
    default=None,
    help="verifier key, or a file holding it (default: the key of our signer key; batch "
    "tags are then checked for coverage only)",
)
@click.option(
    "--trusted-checkpoint",
    "trusted",
    multiple=True,
    help="a signed checkpoint kept outside the database: the trail must still hold it "
    "(finds truncation, deleted checkpoints, rewrites); repeatable (default: none)",
)
@click.option(
    "--witness",
    "witness",
    default=None,
    help="a file witness folder (every checkpoint it holds must still be in the trail), or "
    "the URL of a `claims audit witness serve` (default: none)",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help=f"progress bar on stderr (default: from {PROGRESS_MIN:,} events)",
)
@guarded
def verify_command(
    from_seq: int,
    public_key: str | None,
    trusted: tuple[str, ...],
    witness: str | None,
    progress: bool | None,
) -> None:
    """Check every link, payload hash, batch tag, checkpoint root and signature, and the
    trail against checkpoints kept outside the database."""
    from audit.verification import check_against_witness, verify_store

    with audit_store(signer=public_key is None) as (_, config, engine):
        key = _public_key(public_key) if public_key else config.verifier_key()
        anchors = _anchors(trusted, witness, key, config.origin)
        with _progress_bar(progress) as (on_total, on_progress):
            report = verify_store(
                engine,
                verifier_key=key,
                origin=config.origin,
                from_seq=from_seq,
                total=on_total,
                progress=on_progress,
                batch_key=config.batch() if public_key is None else None,
            )
        outside = check_against_witness(engine, anchors)
    _report_verify(report, outside, len(anchors))


def _anchors(trusted: tuple[str, ...], witness: str | None, key: str, origin: str) -> list[Any]:
    """The checkpoints kept outside the database that verify compares the trail with."""
    from audit.witness import FileWitness, read_trusted_checkpoint

    found = [read_trusted_checkpoint(Path(t), verifier_key=key, origin=origin) for t in trusted]
    if witness is None:
        return found
    if witness.startswith(("http://", "https://")):
        from audit.witness_http import fetch_witnessed

        return found + fetch_witnessed(witness, verifier_key=key, origin=origin)
    if not Path(witness).is_dir():
        fail(f"--witness {witness}: no such folder (a file witness is a folder)")
    records = FileWitness(Path(witness), verifier_key=key, origin=origin).records()
    if not records:
        fail(f"--witness {witness}: the witness holds no checkpoint of {origin}")
    return found + records


@contextmanager
def _progress_bar(
    progress: bool | None,
) -> Iterator[tuple[Callable[[int], None], Callable[[int], None]]]:
    bar_ctx: Any = None
    bar: Any = None

    def on_total(n: int) -> None:
        nonlocal bar_ctx, bar
        if progress or (progress is None and n >= PROGRESS_MIN):
            bar_ctx = click.progressbar(length=n, label="verifying", file=sys.stderr)
            bar = bar_ctx.__enter__()

    try:
        yield on_total, lambda n: bar.update(n) if bar is not None else None
    finally:
        if bar_ctx is not None:
            bar_ctx.__exit__(None, None, None)


def _report_verify(report: Any, outside: list[str], anchors: int) -> None:
    problems: list[str] = []
    if report.problem is not None:
        problems.append(
            f"TAMPERED: first bad seq {report.problem.seq}: {report.problem.reason} "
            f"({report.events_checked} events checked before it)"
        )
    for size, why in report.junk:
        problems.append(
            f"JUNK CHECKPOINT ROW at size {size}: {why}. The signer never wrote it (someone "
            "with database access inserted it); it was ignored and proves nothing"
        )
    problems.extend(outside)
    span = f"seq {report.first_seq}..{report.last_seq}" if report.events_checked else "empty log"
    summary = (
        f"{report.events_checked} events ({span}) and {report.checkpoints_checked} "
        "checkpoints verified"
    )
    if problems:
        for line in problems:
            click.echo(f"error: {line}", err=True)
        if report.problem is None:
            click.echo(f"the rest verifies: {summary}", err=True)
        sys.exit(TAMPERED)
    click.echo(f"ok: {summary}")
    tags = report.tags
    if tags is not None:
        click.echo(_tags_line(tags, report.first_seq))
    if anchors:
        click.echo(f"ok: the trail holds all {anchors} checkpoints kept outside the database")


def _tags_line(tags: Any, first_seq: int) -> str:
    checked = "checked" if not tags.keyless else "present (HMACs not checked: no batch key)"
    line = f"batch tags: {tags.checked} {checked}"
    if tags.legacy_end is None and tags.legacy_seen:
        return (
            f"{line}; no event has a batch tag: the whole trail ({tags.legacy_seen} events) "
            "was written before batch tags (legacy); tag it once with `claims audit adopt`"
        )
    if tags.legacy_end and not tags.adopted and first_seq <= tags.legacy_end:
        return (
            f"{line}; events 1..{tags.legacy_end} have no batch tag (legacy: written before "
            "batch tags); tag them once with `claims audit adopt`"
        )
    if tags.adopted:
        return f"{line}; every event is covered (the legacy prefix by its adoption tag)"
    return f"{line}; every event is covered"


# ---------------------------------------------------------------------------------------------
# Checkpoints and proofs
# ---------------------------------------------------------------------------------------------


@audit_group.command("checkpoint", epilog=example("claims audit checkpoint"))
@guarded
def checkpoint_command() -> None:
    """Sign a checkpoint of the log at its current size now, and print it."""
    from audit.checkpoints import create_checkpoint

    with audit_store() as (_, config, engine):
        checkpoint = create_checkpoint(engine, config=config)
    click.echo(checkpoint.note, nl=False)


@audit_group.command(
    "adopt",
    epilog=example(
        "claims audit verify --witness /mnt/witness && "
        "claims audit adopt --reason 'upgrade to batch tags, checked against the witness'"
    ),
)
@click.option("--reason", required=True, help="why the legacy events are trusted (audited)")
@click.option("--actor", default="cli", help="who adopts them (audited)")
@guarded
def adopt_command(reason: str, actor: str) -> None:
    """Tag the events written before batch tags once (an audited adoption).

    Verify them against a witness or a trusted checkpoint first: adoption attests the
    legacy events as they stand.
    """
    from audit.adoption import adopt_legacy_prefix

    with audit_store() as (_, config, engine):
        adoption = adopt_legacy_prefix(engine, config=config, actor=actor, reason=reason)
    tail = (
        f"; {adoption.unsigned_tail} of them were under no signed checkpoint"
        if adoption.unsigned_tail
        else ""
    )
    click.echo(
        f"ok: events 1..{adoption.last_seq} adopted under the batch key{tail}; recorded as "
        f"event {adoption.event.event_id} (seq {adoption.event.seq})"
    )


@audit_group.group(
    "witness",
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=example("claims audit witness serve --dir /srv/witness --log-key audit.pub"),
)
def witness_group() -> None:
    """A witness that keeps the log's checkpoints outside its database (C2SP tlog-witness)."""


@witness_group.command(
    "serve",
    epilog=example(
        "claims audit witness serve --dir /srv/witness --log-key audit.pub --port 8790",
    ),
)
@click.option("--dir", "directory", required=True, help="where the witness keeps its state")
@click.option("--log-key", "log_key", required=True, help="the log's verifier key, or a file")
@click.option(
    "--name",
    default="witness.claims.example/w1",
    show_default=True,
    help="the witness's key name (its identity)",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", type=click.IntRange(0, 65535), default=8790, show_default=True, help="port")
@guarded
def witness_serve_command(directory: str, log_key: str, name: str, host: str, port: int) -> None:
    """Serve add-checkpoint: check each checkpoint is consistent with the last one seen,
    persist it, cosign it. Prints the witness's verifier key first."""
    from audit.witness_http import CosignerKey, WitnessServer

    folder = Path(directory)
    key = CosignerKey.load_or_create(folder / "witness.key", name)
    server = WitnessServer(folder, log_key=_public_key(log_key), key=key)
    httpd = server.serve(host, port)
    bound = httpd.server_address[1]
    click.echo(f"witness key: {key.verifier_key()}")
    click.echo(f"witnessing {server.origin} on http://{host}:{bound}/add-checkpoint", err=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


@audit_group.command("public-key", epilog=example("claims audit public-key > audit.pub"))
@guarded
def public_key_command() -> None:
    """Print the verifier (public) key of the log's signer key."""
    from api.settings import get_settings

    click.echo(get_settings().audit_config().verifier_key())


@audit_group.command("prove", epilog=example("claims audit prove EVENT_ID proof/"))
@click.argument("event_id")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option(
    "--checkpoint",
    "tree_size",
    type=int,
    default=None,
    help="size of the checkpoint to prove against (default: the latest)",
)
@guarded
def prove_command(event_id: str, folder: str, tree_size: int | None) -> None:
    """Write event.json, proof.json, checkpoint.txt and proof.tlog-proof of one event into
    FOLDER."""
    from audit.checkpoints import inclusion_proof_for

    with audit_store(signer=False) as (_, _config, engine):
        (proven,) = inclusion_proof_for(engine, event_ids=[event_id], tree_size=tree_size)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in proven.files().items():
        (out / name).write_text(text, encoding="utf-8")
    click.echo(
        f"ok: event {event_id} (seq {proven.event.seq}) in checkpoint {proven.checkpoint.tree_size}"
        f"; check with: claims audit verify-proof {out}/event.json {out}/proof.tlog-proof "
        "--public-key KEY"
    )


def _not_verified(exc: AuditError) -> NoReturn:
    hint = ""
    if isinstance(exc, CheckpointOriginError):
        hint = f" (to accept checkpoints of {exc.origin!r}, pass --origin {exc.origin})"
    fail(f"does NOT verify: {exc}{hint}", code=TAMPERED)


@audit_group.command(
    "verify-proof",
    epilog=example(
        "claims audit verify-proof proof/event.json proof/proof.tlog-proof --public-key audit.pub",
        "claims audit verify-proof --bundle bundle.json --public-key audit.pub",
    ),
)
@click.argument("files", nargs=-1, metavar="EVENT.json PROOF.tlog-proof|PROOF.json CHECKPOINT.txt")
@click.option(
    "--bundle",
    default=None,
    help="an export bundle instead of the files (default: the files)",
)
@PUBLIC_KEY
@ORIGIN
@guarded
def verify_proof_command(
    files: tuple[str, ...], bundle: str | None, public_key: str, origin: str | None
) -> None:
    """Verify an event's inclusion in a signed checkpoint, with no database.

    Checkpoints must be for the log named by the public key unless --origin names another.
    """
    from audit.bundle import parse_bundle, verify_bundle
    from audit.errors import CanonicalError, CheckpointError, ProofError
    from audit.verifier import ProofFiles

    key = _public_key(public_key)
    if bundle is not None:
        if files:
            fail("give either --bundle or the proof files, not both")
        text = _read(bundle, "bundle")
        try:
            parse_bundle(text)
        except ProofError as exc:
            fail(f"malformed bundle {bundle}: {exc}")
        try:
            ids = verify_bundle(text, key, origin=origin)
        except (ProofError, CheckpointError) as exc:
            _not_verified(exc)
        click.echo(f"ok: {len(ids)} events of the bundle are in its signed checkpoint")
        return
    if len(files) not in (2, 3):
        fail("expected EVENT.json PROOF.tlog-proof, or EVENT.json PROOF.json CHECKPOINT.txt")
    texts = [_read(f, w) for f, w in zip(files, _KINDS, strict=False)]
    try:
        parsed = ProofFiles.parse(texts[0], texts[1], texts[2] if len(texts) == 3 else None)
    except (CanonicalError, ProofError, CheckpointError) as exc:
        fail(f"malformed input: {exc}")
    try:
        checkpoint = parsed.verify(key, origin=origin)
    except (ProofError, CheckpointError) as exc:
        _not_verified(exc)
    click.echo(
        f"ok: event {parsed.event.get('event_id')} (seq {parsed.event.get('seq')}) is in "
        f"checkpoint {checkpoint.size} of {checkpoint.origin}"
    )


_KINDS = ("event file", "proof file", "checkpoint file")


@audit_group.command(
    "consistency", epilog=example("claims audit consistency 100 200 > consistency.json")
)
@click.argument("first_size", type=int)
@click.argument("second_size", type=int)
@guarded
def consistency_command(first_size: int, second_size: int) -> None:
    """Print a proof that checkpoint SECOND_SIZE extends checkpoint FIRST_SIZE."""
    from audit.bundle import consistency_document
    from audit.checkpoints import consistency_proof_between

    with audit_store(signer=False) as (_, _config, engine):
        proof, first, second = consistency_proof_between(
            engine, first_size=first_size, second_size=second_size
        )
    document = consistency_document(proof=proof, first_note=first.note, second_note=second.note)
    click.echo(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False))


@audit_group.command(
    "verify-consistency",
    epilog=example("claims audit verify-consistency consistency.json --public-key audit.pub"),
)
@click.argument("document_file", metavar="CONSISTENCY.json")
@PUBLIC_KEY
@ORIGIN
@guarded
def verify_consistency_command(document_file: str, public_key: str, origin: str | None) -> None:
    """Verify that one signed checkpoint extends another, with no database."""
    from audit.bundle import parse_consistency_document, verify_consistency_document
    from audit.errors import CheckpointError, ProofError

    text = _read(document_file, "consistency document")
    key = _public_key(public_key)
    try:
        parse_consistency_document(text)
    except ProofError as exc:
        fail(f"malformed consistency document {document_file}: {exc}")
    try:
        first, second = verify_consistency_document(text, key, origin=origin)
    except (ProofError, CheckpointError) as exc:
        _not_verified(exc)
    click.echo(f"ok: checkpoint {second} extends checkpoint {first}")


# ---------------------------------------------------------------------------------------------
# Decisions: append, replay, export
# ---------------------------------------------------------------------------------------------


@audit_group.command(
    "append-decision",
    epilog=example("claims audit append-decision examples/claim.json --ruleset rulesets/cn-health"),
)
@click.argument("claim_file", metavar="CLAIM.json")
@click.option("--ruleset", "ruleset", required=True, help="ruleset folder")
@click.option(
    "--as-of", "as_of", default=None, help="evaluate as at this ISO date-time (default: now)"
)
@backend_option
@click.option("--actor", default="cli", help="who records the decision")
@guarded
def append_decision_command(
    claim_file: str, ruleset: str, as_of: str | None, backend: str | None, actor: str
) -> None:
    """Evaluate a claim, snapshot its ruleset, append the decision; print the event id."""
    from audit.replay import record_decision
    from audit.snapshot import snapshot_ruleset
    from engine.errors import RulesetError

    root = Path(ruleset)
    if not (root / "ruleset.yaml").is_file():
        fail(f"--ruleset: '{ruleset}' is not a ruleset folder (it must contain ruleset.yaml)")
    try:
        snapshot, program = snapshot_ruleset(
            root, revision=git_revision(root), display=ruleset.rstrip("/")
        )
    except RulesetError as exc:
        fail(f"ruleset {ruleset} has errors; nothing was evaluated", exc.diagnostics)
    claim = read_claim(claim_file)
    decision = run_evaluate(program, claim, parse_as_of(as_of), backend)
    with audit_store() as (_, config, engine):
        event = record_decision(
            engine, snapshot=snapshot, claim=claim, decision=decision, actor=actor, config=config
        )
    click.echo(event.event_id)


@audit_group.command("replay", epilog=example("claims audit replay EVENT_ID"))
@click.argument("event_id")
@click.option(
    "--backend",
    type=click.Choice(["durable", "native"]),
    default=None,
    help="replay on this backend (default: the recorded one)",
)
@guarded
def replay_command(event_id: str, backend: str | None) -> None:
    """Re-evaluate a decision event and compare its canonical JSON byte for byte."""
    from audit.canonical import sha256_hex
    from audit.replay import Replayer

    with audit_store(signer=False) as (_, _config, engine):
        result = Replayer(engine).replay(event_id, backend=backend)
    where = f"event {event_id} (seq {result.seq}, claim {result.claim_id}, {result.backend})"
    if not result.matches:
        at = result.first_difference() or 0
        fail(
            f"REPLAY DIFFERS: {where} at byte {at}:\n"
            f"  recorded: {result.recorded[max(at - 40, 0) : at + 40]}\n"
            f"  replayed: {result.replayed[max(at - 40, 0) : at + 40]}",
            code=TAMPERED,
        )
    note = " (engine block ignored: other backend)" if result.engine_block_ignored else ""
    click.echo(
        f"identical: {where} replays byte for byte{note}: "
        f"{len(result.replayed.encode())} bytes, sha256 {sha256_hex(result.replayed)}"
    )


@audit_group.command(
    "export", epilog=example("claims audit export --claim CLM-2026-000123 -o bundle.json")
)
@click.option("--claim", "claim_id", required=True, help="claim id")
@click.option("--output", "-o", default=None, help="write to this file (default: stdout)")
@guarded
def export_command(claim_id: str, output: str | None) -> None:
    """One claim's events with inclusion proofs and the signed checkpoint, as JSON."""
    from audit.export import export_claim

    with audit_store() as (_, config, engine):
        bundle = export_claim(engine, claim_id=claim_id, config=config)
    text = bundle.text()
    if output is None:
        click.echo(text, nl=False)
        return
    Path(output).write_text(text, encoding="utf-8")
    click.echo(f"ok: {len(bundle.events)} events of claim {claim_id} written to {output}")
