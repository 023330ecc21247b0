"""Bearer tokens and roles: OAuth2 bearer JWTs signed with HS256.

A token carries ``sub`` (who: a staff user name, or for ``member`` the member id), ``role``
(one of :data:`ROLES`), ``iss``, ``iat`` and ``exp``. A missing, malformed, badly signed or
expired token is a 401 problem with ``WWW-Authenticate: Bearer``; a valid token whose role
may not do what was asked is a 403 problem.

The secret comes from ``CLAIMS_JWT_SECRET`` (at least 32 characters). When it is unset,
``CLAIMS_JWT_SECRET_FILE`` (default ``var/jwt-secret``) is read; in development a missing
file is generated (mode 0600) on first use, in production (``CLAIMS_ENVIRONMENT=production``)
a missing secret is an error and the service does not start. This class lives here, beside
:class:`api.settings.Settings`, with the same ``CLAIMS_`` prefix.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import jwt
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.errors import ProblemError
from api.secret_files import create_secret_file

__all__ = [
    "ROLES",
    "STAFF",
    "AuthSettings",
    "AuthSettingsError",
    "Principal",
    "TokenService",
]

Role = Literal["adjuster", "supervisor", "auditor", "rule_author", "member"]
ROLES: tuple[str, ...] = ("adjuster", "supervisor", "auditor", "rule_author", "member")
#: Roles of the insurer's own staff.
STAFF: frozenset[str] = frozenset(ROLES) - {"member"}
MIN_SECRET = 32
ISSUER = "claims-service"


class AuthSettingsError(Exception):
    """The JWT secret is missing (production) or unusable."""


class AuthSettings(BaseSettings):
    """``CLAIMS_JWT_*`` settings (module docstring)."""

    model_config = SettingsConfigDict(env_prefix="CLAIMS_", extra="ignore")

    jwt_secret: SecretStr | None = None
    jwt_secret_file: Path = Path("var/jwt-secret")
    jwt_ttl_seconds: int = Field(default=3600, ge=60, le=7 * 24 * 3600)
    environment: Literal["development", "production"] = "development"

    def secret(self) -> str:
        """The signing secret: set, read from the file, or generated (development only)."""
        if self.jwt_secret is not None and self.jwt_secret.get_secret_value():
            return _checked(self.jwt_secret.get_secret_value().strip(), "CLAIMS_JWT_SECRET")
        path = self.jwt_secret_file
        if path.exists():
            return _read(path)
        if self.environment == "production":
            raise AuthSettingsError(
                "no JWT secret: set CLAIMS_JWT_SECRET or provide CLAIMS_JWT_SECRET_FILE "
                f"({path}); secrets are only generated in development"
            )
        return _generate(path)


def _checked(secret: str, source: str) -> str:
    if len(secret) < MIN_SECRET:
        raise AuthSettingsError(f"{source} must be at least {MIN_SECRET} characters")
    return secret


def _read(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise AuthSettingsError(f"cannot read the JWT secret file {path}: {exc}") from None
    return _checked(text, f"the JWT secret file {path}")


def _generate(path: Path) -> str:
    """A new random secret in ``path``, or the one another process wrote first."""
    secret = secrets.token_urlsafe(48)
    return secret if create_secret_file(path, secret) else _read(path)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: ``sub`` and ``role`` of a verified token."""

    sub: str
    role: str

    @property
    def actor(self) -> str:
        """How the audit trail names this caller (``role:sub``)."""
        return f"{self.role}:{self.sub}"


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class TokenService:
    """Issues and verifies the service's tokens with one secret."""

    def __init__(self, secret: str, *, ttl_seconds: int = 3600) -> None:
        self._secret = _checked(secret, "the JWT secret")
        self._ttl = ttl_seconds

    def issue(self, *, role: str, sub: str, ttl_seconds: int | None = None) -> str:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
        if not sub or len(sub) > 128:
            raise ValueError("sub must be 1-128 characters")
        now = dt.datetime.now(dt.UTC)
        ttl = self._ttl if ttl_seconds is None else ttl_seconds
        claims = {
            "sub": sub,
            "role": role,
            "iss": ISSUER,
            "iat": now,
            "exp": now + dt.timedelta(seconds=ttl),
        }
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def verify(self, token: str | None) -> Principal:
        """The principal of a valid token, or a 401 :class:`ProblemError`."""
        if not token:
            raise _unauthorized("a bearer token is required (Authorization: Bearer <token>)")
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "role", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise _unauthorized("the token has expired") from None
        except jwt.PyJWTError:
            raise _unauthorized("the token is not valid") from None
        role, sub = claims.get("role"), claims.get("sub")
        if role not in ROLES or not isinstance(sub, str) or not sub:
            raise _unauthorized("the token is not valid")
        return Principal(sub=sub, role=role)


def require_role(principal: Principal, *roles: str) -> Principal:
    """``principal`` if its role is one of ``roles``, else a 403 problem."""
    if principal.role not in roles:
        raise ProblemError(
            403, f"the {principal.role} role may not do this (allowed: {', '.join(roles)})"
        )
    return principal
