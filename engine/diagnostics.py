"""The one vocabulary of diagnostics for everything a rule author writes.

Ruleset YAML, ruleset test files (``rulesets/*/tests/*.yaml``) and the member-rights
knowledge base (``rulesets/rights/``) report their problems as :class:`engine.errors.Diagnostic`
with a code from :class:`DiagnosticCode`. The code strings are a contract (editors, CI
annotations and scripts match on them): a code is added, never renamed. Every code is
documented in ``docs/diagnostics.md``; ``tests/engine/test_diagnostics.py`` fails when the
table and this enum disagree, or when a module emits a code string the enum lacks
(``engine.errors.Diagnostic`` refuses one at once: ``UnknownDiagnosticCodeError``).

``E-`` codes are errors (lint exits 1), ``W-`` codes warnings (shown, not failing).
Pure: stdlib only, so the lint path stays light.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DiagnosticCode"]


class DiagnosticCode(StrEnum):
    """Stable codes; the value is what users see (``error E-PATH: ...``)."""

    FILE = "E-FILE"
    YAML = "E-YAML"
    INCLUDE = "E-INCLUDE"
    SCHEMA = "E-SCHEMA"
    EXPR = "E-EXPR"
    PATH = "E-PATH"
    TYPE = "E-TYPE"
    ENUM = "E-ENUM"
    NULLABLE = "E-NULLABLE"
    FUNC = "E-FUNC"
    ARITY = "E-ARITY"
    DUP = "E-DUP"
    LEGAL = "E-LEGAL"
    EXPLAIN = "E-EXPLAIN"
    PLACEHOLDER = "E-PLACEHOLDER"
    TABLE = "E-TABLE"
    TABLE_OVERLAP = "E-TABLE-OVERLAP"
    TABLE_GAP = "W-TABLE-GAP"
    BENEFIT = "E-BENEFIT"
    SLA = "E-SLA"
    EVENT = "E-EVENT"
    LIFECYCLE = "E-LIFECYCLE"
    LIFECYCLE_CYCLE = "E-LIFECYCLE-CYCLE"
    UNREACHABLE = "W-UNREACHABLE"
    HOISTED = "W-HOISTED"
    NO_TESTS = "E-NO-TESTS"
    REF = "E-REF"
    NUMBERS = "E-NUMBERS"
