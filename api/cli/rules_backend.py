"""``claims rules backend-report [PATH]``: where the durable backend evaluates each test.

For each ruleset under ``PATH`` (default ``rulesets``): every rule's condition tests and where
each runs (Rete on claim fields, Rete on derived facts, Python: :mod:`engine.backends.placement`),
then the shares over a claim corpus (``--claims``, default ``examples/claims``; each claim
counts for the ruleset it is routed to, see :mod:`api.routing`; when none is routed to the
ruleset, every claim it can decide counts). The corpus is decided by the durable backend where
it is installed, so per-claim fallbacks to native code count as Python.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from api.cli.common import example, fail, load_ruleset, parse_as_of, read_claim, ruleset_dirs

if TYPE_CHECKING:
    import datetime as dt

    from engine.backends.placement import RulePlacement, Tally
    from engine.claim import Claim
    from engine.decision import Decision
    from engine.program import Program

__all__ = ["backend_report_command"]


@click.command(
    "backend-report",
    epilog=example(
        "claims rules backend-report",
        "claims rules backend-report rulesets/cn-health --claims examples/claims --format json",
    ),
)
@click.argument("paths", nargs=-1)
@click.option(
    "--claims",
    "claims_dir",
    default="examples/claims",
    show_default=True,
    help="folder of *.json claims to weight the tests by",
)
@click.option(
    "--as-of", "as_of", default=None, help="ISO 8601 date-time with a UTC offset (default: now)"
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="output format"
)
def backend_report_command(
    paths: tuple[str, ...], claims_dir: str, as_of: str | None, fmt: str
) -> None:
    """Where each condition test runs on the durable backend, and the shares over a corpus."""
    from engine.backends import available_backends

    when = parse_as_of(as_of)
    claims = _corpus(Path(claims_dir))
    backend = available_backends()[0]
    reports = [
        _report(root, claims, when, backend) for root in ruleset_dirs(paths or ("rulesets",))
    ]
    if fmt == "json":
        click.echo(json.dumps({"backend": backend, "rulesets": reports}, indent=2))
        return
    for report in reports:
        click.echo(_text(report))
    if backend != "durable":
        click.echo("(durable-rules is not installed: per-claim fallbacks are not counted)")


def _corpus(folder: Path) -> list[tuple[Path, Claim]]:
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not files:
        fail(f"--claims: no *.json claims in {folder}")
    return [(path, read_claim(str(path))) for path in files]


def _report(
    root: Path, claims: list[tuple[Path, Claim]], when: dt.datetime, backend: str
) -> dict[str, Any]:
    from api.routing import ruleset_for_claim
    from engine.backends.placement import placements, tally

    program = load_ruleset(str(root), with_revision=False)
    routed = [c for _, c in claims if ruleset_for_claim(c).resolve() == root.resolve()]
    decisions = _decisions(program, routed or [c for _, c in claims], when, backend)
    rules = placements(program)
    counted = tally(rules, decisions)
    return {
        "ruleset": program.ir.identity.id,
        "path": str(root),
        "claims": counted.claims,
        "routed": bool(routed),
        "rules": [_rule(r) for r in rules],
        "corpus": _shares(counted),
    }


def _decisions(
    program: Program, claims: list[Claim], when: dt.datetime, backend: str
) -> list[Decision]:
    """The corpus's decisions; with claims routed elsewhere, those the ruleset can't decide
    (an event type it does not know...) are left out, not an error."""
    from engine.errors import EngineError
    from engine.evaluate import evaluate

    out = []
    for claim in claims:
        try:
            out.append(evaluate(program, claim, as_of=when, backend=backend))
        except EngineError:
            continue
    return out


def _rule(rule: RulePlacement) -> dict[str, Any]:
    return {
        "rule_id": rule.rule_id,
        "scope": rule.scope,
        "all_python": rule.all_python,
        "tests": [{"test": t.text, "runs_in": t.place} for t in rule.tests],
    }


def _shares(counted: Tally) -> dict[str, Any]:
    from engine.backends.placement import PLACES

    return {
        "rule_evaluations": counted.evaluations,
        "fallbacks": counted.fallbacks,
        "test_evaluations": counted.total,
        "counts": counted.tests,
        "shares": {p: round(counted.share(p), 4) for p in PLACES},
        "in_durable_rules": round(counted.in_rete, 4),
    }


def _text(report: dict[str, Any]) -> str:
    from engine.backends.placement import PLACE_TEXT, PLACES

    rules = report["rules"]
    lines = [f"{report['ruleset']} ({report['path']}): {len(rules)} rule(s)"]
    width = max([len(r["rule_id"]) for r in rules] + [4])
    for rule in rules:
        for i, test in enumerate(rule["tests"]):
            name = rule["rule_id"] if i == 0 else ""
            place = PLACE_TEXT[test["runs_in"]]
            lines.append(f"  {name:<{width}}  {rule['scope']:<5}  {place:<19}  {test['test']}")
    corpus = report["corpus"]
    which = "routed to it" if report["routed"] else "none is routed to it: all it can decide"
    lines.append(
        f"  over {report['claims']} claim(s) ({which}): {corpus['rule_evaluations']} rule "
        f"evaluation(s), {corpus['test_evaluations']} test evaluation(s), "
        f"{corpus['fallbacks']} fallback(s)"
    )
    shares = ", ".join(f"{PLACE_TEXT[p]} {corpus['shares'][p]:.1%}" for p in PLACES)
    lines.append(f"  {shares}; inside durable-rules {corpus['in_durable_rules']:.1%}")
    python_only = [r["rule_id"] for r in rules if r["all_python"]]
    lines.append(f"  rules decided entirely in Python: {', '.join(python_only) or 'none'}")
    return "\n".join(lines)
