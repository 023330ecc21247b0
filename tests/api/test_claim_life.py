"""The claim's life endpoints one by one: a whole life (intake → documents requested →
document received → decided → approved override → paid → appeal → decided again) with what
the member sees at each step, and every refusal as a problem (unknown claim, wrong role,
missing and stale ETag, bad patch, a stale decision, a line above its bound, self-approval,
over-payment, a lifecycle rule, a void without a reason)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from api.cli import main
from api.settings import get_settings
from tests.api.conftest import Service, example_claim

CLAIM_ID = "CLM-LIFE-WALK"
PATCH = "application/merge-patch+json"


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _pending_claim() -> dict[str, Any]:
    """The reference claim before its discharge summary arrived."""
    claim = example_claim(claim_id=CLAIM_ID)
    claim["documents"] = [d for d in claim["documents"] if d["type"] != "discharge_summary"]
    claim["events"] = [e for e in claim["events"] if e["type"] != "documents_completed"]
    return claim


def _problem(response: Any, status: int, kind: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    if kind is not None:
        assert body["type"].endswith("/" + kind), body
    return body


class Walk:
    def __init__(self, service: Service) -> None:
        self.service = service
        self.client = service.client
        self.adjuster = service.auth("adjuster", "li")
        self.supervisor = service.auth("supervisor", "wang")
        self.member = {**service.auth("member", "M-1001"), "Accept-Language": "en"}

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.client.post(
            f"/claims/{CLAIM_ID}{path}", json=body, headers={**self.adjuster, **headers}
        )

    def state(self) -> dict[str, Any]:
        response = self.client.get(f"/claims/{CLAIM_ID}", headers=self.adjuster)
        assert response.status_code == 200, response.text
        return dict(response.json()["state"])

    def member_sees(self) -> dict[str, Any]:
        response = self.client.get(f"/me/claims/{CLAIM_ID}/explanation", headers=self.member)
        assert response.status_code == 200, response.text
        return dict(response.json())


def test_a_whole_life_and_what_the_member_sees(any_service: Service) -> None:
    walk = Walk(any_service)
    assert any_service.intake(_pending_claim()).status_code == 201
    seen = walk.member_sees()
    assert seen["status"] == "awaiting_documents"
    assert "hospital discharge summary" in seen["status_text"]

    document = {"type": "discharge_summary", "received_at": _now(), "reference": "DOC-42"}
    received = walk.post("/documents", document)
    assert received.status_code == 201, received.text
    assert received.json()["kinds"] == [
        "document_received",
        "timeline_event_added",  # documents_received
        "timeline_event_added",  # documents_completed: the last one asked for
    ]
    assert walk.state()["outstanding_documents"] == []

    decided = walk.post("/evaluate")
    assert decided.status_code == 200, decided.text
    assert decided.json()["decision"]["outcome"] == "approve"
    rules_id = decided.json()["event_id"]
    seen = walk.member_sees()
    assert (seen["status"], seen["outcome"], seen["decided_by"]) == (
        "awaiting_payment",
        "approve",
        "rules",
    )
    assert "approved" in seen["status_text"] and "Paid" not in seen["status_text"]

    # a person pays more than the rules: a second person must approve it
    proposed = walk.post(
        "/overrides",
        {"outcome": "approve", "total": "4000.00", "reason": "agreed with the member on the phone"},
        **{"If-Match": rules_id},
    )
    assert proposed.status_code == 201, proposed.text
    override_id = proposed.json()["override_id"]
    assert proposed.json()["state"]["status"] == "awaiting_approval"
    assert walk.member_sees()["outcome"] == "approve"  # still the rules' decision
    assert walk.member_sees()["decided_by"] == "rules"
    self_approval = walk.client.post(
        f"/claims/{CLAIM_ID}/overrides/{override_id}/approve",
        headers=any_service.auth("supervisor", "li"),  # the author, as a supervisor
    )
    _problem(self_approval, 403, "self-approval")
    adjuster_approval = walk.post(f"/overrides/{override_id}/approve")
    _problem(adjuster_approval, 403)
    approved = walk.client.post(
        f"/claims/{CLAIM_ID}/overrides/{override_id}/approve", headers=walk.supervisor
    )
    assert approved.status_code == 200, approved.text
    state = approved.json()["state"]
    assert state["decision"]["source"] == "person"
    assert state["decision"]["approved_by"] == "supervisor:wang"
    assert (state["status"], state["payable"]) == ("awaiting_payment", "4000.00")
    claim = walk.client.get(f"/claims/{CLAIM_ID}", headers=walk.adjuster).json()
    decided_marks = [e for e in claim["events"] if e["type"] == "claim_decided"]
    assert decided_marks[-1]["detail"]["decided_by"] == "person"
    seen = walk.member_sees()
    assert (seen["decided_by"], seen["amounts"]["payable"]) == ("person", "4000.00")

    over = walk.post(
        "/payments",
        {"amount": "4000.01", "paid_at": _now(), "reference": "TX-1", "kind": "advance"},
    )
    _problem(over, 422, "payment")
    paid = walk.post(
        "/payments", {"amount": "4000.00", "paid_at": _now(), "reference": "TX-1", "kind": "final"}
    )
    assert paid.status_code == 201, paid.text
    seen = walk.member_sees()
    assert seen["status"] == "paid" and seen["status_text"].startswith("Paid")
    assert "4,000.00" in seen["status_text"]
    payment_clock = next(c for c in seen["sla"] if c["id"] == "payment")
    assert payment_clock["stopped_at"] is not None

    appealed = walk.post("/appeals", {"reason": "the second invoice was left out"})
    assert appealed.status_code == 201, appealed.text
    assert walk.member_sees()["status"] == "appealed"
    again = walk.post("/evaluate")
    assert again.status_code == 422  # the rules pay less than was paid: a person decides
    _problem(again, 422, "payment")
    history = walk.member_sees()["decisions"]
    assert [(d["decided_by"], d["outcome"]) for d in history] == [
        ("rules", "approve"),
        ("person", "approve"),
    ]
    assert_trail_is_whole(any_service)


def rebuild_state(service: Service, *args: str) -> Any:
    """``claims audit rebuild-state ARGS`` on the service's database."""
    env = {"CLAIMS_DATABASE_URL": service.state.settings.database_url}
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(main, ["audit", "rebuild-state", *args], env=env)
    finally:
        get_settings.cache_clear()


def assert_trail_is_whole(service: Service) -> None:
    result = rebuild_state(service)
    assert result.exit_code == 0, result.output
    assert "ok: " in result.output


def test_rebuild_state_reports_a_row_that_is_not_the_trails(service: Service) -> None:
    assert service.intake(example_claim(claim_id=CLAIM_ID)).status_code == 201
    with service.state.engine.begin() as conn:
        stored = conn.execute(text("SELECT state FROM claim_state")).scalar_one()
        changed = json.dumps({**json.loads(stored), "version": 7})
        conn.execute(text("UPDATE claim_state SET state = :s"), {"s": changed})
    result = rebuild_state(service, CLAIM_ID)
    assert result.exit_code == 1, result.output
    assert f"{CLAIM_ID}: stored state differs in version" in result.output
    fixed = rebuild_state(service, "--write")
    assert fixed.exit_code == 1 and "rebuilt and stored" in fixed.output
    assert rebuild_state(service).exit_code == 0


def test_patch_versions_and_its_problems(any_service: Service) -> None:
    walk = Walk(any_service)
    assert any_service.intake(example_claim(claim_id=CLAIM_ID)).status_code == 201
    read = walk.client.get(f"/claims/{CLAIM_ID}", headers=walk.adjuster)
    etag, version = read.headers["ETag"], read.json()["version"]
    assert version == 1

    def patch(body: Any, *, tag: str | None = etag, kind: str = PATCH) -> Any:
        headers = {**walk.adjuster, "Content-Type": kind}
        if tag is not None:
            headers["If-Match"] = tag
        return walk.client.patch(f"/claims/{CLAIM_ID}", content=json.dumps(body), headers=headers)

    _problem(patch({"policy": {"deductible": "5000.00"}}, tag=None), 428)
    _problem(patch({"policy": {"deductible": "5000.00"}}, kind="application/json"), 415)
    bad = _problem(patch({"items": [{"line_id": 1, "amount": "-1"}]}), 422)
    assert any(e["path"].startswith("items[0]") for e in bad["errors"]), bad
    immutable = _problem(patch({"member": {"member_id": "M-9"}}), 422, "claim-patch")
    assert immutable["errors"] == [{"path": "member.member_id", "reason": "cannot change"}]
    _problem(patch({"events": []}), 422, "claim-patch")
    done = patch({"policy": {"deductible": "5000.00"}})
    assert done.status_code == 200, done.text
    assert done.json()["state"]["version"] == 2 and done.headers["ETag"] != etag
    stale = _problem(patch({"policy": {"deductible": "6000.00"}}), 412, "stale-etag")
    assert stale["etag"] == done.headers["ETag"]
    reread = walk.client.get(f"/claims/{CLAIM_ID}", headers=walk.adjuster).json()
    assert reread["policy"]["deductible"] == "5000.00" and reread["version"] == 2
    evaluated = walk.post("/evaluate").json()["decision"]
    assert evaluated["amounts"]["deductible"] == "5000.00"  # the next decision sees it


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "", {"policy": {"deductible": "1.00"}}),
        ("POST", "/documents", {"type": "invoice", "received_at": "2025-06-30T10:00:00+08:00"}),
        ("POST", "/events/0/void", {"reason": "wrong claim"}),
        ("POST", "/overrides", {"outcome": "deny", "total": "0.00", "reason": "long enough!"}),
        ("POST", "/payments", {"amount": "1.00", "paid_at": "2025-07-01T10:00:00+08:00",
                               "reference": "T", "kind": "advance"}),
        ("POST", "/appeals", {"reason": "too low"}),
    ],
)  # fmt: skip
def test_unknown_claims_and_wrong_roles_are_problems(
    service: Service, method: str, path: str, body: Any
) -> None:
    headers = {"Content-Type": PATCH, "If-Match": '"x"'}
    for role, status in (("member", 403), ("auditor", 403), ("adjuster", 404)):
        response = service.client.request(
            method,
            f"/claims/CLM-NOPE{path}",
            content=json.dumps(body),
            headers={**service.auth(role), **headers},
        )
        _problem(response, status)


def test_override_problems(service: Service) -> None:
    walk = Walk(service)
    assert service.intake(example_claim(claim_id=CLAIM_ID)).status_code == 201
    _problem(
        walk.post("/overrides", {"outcome": "approve", "total": "1.00", "reason": "x" * 12}),
        428,
    )
    first = walk.post("/evaluate").json()["event_id"]
    second = walk.post("/evaluate").json()["event_id"]
    stale = walk.post(
        "/overrides",
        {"outcome": "approve", "total": "1.00", "reason": "x" * 12},
        **{"If-Match": f'"{first}"'},
    )
    assert _problem(stale, 409, "stale-decision")["current"] == second
    bound = walk.post(
        "/overrides",
        {
            "outcome": "approve",
            "lines": [{"line_id": 1, "payable": "99999.00"}],
            "reason": "x" * 12,
        },
        **{"If-Match": second},
    )
    assert _problem(bound, 422, "override-bound")["line_id"] == 1
    both = walk.post(
        "/overrides",
        {"outcome": "approve", "lines": [], "total": "1.00", "reason": "x" * 12},
        **{"If-Match": second},
    )
    _problem(both, 422)
    assert walk.state()["overrides"] == []  # nothing refused was recorded


def test_timeline_rules_backdating_and_voids(service: Service) -> None:
    walk = Walk(service)
    assert service.intake(example_claim(claim_id=CLAIM_ID)).status_code == 201
    early = {"type": "documents_requested", "at": "2025-06-22T10:00:00+08:00",
             "detail": {"missing": ["medical_record"]}}  # fmt: skip
    refused = _problem(walk.post("/events", early), 422, "lifecycle-rule")
    assert refused["rule_id"] == "timeline.order"
    late_completion = {"type": "documents_completed", "at": _now()}
    assert walk.post("/events", late_completion).status_code == 422  # nothing is open
    backdated = {**early, "at": "2025-06-25T10:00:00+08:00",
                 "backdated": {"reason": "sent on paper, recorded late"}}  # fmt: skip
    added = walk.post("/events", backdated)
    assert added.status_code == 201, added.text
    index = added.json()["index"]
    _problem(walk.post(f"/events/{index}/void", {}), 422)  # a reason is required
    voided = walk.post(f"/events/{index}/void", {"reason": "the request was never sent"})
    assert voided.status_code == 200, voided.text
    event = walk.client.get(f"/claims/{CLAIM_ID}", headers=walk.adjuster).json()["events"][index]
    assert event["void"]["reason"] == "the request was never sent"  # kept, marked void
    _problem(walk.post(f"/events/{index}/void", {"reason": "again"}), 422, "void")
    assert walk.state()["outstanding_documents"] == []


def test_the_openapi_document_describes_the_new_endpoints(service: Service) -> None:
    paths = service.client.get("/openapi.json").json()["paths"]
    for path, method in (
        ("/claims/{claim_id}", "patch"),
        ("/claims/{claim_id}/documents", "post"),
        ("/claims/{claim_id}/events/{index}/void", "post"),
        ("/claims/{claim_id}/overrides", "post"),
        ("/claims/{claim_id}/overrides/{override_id}/reject", "post"),
        ("/claims/{claim_id}/payments", "post"),
        ("/claims/{claim_id}/appeals", "post"),
    ):
        operation = paths[path][method]
        assert "422" in operation["responses"] and "404" in operation["responses"]
        content = operation["requestBody"]["content"]
        schema_or_example = next(iter(content.values()))
        assert schema_or_example, path
