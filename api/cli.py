"""The ``claims`` command line: the rule author's and operator's entry point.

Exit status: 0 with a result; 2 with a clear message on stderr for anything the user can
fix (invalid claim JSON, invalid ruleset, bad flag values). Never a traceback for those.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from api.assist_cli import assist_group
from api.audit_cli import audit_group, db_group
from api.instants import InstantError, parse_instant
from api.rules_cli import register as register_rules_commands
from api.serve_cli import serve_command, token_command
from engine.backends import available_backends
from engine.claim import load_claim
from engine.decision import Clock, Decision, canonical_json
from engine.errors import ClaimValidationError, EngineError, RulesetError
from engine.evaluate import evaluate, load_program
from engine.program import Program

USER_ERROR = 2


def fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(USER_ERROR)


def git_revision(path: Path) -> str:
    """The commit that last touched ``path`` (plus ``-dirty`` if it has local edits)."""
    try:
        rev = subprocess.run(
            ["git", "log", "-1", "--format=%H", "--", "."],
            cwd=path,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "."],
            cwd=path,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    return f"{rev}-dirty" if rev and dirty.strip() else rev


def parse_as_of(value: str | None) -> dt.datetime:
    try:
        return parse_instant(value)
    except InstantError as exc:
        if exc.missing_offset:
            fail(f"--as-of: '{value}' needs a UTC offset, e.g. {value}+08:00")
        fail(f"--as-of: '{value}' is not an ISO 8601 date-time (e.g. 2025-07-01T09:00:00+08:00)")


def load_ruleset(path: str) -> Program:
    root = Path(path)
    if not root.is_dir():
        fail(f"--ruleset: '{path}' is not a ruleset folder (it must contain ruleset.yaml)")
    try:
        return load_program(root, revision=git_revision(root), display=path.rstrip("/"))
    except RulesetError as exc:
        for diagnostic in exc.diagnostics:
            click.echo(str(diagnostic), err=True)
        fail(f"ruleset {path} has errors; nothing was evaluated")


def read_claim(path: str) -> Any:
    try:
        text = Path(path).read_bytes() if path != "-" else sys.stdin.buffer.read()
    except OSError as exc:
        fail(f"cannot read claim file {path}: {exc.strerror}")
    try:
        return load_claim(text)
    except ClaimValidationError as exc:
        fail(f"{path}: {exc}")


def run_evaluate(
    program: Program,
    claim: Any,
    as_of: dt.datetime,
    backend: str | None,
) -> Decision:
    try:
        return evaluate(program, claim, as_of=as_of, backend=backend)
    except EngineError as exc:
        fail(str(exc))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Claims rules engine: evaluate claims against YAML rulesets and manage rulesets."""


BACKEND = click.option(
    "--backend",
    type=click.Choice(["durable", "native"]),
    default=None,
    help=f"rule backend (default: {available_backends()[0]})",
)


@main.command("evaluate")
@click.argument("claim_file", metavar="CLAIM.json")
@click.option("--ruleset", "ruleset", required=True, help="ruleset folder, e.g. rulesets/cn-health")
@click.option("--as-of", "as_of", default=None, help="evaluate as at this ISO date-time")
@BACKEND
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="json")
def evaluate_command(
    claim_file: str, ruleset: str, as_of: str | None, backend: str | None, fmt: str
) -> None:
    """Evaluate one claim and print its decision."""
    program = load_ruleset(ruleset)
    claim = read_claim(claim_file)
    decision = run_evaluate(program, claim, parse_as_of(as_of), _backend(backend))
    click.echo(decision.canonical_json() if fmt == "json" else render_text(decision))


@main.command("evaluate-dir")
@click.argument("folder")
@click.option(
    "--ruleset",
    "ruleset",
    default=None,
    help="ruleset folder (default: routed per claim, see api/routing.py)",
)
@click.option("--as-of", "as_of", default=None)
@BACKEND
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
        decision = run_evaluate(programs[chosen], claim, when, _backend(backend))
        counts[decision.outcome] = counts.get(decision.outcome, 0) + 1
        codes = ",".join(r.code for r in decision.reasons) or "-"
        click.echo(
            f"{decision.claim_id:<18} {decision.ruleset.id:<13} "
            f"{decision.outcome:<8} payable {decision.amounts.payable:>12.2f}  {codes}"
        )
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    click.echo(f"{len(files)} claim(s): {summary}")


@main.command("corpus")
@click.option("--count", type=click.IntRange(10, 100_000), default=210, show_default=True)
@click.option("--out", "out", default="examples/claims", show_default=True)
def corpus_command(count: int, out: str) -> None:
    """Write the deterministic sample corpus (gen-*.json) for every bundled ruleset."""
    from engine.samples import write_corpus

    written = write_corpus(Path(out), count)
    click.echo(f"wrote {written} claims to {out}")


def _backend(name: str | None) -> str | None:
    if name is not None and name not in available_backends():
        fail(
            f"--backend {name} is not available here (available: {', '.join(available_backends())})"
        )
    return name


def render_text(d: Decision) -> str:
    a = d.amounts
    out = [
        f"Claim {d.claim_id}: {d.outcome.upper()}{' (automated)' if d.automated else ''}",
        f"  submitted {a.submitted:.2f}  eligible {a.eligible:.2f}  deductible {a.deductible:.2f}"
        f"  member share {a.copay:.2f}  payable {a.payable:.2f} {d.currency}",
    ]
    for line in d.lines:
        codes = ", ".join(line.reason_codes) or "-"
        out.append(
            f"  line {line.line_id}: {line.outcome:<8} submitted {line.submitted:>10.2f}"
            f"  payable {line.payable:>10.2f}  {codes}"
        )
    for r in d.reasons:
        where = f" (line {r.line_id})" if r.line_id is not None else ""
        out.append(f"  - [{r.code}] {r.rule_id}{where}: {r.explanation.en}")
        out.append(f"    {r.explanation.zh}")
        out.append(f"    basis: {'; '.join(r.legal_basis)}")
    for n in d.notices:
        out.append(f"  * {n.en}  {n.zh}")
    rs = d.ruleset
    out.append(
        f"  ruleset {rs.id} {rs.version} {rs.content_hash[:19]}  "
        f"as of {d.as_of}  backend {d.engine.backend}"
    )
    return "\n".join(out)


@main.command("sla")
@click.argument("claim_file", metavar="CLAIM.json")
@click.option("--ruleset", "ruleset", required=True, help="ruleset folder")
@click.option("--as-of", "as_of", default=None, help="clock time, ISO 8601 with offset")
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="table")
def sla_command(claim_file: str, ruleset: str, as_of: str | None, fmt: str) -> None:
    """Print only the SLA clocks of one claim."""
    from engine.evaluate import clocks

    program = load_ruleset(ruleset)
    claim = read_claim(claim_file)
    try:
        found = clocks(program, claim, as_of=parse_as_of(as_of))
    except EngineError as exc:
        fail(f"{claim_file}: {exc}")
    if fmt == "json":
        click.echo(canonical_json(found))
        return
    click.echo(render_clocks(found, program.ir.timezone))


def render_clocks(found: list[Clock], tz: str) -> str:
    rows = [("clock", "status", "started", "due", "stopped", "remaining", "action")]
    for c in found:
        rows.append(
            (
                c.id,
                c.status,
                _short(c.started_at),
                _short(c.due_at),
                _short(c.stopped_at),
                _span(c.remaining_seconds),
                c.breach_action,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join([*lines, f"(times in {tz}; remaining is negative when overdue)"])


def _short(value: str | None) -> str:
    return value[:16].replace("T", " ") if value else "-"


def _span(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    sign = "-" if seconds < 0 else ""
    days, rest = divmod(abs(seconds), 86400)
    return f"{sign}{days}d {rest // 3600}h"


@main.group("rules")
def rules_group() -> None:
    """Rule authors' tools: compile checks and ruleset tests."""


@rules_group.command("test")
@click.argument("paths", nargs=-1, required=True)
@BACKEND
@click.option("--coverage", is_flag=True, help="report rule and condition coverage")
@click.option(
    "--threshold",
    type=click.IntRange(0, 100),
    default=None,
    help="fail if rule or condition coverage is below this percentage",
)
def rules_test_command(
    paths: tuple[str, ...], backend: str | None, coverage: bool, threshold: int | None
) -> None:
    """Run the YAML test cases beside each ruleset (tests/*.yaml)."""
    from engine.coverage import ConditionCoverage
    from engine.ruleset_tests import run_ruleset_tests

    failed = False
    for root in _ruleset_dirs(paths):
        program = load_ruleset(str(root))
        conditions = ConditionCoverage(program)
        report = run_ruleset_tests(
            program, root, backend=_backend(backend), observer=conditions.observe
        )
        for line in report.lines():
            click.echo(line)
        failed = failed or report.failed > 0
        if coverage or threshold is not None:
            click.echo(
                f"condition coverage: {conditions.covered}/{conditions.total} "
                f"({conditions.percent}%)"
            )
            for missing in conditions.missing():
                click.echo(f"  not covered: {missing}")
        if threshold is not None and min(report.coverage_percent, conditions.percent) < threshold:
            click.echo(f"{program.ir.identity.id}: coverage below the threshold of {threshold}%")
            failed = True
    sys.exit(1 if failed else 0)


@rules_group.command("lint")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def rules_lint_command(paths: tuple[str, ...], fmt: str) -> None:
    """Lint rulesets: every diagnostic with file:line:col, severity, code and suggestion."""
    from engine.ruleset.lint import lint_ruleset

    roots = _ruleset_dirs(paths)
    found = [d for root in roots for d in lint_ruleset(root, display=str(root).rstrip("/"))]
    errors = sum(1 for d in found if d.severity == "error")
    if fmt == "json":
        click.echo(json.dumps([d.to_dict() for d in found], ensure_ascii=False, indent=2))
    else:
        for d in found:
            click.echo(str(d))
        warnings = sum(1 for d in found if d.severity == "warning")
        click.echo(f"{len(roots)} ruleset(s): {errors} error(s), {warnings} warning(s)")
    sys.exit(1 if errors else 0)


@rules_group.command("check")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def rules_check_command(paths: tuple[str, ...], fmt: str) -> None:
    """Compile rulesets and print every diagnostic (file:line:col)."""
    from engine.ruleset.compiler import compile_with_diagnostics

    found: list[dict[str, Any]] = []
    errors = 0
    for root in _ruleset_dirs(paths):
        _, bag = compile_with_diagnostics(root, display=str(root))
        found.extend(d.to_dict() for d in bag.items)
        errors += sum(1 for d in bag.items if d.severity == "error")
        if fmt == "text":
            for d in bag.items:
                click.echo(str(d))
    if fmt == "json":
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
    elif not errors:
        click.echo(f"ok: {len(_ruleset_dirs(paths))} ruleset(s) compiled without errors")
    sys.exit(1 if errors else 0)


def _ruleset_dirs(paths: tuple[str, ...]) -> list[Path]:
    """Ruleset folders named directly, found one level below (``rulesets``), or containing a
    named file (pre-commit passes the files a commit touches)."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if (path / "ruleset.yaml").is_file():
            out.append(path)
        elif path.is_dir():
            out.extend(sorted(p.parent for p in path.glob("*/ruleset.yaml")))
        elif path.is_file() and (owner := _owning_ruleset(path)) is not None:
            out.append(owner)
        elif not path.is_file():
            fail(f"'{raw}' is not a ruleset folder or a folder of rulesets")
    return list(dict.fromkeys(out))


def _owning_ruleset(path: Path) -> Path | None:
    for folder in path.parents:
        if (folder / "ruleset.yaml").is_file():
            return folder
    return None


register_rules_commands(rules_group)  # schema, diff, impact: api/rules_cli.py
main.add_command(audit_group)  # claims audit ...: api/audit_cli.py
main.add_command(db_group)  # claims db upgrade
main.add_command(serve_command)  # claims serve: api/serve_cli.py
main.add_command(token_command)  # claims token --role R --sub S
main.add_command(assist_group)  # claims assist note: api/assist_cli.py

if __name__ == "__main__":
    main()
