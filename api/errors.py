"""The service's errors, and the one place every error becomes an RFC 9457 problem.

Errors ``api`` raises on purpose all derive from one base::

    ApiError
    ├── ProblemError             an answer decided by a route (status, type, detail, members)
    ├── SettingsError            ``CLAIMS_*`` settings are unusable (api.settings)
    │   └── AuthSettingsError    the JWT secret or keys are missing or unusable
    ├── RulesetUnavailable       the routed ruleset is missing or does not compile [503]
    │   └── UnknownRuleset       a ruleset named by the caller is not installed [404]
    ├── RulesetLoadError         a ruleset at a git revision cannot be loaded (CLI)
    ├── GitError                 a git command failed (api.git_revisions)
    ├── InstantError             a text is not an ISO 8601 instant with offset (also ValueError)
    ├── SchemaMismatch           a table differs from its migration (also ValueError)
    └── MemberPageError          the member pages refuse (tree in api/member_pages/errors.py)
        ├── SignInRefused        a sign-in link unknown, used or expired
        ├── CsrfRefused          a form without its CSRF token
        └── NoSuchMember         a sign-in link asked for a member with no claim

A problem has ``type`` (a stable URI naming the kind of problem), ``title``, ``status``,
``detail``, ``instance`` (the request path) and ``request_id``, plus members of its own: an
invalid claim carries ``errors: [{path, reason}]`` with the JSON path of every bad value (the
engine's :class:`~engine.errors.Problem`), so the sender fixes all of them in one pass.

Routes do not catch domain errors: :data:`DOMAIN_PROBLEMS` maps each error class of
``engine``, ``audit`` and ``llm_assist`` (and :class:`RulesetUnavailable`) to its status and
problem type, and :func:`install_error_handlers` registers one handler per class. Starlette
picks the handler of the nearest class in the exception's MRO, so a subclass not in the table
is answered as its closest mapped ancestor. Handlers are also installed for
:class:`ProblemError`, Starlette's HTTP errors (404 of unknown routes, 405), FastAPI's
request validation (bad query or path parameters) and, last, any other exception, which
becomes a 500 problem that names the request id and nothing internal. The OpenAPI document
states these answers too (:mod:`api.openapi`): installing the handlers installs their
documentation, so the two cannot be installed apart.

This module imports no web framework at import time (only when handlers are installed or a
problem is answered): the CLI's light commands use the errors above.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from audit.errors import (
    AuditError,
    CanonicalError,
    ConfigError,
    ReplayError,
    UnknownEventError,
)
from engine.errors import (
    ClaimValidationError,
    EngineError,
    Problem,
    RulesetError,
    TimelineError,
    UnknownDiagnosticCodeError,
    UnknownRuleError,
)
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
from llm_assist.errors import AssistError

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

__all__ = [
    "DOMAIN_PROBLEMS",
    "PROBLEM_JSON",
    "ApiError",
    "AuthSettingsError",
    "DomainProblem",
    "ProblemError",
    "RulesetUnavailable",
    "SettingsError",
    "UnknownRuleset",
    "install_error_handlers",
    "invalid_claim",
    "problem_response",
]

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://claims.example/problems/"
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    500: "Internal server error",
    503: "Service unavailable",
}
_TYPES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "too-large",
    415: "unsupported-media-type",
    422: "invalid-request",
    500: "internal",
    503: "unavailable",
}

log = logging.getLogger("claims.api")


class ApiError(Exception):
    """Base class of every error ``api`` raises on purpose (module docstring)."""


class ProblemError(ApiError):
    """An error answered as a problem document (module docstring)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind or _TYPES.get(status, "error")
        self.title = title or _TITLES.get(status, "Error")
        self.headers = headers or {}
        self.extra = extra


class SettingsError(ApiError):
    """The settings cannot be used (missing or unreadable key, bad value)."""


class AuthSettingsError(SettingsError):
    """The JWT secret or keys are missing (production) or unusable."""


class RulesetUnavailable(ApiError):
    """The routed ruleset folder is missing or does not compile."""


class UnknownRuleset(RulesetUnavailable):
    """A ruleset the caller named (e.g. to reload it) is not installed."""


def invalid_claim(problems: Sequence[Problem], detail: str | None = None) -> ProblemError:
    """422 for a claim (or event) that fails validation, with every problem's path."""
    return ProblemError(
        422,
        detail or f"the claim is invalid ({len(problems)} problem(s))",
        kind="invalid-claim",
        title="Invalid claim",
        errors=[{"path": p.path, "reason": p.reason} for p in problems],
    )


# --- domain errors -> problems ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DomainProblem:
    """How one domain error class is answered: status, problem type (the slug after
    :data:`TYPE_BASE`; with ``kind_from_code`` the error's own stable ``code``), title, and
    the detail and ``errors`` members built from the error."""

    status: int
    kind: str
    title: str
    detail: Callable[[Exception], str] = str
    errors: Callable[[Exception], list[dict[str, str]]] | None = None
    kind_from_code: bool = False
    #: Members of the problem's own beyond ``errors`` (a lifecycle refusal's rule, bound...).
    members: Callable[[Exception], dict[str, Any]] | None = None

    def problem(self, exc: Exception) -> ProblemError:
        extra: dict[str, Any] = self.members(exc) if self.members is not None else {}
        if self.errors is not None:
            extra["errors"] = self.errors(exc)
        kind = str(getattr(exc, "code", self.kind)) if self.kind_from_code else self.kind
        return ProblemError(self.status, self.detail(exc), kind=kind, title=self.title, **extra)


def _claim_errors(exc: Exception) -> list[dict[str, str]]:
    assert isinstance(exc, ClaimValidationError)
    return [{"path": p.path, "reason": p.reason} for p in exc.problems]


def _timeline_errors(exc: Exception) -> list[dict[str, str]]:
    if isinstance(exc, TimelineRuleError):
        return [
            {"path": f"events[{v.index}]", "reason": f"{v.rule_id}: {v.reason} ({v.suggestion})"}
            for v in exc.violations
        ]
    assert isinstance(exc, TimelineError)
    return [{"path": f"events[{exc.index}]", "reason": exc.reason}]


def _canonical_errors(exc: Exception) -> list[dict[str, str]]:
    """The audit trail's JSONPath (``$.detail.x``) as the request's path (``detail.x``)."""
    assert isinstance(exc, CanonicalError)
    path = exc.path.removeprefix("$").removeprefix(".")
    return [{"path": path, "reason": exc.reason}]


def _with_suggestion(exc: Exception) -> str:
    suggestion = getattr(exc, "suggestion", "")
    return f"{exc} ({suggestion})" if suggestion else str(exc)


def _lifecycle_members(exc: Exception) -> dict[str, Any]:
    """What a client acts on without reading prose: the suggestion, and per refusal the
    line and its bound, the amounts, the decision named and the current one."""
    members: dict[str, Any] = {"suggestion": getattr(exc, "suggestion", "")}
    if isinstance(exc, TimelineRuleError):
        members["rule_id"] = exc.rule_id
    elif isinstance(exc, OverrideBoundError):
        members |= {"line_id": exc.line_id, "bound": f"{exc.bound:.2f}"}
    elif isinstance(exc, PaymentError):
        members |= {"payable": f"{exc.payable:.2f}", "paid": f"{exc.paid:.2f}"}
    elif isinstance(exc, StaleDecisionError):
        members |= {"named": exc.named, "current": exc.current}
    return members


def _lifecycle_errors(exc: Exception) -> list[dict[str, str]]:
    """``errors`` by path where the refusal has one: the patch's path, the voided event."""
    if isinstance(exc, ClaimPatchError):
        return [{"path": exc.path, "reason": exc.reason}]
    if isinstance(exc, VoidError):
        return [{"path": f"events[{exc.index}]", "reason": exc.reason}]
    if isinstance(exc, OverrideBoundError):
        return [{"path": "lines", "reason": str(exc)}]
    return []


def _lifecycle(status: int, title: str) -> DomainProblem:
    """A refusal of the claim's life: its type is the error's ``code`` (engine.lifecycle)."""
    return DomainProblem(
        status,
        "lifecycle",
        title,
        _with_suggestion,
        _lifecycle_errors,
        kind_from_code=True,
        members=_lifecycle_members,
    )


def _unavailable(exc: Exception) -> str:
    return f"the audit trail is unavailable: {exc}"


#: Every domain error class the service answers with a problem; a subclass not listed is
#: answered as its nearest listed ancestor. A test sends each through a real route.
DOMAIN_PROBLEMS: dict[type[Exception], DomainProblem] = {
    # engine
    EngineError: DomainProblem(
        422, "cannot-evaluate", "Cannot evaluate", lambda e: f"the claim cannot be evaluated: {e}"
    ),
    ClaimValidationError: DomainProblem(
        422,
        "invalid-claim",
        "Invalid claim",
        lambda e: f"the claim is invalid ({len(_claim_errors(e))} problem(s))",
        _claim_errors,
    ),
    TimelineError: DomainProblem(
        422,
        "invalid-timeline",
        "Invalid timeline",
        lambda e: f"the timeline is invalid: {e}",
        _timeline_errors,
    ),
    TimelineRuleError: DomainProblem(
        422,
        "lifecycle-rule",
        "Lifecycle rule broken",
        lambda e: f"the timeline is invalid: {e}",
        _timeline_errors,
        members=_lifecycle_members,
    ),
    RulesetError: DomainProblem(
        503,
        "ruleset-unavailable",
        "Ruleset unavailable",
        lambda e: f"the ruleset does not compile: {e}",
    ),
    UnknownRuleError: DomainProblem(404, "unknown-rule", "Unknown rule"),
    # a code no table declares is the engine's bug, never the caller's
    UnknownDiagnosticCodeError: DomainProblem(
        500,
        "internal",
        "Internal server error",
        lambda e: "the service failed to handle this request; quote the request id",
    ),
    LifecycleError: _lifecycle(422, "Refused by the claim's life"),
    StaleDecisionError: _lifecycle(409, "Stale decision"),
    ApprovalError: _lifecycle(409, "Nothing to approve"),
    SelfApprovalError: _lifecycle(403, "Self-approval"),
    AdmissionError: _lifecycle(409, "Does not fit the claim's state"),
    ClaimPatchError: _lifecycle(422, "Patch refused"),
    # audit
    AuditError: DomainProblem(503, "unavailable", "Service unavailable", _unavailable),
    UnknownEventError: DomainProblem(
        404,
        "not-found",
        "Not found",
        lambda e: f"there is no audit event {getattr(e, 'event_id', '')}",
    ),
    CanonicalError: DomainProblem(
        422,
        "invalid-request",
        "Unprocessable content",
        lambda e: f"the request cannot be audited: {e}",
        _canonical_errors,
    ),
    ConfigError: DomainProblem(503, "unavailable", "Service unavailable"),
    ReplayError: DomainProblem(
        503, "unavailable", "Service unavailable", lambda e: f"the audit trail cannot be read: {e}"
    ),
    # llm_assist
    AssistError: DomainProblem(
        503,
        "assistant-unavailable",
        "Assistant unavailable",
        lambda e: f"the review-note assistant is unavailable: {e}",
    ),
    # api
    RulesetUnavailable: DomainProblem(503, "ruleset-unavailable", "Ruleset unavailable"),
    UnknownRuleset: DomainProblem(404, "not-found", "Not found"),
}


# --- answering -----------------------------------------------------------------------------


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    from fastapi.responses import JSONResponse

    body: dict[str, Any] = {
        "type": TYPE_BASE + (kind or _TYPES.get(status, "error")),
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _loc_path(loc: Sequence[str | int]) -> str:
    """``("query", "page")`` -> ``query.page``; ``("body", "items", 0)`` -> ``items[0]``."""
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[1:]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _answer(request: Request, exc: ProblemError) -> JSONResponse:
    return problem_response(
        request,
        exc.status,
        exc.detail,
        kind=exc.kind,
        title=exc.title,
        headers=exc.headers,
        **exc.extra,
    )


def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return _answer(request, exc)


def _on_domain(request: Request, exc: Exception) -> JSONResponse:
    for cls in type(exc).__mro__:
        mapped = DOMAIN_PROBLEMS.get(cls)
        if mapped is not None:
            return _answer(request, mapped.problem(exc))
    return _on_unexpected(request, exc)  # pragma: no cover - registered only for mapped classes


def _on_http(request: Request, exc: Exception) -> JSONResponse:
    from starlette.exceptions import HTTPException

    assert isinstance(exc, HTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError | RecursionError):
        return _not_json(request, exc.__cause__)
    detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "")
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"there is nothing at {request.url.path}"
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return problem_response(request, exc.status_code, detail, headers=headers or None)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> list[str]:
    """Every method the request's path answers to (RFC 9110 ``Allow``): the router names
    only those of the first route on the path, and a path may have several (GET and POST)."""
    from starlette.routing import Match

    allowed = []
    for method in _METHODS:
        probe = {
            "type": "http",
            "method": method,
            "path": request.scope["path"],
            "root_path": request.scope.get("root_path", ""),
            "headers": [],
            "query_string": b"",
        }
        if any(route.matches(probe)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


def _not_json(request: Request, cause: Exception) -> JSONResponse:
    """FastAPI's 400 "error parsing the body" (not UTF-8, nested too deep) of a model body:
    a 422 like every other body that is not JSON (:func:`api.routes.common.read_json`)."""
    return problem_response(
        request,
        422,
        "the body is not JSON",
        kind="invalid-request",
        errors=[{"path": "", "reason": f"not valid JSON: {cause}"}],
    )


def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    from fastapi.exceptions import RequestValidationError

    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "path": "" if e.get("type") == "json_invalid" else _loc_path(e.get("loc", ())),
            "reason": str(e.get("msg", "")),
        }
        for e in exc.errors()
    ]
    return problem_response(
        request,
        422,
        f"the request is invalid ({len(errors)} problem(s))",
        kind="invalid-request",
        errors=errors,
    )


def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error(
        "unhandled error",
        exc_info=exc,
        extra={"request_id": getattr(request.state, "request_id", None)},
    )
    return problem_response(
        request,
        500,
        "the service failed to handle this request; quote the request id when reporting it",
    )


def install_error_handlers(app: FastAPI) -> None:
    """The problem handlers (module docstring) and their OpenAPI documentation."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    from api.openapi import install_problem_documentation

    app.add_exception_handler(ProblemError, _on_problem)
    for cls in DOMAIN_PROBLEMS:
        app.add_exception_handler(cls, _on_domain)
    app.add_exception_handler(HTTPException, _on_http)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(Exception, _on_unexpected)
    install_problem_documentation(app)
