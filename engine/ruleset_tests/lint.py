"""Lint of ruleset test files without running them: shape, references, files named.

``claims rules lint`` reports a test file's problems as it does a ruleset's (file:line:col,
code, suggestion), so a mistyped key or rule id shows in the editor loop and in pre-commit
before ``claims rules test`` runs. The shape is checked against the committed JSON Schema
(:mod:`engine.ruleset_tests.jsonschema`); beside it, what only the ruleset and the folder
know: rule, benefit-step, SLA-clock and lifecycle-rule ids (``E-REF``), base claim files
(``E-FILE``), ``as_of`` values and ``set`` paths (``E-SCHEMA``). The runner still checks all
of this when the cases run; lint never evaluates a claim.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from engine.diagnostics import DiagnosticCode
from engine.errors import Diagnostic, DiagnosticBag
from engine.expression.types import suggest
from engine.ruleset.ir import RulesetIR
from engine.ruleset.schema_check import check_schema
from engine.ruleset.source import Where, key_where, load_yaml, value_where
from engine.ruleset_tests.claims import SetPathError, parse_set_path
from engine.ruleset_tests.jsonschema import tests_schema
from engine.ruleset_tests.shapes import RulesetTestError, parse_as_of

__all__ = ["Known", "lint_test_file"]


@dataclass(frozen=True)
class Known:
    """The ids a test file may name; empty when the ruleset did not compile (not checked)."""

    rules: frozenset[str] = frozenset()
    clocks: frozenset[str] = frozenset()
    lifecycle: frozenset[str] = frozenset()
    checked: bool = False

    @classmethod
    def of(cls, ir: RulesetIR | None) -> Known:
        if ir is None:
            return cls()
        lifecycle = [r.id for r in ir.lifecycle.rules] if ir.lifecycle else []
        return cls(
            frozenset(r.id for r in ir.rules) | frozenset(s.id for s in ir.benefit),
            frozenset(n.id for n in ir.sla),
            frozenset(lifecycle),
            checked=True,
        )


def lint_test_file(path: Path, display: str, known: Known) -> list[Diagnostic]:
    """Every problem of one test file, in line/column order."""
    bag = DiagnosticBag()
    source = load_yaml(path, display, bag)
    if source is None:
        return list(bag.items)
    found = check_schema(source.data, tests_schema(), display)
    if isinstance(source.data, CommentedMap):
        found += _Checker(path, display, known).file(source.data)
    return sorted(found, key=lambda d: (d.line, d.column, d.code))


@dataclass
class _Checker:
    path: Path
    display: str
    known: Known
    found: list[Diagnostic] = field(default_factory=list)

    def error(self, code: DiagnosticCode, message: str, where: Where, hint: str = "") -> None:
        self.found.append(
            Diagnostic("error", code, message, where.file, where.line, where.column, hint)
        )

    def file(self, data: CommentedMap) -> list[Diagnostic]:
        self.common(data)
        cases = data.get("cases")
        for index, case in enumerate(cases if isinstance(cases, CommentedSeq) else []):
            if isinstance(case, CommentedMap):
                self.case(case, value_where(self.display, cases, index), data)
        return self.found

    def common(self, data: CommentedMap) -> None:
        """``base`` and ``as_of``, in the file or in a case."""
        if isinstance(data.get("base"), str) and data["base"].strip():
            self.base(data, data["base"])
        if "as_of" in data:
            try:
                parse_as_of(value_where(self.display, data, "as_of"), data["as_of"])
            except RulesetTestError as exc:
                self.error(DiagnosticCode.SCHEMA, exc.message, exc.where)

    def base(self, data: CommentedMap, raw: str) -> None:
        where = value_where(self.display, data, "base")
        target = self.path.parent / raw
        try:
            loaded = json.loads(target.read_text(encoding="utf-8"))
        except OSError as exc:
            self.error(
                DiagnosticCode.FILE,
                f"cannot read base claim {raw}: {exc.strerror}",
                where,
                "the path is relative to the test file",
            )
            return
        except ValueError as exc:
            self.error(DiagnosticCode.FILE, f"base claim {raw} is not valid JSON: {exc}", where)
            return
        if not isinstance(loaded, dict):
            self.error(DiagnosticCode.FILE, f"base claim {raw} must hold a JSON object", where)

    def case(self, case: CommentedMap, where: Where, defaults: CommentedMap) -> None:
        self.common(case)
        for key, example in (
            ("base", "claims/outpatient.json"),
            ("as_of", "2025-07-01T09:00:00+08:00"),
        ):
            if key not in case and key not in defaults:
                self.error(
                    DiagnosticCode.SCHEMA,
                    f"no {key}: set '{key}' in the file or the case",
                    where,
                    f"e.g. {key}: {example}",
                )
        sets = case.get("set")
        for key in sets if isinstance(sets, CommentedMap) else []:
            try:
                parse_set_path(str(key))
            except SetPathError as exc:
                self.error(DiagnosticCode.SCHEMA, str(exc), key_where(self.display, sets, key))
        expect = case.get("expect")
        if isinstance(expect, CommentedMap) and self.known.checked:
            self.references(expect)

    def references(self, expect: CommentedMap) -> None:
        for key in ("fired", "not_fired"):
            ids = expect.get(key)
            for index, rule_id in _items(ids):
                self.reference(
                    rule_id, self.known.rules, value_where(self.display, ids, index), f"{key}: rule"
                )
        clocks = expect.get("sla")
        for clock in clocks if isinstance(clocks, CommentedMap) else []:
            where = key_where(self.display, clocks, clock)
            self.reference(clock, self.known.clocks, where, "sla: clock")
        timeline = expect.get("timeline")
        if isinstance(timeline, CommentedMap) and isinstance(timeline.get("refused"), str):
            where = value_where(self.display, timeline, "refused")
            known = self.known.lifecycle
            if timeline["refused"] not in known:  # rare: the built-in rules cost an import
                from engine.ruleset_tests.timeline_cases import BUILT_IN

                known = known | frozenset(BUILT_IN)
            self.reference(timeline["refused"], known, where, "lifecycle rule")

    def reference(self, name: Any, known: frozenset[str], where: Where, what: str) -> None:
        if str(name) in known:
            return
        hint = suggest(str(name), sorted(known)) or f"known: {', '.join(sorted(known)) or 'none'}"
        self.error(DiagnosticCode.REF, f"{what} '{name}' does not exist", where, hint)


def _items(ids: Any) -> Iterator[tuple[int, Any]]:
    if isinstance(ids, CommentedSeq):
        yield from ((i, v) for i, v in enumerate(ids) if isinstance(v, str))
