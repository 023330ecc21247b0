"""Bearer tokens and roles: 401 problem for a bad, missing or expired token, 403 for a role
that may not; the JWT secret is generated in development and required in production."""

from __future__ import annotations

import stat
from pathlib import Path

import jwt
import pytest
from click.testing import CliRunner

from api import serve_cli
from api.auth import AuthSettings, AuthSettingsError, TokenService
from api.errors import PROBLEM_JSON
from tests.api.conftest import SECRET, Service, example_claim


def _assert_401(response) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401 and body["type"].endswith("/unauthorized")


def test_missing_token_is_401(service: Service) -> None:
    _assert_401(service.client.get("/claims/CLM-1"))


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not-a-jwt",
        "Basic dXNlcjpwYXNz",
        "Bearer " + jwt.encode({"sub": "x", "role": "adjuster"}, "w" * 40, algorithm="HS256"),
    ],
)
def test_bad_token_is_401(service: Service, header: str) -> None:
    _assert_401(service.client.get("/claims/CLM-1", headers={"Authorization": header}))


def test_expired_token_is_401(service: Service) -> None:
    token = TokenService(SECRET).issue(role="adjuster", sub="a", ttl_seconds=-10)
    response = service.client.get("/claims/CLM-1", headers={"Authorization": f"Bearer {token}"})
    _assert_401(response)
    assert "expired" in response.json()["detail"]


def test_token_signed_with_none_algorithm_is_401(service: Service) -> None:
    token = jwt.encode({"sub": "a", "role": "supervisor"}, None, algorithm="none")
    _assert_401(service.client.get("/claims/CLM-1", headers={"Authorization": f"Bearer {token}"}))


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        ("post", "/claims", "member"),
        ("post", "/claims", "auditor"),
        ("post", "/claims", "rule_author"),
        ("get", "/claims/CLM-2026-000123", "rule_author"),
        ("post", "/claims/CLM-2026-000123/evaluate", "auditor"),
        ("post", "/claims/CLM-2026-000123/evaluate", "member"),
        ("get", "/claims/CLM-2026-000123/decisions", "member"),
        ("get", "/sla/breaches", "auditor"),
        ("get", "/me/claims", "adjuster"),
        ("get", "/audit/checkpoints/latest", "adjuster"),
        ("get", "/audit/checkpoints/latest", "member"),
    ],
)
def test_wrong_role_is_403(service: Service, method: str, path: str, role: str) -> None:
    assert service.intake(example_claim()).status_code == 201
    kwargs = {"json": example_claim()} if method == "post" and path == "/claims" else {}
    response = getattr(service.client, method)(path, headers=service.auth(role), **kwargs)
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"].endswith("/forbidden")


def test_secret_generated_once_in_development(tmp_path: Path) -> None:
    path = tmp_path / "var" / "jwt-secret"
    first = AuthSettings(jwt_secret_file=path).secret()
    assert len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert AuthSettings(jwt_secret_file=path).secret() == first


def test_production_refuses_a_missing_secret(tmp_path: Path) -> None:
    settings = AuthSettings(jwt_secret_file=tmp_path / "none", environment="production")
    with pytest.raises(AuthSettingsError, match="no JWT secret"):
        settings.secret()
    assert not (tmp_path / "none").exists()


def test_short_secret_is_refused() -> None:
    with pytest.raises(AuthSettingsError, match="at least 32"):
        AuthSettings(jwt_secret="short").secret()


def test_secret_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIMS_JWT_SECRET", SECRET)
    assert AuthSettings().secret() == SECRET


def test_token_command_issues_a_token_the_service_accepts(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAIMS_JWT_SECRET", SECRET)
    result = CliRunner().invoke(serve_cli.token_command, ["--role", "member", "--sub", "M-1001"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert service.intake(example_claim()).status_code == 201
    response = service.client.get(
        "/claims/CLM-2026-000123", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert response.json()["member"]["bank_card"] == "***************0128"


def test_token_command_needs_sub_for_members(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIMS_JWT_SECRET", SECRET)
    result = CliRunner().invoke(serve_cli.token_command, ["--role", "member"])
    assert result.exit_code == 2
    assert "--sub is required" in result.output


def test_serve_prints_urls_and_tokens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from api.settings import get_settings

    monkeypatch.chdir(tmp_path)
    for name in ("CLAIMS_DATABASE_URL", "CLAIMS_ENVIRONMENT", "CLAIMS_AUDIT_SIGNER_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLAIMS_JWT_SECRET", SECRET)
    ran: dict[str, object] = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: ran.update(kw, app=app))
    monkeypatch.setattr(serve_cli, "_configure_logging", lambda: None)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(serve_cli.serve_command, ["--port", "8123"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8123" in result.output
    assert "http://127.0.0.1:8123/docs" in result.output
    tokens = TokenService(SECRET)
    for role in ("adjuster", "supervisor", "auditor", "rule_author", "member"):
        line = next(x for x in result.output.splitlines() if x.strip().startswith(role + " "))
        assert tokens.verify(line.split()[-1]).role == role
    assert ran["host"] == "127.0.0.1" and ran["port"] == 8123
