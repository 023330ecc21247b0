"""The audit trail over HTTP (events, proofs that verify with only the public key,
checkpoints) and the ops endpoints (health, readiness, metrics, request ids, problems)."""

from __future__ import annotations

import json

from api.errors import PROBLEM_JSON
from audit.canonical import canonical_json
from audit.chain import entry_hash_of
from audit.verifier import verify_event_proof
from tests.api.conftest import AS_OF, Service, example_claim

CLAIM_ID = "CLM-2026-000123"


def _decide(service: Service) -> str:
    service.intake(example_claim())
    response = service.client.post(
        f"/claims/{CLAIM_ID}/evaluate", params={"as_of": AS_OF}, headers=service.auth("adjuster")
    )
    assert response.status_code == 200, response.text
    return str(response.json()["event_id"])


def test_proof_verifies_with_the_public_key_alone(service: Service) -> None:
    event_id = _decide(service)
    auditor = service.auth("auditor")
    key = service.client.get("/audit/public-key").json()  # no token needed
    assert key["origin"] == service.state.audit.origin
    proof = service.client.get(f"/audit/events/{event_id}/proof", headers=auditor)
    assert proof.status_code == 200, proof.text
    body = proof.json()
    assert body["verifier_key"] == key["verifier_key"]
    verify_event_proof(
        canonical_json(body["event"]),
        body["proof"],
        body["checkpoint"]["note"],
        key["verifier_key"],
        origin=key["origin"],
        entry_hash_of=entry_hash_of,
    )
    latest = service.client.get("/audit/checkpoints/latest", headers=auditor).json()
    # intake and the decision record the claim's life too: the tree holds more than the decision
    assert latest["tree_size"] >= body["event"]["seq"]
    assert latest["note"] == body["checkpoint"]["note"]


def test_no_checkpoint_yet_is_404(service: Service) -> None:
    response = service.client.get("/audit/checkpoints/latest", headers=service.auth("auditor"))
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON


def test_unknown_event_is_404(service: Service) -> None:
    for path in ("/audit/events/nope", "/audit/events/nope/proof"):
        response = service.client.get(path, headers=service.auth("auditor"))
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM_JSON


def test_health_and_readiness(service: Service) -> None:
    assert service.client.get("/healthz").json() == {"status": "ok"}
    ready = service.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    checks = ready.json()["checks"]
    assert checks["database"] == "ok"
    assert checks["rulesets"]["cn-health"] == "ok"


def test_metrics_count_requests_and_decisions(service: Service) -> None:
    _decide(service)
    text = service.client.get("/metrics").text
    assert 'claims_decisions_total{outcome="approve",source="rules"} 1.0' in text
    assert 'route="/claims/{claim_id}/evaluate"' in text


def test_request_id_is_echoed_or_made(service: Service) -> None:
    given = service.client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = service.client.get("/healthz", headers={"X-Request-ID": "bad id\twith space"})
    assert made.headers["x-request-id"] not in ("", "bad id\twith space")
    problem = service.client.get("/claims/X", headers={"X-Request-ID": "req-9"})
    assert problem.json()["request_id"] == "req-9"


def test_access_log_is_json(service: Service, caplog) -> None:
    with caplog.at_level("INFO", logger="claims.api.access"):
        service.client.get("/healthz", headers={"X-Request-ID": "log-1"})
    entry = json.loads(caplog.records[-1].getMessage())
    assert entry["request_id"] == "log-1" and entry["status"] == 200
    assert entry["route"] == "/healthz"


def test_unknown_route_and_method_are_problems(service: Service) -> None:
    missing = service.client.get("/no/such/thing")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM_JSON
    wrong = service.client.delete("/healthz")
    assert wrong.status_code == 405
    assert wrong.headers["content-type"] == PROBLEM_JSON


def test_openapi_and_docs_are_served(service: Service) -> None:
    schema = service.client.get("/openapi.json").json()
    assert "/claims/{claim_id}/evaluate" in schema["paths"]
    assert service.client.get("/docs").status_code == 200


def test_reading_an_event_is_logged_with_the_reader(service: Service, caplog) -> None:
    event_id = _decide(service)
    with caplog.at_level("INFO", logger="claims.api.disclosure"):
        service.client.get(f"/audit/events/{event_id}", headers=service.auth("auditor", "wang"))
    logged = [
        json.loads(r.getMessage()) for r in caplog.records if r.name == "claims.api.disclosure"
    ]
    assert logged == [{"event": "audit_event_read", "actor": "auditor:wang", "event_id": event_id}]
