"""Admission: whether an event may join a claim's life, and what it implies on the timeline.

``admit(state, event, ir=..., config=...)`` is the one gate. It refuses, with a typed error
(:mod:`engine.lifecycle.errors`), anything that does not fit the current state, the
ruleset's lifecycle, the bounds of overrides or the payable; otherwise it returns
``Admission(events, state)``: the event first, then what it implies, and the state after all
of them (``fold`` of the same events gives the same state). How to wire it (the API):

1. read the claim's state (the projection row, or ``fold`` of its audit events);
2. build the event: :func:`intake`, :func:`amendment` and :func:`propose_override` compute
   the fields that must agree with the claim (hashes, the override's plan); the others are
   built directly (``DocumentReceived(document=..., at=..., actor=...)``);
3. ``admit`` it; map a raised error to a problem response (each has a ``code``);
4. append every event of ``admission.events`` to the audit trail in one transaction, and
   store ``admission.state`` under the claim's row lock (a concurrent writer must re-read
   and admit again: an ETag or decision id that moved gives 412/409 there).

What is implied, each as a ``TimelineEventAdded`` by the engine, under the event types the
claim's vocabulary records (a role the ruleset does not record implies nothing):

- intake without the ``received`` event: ``received`` at the intake instant;
- a decision (rules, or an override becoming effective) that determines the claim (approve,
  partial, deny) otherwise than the timeline says: ``decided`` with ``detail.outcome``,
  ``decided_by`` (rules | person), ``decision_id`` and ``payable``, which stops the
  determination clock and starts those that follow a decision; and ``amount_agreed`` when it
  pays a new amount;
- an override that needs no second person, or its approval: ``OverrideEffective``, then as a
  decision;
- a document: ``document_received``, and ``documents_completed`` when it was the last one the
  open requests asked for, both dated when the document arrived;
- a payment: ``paid`` when it pays the payable in full, ``advance_paid`` otherwise, dated when
  it was paid;
- an appeal: ``appeal_received``.

An implied event dated before the latest one on the timeline (a payment recorded late) is
marked backdated with the reason. Implied events pass the same lifecycle check as any other:
a ruleset whose ``paid`` needs ``amount_agreed`` refuses a payment its decisions never agreed.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from engine.claim import Event
from engine.lifecycle.admission.builders import amendment, intake, propose_override
from engine.lifecycle.admission.checks import CHECKS
from engine.lifecycle.admission.gate import Gate
from engine.lifecycle.config import LifecycleConfig
from engine.lifecycle.events import ClaimEvent
from engine.lifecycle.fold import evolve
from engine.lifecycle.state import ClaimState
from engine.ruleset.ir import RulesetIR

__all__ = ["Admission", "LifecycleConfig", "admit", "amendment", "intake", "propose_override"]


class Admission(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    events: tuple[ClaimEvent, ...]
    state: ClaimState


def admit(
    state: ClaimState,
    event: ClaimEvent,
    *,
    ir: RulesetIR,
    config: LifecycleConfig | None = None,
) -> Admission:
    """``event`` and what it implies, with the state after them (module docstring)."""
    gate = Gate(state, ir, config or LifecycleConfig(), event)
    follow = CHECKS[event.kind](gate, event)
    events: list[ClaimEvent] = [event]
    after = evolve(state, event)
    for item in follow:
        if isinstance(item, Event):
            item = gate.timeline_event(after, item)
        events.append(item)
        after = evolve(after, item)
    if len(after.anomalies) != len(state.anomalies):  # a defect of admission, never the user's
        raise AssertionError(f"admitted events that do not fold: {after.anomalies[-1]}")
    return Admission(events=tuple(events), state=after)
