"""The rulesets the service evaluates with, compiled once and kept in memory.

Each ruleset folder is read into a content-addressed snapshot and compiled **from that
snapshot** (:func:`audit.snapshot.snapshot_ruleset`), so the program that decides and the
source stored in the audit trail beside the decision cannot differ. Which folder decides a
claim is :func:`api.routing.ruleset_for_claim`.

:meth:`RulesetCatalog.reload` follows the invariant "a broken ruleset never replaces a
working one": the folder is linted, compiled from a fresh snapshot and its own YAML tests run
(native backend) first; only when all of that passes is the cached program swapped, and the
decisions made meanwhile keep the snapshot they were made with. :meth:`RulesetCatalog.
reload_all` does that for every installed ruleset at once and swaps all or none: rulesets
route claims between them, so a half-applied release is not a state to run in.
:meth:`RulesetCatalog.active` describes what is in use (``GET /rulesets``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from api.errors import RulesetUnavailable, UnknownRuleset
from api.git_revisions import git_revision
from api.routing import ruleset_for_claim
from audit.snapshot import RulesetSnapshot, snapshot_ruleset
from engine.claim import Claim
from engine.program import Program

__all__ = [
    "LoadedRuleset",
    "ReloadReport",
    "RulesetCatalog",
    "RulesetUnavailable",
    "UnknownRuleset",
    "default_rulesets_root",
]


@dataclass(frozen=True, slots=True)
class LoadedRuleset:
    """A compiled program and the snapshot it was compiled from."""

    folder: str
    snapshot: RulesetSnapshot
    program: Program


def default_rulesets_root() -> Path:
    """``rulesets/`` of the working directory, else the one beside this package."""
    here = Path("rulesets")
    if here.is_dir():
        return here.resolve()
    return Path(__file__).resolve().parents[1] / "rulesets"


class RulesetCatalog:
    """Compiled rulesets by folder name, loaded on first use (thread-safe)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._loaded: dict[str, LoadedRuleset] = {}
        self._lock = threading.Lock()

    def folder_for(self, claim: Claim) -> Path:
        return ruleset_for_claim(claim, root=self.root)

    def for_claim(self, claim: Claim) -> LoadedRuleset:
        return self.get(self.folder_for(claim).name)

    def get(self, name: str) -> LoadedRuleset:
        with self._lock:
            found = self._loaded.get(name)
            if found is None:
                found = self._load(name)
                self._loaded[name] = found
            return found

    def _load(self, name: str) -> LoadedRuleset:
        from engine.errors import RulesetError

        folder = self.root / name
        if not (folder / "ruleset.yaml").is_file():
            raise RulesetUnavailable(f"ruleset {name!r} is not installed ({folder})")
        try:
            snapshot, program = snapshot_ruleset(
                folder, revision=git_revision(folder), display=f"rulesets/{name}"
            )
        except RulesetError as exc:
            raise RulesetUnavailable(
                f"ruleset {name!r} does not compile ({len(exc.diagnostics)} diagnostic(s))"
            ) from None
        return LoadedRuleset(name, snapshot, program)

    def names(self) -> list[str]:
        """Folder names of the installed rulesets."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / "ruleset.yaml").is_file())

    def reload(self, name: str) -> ReloadReport:
        """Lint, compile and test ``name`` again; swap it in only when all pass."""
        report, candidate = _prepare(self, name)
        if candidate is not None:
            with self._lock:
                self._loaded[name] = candidate
        return report

    def reload_all(self) -> list[ReloadReport]:
        """Lint, compile and test every installed ruleset; swap them all in only when every
        one passes, else none (each report says why it was or was not swapped)."""
        prepared = [_prepare(self, name) for name in self.names()]
        if not all(candidate is not None for _, candidate in prepared):
            return [_held_back(report) for report, _ in prepared]
        with self._lock:
            for _, candidate in prepared:
                assert candidate is not None
                self._loaded[candidate.folder] = candidate
        return [report for report, _ in prepared]

    def active(self) -> list[dict[str, Any]]:
        """Every installed ruleset: its identity in use, or why it cannot be used."""
        found: list[dict[str, Any]] = []
        for name in self.names():
            try:
                identity = self.get(name).program.ir.identity
            except RulesetUnavailable as exc:
                found.append({"name": name, "status": "unavailable", "reason": str(exc)})
                continue
            found.append({"name": name, "status": "active", **identity.to_dict()})
        return found

    def check(self) -> dict[str, str]:
        """Load every installed ruleset; ``{name: "ok" | reason}`` (for ``/readyz``)."""
        status: dict[str, str] = {}
        for name in self.names():
            try:
                self.get(name)
                status[name] = "ok"
            except RulesetUnavailable as exc:
                status[name] = str(exc)
        return status


@dataclass(frozen=True, slots=True)
class ReloadReport:
    """What a reload found; ``swapped`` only when lint, compile and tests all passed."""

    name: str
    swapped: bool
    content_hash: str | None
    previous_hash: str | None
    diagnostics: list[str]
    tests_passed: int
    tests_failed: int
    failures: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ruleset": self.name,
            "swapped": self.swapped,
            "content_hash": self.content_hash,
            "previous_hash": self.previous_hash,
            "diagnostics": self.diagnostics,
            "tests": {"passed": self.tests_passed, "failed": self.tests_failed},
            "failures": self.failures,
        }


def _held_back(report: ReloadReport) -> ReloadReport:
    """A report of :meth:`RulesetCatalog.reload_all` when some other ruleset failed."""
    if not report.swapped:
        return report
    return replace(
        report,
        swapped=False,
        content_hash=None,
        failures=["passed, but not swapped in: another ruleset of this reload failed"],
    )


def _prepare(catalog: RulesetCatalog, name: str) -> tuple[ReloadReport, LoadedRuleset | None]:
    """Lint, compile and test the folder ``name``: the report and, when all of that passed,
    the ruleset to swap in (``swapped`` in the report says it will be)."""
    from engine.errors import RulesetError
    from engine.ruleset.lint import lint_ruleset
    from engine.ruleset_tests import RulesetTestError, run_ruleset_tests

    folder = catalog.root / name
    if not (folder / "ruleset.yaml").is_file():
        raise UnknownRuleset(f"ruleset {name!r} is not installed ({folder})")
    with catalog._lock:
        current = catalog._loaded.get(name)
    previous = current.snapshot.content_hash if current else None

    def refused(
        diagnostics: list[str], passed: int = 0, failed: int = 0, why: list[str] | None = None
    ) -> tuple[ReloadReport, None]:
        report = ReloadReport(name, False, None, previous, diagnostics, passed, failed, why or [])
        return report, None

    errors = [
        str(d) for d in lint_ruleset(folder, display=f"rulesets/{name}") if d.severity == "error"
    ]
    if errors:
        return refused(errors)
    try:
        snapshot, program = snapshot_ruleset(
            folder, revision=git_revision(folder), display=f"rulesets/{name}"
        )
    except RulesetError as exc:
        return refused([str(d) for d in exc.diagnostics])
    try:
        report = run_ruleset_tests(program, folder, backend="native")
    except RulesetTestError as exc:
        return refused([], 0, 1, [str(exc)])
    if report.failed:
        failures = [
            *report.problems,
            *(f"{c.name}: {'; '.join(c.mismatches)}" for c in report.cases if not c.passed),
        ]
        return refused([], report.passed, report.failed, failures)
    passed = ReloadReport(name, True, snapshot.content_hash, previous, [], report.passed, 0, [])
    return passed, LoadedRuleset(name, snapshot, program)
