"""Errors of the member pages.

::

    MemberPageError        (under api.errors.ApiError)
    ├── SignInRefused      a sign-in link that is unknown, used or expired (``reason``)
    ├── CsrfRefused        a form without its CSRF token, or with another one
    └── NoSuchMember       a sign-in link asked for a member with no claim

Pages answer them as HTML in the member's language (:mod:`api.member_pages.routes`); the
staff endpoint maps ``NoSuchMember`` to a 404 problem.
"""

from __future__ import annotations

from typing import Literal

from api.errors import ApiError

__all__ = ["CsrfRefused", "MemberPageError", "NoSuchMember", "SignInRefused"]


class MemberPageError(ApiError):
    """Base of the member pages' errors."""


class SignInRefused(MemberPageError):
    def __init__(self, reason: Literal["unknown", "used", "expired"]) -> None:
        self.reason = reason
        super().__init__(f"the sign-in link is {reason}")


class CsrfRefused(MemberPageError):
    def __init__(self) -> None:
        super().__init__("the form was sent without its CSRF token")


class NoSuchMember(MemberPageError):
    def __init__(self, member_id: str) -> None:
        self.member_id = member_id
        super().__init__(f"there is no member {member_id} with a claim")
