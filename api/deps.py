"""What every request handler needs, built once per app: the :class:`AppState`.

``create_app`` builds the state (database engine, audit config, token service, rulesets,
claim records, metrics, the member-rights knowledge base and the review-note drafter's
config) and hangs it on ``app.state.claims``; handlers get it and the caller's
:class:`~api.auth.Principal` through the FastAPI dependencies below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from api.auth import Principal, TokenService, require_role
from api.claim_records import ClaimRecords
from api.errors import ProblemError
from api.metrics import Metrics
from api.rulesets import RulesetCatalog
from api.settings import Settings
from audit.config import AuditConfig
from llm_assist.config import AssistConfig
from llm_assist.rights import RightsBase

__all__ = ["AppState", "Caller", "State", "allow", "get_state"]


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


def get_state(request: Request) -> AppState:
    state = request.app.state.claims
    assert isinstance(state, AppState)
    return state


State = Annotated[AppState, Depends(get_state)]

_bearer = HTTPBearer(auto_error=False, description="a token from `claims token --role R`")


def get_principal(
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is not None and credentials.scheme.lower() != "bearer":
        raise ProblemError(401, "use the Bearer scheme", headers={"WWW-Authenticate": "Bearer"})
    return state.tokens.verify(credentials.credentials if credentials else None)


Caller = Annotated[Principal, Depends(get_principal)]


def allow(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency admitting only callers with one of ``roles`` (else 403)."""

    def dependency(principal: Caller) -> Principal:
        return require_role(principal, *roles)

    return dependency
