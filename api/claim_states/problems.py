"""The claim's life's typed refusals as RFC 9457 problems: one place maps them to HTTP.

Each :mod:`engine.lifecycle.errors` error keeps its ``code`` as the problem type, so a
client tells a stale decision from an over-payment without reading prose; the status is the
one the issue names (``engine/lifecycle/errors.py`` lists them). ``errors: [{path, reason}]``
carries every broken lifecycle rule (``events[i]``) or the patch path, as intake does.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.errors import problem_response
from engine.errors import TimelineError
from engine.lifecycle.errors import (
    AdmissionError,
    ApprovalError,
    ClaimPatchError,
    LifecycleError,
    OverrideBoundError,
    PaymentError,
    SelfApprovalError,
    StaleDecisionError,
    TimelineRuleError,
    VoidError,
)

__all__ = ["install_lifecycle_handlers", "status_of_error"]

_STATUS: tuple[tuple[type[LifecycleError], int], ...] = (
    (SelfApprovalError, 403),
    (ApprovalError, 409),
    (StaleDecisionError, 409),
    (AdmissionError, 409),
)


def status_of_error(exc: LifecycleError) -> int:
    return next((status for kind, status in _STATUS if isinstance(exc, kind)), 422)


def _on_lifecycle(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LifecycleError)
    extra: dict[str, object] = {"suggestion": exc.suggestion}
    if isinstance(exc, ClaimPatchError):
        extra["errors"] = [{"path": exc.path, "reason": exc.reason}]
    elif isinstance(exc, VoidError):
        extra["errors"] = [{"path": f"events[{exc.index}]", "reason": exc.reason}]
    elif isinstance(exc, OverrideBoundError):
        extra |= {"line_id": exc.line_id, "bound": f"{exc.bound:.2f}"}
        extra["errors"] = [{"path": f"lines[line_id={exc.line_id}]", "reason": str(exc)}]
    elif isinstance(exc, PaymentError):
        extra |= {"payable": f"{exc.payable:.2f}", "paid": f"{exc.paid:.2f}"}
    elif isinstance(exc, StaleDecisionError):
        extra |= {"named": exc.named, "current": exc.current}
    return problem_response(request, status_of_error(exc), str(exc), kind=exc.code, **extra)


def _on_timeline(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TimelineError)
    if isinstance(exc, TimelineRuleError):
        return problem_response(
            request,
            422,
            str(exc),
            kind=exc.code,
            title="Lifecycle rule broken",
            rule_id=exc.rule_id,
            suggestion=exc.suggestion,
            errors=[
                {
                    "path": f"events[{v.index}]",
                    "rule_id": v.rule_id,
                    "reason": v.reason,
                    "suggestion": v.suggestion,
                }
                for v in exc.violations
            ],
        )
    return problem_response(
        request,
        422,
        f"the timeline is invalid: {exc}",
        kind="invalid-timeline",
        errors=[{"path": f"events[{exc.index}]", "reason": exc.reason}],
    )


def install_lifecycle_handlers(app: FastAPI) -> None:
    app.add_exception_handler(LifecycleError, _on_lifecycle)
    app.add_exception_handler(TimelineError, _on_timeline)
