"""Ruleset tests: YAML cases beside a ruleset, run through ``evaluate``, with rule coverage.

Every ``tests/*.yaml`` file of a ruleset folder holds cases (``claims rules test PATHS``)::

    base: ../../../examples/claim.json     # base claim JSON, relative to this test file
    as_of: 2025-07-01T09:00:00+08:00       # default evaluation time of the cases
    cases:
      - name: lapsed policy is denied
        base: claims/outpatient.json       # optional: another base claim for this case
        patch: {policy: {status: lapsed}}  # optional RFC 7396 merge patch (lists replaced whole,
                                           #   null deletes a key)
        set: {"items[1].category": dental} # optional path assignments, applied after ``patch``;
                                           #   ``a.b[0].c``: keys by name, lists by 0-based index
        as_of: 2025-08-01T09:00:00+08:00   # optional: overrides the file's as_of
        expect:                            # at least one check:
          outcome: deny                    # the claim outcome
          reasons: [ELIG-INACTIVE]         # exact multiset of reason codes, order-insensitive
          fired: [policy_in_force]         # exact set of rule/step ids that applied
          not_fired: [waiting_period]      # ids that must not apply
          amounts: {payable: "0.00"}       # subset of decision.amounts, compared as strings
          lines:                           # per line id: outcome, reason_codes (multiset),
            "2": {outcome: deny, payable: "0.00", reason_codes: [DUP-INVOICE]}  # amounts
          explanation_contains:            # each text must occur in some reason's explanation
            en: ["policy"]
            zh: ["保单"]
          sla:                             # per SLA clock id: status, due_date, extended_by,
            determination:                 #   and instants as quoted strings
              {status: breached, due_date: 2025-07-23, due_at: "2025-07-24T00:00:00+08:00"}
          error: "items[0].amount"         # the claim must be rejected; the message contains this

``error`` excludes every other check. Amounts are written as quoted strings ("3648.40"); a
YAML number there is reported, since 3648.40 would arrive as the float 3648.4.

Problems in a test file (bad YAML, unknown keys, wrong value kinds, a bad ``set`` path, an
unknown rule id) are failures reported with ``file:line:col``; they never stop the run.

The report also computes rule coverage: which rules, and which benefit steps that carry a
reason, applied (appear in ``decision.reasons``) in at least one case. With
``compare_backends`` every case is evaluated on every available backend, and a case fails when
their canonical decision JSON (without the ``engine`` block) differs.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarbool import ScalarBoolean

from engine.backends import available_backends, default_backend
from engine.claim import Claim, load_claim
from engine.decision import canonical_json
from engine.errors import DiagnosticBag, EngineError
from engine.evaluate import evaluate
from engine.expression.types import suggest
from engine.program import Program
from engine.ruleset.ir import OUTCOMES
from engine.ruleset.source import Where, key_where, load_yaml, node_where, value_where

TESTS_DIR = "tests"
FILE_KEYS = ("base", "as_of", "cases")
CASE_KEYS = ("name", "base", "patch", "set", "as_of", "expect")
EXPECT_KEYS = (
    "outcome",
    "reasons",
    "fired",
    "not_fired",
    "amounts",
    "lines",
    "explanation_contains",
    "sla",
    "error",
)
SLA_STATUSES = ("not_applicable", "not_started", "running", "paused", "due_soon", "met", "breached")
SLA_KEYS = ("status", "started_at", "due_at", "due_date", "stopped_at", "extended_by")
AMOUNT_KEYS = ("submitted", "eligible", "deductible", "copay", "payable")
LINE_KEYS = ("outcome", "reason_codes", *AMOUNT_KEYS)
LANGUAGES = ("zh", "en")
_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[[0-9]+\])*)")
_INDEX = re.compile(r"\[([0-9]+)\]")


class RulesetTestError(Exception):
    """One problem in a test file; ``where`` points at the offending YAML."""

    def __init__(self, where: Where, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{location(where)}: {message}")


def location(where: Where) -> str:
    return f"{where.file}:{where.line}:{where.column}"


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
    return ids + [s.id for s in program.ir.benefit if s.reason is not None and s.id not in ids]


@dataclass
class _Outcome:
    """What one backend made of a case: a decision, or an engine error message."""

    decision: dict[str, Any] | None
    error: str = ""

    def canonical(self) -> str:
        if self.decision is None:
            return f"error: {self.error}"
        return canonical_json({k: v for k, v in self.decision.items() if k != "engine"})


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
        self.report.problems += _unknown_keys(display, data, FILE_KEYS, "test file")
        default_as_of = None
        default_base: Any = None
        try:
            if "as_of" in data:
                default_as_of = _as_of(value_where(display, data, "as_of"), data["as_of"])
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
            result = CaseResult(_case_name(case, index), where)
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
        problems += _unknown_keys(display, case, CASE_KEYS, "case")
        if "base" in case:
            base = self._base(path, display, case, "base")
        if base is None:
            raise RulesetTestError(where, "no base claim: set 'base' in the file or the case")
        if "as_of" in case:
            as_of = _as_of(value_where(display, case, "as_of"), case["as_of"])
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
            problems += _apply_sets(display, case, claim_data)
        if problems:  # the test itself is wrong: don't evaluate what it would have meant
            return
        outcomes = {
            name: self._evaluate(claim_data, as_of, name) for name in [self.primary, *self.others]
        }
        primary = outcomes[self.primary]
        for name in self.others:
            if outcomes[name].canonical() != primary.canonical():
                result.mismatches.append(
                    f"backends differ: {self.primary} and {name} give different decisions"
                    f" ({_first_difference(primary, outcomes[name])})"
                )
        if primary.decision is not None:
            self._record_coverage(primary.decision)
        result.mismatches += compare(primary, plain(expect))

    def _evaluate(self, claim_data: Any, as_of: dt.datetime, backend: str) -> _Outcome:
        try:
            claim = load_claim(claim_data)
            decision = evaluate(self.program, claim, as_of=as_of, backend=backend)
            if self.observer is not None and backend == self.primary:
                self.observer(claim, as_of)
            return _Outcome(decision)
        except EngineError as exc:
            return _Outcome(None, str(exc))

    def _record_coverage(self, decision: Mapping[str, Any]) -> None:
        applied = {str(r["rule_id"]) for r in decision["reasons"]}
        self.report.applied |= applied
        self.report.not_applied |= set(self.report.rule_ids) - applied

    def _check_expect(self, display: str, expect: CommentedMap) -> list[str]:
        """Every problem with the shape and names of ``expect``."""
        problems = _unknown_keys(display, expect, EXPECT_KEYS, "expect")
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
            _want_str(display, expect, key)
        elif key == "outcome":
            _want_outcome(display, expect, key)
        elif key in ("reasons", "fired", "not_fired"):
            _want_str_list(display, expect, key)
            if key != "reasons":
                return [
                    self._unknown_rule(display, expect[key], i, key)
                    for i in range(len(expect[key]))
                    if str(expect[key][i]) not in self.known_ids
                ]
        elif key == "amounts":
            amounts = _want_map(display, expect, key)
            return _unknown_keys(display, amounts, AMOUNT_KEYS, "amounts") + [
                p
                for k in amounts
                if k in AMOUNT_KEYS
                for p in _collect(partial(_want_amount, display, amounts, k))
            ]
        elif key == "lines":
            lines = _want_map(display, expect, key)
            problems: list[str] = []
            for line_id in lines:
                try:
                    problems += _check_line(display, lines, line_id)
                except RulesetTestError as exc:
                    problems.append(str(exc))
            return problems
        elif key == "sla":
            return self._check_sla(display, _want_map(display, expect, key))
        elif key == "explanation_contains":
            texts = _want_map(display, expect, key)
            problems = _unknown_keys(display, texts, LANGUAGES, "explanation_contains")
            for lang in texts:
                if not isinstance(texts[lang], str):
                    problems += _collect(partial(_want_str_list, display, texts, lang))
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
                checks = _want_map(display, clocks, clock_id)
            except RulesetTestError as exc:
                problems.append(str(exc))
                continue
            problems += _unknown_keys(display, checks, SLA_KEYS, f"sla.{clock_id}")
            for key in checks:
                if key == "status" and str(checks[key]) not in SLA_STATUSES:
                    where = value_where(display, checks, key)
                    problems.append(
                        f"{location(where)}: sla.{clock_id}.status must be one of "
                        f"{', '.join(SLA_STATUSES)}"
                    )
                elif key in ("started_at", "due_at", "stopped_at") and checks[key] is not None:
                    problems += _collect(partial(_want_str, display, checks, key))
        return problems

    def _unknown_rule(self, display: str, ids: CommentedSeq, index: int, key: str) -> str:
        rule_id = str(ids[index])
        hint = suggest(rule_id, sorted(self.known_ids)) or "not a rule or benefit step id"
        where = value_where(display, ids, index)
        return f"{location(where)}: {key}: unknown rule '{rule_id}' ({hint})"


def _check_line(display: str, lines: CommentedMap, line_id: Any) -> list[str]:
    line = _want_map(display, lines, line_id)
    problems = _unknown_keys(display, line, LINE_KEYS, f"lines.{line_id}")
    for key in line:
        if key == "outcome":
            problems += _collect(partial(_want_outcome, display, line, key))
        elif key == "reason_codes":
            problems += _collect(partial(_want_str_list, display, line, key))
        elif key in AMOUNT_KEYS:
            problems += _collect(partial(_want_amount, display, line, key))
    return problems


def _case_name(case: Any, index: int) -> str:
    if isinstance(case, Mapping) and isinstance(case.get("name"), str) and case["name"].strip():
        return str(case["name"])
    return f"case #{index + 1}"


def _collect(check: Callable[[], object]) -> list[str]:
    try:
        check()
    except RulesetTestError as exc:
        return [str(exc)]
    return []


# ---------------------------------------------------------------------------- structure


def _unknown_keys(display: str, data: Any, allowed: tuple[str, ...], what: str) -> list[str]:
    """One problem per key of ``data`` that is not ``allowed``, with a did-you-mean."""
    out = []
    for key in data:
        if key not in allowed:
            hint = suggest(str(key), list(allowed)) or f"allowed: {', '.join(allowed)}"
            where = key_where(display, data, key)
            out.append(f"{location(where)}: unknown key '{key}' in {what} ({hint})")
    return out


def _want_map(display: str, data: Any, key: Any) -> CommentedMap:
    value = data[key]
    if not isinstance(value, CommentedMap):
        raise RulesetTestError(value_where(display, data, key), f"'{key}' must be a mapping")
    return value


def _want_str(display: str, data: Any, key: Any) -> None:
    if not isinstance(data[key], str):
        raise RulesetTestError(value_where(display, data, key), f"'{key}' must be text")


def _want_str_list(display: str, data: Any, key: Any) -> None:
    value = data[key]
    if not isinstance(value, CommentedSeq) or not all(isinstance(v, str) for v in value):
        raise RulesetTestError(value_where(display, data, key), f"'{key}' must be a list of text")


def _want_outcome(display: str, data: Any, key: Any) -> None:
    value = data[key]
    if value not in OUTCOMES:
        hint = suggest(str(value), list(OUTCOMES)) or f"one of {', '.join(OUTCOMES)}"
        raise RulesetTestError(
            value_where(display, data, key), f"'{key}': unknown outcome '{value}' ({hint})"
        )


def _want_amount(display: str, data: Any, key: Any) -> None:
    value = data[key]
    if not isinstance(value, str):
        raise RulesetTestError(
            value_where(display, data, key),
            f"'{key}' must be a quoted amount such as \"3648.40\", not {value!r}",
        )


def _as_of(where: Where, value: Any) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise RulesetTestError(where, f"as_of '{value}' is not an ISO 8601 date-time") from None
    if not isinstance(value, dt.datetime):
        raise RulesetTestError(where, "as_of must be a date-time such as 2025-07-01T09:00:00+08:00")
    if value.tzinfo is None:
        raise RulesetTestError(where, "as_of needs a UTC offset, e.g. 2025-07-01T09:00:00+08:00")
    return dt.datetime.fromisoformat(value.isoformat())  # a plain datetime, not ruamel's


def plain(value: Any) -> Any:
    """YAML round-trip values as plain JSON-like data (dates as ISO text)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, ScalarBoolean):
        return bool(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# ---------------------------------------------------------------------------- building claims


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch: objects merge, ``null`` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


class SetPathError(ValueError):
    pass


def parse_set_path(text: str) -> list[str | int]:
    """``items[1].category`` -> ``["items", 1, "category"]``."""
    parts: list[str | int] = []
    for segment in text.split("."):
        match = _SEGMENT.fullmatch(segment)
        if match is None:
            raise SetPathError(f"'{text}' is not a path such as policy.status or items[0].amount")
        parts.append(match.group(1))
        parts += [int(i) for i in _INDEX.findall(match.group(2))]
    return parts


def set_path(data: Any, text: str, value: Any) -> None:
    """Assign ``value`` at ``text``; every step but a final object key must already exist."""
    parts = parse_set_path(text)
    node = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        shown = _shown(parts[:depth]) or "the claim"
        if isinstance(part, int):
            if not isinstance(node, list):
                raise SetPathError(f"{shown} is not a list, so [{part}] cannot index it")
            if part >= len(node):
                raise SetPathError(f"{shown} has {len(node)} element(s): no index {part}")
        elif not isinstance(node, dict):
            raise SetPathError(f"{shown} is not an object, so it has no field '{part}'")
        elif part not in node and not last:
            raise SetPathError(f"{_shown(parts[: depth + 1])} does not exist in the claim")
        if last:
            node[part] = copy.deepcopy(value)
        else:
            node = node[part]


def _shown(parts: list[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _apply_sets(display: str, case: CommentedMap, claim_data: Any) -> list[str]:
    """Apply ``set`` in place; one problem per path that cannot be assigned."""
    sets = case["set"]
    if not isinstance(sets, CommentedMap):
        at = value_where(display, case, "set")
        return [f"{location(at)}: 'set' must map paths to values"]
    problems = []
    for key, value in sets.items():
        try:
            set_path(claim_data, str(key), plain(value))
        except SetPathError as exc:
            problems.append(f"{location(key_where(display, sets, key))}: set '{key}': {exc}")
    return problems


# ---------------------------------------------------------------------------- comparing


def compare(outcome: _Outcome, expect: Mapping[str, Any]) -> list[str]:
    """Every way the decision differs from ``expect`` (plain data), as readable lines."""
    if "error" in expect:
        if outcome.decision is not None:
            return [
                f"error: expected an invalid claim ({expect['error']!r}), "
                f"got outcome {outcome.decision['outcome']}"
            ]
        if str(expect["error"]) not in outcome.error:
            return [
                f"error: expected a message containing {expect['error']!r}, got: {outcome.error}"
            ]
        return []
    decision = outcome.decision
    if decision is None:
        return [f"the claim could not be evaluated: {outcome.error}"]
    out: list[str] = []
    if "outcome" in expect and expect["outcome"] != decision["outcome"]:
        out.append(f"outcome: expected {expect['outcome']}, got {decision['outcome']}")
    reasons = decision["reasons"]
    if "reasons" in expect:
        out += _multiset("reasons", expect["reasons"], [r["code"] for r in reasons])
    applied = {r["rule_id"] for r in reasons}
    if "fired" in expect:
        want = set(expect["fired"])
        if want != applied:
            out.append(
                f"fired: expected {_listed(want)}, got {_listed(applied)}"
                + _delta(want - applied, applied - want)
            )
    for rule_id in expect.get("not_fired", []):
        if rule_id in applied:
            out.append(f"not_fired: {rule_id} applied")
    for key, want in expect.get("amounts", {}).items():
        got = decision["amounts"].get(key)
        if got != want:
            out.append(f"amounts.{key}: expected {want}, got {got}")
    by_id = {str(line["line_id"]): line for line in decision["lines"]}
    for line_id, checks in expect.get("lines", {}).items():
        line = by_id.get(line_id)
        if line is None:
            out.append(f"lines: no line {line_id} in the decision (lines: {', '.join(by_id)})")
            continue
        for key, want in checks.items():
            if key == "reason_codes":
                out += _multiset(f"lines.{line_id}.reason_codes", want, line["reason_codes"])
            elif line.get(key) != want:
                out.append(f"lines.{line_id}.{key}: expected {want}, got {line.get(key)}")
    out += _compare_sla(decision, expect.get("sla", {}))
    for lang, texts in expect.get("explanation_contains", {}).items():
        said = [r["explanation"][lang] for r in reasons]
        for text in [texts] if isinstance(texts, str) else texts:
            if not any(text in s for s in said):
                out.append(
                    f"explanation_contains.{lang}: no explanation contains {text!r}"
                    f" (reasons: {_listed(r['code'] for r in reasons)})"
                )
    return out


def _compare_sla(decision: Mapping[str, Any], expect: Mapping[str, Any]) -> list[str]:
    by_id = {c["id"]: c for c in decision.get("sla", [])}
    out: list[str] = []
    for clock_id, checks in expect.items():
        clock = by_id.get(clock_id)
        if clock is None:
            out.append(f"sla: no clock {clock_id} in the decision")
            continue
        for key, want in checks.items():
            if clock.get(key) != want:
                out.append(f"sla.{clock_id}.{key}: expected {want}, got {clock.get(key)}")
    return out


def _multiset(label: str, want: list[str], got: list[str]) -> list[str]:
    if Counter(want) == Counter(got):
        return []
    missing = list((Counter(want) - Counter(got)).elements())
    extra = list((Counter(got) - Counter(want)).elements())
    return [
        f"{label}: expected {_listed(sorted(want))}, got {_listed(sorted(got))}"
        + _delta(missing, extra)
    ]


def _delta(missing: Iterable[str], extra: Iterable[str]) -> str:
    parts = []
    if missing := sorted(missing):
        parts.append(f"missing {', '.join(missing)}")
    if extra := sorted(extra):
        parts.append(f"unexpected {', '.join(extra)}")
    return f" ({'; '.join(parts)})" if parts else ""


def _listed(values: Iterable[str]) -> str:
    return "[" + ", ".join(sorted(values)) + "]"


def _first_difference(a: _Outcome, b: _Outcome) -> str:
    """The first top-level key whose canonical JSON differs, to start the investigation."""
    if a.decision is None or b.decision is None:
        return f"{a.error or 'decision'} vs {b.error or 'decision'}"
    for key in sorted(set(a.decision) | set(b.decision)):
        if key != "engine" and canonical_json(a.decision.get(key)) != canonical_json(
            b.decision.get(key)
        ):
            return f"first difference in '{key}'"
    return "no top-level difference"
