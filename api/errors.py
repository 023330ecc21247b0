"""RFC 9457 problem details: every error the service returns is ``application/problem+json``.

A problem has ``type`` (a stable URI naming the kind of problem), ``title``, ``status``,
``detail`` and ``instance`` (the request path), plus members of its own: an invalid claim
carries ``errors: [{path, reason}]`` with the JSON path of every bad value (the engine's
:class:`~engine.errors.Problem`), so the sender fixes all of them in one pass.

Handlers are installed for the service's own :class:`ProblemError`, Starlette's HTTP errors
(404 of unknown routes, 405), FastAPI's request validation (bad query or path parameters),
the engine's :class:`~engine.errors.ClaimValidationError`, and, last, any other exception,
which becomes a 500 problem that names the request id and nothing internal. The OpenAPI
document states these answers too (:mod:`api.openapi`): installing the handlers installs
their documentation, so the two cannot be installed apart.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from api.openapi import PROBLEM_JSON, install_problem_documentation
from engine.errors import ClaimValidationError, Problem

__all__ = [
    "PROBLEM_JSON",
    "ProblemError",
    "install_error_handlers",
    "invalid_claim",
    "problem_response",
]

_TYPE_BASE = "https://claims.example/problems/"
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


class ProblemError(Exception):
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


def invalid_claim(problems: Sequence[Problem], detail: str | None = None) -> ProblemError:
    """422 for a claim (or event) that fails validation, with every problem's path."""
    return ProblemError(
        422,
        detail or f"the claim is invalid ({len(problems)} problem(s))",
        kind="invalid-claim",
        title="Invalid claim",
        errors=[{"path": p.path, "reason": p.reason} for p in problems],
    )


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
    body: dict[str, Any] = {
        "type": _TYPE_BASE + (kind or _TYPES.get(status, "error")),
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


def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(
        request,
        exc.status,
        exc.detail,
        kind=exc.kind,
        title=exc.title,
        headers=exc.headers,
        **exc.extra,
    )


def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
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


def _on_claim(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ClaimValidationError)
    return _on_problem(request, invalid_claim(exc.problems))


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
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(ClaimValidationError, _on_claim)
    app.add_exception_handler(Exception, _on_unexpected)
    install_problem_documentation(app)
