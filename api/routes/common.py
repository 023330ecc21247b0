"""Helpers shared by the routers: reading a JSON body, ``as_of``, claim visibility."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import Request

from api.auth import Principal
from api.deps import AppState
from api.errors import ProblemError, invalid_claim
from api.instants import InstantError, parse_instant
from api.models import ClaimRecord
from engine.errors import Problem

__all__ = ["MAX_BODY", "check_depth", "parse_as_of", "read_body", "read_json", "visible_record"]

#: Largest request body accepted, in bytes.
MAX_BODY = 1 << 20
#: Deepest JSON nesting accepted (a claim needs 4).
MAX_DEPTH = 32


async def read_body(request: Request) -> bytes:
    """The raw body (413 when too large, 415 when not declared as JSON)."""
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if kind and not (kind == "application/json" or kind.endswith("+json")):
        raise ProblemError(415, f"send the body as application/json, not {kind}")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise ProblemError(413, f"the body is larger than {MAX_BODY} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise ProblemError(413, f"the body is larger than {MAX_BODY} bytes")
    return body


async def read_json(request: Request) -> Any:
    """The body parsed as JSON (422 problem at path "" when it is not)."""
    body = await read_body(request)
    try:
        value = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise invalid_claim(
            [Problem("", f"not valid JSON: {exc}")], "the body is not JSON"
        ) from None
    check_depth(value)
    return value


def check_depth(value: Any, limit: int = MAX_DEPTH) -> None:
    """422 when JSON nests deeper than ``limit`` (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                raise invalid_claim(
                    [Problem("", f"nested more than {limit} levels deep")], "the body is too deep"
                )
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def parse_as_of(value: str | None) -> dt.datetime:
    """``as_of`` query parameter: ISO 8601 with a UTC offset; now when absent."""
    try:
        return parse_instant(value)
    except InstantError:
        raise ProblemError(
            422,
            "as_of must be an ISO 8601 date-time with a UTC offset",
            kind="invalid-request",
            errors=[
                {
                    "path": "query.as_of",
                    "reason": "must be an ISO 8601 date-time with a UTC offset, "
                    "e.g. 2025-07-01T09:00:00+08:00",
                }
            ],
        ) from None


def visible_record(state: AppState, claim_id: str, who: Principal) -> ClaimRecord:
    """The stored claim if ``who`` may see it; 404 otherwise (members see only their own,
    and another member's claim is answered exactly like a claim that does not exist)."""
    record = state.claims.get(claim_id)
    if record is None or (who.role == "member" and record.member_id != who.sub):
        raise ProblemError(404, f"there is no claim {claim_id}")
    return record
