"""Claims: intake (idempotent), masking per role, member isolation, timeline events,
evaluation into the audit trail, overrides, the SLA sweep; bad input is always a problem."""

from __future__ import annotations

from typing import Any

import pytest

from api.errors import PROBLEM_JSON
from audit.verification import verify_store
from tests.api.conftest import AS_OF, Service, example_claim

CLAIM_ID = "CLM-2026-000123"


def _problem(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == status and body["type"] and body["title"] and body["detail"]
    return body


# --- intake -------------------------------------------------------------------------------


def test_intake_then_same_claim_again_is_200(service: Service) -> None:
    first = service.intake(example_claim())
    assert first.status_code == 201
    assert first.headers["location"] == f"/claims/{CLAIM_ID}"
    # same content, other key order: the stored claim, not a second one
    reordered = dict(reversed(list(example_claim().items())))
    again = service.intake(reordered)
    assert again.status_code == 200
    assert again.json() == first.json()


def test_different_body_for_a_stored_claim_is_409(service: Service) -> None:
    assert service.intake(example_claim()).status_code == 201
    changed = example_claim(currency="USD")
    body = _problem(service.intake(changed), 409)
    assert "different content" in body["detail"]


def test_idempotency_key(service: Service) -> None:
    first = service.intake(example_claim(), **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    assert service.intake(example_claim(), **{"Idempotency-Key": "k-1"}).status_code == 200
    other = example_claim(claim_id="CLM-2026-000999")
    body = _problem(service.intake(other, **{"Idempotency-Key": "k-1"}), 409)
    assert "Idempotency-Key" in body["detail"]
    assert (
        service.client.get("/claims/CLM-2026-000999", headers=service.auth("adjuster")).status_code
        == 404
    )


def test_invalid_claim_is_422_with_every_path(service: Service) -> None:
    claim = example_claim()
    claim["items"][1]["amount"] = "-5.00"
    claim["member"]["id_number"] = "123"
    del claim["currency"]
    body = _problem(service.intake(claim), 422)
    paths = {e["path"] for e in body["errors"]}
    assert {"items[1].amount", "member.id_number", "currency"} <= paths
    assert all(e["reason"] for e in body["errors"])


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"", b"[]", b'"text"', b"\xff\xfe", b'{"a": NaN}', b"[" * 100_000],
)
def test_malformed_body_is_422_never_500(service: Service, content: bytes) -> None:
    response = service.client.post(
        "/claims",
        content=content,
        headers={**service.auth("adjuster"), "Content-Type": "application/json"},
    )
    body = _problem(response, 422)
    assert body["errors"]


def test_wrong_content_type_is_415(service: Service) -> None:
    response = service.client.post(
        "/claims",
        content=b"a=b",
        headers={**service.auth("adjuster"), "Content-Type": "text/plain"},
    )
    _problem(response, 415)


def test_too_large_body_is_413(service: Service) -> None:
    response = service.client.post(
        "/claims",
        content=b" " * (1 << 20) + b"{}",
        headers={**service.auth("adjuster"), "Content-Type": "application/json"},
    )
    _problem(response, 413)


# --- reading: masking and isolation -------------------------------------------------------


@pytest.mark.parametrize("role", ["adjuster", "supervisor", "auditor"])
def test_staff_see_display_masks(service: Service, role: str) -> None:
    service.intake(example_claim())
    member = service.client.get(f"/claims/{CLAIM_ID}", headers=service.auth(role)).json()["member"]
    assert member["id_number"] == "1****************X"
    assert member["phone"] == "138****5678"
    assert member["bank_card"] == "622202*********0128"
    assert member["name"] == "张*"


def test_member_sees_own_claim_with_card_last_4(service: Service) -> None:
    service.intake(example_claim())
    response = service.client.get(f"/claims/{CLAIM_ID}", headers=service.auth("member", "M-1001"))
    assert response.status_code == 200
    member = response.json()["member"]
    assert member["bank_card"] == "***************0128"
    assert member["id_number"] == "1****************X"
    listed = service.client.get("/me/claims", headers=service.auth("member", "M-1001")).json()
    assert [c["claim_id"] for c in listed["claims"]] == [CLAIM_ID]
    assert listed["claims"][0]["claim"]["member"]["bank_card"] == "***************0128"


def test_member_cannot_see_another_members_claim(service: Service) -> None:
    service.intake(example_claim())
    intruder = service.auth("member", "M-2002")
    missing = service.client.get("/claims/CLM-NOPE", headers=intruder)
    for path in (f"/claims/{CLAIM_ID}", f"/me/claims/{CLAIM_ID}/explanation"):
        response = service.client.get(path, headers=intruder)
        body = _problem(response, 404)
        assert "M-1001" not in response.text and "张" not in response.text
        assert body["detail"] == f"there is no claim {path.split('/')[-2 if 'me' in path else -1]}"
    assert missing.status_code == 404
    assert service.client.get("/me/claims", headers=intruder).json()["claims"] == []


def test_unknown_claim_is_404(service: Service) -> None:
    _problem(service.client.get("/claims/CLM-NOPE", headers=service.auth("adjuster")), 404)
    _problem(
        service.client.post("/claims/CLM-NOPE/evaluate", headers=service.auth("adjuster")), 404
    )


# --- timeline events ----------------------------------------------------------------------


def test_append_event(service: Service) -> None:
    service.intake(example_claim())
    event = {
        "type": "documents_requested",
        "at": "2025-06-30T10:00:00+08:00",
        "detail": {"missing": ["medical_record"]},
    }
    response = service.client.post(
        f"/claims/{CLAIM_ID}/events", json=event, headers=service.auth("adjuster")
    )
    assert response.status_code == 201, response.text
    assert response.json()["index"] == 4
    stored = service.client.get(f"/claims/{CLAIM_ID}", headers=service.auth("adjuster")).json()
    assert stored["events"][-1]["type"] == "documents_requested"
    assert stored["state"]["status"] == "awaiting_documents"
    assert stored["state"]["outstanding_documents"] == ["medical_record"]


def test_a_person_cannot_add_what_the_engine_records(service: Service) -> None:
    service.intake(example_claim())
    event = {"type": "claim_decided", "at": "2025-06-30T10:00:00+08:00", "detail": {}}
    response = service.client.post(
        f"/claims/{CLAIM_ID}/events", json=event, headers=service.auth("adjuster")
    )
    body = _problem(response, 409)
    assert body["type"].endswith("/admission") and "evaluate" in body["suggestion"]


@pytest.mark.parametrize(
    ("event", "path"),
    [
        ({"type": "claim_decided", "at": "2025-06-30T10:00:00"}, "events[4].at"),
        ({"type": "Bad Type", "at": "2025-06-30T10:00:00+08:00"}, "events[4].type"),
        ({"at": "2025-06-30T10:00:00+08:00"}, "events[4].type"),
        ({"type": "no_such_event", "at": "2025-06-30T10:00:00+08:00"}, "events[4]"),
        (
            {
                "type": "documents_requested",
                "at": "2025-06-30T10:00:00+08:00",
                "detail": {"missing": ["medical_record"], "x": 1.5},
            },
            None,
        ),
        ([1, 2], ""),
    ],
)
def test_invalid_event_is_422_and_changes_nothing(
    service: Service, event: Any, path: str | None
) -> None:
    service.intake(example_claim())
    before = service.client.get(f"/claims/{CLAIM_ID}", headers=service.auth("adjuster")).json()
    response = service.client.post(
        f"/claims/{CLAIM_ID}/events", json=event, headers=service.auth("adjuster")
    )
    body = _problem(response, 422)
    if path is not None:
        assert path in {e["path"] for e in body["errors"]}, body
    after = service.client.get(f"/claims/{CLAIM_ID}", headers=service.auth("adjuster")).json()
    assert after == before


# --- evaluation, decisions, overrides -----------------------------------------------------


def _evaluate(service: Service, claim_id: str = CLAIM_ID) -> Any:
    return service.client.post(
        f"/claims/{claim_id}/evaluate", params={"as_of": AS_OF}, headers=service.auth("adjuster")
    )


def test_evaluate_appends_the_decision(service: Service) -> None:
    service.intake(example_claim())
    response = _evaluate(service)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["decision"]["outcome"] == "approve"
    assert body["decision"]["amounts"]["payable"] == "3648.40"
    assert body["decision"]["ruleset"]["id"] == "cn-health"
    event = service.client.get(f"/audit/events/{body['event_id']}", headers=service.auth("auditor"))
    assert event.status_code == 200
    assert event.json()["payload"]["decision"] == body["decision"]
    assert event.json()["actor"] == "adjuster:test-adjuster"
    report = verify_store(
        service.state.engine,
        verifier_key=service.state.audit.verifier_key(),
        origin=service.state.audit.origin,
    )
    # the intake, the decision, and the claim's life: rules_decision_made, claim_decided and
    # amount_agreed on the timeline
    assert report.ok and report.events_checked == 5
    listed = service.client.get(f"/claims/{CLAIM_ID}/decisions", headers=service.auth("auditor"))
    assert [d["event_id"] for d in listed.json()["decisions"]] == [body["event_id"]]
    assert listed.json()["decisions"][0]["source"] == "rules"


def test_evaluate_bad_as_of_is_422(service: Service) -> None:
    service.intake(example_claim())
    for value in ("yesterday", "2025-07-01T09:00:00"):
        response = service.client.post(
            f"/claims/{CLAIM_ID}/evaluate",
            params={"as_of": value},
            headers=service.auth("adjuster"),
        )
        body = _problem(response, 422)
        assert body["errors"][0]["path"] == "query.as_of"


def test_override_is_audited_and_explained_as_a_persons_decision(service: Service) -> None:
    service.intake(example_claim())
    _problem(
        service.client.post(
            f"/claims/{CLAIM_ID}/override",
            json={"outcome": "deny", "reason": "evaluate first please"},
            headers=service.auth("supervisor"),
        ),
        409,
    )
    decision = _evaluate(service).json()
    no_reason = service.client.post(
        f"/claims/{CLAIM_ID}/override",
        json={"outcome": "partial"},
        headers=service.auth("supervisor"),
    )
    assert "reason" in {e["path"] for e in _problem(no_reason, 422)["errors"]}
    denied = service.client.post(
        f"/claims/{CLAIM_ID}/override",
        json={"outcome": "partial", "reason": "invoice 2 is a duplicate", "payable": "3200.00"},
        headers=service.auth("auditor"),
    )
    _problem(denied, 403)
    response = service.client.post(
        f"/claims/{CLAIM_ID}/override",
        json={"outcome": "partial", "reason": "invoice 2 is a duplicate", "payable": "3200.00"},
        headers=service.auth("supervisor", "li.si"),
    )
    assert response.status_code == 201, response.text
    override = response.json()
    assert override["source"] == "human" and override["overrides"] == decision["event_id"]
    listed = service.client.get(f"/claims/{CLAIM_ID}/decisions", headers=service.auth("adjuster"))
    assert [d["source"] for d in listed.json()["decisions"]] == ["rules", "human"]
    assert listed.json()["decisions"][1]["actor"] == "supervisor:li.si"
    member = service.auth("member", "M-1001")
    en = service.client.get(
        f"/me/claims/{CLAIM_ID}/explanation", headers={**member, "Accept-Language": "en-GB,en"}
    ).json()
    assert en["decided_by"] == "person" and en["outcome"] == "partial"
    assert "a person" in en["summary"]
    assert en["amounts"]["payable"] == "3200.00"
    zh = service.client.get(f"/me/claims/{CLAIM_ID}/explanation", headers=member).json()
    assert "理赔人员" in zh["summary"]


def test_member_explanation(service: Service) -> None:
    service.intake(example_claim())
    member = service.auth("member", "M-1001")
    before = service.client.get(f"/me/claims/{CLAIM_ID}/explanation", headers=member).json()
    assert before["status"] == "received"
    assert "written_reasons_for_refusal" not in [r["id"] for r in before["rights"]]
    _evaluate(service)
    zh = service.client.get(
        f"/me/claims/{CLAIM_ID}/explanation", headers={**member, "Accept-Language": "zh-CN"}
    ).json()
    assert zh["language"] == "zh" and zh["outcome"] == "approve" and zh["decided_by"] == "rules"
    assert [line["payable"] for line in zh["lines"]] == ["3200.00", "448.40"]
    determination = next(c for c in zh["sla"] if c["id"] == "determination")
    assert determination["due_date"] == "2025-07-23"
    texts = " ".join(r["text"] for r in zh["rights"])
    assert "人工" in texts and "12378" in texts and "30日" in texts
    assert any("PIPL art. 24" in r["legal_basis"] for r in zh["rights"])
    ids = [r["id"] for r in zh["rights"]]
    assert "human_explanation_and_review" in ids and "regulator_hotline" in ids
    assert "written_reasons_for_refusal" not in ids  # approved: nothing was refused
    en = service.client.get(
        f"/me/claims/{CLAIM_ID}/explanation", headers={**member, "Accept-Language": "en;q=0.9"}
    ).json()
    assert en["language"] == "en" and "12378" in " ".join(r["text"] for r in en["rights"])


def test_member_explanation_lists_what_is_missing(service: Service) -> None:
    claim = example_claim()
    claim["events"] = claim["events"][:3]  # documents requested, not yet completed
    claim["documents"] = claim["documents"][:4]
    service.intake(claim)
    _evaluate(service)
    zh = service.client.get(
        f"/me/claims/{CLAIM_ID}/explanation", headers=service.auth("member", "M-1001")
    ).json()
    assert {"document": "discharge_summary"} in zh["missing"]


# --- SLA sweep ----------------------------------------------------------------------------


def test_sla_breaches_most_urgent_first_paginated(service: Service) -> None:
    for n in range(3):
        service.intake(example_claim(claim_id=f"CLM-2026-00010{n}"))
    headers = service.auth("supervisor")
    everything = service.client.get(
        "/sla/breaches", params={"as_of": "2025-09-30T09:00:00+08:00"}, headers=headers
    ).json()
    assert everything["total"] >= 3
    statuses = [c["status"] for c in everything["items"]]
    assert statuses == sorted(statuses, key=lambda s: s != "breached")
    page = service.client.get(
        "/sla/breaches",
        params={"as_of": "2025-09-30T09:00:00+08:00", "page": 2, "size": 2},
        headers=headers,
    ).json()
    assert page["items"] == everything["items"][2:4]
    bad = service.client.get("/sla/breaches", params={"size": 0}, headers=headers)
    assert "query.size" in {e["path"] for e in _problem(bad, 422)["errors"]}


# --- hostile input: a problem, never a 500 ------------------------------------------------


def test_intake_checks_the_timeline_against_the_ruleset(service: Service) -> None:
    claim = example_claim()
    claim["events"].append({"type": "no_such_event", "at": "2025-06-30T10:00:00+08:00"})
    body = _problem(service.intake(claim), 422)
    assert body["errors"][0]["path"] == "events[4]"
    assert "no_such_event" in body["errors"][0]["reason"]


def test_overlong_ids_are_422(service: Service) -> None:
    claim = example_claim(claim_id="C" * 129)
    claim["member"]["member_id"] = "M" * 129
    body = _problem(service.intake(claim), 422)
    assert {e["path"] for e in body["errors"]} == {"claim_id", "member.member_id"}


def test_deeply_nested_input_is_422(service: Service) -> None:
    service.intake(example_claim())
    detail: dict[str, Any] = {}
    event = {"type": "claim_decided", "at": "2025-06-30T10:00:00+08:00", "detail": detail}
    for _ in range(900):
        detail["x"] = {}
        detail = detail["x"]
    response = service.client.post(
        f"/claims/{CLAIM_ID}/events", json=event, headers=service.auth("adjuster")
    )
    _problem(response, 422)
    claim = example_claim(claim_id="CLM-DEEP")
    claim["events"][0]["detail"] = event["detail"]
    _problem(service.intake(claim), 422)


def test_override_with_malformed_json_is_422(service: Service) -> None:
    service.intake(example_claim())
    response = service.client.post(
        f"/claims/{CLAIM_ID}/override",
        content=b"{bad",
        headers={**service.auth("supervisor"), "Content-Type": "application/json"},
    )
    assert _problem(response, 422)["errors"][0]["path"] == ""
    extra = service.client.post(
        f"/claims/{CLAIM_ID}/override",
        json={"outcome": "deny", "reason": "long enough reason", "extra": 1},
        headers=service.auth("supervisor"),
    )
    assert "extra" in {e["path"] for e in _problem(extra, 422)["errors"]}
