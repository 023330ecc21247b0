"""The audit trail's configuration: a plain value object, built by the wiring layer.

``audit`` reads no environment variables and no files of its own accord: ``api/settings.py``
turns ``CLAIMS_*`` settings into an :class:`AuditConfig` (generating the signer key on the
first run of the embedded default) and hands it to the functions here that need it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from audit.batch_tags import BatchKey
from audit.checkpoint import key_name, verifier_key_from_signer
from audit.errors import CheckpointError, ConfigError, SignerKeyNameError

__all__ = ["DEFAULT_CHECKPOINT_EVERY", "AuditConfig"]

#: Default interval of automatic checkpoints, in events.
DEFAULT_CHECKPOINT_EVERY = 100


@dataclass(frozen=True, slots=True)
class AuditConfig:
    """Where the trail lives and how it is signed.

    ``database_url``: SQLAlchemy URL (``sqlite:///var/claims.db``,
    ``postgresql+psycopg://user@host/db``). ``origin``: the log's name on every checkpoint
    (C2SP: a schema-less URL). ``signer_key``: the Ed25519 signer key text
    (``PRIVATE+KEY+...``), or ``None`` where nothing is signed (read-only tools given a
    public key); its name must be ``origin`` (:class:`~audit.errors.SignerKeyNameError`
    otherwise, when the config is made). ``checkpoint_every``: sign a checkpoint
    automatically whenever an append makes the log size a multiple of this (0: only on
    demand). ``batch_key``: the secret that tags every appended batch
    (:mod:`audit.batch_tags`, ``BATCH+KEY+...``), or ``None``: nothing is tagged and verify
    cannot check tags. ``checkpoint_interval_s``: also sign a checkpoint at the end of an
    append when the latest one is older than this many seconds (0: off), so the unsigned
    tail is bounded in time. ``witness_dir``: a file witness (:mod:`audit.witness`) that
    every checkpoint made through an engine is also sent to after its commit (``None``: none).
    ``witness_url``: an HTTP witness (C2SP tlog-witness, :mod:`audit.witness_http`) they
    are sent to as well, whose cosignatures are checked with ``witness_key`` when given.
    """

    database_url: str
    origin: str
    signer_key: str | None = None
    checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY
    batch_key: str | None = None
    checkpoint_interval_s: float = 0.0
    witness_dir: Path | None = None
    witness_url: str | None = None
    witness_key: str | None = None

    def __post_init__(self) -> None:
        if not self.database_url:
            raise ConfigError("database_url is empty")
        if not self.origin or self.origin != self.origin.strip() or "\n" in self.origin:
            raise ConfigError(f"origin {self.origin!r} must be a non-empty single line")
        if isinstance(self.checkpoint_every, bool) or self.checkpoint_every < 0:
            raise ConfigError("checkpoint_every must be a non-negative integer")
        if not 0 <= self.checkpoint_interval_s < 10**9:
            raise ConfigError("checkpoint_interval_s must be a non-negative number of seconds")
        if self.batch_key is not None:
            BatchKey.parse(self.batch_key)
        if self.witness_url is not None and not self.witness_url.startswith(
            ("http://", "https://")
        ):
            raise ConfigError(f"witness_url {self.witness_url!r} must be an http(s) URL")
        if self.signer_key:
            try:
                name = key_name(self.signer_key)
            except CheckpointError as exc:
                raise ConfigError(f"the audit signer key is unusable: {exc.reason}") from None
            if name != self.origin:
                raise SignerKeyNameError(name, self.origin)

    def __repr__(self) -> str:  # never print the secret key
        key = "set" if self.signer_key else "None"
        batch = "set" if self.batch_key else "None"
        return (
            f"AuditConfig(database_url={self.database_url!r}, origin={self.origin!r}, "
            f"signer_key=<{key}>, checkpoint_every={self.checkpoint_every}, "
            f"batch_key=<{batch}>, checkpoint_interval_s={self.checkpoint_interval_s}, "
            f"witness_dir={self.witness_dir!r}, witness_url={self.witness_url!r})"
        )

    def batch(self) -> BatchKey | None:
        """The parsed batch key, or ``None`` when batches are not tagged."""
        return None if self.batch_key is None else BatchKey.parse(self.batch_key)

    def require_signer(self) -> str:
        """The signer key, or :class:`ConfigError` when there is none."""
        if not self.signer_key:
            raise ConfigError("no audit signer key is configured: checkpoints cannot be signed")
        return self.signer_key

    def verifier_key(self) -> str:
        """The public verifier key of the configured signer key."""
        try:
            return verifier_key_from_signer(self.require_signer())
        except CheckpointError as exc:
            raise ConfigError(f"the audit signer key is unusable: {exc.reason}") from None
