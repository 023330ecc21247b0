"""Typed errors of the engine.

Hierarchy (every class carries structured fields, never just a string); every exception
class of the engine sits under ``EngineError`` (``tests/engine/test_errors.py`` walks the
package)::

    EngineError
    ├── ClaimValidationError      invalid claim JSON; ``problems`` lists every (path, reason)
    ├── StrictJsonError           valid JSON refused: NaN, a duplicate key (also ValueError;
    │                             engine.strict_json)
    ├── RulesetError              a ruleset failed to load/compile; ``diagnostics`` lists all
    ├── ExpressionSyntaxError     a ``when:``/``expr:`` text outside the condition language
    │                             (message, col, suggestion; engine.expression.parser)
    ├── TypeIssue                 an expression that does not type-check (message, col,
    │                             suggestion, code; engine.expression.types)
    ├── RulesetTestError          a ruleset test file is malformed (where, message;
    │                             engine.ruleset_tests)
    ├── SetPathError              a test case's ``set:`` path is malformed (also ValueError)
    ├── TimelineError             a claim's event timeline is inconsistent (index + reason)
    │   └── TimelineRuleError     an event breaks the ruleset's lifecycle (engine.lifecycle)
    ├── LifecycleError            the claim's life refuses an operation: patches, overrides,
    │                             approvals, payments, voids (tree in engine/lifecycle/errors.py)
    ├── EvaluationError           a rule could not be evaluated on a claim (rule id, reason)
    ├── CalendarError             a working-day calendar has no data for a day (engine.sla)
    ├── UnknownRuleError          a rule id the ruleset does not have (rule id, suggestion)
    ├── UnknownSemanticsError     a decision names engine semantics this engine does not know
    ├── UnknownDiagnosticCodeError  code emitted a diagnostic code ``DiagnosticCode`` lacks (a
    │                             programming error the tests catch; also ValueError)
    ├── NotLowerable              (internal) a test durable-rules cannot express
    │                             (engine.backends.durable_algebra); caught in the lowering,
    │                             the test is hoisted instead
    └── BackendError              a backend misbehaved (durable-rules swallowed an error)

Private classes (``_Skip``, ``_Unsupported``) are control flow caught in the module that
raises them, never seen outside it.

A user-caused error (bad claim, bad YAML) must be rendered with ``str(err)``: the message
lists every problem with its location so the user can fix all of them in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from engine.diagnostics import DiagnosticCode

Severity = Literal["error", "warning", "info"]


class EngineError(Exception):
    """Base class of every error the engine raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One invalid value in a claim: JSON path such as ``items[1].amount`` and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}" if self.path else self.reason


class ClaimValidationError(EngineError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"invalid claim ({len(problems)} problem(s)):\n{lines}")


class UnknownDiagnosticCodeError(EngineError, ValueError):
    """A module emitted a code string that :class:`DiagnosticCode` does not declare."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(
            f"unknown diagnostic code {code!r}: declare it in engine/diagnostics.py and "
            "document it in docs/diagnostics.md"
        )


@dataclass(frozen=True)
class Diagnostic:
    """A compiler/linter finding with a stable code and a precise location.

    ``code`` may be given as its string (``"E-PATH"``); it is always stored as the
    :class:`~engine.diagnostics.DiagnosticCode` member, so a code no table documents cannot
    be emitted (an unregistered string raises ``UnknownDiagnosticCodeError`` at once).
    """

    severity: Severity
    code: DiagnosticCode | str
    message: str
    file: str = ""
    line: int = 0
    column: int = 0
    suggestion: str = ""
    rule_id: str = ""

    def __post_init__(self) -> None:
        try:
            code = DiagnosticCode(self.code)
        except ValueError:
            raise UnknownDiagnosticCodeError(str(self.code)) from None
        object.__setattr__(self, "code", code)

    @property
    def location(self) -> str:
        if not self.file:
            return "<ruleset>"
        return f"{self.file}:{self.line}:{self.column}"

    def __str__(self) -> str:
        text = f"{self.location}: {self.severity} {self.code}: {self.message}"
        if self.suggestion:
            text += f" ({self.suggestion})"
        return text

    def to_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity,
            "code": str(self.code),
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "suggestion": self.suggestion,
            "rule_id": self.rule_id,
        }


class RulesetError(EngineError):
    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        errors = [d for d in diagnostics if d.severity == "error"]
        lines = "\n".join(f"  {d}" for d in errors)
        super().__init__(f"ruleset has {len(errors)} error(s):\n{lines}")


class TimelineError(EngineError):
    def __init__(self, index: int, reason: str) -> None:
        self.index = index
        self.reason = reason
        super().__init__(f"events[{index}]: {reason}")


class EvaluationError(EngineError):
    def __init__(self, reason: str, *, rule_id: str = "", path: str = "") -> None:
        self.reason = reason
        self.rule_id = rule_id
        self.path = path
        where = f"rule {rule_id}: " if rule_id else ""
        super().__init__(f"{where}{reason}")


class UnknownRuleError(EngineError):
    def __init__(self, rule_id: str, ruleset: str, known: tuple[str, ...], suggestion: str) -> None:
        self.rule_id = rule_id
        self.ruleset = ruleset
        self.known = known
        self.suggestion = suggestion
        hint = suggestion or f"its rules: {', '.join(known)}"
        super().__init__(f"ruleset {ruleset} has no rule '{rule_id}' ({hint})")


class BackendError(EngineError):
    def __init__(self, backend: str, reason: str) -> None:
        self.backend = backend
        self.reason = reason
        super().__init__(f"backend {backend}: {reason}")


@dataclass
class DiagnosticBag:
    """Collects diagnostics so the compiler can report all of them at once."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diagnostic: Diagnostic) -> None:
        self.items.append(diagnostic)

    def error(self, code: DiagnosticCode | str, message: str, **where: object) -> None:
        self.items.append(Diagnostic("error", code, message, **where))  # type: ignore[arg-type]

    def warning(self, code: DiagnosticCode | str, message: str, **where: object) -> None:
        self.items.append(Diagnostic("warning", code, message, **where))  # type: ignore[arg-type]

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.items)

    def raise_if_errors(self) -> None:
        if self.has_errors:
            raise RulesetError(list(self.items))
