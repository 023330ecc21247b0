"""Schema fuzzing of the whole API with schemathesis, in process, once per role.

Every operation of ``/openapi.json`` is called with generated parameters and bodies under a
bearer token of each role; no answer may be a 5xx and every answer must conform to the
documented schema (status code, content type, body). The database holds one claim (the
reference example, evaluated once) and half the generated cases aim at it, so that the
operations on a claim run past the 404. Bounded: a few
examples per operation, no deadline.

The operations are walked by hand (``get_all_operations`` + ``as_strategy``) rather than with
``schemathesis.pytest.from_fixture``: its lazy schemas cannot be combined with a
parametrized role.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.auth import ROLES
from tests.api.conftest import AS_OF, Service, example_claim

CLAIM_ID = "CLM-2026-000123"  # the reference claim, stored and evaluated before fuzzing
MEMBER = "M-1001"  # the reference claim's member: the member token sees it
EXAMPLES = 15  # per operation and role


def _seed(service: Service) -> None:
    claim = example_claim()
    assert claim["claim_id"] == CLAIM_ID
    assert service.intake(claim).status_code == 201
    evaluated = service.client.post(
        f"/claims/{claim['claim_id']}/evaluate",
        params={"as_of": AS_OF},
        headers=service.auth("adjuster"),
    )
    assert evaluated.status_code == 200, evaluated.text


@pytest.mark.parametrize("role", ROLES)
def test_api_conforms_to_its_schema(service: Service, role: str) -> None:
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    _seed(service)
    schema = schemathesis.openapi.from_asgi("/openapi.json", service.client.app)
    headers = service.auth(role, MEMBER if role == "member" else None)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy(), seeded=st.booleans())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any, seeded: bool) -> None:
            if seeded and "claim_id" in (case.path_parameters or {}):
                case.path_parameters["claim_id"] = CLAIM_ID  # reach the stored claim too
            case.call_and_validate(
                headers=headers, checks=[not_a_server_error, response_schema_conformance]
            )

        try:
            check()
        except Exception as exc:  # every failing operation is reported, not just the first
            failures.append(f"{operation.label}: {exc}")
    assert operations >= 10
    assert not failures, "\n\n".join(failures)
