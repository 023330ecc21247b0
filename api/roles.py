"""The roles a bearer token may carry (``api.auth``), importable without the web framework:
``claims token --role`` offers them before anything else is loaded."""

from __future__ import annotations

from typing import Literal

__all__ = ["ROLES", "STAFF", "Role"]

Role = Literal["adjuster", "supervisor", "auditor", "rule_author", "member"]
ROLES: tuple[str, ...] = ("adjuster", "supervisor", "auditor", "rule_author", "member")
#: Roles of the insurer's own staff.
STAFF: frozenset[str] = frozenset(ROLES) - {"member"}
