"""What every request handler needs, built once per app: the :class:`AppState`.

``create_app`` builds the state (database engine, audit config, token service, rulesets,
claim records, metrics, the member-rights knowledge base and the review-note drafter's
config) and hangs it on ``app.state.claims``; handlers get it and the caller's
:class:`~api.auth.Principal` through the FastAPI dependencies below.

The dependencies are ``async`` although they never await: FastAPI runs a plain ``def``
dependency in the thread pool, and three thread hops per request cost more than the work they
do (verified tokens are remembered, :class:`~api.auth.TokenService`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from api.auth import Principal, TokenService, require_role
from api.claim_records import ClaimRecords
from api.claim_states.writer import ClaimLife
from api.errors import ProblemError
from api.metrics import Metrics
from api.rulesets import RulesetCatalog
from api.settings import Settings
from audit.config import AuditConfig
from llm_assist.config import AssistConfig
from llm_assist.rights import RightsBase

__all__ = ["AppState", "Caller", "Config", "State", "allow", "get_app_settings", "get_state"]


@dataclass(frozen=True, slots=True)
class AppState:
    settings: Settings
    audit: AuditConfig
    engine: Engine
    tokens: TokenService
    rulesets: RulesetCatalog
    claims: ClaimRecords
    metrics: Metrics
    rights: RightsBase
    assist: AssistConfig
    #: The one write path of a claim's life (:mod:`api.claim_states`).
    life: ClaimLife
    #: The rule backend decisions are made with (``CLAIMS_ENGINE_BACKEND``).
    backend: str = "native"


def _state(request: Request) -> AppState:
    state = request.app.state.claims
    assert isinstance(state, AppState)
    return state


async def get_state(request: Request) -> AppState:
    return _state(request)


State = Annotated[AppState, Depends(get_state)]


async def get_app_settings(request: Request) -> Settings:
    """The application's :class:`~api.settings.Settings`, read once when it was built (by
    default :func:`api.settings.get_settings`, cached for the process)."""
    return _state(request).settings


Config = Annotated[Settings, Depends(get_app_settings)]

_bearer = HTTPBearer(auto_error=False, description="a token from `claims token --role R`")


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _principal(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    if credentials is not None and credentials.scheme.lower() != "bearer":
        raise ProblemError(401, "use the Bearer scheme", headers={"WWW-Authenticate": "Bearer"})
    return _state(request).tokens.verify(credentials.credentials if credentials else None)


async def get_principal(request: Request, credentials: Credentials) -> Principal:
    """The caller of a verified token (any role), else a 401 problem."""
    return _principal(request, credentials)


Caller = Annotated[Principal, Depends(get_principal)]


def allow(*roles: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting only callers with one of ``roles`` (401 without a valid token,
    403 for another role). One dependency rather than a chain of three: FastAPI's dependency
    solving is a measurable share of a request."""

    async def dependency(request: Request, credentials: Credentials) -> Principal:
        return require_role(_principal(request, credentials), *roles)

    return dependency
