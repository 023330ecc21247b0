"""The member pages under ``/m/`` (server-rendered; every page works with JavaScript off).

======================================  =====================================================
``GET /m/``                             the member's claims, or how to sign in
``GET|POST /m/sign-in/{token}``         a one-time link: a page with a button; the POST signs in
``POST /m/sign-out``                    ends the session
``POST /m/language``, ``/m/print``      remembered switches: English/Chinese, large print
``GET /m/claims/{id}``                  the claim page (:mod:`api.member_pages.view`)
``GET /m/claims/{id}/proof.json``       the decision's proof bundle (download)
``POST /m/claims/{id}/feedback``        two ratings and a comment (:mod:`.feedback`)
======================================  =====================================================

Every POST is refused (403 page) without the CSRF token of :mod:`api.member_pages.sign_in`.
A claim that is not the signed-in member's is a 404 page, as one that does not exist.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.deps import State
from api.errors import ProblemError
from api.member_pages.errors import SignInRefused
from api.member_pages.feedback import FEEDBACK_EVENT, Feedback, feedback_payload
from api.member_pages.plain import GLOSSARY
from api.member_pages.proof import decision_bundle
from api.member_pages.sign_in import (
    csrf_ok,
    end_session,
    link_member,
    open_session,
    redeem_link,
)
from api.member_pages.state import MemberClaim, claim_state_for_member
from api.member_pages.view import claim_page
from api.member_pages.web import LANG_COOKIE, LARGE_COOKIE, Page
from audit.errors import AuditError, ConfigError
from audit.store import append_event

router = APIRouter(prefix="/m", include_in_schema=False)

ClaimId = Annotated[str, Path(min_length=1, max_length=128)]
Token = Annotated[str, Path(min_length=1, max_length=128)]
MAX_FORM = 8192


async def _form(request: Request) -> dict[str, str]:
    """The urlencoded form (no multipart: python-multipart is not needed for four fields)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            break
    parsed = parse_qs(body[:MAX_FORM].decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in parsed.items()}


def _checked(page: Page, form: dict[str, str]) -> Response | None:
    if csrf_ok(page.csrf_cookie, form.get("csrf")):
        return None
    return page.message("csrf_title", "csrf_text", status=403)


@router.get("/")
def home(request: Request, state: State, signed_out: int = 0) -> Response:
    page = Page(request, state)
    notice = page.t["signed_out"] if signed_out else None
    if page.session is None:
        return page.render("home.html", title=page.t["home_title"], notice=notice)
    items = []
    for record in state.claims.for_member(page.session.member_id):
        member = claim_state_for_member(
            state, member_id=page.session.member_id, claim_id=record.claim_id, now=page.now
        )
        view = claim_page(member, page.lang, state.rights, page.pages.texts)
        items.append({"claim_id": record.claim_id, "headline": view.headline})
    return page.render("home.html", title=page.t["home_title"], claims=items, notice=notice)


def _refused(page: Page, exc: SignInRefused) -> Response:
    return page.message("refused_title", f"refused_{exc.reason}", "refused_help", status=410)


@router.get("/sign-in/{token}")
def sign_in_page(token: Token, request: Request, state: State) -> Response:
    page = Page(request, state)
    try:
        link_member(state.engine, token, now=page.now)
    except SignInRefused as exc:
        return _refused(page, exc)
    return page.render("sign_in.html", title=page.t["sign_in_title"], token=token)


@router.post("/sign-in/{token}")
async def sign_in(token: Token, request: Request, state: State) -> Response:
    page = Page(request, state)
    refused = _checked(page, await _form(request))
    if refused is not None:
        return refused
    try:
        member_id = await run_in_threadpool(redeem_link, state.engine, token, now=page.now)
    except SignInRefused as exc:
        return _refused(page, exc)
    session = await run_in_threadpool(open_session, state.engine, member_id, now=page.now)
    response = page.redirect("/m/")
    page.start_session(response, session)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, state: State) -> Response:
    page = Page(request, state)
    refused = _checked(page, await _form(request))
    if refused is not None:
        return refused
    end_session(state.engine, page.session_token, now=page.now)
    response = page.redirect("/m/?signed_out=1")
    page.end_session_cookie(response)
    return response


async def _remembered(
    request: Request, state: State, cookie: str, field: str, on: str, off: str
) -> Response:
    """A checked form that sets a remembered choice (``on`` when ``field`` says so) and goes
    back to ``next``."""
    page = Page(request, state)
    form = await _form(request)
    refused = _checked(page, form)
    if refused is not None:
        return refused
    response = page.redirect(form.get("next"))
    page.remember(response, cookie, on if form.get(field) == on else off)
    return response


@router.post("/language")
async def language(request: Request, state: State) -> Response:
    return await _remembered(request, state, LANG_COOKIE, "lang", "en", "zh")


@router.post("/print")
async def large_print(request: Request, state: State) -> Response:
    return await _remembered(request, state, LARGE_COOKIE, "large", "1", "0")


def _member_claim(page: Page, claim_id: str) -> MemberClaim | Response:
    if page.session is None:
        return page.message("need_sign_in_title", "need_sign_in_text", status=401)
    try:
        return claim_state_for_member(
            page.app, member_id=page.session.member_id, claim_id=claim_id, now=page.now
        )
    except ProblemError as exc:
        if exc.status == 404:
            return page.message("not_found_title", "not_found_text", status=404)
        raise


@router.get("/claims/{claim_id}")
def claim(
    claim_id: ClaimId, request: Request, state: State, thanks: int = 0, invalid: int = 0
) -> Response:
    page = Page(request, state)
    found = _member_claim(page, claim_id)
    if isinstance(found, Response):
        return found
    view = claim_page(found, page.lang, state.rights, page.pages.texts)
    glossary = [(term if page.lang == "zh" else en, zh if page.lang == "zh" else en_text)
                for term, zh, en, en_text in GLOSSARY]  # fmt: skip
    return page.render(
        "claim.html",
        title=page.t["claim_title"].format(claim_id=claim_id),
        page=view,
        glossary=glossary,
        verifier_key=state.audit.verifier_key(),
        thanks=bool(thanks),
        invalid=bool(invalid),
    )


@router.get("/claims/{claim_id}/proof.json")
def proof(claim_id: ClaimId, request: Request, state: State) -> Response:
    page = Page(request, state)
    found = _member_claim(page, claim_id)
    if isinstance(found, Response):
        return found
    event = found.decision_event
    if event is None:
        return page.message("not_found_title", "not_found_text", status=404)
    try:
        bundle = decision_bundle(state.engine, event, audit=state.audit)
    except ConfigError as exc:
        raise ProblemError(503, str(exc)) from None
    except AuditError as exc:
        raise ProblemError(503, f"the audit trail is unavailable: {exc}") from None
    response = Response(bundle.text(), media_type="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="decision-proof-{claim_id}.json"'
    )
    return page.finish(response)


@router.post("/claims/{claim_id}/feedback")
async def feedback(claim_id: ClaimId, request: Request, state: State) -> Response:
    page = Page(request, state)
    form = await _form(request)
    refused = _checked(page, form)
    if refused is not None:
        return refused
    found = await run_in_threadpool(_member_claim, page, claim_id)
    if isinstance(found, Response):
        return found
    try:
        given = Feedback.model_validate(
            {
                "clear": form.get("clear"),
                "treated_well": form.get("treated_well"),
                "comment": form.get("comment", ""),
            }
        )
    except ValidationError:
        return page.redirect(f"/m/claims/{claim_id}?invalid=1#feedback")
    current = found.state.decision
    payload = feedback_payload(
        found.claim, given, decision_id=current.decision_id if current else None
    )
    actor = f"member:{found.claim.member.member_id}"
    try:
        await run_in_threadpool(
            lambda: append_event(
                state.engine,
                event_type=FEEDBACK_EVENT,
                claim_id=claim_id,
                payload=payload,
                actor=actor,
                config=state.audit,
            )
        )
    except AuditError as exc:
        raise ProblemError(503, f"the audit trail is unavailable: {exc}") from None
    page.pages.feedback.labels("clear", str(given.clear)).inc()
    page.pages.feedback.labels("treated_well", str(given.treated_well)).inc()
    return page.redirect(f"/m/claims/{claim_id}?thanks=1#feedback")
