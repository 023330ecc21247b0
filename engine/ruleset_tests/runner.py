"""Running the cases of a ruleset's test files and collecting the report."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from engine.backends import available_backends, default_backend
from engine.claim import Claim, load_claim
from engine.decision import Decision
from engine.errors import DiagnosticBag, EngineError
from engine.evaluate import evaluate
from engine.expression.types import suggest
from engine.program import Program
from engine.ruleset.source import Where, key_where, load_yaml, node_where, value_where
from engine.ruleset_tests.claims import apply_sets, merge_patch
from engine.ruleset_tests.comparison import BackendResult, compare, first_difference
from engine.ruleset_tests.shapes import (
    AMOUNT_KEYS,
    CASE_KEYS,
    EXPECT_KEYS,
    FILE_KEYS,
    LANGUAGES,
    SLA_KEYS,
    SLA_STATUSES,
    TESTS_DIR,
    RulesetTestError,
    case_name,
    check_line,
    collect,
    location,
    parse_as_of,
    plain,
    unknown_keys,
    want_amount,
    want_map,
    want_outcome,
    want_str,
    want_str_list,
)
from engine.ruleset_tests.timeline_cases import TimelineCase, lifecycle_ids, timeline_case


@dataclass
class CaseResult:
    name: str
    where: Where
    mismatches: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.mismatches


@dataclass
class RulesetTestReport:
    """Results of one ruleset's test files; ``lines()`` is what ``claims rules test`` prints."""

    ruleset: str
    files: list[str] = field(default_factory=list)
    cases: list[CaseResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # file-level, each counts as a failure
    rule_ids: list[str] = field(default_factory=list)  # rules + benefit steps with a reason
    applied: set[str] = field(default_factory=set)
    not_applied: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(1 for c in self.cases if c.passed)

    @property
    def failed(self) -> int:
        return len(self.problems) + sum(1 for c in self.cases if not c.passed)

    @property
    def total_rules(self) -> int:
        return len(self.rule_ids)

    @property
    def covered(self) -> list[str]:
        """Rule/step ids that applied in at least one case (file order)."""
        return [r for r in self.rule_ids if r in self.applied]

    @property
    def uncovered(self) -> list[str]:
        return [r for r in self.rule_ids if r not in self.applied]

    @property
    def always_applied(self) -> list[str]:
        """Covered ids never seen *not* applying: their negative side is untested."""
        return [r for r in self.covered if r not in self.not_applied]

    @property
    def coverage_percent(self) -> int:
        """Rounded down, so 100 means every rule applied."""
        return 100 if not self.rule_ids else len(self.covered) * 100 // self.total_rules

    def lines(self) -> list[str]:
        out: list[str] = []
        if not self.files:
            out.append(f"{self.ruleset}: no test files ({TESTS_DIR}/*.yaml)")
        out += [f"ERROR {p}" for p in self.problems]
        current = ""
        for case in self.cases:
            if case.where.file != current:
                current = case.where.file
                out.append(f"{self.ruleset}: {current}")
            if case.passed:
                out.append(f"  PASS {case.name}")
                continue
            out.append(f"  FAIL {case.name}  ({case.where.file}:{case.where.line})")
            out += [f"       {m}" for m in case.mismatches]
        out += self.notes
        out.append(f"{self.ruleset}: {self.passed} passed, {self.failed} failed")
        out.append(
            f"rule coverage: {len(self.covered)}/{self.total_rules} ({self.coverage_percent}%)"
        )
        if self.uncovered:
            out.append(f"uncovered: {', '.join(self.uncovered)}")
        if self.cases and self.always_applied:
            out.append(f"applied in every case: {', '.join(self.always_applied)}")
        return out


# ---------------------------------------------------------------------------- running


def run_ruleset_tests(
    program: Program,
    root: Path | str,
    *,
    backend: str | None = None,
    compare_backends: bool = False,
    observer: Callable[[Claim, dt.datetime], None] | None = None,
) -> RulesetTestReport:
    """Run every ``root/tests/*.yaml`` against ``program`` (compiled from ``root``).

    ``observer`` sees every valid claim of every case with its ``as_of`` (condition coverage).
    """
    root = Path(root)
    report = RulesetTestReport(program.ir.identity.id, rule_ids=_coverable(program))
    primary = backend or default_backend()
    others: list[str] = []
    if compare_backends:
        others = [b for b in available_backends() if b != primary]
        if not others:
            report.notes.append(f"compare_backends: only {primary} is available; not compared")
    runner = _Runner(program, primary, others, report)
    runner.observer = observer
    for path in sorted((root / TESTS_DIR).glob("*.yaml")):
        report.files.append(str(path))
        runner.run_file(path, str(path))
    return report


def _coverable(program: Program) -> list[str]:
    ids = [r.id for r in program.ir.rules]
    steps = [s.id for s in program.ir.benefit if s.reason is not None and s.id not in ids]
    return ids + steps + lifecycle_ids(program.ir)


class _Runner:
    def __init__(
        self, program: Program, primary: str, others: list[str], report: RulesetTestReport
    ) -> None:
        self.program = program
        self.primary = primary
        self.others = others
        self.report = report
        self.known_ids = {r.id for r in program.ir.rules} | {s.id for s in program.ir.benefit}
        self.known_clocks = {n.id for n in program.ir.sla}
        self.bases: dict[Path, Any] = {}
        self.observer: Callable[[Claim, dt.datetime], None] | None = None

    # -- files

    def run_file(self, path: Path, display: str) -> None:
        bag = DiagnosticBag()
        source = load_yaml(path, display, bag)
        if source is None:
            self.report.problems += [str(d) for d in bag.items]
            return
        data = source.data
        if not isinstance(data, CommentedMap):
            where = node_where(display, data)
            self.report.problems.append(f"{location(where)}: a test file must be a mapping")
            return
        self.report.problems += unknown_keys(display, data, FILE_KEYS, "test file")
        default_as_of = None
        default_base: Any = None
        try:
            if "as_of" in data:
                default_as_of = parse_as_of(value_where(display, data, "as_of"), data["as_of"])
            if "base" in data:
                default_base = self._base(path, display, data, "base")
        except RulesetTestError as exc:
            self.report.problems.append(str(exc))
            return
        cases = data.get("cases")
        if not isinstance(cases, CommentedSeq) or not cases:
            where = (
                value_where(display, data, "cases")
                if "cases" in data
                else node_where(display, data)
            )
            self.report.problems.append(f"{location(where)}: 'cases' must be a non-empty list")
            return
        for index, case in enumerate(cases):
            where = value_where(display, cases, index)
            result = CaseResult(case_name(case, index), where)
            self.report.cases.append(result)
            try:
                self._run_case(path, display, case, where, default_base, default_as_of, result)
            except RulesetTestError as exc:
                result.mismatches.append(str(exc))

    def _base(self, path: Path, display: str, data: Any, key: str) -> Any:
        where = value_where(display, data, key)
        raw = data[key]
        if not isinstance(raw, str) or not raw.strip():
            raise RulesetTestError(where, f"'{key}' must be the path of a claim JSON file")
        target = (path.parent / raw).resolve()
        if target not in self.bases:
            try:
                text = target.read_text(encoding="utf-8")
            except OSError as exc:
                raise RulesetTestError(
                    where, f"cannot read base claim {raw}: {exc.strerror}"
                ) from None
            try:
                loaded = json.loads(text)
            except ValueError as exc:
                raise RulesetTestError(
                    where, f"base claim {raw} is not valid JSON: {exc}"
                ) from None
            if not isinstance(loaded, dict):
                raise RulesetTestError(where, f"base claim {raw} must hold a JSON object")
            self.bases[target] = loaded
        return self.bases[target]

    # -- cases

    def _run_case(
        self,
        path: Path,
        display: str,
        case: Any,
        where: Where,
        base: Any,
        as_of: dt.datetime | None,
        result: CaseResult,
    ) -> None:
        if not isinstance(case, CommentedMap):
            raise RulesetTestError(where, "a case must be a mapping (name, patch, set, expect ...)")
        problems = result.mismatches  # test-file problems; kept if a later check raises
        problems += unknown_keys(display, case, CASE_KEYS, "case")
        if "base" in case:
            base = self._base(path, display, case, "base")
        if base is None:
            raise RulesetTestError(where, "no base claim: set 'base' in the file or the case")
        if "as_of" in case:
            as_of = parse_as_of(value_where(display, case, "as_of"), case["as_of"])
        if as_of is None:
            raise RulesetTestError(where, "no as_of: set 'as_of' in the file or the case")
        expect = case.get("expect")
        if not isinstance(expect, CommentedMap) or not expect:
            at = value_where(display, case, "expect") if "expect" in case else where
            problems.append(f"{location(at)}: 'expect' must be a mapping with at least one check")
        else:
            problems += self._check_expect(display, expect)
        claim_data = copy.deepcopy(base)  # cases never see each other's edits
        if "patch" in case:
            if isinstance(case["patch"], CommentedMap):
                claim_data = merge_patch(claim_data, plain(case["patch"]))
            else:
                at = value_where(display, case, "patch")
                problems.append(f"{location(at)}: 'patch' must be a mapping (a JSON merge patch)")
        if "set" in case:
            problems += apply_sets(display, case, claim_data)
        timeline = timeline_case(self.program.ir, display, case)
        if timeline is not None:
            problems += timeline.problems
        elif "add" in case or "void" in case:
            at = key_where(display, case, "add" if "add" in case else "void")
            problems.append(f"{location(at)}: 'add' and 'void' are checked by expect.timeline")
        if problems:  # the test itself is wrong: don't evaluate what it would have meant
            return
        if timeline is not None:
            self._run_timeline(timeline, claim_data, as_of, result)
            return
        outcomes = {
            name: self._evaluate(claim_data, as_of, name) for name in [self.primary, *self.others]
        }
        primary = outcomes[self.primary]
        for name in self.others:
            if outcomes[name].canonical() != primary.canonical():
                result.mismatches.append(
                    f"backends differ: {self.primary} and {name} give different decisions"
                    f" ({first_difference(primary, outcomes[name])})"
                )
        if primary.decision is not None:
            self._record_coverage(primary.decision)
        result.mismatches += compare(primary, plain(expect))

    def _run_timeline(
        self, timeline: TimelineCase, claim_data: Any, as_of: dt.datetime, result: CaseResult
    ) -> None:
        try:
            claim = load_claim(claim_data)
        except EngineError as exc:
            result.mismatches.append(f"the case's claim is invalid: {exc}")
            return
        mismatches, covered = timeline.run(claim, as_of)
        result.mismatches += mismatches
        self.report.applied |= covered

    def _evaluate(self, claim_data: Any, as_of: dt.datetime, backend: str) -> BackendResult:
        try:
            claim = load_claim(claim_data)
            decision = evaluate(self.program, claim, as_of=as_of, backend=backend)
            if self.observer is not None and backend == self.primary:
                self.observer(claim, as_of)
            return BackendResult(decision)
        except EngineError as exc:
            return BackendResult(None, str(exc))

    def _record_coverage(self, decision: Decision) -> None:
        applied = decision.applied_rule_ids
        self.report.applied |= applied
        self.report.not_applied |= set(self.report.rule_ids) - applied

    def _check_expect(self, display: str, expect: CommentedMap) -> list[str]:
        """Every problem with the shape and names of ``expect``."""
        problems = unknown_keys(display, expect, EXPECT_KEYS, "expect")
        for key in expect:
            if key in EXPECT_KEYS:
                try:
                    problems += self._check_expectation(display, expect, key)
                except RulesetTestError as exc:
                    problems.append(str(exc))
        return problems

    def _check_expectation(self, display: str, expect: CommentedMap, key: str) -> list[str]:
        """Problems with one check of ``expect``; a wrong value kind raises."""
        if key == "error":
            others = [str(k) for k in expect if k != "error"]
            if others:
                raise RulesetTestError(
                    key_where(display, expect, "error"),
                    f"'error' expects an invalid claim; it cannot be combined with "
                    f"{', '.join(others)}",
                )
            want_str(display, expect, key)
        elif key == "outcome":
            want_outcome(display, expect, key)
        elif key in ("reasons", "fired", "not_fired"):
            want_str_list(display, expect, key)
            if key != "reasons":
                return [
                    self._unknown_rule(display, expect[key], i, key)
                    for i in range(len(expect[key]))
                    if str(expect[key][i]) not in self.known_ids
                ]
        elif key == "amounts":
            amounts = want_map(display, expect, key)
            return unknown_keys(display, amounts, AMOUNT_KEYS, "amounts") + [
                p
                for k in amounts
                if k in AMOUNT_KEYS
                for p in collect(partial(want_amount, display, amounts, k))
            ]
        elif key == "lines":
            lines = want_map(display, expect, key)
            problems: list[str] = []
            for line_id in lines:
                try:
                    problems += check_line(display, lines, line_id)
                except RulesetTestError as exc:
                    problems.append(str(exc))
            return problems
        elif key == "sla":
            return self._check_sla(display, want_map(display, expect, key))
        elif key == "explanation_contains":
            texts = want_map(display, expect, key)
            problems = unknown_keys(display, texts, LANGUAGES, "explanation_contains")
            for lang in texts:
                if not isinstance(texts[lang], str):
                    problems += collect(partial(want_str_list, display, texts, lang))
            return problems
        return []

    def _check_sla(self, display: str, clocks: CommentedMap) -> list[str]:
        problems: list[str] = []
        for clock_id in clocks:
            if str(clock_id) not in self.known_clocks:
                hint = suggest(str(clock_id), sorted(self.known_clocks)) or "not an SLA clock id"
                where = key_where(display, clocks, clock_id)
                problems.append(f"{location(where)}: sla: unknown clock '{clock_id}' ({hint})")
                continue
            try:
                checks = want_map(display, clocks, clock_id)
            except RulesetTestError as exc:
                problems.append(str(exc))
                continue
            problems += unknown_keys(display, checks, SLA_KEYS, f"sla.{clock_id}")
            for key in checks:
                if key == "status" and str(checks[key]) not in SLA_STATUSES:
                    where = value_where(display, checks, key)
                    problems.append(
                        f"{location(where)}: sla.{clock_id}.status must be one of "
                        f"{', '.join(SLA_STATUSES)}"
                    )
                elif key in ("started_at", "due_at", "stopped_at") and checks[key] is not None:
                    problems += collect(partial(want_str, display, checks, key))
        return problems

    def _unknown_rule(self, display: str, ids: CommentedSeq, index: int, key: str) -> str:
        rule_id = str(ids[index])
        hint = suggest(rule_id, sorted(self.known_ids)) or "not a rule or benefit step id"
        where = value_where(display, ids, index)
        return f"{location(where)}: {key}: unknown rule '{rule_id}' ({hint})"
