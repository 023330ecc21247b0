"""``claims assist``: the LLM assistant from the command line (no database, nothing audited).

``claims assist note CLAIM.json --ruleset rulesets/cn-health`` evaluates the claim, drafts a
review note on the decision with the configured provider (``CLAIMS_ASSIST_*`` settings, or
the options below), checks it with the grounding guard and prints the draft: the note, the
guard's verdict and reasons, and the hashes the service audits. With ``--audit`` the decision
(with its ruleset snapshot) and the draft are appended to the audit trail of
``CLAIMS_DATABASE_URL`` as a ``decision`` and a ``review_note`` event, as the API's
``POST /claims/{id}/review-notes`` does for a stored claim; without it nothing is recorded (a
preview, e.g. for a rule author trying a model).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from api.cli.common import (
    example,
    fail,
    git_revision,
    load_ruleset,
    parse_as_of,
    read_claim,
    run_evaluate,
)
from llm_assist.config import PROVIDERS

if TYPE_CHECKING:
    from engine.decision import Decision
    from llm_assist.config import Provider

__all__ = ["assist_group"]


@click.group(
    "assist",
    epilog=example("claims assist note examples/claim.json --ruleset rulesets/cn-health"),
)
def assist_group() -> None:
    """LLM-assisted drafts (review notes); the rules decide, the assistant only drafts."""


@assist_group.command(
    "note",
    epilog=example(
        "claims assist note examples/claim.json --ruleset rulesets/cn-health --format text",
        "claims assist note examples/claim.json --ruleset rulesets/cn-health --provider ollama "
        "--model qwen2.5:7b --base-url http://127.0.0.1:11434 --language en",
    ),
)
@click.argument("claim_file", metavar="CLAIM.json")
@click.option("--ruleset", "ruleset", required=True, help="ruleset folder, e.g. rulesets/cn-health")
@click.option(
    "--as-of", "as_of", default=None, help="evaluate as at this ISO date-time (default: now)"
)
@click.option(
    "--provider",
    type=click.Choice(PROVIDERS),
    default=None,
    help="drafter (default: CLAIMS_ASSIST_PROVIDER, else template)",
)
@click.option("--model", default=None, help="model name (default: CLAIMS_ASSIST_MODEL)")
@click.option(
    "--base-url",
    "base_url",
    default=None,
    help="endpoint (default: CLAIMS_ASSIST_BASE_URL, else the provider's own)",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(0.1, 600),
    default=None,
    help="seconds per model call (default: CLAIMS_ASSIST_TIMEOUT_S, 20)",
)
@click.option(
    "--language", type=click.Choice(["zh", "en"]), default="zh", help="language of the note"
)
@click.option(
    "--rights",
    "rights_dir",
    default=None,
    help="rights knowledge base folder (default: CLAIMS_RIGHTS_DIR, else rulesets/rights)",
)
@click.option(
    "--format", "fmt", type=click.Choice(["json", "text"]), default="json", help="output format"
)
@click.option("--audit", is_flag=True, help="record the decision and the draft as audit events")
@click.option("--actor", default="cli", help="who records them (--audit)")
def note_command(
    claim_file: str,
    ruleset: str,
    as_of: str | None,
    provider: str | None,
    model: str | None,
    base_url: str | None,
    timeout_s: float | None,
    language: str,
    rights_dir: str | None,
    fmt: str,
    audit: bool,
    actor: str,
) -> None:
    """Evaluate CLAIM.json and print a guarded review-note draft of its decision."""
    # Imported here: `claims` starts without loading LangChain unless a draft is asked for.
    from api.review_notes import draft_for_claim
    from api.settings import Settings, SettingsError
    from llm_assist.rights import DEFAULT_RIGHTS_DIR

    settings = Settings()
    try:
        config = settings.assist_config() if provider in (None, settings.assist_provider) else None
    except SettingsError as exc:
        fail(str(exc))
    config = config or Settings(assist_provider="template").assist_config()
    config = replace(
        config,
        provider=cast("Provider", provider) if provider is not None else config.provider,
        model=model if model is not None else config.model,
        base_url=base_url if base_url is not None else config.base_url,
        timeout_s=timeout_s if timeout_s is not None else config.timeout_s,
    )
    if config.provider != "template" and not config.model:
        fail(f"--provider {config.provider} needs --model (or CLAIMS_ASSIST_MODEL)")
    rights = _rights(rights_dir or settings.rights_dir or DEFAULT_RIGHTS_DIR)
    program = load_ruleset(ruleset)
    claim = read_claim(claim_file)
    decision = run_evaluate(program, claim, parse_as_of(as_of), None)
    draft = draft_for_claim(claim, decision, rights=rights, config=config, language=language)
    payload = {**draft.audit_payload(), "claim_id": claim.claim_id, "outcome": decision.outcome}
    if audit:
        payload.update(_record(ruleset, claim, decision, payload, language, actor))
    if fmt == "json":
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True))
    else:
        click.echo(render_note(payload))
    if draft.verdict == "fallback":
        click.echo(
            f"note: fell back to the template draft ({len(draft.reasons)} reason(s))", err=True
        )


def _record(
    ruleset: str, claim: Any, decision: Decision, payload: dict[str, Any], language: str,
    actor: str,
) -> dict[str, str]:  # fmt: skip
    """Append the decision (with its ruleset snapshot) and the draft; their event ids."""
    from api.cli.audit import audit_store, guarded
    from api.review_notes import REVIEW_NOTE_EVENT
    from audit.replay import record_decision
    from audit.snapshot import snapshot_ruleset
    from audit.store import append_event

    @guarded
    def record() -> dict[str, str]:
        root = Path(ruleset)
        snapshot, _ = snapshot_ruleset(
            root, revision=git_revision(root), display=ruleset.rstrip("/")
        )
        with audit_store() as (_, config, engine):
            decided = record_decision(
                engine, snapshot=snapshot, claim=claim, decision=decision, actor=actor,
                config=config,
            )  # fmt: skip
            note = {
                **{k: v for k, v in payload.items() if k != "outcome"},
                "decision_event": decided.event_id,
                "language": language,
            }
            noted = append_event(
                engine, event_type=REVIEW_NOTE_EVENT, claim_id=claim.claim_id, payload=note,
                actor=actor, config=config,
            )  # fmt: skip
        return {"decision_event": decided.event_id, "event_id": noted.event_id}

    return record()


def _rights(folder: Any) -> Any:
    from llm_assist.errors import RightsError
    from llm_assist.rights import load_rights

    try:
        return load_rights(folder)
    except RightsError as exc:
        fail(f"the rights knowledge base {folder} has errors", exc.diagnostics)


def render_note(payload: dict[str, Any]) -> str:
    """The draft as text for a terminal."""
    note = payload["note"]
    out = [
        f"claim {payload['claim_id']}: {payload['outcome']} "
        f"(draft by {payload['provider']}{' ' + payload['model'] if payload['model'] else ''}, "
        f"guard: {payload['verdict']})",
        "",
        note["summary"],
    ]
    reminders = note["member_reminders"]
    sections = [
        ("Findings", [f"{f['text']} [{', '.join(f['rule_ids'])}]" for f in note["findings"]]),
        ("Missing information", note["missing_information"]),
        ("Next steps", note["next_steps"]),
        (
            "Member reminders",
            [f"{r['id']}: {r['zh']} / {r['en']}" for r in reminders],
        ),
        ("Guard reasons", list(payload.get("reasons") or [])),
    ]
    for title, items in sections:
        if items:
            out += ["", f"{title}:", *(f"  - {item}" for item in items)]
    return "\n".join(out)
