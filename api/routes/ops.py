"""Operations: liveness, readiness (database and rulesets), Prometheus metrics, the rulesets
in use (staff), and reloading them (lint, compile, test, then swap; rule authors and
supervisors): all at once with ``POST /rulesets/reload`` (all or none are swapped) or one
with ``POST /rulesets/{name}/reload``."""

from __future__ import annotations

from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends, Path, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from api.auth import Principal
from api.claim_states.store import status_counts
from api.deps import State, allow
from api.errors import ProblemError
from api.openapi import RELOAD_REPORT_SCHEMA, problem_responses
from api.schemas.ops import Health, ReloadReport
from audit.db import read_only
from engine.lifecycle import Status

router = APIRouter(tags=["ops"])

_READINESS: dict[str, Any] = {
    "type": "object",
    "required": ["status", "checks"],
    "additionalProperties": False,
    "properties": {
        "status": {"enum": ["ready", "not_ready"]},
        "checks": {
            "type": "object",
            "required": ["database", "rulesets"],
            "additionalProperties": False,
            "properties": {
                "database": {"type": "string", "description": '"ok" or why not'},
                "rulesets": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": 'ruleset name -> "ok" or why not',
                },
            },
        },
    },
}


@router.get("/healthz", response_model=Health)
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=None,
    responses={
        200: {"content": {"application/json": {"schema": _READINESS}}},
        503: {"description": "not ready", "content": {"application/json": {"schema": _READINESS}}},
    },
)
def readyz(state: State) -> JSONResponse:
    """Ready when the database answers and every installed ruleset compiles (503 if not)."""
    checks: dict[str, Any] = {}
    try:
        with state.engine.connect() as conn, read_only(conn).begin():
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not ready"; the reason is reported
        checks["database"] = str(exc).strip().splitlines()[0]
    rulesets = state.rulesets.check()
    checks["rulesets"] = rulesets or {"-": "no rulesets installed"}
    ready = (
        checks["database"] == "ok" and bool(rulesets) and all(v == "ok" for v in rulesets.values())
    )
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status_code=200 if ready else 503,
    )


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(state: State) -> Response:
    """Prometheus text exposition; ``claims_by_status`` is read from the claim-state
    projection at each scrape."""
    state.metrics.claim_statuses(status_counts(state.engine), get_args(Status))
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)


_ACTIVE: dict[str, Any] = {
    "type": "object",
    "required": ["rulesets"],
    "properties": {
        "rulesets": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "status"],
                "properties": {
                    "name": {"type": "string", "description": "the folder under rulesets/"},
                    "status": {"type": "string", "enum": ["active", "unavailable"]},
                    "id": {"type": "string"},
                    "version": {"type": "string"},
                    "content_hash": {"type": "string"},
                    "revision": {"type": "string", "description": "git revision, if any"},
                    "reason": {"type": "string", "description": "why it is unavailable"},
                },
            },
        }
    },
}
_RELOADED: dict[str, Any] = {
    "type": "object",
    "required": ["swapped", "rulesets"],
    "properties": {
        "swapped": {"type": "boolean"},
        "rulesets": {"type": "array", "items": RELOAD_REPORT_SCHEMA},
    },
}
Author = Annotated[Principal, Depends(allow("rule_author", "supervisor"))]
Staff = Annotated[Principal, Depends(allow("adjuster", "supervisor", "auditor", "rule_author"))]


@router.get(
    "/rulesets",
    response_model=None,
    responses={
        200: {"content": {"application/json": {"schema": _ACTIVE}}},
        **problem_responses(401, 403),
    },
)
def active_rulesets(state: State, who: Staff) -> dict[str, Any]:
    """The rulesets in use: id, version, content hash and git revision of each installed one
    (or why it cannot be used)."""
    return {"rulesets": state.rulesets.active()}


@router.post(
    "/rulesets/reload",
    response_model=None,
    responses={
        200: {"content": {"application/json": {"schema": _RELOADED}}},
        **problem_responses(401, 403, 422),
    },
)
def reload_rulesets(state: State, who: Author) -> dict[str, Any]:
    """Load, lint, compile and test every installed ruleset, then swap them all in at once;
    if any fails, none is swapped (422 with every report) and the running versions stay."""
    reports = [report.to_dict() for report in state.rulesets.reload_all()]
    if not reports or not all(report["swapped"] for report in reports):
        raise ProblemError(
            422,
            "the rulesets were not reloaded: the working versions stay in use",
            kind="ruleset-rejected",
            swapped=False,
            rulesets=reports,
        )
    state.claims.reindex_sla()  # the SLA index rows were computed with the old versions
    return {"swapped": True, "rulesets": reports}


@router.post(
    "/rulesets/{name}/reload",
    response_model=ReloadReport,
    responses=problem_responses(401, 403, 404, 422),
)
def reload_ruleset(
    name: Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")],
    state: State,
    who: Author,
) -> dict[str, Any]:
    """Lint, compile and test the ruleset folder again and swap it in only if all pass; a
    refused reload (422) leaves the working ruleset in place."""
    report = state.rulesets.reload(name)
    if not report.swapped:
        raise ProblemError(
            422,
            f"ruleset {name} was not reloaded: the working version stays in use",
            kind="ruleset-rejected",
            **report.to_dict(),
        )
    # The SLA index rows of this ruleset's claims were computed with the old version: they
    # are distrusted (so answers stay exact) until recomputed here.
    state.claims.reindex_sla()
    return report.to_dict()
