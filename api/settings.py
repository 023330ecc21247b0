"""One ``Settings`` of the service and the CLI, from ``CLAIMS_*`` environment variables.

``api`` is the only place that reads the environment: the parts get plain config objects
built here (:meth:`Settings.audit_config` for :mod:`audit`, :meth:`Settings.assist_config`
for :mod:`llm_assist`, :meth:`Settings.token_service` for the bearer tokens of
:mod:`api.auth`). Every variable, its default and its meaning is in the README's settings
table (a test fails when a field is missing from it, or the table names one that is not a
field). ``CLAIMS_ENVIRONMENT`` is the one environment flag: in ``production`` nothing secret
is ever generated and placeholders are refused. Secrets given as files (the ``*_FILE``
variables, and ``CLAIMS_AUDIT_KEY_FILE``) are all read by one reader,
:func:`api.secret_files.read_secret_file`; a secret set directly wins over its file.

The service reads the settings once (:func:`get_settings`, cached); request handlers get
the application's settings through the :data:`api.deps.Config` dependency.
"""

from __future__ import annotations

import functools
import re
import secrets
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.auth import ISSUER, TokenService, checked_secret
from api.errors import AuthSettingsError, SettingsError
from api.secret_files import create_secret_file, read_secret_file
from audit.batch_tags import BatchKey, derive_batch_key, generate_batch_key
from audit.checkpoint import generate_key, verifier_key_from_signer
from audit.config import AuditConfig
from audit.errors import CheckpointError, ConfigError, SignerKeyNameError
from engine.backends import available_backends
from llm_assist.config import AssistConfig, Provider, StructuredMethod

__all__ = ["AuthSettingsError", "Settings", "SettingsError", "get_settings"]

_PLACEHOLDER = re.compile(r"change.?me|replace.?me|placeholder|your.?secret", re.IGNORECASE)


class Settings(BaseSettings):
    """All ``CLAIMS_*`` settings (module docstring; the README's table)."""

    model_config = SettingsConfigDict(env_prefix="CLAIMS_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    # database
    database_url: str = "sqlite:///var/claims.db"
    db_pool_size: int = Field(default=20, ge=1, le=500)
    # audit trail
    audit_origin: str = "claims.example/audit"
    audit_signer_key: SecretStr | None = None
    audit_key_file: Path = Path("var/audit-signer.key")
    audit_checkpoint_every: int = Field(default=100, ge=0)
    audit_checkpoint_interval_s: float = Field(default=60.0, ge=0, le=10**8)
    audit_batch_key: SecretStr | None = None
    audit_batch_key_file: Path | None = None
    audit_witness: Literal["file", "off"] = "file"
    audit_witness_dir: Path | None = None
    audit_witness_url: str | None = None
    audit_witness_key: str | None = None
    # bearer tokens
    jwt_secret: SecretStr | None = None
    jwt_secret_file: Path = Path("var/jwt-secret")
    jwt_public_key: str | None = None
    jwt_public_key_file: Path | None = None
    jwt_private_key_file: Path | None = None
    jwt_issuer: str = Field(default=ISSUER, min_length=1)
    jwt_audience: str | None = None
    jwt_ttl_seconds: int = Field(default=3600, ge=60, le=7 * 24 * 3600)
    # review-note assistant
    assist_provider: Provider = "template"
    assist_model: str = ""
    assist_base_url: str | None = None
    assist_api_key: SecretStr | None = None
    assist_api_key_file: Path | None = None
    assist_timeout_s: float = Field(default=20.0, gt=0, le=600)
    assist_max_retries: int = Field(default=1, ge=0, le=10)
    assist_structured_output: StructuredMethod = "json_schema"
    rights_dir: Path | None = None
    # rules
    engine_backend: Literal["native", "durable"] = "native"
    #: An override paying more than the rules by more than this waits for a second person.
    override_approval_threshold: Decimal = Field(default=Decimal("0.00"), ge=0, decimal_places=2)
    # the member pages (api/member_pages): the insurer's own channels, the session idle time
    member_documents_zh: str = "请把材料的照片或复印件寄到：理赔部，或交到任一服务网点。"
    member_documents_en: str = "Send photos or copies of the documents to our claims team."
    member_complaints_zh: str = "客户服务电话 400-000-0000（每天9点到18点）"
    member_complaints_en: str = "customer service 400-000-0000 (daily 9:00-18:00)"
    member_session_idle_minutes: int = Field(default=15, ge=3, le=120)

    @field_validator("jwt_public_key", "jwt_audience", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """``CLAIMS_JWT_AUDIENCE=`` (set but empty) means no audience, not the audience ""."""
        return None if isinstance(value, str) and not value.strip() else value

    # --- audit ------------------------------------------------------------------------------

    def signer_key(self) -> str:
        """The audit signer key: set, read from the key file, or generated (development)."""
        if self.audit_signer_key is not None and self.audit_signer_key.get_secret_value():
            return _checked_signer(
                self.audit_signer_key.get_secret_value().strip(), "CLAIMS_AUDIT_SIGNER_KEY"
            )
        path = self.audit_key_file
        if path.exists():
            return _read_signer(path)
        if self.environment == "production":
            raise SettingsError(
                "no audit signer key: set CLAIMS_AUDIT_SIGNER_KEY or provide "
                f"CLAIMS_AUDIT_KEY_FILE ({path}); keys are only generated in development"
            )
        return _generate_key_file(path, self.audit_origin)

    def batch_key(self) -> str:
        """The audit batch key: set, read from its file, or generated (development only).

        It must never be stored in the database: it is what makes an event appended with
        the database credentials alone fail verify (:mod:`audit.batch_tags`). Its file is
        by default ``audit-batch.key`` beside ``CLAIMS_AUDIT_KEY_FILE``; in development, with
        the signer key given directly and no batch key file named, it is derived from the
        signer key instead (no file is written).
        """
        if self.audit_batch_key is not None and self.audit_batch_key.get_secret_value():
            return _checked_batch(
                self.audit_batch_key.get_secret_value().strip(), "CLAIMS_AUDIT_BATCH_KEY"
            )
        path = self.audit_batch_key_file or self.audit_key_file.with_name("audit-batch.key")
        direct = self.audit_signer_key is not None and self.audit_signer_key.get_secret_value()
        if direct and self.audit_batch_key_file is None and self.environment == "development":
            # a signer key given directly (tests, one-off tools): derive the batch key from it
            # rather than write a key file into the working directory
            return derive_batch_key(self.signer_key())
        if path.exists():
            return _checked_batch(read_secret_file(path, "CLAIMS_AUDIT_BATCH_KEY_FILE"), str(path))
        if self.environment == "production":
            raise SettingsError(
                "no audit batch key: set CLAIMS_AUDIT_BATCH_KEY or provide "
                f"CLAIMS_AUDIT_BATCH_KEY_FILE ({path}); keys are only generated in development"
            )
        key = generate_batch_key()
        if create_secret_file(path, key):
            return key
        return _checked_batch(read_secret_file(path, "CLAIMS_AUDIT_BATCH_KEY_FILE"), str(path))

    def witness_dir(self) -> Path | None:
        """The file witness's folder, or ``None`` when ``CLAIMS_AUDIT_WITNESS=off``."""
        if self.audit_witness == "off":
            return None
        return self.audit_witness_dir or self.audit_key_file.with_name("audit-witness")

    def audit_config(self) -> AuditConfig:
        """The :class:`~audit.config.AuditConfig` of these settings (resolving the key).

        A signer key named for another origin is refused (the service does not start):
        checkpoints of ``CLAIMS_AUDIT_ORIGIN`` would otherwise be signed by a key named for
        the old one, and every verifier pinned to the key's name would reject them.
        """
        try:
            return AuditConfig(
                database_url=self.database_url,
                origin=self.audit_origin,
                signer_key=self.signer_key(),
                checkpoint_every=self.audit_checkpoint_every,
                batch_key=self.batch_key(),
                checkpoint_interval_s=self.audit_checkpoint_interval_s,
                witness_dir=self.witness_dir(),
                witness_url=self.audit_witness_url or None,
                witness_key=self.audit_witness_key or None,
            )
        except SignerKeyNameError as exc:
            raise SettingsError(self._key_name_problem(exc)) from None
        except ConfigError as exc:
            raise SettingsError(f"the audit settings are unusable: {exc.reason}") from None

    def _key_name_problem(self, exc: SignerKeyNameError) -> str:
        from_env = self.audit_signer_key is not None and self.audit_signer_key.get_secret_value()
        source = (
            "CLAIMS_AUDIT_SIGNER_KEY" if from_env else f"the audit key file {self.audit_key_file}"
        )
        regenerate = (
            f" (in development: move {self.audit_key_file} away and one is generated)"
            if not from_env and self.environment == "development"
            else ""
        )
        return (
            f"CLAIMS_AUDIT_ORIGIN is {exc.origin!r} but the signer key in {source} is named "
            f"{exc.key_name!r}; checkpoints must be signed by a key named for their origin "
            "(C2SP tlog-checkpoint), and verifiers accept only checkpoints whose origin is "
            f"the key's name. Either set CLAIMS_AUDIT_ORIGIN={exc.key_name} again, or give "
            f"a signer key named {exc.origin!r}{regenerate} and publish its verifier key. "
            "Nothing was signed"
        )

    def backend(self) -> str:
        """The rule backend of the service, checked to be installed here."""
        if self.engine_backend not in available_backends():
            raise SettingsError(
                f"CLAIMS_ENGINE_BACKEND={self.engine_backend} is not available here "
                f"(available: {', '.join(available_backends())}; durable-rules builds only on "
                "Python <= 3.12)"
            )
        return self.engine_backend

    def assist_config(self) -> AssistConfig:
        """The :class:`~llm_assist.config.AssistConfig` of these settings."""
        if self.assist_provider != "template" and not self.assist_model:
            raise SettingsError(
                f"CLAIMS_ASSIST_PROVIDER={self.assist_provider} needs CLAIMS_ASSIST_MODEL "
                "(the model name the endpoint serves)"
            )
        key = self.assist_api_key.get_secret_value() if self.assist_api_key else None
        if not key and self.assist_api_key_file is not None:
            key = read_secret_file(self.assist_api_key_file, "CLAIMS_ASSIST_API_KEY_FILE")
        return AssistConfig(
            provider=self.assist_provider,
            model=self.assist_model,
            base_url=self.assist_base_url or None,
            api_key=key or None,
            timeout_s=self.assist_timeout_s,
            max_retries=self.assist_max_retries,
            structured_output=self.assist_structured_output,
        )

    # --- bearer tokens ----------------------------------------------------------------------

    @property
    def jwt_algorithm(self) -> Literal["HS256", "RS256"]:
        """RS256 when a public key is configured, else HS256."""
        return "RS256" if self.jwt_public_key or self.jwt_public_key_file else "HS256"

    def token_service(self) -> TokenService:
        """The verifier (and, where a signing key is at hand, issuer) these settings describe."""
        if self.jwt_algorithm == "HS256":
            return TokenService(
                self.jwt_signing_secret(),
                ttl_seconds=self.jwt_ttl_seconds,
                issuer=self.jwt_issuer,
                audience=self.jwt_audience,
            )
        private = self.jwt_private_key_file
        return TokenService.rs256(
            self._jwt_public_key(),
            private_key=None
            if private is None
            else read_secret_file(
                private, "CLAIMS_JWT_PRIVATE_KEY_FILE", strip=False, error=AuthSettingsError
            ),
            ttl_seconds=self.jwt_ttl_seconds,
            issuer=self.jwt_issuer,
            audience=self.jwt_audience,
        )

    def _jwt_public_key(self) -> str:
        if self.jwt_public_key and self.jwt_public_key_file:
            raise AuthSettingsError(
                "set CLAIMS_JWT_PUBLIC_KEY or CLAIMS_JWT_PUBLIC_KEY_FILE, not both"
            )
        if self.jwt_public_key:
            return self.jwt_public_key
        assert self.jwt_public_key_file is not None  # by self.jwt_algorithm
        return read_secret_file(
            self.jwt_public_key_file, "CLAIMS_JWT_PUBLIC_KEY_FILE", error=AuthSettingsError
        )

    def jwt_signing_secret(self) -> str:
        """The HS256 secret: set, read from the file, or generated (development only).
        In production a placeholder (``.env.example``'s, or any secret saying "change me")
        is refused."""
        if self.jwt_secret is not None and self.jwt_secret.get_secret_value():
            secret = checked_secret(self.jwt_secret.get_secret_value().strip(), "CLAIMS_JWT_SECRET")
            return self._not_placeholder(secret, "CLAIMS_JWT_SECRET")
        path = self.jwt_secret_file
        if path.exists():
            text = read_secret_file(path, "CLAIMS_JWT_SECRET_FILE", error=AuthSettingsError)
            source = f"the JWT secret file {path}"
            return self._not_placeholder(checked_secret(text, source), source)
        if self.environment == "production":
            raise AuthSettingsError(
                "no JWT secret: set CLAIMS_JWT_SECRET or provide CLAIMS_JWT_SECRET_FILE "
                f"({path}); secrets are only generated in development"
            )
        secret = secrets.token_urlsafe(48)
        if create_secret_file(path, secret):
            return secret
        return checked_secret(  # another process wrote it first
            read_secret_file(path, "CLAIMS_JWT_SECRET_FILE", error=AuthSettingsError),
            f"the JWT secret file {path}",
        )

    def _not_placeholder(self, secret: str, source: str) -> str:
        if self.environment == "production" and _PLACEHOLDER.search(secret):
            raise AuthSettingsError(
                f"{source} is a placeholder: in production set a random secret of "
                "32+ characters (e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'`)"
            )
        return secret


def _checked_signer(key: str, source: str) -> str:
    try:
        verifier_key_from_signer(key)
    except CheckpointError as exc:
        raise SettingsError(f"{source} is not a valid audit signer key: {exc.reason}") from None
    return key


def _checked_batch(key: str, source: str) -> str:
    try:
        BatchKey.parse(key)
    except ConfigError as exc:
        raise SettingsError(f"{source} is not a valid audit batch key: {exc.reason}") from None
    return key


def _read_signer(path: Path) -> str:
    text = read_secret_file(path, "CLAIMS_AUDIT_KEY_FILE")
    return _checked_signer(text, f"the audit key file {path}")


def _generate_key_file(path: Path, origin: str) -> str:
    """Write a new signer key to ``path`` (mode 0600) unless another process just did."""
    try:
        signer, _ = generate_key(origin)
    except CheckpointError as exc:
        raise SettingsError(f"cannot make a key named after the origin: {exc.reason}") from None
    return signer if create_secret_file(path, signer) else _read_signer(path)


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once (``get_settings.cache_clear()`` to re-read)."""
    return Settings()
