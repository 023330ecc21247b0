"""The problem answers in the OpenAPI document, so clients (and schema fuzzers) can rely on it.

Every route declares the problem statuses it can really answer in one line,
``responses=problem_responses(401, 403, 404)``: each is ``application/problem+json`` with the
``Problem`` schema component, which states exactly what :mod:`api.errors` emits (RFC 9457
members, ``request_id``, ``errors: [{path, reason}]`` and the ruleset reload report), and
nothing else (``additionalProperties: false``: a new member must be documented here first).

:func:`install_problem_documentation` finishes the generated document: it adds the component,
turns FastAPI's own 422 (``HTTPValidationError``, which this service never sends: its
validation errors are problems) into the problem answer, and documents the ``X-Request-ID``
header every answer carries.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = [
    "CLAIM_BODY_REF",
    "PROBLEM_JSON",
    "PROBLEM_SCHEMA",
    "install_problem_documentation",
    "problem_responses",
]

PROBLEM_JSON = "application/problem+json"
_REF = "#/components/schemas/"
#: The request body of an intake: the engine's claim schema (validation mode: amounts may be
#: numbers or decimal strings), its parts named ``ClaimBody<Part>``.
_CLAIM_BODY = "ClaimBody"
CLAIM_BODY_REF = _REF + _CLAIM_BODY
#: Hand-written claims of the sample corpus, the examples of every claim body.
_EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "claims"
_PROBLEM_REF = {"$ref": _REF + "Problem"}
_STRING_LIST: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
_NULLABLE_STRING: dict[str, Any] = {"anyOf": [{"type": "string"}, {"type": "null"}]}

#: What a ruleset reload found (:meth:`api.rulesets.ReloadReport.to_dict`).
RELOAD_REPORT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "ruleset",
        "swapped",
        "content_hash",
        "previous_hash",
        "diagnostics",
        "tests",
        "failures",
    ],
    "additionalProperties": False,
    "properties": {
        "ruleset": {"type": "string"},
        "swapped": {"type": "boolean"},
        "content_hash": _NULLABLE_STRING,
        "previous_hash": _NULLABLE_STRING,
        "diagnostics": _STRING_LIST,
        "tests": {
            "type": "object",
            "required": ["passed", "failed"],
            "additionalProperties": False,
            "properties": {"passed": {"type": "integer"}, "failed": {"type": "integer"}},
        },
        "failures": _STRING_LIST,
    },
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details, as every error of the service is answered.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "instance", "request_id"],
    "additionalProperties": False,
    "properties": {
        "type": {
            "type": "string",
            "format": "uri",
            "description": "a stable URI naming the kind of problem",
        },
        "title": {"type": "string", "description": "short summary of the kind of problem"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "what went wrong with this request"},
        "instance": {"type": "string", "description": "the request path"},
        "request_id": {"type": "string", "description": "the answer's X-Request-ID"},
        "errors": {
            "type": "array",
            "description": "invalid requests and claims: every bad value, by JSON path",
            "items": {
                "type": "object",
                "required": ["path", "reason"],
                "additionalProperties": False,
                "properties": {
                    "path": {"type": "string", "description": 'e.g. items[1].amount; "" = body'},
                    "reason": {"type": "string"},
                },
            },
        },
        # A refusal of the claim's life (api.errors: its rule, a line's bound, the amounts,
        # the decision named and the current one, the current ETag) says what to do.
        "suggestion": {"type": "string", "description": "what to do instead"},
        "rule_id": {"type": "string", "description": "the lifecycle rule broken"},
        "line_id": {"type": "integer", "description": "the line above its bound"},
        "bound": {"type": "string", "description": "the most that line may pay"},
        "payable": {"type": "string", "description": "what the current decision pays"},
        "paid": {"type": "string", "description": "what was paid so far"},
        "named": {"type": "string", "description": "the decision the request named"},
        "current": {**_NULLABLE_STRING, "description": "the current decision's id"},
        "etag": {"type": "string", "description": "the claim's current ETag"},
        # A refused ruleset reload (422) carries its report.
        **RELOAD_REPORT_SCHEMA["properties"],
        # A refused reload of every ruleset (POST /rulesets/reload) carries one report each.
        "rulesets": {"type": "array", "items": RELOAD_REPORT_SCHEMA},
    },
}

_DESCRIPTIONS = {
    401: "no valid bearer token",
    403: "the caller's role may not do this",
    404: "no such resource (or not the caller's)",
    409: "conflicts with what is stored",
    412: "If-Match names a version that is no longer current: read again",
    413: "the body is larger than 1 MiB",
    415: "the body is not declared as JSON",
    422: "invalid request (or body not JSON): every problem in `errors`, by path",
    428: "If-Match is required: send the ETag (or decision id) read last",
    503: "the audit trail or the ruleset is unavailable",
}
_WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "description": "the Bearer challenge",
        "required": True,
        "schema": {"type": "string", "pattern": "^Bearer"},
    }
}
_REQUEST_ID = {
    "X-Request-ID": {
        "description": "the caller's X-Request-ID if well formed, else a new one",
        "required": True,
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"},
    }
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entries of an operation's problem answers, for each of ``statuses``."""
    unknown = [s for s in statuses if s not in _DESCRIPTIONS]
    if unknown:
        raise ValueError(f"no description of problem status {unknown}; add one to _DESCRIPTIONS")
    return {status: _problem(status) for status in statuses}


def _problem(status: int) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": _DESCRIPTIONS[status],
        "content": {PROBLEM_JSON: {"schema": dict(_PROBLEM_REF)}},
    }
    if status == 401:
        answer["headers"] = copy.deepcopy(_WWW_AUTHENTICATE)
    return answer


def install_problem_documentation(app: FastAPI) -> None:
    """Finish ``app``'s generated OpenAPI document once, as the module docstring says."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        fresh = app.openapi_schema is None
        document = generate()
        if fresh:
            _finish(document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def claim_body_schemas() -> dict[str, Any]:
    """The engine's claim schema as components: ``ClaimBody`` and its parts."""
    from engine.claim import Claim

    schema = Claim.model_json_schema(mode="validation", ref_template=CLAIM_BODY_REF + "{model}")
    parts = schema.pop("$defs", {})
    return {_CLAIM_BODY: schema, **{f"{_CLAIM_BODY}{k}": v for k, v in parts.items()}}


def claim_examples() -> dict[str, Any]:
    """The hand-written examples (``examples/claims/0*.json``), by file name."""
    found: dict[str, Any] = {}
    for path in sorted(_EXAMPLES.glob("0*.json")):
        value = json.loads(path.read_text(encoding="utf-8"))
        found[path.stem] = {"summary": path.stem, "value": value}
    return found


def _claim_bodies(document: dict[str, Any], schemas: dict[str, Any]) -> None:
    schemas.update(claim_body_schemas())
    examples = claim_examples()
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body and body.get("schema") == {"$ref": CLAIM_BODY_REF} and examples:
                body["examples"] = copy.deepcopy(examples)


def _finish(document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = copy.deepcopy(PROBLEM_SCHEMA)
    _claim_bodies(document, schemas)
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if _is_fastapi_422(responses.get("422")):
                responses["422"] = _problem(422)
            for answer in responses.values():
                answer.setdefault("headers", {}).update(copy.deepcopy(_REQUEST_ID))
    if _REF + "HTTPValidationError" not in json.dumps(document.get("paths", {})):
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)


def _is_fastapi_422(answer: dict[str, Any] | None) -> bool:
    """FastAPI's own 422 (``HTTPValidationError``): this service never sends it."""
    schema = (answer or {}).get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref") == _REF + "HTTPValidationError")
