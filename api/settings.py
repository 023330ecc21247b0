"""Settings of the service and the CLI, from ``CLAIMS_*`` environment variables.

``api`` is the only place that reads the environment: the parts get plain config objects
built here (:meth:`Settings.audit_config` for :mod:`audit`).

========================== ======================================= ==========================
variable                   default                                 meaning
========================== ======================================= ==========================
CLAIMS_DATABASE_URL        ``sqlite:///var/claims.db``             SQLAlchemy URL; relative
                                                                   SQLite paths are from the
                                                                   working directory, whose
                                                                   ``var/`` is created
CLAIMS_DB_POOL_SIZE        ``20``                                  database connections kept
                                                                   per process (as many more
                                                                   opened under bursts); on
                                                                   PostgreSQL keep workers x
                                                                   2 x this under
                                                                   ``max_connections``
CLAIMS_AUDIT_ORIGIN        ``claims.example/audit``                the log's name on signed
                                                                   checkpoints; the signer
                                                                   key must bear this name
CLAIMS_AUDIT_SIGNER_KEY    unset                                   Ed25519 signer key text
                                                                   (``PRIVATE+KEY+...``)
CLAIMS_AUDIT_KEY_FILE      ``var/audit-signer.key``                used when no key is set;
                                                                   generated on first run
                                                                   (mode 0600) in development
CLAIMS_AUDIT_CHECKPOINT_EVERY ``100``                              sign a checkpoint every N
                                                                   events (0: on demand only)
CLAIMS_ENVIRONMENT         ``development``                         ``production``: a missing
                                                                   key is an error, never
                                                                   generated
CLAIMS_ASSIST_PROVIDER     ``template``                            review-note drafter:
                                                                   ``template`` (no model),
                                                                   ``openai`` (any compatible
                                                                   endpoint), ``ollama``
CLAIMS_ASSIST_MODEL        unset                                   model name (required for
                                                                   ``openai`` and ``ollama``)
CLAIMS_ASSIST_BASE_URL     unset                                   e.g. ``http://127.0.0.1:
                                                                   8080/v1`` (vLLM, llama.cpp,
                                                                   DeepSeek, Qwen) or Ollama's
CLAIMS_ASSIST_API_KEY      unset                                   the endpoint's API key
CLAIMS_ASSIST_TIMEOUT_S    ``20``                                  seconds per model call; on
                                                                   timeout the template drafts
CLAIMS_ASSIST_MAX_RETRIES  ``1``                                   transport retries per call
CLAIMS_ASSIST_STRUCTURED_OUTPUT ``json_schema``                    or ``function_calling`` /
                                                                   ``json_mode`` (DeepSeek)
CLAIMS_ENGINE_BACKEND      ``native``                              rule backend of the service:
                                                                   ``native`` or ``durable``
                                                                   (durable-rules); decisions
                                                                   are the same but for the
                                                                   ``engine`` block naming it
CLAIMS_RIGHTS_DIR          ``rulesets/rights``                     member-rights knowledge base
========================== ======================================= ==========================
"""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.secret_files import create_secret_file
from audit.checkpoint import generate_key, verifier_key_from_signer
from audit.config import AuditConfig
from audit.errors import CheckpointError, ConfigError, SignerKeyNameError
from engine.backends import available_backends
from llm_assist.config import AssistConfig, Provider, StructuredMethod

__all__ = ["Settings", "SettingsError", "get_settings"]


class SettingsError(Exception):
    """The settings cannot be used (missing or unreadable key, bad value)."""


class Settings(BaseSettings):
    """All ``CLAIMS_*`` settings (module docstring)."""

    model_config = SettingsConfigDict(env_prefix="CLAIMS_", extra="ignore")

    database_url: str = "sqlite:///var/claims.db"
    db_pool_size: int = Field(default=20, ge=1, le=500)
    audit_origin: str = "claims.example/audit"
    audit_signer_key: SecretStr | None = None
    audit_key_file: Path = Path("var/audit-signer.key")
    audit_checkpoint_every: int = Field(default=100, ge=0)
    environment: Literal["development", "production"] = "development"
    assist_provider: Provider = "template"
    assist_model: str = ""
    assist_base_url: str | None = None
    assist_api_key: SecretStr | None = None
    assist_timeout_s: float = Field(default=20.0, gt=0, le=600)
    assist_max_retries: int = Field(default=1, ge=0, le=10)
    assist_structured_output: StructuredMethod = "json_schema"
    rights_dir: Path | None = None
    engine_backend: Literal["native", "durable"] = "native"
    #: An override paying more than the rules by more than this waits for a second person.
    override_approval_threshold: Decimal = Field(default=Decimal("0.00"), ge=0, decimal_places=2)

    def signer_key(self) -> str:
        """The audit signer key: set, read from the key file, or generated (development)."""
        if self.audit_signer_key is not None and self.audit_signer_key.get_secret_value():
            return _checked(
                self.audit_signer_key.get_secret_value().strip(), "CLAIMS_AUDIT_SIGNER_KEY"
            )
        path = self.audit_key_file
        if path.exists():
            return _read_key(path)
        if self.environment == "production":
            raise SettingsError(
                "no audit signer key: set CLAIMS_AUDIT_SIGNER_KEY or provide "
                f"CLAIMS_AUDIT_KEY_FILE ({path}); keys are only generated in development"
            )
        return _generate_key_file(path, self.audit_origin)

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
        return AssistConfig(
            provider=self.assist_provider,
            model=self.assist_model,
            base_url=self.assist_base_url or None,
            api_key=key or None,
            timeout_s=self.assist_timeout_s,
            max_retries=self.assist_max_retries,
            structured_output=self.assist_structured_output,
        )


def _checked(key: str, source: str) -> str:
    try:
        verifier_key_from_signer(key)
    except CheckpointError as exc:
        raise SettingsError(f"{source} is not a valid audit signer key: {exc.reason}") from None
    return key


def _read_key(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"cannot read the audit key file {path}: {exc}") from None
    return _checked(text, f"the audit key file {path}")


def _generate_key_file(path: Path, origin: str) -> str:
    """Write a new signer key to ``path`` (mode 0600) unless another process just did."""
    try:
        signer, _ = generate_key(origin)
    except CheckpointError as exc:
        raise SettingsError(f"cannot make a key named after the origin: {exc.reason}") from None
    return signer if create_secret_file(path, signer) else _read_key(path)


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once (``get_settings.cache_clear()`` to re-read)."""
    return Settings()
