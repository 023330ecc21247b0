"""Unmasking a claim's personal data: supervisors only, with a reason, audited first.

Staff see personal data masked (:mod:`api.disclosure`); a supervisor who needs a clear value
(to call the member back, to match a bank card against a statement) asks for named fields
and says why. The request is appended to the audit trail as a ``pii_unmask`` event naming the
supervisor (actor), the claim, the fields and the reason, never the values: auditors read the
trail and it is kept for years, so copying the values into it would undo the masking. The
values are answered only after that append has committed; when it fails the answer is a 503
without them, so nobody sees clear data that the trail does not record (domain README
section 3, "record who unmasked what"; PIPL art. 51).
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.auth import Principal
from api.deps import AppState
from audit.canonical import JsonValue
from audit.store import append_event
from engine.claim import Claim

__all__ = [
    "PERSONAL_FIELDS",
    "UNMASK_EVENT",
    "AuditedEvent",
    "UnmaskAnswer",
    "UnmaskRequest",
    "parse_unmask_request",
    "unmask_claim",
]

UNMASK_EVENT = "pii_unmask"
PersonalField = Literal["member.name", "member.id_number", "member.phone", "member.bank_card"]
#: The fields :mod:`engine.masking` masks (tests keep the two lists equal).
PERSONAL_FIELDS: tuple[PersonalField, ...] = get_args(PersonalField)


class UnmaskRequest(BaseModel):
    """Which personal fields a supervisor wants in clear, and why."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        min_length=10,
        max_length=4000,
        pattern=r"\S",
        description="why the clear values are needed; recorded in the audit trail",
    )
    fields: list[PersonalField] = Field(
        default_factory=lambda: list(PERSONAL_FIELDS),
        min_length=1,
        max_length=len(PERSONAL_FIELDS),
        description="the fields to unmask (default: all personal fields)",
    )


class AuditedEvent(BaseModel):
    """The audit event that records the unmasking."""

    id: str
    seq: int
    entry_hash: str


class UnmaskAnswer(BaseModel):
    """The clear values (``null`` where the claim has none) and the event recording them."""

    claim_id: str
    fields: dict[PersonalField, str | None]
    audit_event: AuditedEvent


def parse_unmask_request(raw: Any) -> UnmaskRequest:
    """``raw`` (a parsed JSON body) as a request, or a 422 problem naming every bad path."""
    try:
        return UnmaskRequest.model_validate(raw)
    except ValidationError as exc:
        errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        raise RequestValidationError(errors) from None


def _value(claim: Claim, field: PersonalField) -> str | None:
    value = getattr(claim.member, field.removeprefix("member."))
    return value if isinstance(value, str) else None


def unmask_claim(
    state: AppState, claim_id: str, request: UnmaskRequest, who: Principal
) -> UnmaskAnswer:
    """Record the unmasking in the audit trail, then answer the clear values (module doc)."""
    claim = state.claims.claim(claim_id)  # 404 for an unknown claim
    fields = list(dict.fromkeys(request.fields))  # asked order, each once
    payload: JsonValue = {
        "claim_id": claim_id,
        "fields": list(fields),
        "reason": request.reason,
    }
    event = append_event(
        state.engine,
        event_type=UNMASK_EVENT,
        claim_id=claim_id,
        payload=payload,
        actor=who.actor,
        config=state.audit,
    )
    return UnmaskAnswer(
        claim_id=claim_id,
        fields={field: _value(claim, field) for field in fields},
        audit_event=AuditedEvent(id=event.event_id, seq=event.seq, entry_hash=event.entry_hash),
    )
