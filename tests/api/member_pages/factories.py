"""Plain ``make_*`` helpers of the member-page tests: claims in every state, signed in.

States are produced through the service's own endpoints: intake, rules decisions, and the
claim-life endpoints (a payment, an appeal, an override waiting for a second person).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

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


def _now() -> str:
    # a payment follows the amount agreed when the claim was decided (recorded now)
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _change(service: Service, claim_id: str, path: str, body: Any, **headers: str) -> None:
    response = service.client.post(
        f"/claims/{claim_id}{path}", json=body, headers={**service.auth("adjuster"), **headers}
    )
    assert response.status_code < 300, response.text


def payable_of(service: Service, claim_id: str) -> Decimal:
    found = service.client.get(f"/claims/{claim_id}", headers=service.auth("adjuster"))
    return Decimal(found.json()["state"]["payable"])


def make_state(service: Service, state: str) -> str:
    """A claim of :data:`MEMBER` in ``state`` (a key of :data:`SAMPLES`), through the
    claim-life endpoints."""
    claim_id = make_claim(service, sample(state))
    if state == "paid":
        payment = {
            "amount": f"{payable_of(service, claim_id):.2f}",
            "paid_at": _now(),
            "reference": "BANK-REF-1",
            "kind": "final",
        }
        _change(service, claim_id, "/payments", payment)
    elif state == "appealed":
        _change(service, claim_id, "/appeals", {"reason": "disagree"})
    elif state == "awaiting_approval":
        override = {
            "outcome": "approve",
            "total": f"{payable_of(service, claim_id) + 100:.2f}",
            "reason": "pays more than the rules",
        }
        decision_id = _latest_decision_id(service, claim_id)
        _change(service, claim_id, "/overrides", override, **{"If-Match": decision_id})
    return claim_id


def _latest_decision_id(service: Service, claim_id: str) -> str:
    found = service.client.get(f"/claims/{claim_id}", headers=service.auth("adjuster"))
    return str(found.json()["state"]["decision"]["decision_id"])


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
