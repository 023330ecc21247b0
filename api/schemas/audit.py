"""Audit answers: an event as hashed into the chain, its inclusion proof, checkpoints, key."""

from __future__ import annotations

from pydantic import BaseModel, Field, JsonValue

from api.schemas.common import ANSWER

__all__ = ["AuditEvent", "Checkpoint", "EventProof", "InclusionProof", "PublicKey"]


class AuditEvent(BaseModel):
    """An event document (docs/audit-format.md): the header, the payload and its hashes."""

    model_config = ANSWER

    actor: str
    claim_id: str | None
    entry_hash: str
    event_id: str
    event_type: str
    occurred_at: str
    payload: JsonValue
    payload_hash: str
    prev_hash: str
    recorded_at: str
    seq: int = Field(ge=1)


class InclusionProof(BaseModel):
    """RFC 9162 inclusion proof; hashes in lowercase hex."""

    model_config = ANSWER

    hashes: list[str]
    leaf_index: int = Field(ge=0)
    tree_size: int = Field(ge=1)


class Checkpoint(BaseModel):
    """A signed checkpoint (C2SP signed note)."""

    model_config = ANSWER

    tree_size: int = Field(ge=0)
    root_hash: str
    note: str = Field(description="the signed note text")
    created_at: str


class EventProof(BaseModel):
    model_config = ANSWER

    event: AuditEvent
    proof: InclusionProof
    checkpoint: Checkpoint
    verifier_key: str


class PublicKey(BaseModel):
    model_config = ANSWER

    origin: str = Field(description="the log's name; the key's name")
    verifier_key: str
