"""Claim versions: a JSON Merge Patch (RFC 7396) applied to a claim, validated as at intake.

The patch is applied to the claim's JSON form (:func:`engine.claim.claim_to_json_dict`) and
the result is validated whole by :func:`engine.claim.load_claim`, so a bad value is reported
with the same path and reason as at intake (``items[1].amount: must be >= 0``). Refused with
a :class:`~engine.lifecycle.errors.ClaimPatchError` naming the path:

- a patch that is not a JSON object (RFC 7396 would replace the whole claim);
- a change of ``claim_id`` or ``member.member_id`` (another claim, or another member's);
- any change to ``events`` or ``documents``: they only grow, through their own operations
  (add, void, receive), so that nothing on them is ever silently replaced or deleted.

A claim's content hash is SHA-256 over its canonical JSON (sorted keys, no spaces, UTF-8):
the same claim always has the same hash, whichever way it was reached.
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ConfigDict, JsonValue

from engine.claim import Claim, claim_to_json_dict, load_claim
from engine.decision import canonical_json
from engine.lifecycle.errors import ClaimPatchError
from engine.merge_patch import apply_merge_patch

__all__ = ["IMMUTABLE", "MANAGED", "PatchResult", "apply_patch", "claim_hash"]

#: Paths a patch may never change.
IMMUTABLE: tuple[tuple[str, ...], ...] = (("claim_id",), ("member", "member_id"))
#: Top-level keys a patch may not touch, and what to do instead.
MANAGED = {
    "events": "add an event, or void one with a reason: the timeline is never rewritten",
    "documents": "record a received document: documents are never replaced or removed",
}


class PatchResult(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    claim: Claim
    content_hash: str
    changed: bool


def claim_hash(claim: Claim) -> str:
    """``sha256:<hex>`` of the claim's canonical JSON."""
    text = canonical_json(claim_to_json_dict(claim))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def apply_patch(claim: Claim, patch: JsonValue) -> PatchResult:
    """The claim with ``patch`` applied; raises ``ClaimPatchError`` or, for an invalid
    result, :class:`engine.errors.ClaimValidationError` with every problem's path."""
    if not isinstance(patch, dict):
        raise ClaimPatchError(
            "",
            "a claim patch must be a JSON object (RFC 7396 merge patch)",
            suggestion='send only the fields that change, e.g. {"policy": {"status": "lapsed"}}',
        )
    for key, instead in MANAGED.items():
        if key in patch:
            raise ClaimPatchError(key, f"{key} cannot be patched", suggestion=instead)
    source: JsonValue = claim_to_json_dict(claim)
    patched = apply_merge_patch(source, patch)
    for path in IMMUTABLE:
        if _at(source, path) != _at(patched, path):
            raise ClaimPatchError(
                ".".join(path),
                "cannot change",
                suggestion="a claim of another member, or another claim, is a new claim",
            )
    new = load_claim(patched if isinstance(patched, dict) else {})
    return PatchResult(claim=new, content_hash=claim_hash(new), changed=new != claim)


def _at(document: JsonValue, path: tuple[str, ...]) -> JsonValue:
    for part in path:
        if not isinstance(document, dict):
            return None
        document = document.get(part)
    return document
