"""The claims service: ``create_app(settings)`` builds the FastAPI application.

At startup the audit schema is migrated (:func:`audit.db.upgrade`, idempotent), then the
service's own tables (:func:`api.migrations.upgrade`), the SLA index is filled where it is
missing or stale (:mod:`api.sla_index`), and the JWT secret and the audit
signer key are resolved (generated in development, required in production). Every response
carries ``X-Request-ID`` (the caller's, or a new one), every request is logged as one JSON
line on the ``claims.api.access`` logger and counted in ``/metrics``
(:mod:`api.request_context`); every error is an RFC 9457 problem (:mod:`api.errors`).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import Engine, text
from starlette.types import ASGIApp

from api import migrations
from api.claim_records import ClaimRecords
from api.claim_states.writer import ClaimLife
from api.deps import AppState
from api.docs import install_docs
from api.errors import install_error_handlers
from api.member_pages import install as install_member_pages
from api.metrics import Metrics
from api.request_context import RequestContext
from api.routes import audit, claim_life, claims, members, ops, review_notes, unmask
from api.rulesets import RulesetCatalog, default_rulesets_root
from api.settings import Settings, get_settings
from audit.checkpointer import IdleCheckpointer
from audit.db import create_engine, upgrade
from engine.lifecycle import LifecycleConfig
from llm_assist.rights import DEFAULT_RIGHTS_DIR, load_rights

__all__ = ["create_app"]

#: PostgreSQL advisory lock held while a worker migrates: workers started together on a fresh
#: database would otherwise race on the DDL (duplicate ``pg_type`` entries, a worker exiting).
_MIGRATION_LOCK = 0x636C61696D73  # "claims"


class _ClaimsApp(FastAPI):
    """FastAPI with :class:`RequestContext` outermost: ``add_middleware`` would put it inside
    Starlette's ServerErrorMiddleware, whose 500 answer to an unhandled error would then go
    out without ``X-Request-ID``."""

    def build_middleware_stack(self) -> ASGIApp:
        state: AppState = self.state.claims
        return RequestContext(super().build_middleware_stack(), metrics=state.metrics)


def _prepare_database(engine: Engine, *, migrate: bool, claims: ClaimRecords) -> None:
    """Migrate the audit schema, then the service's tables, then fill the SLA index (the
    first start after its migration, or after a ruleset change), one worker at a time."""
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as lock:
        if postgres:
            lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK})
            lock.commit()
        try:
            if migrate:
                upgrade(engine)
                migrations.upgrade(engine)
            claims.reindex_sla()
        finally:
            if postgres:
                lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK})
                lock.commit()


def create_app(
    settings: Settings | None = None,
    *,
    rulesets_root: Path | None = None,
    migrate: bool = True,
) -> FastAPI:
    """The application over ``settings`` (default: :func:`api.settings.get_settings`)."""
    settings = settings or get_settings()
    config = settings.audit_config()
    engine = create_engine(config.database_url, pool_size=settings.db_pool_size)
    rulesets = RulesetCatalog(rulesets_root or default_rulesets_root())
    records = ClaimRecords(engine, rulesets)
    _prepare_database(engine, migrate=migrate, claims=records)
    state = AppState(
        settings=settings,
        audit=config,
        engine=engine,
        tokens=settings.token_service(),
        rulesets=rulesets,
        claims=records,
        metrics=Metrics(),
        rights=load_rights(settings.rights_dir or DEFAULT_RIGHTS_DIR),
        assist=settings.assist_config(),
        life=ClaimLife(
            engine=engine,
            audit=config,
            rulesets=rulesets,
            records=records,
            config=LifecycleConfig(approval_threshold=settings.override_approval_threshold),
        ),
        backend=settings.backend(),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Everything built so far (compiled rulesets, schemas, imported libraries: ~250,000
        # objects) lives as long as the process; moved out of the collector's sight, a full
        # collection no longer pauses every request in flight for tens of milliseconds.
        gc.collect()
        gc.freeze()
        # the last events before a quiet spell get a timed checkpoint too (audit.checkpointer)
        checkpointer = IdleCheckpointer(engine, config)
        checkpointer.start()
        try:
            yield
        finally:
            checkpointer.stop()
            gc.unfreeze()
            engine.dispose()

    app = _ClaimsApp(
        title="Claims service",
        version="0.1.0",
        description="Claims intake, rule decisions with an audited trail, member explanations.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.claims = state
    install_error_handlers(app)
    install_docs(app)
    for module in (claims, claim_life, review_notes, members, audit, ops, unmask):
        app.include_router(module.router)
    install_member_pages(app, state)
    return app
