"""Bearer tokens and roles: OAuth2 bearer JWTs signed with HS256 (a shared secret) or RS256
(an identity provider's key pair, verified with its public key).

A token carries ``sub`` (who: a staff user name, or for ``member`` the member id), ``role``
(one of :data:`ROLES`), ``iss``, ``iat`` and ``exp`` (and ``aud`` when an audience is
configured). A missing, malformed, badly signed or expired token is a 401 problem with
``WWW-Authenticate: Bearer``; a valid token whose role may not do what was asked is a 403
problem. Only the configured algorithm is accepted (no ``none``, no HS256 token against an
RS256 key).

HS256 (the default): the secret comes from ``CLAIMS_JWT_SECRET`` (at least 32 characters).
When it is unset, ``CLAIMS_JWT_SECRET_FILE`` (default ``var/jwt-secret``) is read; in
development a missing file is generated (mode 0600) on first use, in production
(``CLAIMS_ENVIRONMENT=production``) a missing secret is an error and the service does not
start.

RS256: set ``CLAIMS_JWT_PUBLIC_KEY`` (PEM text) or ``CLAIMS_JWT_PUBLIC_KEY_FILE``; tokens are
then issued by the identity provider (``CLAIMS_JWT_ISSUER``, default ``claims-service``;
``CLAIMS_JWT_AUDIENCE`` if it sets one) and no secret is used. ``claims token`` can still mint
development tokens when ``CLAIMS_JWT_PRIVATE_KEY_FILE`` names the matching private key.

Verifying a token costs more than many requests' own work, so a :class:`TokenService`
remembers the principals of recently verified tokens (by exact token text, until their
``exp``). The settings above are fields of the one :class:`api.settings.Settings`, which
builds the service with :meth:`~api.settings.Settings.token_service`.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from api.errors import AuthSettingsError, ProblemError
from api.roles import ROLES, STAFF

__all__ = [
    "ROLES",
    "STAFF",
    "AuthSettingsError",
    "Principal",
    "TokenService",
    "checked_secret",
]

MIN_SECRET = 32
MIN_RSA_BITS = 2048
ISSUER = "claims-service"
#: Verified tokens remembered per service (a token is a few hundred bytes).
TOKEN_CACHE_SIZE = 4096


def checked_secret(secret: str, source: str) -> str:
    """``secret`` if it is long enough for HS256, else :class:`AuthSettingsError`."""
    if len(secret) < MIN_SECRET:
        raise AuthSettingsError(f"{source} must be at least {MIN_SECRET} characters")
    return secret


def _rsa_key(pem: str, *, private: bool) -> Any:
    """A PEM RSA key (public or private), or :class:`AuthSettingsError` saying what is wrong."""
    kind = "private" if private else "public"
    try:
        key = (
            serialization.load_pem_private_key(pem.encode(), password=None)
            if private
            else serialization.load_pem_public_key(pem.encode())
        )
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise AuthSettingsError(
            f"the JWT {kind} key is not a PEM RSA {kind} key without a password ({exc})"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        raise AuthSettingsError(f"the JWT {kind} key is not an RSA key (RS256 needs RSA)")
    if key.key_size < MIN_RSA_BITS:
        raise AuthSettingsError(f"the JWT {kind} key has {key.key_size} bits: use {MIN_RSA_BITS}+")
    return key


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
    """Issues and verifies the service's tokens: HS256 with one secret (the constructor) or
    RS256 with an identity provider's keys (:meth:`rs256`)."""

    def __init__(
        self,
        secret: str,
        *,
        ttl_seconds: int = 3600,
        issuer: str = ISSUER,
        audience: str | None = None,
    ) -> None:
        checked = checked_secret(secret, "the JWT secret")
        self._setup("HS256", checked, checked, ttl_seconds, issuer, audience)

    @classmethod
    def rs256(
        cls,
        public_key: str,
        *,
        private_key: str | None = None,
        ttl_seconds: int = 3600,
        issuer: str = ISSUER,
        audience: str | None = None,
    ) -> TokenService:
        """Verify with ``public_key`` (PEM); issue only if ``private_key`` (PEM) is given."""
        service = cls.__new__(cls)
        verifying = _rsa_key(public_key, private=False)
        signing = None if private_key is None else _rsa_key(private_key, private=True)
        if signing is not None and signing.public_key().public_numbers() != (
            verifying.public_numbers()
        ):
            raise AuthSettingsError(
                "the JWT private key does not belong to the public key: every token it "
                "signed would be refused"
            )
        service._setup("RS256", verifying, signing, ttl_seconds, issuer, audience)
        return service

    def _setup(
        self,
        algorithm: str,
        verify_key: Any,
        sign_key: Any,
        ttl: int,
        issuer: str,
        audience: str | None,
    ) -> None:
        self.algorithm = algorithm
        self._verify_key = verify_key
        self._sign_key = sign_key
        self._ttl = ttl
        self._issuer = issuer
        self._audience = audience
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def can_issue(self) -> bool:
        """False for RS256 without the private key: tokens come from the identity provider."""
        return self._sign_key is not None

    def issue(self, *, role: str, sub: str, ttl_seconds: int | None = None) -> str:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
        if not sub or len(sub) > 128:
            raise ValueError("sub must be 1-128 characters")
        if self._sign_key is None:
            raise ValueError(
                "tokens are issued by the identity provider (RS256 without "
                "CLAIMS_JWT_PRIVATE_KEY_FILE)"
            )
        now = dt.datetime.now(dt.UTC)
        ttl = self._ttl if ttl_seconds is None else ttl_seconds
        claims: dict[str, Any] = {
            "sub": sub,
            "role": role,
            "iss": self._issuer,
            "iat": now,
            "exp": now + dt.timedelta(seconds=ttl),
        }
        if self._audience is not None:
            claims["aud"] = self._audience
        return jwt.encode(claims, self._sign_key, algorithm=self.algorithm)

    def verify(self, token: str | None) -> Principal:
        """The principal of a valid token, or a 401 :class:`ProblemError`."""
        if not token:  # RFC 6750 3.1: no error code when the request had no credentials
            raise ProblemError(
                401,
                "a bearer token is required (Authorization: Bearer <token>)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        known = self._remembered(token)
        if known is not None:
            return known
        principal, expires = self._decode(token)
        with self._lock:
            self._verified[token] = (principal, expires)
            if len(self._verified) > TOKEN_CACHE_SIZE:
                self._verified.popitem(last=False)
        return principal

    def _remembered(self, token: str) -> Principal | None:
        """A token verified before and not expired since (an expired one is decoded again,
        so its caller hears that it expired)."""
        with self._lock:
            found = self._verified.get(token)
            if found is None:
                return None
            if time.time() >= found[1]:
                del self._verified[token]
                return None
            self._verified.move_to_end(token)
            return found[0]

    def _decode(self, token: str) -> tuple[Principal, float]:
        required = ["exp", "iat", "sub", "role", "iss", *(["aud"] if self._audience else [])]
        try:
            claims = jwt.decode(
                token,
                self._verify_key,
                algorithms=[self.algorithm],
                issuer=self._issuer,
                audience=self._audience,
                options={"require": required},
            )
        except jwt.ExpiredSignatureError:
            raise _unauthorized("the token has expired") from None
        except jwt.PyJWTError:
            raise _unauthorized("the token is not valid") from None
        role, sub, expires = claims.get("role"), claims.get("sub"), claims.get("exp")
        if role not in ROLES or not isinstance(sub, str) or not sub:
            raise _unauthorized("the token is not valid")
        if not isinstance(expires, int | float):
            raise _unauthorized("the token is not valid")
        return Principal(sub=sub, role=role), float(expires)


def require_role(principal: Principal, *roles: str) -> Principal:
    """``principal`` if its role is one of ``roles``, else a 403 problem."""
    if principal.role not in roles:
        raise ProblemError(
            403, f"the {principal.role} role may not do this (allowed: {', '.join(roles)})"
        )
    return principal
