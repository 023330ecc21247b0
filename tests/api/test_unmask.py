"""Unmasking personal data: supervisors only, a reason, audited before the answer, and the
audit event holds the field names and the reason but never a value."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import api.unmasking
from api.errors import PROBLEM_JSON
from api.unmasking import PERSONAL_FIELDS, UNMASK_EVENT
from audit.errors import StoreError
from audit.store import events_for_claim, get_event
from audit.verification import verify_store
from engine.masking import PII_MASKS
from tests.api.conftest import Service, example_claim

CLAIM_ID = "CLM-2026-000123"
URL = f"/claims/{CLAIM_ID}/unmask"
REASON = "member asked for a call back about invoice 2"
#: The reference claim's personal data in clear (examples/claim.json).
CLEAR = {
    "member.name": "张三",
    "member.id_number": "11010519491231002X",
    "member.phone": "13812345678",
    "member.bank_card": "6222021234567890128",
}


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == status
    for value in CLEAR.values():  # a refusal never carries clear data
        assert value not in response.text
    return body


def _unmask(service: Service, body: Any, role: str = "supervisor", sub: str = "li.si") -> Any:
    return service.client.post(URL, json=body, headers=service.auth(role, sub))


def _events(service: Service) -> list[Any]:
    """The claim's audit events but its life's (the intake is one: ``life.claim_received``)."""
    events = events_for_claim(service.state.engine, claim_id=CLAIM_ID)
    return [e for e in events if not e.event_type.startswith("life.")]


def _verify(service: Service) -> Any:
    return verify_store(
        service.state.engine,
        verifier_key=service.state.audit.verifier_key(),
        origin=service.state.audit.origin,
    )


def test_personal_fields_are_the_masked_ones() -> None:
    assert set(PERSONAL_FIELDS) == set(PII_MASKS)


def test_unmask_is_audited_without_the_values(any_service: Service) -> None:
    service = any_service
    assert service.intake(example_claim()).status_code == 201
    response = _unmask(service, {"reason": REASON})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["claim_id"] == CLAIM_ID
    assert body["fields"] == CLEAR  # all personal fields by default
    (event,) = _events(service)
    assert body["audit_event"] == {
        "id": event.event_id,
        "seq": event.seq,
        "entry_hash": event.entry_hash,
    }
    assert event.event_type == UNMASK_EVENT
    assert event.actor == "supervisor:li.si"
    assert event.payload_value() == {
        "claim_id": CLAIM_ID,
        "fields": list(CLEAR),
        "reason": REASON,
    }
    read = service.client.get(f"/audit/events/{event.event_id}", headers=service.auth("auditor"))
    assert read.status_code == 200, read.text
    assert read.json()["payload"]["fields"] == list(CLEAR)
    stored = get_event(service.state.engine, event_id=event.event_id)
    for text in (stored.payload, read.text, json.dumps(read.json(), ensure_ascii=False)):
        for value in CLEAR.values():
            assert value not in text
    report = _verify(service)
    assert report.ok and report.events_checked == 2  # the intake (life.claim_received), the unmask
    # the decisions list stays decisions and overrides only
    listed = service.client.get(f"/claims/{CLAIM_ID}/decisions", headers=service.auth("auditor"))
    assert listed.json()["decisions"] == []


def test_field_selection_in_asked_order_each_once(service: Service) -> None:
    service.intake(example_claim())
    response = _unmask(
        service,
        {"reason": REASON, "fields": ["member.phone", "member.name", "member.phone"]},
    )
    assert response.status_code == 200, response.text
    assert list(response.json()["fields"].items()) == [
        ("member.phone", CLEAR["member.phone"]),
        ("member.name", CLEAR["member.name"]),
    ]
    (event,) = _events(service)
    assert event.payload_value()["fields"] == ["member.phone", "member.name"]


def test_a_missing_value_is_null(service: Service) -> None:
    claim = example_claim()
    del claim["member"]["phone"]
    service.intake(claim)
    response = _unmask(service, {"reason": REASON, "fields": ["member.phone", "member.id_number"]})
    assert response.json()["fields"] == {
        "member.phone": None,
        "member.id_number": CLEAR["member.id_number"],
    }


@pytest.mark.parametrize("role", ["adjuster", "auditor", "rule_author", "member"])
def test_only_supervisors_unmask(service: Service, role: str) -> None:
    service.intake(example_claim())
    # the member owns the claim: still not theirs to unmask through staff tooling
    sub = "M-1001" if role == "member" else None
    body = _problem(_unmask(service, {"reason": REASON}, role=role, sub=sub), 403)
    assert "supervisor" in body["detail"]
    assert _events(service) == []


def test_without_a_token_is_401(service: Service) -> None:
    service.intake(example_claim())
    response = service.client.post(URL, json={"reason": REASON})
    _problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_unknown_claim_is_404_for_a_supervisor(service: Service) -> None:
    response = service.client.post(
        "/claims/CLM-NOPE/unmask", json={"reason": REASON}, headers=service.auth("supervisor")
    )
    assert _problem(response, 404)["detail"] == "there is no claim CLM-NOPE"
    assert events_for_claim(service.state.engine, claim_id="CLM-NOPE") == []


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({}, "reason"),
        ({"fields": ["member.phone"]}, "reason"),
        ({"reason": "too short"}, "reason"),
        ({"reason": " " * 20}, "reason"),
        ({"reason": "x" * 4001}, "reason"),
        ({"reason": 1234567890123}, "reason"),
        ({"reason": REASON, "fields": []}, "fields"),
        ({"reason": REASON, "fields": "member.phone"}, "fields"),
        ({"reason": REASON, "fields": ["member.phone", "member.email"]}, "fields[1]"),
        ({"reason": REASON, "fields": ["policy.policy_id"]}, "fields[0]"),
        ({"reason": REASON, "why": "extra"}, "why"),
        ([REASON], ""),
    ],
)
def test_invalid_request_is_422_with_the_path(service: Service, body: Any, path: str) -> None:
    service.intake(example_claim())
    problem = _problem(_unmask(service, body), 422)
    assert path in {e["path"] for e in problem["errors"]}, problem
    assert _events(service) == []


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"{not json", "application/json", 422),
        (b"\xff\xfe", "application/json", 422),
        (b"[" * 100_000, "application/json", 422),
        (b'{"reason": "a good enough reason"}', "text/plain", 415),
        (b'{"reason": "' + b"x" * (1 << 20) + b'"}', "application/json", 413),
    ],
)
def test_bad_body_is_a_problem(
    service: Service, content: bytes, content_type: str, status: int
) -> None:
    service.intake(example_claim())
    headers = {**service.auth("supervisor"), "Content-Type": content_type}
    _problem(service.client.post(URL, content=content, headers=headers), status)
    assert _events(service) == []


def test_no_data_when_the_audit_append_fails(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.intake(example_claim())

    def failing(*_args: Any, **_kwargs: Any) -> Any:
        raise StoreError("disk full")

    monkeypatch.setattr(api.unmasking, "append_event", failing)
    body = _problem(_unmask(service, {"reason": REASON}), 503)
    assert "audit trail is unavailable" in body["detail"]
    assert "fields" not in body
    assert _events(service) == []


def test_a_reason_that_is_not_text_is_422(service: Service) -> None:
    service.intake(example_claim())
    response = service.client.post(
        URL,
        content=b'{"reason": "lone surrogate \\ud800 in the reason"}',
        headers={**service.auth("supervisor"), "Content-Type": "application/json"},
    )
    assert "reason" in {e["path"] for e in _problem(response, 422)["errors"]}
    assert _events(service) == []


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    fields=st.lists(st.sampled_from(PERSONAL_FIELDS), min_size=1, max_size=len(PERSONAL_FIELDS)),
    reason=st.text(min_size=10, max_size=60).filter(lambda r: r.strip()),
)
def test_answer_holds_exactly_the_asked_fields_and_the_trail_none(
    service: Service, fields: list[str], reason: str
) -> None:
    """Whatever is asked, the answer has those fields (each once) with their clear values,
    the new event names them, and no clear value is ever written to the trail."""
    if service.client.get(f"/claims/{CLAIM_ID}", headers=service.auth("adjuster")).is_error:
        service.intake(example_claim())
    before = len(_events(service))
    response = _unmask(service, {"reason": reason, "fields": fields})
    assert response.status_code == 200, response.text
    asked = list(dict.fromkeys(fields))
    assert response.json()["fields"] == {field: CLEAR[field] for field in asked}
    events = _events(service)
    assert len(events) == before + 1
    assert events[-1].payload_value() == {"claim_id": CLAIM_ID, "fields": asked, "reason": reason}
    for value in CLEAR.values():
        assert value not in events[-1].payload or value in reason
