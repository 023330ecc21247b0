"""``claims rules ...``: the rule author's tools.

``lint``, ``test`` and ``check`` take ruleset folders, folders of rulesets (``rulesets``) or
files inside a ruleset (pre-commit passes the files a commit touches; each is mapped to the
folder that owns it). ``schema`` prints or checks the JSON Schema of ruleset YAML. ``diff``
and ``impact`` (:mod:`api.cli.rules_revisions`) compare revisions in git. ``backend-report``
(:mod:`api.cli.rules_backend`) shows where the durable backend evaluates each test.

Exit status: 0 when clean; 1 when ``lint``/``check`` find errors, ``test`` has failures or
coverage below ``--threshold``, or ``schema --check`` finds the schema stale; 2 for user errors.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from api.cli.common import (
    FINDINGS,
    OK,
    backend_option,
    example,
    fail,
    load_ruleset,
    ruleset_dirs,
)
from api.cli.rules_backend import backend_report_command
from api.cli.rules_revisions import diff_command, impact_command
from engine.errors import Diagnostic
from engine.ruleset.jsonschema import SCHEMA_PATH, render_schema

__all__ = ["rules_group"]

RIGHTS_FILE = "rights.yaml"  # marks a rights knowledge-base folder (llm_assist.rights)

FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="output format"
)


@click.group("rules", epilog=example("claims rules lint rulesets", "claims rules test rulesets"))
def rules_group() -> None:
    """Rule authors' tools: lint, test with coverage, compile, schema, diff, impact and
    backend-report."""


@rules_group.command(
    "test",
    epilog=example(
        "claims rules test rulesets --coverage --threshold 100",
        "claims rules test rulesets/cn-health --backend native",
    ),
)
@click.argument("paths", nargs=-1, required=True)
@backend_option
@click.option("--coverage", is_flag=True, help="report rule and condition coverage")
@click.option(
    "--threshold",
    type=click.IntRange(0, 100),
    default=None,
    help="fail if rule or condition coverage is below this percentage (default: no gate)",
)
def rules_test_command(
    paths: tuple[str, ...], backend: str | None, coverage: bool, threshold: int | None
) -> None:
    """Run the YAML test cases beside each ruleset (tests/*.yaml)."""
    from engine.coverage import ConditionCoverage
    from engine.ruleset_tests import run_ruleset_tests

    measure = coverage or threshold is not None
    failed = False
    for root in ruleset_dirs(paths):
        # the revision is recorded in decisions, not compared by tests: no git calls here
        program = load_ruleset(str(root), with_revision=False)
        conditions = ConditionCoverage(program) if measure else None
        observer = conditions.observe if conditions is not None else None
        report = run_ruleset_tests(program, root, backend=backend, observer=observer)
        for line in report.lines():
            click.echo(line)
        failed = failed or report.failed > 0
        if conditions is not None:
            click.echo(
                f"condition coverage: {conditions.covered}/{conditions.total} "
                f"({conditions.percent}%)"
            )
            for missing in conditions.missing():
                click.echo(f"  not covered: {missing}")
        if (
            threshold is not None
            and conditions is not None
            and min(report.coverage_percent, conditions.percent) < threshold
        ):
            click.echo(f"{program.ir.identity.id}: coverage below the threshold of {threshold}%")
            failed = True
    sys.exit(FINDINGS if failed else OK)


@rules_group.command(
    "lint", epilog=example("claims rules lint rulesets", "claims rules lint rulesets --format json")
)
@click.argument("paths", nargs=-1, required=True)
@FORMAT
def rules_lint_command(paths: tuple[str, ...], fmt: str) -> None:
    """Lint rulesets, their test files and the rights knowledge base: every diagnostic with
    file:line:col, severity, code and suggestion (codes: docs/diagnostics.md)."""
    from engine.ruleset.lint import lint_ruleset

    roots = ruleset_dirs(paths)
    rights = rights_dirs(paths)
    found = [d for root in roots for d in lint_ruleset(root, display=str(root).rstrip("/"))]
    found += [d for folder in rights for d in _lint_rights(folder)]
    errors = sum(1 for d in found if d.severity == "error")
    if fmt == "json":
        click.echo(json.dumps([d.to_dict() for d in found], ensure_ascii=False, indent=2))
    else:
        for d in found:
            click.echo(str(d))
        warnings = sum(1 for d in found if d.severity == "warning")
        knowledge = f" and {len(rights)} rights folder(s)" if rights else ""
        click.echo(f"{len(roots)} ruleset(s){knowledge}: {errors} error(s), {warnings} warning(s)")
    sys.exit(FINDINGS if errors else OK)


def _lint_rights(folder: Path) -> list[Diagnostic]:
    """The rights loader's own diagnostics (entries, then its selection tests' shape)."""
    from llm_assist.errors import RightsError
    from llm_assist.rights import run_rights_tests

    try:
        run_rights_tests(folder)  # loads the knowledge base first; results are `rules test`'s
    except RightsError as exc:
        return sorted(exc.diagnostics, key=lambda d: (d.file, d.line, d.column, d.code))
    return []


@rules_group.command("check", epilog=example("claims rules check rulesets/cn-health"))
@click.argument("paths", nargs=-1, required=True)
@FORMAT
def rules_check_command(paths: tuple[str, ...], fmt: str) -> None:
    """Compile rulesets and print every diagnostic (file:line:col)."""
    from engine.ruleset.compiler import compile_with_diagnostics

    found: list[dict[str, Any]] = []
    errors = 0
    roots = ruleset_dirs(paths)
    for root in roots:
        _, bag = compile_with_diagnostics(root, display=str(root))
        found.extend(d.to_dict() for d in bag.items)
        errors += sum(1 for d in bag.items if d.severity == "error")
        if fmt == "text":
            for d in bag.items:
                click.echo(str(d))
    if fmt == "json":
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
    elif not errors:
        click.echo(f"ok: {len(roots)} ruleset(s) compiled without errors")
    sys.exit(FINDINGS if errors else OK)


SCHEMA_KINDS = ("ruleset", "tests", "rights", "rights-tests")


@rules_group.command(
    "schema",
    epilog=example(
        "claims rules schema --output schemas/ruleset.schema.json",
        "claims rules schema --kind tests --output schemas/ruleset-tests.schema.json",
        "claims rules schema --check",
    ),
)
@click.option(
    "--kind",
    type=click.Choice(SCHEMA_KINDS),
    default="ruleset",
    show_default=True,
    help="ruleset YAML, ruleset test files, the rights file or the rights tests",
)
@click.option(
    "--output", "output", default=None, help="write the schema to this file (default: stdout)"
)
@click.option(
    "--check",
    is_flag=True,
    help=f"exit 1 if --output (default: every committed schema, {SCHEMA_PATH} ...) is not the "
    "generated schema",
)
def schema_command(kind: str, output: str | None, check: bool) -> None:
    """Print (or write) the JSON Schema of ruleset YAML, test files or the rights files,
    generated from the keys the compiler and the loaders accept."""
    schemas = _schemas()
    if check:
        chosen = {kind: (output, schemas[kind][1])} if output else schemas
        fresh = [_check_schema(k, Path(path), text) for k, (path, text) in chosen.items()]
        sys.exit(OK if all(fresh) else FINDINGS)
    text = schemas[kind][1]
    if output:
        path = Path(output)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror}")
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)


def _schemas() -> dict[str, tuple[str, str]]:
    """kind -> (committed path, generated text)."""
    from engine.ruleset_tests.jsonschema import TESTS_SCHEMA_PATH, render_tests_schema
    from llm_assist.rights.jsonschema import (
        RIGHTS_SCHEMA_PATH,
        RIGHTS_TESTS_SCHEMA_PATH,
        render_rights_schema,
        render_rights_tests_schema,
    )

    return {
        "ruleset": (SCHEMA_PATH, render_schema()),
        "tests": (TESTS_SCHEMA_PATH, render_tests_schema()),
        "rights": (RIGHTS_SCHEMA_PATH, render_rights_schema()),
        "rights-tests": (RIGHTS_TESTS_SCHEMA_PATH, render_rights_tests_schema()),
    }


def _check_schema(kind: str, path: Path, text: str) -> bool:
    try:
        current = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = None
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
    if current != text:
        state = "missing" if current is None else "stale"
        option = "" if kind == "ruleset" else f" --kind {kind}"
        click.echo(
            f"{path} is {state}: run `claims rules schema{option} --output {path}`",
            err=True,
        )
        return False
    click.echo(f"ok: {path} is up to date")
    return True


def rights_dirs(paths: tuple[str, ...]) -> list[Path]:
    """Rights knowledge-base folders (holding rights.yaml) named, one level below, or
    containing a named file."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if (path / RIGHTS_FILE).is_file():
            out.append(path)
        elif path.is_dir():
            out.extend(sorted(p.parent for p in path.glob(f"*/{RIGHTS_FILE}")))
        elif path.is_file():
            out.extend(f for f in path.parents if (f / RIGHTS_FILE).is_file())
    return list(dict.fromkeys(out))


rules_group.add_command(diff_command)  # api/cli/rules_revisions.py
rules_group.add_command(impact_command)
rules_group.add_command(backend_report_command)  # api/cli/rules_backend.py
