"""Building the events whose fields must agree with the claim (hashes, an override's plan)."""

from __future__ import annotations

import datetime as dt

from pydantic import JsonValue

from engine.claim import Claim
from engine.lifecycle.admission.gate import claim_of
from engine.lifecycle.config import LifecycleConfig
from engine.lifecycle.events import ClaimAmended, ClaimReceived, OverrideProposed, OverrideRequest
from engine.lifecycle.overrides import plan_override
from engine.lifecycle.patch import apply_patch, claim_hash
from engine.lifecycle.state import ClaimState
from engine.lifecycle.vocabulary import Vocabulary
from engine.ruleset.ir import RulesetIR

__all__ = ["amendment", "intake", "propose_override"]


def intake(claim: Claim, *, ir: RulesetIR, at: dt.datetime, actor: str) -> ClaimReceived:
    return ClaimReceived(
        claim=claim,
        content_hash=claim_hash(claim),
        vocabulary=Vocabulary.of(ir),
        at=at,
        actor=actor,
    )


def amendment(state: ClaimState, patch: JsonValue, *, at: dt.datetime, actor: str) -> ClaimAmended:
    """The amendment ``patch`` makes (raises as :func:`engine.lifecycle.patch.apply_patch`)."""
    result = apply_patch(claim_of(state), patch)
    assert isinstance(patch, dict)  # apply_patch refused anything else
    return ClaimAmended(patch=patch, content_hash=result.content_hash, at=at, actor=actor)


def propose_override(
    state: ClaimState,
    request: OverrideRequest,
    *,
    override_id: str,
    config: LifecycleConfig,
    at: dt.datetime,
    actor: str,
) -> OverrideProposed:
    plan = plan_override(state, request, override_id=override_id, config=config)
    return OverrideProposed(override=plan, at=at, actor=actor)
