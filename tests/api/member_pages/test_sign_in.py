"""Signing in with one-time links, sessions, sign-out, CSRF, and the staff endpoint."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from click.testing import CliRunner
from sqlalchemy import text

from api.cli import main
from tests.api.conftest import Service
from tests.api.member_pages.factories import (
    MEMBER,
    NOW,
    csrf_of,
    fix_clock,
    make_claim,
    make_link,
    make_signed_in,
    sample,
    sign_in,
)


def test_a_link_signs_the_member_in_once_and_is_stored_only_as_a_hash(service: Service) -> None:
    make_claim(service, sample("approve"))
    fix_clock(service)
    path = make_link(service)
    token = path.rsplit("/", 1)[1]
    with service.state.engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM member_sign_in_link")).scalars().all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    page = service.client.get(path)  # showing the page does not spend the link
    assert service.client.get(path).status_code == 200
    done = service.client.post(path, data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert done.status_code == 303
    cookie = done.headers["set-cookie"]
    assert "m_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # development; production sets it (below)
    assert "CLM-2026-000201" in service.client.get("/m/").text
    again = service.client.post(path, data={"csrf": csrf_of(page.text)})
    assert again.status_code == 410
    assert "已经用过了" in again.text


def test_an_expired_link_is_refused(service: Service) -> None:
    make_claim(service, sample("approve"))
    fix_clock(service)
    path = make_link(service)
    fix_clock(service, NOW + dt.timedelta(minutes=15, seconds=1))
    page = service.client.get(path)
    assert page.status_code == 410
    assert "过期" in page.text
    assert service.client.post(path, data={"csrf": csrf_of(page.text)}).status_code == 410


def test_an_unknown_link_is_refused(service: Service) -> None:
    fix_clock(service)
    assert service.client.get("/m/sign-in/not-a-real-token").status_code == 410


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(service: Service) -> None:
    make_claim(service, sample("approve"))
    fix_clock(service)
    path = make_link(service)
    service.client.get(path)
    assert service.client.post(path, data={}).status_code == 403
    assert service.client.post(path, data={"csrf": "0" * 64}).status_code == 403
    sign_in(service.client, path)  # the link was not spent by the refused forms


def test_idle_sessions_end_and_sign_out_ends_the_session(service: Service) -> None:
    make_claim(service, sample("approve"))
    make_signed_in(service)
    page = service.client.get("/m/")
    assert "15分钟内没有操作会自动退出" in page.text
    fix_clock(service, NOW + dt.timedelta(minutes=14))
    assert "CLM-2026-000201" in service.client.get("/m/").text  # touched: idle time restarts
    fix_clock(service, NOW + dt.timedelta(minutes=14 + 15))
    assert "CLM-2026-000201" not in service.client.get("/m/").text
    make_signed_in(service)
    cookie = service.client.cookies.get("m_session")
    page = service.client.get("/m/")
    out = service.client.post("/m/sign-out", data={"csrf": csrf_of(page.text)})
    assert "您已安全退出" in out.text
    service.client.cookies.set("m_session", cookie or "", path="/m")  # a copy of the cookie
    assert service.client.get("/m/claims/CLM-2026-000201").status_code == 401


def test_staff_issue_links_audited_and_only_for_members_with_claims(service: Service) -> None:
    make_claim(service, sample("approve"))
    made = service.client.post(
        f"/members/{MEMBER}/sign-in-links", headers=service.auth("supervisor", "sue")
    )
    assert made.status_code == 201
    assert made.json()["url"].startswith("http://testserver/m/sign-in/")
    with service.state.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT actor, payload FROM audit_event WHERE event_type = :t"),
            {"t": "member_sign_in_link_issued"},
        ).all()
    assert [r.actor for r in rows] == ["supervisor:sue"]
    assert made.json()["path"].rsplit("/", 1)[1] not in rows[0].payload
    assert json.loads(rows[0].payload)["member_id"] == MEMBER
    unknown = service.client.post("/members/M-9/sign-in-links", headers=service.auth("adjuster"))
    assert unknown.status_code == 404
    member = service.client.post(
        f"/members/{MEMBER}/sign-in-links", headers=service.auth("member", MEMBER)
    )
    assert member.status_code == 403
    assert service.client.post(f"/members/{MEMBER}/sign-in-links").status_code == 401


def test_the_member_api_bearer_tokens_keep_working(service: Service) -> None:
    make_claim(service, sample("approve"))
    found = service.client.get("/me/claims", headers=service.auth("member", MEMBER))
    assert found.status_code == 200
    assert [c["claim_id"] for c in found.json()["claims"]] == ["CLM-2026-000201"]


def test_claims_member_link_prints_a_link_that_signs_in(
    service: Service, monkeypatch: object
) -> None:
    make_claim(service, sample("approve"))
    url = str(service.state.engine.url)
    runner = CliRunner()
    env = {"CLAIMS_DATABASE_URL": url, "CLAIMS_AUDIT_SIGNER_KEY": _signer()}
    env["CLAIMS_AUDIT_ORIGIN"] = "claims.example/audit-test"
    result = runner.invoke(main, ["member-link", "--member", MEMBER], env=env)
    assert result.exit_code == 0, result.output
    link = result.stdout.strip()
    assert link.startswith("http://127.0.0.1:8000/m/sign-in/")
    fix_clock(service, dt.datetime.now(dt.UTC))
    sign_in(service.client, link.removeprefix("http://127.0.0.1:8000"))
    missing = runner.invoke(main, ["member-link", "--member", "M-404"], env=env)
    assert missing.exit_code == 2
    assert "there is no member M-404" in missing.stderr
    assert "Traceback" not in missing.output


def test_production_cookies_are_secure(service: Service) -> None:
    make_claim(service, sample("approve"))
    service.client.app.state.member_pages.secure_cookies = True  # type: ignore[attr-defined]
    fix_clock(service)
    path = make_link(service)
    page = service.client.get(path)
    assert "Secure" in page.headers["set-cookie"]


def _signer() -> str:
    from tests.audit.conftest import SIGNER

    return SIGNER
