"""Helpers shared by the routers: reading a JSON body, ``as_of``, claim visibility."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

import orjson
from fastapi import Query, Request, Response

from api.auth import Principal
from api.deps import AppState
from api.errors import ProblemError, invalid_claim
from api.instants import InstantError, parse_instant
from api.models import ClaimRecord
from engine.errors import Problem

__all__ = [
    "MAX_BODY",
    "AsOf",
    "JsonBytes",
    "check_depth",
    "parse_as_of",
    "read_body",
    "read_json",
    "visible_record",
]

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


#: The years an ``as_of`` may name (as written, in its own offset): beyond any claim, and far
#: enough from Python's limits (years 1 and 9999) that no time zone conversion overflows.
AS_OF_YEARS = (1900, 2999)


def _date_time(schema: dict[str, Any]) -> None:
    """A date-time string in :data:`AS_OF_YEARS` when given (absent means now, never null)."""
    schema.pop("anyOf", None)
    schema.update(type="string", format="date-time", pattern=r"^(?:19[0-9]{2}|2[0-9]{3})-")


#: The ``as_of`` query parameter, documented as the RFC 3339 date-time :func:`parse_as_of` takes.
AsOf = Annotated[
    str | None,
    Query(
        description="ISO 8601 date-time with a UTC offset, years 1900-2999; now if absent",
        json_schema_extra=_date_time,
    ),
]


def parse_as_of(value: str | None) -> dt.datetime:
    """``as_of`` query parameter: ISO 8601 with a UTC offset; now when absent."""
    try:
        when = parse_instant(value)
    except InstantError:
        raise _bad_as_of(
            "as_of must be an ISO 8601 date-time with a UTC offset",
            "must be an ISO 8601 date-time with a UTC offset, e.g. 2025-07-01T09:00:00+08:00",
        ) from None
    first, last = AS_OF_YEARS
    if not first <= when.year <= last:
        raise _bad_as_of(
            f"as_of must fall in the years {first}-{last}", f"must fall in the years {first}-{last}"
        )
    return when


def _bad_as_of(detail: str, reason: str) -> ProblemError:
    return ProblemError(
        422, detail, kind="invalid-request", errors=[{"path": "query.as_of", "reason": reason}]
    )


def visible_record(state: AppState, claim_id: str, who: Principal) -> ClaimRecord:
    """The stored claim if ``who`` may see it; 404 otherwise (members see only their own,
    and another member's claim is answered exactly like a claim that does not exist)."""
    record = state.claims.get(claim_id)
    if record is None or (who.role == "member" and record.member_id != who.sub):
        raise ProblemError(404, f"there is no claim {claim_id}")
    return record


class JsonBytes(Response):
    """A JSON answer rendered by orjson, for large answers on hot routes (a decision is ~12 KB
    of nested data): FastAPI would first validate the value against the route's response
    model, then serialise it. The route keeps ``response_model`` for its OpenAPI schema."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
