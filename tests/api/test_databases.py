"""The core flow on SQLite and on PostgreSQL: intake, idempotency, member isolation,
evaluation appended to the audit trail (which then verifies), override."""

from __future__ import annotations

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
    assert report.ok and report.events_checked == 3 and report.checkpoints_checked == 1
    assert client.get("/readyz").status_code == 200


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
    assert report.ok and report.events_checked == 8
