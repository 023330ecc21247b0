"""The claim's life driven through the API at random (Hypothesis ``RuleBasedStateMachine``),
on SQLite and on PostgreSQL.

Each run takes one claim in and then, in any order, amends it (with the current ETag, a stale
one, or an immutable field), requests and receives documents, voids timeline events,
evaluates it, overrides the current (or a stale) decision with per-line amounts or a total,
approves or rejects (as the author, or as a second person), pays (within or above what is
left) and appeals. Refusals are expected: what a step may answer is listed with it, and a 500
never is. After every step, the invariants of issue 13:

- the member explanation's status, outcome, payable, who decided and payments are the
  state's; its clocks at an instant are the ones ``/sla/breaches`` lists for the claim then;
- a review note drafted now echoes the current outcome (a person's included);
- paid never exceeds payable;
- ``audit verify`` passes, and every audit event id an acknowledged write answered is in the
  chain (nothing acknowledged is lost);
- the state rebuilt from the audit trail alone equals the stored one.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import text

from api.claim_states.store import rebuild_states
from audit.verification import verify_store
from tests.api.conftest import Service, example_claim

_IDS = itertools.count(1)
MEMBER = "M-1001"
DOCUMENT_TYPES = ("discharge_summary", "medical_record", "diagnosis_certificate", "invoice")
PATCHES = (
    {"policy": {"deductible": "5000.00"}},
    {"policy": {"deductible": "10000.00"}},
    {"policy": {"coinsurance": "0.90"}},
    {"incident": {"description": "阑尾炎手术，术后恢复良好。"}},
    {"member": {"phone": "13912345678"}},
)
BAD_PATCHES = (
    {"claim_id": "CLM-OTHER"},
    {"member": {"member_id": "M-9"}},
    {"policy": {"deductible": "-1.00"}},
    {"events": []},
)
URGENT = ("breached", "due_soon")


def _claim(claim_id: str, *, complete: bool) -> dict[str, Any]:
    claim = example_claim(claim_id=claim_id)
    if not complete:  # the discharge summary never came: the rules pend for it
        claim["documents"] = [d for d in claim["documents"] if d["type"] != "discharge_summary"]
        claim["events"] = [e for e in claim["events"] if e["type"] != "documents_completed"]
    return claim


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


class ClaimLifeMachine(RuleBasedStateMachine):
    service: Service

    def __init__(self) -> None:
        super().__init__()
        self.claim_id = f"CLM-LIFE-{next(_IDS):05d}"
        self.acknowledged: list[str] = []
        self.staff = self.service.auth("adjuster", "li")
        self.second = self.service.auth("supervisor", "wang")
        self.author_as_supervisor = self.service.auth("supervisor", "li")
        self.member = self.service.auth("member", MEMBER)
        self.status = "received"
        self.decided = False
        self.noted: tuple[str, str] | None = None

    # ---- helpers ------------------------------------------------------------------------

    def call(self, method: str, path: str, allowed: tuple[int, ...], **kwargs: Any) -> Any:
        kwargs.setdefault("headers", self.staff)
        response = self.service.client.request(method, f"/claims/{self.claim_id}{path}", **kwargs)
        assert response.status_code in allowed, (method, path, response.status_code, response.text)
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json", response.text
        elif isinstance(response.json().get("recorded"), list):
            self.acknowledged += response.json()["recorded"]
        return response

    def claim(self) -> dict[str, Any]:
        response = self.service.client.get(f"/claims/{self.claim_id}", headers=self.staff)
        assert response.status_code == 200, response.text
        body = response.json()
        assert response.headers["ETag"] == body["state"]["etag"]
        self.status = body["state"]["status"]
        self.decided = body["state"]["decision"] is not None
        return body

    # ---- steps --------------------------------------------------------------------------

    @initialize(complete=st.booleans())
    def intake(self, complete: bool) -> None:
        response = self.service.intake(_claim(self.claim_id, complete=complete))
        assert response.status_code == 201, response.text

    @rule(patch=st.sampled_from(PATCHES), stale=st.booleans())
    def amend(self, patch: dict[str, Any], stale: bool) -> None:
        etag = self.claim()["state"]["etag"]
        if stale:
            etag = '"v0-0000"'
        headers = {
            **self.staff,
            "Content-Type": "application/merge-patch+json",
            "If-Match": etag,
        }
        body = json.dumps(patch)
        response = self.call(
            "PATCH", "", (412,) if stale else (200, 422), content=body, headers=headers
        )
        if response.status_code == 422:  # a patch that changes nothing
            assert response.json()["type"].endswith("/claim-patch"), response.text

    @rule(patch=st.sampled_from(BAD_PATCHES))
    def amend_badly(self, patch: dict[str, Any]) -> None:
        headers = {
            **self.staff,
            "Content-Type": "application/merge-patch+json",
            "If-Match": self.claim()["state"]["etag"],
        }
        self.call("PATCH", "", (422,), content=json.dumps(patch), headers=headers)

    @rule(missing=st.lists(st.sampled_from(DOCUMENT_TYPES), min_size=1, max_size=2, unique=True))
    def request_documents(self, missing: list[str]) -> None:
        event = {"type": "documents_requested", "at": _now(), "detail": {"missing": missing}}
        self.call("POST", "/events", (201, 409, 422), json=event)

    @rule(kind=st.sampled_from(DOCUMENT_TYPES))
    def receive_document(self, kind: str) -> None:
        body = {"type": kind, "received_at": _now(), "reference": "DOC-1"}
        self.call("POST", "/documents", (201, 409, 422), json=body)

    @rule(index=st.integers(min_value=0, max_value=12))
    def void(self, index: int) -> None:
        body = {"reason": "recorded on the wrong claim"}
        self.call("POST", f"/events/{index}/void", (200, 409, 422), json=body)

    @rule()
    def evaluate(self) -> None:
        self.call("POST", "/evaluate", (200, 409, 422), params={"as_of": _now()})

    @precondition(lambda self: self.decided)
    @rule(
        outcome=st.sampled_from(["approve", "partial", "deny", "refer"]),
        fen=st.integers(min_value=0, max_value=600_000),
        per_line=st.booleans(),
        stale=st.sampled_from([False, False, True]),
    )
    def override(self, outcome: str, fen: int, per_line: bool, stale: bool) -> None:
        decision = self.claim()["state"]["decision"]
        named = "not-the-current-decision" if stale or decision is None else decision["decision_id"]
        amount = f"{Decimal(fen) / 100:.2f}" if outcome in ("approve", "partial") else "0.00"
        body: dict[str, Any] = {"outcome": outcome, "reason": "seen the papers at the branch"}
        if per_line:
            body["lines"] = [{"line_id": 1, "payable": amount}]
        else:
            body["total"] = amount
        headers = {**self.staff, "If-Match": named}
        allowed = (409,) if named == "not-the-current-decision" else (201, 409, 422)
        self.call("POST", "/overrides", allowed, json=body, headers=headers)

    @precondition(lambda self: self.status == "awaiting_approval")
    @rule(approve=st.booleans(), by_author=st.booleans())
    def decide_override(self, approve: bool, by_author: bool) -> None:
        pending = [o for o in self.claim()["state"]["overrides"] if o["status"] == "pending"]
        if not pending:
            return
        override_id = pending[0]["plan"]["override_id"]
        action = "approve" if approve else "reject"
        headers = self.author_as_supervisor if by_author else self.second
        body = None if approve else {"reason": "not supported by the invoices"}
        allowed = (403,) if by_author else (200, 409, 422)
        self.call("POST", f"/overrides/{override_id}/{action}", allowed, json=body, headers=headers)

    @precondition(lambda self: self.status == "awaiting_payment")
    @rule(share=st.sampled_from(["all", "half", "over"]), final=st.booleans())
    def pay(self, share: str, final: bool) -> None:
        state = self.claim()["state"]
        left = Decimal(state["payable"]) - Decimal(state["paid"])
        amount = {"all": left, "half": (left / 2).quantize(Decimal("0.01")), "over": left + 1}[
            share
        ]
        body = {
            "amount": f"{max(amount, Decimal(0)):.2f}",
            "paid_at": _now(),
            "reference": "BANK-TX-1",
            "kind": "final" if final else "advance",
        }
        self.call("POST", "/payments", (201, 409, 422), json=body)

    @precondition(lambda self: self.status in ("decided", "awaiting_payment", "paid"))
    @rule()
    def appeal(self) -> None:
        self.call("POST", "/appeals", (201, 409, 422), json={"reason": "the amount is too low"})

    # ---- invariants ---------------------------------------------------------------------

    @invariant()
    def views_agree_with_the_state(self) -> None:
        claim = self.claim()
        state = claim["state"]
        when = _now()
        explained = self.service.client.get(
            f"/me/claims/{self.claim_id}/explanation",
            params={"as_of": when},
            headers={**self.member, "Accept-Language": "en"},
        )
        assert explained.status_code == 200, explained.text
        shown = explained.json()
        assert shown["status"] == state["status"]
        assert shown["paid"] == state["paid"]
        assert len(shown["payments"]) == len(state["payments"])
        assert [d["decision_id"] for d in shown["decisions"]] == [
            d["decision_id"] for d in state["decisions"]
        ]
        assert Decimal(state["paid"]) <= Decimal(state["payable"]) or state["decision"] is None
        if state["status"] == "paid":
            assert shown["status_text"].startswith("Paid")
        else:
            assert "Paid:" not in shown["status_text"]
        decision = state["decision"]
        if decision is None:
            assert "outcome" not in shown
        else:
            assert shown["outcome"] == decision["outcome"]
            assert shown["decided_by"] == decision["source"]
            assert shown["amounts"]["payable"] == decision["payable"]
            if self.noted != (decision["decision_id"], decision["outcome"]):
                # a note on the same decision is drafted from the same facts: once each
                self._a_note_echoes(decision["outcome"])
                self.noted = (decision["decision_id"], decision["outcome"])
        self._breaches_agree(shown, when)

    def _breaches_agree(self, shown: dict[str, Any], when: str) -> None:
        breaches = self.service.client.get(
            "/sla/breaches", params={"as_of": when, "size": 200}, headers=self.staff
        ).json()
        listed = {
            (c["id"], c["status"], c["due_at"])
            for c in breaches["items"]
            if c.get("claim_id") == self.claim_id
        }
        own = {(c["id"], c["status"], c["due_at"]) for c in shown["sla"] if c["status"] in URGENT}
        assert listed == own, (listed, own)

    def _a_note_echoes(self, outcome: str) -> None:
        note = self.service.client.post(f"/claims/{self.claim_id}/review-notes", headers=self.staff)
        assert note.status_code == 201, note.text
        assert note.json()["note"]["decision_echo"] == outcome
        self.acknowledged.append(note.json()["event_id"])

    @invariant()
    def the_trail_holds_everything_and_folds_to_the_state(self) -> None:
        state = self.service.state
        report = verify_store(
            state.engine, verifier_key=state.audit.verifier_key(), origin=state.audit.origin
        )
        assert report.ok, report.problem
        with state.engine.connect() as conn:
            ids = set(
                conn.execute(
                    text("SELECT event_id FROM audit_event WHERE claim_id = :c"),
                    {"c": self.claim_id},
                ).scalars()
            )
        assert set(self.acknowledged) <= ids
        checked, differences = rebuild_states(state.engine, claim_ids=[self.claim_id])
        assert checked == 1 and differences == []


def test_the_claims_life_through_the_api(any_service: Service) -> None:
    machine = type("Machine", (ClaimLifeMachine,), {"service": any_service})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=8,
            stateful_step_count=14,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        ),
    )
