"""What the ``claims`` command groups share: exit codes, failing, reading a claim, ``--as-of``,
loading a ruleset, choosing a backend, the git revision of a ruleset folder.

Exit status everywhere: 0 with a result (:data:`OK`); 1 when a command finds something wrong
(:data:`FINDINGS`: lint errors, failing ruleset tests, a stale schema, a tampered audit
trail); 2 with a clear message on stderr for anything the user can fix (:data:`USER_ERROR`:
an invalid claim, an invalid ruleset, a bad flag). Never a traceback for those.

Import hygiene: this module is imported by every command, including the ones that must start
fast and load no web framework, database or LLM library (``tests/api/cli/test_imports.py``);
it imports only click, the engine and light ``api`` modules.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from api.git_revisions import git_revision
from api.instants import InstantError, parse_instant
from engine.backends import available_backends
from engine.claim import Claim, load_claim
from engine.errors import ClaimValidationError, Diagnostic, EngineError, RulesetError
from engine.program import Program
from engine.ruleset.source import RULESET_FILE

if TYPE_CHECKING:
    from engine.decision import Decision

__all__ = [
    "FINDINGS",
    "OK",
    "USER_ERROR",
    "backend_option",
    "checked_backend",
    "decision_document",
    "example",
    "fail",
    "git_revision",
    "load_ruleset",
    "parse_as_of",
    "read_claim",
    "ruleset_dirs",
    "run_evaluate",
]

OK = 0
FINDINGS = 1
USER_ERROR = 2

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, diagnostics: Iterable[Diagnostic] = (), code: int = USER_ERROR) -> NoReturn:
    """Print every diagnostic, then ``error: message``, on stderr and exit with ``code``."""
    for diagnostic in diagnostics:
        click.echo(str(diagnostic), err=True)
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def example(*lines: str) -> str:
    """A command's help epilog: its example invocations, kept as written (``\\b``)."""
    return "\b\nExample:\n" + "\n".join(f"  {line}" for line in lines)


def parse_as_of(value: str | None) -> dt.datetime:
    """``--as-of``: an ISO 8601 date-time with a UTC offset; now when absent."""
    try:
        return parse_instant(value)
    except InstantError as exc:
        if exc.missing_offset:
            fail(f"--as-of: '{value}' needs a UTC offset, e.g. {value}+08:00")
        fail(f"--as-of: '{value}' is not an ISO 8601 date-time (e.g. 2025-07-01T09:00:00+08:00)")


def load_ruleset(path: str, *, with_revision: bool = True) -> Program:
    """The compiled ruleset of a folder; every diagnostic and exit 2 if it does not compile.

    ``with_revision``: record the folder's git revision in the ruleset's identity (what
    decisions show); commands that make no decision skip the git calls.
    """
    from engine.evaluate import load_program

    root = Path(path)
    if not root.is_dir():
        fail(f"--ruleset: '{path}' is not a ruleset folder (it must contain {RULESET_FILE})")
    revision = git_revision(root) if with_revision else ""
    try:
        return load_program(root, revision=revision, display=path.rstrip("/"))
    except RulesetError as exc:
        fail(f"ruleset {path} has errors; nothing was evaluated", exc.diagnostics)


def read_claim(path: str) -> Claim:
    """The claim of a JSON file (``-``: stdin); every invalid field and exit 2 if invalid."""
    try:
        text = Path(path).read_bytes() if path != "-" else sys.stdin.buffer.read()
    except OSError as exc:
        fail(f"cannot read claim file {path}: {exc.strerror}")
    try:
        return load_claim(text)
    except ClaimValidationError as exc:
        fail(f"{path}: {exc}")


def run_evaluate(
    program: Program, claim: Claim, as_of: dt.datetime, backend: str | None
) -> Decision:
    """The decision of one claim; an evaluation error (naming the rule) exits 2."""
    from engine.evaluate import evaluate

    try:
        return evaluate(program, claim, as_of=as_of, backend=backend)
    except EngineError as exc:
        fail(str(exc))


def decision_document(decision: Decision) -> dict[str, Any]:
    """A decision as its JSON document (the README's contract, what renderers read)."""
    return decision.json_form()


def checked_backend(name: str | None) -> str | None:
    """``--backend``: ``None`` (the engine's default) or a backend installed here."""
    if name is not None and name not in available_backends():
        fail(
            f"--backend {name} is not available here (available: {', '.join(available_backends())})"
        )
    return name


def backend_option(func: F) -> F:
    """``--backend durable|native``, checked to be installed (``checked_backend``)."""
    option = click.option(
        "--backend",
        type=click.Choice(["durable", "native"]),
        default=None,
        callback=lambda _ctx, _param, value: checked_backend(value),
        help=f"rule backend (default: {available_backends()[0]}, the first installed of "
        "durable, native)",
    )
    return option(func)


def ruleset_dirs(paths: tuple[str, ...]) -> list[Path]:
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
