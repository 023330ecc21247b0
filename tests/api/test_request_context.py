"""The request-context middleware (:mod:`api.request_context`): request ids, metrics by route
template, the JSON access log, and unhandled errors.

``tests/api/test_audit_ops.py`` covers the basics (an id echoed, a malformed one replaced, the
access log's request id, status and route); these tests cover the rest of the contract.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest

from api.errors import PROBLEM_JSON
from tests.api.conftest import Service

_NEW_ID = re.compile(r"[0-9a-f]{32}")


def _requests_counted(service: Service, method: str, route: str, status: int) -> float:
    """The ``claims_http_requests_total`` sample of one method, route template and status."""
    sample = f'claims_http_requests_total{{method="{method}",route="{route}",status="{status}"}} '
    for line in service.client.get("/metrics").text.splitlines():
        if line.startswith(sample):
            return float(line[len(sample) :])
    return 0.0


def _access_entries(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "claims.api.access"]


def _boom() -> None:
    raise RuntimeError("an internal detail the caller must not see")


# --- X-Request-ID -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    ["a", "A" * 128, "Req.1_2:3-4", "0123456789abcdef0123456789abcdef"],
)
def test_well_formed_request_id_is_echoed(service: Service, given: str) -> None:
    response = service.client.get("/healthz", headers={"X-Request-ID": given})
    assert response.headers["x-request-id"] == given


@pytest.mark.parametrize(
    "given",
    ["A" * 129, "has space", "slash/inside", 'quote"d', "semi;colon", "é".encode(), ""],
)
def test_malformed_request_id_is_replaced_by_a_new_one(
    service: Service, given: str | bytes
) -> None:
    response = service.client.get("/healthz", headers={"X-Request-ID": given})
    assert _NEW_ID.fullmatch(response.headers["x-request-id"])


def test_every_request_without_an_id_gets_its_own(service: Service) -> None:
    ids = [service.client.get("/healthz").headers["x-request-id"] for _ in range(3)]
    assert all(_NEW_ID.fullmatch(i) for i in ids)
    assert len(set(ids)) == 3


@pytest.mark.parametrize(
    ("path", "auth", "status"),
    [
        ("/claims/NO-SUCH-CLAIM", "adjuster", 404),  # a route's own problem
        ("/claims/NO-SUCH-CLAIM", None, 401),  # no token
        ("/no/such/route", None, 404),  # no route at all
    ],
)
@pytest.mark.parametrize("given", [None, "caller-id-7", "bad id"])
def test_problem_carries_the_request_id_of_its_header(
    service: Service, path: str, auth: str | None, status: int, given: str | None
) -> None:
    headers = service.auth(auth) if auth else {}
    if given is not None:
        headers["X-Request-ID"] = given
    response = service.client.get(path, headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["request_id"] == response.headers["x-request-id"]
    if given == "caller-id-7":
        assert response.headers["x-request-id"] == given


# --- metrics ----------------------------------------------------------------------------------


def test_requests_are_counted_under_the_route_template(service: Service) -> None:
    for claim_id in ("CLM-A", "CLM-B"):
        response = service.client.get(f"/claims/{claim_id}", headers=service.auth("adjuster"))
        assert response.status_code == 404
    assert _requests_counted(service, "GET", "/claims/{claim_id}", 404) == 2.0
    metrics = service.client.get("/metrics").text
    assert "CLM-A" not in metrics and "CLM-B" not in metrics  # raw paths never become labels


def test_unmatched_paths_are_counted_together(service: Service) -> None:
    for path in ("/no/such/route", "/another/one"):
        assert service.client.get(path).status_code == 404
    assert _requests_counted(service, "GET", "<unmatched>", 404) == 2.0
    assert "/no/such/route" not in service.client.get("/metrics").text


def test_request_duration_is_observed_per_route_template(service: Service) -> None:
    service.client.get("/claims/CLM-A", headers=service.auth("adjuster"))
    metrics = service.client.get("/metrics").text
    count = re.search(
        r'^claims_http_request_duration_seconds_count\{method="GET",route="/claims/\{claim_id\}"\}'
        r" (\S+)$",
        metrics,
        re.MULTILINE,
    )
    assert count is not None and float(count.group(1)) == 1.0


# --- access log -------------------------------------------------------------------------------


def test_access_log_line_describes_the_request(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="claims.api.access"):
        response = service.client.get(
            "/claims/CLM-LOG", headers={**service.auth("adjuster"), "X-Request-ID": "log-2"}
        )
    (entry,) = _access_entries(caplog)
    assert entry == {
        "event": "request",
        "request_id": "log-2",
        "method": "GET",
        "path": "/claims/CLM-LOG",
        "route": "/claims/{claim_id}",
        "status": response.status_code,
        "duration_ms": entry["duration_ms"],
    }
    assert isinstance(entry["duration_ms"], int | float) and entry["duration_ms"] >= 0


def test_access_log_names_the_made_request_id_and_unmatched_route(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="claims.api.access"):
        response = service.client.post("/nowhere", headers={"X-Request-ID": "bad id"})
    (entry,) = _access_entries(caplog)
    assert entry["request_id"] == response.headers["x-request-id"] != "bad id"
    assert (entry["method"], entry["path"], entry["route"]) == ("POST", "/nowhere", "<unmatched>")
    assert entry["status"] == 404


# --- unhandled errors -------------------------------------------------------------------------


def test_unhandled_error_is_a_500_problem_with_the_request_id(
    service: Service, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import api.claim_states.operations as life_ops

    monkeypatch.setattr(life_ops, "decide", lambda *_a, **_k: _boom())
    with caplog.at_level(logging.INFO, logger="claims.api.access"):
        response = service.client.post(
            "/claims/CLM-X/evaluate",
            headers={**service.auth("adjuster"), "X-Request-ID": "boom-1"},
        )
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["request_id"] == "boom-1"
    assert response.headers["x-request-id"] == "boom-1"
    assert "internal detail" not in response.text
    (entry,) = _access_entries(caplog)
    assert (entry["request_id"], entry["status"]) == ("boom-1", 500)
    assert _requests_counted(service, "POST", "/claims/{claim_id}/evaluate", 500) == 1.0


def test_unhandled_error_in_an_added_route_is_counted_as_500(service: Service) -> None:
    app: Any = service.client.app
    app.add_api_route("/boom", _boom, methods=["GET"])
    response = service.client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["request_id"] == response.headers["x-request-id"]
    assert _requests_counted(service, "GET", "/boom", 500) == 1.0
