"""The rule authors' linter: every compiler diagnostic plus checks of the ruleset folder.

Every code it reports, with what it means and what to do, is in ``docs/diagnostics.md`` (the
codes are one enum, :class:`engine.diagnostics.DiagnosticCode`); each code that applies to a
ruleset has a broken-ruleset fixture under ``tests/fixtures/lint/<CODE>/``. Test files beside
the ruleset (``tests/*.yaml``) are linted too: :mod:`engine.ruleset_tests.lint`.
"""

from __future__ import annotations

from pathlib import Path

from engine.backends.durable_lowering import Lowering, type_resolver
from engine.errors import Diagnostic
from engine.expression.text import expression_text
from engine.ruleset.compiler import compile_with_diagnostics
from engine.ruleset.ir import RulesetIR
from engine.ruleset.source import RULESET_FILE
from engine.ruleset_tests.lint import Known, lint_test_file

TESTS_GLOB = "tests/*.yaml"


def lint_ruleset(root: Path, *, display: str | None = None) -> list[Diagnostic]:
    """All diagnostics of one ruleset folder, in file/line/column order."""
    shown = display if display is not None else str(root)
    ir, bag = compile_with_diagnostics(root, display=shown)
    found = list(bag.items)
    known = Known.of(ir)
    for path in sorted(root.glob(TESTS_GLOB)):
        found += lint_test_file(path, f"{shown}/{path.relative_to(root)}", known)
    if (root / RULESET_FILE).is_file() and not any(root.glob(TESTS_GLOB)):
        found.append(
            Diagnostic(
                "error",
                "E-NO-TESTS",
                "the ruleset has no tests",
                f"{shown}/{RULESET_FILE}",
                1,
                1,
                "add tests/cases.yaml with cases for every rule (see CONTRIBUTING.md)",
            )
        )
    if ir is not None and not bag.has_errors:
        found += hoisted_tests(ir)
    return sorted(found, key=lambda d: (d.file, d.line, d.column, d.code))


def hoisted_tests(ir: RulesetIR) -> list[Diagnostic]:
    """W-HOISTED: a condition test the durable backend computes in Python, not in Rete
    (:mod:`engine.backends.durable_lowering`); a derived fact moves it into Rete."""
    type_of = type_resolver(ir.facts_type)
    out = []
    for rule in ir.rules:
        for test in Lowering("h", type_of).lower(rule.when.node).tests:
            if test.where != "python":
                continue
            text = expression_text(test.node)
            out.append(
                Diagnostic(
                    "warning",
                    "W-HOISTED",
                    f"rule '{rule.id}': '{text}' runs in Python on the durable backend: "
                    "durable-rules cannot compare it exactly",
                    **rule.when.where.shift(test.node.col).kw(),
                    suggestion="declare it as a derived fact under derive: and test that fact",
                    rule_id=rule.id,
                )
            )
    return out
