"""The core flow on SQLite and on PostgreSQL: intake, idempotency, member isolation,
evaluation appended to the audit trail (which then verifies), override."""

from __future__ import annotations

from sqlalchemy import text

from audit.verification import verify_store
from tests.api.conftest import AS_OF, Service, example_claim

CLAIM_ID = "CLM-2026-000123"


def test_core_flow(any_service: Service) -> None:
    service = any_service
    client = service.client
    assert service.intake(example_claim(), **{"Idempotency-Key": "k"}).status_code == 201
    assert service.intake(example_claim(), **{"Idempotency-Key": "k"}).status_code == 200
    assert service.intake(example_claim(currency="USD")).status_code == 409
    assert (
        client.get(f"/claims/{CLAIM_ID}", headers=service.auth("member", "M-9")).status_code == 404
    )
    for _ in range(2):
        response = client.post(
            f"/claims/{CLAIM_ID}/evaluate",
            params={"as_of": AS_OF},
            headers=service.auth("adjuster"),
        )
        assert response.status_code == 200, response.text
    override = client.post(
        f"/claims/{CLAIM_ID}/override",
        json={"outcome": "refer", "reason": "second opinion needed"},
        headers=service.auth("supervisor"),
    )
    assert override.status_code == 201, override.text
    decisions = client.get(f"/claims/{CLAIM_ID}/decisions", headers=service.auth("auditor"))
    assert [d["source"] for d in decisions.json()["decisions"]] == ["rules", "rules", "human"]
    report = verify_store(
        service.state.engine,
        verifier_key=service.state.audit.verifier_key(),
        origin=service.state.audit.origin,
    )
    # intake; twice the decision with rules_decision_made (the first also writes claim_decided
    # and amount_agreed); the override proposed, effective at once (it pays nothing more) and
    # what it writes on the timeline: claim_decided is not rewritten for a refer
    assert report.ok and report.events_checked == stored_events(service) >= 9
    assert client.get("/readyz").status_code == 200


def stored_events(service: Service) -> int:
    with service.state.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one())


def test_concurrent_intake_and_evaluation(any_service: Service) -> None:
    """Eight clients send the same claim at once: one 201, the rest 200, nothing else; then
    eight evaluations at once all land in one unbroken chain."""
    from concurrent.futures import ThreadPoolExecutor

    service = any_service
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda _: service.intake(example_claim()).status_code, range(8)))
    assert sorted(codes) == [200] * 7 + [201]

    def evaluate(_: int) -> int:
        return service.client.post(
            f"/claims/{CLAIM_ID}/evaluate",
            params={"as_of": AS_OF},
            headers=service.auth("adjuster"),
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(evaluate, range(8))) == [200] * 8
    report = verify_store(
        service.state.engine,
        verifier_key=service.state.audit.verifier_key(),
        origin=service.state.audit.origin,
    )
    # the intake; each decision with its rules_decision_made; the first one's claim_decided
    # and amount_agreed (the others decide the same)
    assert report.ok and report.events_checked == 1 + 8 * 2 + 2
