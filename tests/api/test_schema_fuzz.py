"""Schema fuzzing of the whole API with schemathesis, in process, once per role.

Every operation of ``/openapi.json`` gets what ``schemathesis run`` sends it: the coverage
phase (boundary values, every kind of invalid value, undeclared methods and content types,
a missing token) and the fuzzing phase (generated valid and invalid parameters and bodies),
under a bearer token of each role. Every answer goes through all of schemathesis' default
checks: no 5xx, only documented status codes, content types and headers, bodies matching
the documented schema (problems included), invalid data rejected, valid data accepted,
authentication enforced, 405 with ``Allow`` for undeclared methods. The database holds one
claim (the reference example, evaluated once, so it has an audit event); the coverage cases
are sent again and half the fuzzing cases are aimed at that claim, its event and the bundled
ruleset, so that operations run past the 404. Bounded: a few fuzzing examples per
operation, no deadline.

The operations are walked by hand (``get_all_operations``, ``iter_coverage_cases``,
``as_strategy``) rather than with ``schemathesis.pytest.from_fixture``: its lazy schemas
cannot be combined with a parametrized role. The stateful phase has nothing to follow: the
schema declares no links.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.auth import ROLES
from api.errors import PROBLEM_JSON
from tests.api.conftest import AS_OF, Service, example_claim

CLAIM_ID = "CLM-2026-000123"  # the reference claim, stored and evaluated before fuzzing
MEMBER = "M-1001"  # the reference claim's member: the member token sees it
EXAMPLES = 15  # fuzzing cases per operation and role

#: ``positive_data_acceptance`` expects every request that matches the schema to succeed (or
#: 401/403/404/409). These two bodies are accepted only when they pass what no JSON Schema
#: can state: a claim's cross-field rules (dates in order, line ids unique, amounts adding
#: up) and, for both, the timeline checks of the ruleset the claim is routed to (its event
#: types, clocks stopped after they started). A schema-valid body is rightly refused there
#: with a 422 problem naming the path. Every other check still runs on them.
#: The claim's life is refused likewise on what the claim's state says at that moment: an
#: If-Match that is not the current ETag or decision (428/412/409), a line's bound, what is
#: left to pay, the ruleset's lifecycle rules, an override already waiting (422/409).
LENIENT_SCHEMA = {
    "POST /claims",
    "POST /claims/{claim_id}/events",
    "PATCH /claims/{claim_id}",
    "POST /claims/{claim_id}/documents",
    "POST /claims/{claim_id}/events/{index}/void",
    "POST /claims/{claim_id}/override",
    "POST /claims/{claim_id}/overrides",
    "POST /claims/{claim_id}/overrides/{override_id}/approve",
    "POST /claims/{claim_id}/overrides/{override_id}/reject",
    "POST /claims/{claim_id}/payments",
    "POST /claims/{claim_id}/appeals",
}


def _seed(service: Service) -> dict[str, str]:
    """Store and evaluate the reference claim; the path parameters that reach it."""
    claim = example_claim()
    assert claim["claim_id"] == CLAIM_ID
    assert service.intake(claim).status_code == 201
    evaluated = service.client.post(
        f"/claims/{claim['claim_id']}/evaluate",
        params={"as_of": AS_OF},
        headers=service.auth("adjuster"),
    )
    assert evaluated.status_code == 200, evaluated.text
    return {"claim_id": CLAIM_ID, "event_id": evaluated.json()["event_id"], "name": "cn-health"}


def _pinned(operation: Any, seeds: dict[str, str]) -> dict[str, str]:
    """The seeded values of the operation's path parameters."""
    names = {p.name for p in operation.iter_parameters() if p.location == ParameterLocation.PATH}
    return {name: value for name, value in seeds.items() if name in names}


def _coverage(
    schema: Any, operation: Any, auth: dict[str, str], pinned: dict[str, str]
) -> Callable[[Callable[[Any], None]], None]:
    """Send the coverage phase's cases as generated, then aimed at the seeded data."""

    def run(validate: Callable[[Any], None]) -> None:
        config = schema.config.generation_for(operation=operation, phase="coverage")
        for aim in ({}, pinned) if pinned else ({},):
            for case in schema.iter_coverage_cases(
                operation, generation_modes=list(GenerationMode), generation_config=config
            ):
                if "Authorization" in (case.headers or {}):  # absent: the missing-token case
                    case.headers.update(auth)
                if aim and not case.meta.is_negative_at(ParameterLocation.PATH):
                    case.path_parameters = {**(case.path_parameters or {}), **aim}
                validate(case)

    return run


def _fuzzing(
    operation: Any, auth: dict[str, str], pinned: dict[str, str]
) -> Callable[[Callable[[Any], None]], None]:
    """Generated positive and negative cases, half of them aimed at the seeded data.

    The token is a fixed header, not a generated one: a negative case "without the
    Authorization header" would otherwise be sent with it and wrongly expected to fail.
    """
    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(operation.as_strategy(generation_mode=mode, headers=auth))
        if pinned:
            strategies.append(
                operation.as_strategy(generation_mode=mode, headers=auth, path_parameters=pinned)
            )

    def run(validate: Callable[[Any], None]) -> None:
        @given(case=st.one_of(strategies))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            validate(case)

        check()

    return run


def _validate(case: Any, *, auth: dict[str, str], excluded: list[Any]) -> None:
    """Send ``case`` and run every default check on the answer but ``excluded``.

    The token also goes to the checks, so ``ignored_auth`` knows it is the caller's own and
    probes the operation without it and with a bad one.
    """
    headers = auth if "Authorization" in (case.headers or {}) else None
    case.call_and_validate(headers=headers, excluded_checks=excluded)


@pytest.mark.parametrize("role", ROLES)
def test_api_conforms_to_its_schema(service: Service, role: str) -> None:
    seeds = _seed(service)
    schema = schemathesis.openapi.from_asgi("/openapi.json", service.client.app)
    auth = service.auth(role, MEMBER if role == "member" else None)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        excluded = [positive_data_acceptance] if operation.label in LENIENT_SCHEMA else []
        pinned = _pinned(operation, seeds)
        validate = functools.partial(_validate, auth=auth, excluded=excluded)
        phases = {
            "coverage": _coverage(schema, operation, auth, pinned),
            "fuzzing": _fuzzing(operation, auth, pinned),
        }
        for phase, run in phases.items():
            try:
                run(validate)
            # schemathesis reports a BaseExceptionGroup; every failing operation is reported
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operation.label} ({phase}): {exc}")
    assert operations >= 10
    assert not failures, "\n\n".join(failures)


# --- what the fuzzing found, pinned -----------------------------------------------------


def test_openapi_documents_problems_not_fastapi_validation_errors(service: Service) -> None:
    document = service.client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "Problem" in schemas
    unmask = document["paths"]["/claims/{claim_id}/unmask"]["post"]["responses"]
    assert set(unmask) == {"200", "401", "403", "404", "413", "415", "422", "503"}
    for status in ("401", "422"):
        assert unmask[status]["content"] == {
            PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
    assert unmask["401"]["headers"]["WWW-Authenticate"]["required"] is True
    assert unmask["200"]["headers"]["X-Request-ID"]["required"] is True


def test_405_allows_every_method_of_the_path(service: Service) -> None:
    response = service.client.delete(
        f"/claims/{CLAIM_ID}/review-notes", headers=service.auth("adjuster")
    )
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["allow"] == "GET, POST"


@pytest.mark.parametrize(
    "as_of", ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "1899-12-31T12:00:00Z"]
)
def test_as_of_outside_the_years_is_422_not_500(service: Service, as_of: str) -> None:
    _seed(service)
    headers = service.auth("supervisor")
    for response in (
        service.client.post(
            f"/claims/{CLAIM_ID}/evaluate", params={"as_of": as_of}, headers=headers
        ),
        service.client.get("/sla/breaches", params={"as_of": as_of}, headers=headers),
    ):
        assert response.status_code == 422, response.text
        assert response.json()["errors"] == [
            {"path": "query.as_of", "reason": "must fall in the years 1900-2999"}
        ]


@pytest.mark.parametrize("content", [b"\xff\xfe", b"[" * 100_000])
def test_model_body_that_is_not_json_is_422_like_the_others(
    service: Service, content: bytes
) -> None:
    _seed(service)
    response = service.client.post(
        f"/claims/{CLAIM_ID}/override",
        content=content,
        headers={**service.auth("supervisor"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["errors"][0]["path"] == ""
