"""Plain ``make_*`` helpers of the member-page tests: claims in every state, signed in.

States are produced as the engine folds them: the service's own endpoints for intake and
rules decisions, and lifecycle events appended to the audit trail under their ``kind``
(payments, appeals, an override waiting for a second person), as the claim-life API
records them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from audit.store import append_event
from engine.lifecycle.events import (
    AppealReceived,
    LinePayable,
    OverridePlan,
    OverrideProposed,
    OverrideRequest,
    Payment,
    PaymentRecorded,
)
from tests.api.conftest import Service
from tests.engine.factories import REPO

EXAMPLES = REPO / "examples" / "claims"
#: The instant the tests' pages are shown at (the sample decisions are made at it).
NOW = dt.datetime(2025, 7, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
AS_OF = "2025-07-01T09:00:00+08:00"

#: state -> (example file, claim id); M-1001 owns every sample claim.
SAMPLES = {
    "approve": "01-approve-reference.json",
    "partial": "02-partial-dental-excluded.json",
    "pend": "03-pend-missing-discharge-summary.json",
    "deny": "04-deny-waiting-period.json",
    "refer": "05-refer-large-claim-days-after-start.json",
    "paid": "06-approve-small-claim-fast-track.json",
    "awaiting_approval": "07-partial-duplicate-invoice.json",
    "appealed": "08-partial-annual-limit.json",
}
MEMBER = "M-1001"


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / SAMPLES[name]).read_text(encoding="utf-8"))
    return data


def make_claim(service: Service, claim: dict[str, Any]) -> str:
    """Take the claim in and decide it at :data:`AS_OF`; returns its id."""
    response = service.intake(claim)
    assert response.status_code in (200, 201), response.text
    claim_id = str(claim["claim_id"])
    decided = service.client.post(
        f"/claims/{claim_id}/evaluate",
        params={"as_of": AS_OF},
        headers=service.auth("adjuster"),
    )
    assert decided.status_code == 200, decided.text
    return claim_id


def record(service: Service, claim_id: str, event: Any) -> None:
    """Append a lifecycle event to the audit trail as the claim-life API stores it."""
    append_event(
        service.state.engine,
        event_type=event.kind,
        claim_id=claim_id,
        payload=event.model_dump(mode="json", exclude={"at", "actor", "ref", "kind"}),
        actor=event.actor,
        occurred_at=event.at,
        config=service.state.audit,
    )


def payable_of(service: Service, claim_id: str) -> Decimal:
    found = service.client.get(f"/claims/{claim_id}/decisions", headers=service.auth("auditor"))
    return Decimal(found.json()["decisions"][-1]["amounts"]["payable"])


def make_state(service: Service, state: str) -> str:
    """A claim of :data:`MEMBER` in ``state`` (a key of :data:`SAMPLES`)."""
    claim_id = make_claim(service, sample(state))
    at = NOW + dt.timedelta(hours=1)
    if state == "paid":
        payment = Payment(
            payment_id="PAY-1",
            amount=payable_of(service, claim_id),
            paid_at=at,
            reference="BANK-REF-1",
            kind="final",
        )
        record(service, claim_id, PaymentRecorded(payment=payment, at=at, actor="adjuster:a"))
    elif state == "appealed":
        record(service, claim_id, AppealReceived(reason="disagree", at=at, actor="member:m"))
    elif state == "awaiting_approval":
        decision_id = _latest_decision_id(service, claim_id)
        plan = OverridePlan(
            override_id="OVR-1",
            request=OverrideRequest(
                overrides=decision_id, outcome="approve", total=Decimal("100.00"), reason="r"
            ),
            lines=(LinePayable(line_id=1, payable=Decimal("100.00")),),
            payable=Decimal("100.00"),
            needs_approval=True,
            approval_reasons=("pays more than the rules",),
        )
        record(service, claim_id, OverrideProposed(override=plan, at=at, actor="adjuster:a"))
    return claim_id


def _latest_decision_id(service: Service, claim_id: str) -> str:
    found = service.client.get(f"/claims/{claim_id}/decisions", headers=service.auth("auditor"))
    return str(found.json()["decisions"][-1]["event_id"])


def fix_clock(service: Service, now: dt.datetime = NOW) -> None:
    service.client.app.state.member_pages.clock = lambda: now  # type: ignore[attr-defined]


def make_link(service: Service, member: str = MEMBER) -> str:
    response = service.client.post(
        f"/members/{member}/sign-in-links", headers=service.auth("adjuster")
    )
    assert response.status_code == 201, response.text
    return str(response.json()["path"])


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200, page.text
    done = client.post(path, data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert done.status_code == 303, done.text


def make_signed_in(service: Service, member: str = MEMBER) -> None:
    fix_clock(service)
    sign_in(service.client, make_link(service, member))
