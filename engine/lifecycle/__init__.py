"""The claim's life, pure: amendments, documents, timeline rules and voids, bounded four-eyed
overrides, payments and appeals, and the one state every view reads.

Modules, one noun each:

=================  ==========================================================================
``events``         the domain events (a discriminated union on ``kind``) and their parts
``state``          ``ClaimState``: status, current decision and who made it, the history
``fold``           ``fold(events) -> ClaimState``: deterministic and total
``admission``      ``admit(state, event, ir=, config=)``: the gate; what an event implies
``timeline``       the lifecycle rules of a ruleset over a claim's timeline (add, void, intake)
``patch``          claim versions: RFC 7396 merge patches, validated as at intake; content hash
``overrides``      per-line bounds, spreading a total, when a second person must approve
``payments``       paid never above the payable; advances and final payments
``wording``        the member's status sentence (zh/en), from the state alone
``decisions``      the narrow adapter reading a rules decision (and its clocks)
``vocabulary``     a claim's ruleset's names for what its life records, fixed at intake
``config``         ``LifecycleConfig``: the approval threshold and the clock skew
``errors``         typed refusals, each with a ``code`` (see its docstring for the tree)
=================  ==========================================================================

How the API wires it, for every write to a claim (under the claim's row lock)::

    state = projection.get(claim_id)                       # or fold(events read back)
    event = DocumentReceived(document=doc, at=now, actor=who.actor)
    admission = admit(state, event, ir=program.ir, config=settings.lifecycle)
    audit.append_all(claim_id, admission.events)           # one transaction
    projection.put(claim_id, admission.state)

and for a decision: evaluate ``admission_state.claim``, record the decision in the audit
trail, then admit ``RulesDecisionMade(decision=summarize_decision(d, decision_id=event_id),
claim_hash=state.content_hash, ...)``. ``rebuild-state`` is ``fold`` of the claim's events
read back from the trail, compared with the stored row.
"""

from engine.lifecycle.admission import Admission, admit, amendment, intake, propose_override
from engine.lifecycle.config import LifecycleConfig
from engine.lifecycle.decisions import (
    ClockSummary,
    DecisionSummary,
    summarize_clocks,
    summarize_decision,
)
from engine.lifecycle.events import ClaimEvent, parse_event
from engine.lifecycle.fold import evolve, fold, fold_from
from engine.lifecycle.state import ClaimState, Status
from engine.lifecycle.wording import StatusSentence, status_sentence

__all__ = [
    "Admission",
    "ClaimEvent",
    "ClaimState",
    "ClockSummary",
    "DecisionSummary",
    "LifecycleConfig",
    "Status",
    "StatusSentence",
    "admit",
    "amendment",
    "evolve",
    "fold",
    "fold_from",
    "intake",
    "parse_event",
    "propose_override",
    "status_sentence",
    "summarize_clocks",
    "summarize_decision",
]
