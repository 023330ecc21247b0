"""Each change to a claim as one :meth:`ClaimLife.write`: what the endpoints call.

The builders run under the claim's lock (:mod:`api.claim_states.writer`), so the checks of
``If-Match`` (an ETag for amendments, a decision id for overrides) compare with the state
the change will be admitted on: of two requests carrying the same one, the second sees the
first's result and is refused.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from api.claim_states.schemas import DocumentIn, OverrideIn, PaymentIn
from api.claim_states.store import etag_of
from api.claim_states.writer import ClaimLife, Context, Written
from api.errors import ProblemError, invalid_claim
from audit.replay import decision_payload, record_payload
from engine.claim import Document, Event, load_claim
from engine.errors import ClaimValidationError, EngineError, Problem
from engine.evaluate import evaluate
from engine.lifecycle import ClaimEvent, amendment, propose_override, summarize_decision
from engine.lifecycle.errors import SelfApprovalError
from engine.lifecycle.events import (
    AppealReceived,
    DocumentReceived,
    OverrideApproved,
    OverrideRejected,
    OverrideRequest,
    Payment,
    PaymentRecorded,
    RulesDecisionMade,
    TimelineEventAdded,
    TimelineEventVoided,
)

__all__ = [
    "add_document",
    "add_event",
    "amend",
    "appeal",
    "approve",
    "decide",
    "pay",
    "propose",
    "reject",
    "unquote",
    "void",
]


def unquote(value: str) -> str:
    """An ``If-Match`` value without its quotes or weak prefix (``W/"x"`` → ``x``)."""
    value = value.strip().removeprefix("W/")
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def amend(life: ClaimLife, claim_id: str, patch: Any, *, if_match: str, actor: str) -> Written:
    def build(ctx: Context) -> ClaimEvent:
        current = etag_of(ctx.state)
        if unquote(if_match) != unquote(current):
            raise ProblemError(
                412,
                f"the claim changed since {if_match} (it is now {current}): read it again "
                "and patch the current version",
                kind="stale-etag",
                etag=current,
            )
        return amendment(ctx.state, patch, at=ctx.now, actor=ctx.actor)

    return life.write(claim_id, actor=actor, build=build)


def add_document(life: ClaimLife, claim_id: str, body: DocumentIn, *, actor: str) -> Written:
    document = Document.model_validate(body.model_dump(exclude_none=True))

    def build(ctx: Context) -> ClaimEvent:
        return DocumentReceived(document=document, at=ctx.now, actor=ctx.actor)

    return life.write(claim_id, actor=actor, build=build)


def _event(ctx: Context, raw: Any) -> Event:
    """``raw`` validated as the claim's next event, with intake's paths (``events[4].at``)."""
    if not isinstance(raw, dict):
        raise invalid_claim([Problem("", "must be an event object {type, at, detail}")])
    data = ctx.claim.model_dump(mode="json", exclude_unset=True)
    data["events"] = [*data.get("events", []), raw]
    try:
        return load_claim(data).events[-1]
    except ClaimValidationError as exc:
        raise invalid_claim(
            exc.problems, f"the event is invalid ({len(exc.problems)} problem(s))"
        ) from None


def add_event(life: ClaimLife, claim_id: str, raw: Any, *, actor: str) -> Written:
    def build(ctx: Context) -> ClaimEvent:
        event = _event(ctx, raw)
        index = len(ctx.claim.events)
        return TimelineEventAdded(index=index, event=event, at=ctx.now, actor=ctx.actor)

    return life.write(claim_id, actor=actor, build=build)


def void(life: ClaimLife, claim_id: str, index: int, reason: str, *, actor: str) -> Written:
    def build(ctx: Context) -> ClaimEvent:
        return TimelineEventVoided(index=index, reason=reason, at=ctx.now, actor=ctx.actor)

    return life.write(claim_id, actor=actor, build=build)


def decide(
    life: ClaimLife, claim_id: str, *, as_of: dt.datetime, backend: str, actor: str
) -> Written:
    """Evaluate the claim's current version and record the decision (its full audited
    event, ``extra["event"]``, and the state's ``rules_decision_made``) in one transaction."""

    def build(ctx: Context) -> ClaimEvent:
        loaded = ctx.ruleset
        try:
            decision = evaluate(loaded.program, ctx.claim, as_of=as_of, backend=backend)
        except EngineError as exc:
            raise ProblemError(
                422, f"the claim cannot be evaluated: {exc}", kind="cannot-evaluate"
            ) from None
        payload = decision_payload(snapshot=loaded.snapshot, claim=ctx.claim, decision=decision)
        event = record_payload(
            ctx.session, snapshot=loaded.snapshot, payload=payload, actor=ctx.actor,
            config=life.audit,
        )  # fmt: skip
        ctx.extra |= {"event": event, "payload": payload, "outcome": decision.outcome}
        return RulesDecisionMade(
            decision=summarize_decision(decision, decision_id=event.event_id),
            claim_hash=ctx.state.content_hash or "",
            at=ctx.now,
            actor=ctx.actor,
        )

    return life.write(claim_id, actor=actor, build=build)


def propose(
    life: ClaimLife, claim_id: str, body: OverrideIn, *, decision_id: str, actor: str
) -> Written:
    override_id = "ovr-" + uuid.uuid4().hex[:16]
    try:
        request = OverrideRequest(
            overrides=unquote(decision_id),
            outcome=body.outcome,
            lines=tuple(body.lines) if body.lines is not None else None,
            total=body.total,
            reason=body.reason,
        )
    except ValueError as exc:
        raise ProblemError(422, f"the override is invalid: {exc}", kind="override") from None

    def build(ctx: Context) -> ClaimEvent:
        ctx.extra["override_id"] = override_id
        return propose_override(
            ctx.state, request, override_id=override_id, config=life.config,
            at=ctx.now, actor=ctx.actor,
        )  # fmt: skip

    return life.write(claim_id, actor=actor, build=build)


def _person(actor: str) -> str:
    """The person behind an actor (``role:sub``): the same person under another role is
    still the author."""
    return actor.split(":", 1)[-1]


def _not_the_author(ctx: Context, override_id: str) -> None:
    record = ctx.state.pending_override
    if (
        record is not None
        and record.plan.override_id == override_id
        and _person(record.proposed_by) == _person(ctx.actor)
    ):
        raise SelfApprovalError(override_id=override_id, actor=ctx.actor)


def approve(life: ClaimLife, claim_id: str, override_id: str, *, actor: str) -> Written:
    def build(ctx: Context) -> ClaimEvent:
        _not_the_author(ctx, override_id)
        return OverrideApproved(override_id=override_id, at=ctx.now, actor=ctx.actor)

    return life.write(claim_id, actor=actor, build=build)


def reject(life: ClaimLife, claim_id: str, override_id: str, reason: str, *, actor: str) -> Written:
    def build(ctx: Context) -> ClaimEvent:
        _not_the_author(ctx, override_id)
        return OverrideRejected(override_id=override_id, reason=reason, at=ctx.now, actor=ctx.actor)

    return life.write(claim_id, actor=actor, build=build)


def pay(life: ClaimLife, claim_id: str, body: PaymentIn, *, actor: str) -> Written:
    payment = Payment(payment_id="pay-" + uuid.uuid4().hex[:16], **body.model_dump())

    def build(ctx: Context) -> ClaimEvent:
        return PaymentRecorded(payment=payment, at=ctx.now, actor=ctx.actor)

    return life.write(claim_id, actor=actor, build=build)


def appeal(
    life: ClaimLife, claim_id: str, reason: str, at: dt.datetime | None, *, actor: str
) -> Written:
    def build(ctx: Context) -> ClaimEvent:
        return AppealReceived(reason=reason, at=at or ctx.now, actor=ctx.actor)

    return life.write(claim_id, actor=actor, build=build)
