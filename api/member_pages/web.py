"""Rendering the member pages: Jinja2 templates (package data), their headers, the cookies.

Every page goes out with ``Content-Security-Policy: default-src 'self'`` (no inline script
or style, nothing from elsewhere), ``Referrer-Policy: no-referrer`` (a sign-in link's token
must not leak to another site), ``Cache-Control: no-store`` and ``X-Frame-Options: DENY``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from prometheus_client import Counter

from api.deps import AppState
from api.member_pages.sign_in import MemberSessionView, csrf_token, new_csrf_cookie, session_of
from api.member_pages.texts import TEXTS
from api.member_pages.view import PageTexts

__all__ = ["CSP", "MemberPages", "Page", "pages_of"]

CSP = (
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
    "object-src 'none'"
)
SESSION_COOKIE = "m_session"
CSRF_COOKIE = "m_csrf"
LANG_COOKIE = "m_lang"
LARGE_COOKIE = "m_large"
YEAR = 365 * 24 * 3600
#: Times members read (the sign-out time) are Beijing time, like the claims' dates.
_BEIJING = dt.timezone(dt.timedelta(hours=8), "CST")


@dataclass
class MemberPages:
    """What the member pages keep per app (``app.state.member_pages``)."""

    texts: PageTexts
    idle: dt.timedelta
    secure_cookies: bool
    feedback: Counter
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))
    templates: Environment = field(
        default_factory=lambda: Environment(
            loader=PackageLoader("api", "templates/member"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
    )


def pages_of(request: Request) -> MemberPages:
    found = request.app.state.member_pages
    assert isinstance(found, MemberPages)
    return found


def _safe_next(value: str | None) -> str:
    """Only a path of these pages: never an open redirect."""
    if value and value.startswith("/m/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/m/"


class Page:
    """One request's view of the member pages: language, session, CSRF, rendering."""

    def __init__(self, request: Request, app: AppState) -> None:
        self.request = request
        self.app = app
        self.pages = pages_of(request)
        self.now = self.pages.clock()
        self.lang = "en" if request.cookies.get(LANG_COOKIE) == "en" else "zh"
        self.large = request.cookies.get(LARGE_COOKIE) == "1"
        self._csrf_cookie = request.cookies.get(CSRF_COOKIE)
        self._new_csrf = None if self._csrf_cookie else new_csrf_cookie()
        self.session: MemberSessionView | None = session_of(
            app.engine,
            request.cookies.get(SESSION_COOKIE),
            now=self.now,
            idle=self.pages.idle,
        )

    @property
    def t(self) -> dict[str, str]:
        return TEXTS[self.lang]

    @property
    def csrf(self) -> str:
        return csrf_token(self._csrf_cookie or self._new_csrf or "")

    def _cookie(self, response: Response, name: str, value: str, max_age: int | None) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/m",
            httponly=True,
            secure=self.pages.secure_cookies,
            samesite="strict",
        )

    def finish(self, response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        if self._new_csrf:
            self._cookie(response, CSRF_COOKIE, self._new_csrf, None)
        return response

    def render(self, template: str, *, title: str, status: int = 200, **context: Any) -> Response:
        ends = self.session.ends_at if self.session else self.now
        local = ends.astimezone(_BEIJING)
        html = self.pages.templates.get_template(template).render(
            lang=self.lang,
            html_lang="zh-CN" if self.lang == "zh" else "en",
            t=self.t,
            title=title,
            large=self.large,
            csrf=self.csrf,
            here=str(self.request.url.path),
            member=self.session.member_id if self.session else None,
            idle_seconds=int(self.pages.idle.total_seconds()),
            idle_text=self.t["idle"].format(
                minutes=int(self.pages.idle.total_seconds() // 60), time=local.strftime("%H:%M")
            ),
            **context,
        )
        return self.finish(HTMLResponse(html, status_code=status))

    def message(self, title_key: str, *line_keys: str, status: int) -> Response:
        return self.render(
            "message.html",
            title=self.t[title_key],
            lines=[self.t[k] for k in line_keys],
            status=status,
        )

    def redirect(self, to: str | None) -> Response:
        return self.finish(RedirectResponse(_safe_next(to), status_code=303))

    def remember(self, response: Response, name: str, value: str) -> None:
        self._cookie(response, name, value, YEAR)

    def start_session(self, response: Response, token: str) -> None:
        self._cookie(response, SESSION_COOKIE, token, None)

    def end_session_cookie(self, response: Response) -> None:
        response.delete_cookie(
            SESSION_COOKIE,
            path="/m",
            httponly=True,
            secure=self.pages.secure_cookies,
            samesite="strict",
        )

    @property
    def session_token(self) -> str | None:
        return self.request.cookies.get(SESSION_COOKIE)

    @property
    def csrf_cookie(self) -> str | None:
        return self._csrf_cookie
