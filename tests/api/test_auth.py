"""Bearer tokens and roles: 401 problem for a bad, missing or expired token, 403 for a role
that may not; the JWT secret is generated in development and required in production.

RS256: tokens of an identity provider are verified with its public key (and nothing else is
accepted), a misconfigured key is a clear settings error, ``claims token`` and ``claims serve``
mint tokens only with the private key. Verified tokens are remembered until they expire, in a
bounded cache that a tampered copy cannot hit. RSA keys are generated once per session.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import re
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import jwt
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from fastapi.testclient import TestClient

from api import auth
from api.app import create_app
from api.auth import ISSUER, Principal, TokenService
from api.cli import serve as serve_cli
from api.errors import PROBLEM_JSON, ProblemError
from api.settings import AuthSettingsError, Settings
from tests.api.conftest import SECRET, Service, example_claim
from tests.audit.conftest import SIGNER
from tests.engine.factories import REPO


def _assert_401(response) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401 and body["type"].endswith("/unauthorized")


def test_missing_token_is_401(service: Service) -> None:
    response = service.client.get("/claims/CLM-1")
    _assert_401(response)
    # RFC 6750 3.1: a request without credentials gets no error code
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_invalid_token_names_the_error(service: Service) -> None:
    response = service.client.get("/claims/CLM-1", headers={"Authorization": "Bearer x.y.z"})
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


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
    first = Settings(jwt_secret_file=path).jwt_signing_secret()
    assert len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Settings(jwt_secret_file=path).jwt_signing_secret() == first


def test_production_refuses_a_missing_secret(tmp_path: Path) -> None:
    settings = Settings(jwt_secret_file=tmp_path / "none", environment="production")
    with pytest.raises(AuthSettingsError, match="no JWT secret"):
        settings.jwt_signing_secret()
    assert not (tmp_path / "none").exists()


def test_short_secret_is_refused() -> None:
    with pytest.raises(AuthSettingsError, match="at least 32"):
        Settings(jwt_secret="short").jwt_signing_secret()


def test_secret_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIMS_JWT_SECRET", SECRET)
    assert Settings().jwt_signing_secret() == SECRET


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


# --- RS256: tokens of an identity provider, verified with its public key --------------------

AUDIENCE = "claims-api"
JWT_ENV = (
    "CLAIMS_JWT_SECRET",
    "CLAIMS_JWT_SECRET_FILE",
    "CLAIMS_JWT_PUBLIC_KEY",
    "CLAIMS_JWT_PUBLIC_KEY_FILE",
    "CLAIMS_JWT_PRIVATE_KEY_FILE",
    "CLAIMS_JWT_ISSUER",
    "CLAIMS_JWT_AUDIENCE",
    "CLAIMS_JWT_TTL_SECONDS",
)


@pytest.fixture(autouse=True)
def _no_jwt_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Settings reads the environment: a developer's own CLAIMS_JWT_* must not leak in.
    for name in JWT_ENV:
        monkeypatch.delenv(name, raising=False)


@functools.cache
def make_rsa_key(name: str, bits: int = 2048) -> rsa.RSAPrivateKey:
    """An RSA key per ``name``, generated once per session (key generation is slow)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def make_public_pem(key: PrivateKeyTypes) -> str:
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def make_private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()


def make_key_files(tmp_path: Path, key: rsa.RSAPrivateKey) -> tuple[Path, Path]:
    """``(public, private)`` PEM files of ``key``."""
    public, private = tmp_path / "jwt-public.pem", tmp_path / "jwt-private.pem"
    public.write_text(make_public_pem(key), encoding="utf-8")
    private.write_text(make_private_pem(key), encoding="utf-8")
    return public, private


def make_claims(role: str = "adjuster", ttl: int = 600, **changes: Any) -> dict[str, Any]:
    """The claims an identity provider puts in a token; a ``None`` change drops the claim."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": f"idp-{role}",
        "role": role,
        "iss": ISSUER,
        "iat": now,
        "exp": now + ttl,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def make_rs256_token(key_name: str = "idp", **changes: Any) -> str:
    return jwt.encode(make_claims(**changes), make_rsa_key(key_name), algorithm="RS256")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_hs256_by_hand(secret: str, **changes: Any) -> str:
    """An HS256 token made without PyJWT, which refuses a PEM key as an HMAC secret: the
    algorithm-confusion forgery (public key text used as the HMAC secret)."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(make_claims(**changes)).encode())
    signed = f"{header}.{payload}"
    mac = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{_b64(mac)}"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def make_rs256_client(tmp_path: Path, **fields: Any) -> Iterator[TestClient]:
    """A service verifying RS256 tokens with the public key of ``make_rsa_key("idp")``."""
    fields.setdefault("jwt_public_key", make_public_pem(make_rsa_key("idp")))
    fields.setdefault("audit_witness_dir", tmp_path / "witness")
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'claims.db'}",
        audit_signer_key=SIGNER,
        audit_origin="claims.example/audit-test",
        audit_key_file=tmp_path / "audit-signer.key",
        **fields,
    )
    app = create_app(settings, rulesets_root=REPO / "rulesets")
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def rs256(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    for name in ("CLAIMS_DATABASE_URL", "CLAIMS_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    with make_rs256_client(tmp_path) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "role", "status"),
    [
        ("/sla/breaches", "adjuster", 200),
        ("/sla/breaches", "supervisor", 200),
        ("/sla/breaches", "auditor", 403),
        ("/sla/breaches", "member", 403),
        ("/me/claims", "member", 200),
        ("/me/claims", "adjuster", 403),
    ],
)
def test_rs256_token_of_the_identity_provider_is_accepted_within_its_role(
    rs256: TestClient, path: str, role: str, status: int
) -> None:
    response = rs256.get(path, headers=_bearer(make_rs256_token(role=role)))
    assert response.status_code == status, response.text
    if status == 403:
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["type"].endswith("/forbidden")


def _other_key_token() -> str:
    return make_rs256_token("other")


def _hs256_with_public_key_as_secret() -> str:
    return make_hs256_by_hand(make_public_pem(make_rsa_key("idp")))


def _hs256_with_a_secret() -> str:
    return jwt.encode(make_claims(), SECRET, algorithm="HS256")


def _alg_none() -> str:
    return jwt.encode(make_claims(), "", algorithm="none")


def _wrong_issuer() -> str:
    return make_rs256_token(iss="https://evil.example")


def _no_issuer() -> str:
    return make_rs256_token(iss=None)


def _no_exp() -> str:
    return make_rs256_token(exp=None)


def _unknown_role() -> str:
    return make_rs256_token(role="admin")


def _unexpected_audience() -> str:
    # The service sets no audience: an audience-bound token is meant for another service.
    return make_rs256_token(aud="another-api")


@pytest.mark.parametrize(
    "make_token",
    [
        _other_key_token,
        _hs256_with_public_key_as_secret,
        _hs256_with_a_secret,
        _alg_none,
        _wrong_issuer,
        _no_issuer,
        _no_exp,
        _unknown_role,
        _unexpected_audience,
    ],
)
def test_rs256_service_refuses_other_tokens(rs256: TestClient, make_token: Any) -> None:
    response = rs256.get("/sla/breaches", headers=_bearer(make_token()))
    _assert_401(response)
    assert response.json()["detail"] == "the token is not valid"


def test_hand_made_hs256_token_is_a_valid_jwt() -> None:
    # Else the forgery test above would pass for a wrongly made token, not for a safe check.
    principal = TokenService(SECRET).verify(make_hs256_by_hand(SECRET, role="auditor"))
    assert principal == Principal(sub="idp-auditor", role="auditor")


def test_expired_rs256_token_is_401(rs256: TestClient) -> None:
    token = make_rs256_token(iat=int(time.time()) - 120, exp=int(time.time()) - 60)
    response = rs256.get("/sla/breaches", headers=_bearer(token))
    _assert_401(response)
    assert "expired" in response.json()["detail"]


@pytest.mark.parametrize(
    ("aud", "status"),
    [(None, 401), ("another-api", 401), ([], 401), (AUDIENCE, 200), (["x", AUDIENCE], 200)],
)
def test_rs256_audience_must_match_when_configured(tmp_path: Path, aud: Any, status: int) -> None:
    with make_rs256_client(tmp_path, jwt_audience=AUDIENCE) as client:
        response = client.get("/sla/breaches", headers=_bearer(make_rs256_token(aud=aud)))
    assert response.status_code == status, response.text
    if status == 401:
        _assert_401(response)


def test_unauthorized_is_a_problem_document(rs256: TestClient) -> None:
    response = rs256.get("/sla/breaches", headers=_bearer(make_rs256_token("other")))
    _assert_401(response)
    assert response.headers["www-authenticate"].split()[0] == "Bearer"
    body = response.json()
    assert body["title"] == "Unauthorized"
    assert body["instance"] == "/sla/breaches"
    assert body["detail"]
    # Nothing about the key or the token's content is echoed back.
    assert "BEGIN" not in response.text and "idp-adjuster" not in response.text


# --- RS256 settings: a misconfigured key is a clear AuthSettingsError ------------------------


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def make_ec_pem() -> str:
    return make_public_pem(ec.generate_private_key(ec.SECP256R1()))


def make_dsa_pem() -> str:
    return make_public_pem(dsa.generate_private_key(key_size=1024))


@pytest.mark.parametrize(
    ("make_text", "message"),
    [
        (lambda: "not a key\n", "not a PEM RSA public key"),
        (lambda: "", "not a PEM RSA public key"),
        (lambda: b"\xff\xfe\x00binary", "cannot read CLAIMS_JWT_PUBLIC_KEY_FILE"),
        (lambda: make_private_pem(make_rsa_key("idp")), "not a PEM RSA public key"),
        (make_ec_pem, "not an RSA key"),
        (make_dsa_pem, "not an RSA key"),
        (lambda: make_public_pem(make_rsa_key("weak", 1024)), "1024 bits: use 2048+"),
    ],
    ids=["text", "empty", "binary", "private-key", "ec", "dsa", "rsa-1024"],
)
def test_unusable_public_key_file_is_refused(
    tmp_path: Path, make_text: Callable[[], str | bytes], message: str
) -> None:
    # Keys are made in the test, not at collection: key generation is slow.
    settings = Settings(jwt_public_key_file=_write(tmp_path, "public.pem", make_text()))
    assert settings.jwt_algorithm == "RS256"
    with pytest.raises(AuthSettingsError, match=re.escape(message)):
        settings.token_service()


@pytest.mark.parametrize("name", ["missing.pem", "."], ids=["missing", "directory"])
def test_unreadable_public_key_file_is_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with pytest.raises(AuthSettingsError, match="cannot read CLAIMS_JWT_PUBLIC_KEY_FILE"):
        Settings(jwt_public_key_file=path).token_service()


def test_public_key_and_public_key_file_are_exclusive(tmp_path: Path) -> None:
    public, _ = make_key_files(tmp_path, make_rsa_key("idp"))
    settings = Settings(
        jwt_public_key=make_public_pem(make_rsa_key("idp")), jwt_public_key_file=public
    )
    with pytest.raises(AuthSettingsError, match="not both"):
        settings.token_service()


@pytest.mark.parametrize(
    ("make_text", "message"),
    [
        (lambda: make_public_pem(make_rsa_key("idp")), "not a PEM RSA private key"),
        (lambda: make_private_pem(make_rsa_key("weak", 1024)), "1024 bits"),
    ],
    ids=["public-key", "rsa-1024"],
)
def test_unusable_private_key_file_is_refused(
    tmp_path: Path, make_text: Callable[[], str], message: str
) -> None:
    public, _ = make_key_files(tmp_path, make_rsa_key("idp"))
    private = _write(tmp_path, "private.pem", make_text())
    settings = Settings(jwt_public_key_file=public, jwt_private_key_file=private)
    with pytest.raises(AuthSettingsError, match=message):
        settings.token_service()


def test_missing_private_key_file_is_refused(tmp_path: Path) -> None:
    public, _ = make_key_files(tmp_path, make_rsa_key("idp"))
    settings = Settings(jwt_public_key_file=public, jwt_private_key_file=tmp_path / "no.pem")
    with pytest.raises(AuthSettingsError, match="cannot read CLAIMS_JWT_PRIVATE_KEY_FILE"):
        settings.token_service()


def test_rs256_without_private_key_verifies_but_does_not_issue(tmp_path: Path) -> None:
    public, _ = make_key_files(tmp_path, make_rsa_key("idp"))
    tokens = Settings(jwt_public_key_file=public).token_service()
    assert tokens.algorithm == "RS256" and not tokens.can_issue
    assert tokens.verify(make_rs256_token(role="auditor")).role == "auditor"
    with pytest.raises(ValueError, match="identity provider"):
        tokens.issue(role="adjuster", sub="a")


def test_rs256_with_private_key_issues_tokens_it_verifies(tmp_path: Path) -> None:
    public, private = make_key_files(tmp_path, make_rsa_key("idp"))
    tokens = Settings(jwt_public_key_file=public, jwt_private_key_file=private).token_service()
    assert tokens.can_issue
    token = tokens.issue(role="rule_author", sub="r")
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert tokens.verify(token) == Principal(sub="r", role="rule_author")


# --- claims token / claims serve with RS256 -------------------------------------------------


def test_token_command_with_rs256_keys_issues_a_token_the_service_accepts(
    rs256: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    public, private = make_key_files(tmp_path, make_rsa_key("idp"))
    monkeypatch.setenv("CLAIMS_JWT_PUBLIC_KEY_FILE", str(public))
    monkeypatch.setenv("CLAIMS_JWT_PRIVATE_KEY_FILE", str(private))
    result = CliRunner().invoke(serve_cli.token_command, ["--role", "adjuster"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert rs256.get("/sla/breaches", headers=_bearer(token)).status_code == 200
    assert rs256.get("/me/claims", headers=_bearer(token)).status_code == 403


def _assert_clean_failure(result: Any, *fragments: str) -> None:
    """A non-zero exit with an ``error:`` line naming ``fragments`` and no traceback."""
    assert result.exit_code not in (0, 1), result.output  # 1 would be an uncaught exception
    assert isinstance(result.exception, SystemExit)
    assert result.output.startswith("error: ")
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output


def test_token_command_without_private_key_says_where_tokens_come_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    public, _ = make_key_files(tmp_path, make_rsa_key("idp"))
    monkeypatch.setenv("CLAIMS_JWT_PUBLIC_KEY_FILE", str(public))
    monkeypatch.setenv("CLAIMS_JWT_SECRET", SECRET)  # a secret must not make it fall back to HS256
    result = CliRunner().invoke(serve_cli.token_command, ["--role", "adjuster"])
    _assert_clean_failure(result, "identity provider", "CLAIMS_JWT_PRIVATE_KEY_FILE")


def test_token_command_with_a_bad_public_key_fails_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAIMS_JWT_PUBLIC_KEY_FILE", str(tmp_path / "missing.pem"))
    result = CliRunner().invoke(serve_cli.token_command, ["--role", "adjuster"])
    _assert_clean_failure(result, "CLAIMS_JWT_PUBLIC_KEY_FILE", "missing.pem")


def _serve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``claims serve`` in development in ``tmp_path``, uvicorn replaced by a no-op."""
    from api.settings import get_settings

    monkeypatch.chdir(tmp_path)
    for name in ("CLAIMS_DATABASE_URL", "CLAIMS_ENVIRONMENT", "CLAIMS_AUDIT_SIGNER_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: None)
    monkeypatch.setattr(serve_cli, "_configure_logging", lambda: None)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(serve_cli.serve_command, ["--port", "8123"])
    finally:
        get_settings.cache_clear()


def test_serve_with_rs256_and_no_private_key_prints_no_tokens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    public, _ = make_key_files(tmp_path, make_rsa_key("idp"))
    monkeypatch.setenv("CLAIMS_JWT_PUBLIC_KEY_FILE", str(public))
    result = _serve(tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "development tokens: none (" in result.output
    assert "CLAIMS_JWT_PRIVATE_KEY_FILE" in result.output
    assert not any(line.strip().startswith("adjuster ") for line in result.output.splitlines())


def test_serve_with_rs256_private_key_prints_rs256_tokens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    public, private = make_key_files(tmp_path, make_rsa_key("idp"))
    monkeypatch.setenv("CLAIMS_JWT_PUBLIC_KEY_FILE", str(public))
    monkeypatch.setenv("CLAIMS_JWT_PRIVATE_KEY_FILE", str(private))
    result = _serve(tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    verifier = TokenService.rs256(make_public_pem(make_rsa_key("idp")))
    line = next(x for x in result.output.splitlines() if x.strip().startswith("supervisor "))
    assert verifier.verify(line.split()[-1]).role == "supervisor"


def test_serve_with_a_bad_public_key_fails_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = _write(tmp_path, "ec.pem", make_ec_pem())
    monkeypatch.setenv("CLAIMS_JWT_PUBLIC_KEY_FILE", str(key))
    _assert_clean_failure(_serve(tmp_path, monkeypatch), "not an RSA key")


# --- the cache of verified tokens ------------------------------------------------------------


def make_hs256_token(ttl: int = 600, **changes: Any) -> str:
    return jwt.encode(make_claims(ttl=ttl, **changes), SECRET, algorithm="HS256")


def test_cached_token_is_refused_once_expired() -> None:
    tokens = TokenService(SECRET)
    token = make_hs256_token(ttl=2)
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    assert tokens.verify(token).role == "adjuster"
    time.sleep(max(0.0, expires - time.time()) + 0.1)
    with pytest.raises(ProblemError) as refused:
        tokens.verify(token)
    assert refused.value.status == 401 and "expired" in refused.value.detail


def test_verified_token_is_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = TokenService(SECRET)
    token = make_hs256_token(role="auditor", sub="aud-1")
    first = tokens.verify(token)
    # A second verification of the same text must not decode (and so cost) again.
    monkeypatch.setattr(jwt, "decode", _no_decoding)
    assert tokens.verify(token) == first == Principal(sub="aud-1", role="auditor")


def _no_decoding(*args: Any, **kwargs: Any) -> NoReturn:
    raise AssertionError("the token was decoded again")


def _counting_decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tokens ``jwt.decode`` is called with from now on."""
    decoded: list[str] = []
    real = jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        decoded.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)
    return decoded


def test_token_cache_is_bounded_and_least_recently_used_goes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(auth, "TOKEN_CACHE_SIZE", 3)
    tokens = TokenService(SECRET)
    many = [make_hs256_token(sub=f"user-{n}") for n in range(10)]
    for token in many:
        tokens.verify(token)
        assert len(tokens._verified) <= 3
    first, second, third = many[7:]
    tokens.verify(first)  # used again: now the most recent
    tokens.verify(make_hs256_token(sub="newcomer"))  # pushes `second` out
    decoded = _counting_decodes(monkeypatch)
    assert tokens.verify(first).sub == "user-7"
    assert tokens.verify(third).sub == "user-9"
    assert decoded == []
    assert tokens.verify(second).sub == "user-8"
    assert decoded == [second]
    assert tokens.verify(many[0]).sub == "user-0"  # evicted long ago, still valid


def _signature_changed(token: str) -> str:
    head, payload, signature = token.split(".")
    # A middle character: the last one may change only padding bits (PyJWT 2.15 refuses
    # those too, older versions decoded them to the same signature).
    at = len(signature) // 2
    swapped = "A" if signature[at] != "A" else "B"
    return f"{head}.{payload}.{signature[:at]}{swapped}{signature[at + 1 :]}"


def _payload_changed(token: str) -> str:
    head, _payload, signature = token.split(".")
    forged = _b64(json.dumps(make_claims(role="supervisor", sub="idp-adjuster")).encode())
    return f"{head}.{forged}.{signature}"


def _hs256_tokens() -> tuple[TokenService, str]:
    tokens = TokenService(SECRET)
    return tokens, tokens.issue(role="adjuster", sub="idp-adjuster")


def _rs256_tokens() -> tuple[TokenService, str]:
    key = make_rsa_key("idp")
    tokens = TokenService.rs256(make_public_pem(key), private_key=make_private_pem(key))
    return tokens, tokens.issue(role="adjuster", sub="idp-adjuster")


@pytest.mark.parametrize("make_tokens", [_hs256_tokens, _rs256_tokens], ids=["HS256", "RS256"])
@pytest.mark.parametrize("tamper", [_signature_changed, _payload_changed])
def test_tampered_copy_of_a_cached_token_is_refused(make_tokens: Any, tamper: Any) -> None:
    tokens, token = make_tokens()
    assert tokens.verify(token).role == "adjuster"
    tampered = tamper(token)
    assert tampered != token
    with pytest.raises(ProblemError) as refused:
        tokens.verify(tampered)
    assert refused.value.status == 401
    assert tokens.verify(token).role == "adjuster"  # the original is still good


def test_services_do_not_share_verified_tokens() -> None:
    token = make_hs256_token()
    assert TokenService(SECRET).verify(token).role == "adjuster"
    with pytest.raises(ProblemError) as refused:
        TokenService("another-secret-" + "y" * 40).verify(token)
    assert refused.value.status == 401


# --- HS256 with an issuer and an audience ----------------------------------------------------


def make_hs256_settings(**changes: Any) -> Settings:
    fields: dict[str, Any] = {
        "jwt_secret": SECRET,
        "jwt_issuer": "https://idp.example",
        "jwt_audience": AUDIENCE,
    }
    fields.update(changes)
    return Settings(**fields)


def test_hs256_issuer_and_audience_round_trip() -> None:
    settings = make_hs256_settings()
    assert settings.jwt_algorithm == "HS256"
    tokens = settings.token_service()
    token = tokens.issue(role="auditor", sub="a-1")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience=AUDIENCE)
    assert claims["iss"] == "https://idp.example" and claims["aud"] == AUDIENCE
    assert tokens.verify(token) == Principal(sub="a-1", role="auditor")


@pytest.mark.parametrize(
    "other",
    [
        {"jwt_issuer": "https://other.example"},
        {"jwt_audience": "another-api"},
        {"jwt_audience": None},
    ],
    ids=["issuer", "audience", "no-audience"],
)
def test_hs256_refuses_a_token_of_another_issuer_or_audience(other: dict[str, Any]) -> None:
    token = make_hs256_settings(**other).token_service().issue(role="adjuster", sub="a")
    with pytest.raises(ProblemError) as refused:
        make_hs256_settings().token_service().verify(token)
    assert refused.value.status == 401 and refused.value.detail == "the token is not valid"


def test_a_private_key_of_another_pair_is_refused(tmp_path: Path) -> None:
    """Tokens signed with it would all be refused: say so at startup instead."""
    public = _write(tmp_path, "public.pem", make_public_pem(make_rsa_key("idp")))
    private = _write(tmp_path, "private.pem", make_private_pem(make_rsa_key("other")))
    settings = Settings(jwt_public_key_file=public, jwt_private_key_file=private)
    with pytest.raises(AuthSettingsError, match="does not belong to the public key"):
        settings.token_service()


def test_an_empty_audience_setting_means_no_audience(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAIMS_JWT_AUDIENCE", "")
    monkeypatch.setenv("CLAIMS_JWT_PUBLIC_KEY", "  ")
    settings = Settings(jwt_secret="s" * 40, jwt_secret_file=tmp_path / "secret")
    assert settings.jwt_audience is None
    assert settings.jwt_algorithm == "HS256"
    service = settings.token_service()
    token = jwt.encode(make_claims(), "s" * 40, algorithm="HS256")  # a token without `aud`
    assert service.verify(token).role == "adjuster"


@pytest.mark.parametrize(
    "secret",
    [
        "change-me-to-a-random-secret-of-32-or-more-characters",  # .env.example's
        "CHANGEME" + "k" * 40,
        "please-replace_me-" + "q" * 30,
        "your-secret-goes-here-" + "z" * 20,
    ],
)
def test_production_refuses_a_placeholder_secret(tmp_path: Path, secret: str) -> None:
    production = Settings(
        jwt_secret=secret, jwt_secret_file=tmp_path / "s", environment="production"
    )
    with pytest.raises(AuthSettingsError, match="is a placeholder"):
        production.jwt_signing_secret()
    assert (
        Settings(jwt_secret=secret, jwt_secret_file=tmp_path / "s").jwt_signing_secret() == secret
    )


def test_the_example_environment_holds_the_refused_placeholder(tmp_path: Path) -> None:
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    secret = next(
        line.split("=", 1)[1]
        for line in example.splitlines()
        if line.startswith("CLAIMS_JWT_SECRET=")
    )
    production = Settings(
        jwt_secret=secret, jwt_secret_file=tmp_path / "s", environment="production"
    )
    with pytest.raises(AuthSettingsError, match="placeholder"):
        production.jwt_signing_secret()


def test_production_refuses_a_placeholder_in_the_secret_file(tmp_path: Path) -> None:
    path = tmp_path / "jwt-secret"
    path.write_text("changeme-" + "r" * 40, encoding="utf-8")
    production = Settings(jwt_secret_file=path, environment="production")
    with pytest.raises(AuthSettingsError, match="placeholder"):
        production.jwt_signing_secret()
