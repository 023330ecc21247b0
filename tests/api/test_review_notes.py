"""Review notes over HTTP: drafted on the latest audited decision, guarded, audited.

The template provider is the embedded default; an unreachable model endpoint must fall back
to the template without failing the request; a note never changes the decision; the audited
``review_note`` event holds the hashes and the note and no personal data.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from audit.verification import verify_store
from tests.api.conftest import AS_OF, Service, _service, example_claim

CLAIM_ID = "CLM-2026-000123"
PERSONAL = ("11010519491231002X", "13812345678", "6222021234567890128", "张三")


def _decide(service: Service) -> dict:
    assert service.intake(example_claim()).status_code == 201
    answer = service.client.post(
        f"/claims/{CLAIM_ID}/evaluate", params={"as_of": AS_OF}, headers=service.auth("adjuster")
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_note_on_the_latest_decision_is_audited(any_service: Service) -> None:
    service = any_service
    decided = _decide(service)
    answer = service.client.post(
        f"/claims/{CLAIM_ID}/review-notes", headers=service.auth("adjuster")
    )
    assert answer.status_code == 201, answer.text
    entry = answer.json()
    assert entry["provider"] == "template" and entry["verdict"] == "pass"
    assert entry["decision_event"] == decided["event_id"]
    assert entry["note"]["decision_echo"] == decided["decision"]["outcome"]
    assert entry["prompt_template_hash"].startswith("sha256:")
    assert entry["output_hash"].startswith("sha256:")
    event = service.client.get(
        f"/audit/events/{entry['event_id']}", headers=service.auth("auditor")
    )
    assert event.status_code == 200
    recorded = json.dumps(event.json(), ensure_ascii=False)
    assert "review_note" in recorded
    for value in PERSONAL:
        assert value not in recorded
    listed = service.client.get(
        f"/claims/{CLAIM_ID}/review-notes", headers=service.auth("supervisor")
    ).json()
    assert [n["event_id"] for n in listed["review_notes"]] == [entry["event_id"]]
    report = verify_store(
        service.state.engine,
        verifier_key=service.state.audit.verifier_key(),
        origin=service.state.audit.origin,
    )
    # intake, the decision and its life (rules_decision_made, claim_decided, amount_agreed),
    # the note
    assert report.ok and report.events_checked == 6


def test_language_and_body_validation(service: Service) -> None:
    _decide(service)
    headers = service.auth("adjuster")
    en = service.client.post(
        f"/claims/{CLAIM_ID}/review-notes", json={"language": "en"}, headers=headers
    )
    assert en.status_code == 201 and en.json()["language"] == "en"
    bad = service.client.post(
        f"/claims/{CLAIM_ID}/review-notes", json={"language": "fr"}, headers=headers
    )
    assert bad.status_code == 422
    extra = service.client.post(
        f"/claims/{CLAIM_ID}/review-notes", json={"outcome": "approve"}, headers=headers
    )
    assert extra.status_code == 422
    listed = service.client.get(f"/claims/{CLAIM_ID}/review-notes", headers=headers).json()
    assert len(listed["review_notes"]) == 1  # the rejected requests drafted nothing


def test_undecided_unknown_and_roles(service: Service) -> None:
    assert service.intake(example_claim()).status_code == 201
    url = f"/claims/{CLAIM_ID}/review-notes"
    undecided = service.client.post(url, headers=service.auth("adjuster"))
    assert undecided.status_code == 409
    assert "evaluate" in undecided.json()["detail"]
    missing = service.client.post("/claims/NOPE/review-notes", headers=service.auth("adjuster"))
    assert missing.status_code == 404
    for role in ("member", "auditor", "rule_author"):
        sub = "M-1001" if role == "member" else None
        assert service.client.post(url, headers=service.auth(role, sub)).status_code == 403
        assert service.client.get(url, headers=service.auth(role, sub)).status_code == 403
    assert service.client.post(url).status_code == 401


@pytest.fixture
def unreachable_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    """A service whose model endpoint refuses connections (nothing listens on port 9)."""
    yield from _service(
        f"sqlite:///{tmp_path / 'claims.db'}",
        tmp_path,
        monkeypatch,
        assist_provider="openai",
        assist_model="qwen2.5-7b-instruct",
        assist_base_url="http://127.0.0.1:9/v1",
        assist_timeout_s=2,
        assist_max_retries=0,
    )


def test_model_failure_falls_back_and_never_changes_the_decision(
    unreachable_model: Service,
) -> None:
    service = unreachable_model
    decided = _decide(service)
    answer = service.client.post(
        f"/claims/{CLAIM_ID}/review-notes", headers=service.auth("adjuster")
    )
    assert answer.status_code == 201, answer.text
    entry = answer.json()
    assert entry["provider"] == "openai" and entry["model"] == "qwen2.5-7b-instruct"
    assert entry["verdict"] == "fallback" and entry["reasons"]
    assert entry["note"]["decision_echo"] == decided["decision"]["outcome"]
    history = service.client.get(
        f"/claims/{CLAIM_ID}/decisions", headers=service.auth("adjuster")
    ).json()["decisions"]
    assert [d["event_id"] for d in history] == [decided["event_id"]]
    metrics = service.client.get("/metrics").text
    assert 'claims_review_notes_total{provider="openai",verdict="fallback"} 1.0' in metrics
