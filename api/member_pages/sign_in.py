"""Members sign in with one-time links; a link opens a session kept in a cookie.

A link (``/m/sign-in/<token>``) is made by staff (``POST /members/{id}/sign-in-links``) or
by ``claims member-link``; it is valid for :data:`LINK_TTL`, works once, and only the token's
SHA-256 is stored. Issuing one is an audit event (:data:`LINK_EVENT`; the payload names the
member, who issued it and until when, never the token). Opening the link shows a page with a
button: the link is spent only by that POST, so a mail scanner fetching the link does not use
it up.

A session is a random id in the ``m_session`` cookie, stored as its SHA-256 with the time it
was last used; it ends after ``idle`` without a request, or at sign-out. Forms carry a CSRF
token derived from a second random cookie (``m_csrf``): an attacker's page can neither read
it nor compute the token (:func:`csrf_token`), and SameSite=Strict keeps both cookies off
cross-site requests in the first place.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, update
from sqlmodel import Session

from api.member_pages.errors import SignInRefused
from api.member_pages.models import MemberSession, SignInLink
from audit.config import AuditConfig
from audit.store import append_event

__all__ = [
    "LINK_EVENT",
    "LINK_TTL",
    "IssuedLink",
    "MemberSessionView",
    "csrf_ok",
    "csrf_token",
    "end_session",
    "issue_link",
    "link_member",
    "new_csrf_cookie",
    "open_session",
    "redeem_link",
    "session_of",
]

LINK_EVENT = "member_sign_in_link_issued"
LINK_TTL = dt.timedelta(minutes=15)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _iso(when: dt.datetime) -> str:
    """Fixed-width UTC text, so that text order is time order in both databases."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _instant(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class IssuedLink:
    member_id: str
    token: str
    expires_at: dt.datetime

    @property
    def path(self) -> str:
        return f"/m/sign-in/{self.token}"


def issue_link(
    engine: Engine,
    *,
    member_id: str,
    issued_by: str,
    now: dt.datetime,
    audit: AuditConfig | None = None,
) -> IssuedLink:
    """A new one-time link for ``member_id``: stored as a hash, and audited."""
    token = secrets.token_urlsafe(32)
    expires = now + LINK_TTL
    with Session(engine) as session:
        session.add(
            SignInLink(
                token_hash=_hash(token),
                member_id=member_id,
                issued_by=issued_by,
                created_at=_iso(now),
                expires_at=_iso(expires),
            )
        )
        session.commit()
    append_event(
        engine,
        event_type=LINK_EVENT,
        claim_id=None,
        payload={"member_id": member_id, "issued_by": issued_by, "expires_at": _iso(expires)},
        actor=issued_by,
        config=audit,
    )
    return IssuedLink(member_id=member_id, token=token, expires_at=expires)


def link_member(engine: Engine, token: str, *, now: dt.datetime) -> str:
    """The member a link is for, if it can still be used (nothing is changed)."""
    with Session(engine) as session:
        return _usable(session.get(SignInLink, _hash(token)), now).member_id


def _usable(link: SignInLink | None, now: dt.datetime) -> SignInLink:
    if link is None:
        raise SignInRefused("unknown")
    if link.used_at is not None:
        raise SignInRefused("used")
    if _instant(link.expires_at) <= now:
        raise SignInRefused("expired")
    return link


def redeem_link(engine: Engine, token: str, *, now: dt.datetime) -> str:
    """Spend the link; returns its member. Refused (:class:`SignInRefused`) when unknown,
    used or expired; two requests racing on one link cannot both win (one UPDATE)."""
    digest = _hash(token)
    with Session(engine) as session:
        member_id = _usable(session.get(SignInLink, digest), now).member_id
        spent = session.execute(
            update(SignInLink)
            .where(SignInLink.token_hash == digest)  # type: ignore[arg-type]
            .where(SignInLink.used_at.is_(None))  # type: ignore[union-attr]
            .values(used_at=_iso(now))
        )
        session.commit()
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise SignInRefused("used")
    return member_id


@dataclass(frozen=True, slots=True)
class MemberSessionView:
    member_id: str
    ends_at: dt.datetime  # when it ends if no further request comes


def open_session(engine: Engine, member_id: str, *, now: dt.datetime) -> str:
    """A new session for ``member_id``; returns the cookie value."""
    token = secrets.token_urlsafe(32)
    with Session(engine) as session:
        session.add(
            MemberSession(
                session_hash=_hash(token),
                member_id=member_id,
                created_at=_iso(now),
                last_seen_at=_iso(now),
            )
        )
        session.commit()
    return token


def session_of(
    engine: Engine, token: str | None, *, now: dt.datetime, idle: dt.timedelta
) -> MemberSessionView | None:
    """The live session of a cookie value, touched (its idle time starts again); ``None``
    when there is none, it was ended, or it was idle for ``idle``."""
    if not token:
        return None
    with Session(engine) as session:
        row = session.get(MemberSession, _hash(token))
        if row is None or row.ended_at is not None:
            return None
        if _instant(row.last_seen_at) + idle <= now:
            row.ended_at = row.last_seen_at
            session.add(row)
            session.commit()
            return None
        row.last_seen_at = _iso(now)
        member_id = row.member_id
        session.add(row)
        session.commit()
    return MemberSessionView(member_id=member_id, ends_at=now + idle)


def end_session(engine: Engine, token: str | None, *, now: dt.datetime) -> None:
    """Sign-out: the session cannot be used again, even with a copy of the cookie."""
    if not token:
        return
    with Session(engine) as session:
        row = session.get(MemberSession, _hash(token))
        if row is not None and row.ended_at is None:
            row.ended_at = _iso(now)
            session.add(row)
            session.commit()


def new_csrf_cookie() -> str:
    return secrets.token_urlsafe(32)


def csrf_token(cookie: str) -> str:
    """The token a form carries for the ``m_csrf`` cookie ``cookie``."""
    return hashlib.sha256(f"claims-member-csrf:{cookie}".encode()).hexdigest()


def csrf_ok(cookie: str | None, sent: str | None) -> bool:
    return bool(cookie) and bool(sent) and hmac.compare_digest(csrf_token(cookie or ""), sent or "")
