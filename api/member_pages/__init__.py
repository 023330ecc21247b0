"""The member's pages (issue 17): sign-in links, the claim page, proof check, feedback.

=================  =========================================================================
``state``          ``claim_state_for_member``: the ONE way the pages get a claim's state
``view``           the claim page's words in one language, from that state
``plain``          jargon -> plain words, and the glossary
``texts``          the pages' own words (zh, en)
``sign_in``        one-time links, sessions, CSRF tokens
``web``            rendering, headers (CSP), cookies
``pages``          the ``/m/`` routes
``staff``          ``POST /members/{id}/sign-in-links``, ``GET /claims/{id}/member-feedback``
``feedback``       the ``member_feedback`` audit event
``proof``          the decision's proof bundle
``models``         the ``member_sign_in_link`` and ``member_session`` tables
``errors``         typed errors (see its docstring)
=================  =========================================================================

:func:`install` adds the routes and ``/static`` (the pages' CSS and JavaScript, and the
audit verifier) to the app.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from prometheus_client import Counter

from api.deps import AppState
from api.member_pages import pages, staff
from api.member_pages.view import PageTexts
from api.member_pages.web import MemberPages

__all__ = ["STATIC", "install"]

STATIC = Path(__file__).resolve().parent.parent / "static"


def install(app: FastAPI, state: AppState) -> None:
    settings = state.settings
    app.state.member_pages = MemberPages(
        texts=PageTexts(
            documents_zh=settings.member_documents_zh,
            documents_en=settings.member_documents_en,
            complaints_zh=settings.member_complaints_zh,
            complaints_en=settings.member_complaints_en,
        ),
        idle=dt.timedelta(minutes=settings.member_session_idle_minutes),
        secure_cookies=settings.environment != "development",
        feedback=Counter(
            "claims_member_feedback",
            "Members' ratings after a decision, by question and score",
            ["question", "score"],
            registry=state.metrics.registry,
        ),
    )
    app.include_router(pages.router)
    app.include_router(staff.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
