"""Domain errors become problems in one place (api/errors.py): each error class of engine,
audit and llm_assist, raised under a real route, is answered with its status and problem
type; api's own errors share one base; each errors.py docstring draws its tree."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
from decimal import Decimal
from typing import Any

import pytest

import api
import api.errors
import api.routes.audit
import audit
import audit.errors
import engine
import llm_assist
import llm_assist.errors
from api.errors import PROBLEM_JSON, ApiError, RulesetUnavailable, UnknownRuleset
from audit.errors import (
    AuditError,
    CanonicalError,
    ChainError,
    CheckpointError,
    CheckpointOriginError,
    ConfigError,
    ProofError,
    ReplayError,
    SignerKeyNameError,
    SnapshotError,
    StoreError,
    TamperError,
    UnknownEventError,
    WitnessError,
)
from engine.backends.durable_lowering import NotLowerable
from engine.errors import (
    BackendError,
    ClaimValidationError,
    Diagnostic,
    EngineError,
    EvaluationError,
    Problem,
    RulesetError,
    TimelineError,
    UnknownDiagnosticCodeError,
    UnknownRuleError,
)
from engine.expression.parser import ExpressionSyntaxError
from engine.expression.types import TypeIssue
from engine.lifecycle.errors import (
    AdmissionError,
    ApprovalError,
    ClaimPatchError,
    LifecycleError,
    OverrideBoundError,
    OverrideError,
    PaymentError,
    SelfApprovalError,
    StaleDecisionError,
    TimelineRuleError,
    Violation,
    VoidError,
)
from engine.ruleset.source import Where
from engine.ruleset_tests.claims import SetPathError
from engine.ruleset_tests.shapes import RulesetTestError
from engine.semantics import UnknownSemanticsError
from engine.sla.calendars import CalendarError
from engine.strict_json import StrictJsonError
from llm_assist.errors import AssistError, NoteFormatError, ProviderError, RightsError
from tests.api.conftest import Service

_WHERE = Where(file="rulesets/x/tests/a.yaml", line=3, column=5)
_VIOLATION = Violation(
    rule_id="completion_needs_request", index=4, reason="no open request", suggestion="ask first"
)

#: One instance of every domain error class, and the (status, problem type) it must get.
CASES: dict[type[Exception], tuple[Exception, int, str]] = {
    # engine
    EngineError: (EngineError("boom"), 422, "cannot-evaluate"),
    ClaimValidationError: (
        ClaimValidationError([Problem("items[1].amount", "must be >= 0")]),
        422,
        "invalid-claim",
    ),
    StrictJsonError: (StrictJsonError("constant", "NaN"), 422, "cannot-evaluate"),
    RulesetError: (
        RulesetError([Diagnostic("error", "E-PATH", "bad", "r.yaml", 1, 2)]),
        503,
        "ruleset-unavailable",
    ),
    ExpressionSyntaxError: (ExpressionSyntaxError("bad", 3), 422, "cannot-evaluate"),
    TypeIssue: (TypeIssue("bad", 3), 422, "cannot-evaluate"),
    RulesetTestError: (RulesetTestError(_WHERE, "bad"), 422, "cannot-evaluate"),
    SetPathError: (SetPathError("bad"), 422, "cannot-evaluate"),
    TimelineError: (TimelineError(2, "stops before it starts"), 422, "invalid-timeline"),
    TimelineRuleError: (TimelineRuleError([_VIOLATION]), 422, "lifecycle-rule"),
    LifecycleError: (LifecycleError("no", suggestion="try"), 422, "lifecycle"),
    ClaimPatchError: (ClaimPatchError("claim_id", "cannot be patched"), 422, "claim-patch"),
    StaleDecisionError: (StaleDecisionError(named="a", current="b"), 409, "stale-decision"),
    OverrideError: (OverrideError("malformed"), 422, "override"),
    OverrideBoundError: (
        OverrideBoundError(line_id=1, asked=Decimal("9"), bound=Decimal("1")),
        422,
        "override-bound",
    ),
    ApprovalError: (ApprovalError("nothing pending"), 409, "approval"),
    SelfApprovalError: (SelfApprovalError(override_id="o", actor="a"), 403, "self-approval"),
    PaymentError: (
        PaymentError(
            "too much",
            amount=Decimal("2"),
            payable=Decimal("1"),
            paid=Decimal("0"),
            suggestion="pay less",
        ),
        422,
        "payment",
    ),
    VoidError: (VoidError(3, "already void"), 422, "void"),
    AdmissionError: (AdmissionError("second intake"), 409, "admission"),
    EvaluationError: (EvaluationError("division by zero", rule_id="r"), 422, "cannot-evaluate"),
    CalendarError: (CalendarError("CN", dt.date(2031, 1, 1), "2004-2026"), 422, "cannot-evaluate"),
    UnknownRuleError: (UnknownRuleError("x", "cn-health", ("a",), ""), 404, "unknown-rule"),
    UnknownSemanticsError: (UnknownSemanticsError("9.9.9"), 422, "cannot-evaluate"),
    UnknownDiagnosticCodeError: (UnknownDiagnosticCodeError("E-NOPE"), 500, "internal"),
    NotLowerable: (NotLowerable(), 422, "cannot-evaluate"),
    BackendError: (BackendError("durable", "swallowed"), 422, "cannot-evaluate"),
    # audit
    AuditError: (AuditError("down"), 503, "unavailable"),
    CanonicalError: (CanonicalError("floats are not allowed", "$.reason"), 422, "invalid-request"),
    ProofError: (ProofError("bad proof"), 503, "unavailable"),
    CheckpointError: (CheckpointError("bad signature"), 503, "unavailable"),
    CheckpointOriginError: (CheckpointOriginError("a", "b", "other log"), 503, "unavailable"),
    ChainError: (ChainError(3, "gap"), 503, "unavailable"),
    TamperError: (TamperError(3, "changed"), 503, "unavailable"),
    WitnessError: (WitnessError("refused"), 503, "unavailable"),
    ConfigError: (ConfigError("no signer key"), 503, "unavailable"),
    SignerKeyNameError: (SignerKeyNameError("a", "b"), 503, "unavailable"),
    StoreError: (StoreError("disk full"), 503, "unavailable"),
    UnknownEventError: (UnknownEventError("ev-1"), 404, "not-found"),
    SnapshotError: (SnapshotError("sha256:x", "missing"), 503, "unavailable"),
    ReplayError: (ReplayError("ev-1", "malformed"), 503, "unavailable"),
    # llm_assist
    AssistError: (AssistError("down"), 503, "assistant-unavailable"),
    RightsError: (RightsError([]), 503, "assistant-unavailable"),
    ProviderError: (ProviderError("openai", "timeout"), 503, "assistant-unavailable"),
    NoteFormatError: (NoteFormatError("not a note"), 503, "assistant-unavailable"),
    # api
    RulesetUnavailable: (RulesetUnavailable("not installed"), 503, "ruleset-unavailable"),
    UnknownRuleset: (UnknownRuleset("ruleset 'x' is not installed"), 404, "not-found"),
}


def _subclasses(base: type[Exception]) -> set[type[Exception]]:
    found = set()
    for sub in base.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def _import_all(package: Any) -> None:
    for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."):
        if ".migrations." not in info.name and not info.name.endswith("__main__"):
            importlib.import_module(info.name)


def test_every_domain_error_class_has_a_case() -> None:
    """A new error class fails here until its answer is decided (and mapped if need be)."""
    for package in (engine, audit, llm_assist):
        _import_all(package)
    domain = {EngineError, AuditError, AssistError} | {
        cls
        for base in (EngineError, AuditError, AssistError)
        for cls in _subclasses(base)
        if not cls.__name__.startswith("_") and not cls.__module__.startswith("tests.")
    }
    assert domain - set(CASES) == set()


@pytest.mark.parametrize("cls", list(CASES), ids=lambda c: c.__name__)
def test_a_domain_error_is_answered_as_its_problem(
    service: Service, monkeypatch: pytest.MonkeyPatch, cls: type[Exception]
) -> None:
    error, status, kind = CASES[cls]
    assert type(error) is cls

    def failing(*_args: Any, **_kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(api.routes.audit, "get_event", failing)
    response = service.client.get("/audit/events/ev-1", headers=service.auth("auditor"))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["type"] == f"https://claims.example/problems/{kind}"
    assert body["status"] == status
    assert body["instance"] == "/audit/events/ev-1"
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert "Traceback" not in body["detail"]


def test_field_paths_survive_the_mapping(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {
        ClaimValidationError: [{"path": "items[1].amount", "reason": "must be >= 0"}],
        CanonicalError: [{"path": "reason", "reason": "floats are not allowed"}],
        TimelineError: [{"path": "events[2]", "reason": "stops before it starts"}],
        TimelineRuleError: [
            {"path": "events[4]", "reason": "completion_needs_request: no open request (ask first)"}
        ],
    }
    for cls, errors in answers.items():
        error = CASES[cls][0]

        def failing(*_args: Any, _error: Exception = error, **_kwargs: Any) -> Any:
            raise _error

        monkeypatch.setattr(api.routes.audit, "get_event", failing)
        response = service.client.get("/audit/events/ev-1", headers=service.auth("auditor"))
        assert response.json()["errors"] == errors, cls


def test_no_route_catches_a_domain_error_itself() -> None:
    """The mapping lives in api/errors.py only: no route module turns a domain error into an
    answer of its own (the SLA sweep's skip list is a result, not an answer)."""
    import api.routes

    offenders = []
    for info in pkgutil.walk_packages(api.routes.__path__, prefix="api.routes."):
        source = inspect.getsource(importlib.import_module(info.name))
        for name in ("AuditError", "CanonicalError", "ReplayError", "UnknownEventError"):
            if f"except {name}" in source or f"except ({name}" in source:
                offenders.append(f"{info.name}: except {name}")
    assert offenders == []


def test_api_errors_share_one_base_drawn_in_the_docstring() -> None:
    _import_all(api)
    classes = {
        cls
        for module in list(importlib.sys.modules.values())  # type: ignore[attr-defined]
        if getattr(module, "__name__", "").startswith("api.")
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, BaseException)
        and cls.__module__.startswith("api.")
        and not cls.__name__.startswith("_")
    }
    assert {c.__name__ for c in classes} >= {"ProblemError", "SettingsError", "GitError"}
    outside = [c.__qualname__ for c in classes if not issubclass(c, ApiError)]
    assert outside == []
    undrawn = [c.__name__ for c in classes if c.__name__ not in (api.errors.__doc__ or "")]
    assert undrawn == []


@pytest.mark.parametrize("module", [audit.errors, llm_assist.errors])
def test_each_errors_docstring_draws_its_tree(module: Any) -> None:
    for name in module.__all__:
        cls = getattr(module, name)
        if inspect.isclass(cls) and issubclass(cls, Exception):
            assert name in (module.__doc__ or ""), name
