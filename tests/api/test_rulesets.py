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


def test_active_rulesets_name_their_identity(service: Service) -> None:
    response = service.client.get("/rulesets", headers=service.auth("auditor"))
    assert response.status_code == 200, response.text
    listed = {r["name"]: r for r in response.json()["rulesets"]}
    assert set(listed) == {"cn-complaints", "cn-health", "us-erisa"}
    health = listed["cn-health"]
    assert health["status"] == "active"
    assert {"id", "version", "content_hash", "revision"} <= set(health)
    service.intake(example_claim())
    assert _hash_of_decision(service) == health["content_hash"]


def test_active_rulesets_are_for_staff_only(service: Service) -> None:
    assert service.client.get("/rulesets").status_code == 401
    member = service.auth("member", "M-1")
    assert service.client.get("/rulesets", headers=member).status_code == 403


def test_reload_all_swaps_every_ruleset_at_once(own_rulesets: tuple[Service, Path]) -> None:
    service, root = own_rulesets
    before = {
        r["name"]: r["content_hash"]
        for r in service.client.get("/rulesets", headers=service.auth("adjuster")).json()[
            "rulesets"
        ]
    }
    for name in ("cn-health", "us-erisa"):
        path = root / name / "ruleset.yaml"
        path.write_text(path.read_text(encoding="utf-8") + "\n# reviewed\n", encoding="utf-8")
    response = service.client.post("/rulesets/reload", headers=service.auth("rule_author"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["swapped"] is True
    reports = {r["ruleset"]: r for r in body["rulesets"]}
    assert set(reports) == set(before)
    assert all(r["swapped"] and r["tests"]["failed"] == 0 for r in reports.values())
    after = {
        r["name"]: r["content_hash"]
        for r in service.client.get("/rulesets", headers=service.auth("adjuster")).json()[
            "rulesets"
        ]
    }
    assert after["cn-health"] != before["cn-health"] and after["us-erisa"] != before["us-erisa"]
    assert after["cn-complaints"] == before["cn-complaints"]
    assert reports["cn-health"]["content_hash"] == after["cn-health"]


def test_reload_all_swaps_none_when_one_ruleset_fails(
    own_rulesets: tuple[Service, Path],
) -> None:
    """A release is all or nothing: one broken ruleset keeps every working version in use."""
    service, root = own_rulesets
    service.intake(example_claim())
    working = _hash_of_decision(service)
    health = root / "cn-health" / "ruleset.yaml"
    health.write_text(health.read_text(encoding="utf-8") + "\n# reviewed\n", encoding="utf-8")
    erisa = root / "us-erisa" / "ruleset.yaml"
    erisa.write_text(erisa.read_text(encoding="utf-8") + "\nrules: [unclosed\n", encoding="utf-8")
    response = service.client.post("/rulesets/reload", headers=service.auth("supervisor"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["swapped"] is False
    reports = {r["ruleset"]: r for r in body["rulesets"]}
    assert reports["us-erisa"]["swapped"] is False and reports["us-erisa"]["diagnostics"]
    assert reports["cn-health"]["swapped"] is False
    assert "another ruleset" in reports["cn-health"]["failures"][0]
    assert _hash_of_decision(service) == working  # cn-health was not swapped in


def test_reload_all_roles(service: Service) -> None:
    for role in ("adjuster", "auditor", "member"):
        response = service.client.post("/rulesets/reload", headers=service.auth(role))
        assert response.status_code == 403, role
