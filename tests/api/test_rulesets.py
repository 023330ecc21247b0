"""Reloading a ruleset: lint, compile and test first; a broken ruleset never replaces a
working one, and decisions record the snapshot they were made with."""

from __future__ import annotations

from pathlib import Path

from api.errors import PROBLEM_JSON
from tests.api.conftest import AS_OF, Service, example_claim

CLAIM_ID = "CLM-2026-000123"


def _hash_of_decision(service: Service) -> str:
    response = service.client.post(
        f"/claims/{CLAIM_ID}/evaluate", params={"as_of": AS_OF}, headers=service.auth("adjuster")
    )
    assert response.status_code == 200, response.text
    return str(response.json()["decision"]["ruleset"]["content_hash"])


def test_broken_ruleset_never_replaces_the_working_one(
    own_rulesets: tuple[Service, Path],
) -> None:
    service, root = own_rulesets
    service.intake(example_claim())
    working = _hash_of_decision(service)
    ruleset = root / "cn-health" / "ruleset.yaml"
    original = ruleset.read_text(encoding="utf-8")
    ruleset.write_text(original.replace("policy.status", "policy.stauts", 1), encoding="utf-8")
    author = service.auth("rule_author")
    refused = service.client.post("/rulesets/cn-health/reload", headers=author)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == PROBLEM_JSON
    body = refused.json()
    assert body["swapped"] is False and any("E-PATH" in d for d in body["diagnostics"])
    assert _hash_of_decision(service) == working

    ruleset.write_text(original + "\n# reviewed\n", encoding="utf-8")
    accepted = service.client.post("/rulesets/cn-health/reload", headers=author)
    assert accepted.status_code == 200, accepted.text
    report = accepted.json()
    assert report["swapped"] is True and report["tests"]["failed"] == 0
    assert report["previous_hash"] == working and report["content_hash"] != working
    assert _hash_of_decision(service) == report["content_hash"]


def test_failing_ruleset_tests_block_the_reload(own_rulesets: tuple[Service, Path]) -> None:
    service, root = own_rulesets
    tests = sorted((root / "cn-health" / "tests").glob("*.yaml"))[0]
    text = tests.read_text(encoding="utf-8")
    assert "outcome: approve" in text
    tests.write_text(text.replace("outcome: approve", "outcome: deny", 1), encoding="utf-8")
    response = service.client.post("/rulesets/cn-health/reload", headers=service.auth("supervisor"))
    assert response.status_code == 422, response.text
    assert response.json()["tests"]["failed"] >= 1 and response.json()["failures"]


def test_reload_roles_and_names(service: Service) -> None:
    assert (
        service.client.post(
            "/rulesets/cn-health/reload", headers=service.auth("adjuster")
        ).status_code
        == 403
    )
    author = service.auth("rule_author")
    assert service.client.post("/rulesets/nope/reload", headers=author).status_code == 404
    bad = service.client.post("/rulesets/..%2Fetc/reload", headers=author)
    assert bad.status_code in (404, 422)
