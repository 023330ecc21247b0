"""``claims evaluate``, ``claims evaluate-dir`` and ``claims sla``: decisions and SLA clocks.

``evaluate`` prints the canonical decision JSON (the contract of the README) or, with
``--format text``, a reading for people (:mod:`api.cli.decision_text`); ``--explain RULE_ID``
adds which ``and``/``or`` operand of that rule's condition held or failed, with the facts it
read (:mod:`engine.rule_explanation`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from api.cli.common import (
    backend_option,
    decision_document,
    example,
    fail,
    load_ruleset,
    parse_as_of,
    read_claim,
    run_evaluate,
)
from api.cli.decision_text import (
    render_clocks,
    render_decision,
    render_explanation,
    render_summary_line,
)
from engine.claim import Claim
from engine.program import Program

if TYPE_CHECKING:
    from engine.rule_explanation import RuleExplanation

__all__ = ["evaluate_command", "evaluate_dir_command", "sla_command"]

AS_OF = click.option(
    "--as-of", "as_of", default=None, help="ISO 8601 date-time with a UTC offset (default: now)"
)
LANGUAGE = click.option(
    "--language",
    type=click.Choice(["zh", "en"]),
    default="zh",
    help="language of the reasons, notices and clock explanations (--format text)",
)


@click.command(
    "evaluate",
    epilog=example(
        "claims evaluate examples/claim.json --ruleset rulesets/cn-health "
        "--as-of 2025-07-01T09:00:00+08:00",
        "claims evaluate examples/claim.json --ruleset rulesets/cn-health --format text "
        "--language en --explain waiting_period",
    ),
)
@click.argument("claim_file", metavar="CLAIM.json")
@click.option("--ruleset", "ruleset", required=True, help="ruleset folder, e.g. rulesets/cn-health")
@AS_OF
@backend_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "text"]),
    default="json",
    help="json: the canonical decision; text: outcome, lines, reasons and SLA clocks",
)
@LANGUAGE
@click.option(
    "--explain",
    "explain",
    multiple=True,
    default=(),
    metavar="RULE_ID",
    help="also show which and/or operand of this rule's condition held or failed, with the "
    "facts it read (repeatable; with --format json the output is "
    '{"decision": ..., "explanations": [...]})',
)
def evaluate_command(
    claim_file: str,
    ruleset: str,
    as_of: str | None,
    backend: str | None,
    fmt: str,
    language: str,
    explain: tuple[str, ...],
) -> None:
    """Evaluate one claim (CLAIM.json, or - for stdin) and print its decision."""
    from engine.decision import canonical_json

    program = load_ruleset(ruleset)
    claim = read_claim(claim_file)
    when = parse_as_of(as_of)
    decision = run_evaluate(program, claim, when, backend)
    explanations = [_explain(program, claim, rule_id, when) for rule_id in explain]
    if fmt == "json" and explanations:
        click.echo(
            canonical_json(
                {
                    "decision": decision_document(decision),
                    "explanations": [e.model_dump(mode="json") for e in explanations],
                }
            )
        )
    elif fmt == "json":
        click.echo(canonical_json(decision))
    else:
        document = decision_document(decision)
        texts = [render_decision(document, language)]
        texts += [render_explanation(e, document) for e in explanations]
        click.echo("\n\n".join(texts))


def _explain(program: Program, claim: Claim, rule_id: str, when: dt.datetime) -> RuleExplanation:
    from engine.errors import EngineError
    from engine.rule_explanation import explain_rule

    try:
        return explain_rule(program, claim, rule_id, as_of=when)
    except EngineError as exc:
        fail(f"--explain: {exc}")


@click.command(
    "evaluate-dir",
    epilog=example("claims evaluate-dir examples/claims --as-of 2025-07-01T09:00:00+08:00"),
)
@click.argument("folder")
@click.option(
    "--ruleset",
    "ruleset",
    default=None,
    help="ruleset folder for every claim (default: routed per claim, see api/routing.py)",
)
@AS_OF
@backend_option
def evaluate_dir_command(
    folder: str, ruleset: str | None, as_of: str | None, backend: str | None
) -> None:
    """Evaluate every *.json claim in a folder and print one summary line each."""
    from api.routing import ruleset_for_claim

    when = parse_as_of(as_of)
    files = sorted(Path(folder).glob("*.json"))
    if not files:
        fail(f"no *.json claims in {folder}")
    programs: dict[str, Program] = {}
    counts: dict[str, int] = {}
    for path in files:
        claim = read_claim(str(path))
        chosen = ruleset or str(ruleset_for_claim(claim))
        if chosen not in programs:
            programs[chosen] = load_ruleset(chosen)
        decision = decision_document(run_evaluate(programs[chosen], claim, when, backend))
        counts[decision["outcome"]] = counts.get(decision["outcome"], 0) + 1
        click.echo(render_summary_line(decision))
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    click.echo(f"{len(files)} claim(s): {summary}")


@click.command(
    "sla",
    epilog=example(
        "claims sla examples/claim.json --ruleset rulesets/cn-health "
        "--as-of 2025-07-01T09:00:00+08:00"
    ),
)
@click.argument("claim_file", metavar="CLAIM.json")
@click.option("--ruleset", "ruleset", required=True, help="ruleset folder, e.g. rulesets/cn-health")
@AS_OF
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "table"]),
    default="table",
    help="table: one row per clock; json: the decision's sla list",
)
def sla_command(claim_file: str, ruleset: str, as_of: str | None, fmt: str) -> None:
    """Print only the SLA clocks of one claim (no rule is evaluated)."""
    from engine.decision import canonical_json
    from engine.errors import EngineError
    from engine.evaluate import clocks

    program = load_ruleset(ruleset)
    claim = read_claim(claim_file)
    try:
        found = clocks(program, claim, as_of=parse_as_of(as_of))
    except EngineError as exc:
        fail(f"{claim_file}: {exc}")
    documents = [clock.model_dump(mode="json") for clock in found]
    if fmt == "json":
        click.echo(canonical_json(documents))
        return
    click.echo(render_clocks(documents, program.ir.timezone))
