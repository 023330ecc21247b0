"""Fixtures of the service tests: an app on a fresh database, a TestClient, tokens.

``service`` runs on SQLite (a file under ``tmp_path``); ``any_service`` is parametrized on
SQLite and PostgreSQL (a fresh schema per test, see ``tests/audit/conftest.py``: skipped with
the reason when PostgreSQL is unreachable, failed instead with ``CLAIMS_TEST_REQUIRE_PG=1``).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import TokenService
from api.deps import AppState
from api.settings import Settings
from tests.audit.conftest import SIGNER, pg_url  # noqa: F401  (fixture)
from tests.engine.factories import EXAMPLE, REPO

SECRET = "test-secret-" + "x" * 40
AS_OF = "2025-07-01T09:00:00+08:00"


def example_claim(**changes: Any) -> dict[str, Any]:
    """The reference claim (examples/claim.json) with top-level ``changes``."""
    claim = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    claim.update(changes)
    return claim


@dataclass
class Service:
    client: TestClient
    state: AppState
    tokens: TokenService

    def auth(self, role: str, sub: str | None = None) -> dict[str, str]:
        token = self.tokens.issue(role=role, sub=sub or f"test-{role}")
        return {"Authorization": f"Bearer {token}"}

    def intake(self, claim: dict[str, Any], role: str = "adjuster", **headers: str) -> Any:
        return self.client.post("/claims", json=claim, headers={**self.auth(role), **headers})


def _service(
    url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rulesets: Path | None = None,
    **overrides: Any,
) -> Iterator[Service]:
    for name in ("CLAIMS_DATABASE_URL", "CLAIMS_JWT_SECRET", "CLAIMS_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(
        database_url=url,
        audit_signer_key=SIGNER,
        audit_origin="claims.example/audit-test",
        audit_checkpoint_every=3,
        # the batch key and the witness go beside it: never into the working directory
        audit_key_file=tmp_path / "audit-signer.key",
        jwt_secret=SECRET,
        jwt_secret_file=tmp_path / "jwt-secret",
        audit_witness_dir=tmp_path / "witness",
        **overrides,
    )
    app = create_app(settings, rulesets_root=rulesets or REPO / "rulesets")
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Service(client, app.state.claims, TokenService(SECRET))


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    yield from _service(f"sqlite:///{tmp_path / 'claims.db'}", tmp_path, monkeypatch)


@pytest.fixture(params=["sqlite", "postgres"])
def any_service(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Service]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'claims.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    yield from _service(url, tmp_path, monkeypatch)


@pytest.fixture
def own_rulesets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Service, Path]]:
    """A service over a copy of the bundled rulesets (``tmp_path/rulesets``) to edit."""
    root = tmp_path / "rulesets"
    shutil.copytree(REPO / "rulesets", root)
    (tmp_path / "examples").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "examples" / "claim.json")  # the tests' base claim
    url = f"sqlite:///{tmp_path / 'claims.db'}"
    for service in _service(url, tmp_path, monkeypatch, rulesets=root):
        yield service, root
