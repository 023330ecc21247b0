"""``claims rules diff | impact``: the rule author's workflow in git.

- ``diff REV_A [REV_B] [PATH]``: semantic diff of the rulesets under ``PATH`` (default
  ``rulesets``) between two revisions; ``WORKTREE`` (the default REV_B) is the working tree.
  With two arguments the second is REV_B if git knows it as a revision, else PATH.
- ``impact --base REV``: the decisions of a claim corpus that change between the base
  revision's rulesets and the working tree's (``engine.impact``).

Exit status as everywhere in the CLI (:mod:`api.cli.common`): 0 with a result, 2 with a clear
message on stderr for anything the user can fix (an unknown revision, a ruleset that does not
compile at a revision, an invalid claim, a bad flag).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from api.cli.common import backend_option, example, fail, parse_as_of
from api.git_revisions import WORKTREE, GitError, Repo
from api.routing import RULESETS, ruleset_for_claim
from api.ruleset_revisions import RulesetLoadError, load_rulesets
from engine.claim import Claim, load_claim
from engine.decision import canonical_json
from engine.errors import ClaimValidationError, Diagnostic
from engine.program import Program
from engine.ruleset.ir import RulesetIR
from engine.ruleset.source import RULESET_FILE

if TYPE_CHECKING:
    from engine.impact import ImpactReport

__all__ = ["diff_command", "impact_command"]

DEFAULT_RULESETS = str(RULESETS)
DEFAULT_CLAIMS = "examples/claims"
FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="output format"
)


# ---------------------------------------------------------------------------------------------
# diff
# ---------------------------------------------------------------------------------------------


@click.command(
    "diff",
    epilog=example(
        "claims rules diff HEAD WORKTREE",
        "claims rules diff main HEAD rulesets/cn-health --format json",
    ),
)
@click.argument("args", nargs=-1, required=True, metavar="REV_A [REV_B] [PATH]")
@FORMAT
def diff_command(args: tuple[str, ...], fmt: str) -> None:
    """Semantic diff of the rulesets under PATH (default rulesets) between two revisions.

    REV_B defaults to WORKTREE, the working tree; with two arguments the second is REV_B if
    git knows it as a revision, else PATH. Reports rulesets added and removed, version changes,
    and every rule, derived fact, table, benefit step, SLA node and label added, removed or
    changed (field by field). Not a text diff: comments and layout are ignored.
    """
    from engine.ruleset.diff import diff_rulesets

    rev_a, rev_b, path = _diff_args(args)
    try:
        repo = Repo.containing(path)
        old, new = _load_sides(repo, (rev_a, rev_b), path)
    except GitError as exc:
        fail(str(exc))
    if not old and not new:
        fail(f"no ruleset folder (with ruleset.yaml) under {path}")
    result = diff_rulesets(old, new, old_label=rev_a, new_label=rev_b)
    if fmt == "json":
        click.echo(canonical_json(result.to_dict()))
    else:
        click.echo("\n".join(result.lines()))


def _diff_args(args: tuple[str, ...]) -> tuple[str, str, str]:
    if len(args) > 3:
        fail(f"diff takes REV_A [REV_B] [PATH], got {len(args)} arguments")
    if len(args) == 3:
        return args[0], args[1], args[2]
    if len(args) == 1:
        return args[0], WORKTREE, DEFAULT_RULESETS
    second = args[1]
    if second != WORKTREE and Path(second).exists() and not _is_revision(second):
        return args[0], WORKTREE, second
    return args[0], second, DEFAULT_RULESETS


def _is_revision(name: str) -> bool:
    try:
        Repo.containing(".").resolve(name)
    except GitError:
        return False
    return True


def _load_sides(
    repo: Repo, revs: tuple[str, str], path: str, names: Iterable[str] | None = None
) -> tuple[dict[str, RulesetIR], dict[str, RulesetIR]]:
    """The rulesets under ``path`` at both revisions; every problem of both before failing."""
    wanted = None if names is None else sorted(set(names))
    loaded: list[dict[str, RulesetIR]] = []
    problems: list[str] = []
    diagnostics: list[Diagnostic] = []
    for rev in revs:
        try:
            loaded.append(load_rulesets(repo, rev, path, wanted))
        except RulesetLoadError as exc:
            problems.append(f"{exc.message} at {rev}")
            diagnostics += exc.diagnostics
    if problems:
        fail("; ".join(problems) + "; nothing was compared", diagnostics)
    return loaded[0], loaded[1]


# ---------------------------------------------------------------------------------------------
# impact
# ---------------------------------------------------------------------------------------------


@click.command(
    "impact",
    epilog=example(
        "claims rules impact --base HEAD",
        "claims rules impact --base main --claims examples/claims "
        "--as-of 2025-07-01T09:00:00+08:00 --format json",
    ),
)
@click.option("--base", "base", required=True, help="the revision to compare the worktree with")
@click.option("--claims", "claims_dir", default=DEFAULT_CLAIMS, help="folder of *.json claims")
@click.option(
    "--audit",
    "from_audit",
    is_flag=True,
    help="use the claims of the audit trail's decisions (CLAIMS_DATABASE_URL) instead",
)
@click.option(
    "--ruleset",
    "ruleset",
    default=None,
    help="one ruleset folder for every claim (default: routed per claim, see api/routing.py)",
)
@click.option("--as-of", "as_of", default=None, help="ISO date-time with offset (default: now)")
@backend_option
@FORMAT
def impact_command(
    base: str,
    claims_dir: str,
    from_audit: bool,
    ruleset: str | None,
    as_of: str | None,
    backend: str | None,
    fmt: str,
) -> None:
    """Decisions of a claim corpus that change from the base revision to the working tree.

    Each claim is evaluated under the base revision's ruleset and the working tree's, at one
    instant (--as-of, default now, recorded in the output). The ruleset is --ruleset if
    given, else the folder under rulesets/ that api/routing.py picks for the claim
    (complaints: cn-complaints; US: us-erisa; others: cn-health). Reports outcome, payable
    amount, reason codes and SLA due dates that change, then a summary.
    """
    from engine.impact import ImpactReport

    when = parse_as_of(as_of)
    claims = _audit_claims() if from_audit else _read_claims(claims_dir)
    pick, path, names = _ruleset_choice(ruleset, [claim for _, claim in claims])
    try:
        repo = Repo.containing(path)
        old, new = _load_sides(repo, (base, WORKTREE), path, names)
    except GitError as exc:
        fail(str(exc))
    report = ImpactReport(base, WORKTREE, when.isoformat())
    _evaluate_all(report, claims, pick, (_programs(old), _programs(new)), when, backend)
    click.echo(canonical_json(report.to_dict()) if fmt == "json" else "\n".join(report.lines()))


def _programs(rulesets: dict[str, RulesetIR]) -> dict[str, Program]:
    return {name: Program(ir) for name, ir in rulesets.items()}


def _evaluate_all(
    report: ImpactReport,
    claims: list[tuple[str, Claim]],
    pick: Callable[[Claim], str],
    programs: tuple[dict[str, Program], dict[str, Program]],
    when: dt.datetime,
    backend: str | None,
) -> None:
    """Evaluate each claim on both sides, with a progress bar on stderr."""
    from engine.impact import evaluate_digest

    label = f"evaluating {len(claims)} claim(s) twice"
    with click.progressbar(claims, label=label, file=sys.stderr) as bar:
        for file, claim in bar:
            name = pick(claim)
            before = evaluate_digest(programs[0][name], claim, when, backend)
            after = evaluate_digest(programs[1][name], claim, when, backend)
            report.add(claim, file, name, before, after)


def _audit_claims() -> list[tuple[str, Claim]]:
    """The claim of the latest decision of every claim in the audit trail."""
    from api.settings import get_settings
    from audit.db import create_engine
    from audit.replay import DECISION_EVENT
    from audit.store import iter_events, read_connection
    from engine.claim import load_claim

    latest: dict[str, tuple[str, Claim]] = {}
    try:
        engine = create_engine(get_settings().database_url)
        with read_connection(engine) as conn:
            for event in iter_events(conn):
                if event.event_type == DECISION_EVENT and event.claim_id:
                    claim = load_claim(json.loads(event.payload)["claim"])
                    latest[event.claim_id] = (f"audit seq {event.seq}", claim)
    except Exception as exc:  # an unreadable database is a user-facing error, not a trace
        fail(f"--audit: cannot read the audit trail: {exc}")
    if not latest:
        fail("--audit: the audit trail holds no decisions")
    return sorted(latest.values(), key=lambda pair: pair[1].claim_id)


def _read_claims(folder: str) -> list[tuple[str, Claim]]:
    """Every *.json claim of the folder, all validated before anything is evaluated."""
    root = Path(folder)
    if not root.is_dir():
        fail(f"--claims: '{folder}' is not a folder")
    files = sorted(root.glob("*.json"))
    if not files:
        fail(f"--claims: no *.json claims in {folder}")
    claims: list[tuple[str, Claim]] = []
    problems: list[str] = []
    for path in files:
        try:
            claims.append((str(path), load_claim(path.read_bytes())))
        except ClaimValidationError as exc:
            problems.append(f"{path}: {exc}")
        except OSError as exc:
            problems.append(f"{path}: cannot read: {exc.strerror}")
    if problems:
        fail("invalid claims; nothing was evaluated\n" + "\n".join(problems))
    return claims


def _ruleset_choice(
    ruleset: str | None, claims: list[Claim]
) -> tuple[Callable[[Claim], str], str, list[str] | None]:
    """How claims map to rulesets: (claim → folder name, the path to load, names needed)."""
    if ruleset is not None:
        if not (Path(ruleset) / RULESET_FILE).is_file():
            fail(f"--ruleset: '{ruleset}' is not a ruleset folder (it must contain ruleset.yaml)")
        name = Path(ruleset).resolve().name
        return (lambda _claim: name), ruleset, None
    names = sorted({_routed(c) for c in claims})
    return _routed, str(RULESETS), names


def _routed(claim: Claim) -> str:
    """The folder name under rulesets/ that ``api.routing`` sends the claim to."""
    return ruleset_for_claim(claim).name
