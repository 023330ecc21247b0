"""The rule authors' linter: every compiler diagnostic plus checks of the ruleset folder.

Stable codes (each has a broken-ruleset fixture under ``tests/fixtures/lint/``):

========================  =======================================================
E-FILE, E-YAML            a file cannot be read or is not YAML
E-INCLUDE                 an include outside the folder or not a YAML file
E-SCHEMA                  unknown key (with "did you mean"), wrong kind, bad enum
E-EXPR                    an expression outside the condition language
E-PATH, E-TYPE, E-ENUM    unknown fact, type mismatch, value outside a field's enum
E-NULLABLE                an optional fact used without exists/coalesce
E-FUNC, E-ARITY           unknown function, wrong number of arguments
E-DUP                     duplicate rule, table, fact or SLA id
E-LEGAL                   a rule or reason without legal_basis
E-EXPLAIN                 a missing or empty zh/en explanation
E-PLACEHOLDER             an explanation placeholder naming an unknown fact
E-TABLE                   a table cell that cannot be read or can never match
E-TABLE-OVERLAP           two rows of a unique table match the same input
W-TABLE-GAP               an input no row of a table matches (and no default)
E-BENEFIT                 benefit steps without an eligible step
E-SLA, E-EVENT            a malformed SLA node, an undeclared event type
E-LIFECYCLE               a lifecycle rule that checks nothing or needs its own type open,
                          a role recorded twice, a payment_clock that is no SLA clock
E-LIFECYCLE-CYCLE         event types that each need another of them first: never recordable
W-UNREACHABLE             a rule that can never apply under hit_policy first
E-NO-TESTS                a ruleset folder without tests/*.yaml
========================  =======================================================
"""

from __future__ import annotations

from pathlib import Path

from engine.errors import Diagnostic
from engine.ruleset.compiler import compile_with_diagnostics
from engine.ruleset.source import RULESET_FILE

TESTS_GLOB = "tests/*.yaml"


def lint_ruleset(root: Path, *, display: str | None = None) -> list[Diagnostic]:
    """All diagnostics of one ruleset folder, in file/line/column order."""
    shown = display if display is not None else str(root)
    _, bag = compile_with_diagnostics(root, display=shown)
    found = list(bag.items)
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
    return sorted(found, key=lambda d: (d.file, d.line, d.column, d.code))
