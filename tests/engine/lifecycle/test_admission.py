"""Admission: each event of a claim's life is refused with a typed error or admitted with what
it implies on the timeline, so that the clocks follow the state."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from engine.claim import Event
from engine.errors import ClaimValidationError, TimelineError
from engine.evaluate import clocks
from engine.lifecycle import admission as adm
from engine.lifecycle.errors import (
    AdmissionError,
    ApprovalError,
    ClaimPatchError,
    LifecycleError,
    PaymentError,
    SelfApprovalError,
    StaleDecisionError,
    TimelineRuleError,
    VoidError,
)
from engine.lifecycle.events import (
    AppealReceived,
    ClaimClosed,
    ClaimEvent,
    ClaimReopened,
    OverrideApproved,
    OverrideEffective,
    OverrideRejected,
    TimelineEventAdded,
    TimelineEventVoided,
)
from engine.lifecycle.fold import fold
from engine.lifecycle.state import ClaimState
from tests.engine.lifecycle.factories import (
    ADJUSTER,
    SUPERVISOR,
    at,
    cn_health,
    make_admitted,
    make_claim,
    make_decided,
    make_event,
    make_override,
    make_payment,
    make_received,
    make_rules_decision,
    make_summary_arrival,
)


def _admit(state: ClaimState, event: ClaimEvent, **config: Any) -> adm.Admission:
    return adm.admit(state, event, ir=cn_health().ir, config=adm.LifecycleConfig(**config))


def _implied(admission: adm.Admission) -> list[tuple[str, dict[str, Any]]]:
    return [
        (e.event.type, e.event.detail)
        for e in admission.events
        if isinstance(e, TimelineEventAdded) and e.by_engine
    ]


def _clock(state: ClaimState, clock_id: str, hours: float) -> dict[str, Any]:
    assert state.claim is not None
    found = clocks(cn_health(), state.claim, as_of=at(hours))
    return next(c.model_dump(mode="json") for c in found if c.id == clock_id)


# ---- a whole life, step by step ------------------------------------------------------------


def test_the_reference_claim_lives_from_intake_to_appeal() -> None:
    state = make_received()
    assert (state.status, state.outstanding_documents) == (
        "awaiting_documents",
        ("discharge_summary",),
    )

    pend = _admit(state, make_rules_decision(state, hours=31))
    state = pend.state
    assert state.decision is not None and state.decision.outcome == "pend"
    assert _implied(pend) == []  # a pend determines nothing: the clock runs on
    assert _clock(state, "determination", 32)["status"] == "paused"

    arrival = _admit(state, make_summary_arrival())
    state = arrival.state
    assert [kind for kind, _ in _implied(arrival)] == ["documents_received", "documents_completed"]
    assert state.outstanding_documents == () and state.status == "received"

    approved = _admit(state, make_rules_decision(state, hours=110, decision_id="dec-2"))
    state = approved.state
    assert _implied(approved) == [
        ("claim_decided", {"outcome": "approve", "decided_by": "rules", "decision_id": "dec-2",
                           "payable": "3648.40"}),
        ("amount_agreed", {"amount": "3648.40", "decision_id": "dec-2"}),
    ]  # fmt: skip
    assert (state.status, state.payable) == ("awaiting_payment", Decimal("3648.40"))
    assert _clock(state, "determination", 111)["status"] == "met"
    assert _clock(state, "payment", 111)["status"] == "running"

    proposal = make_override(state, hours=111, total="5000.00")
    state = _admit(state, proposal).state
    assert state.status == "awaiting_approval"
    assert state.decision.decision_id == "dec-2"  # not effective yet

    approval = _admit(state, OverrideApproved(override_id="ov-1", at=at(112), actor=SUPERVISOR))
    state = approval.state
    assert [e.kind for e in approval.events] == [
        "override_approved", "override_effective", "timeline_event_added", "timeline_event_added",
    ]  # fmt: skip
    assert _implied(approval)[0][1]["decided_by"] == "person"
    assert state.decision.source == "person" and state.decision.approved_by == SUPERVISOR
    assert state.payable == Decimal("5000.00")

    state = _admit(state, make_payment("2000.00", hours=130)).state
    assert (state.status, state.paid) == ("awaiting_payment", Decimal("2000.00"))
    assert _clock(state, "payment", 131)["status"] == "running"
    final = _admit(state, make_payment("3000.00", kind="final", hours=140, payment_id="pay-2"))
    state = final.state
    assert state.status == "paid"
    assert [kind for kind, _ in _implied(final)] == ["paid"]
    assert _clock(state, "payment", 141)["status"] == "met"

    appeal = _admit(
        state, AppealReceived(reason="line 2 in full", at=at(200), actor="member:M-1001")
    )
    state = appeal.state
    assert state.status == "appealed"
    assert [kind for kind, _ in _implied(appeal)] == ["appeal_received"]
    assert [d.decision_id for d in state.decisions] == ["dec-1", "dec-2", "ov-1"]
    assert state.anomalies == ()


def test_every_admission_folds_to_the_state_it_returns() -> None:
    events: list[ClaimEvent] = []
    state = ClaimState()
    steps = [
        lambda s: adm.intake(
            make_claim(missing_summary=True), ir=cn_health().ir, at=at(30), actor=ADJUSTER
        ),
        lambda s: make_rules_decision(s, hours=31),
        lambda s: make_summary_arrival(),
        lambda s: make_rules_decision(s, hours=110, decision_id="dec-2"),
        lambda s: make_payment("3648.40", kind="final", hours=130),
    ]  # fmt: skip
    for step in steps:
        admission = _admit(state, step(state))
        events += admission.events
        state = admission.state
        assert fold(events) == state
    assert state.status == "paid"


# ---- intake --------------------------------------------------------------------------------


def test_intake_records_the_receipt_when_the_claim_has_none() -> None:
    data = make_claim().model_dump(mode="json")
    data["events"] = [data["events"][0]]  # only the loss report
    claim = make_claim(events=data["events"])
    admission = _admit(ClaimState(), adm.intake(claim, ir=cn_health().ir, at=at(1), actor=ADJUSTER))
    assert _implied(admission) == [("claim_received", {})]
    assert admission.state.version == 1 and admission.state.claim is not None


def test_intake_refuses_a_timeline_that_breaks_the_lifecycle() -> None:
    events = [
        {
            "type": "claim_decided",
            "at": "2025-06-19T09:00:00+08:00",
            "detail": {"outcome": "approve"},
        }
    ]
    claim = make_claim(events=events)
    with pytest.raises(TimelineRuleError) as caught:
        _admit(ClaimState(), adm.intake(claim, ir=cn_health().ir, at=at(1), actor=ADJUSTER))
    assert caught.value.rule_id == "timeline.before_received"
    assert caught.value.index == 0
    assert isinstance(caught.value, TimelineError)


def test_a_claim_is_taken_in_once_and_only_as_built() -> None:
    state = make_received()
    again = adm.intake(make_claim(), ir=cn_health().ir, at=at(40), actor=ADJUSTER)
    with pytest.raises(AdmissionError, match="already received"):
        _admit(state, again)
    forged = again.model_copy(update={"content_hash": "sha256:0"})
    with pytest.raises(AdmissionError, match="content hash"):
        _admit(ClaimState(), forged)


def test_nothing_but_an_intake_comes_first() -> None:
    with pytest.raises(AdmissionError, match="no claim yet"):
        _admit(ClaimState(), make_summary_arrival())


# ---- amendments ----------------------------------------------------------------------------


def test_an_amendment_is_a_new_version_with_its_hash() -> None:
    state = make_received()
    event = adm.amendment(state, {"incident": {"description": "阑尾炎"}}, at=at(40), actor=ADJUSTER)
    after = _admit(state, event).state
    assert after.version == 2 and after.content_hash == event.content_hash != state.content_hash
    assert after.claim is not None and after.claim.incident.description == "阑尾炎"


def test_an_amendment_that_changes_nothing_or_breaks_the_claim_is_refused() -> None:
    state = make_received()
    same = adm.amendment(state, {"currency": "CNY"}, at=at(40), actor=ADJUSTER)
    with pytest.raises(ClaimPatchError, match="changes nothing"):
        _admit(state, same)
    with pytest.raises(ClaimValidationError) as caught:
        adm.amendment(state, {"currency": "EUR"}, at=at(40), actor=ADJUSTER)
    assert [p.path for p in caught.value.problems] == ["currency"]
    forged = same.model_copy(update={"patch": {"currency": "USD"}})
    with pytest.raises(AdmissionError, match="content hash"):
        _admit(state, forged)


# ---- the timeline --------------------------------------------------------------------------


def _added(state: ClaimState, event: Event, **fields: Any) -> TimelineEventAdded:
    assert state.claim is not None
    return TimelineEventAdded(
        index=len(state.claim.events),
        event=event,
        at=at(fields.pop("hours", 40)),
        actor=ADJUSTER,
        **fields,
    )


def test_a_person_adds_what_the_lifecycle_allows() -> None:
    state = make_received()
    late = make_event("documents_requested", 20, missing=["invoice"])  # before the request
    with pytest.raises(TimelineRuleError, match=r"events\[3\]: lifecycle rule 'timeline.order'"):
        _admit(state, _added(state, late))
    ok = make_event("documents_requested", 29, missing=["invoice", "medical_record"])
    after = _admit(state, _added(state, ok)).state
    assert after.claim is not None and after.claim.events[-1] == ok
    assert after.engine_events == ()
    # The invoice is held already: only what is missing is outstanding.
    assert after.outstanding_documents == ("discharge_summary", "medical_record")


def test_events_the_engine_records_are_not_added_by_hand() -> None:
    state = make_received()
    for kind, instead in [
        ("claim_decided", "evaluate the claim"),
        ("paid", "record the payment"),
        ("documents_received", "record the received document"),
        ("appeal_received", "record the appeal"),
    ]:
        with pytest.raises(AdmissionError, match="recorded by the engine") as caught:
            _admit(state, _added(state, make_event(kind, 39, outcome="approve")))
        assert instead in caught.value.suggestion
    with pytest.raises(AdmissionError, match="adds its own"):
        _admit(
            state,
            _added(state, make_event("documents_requested", 39, missing=["x"]), by_engine=True),
        )


def test_a_stale_position_is_refused() -> None:
    state = make_received()
    event = _added(state, make_event("documents_requested", 39, missing=["invoice"]))
    with pytest.raises(AdmissionError, match="read the claim again"):
        _admit(state, event.model_copy(update={"index": 2}))


def test_voiding_keeps_the_event_marked_and_refuses_what_the_engine_wrote() -> None:
    state = make_decided()
    assert state.claim is not None
    decided = state.engine_events[-2]  # claim_decided, then amount_agreed
    with pytest.raises(VoidError, match="recorded by the engine"):
        _admit(
            state, TimelineEventVoided(index=decided, reason="wrong", at=at(130), actor=ADJUSTER)
        )
    completion = 3
    after = _admit(
        state,
        TimelineEventVoided(index=completion, reason="entered twice", at=at(130), actor=ADJUSTER),
    ).state
    assert after.claim is not None
    voided = after.claim.events[completion]
    assert (
        voided.void is not None
        and voided.void.by == ADJUSTER
        and voided.type == "documents_completed"
    )
    with pytest.raises(VoidError, match="already void"):
        _admit(
            after, TimelineEventVoided(index=completion, reason="again", at=at(131), actor=ADJUSTER)
        )
    with pytest.raises(TimelineRuleError) as caught:
        _admit(
            state, TimelineEventVoided(index=1, reason="wrong claim", at=at(130), actor=ADJUSTER)
        )
    assert "void events[" in caught.value.suggestion


# ---- decisions -----------------------------------------------------------------------------


def test_a_decision_on_an_older_version_of_the_claim_is_refused() -> None:
    state = make_received()
    decision = make_rules_decision(state, hours=31)
    amended = make_admitted(
        state, adm.amendment(state, {"incident": {"description": "x"}}, at=at(31), actor=ADJUSTER)
    )
    with pytest.raises(AdmissionError, match="another version"):
        _admit(amended, decision)


def test_the_same_determination_again_writes_nothing_new() -> None:
    state = make_decided()
    again = _admit(state, make_rules_decision(state, hours=125, decision_id="dec-2"))
    assert _implied(again) == []
    assert again.state.decision is not None and again.state.decision.decision_id == "dec-2"
    assert len(again.state.decisions) == 2


def test_a_denial_starts_the_rejection_notice_clock() -> None:
    state = make_decided()
    denial = make_override(state, outcome="deny", hours=121)
    admission = _admit(state, denial)
    assert denial.override.needs_approval is False  # pays nothing more than the rules
    assert _implied(admission)[0] == (
        "claim_decided",
        {"outcome": "deny", "decided_by": "person", "decision_id": "ov-1", "payable": "0.00"},
    )
    assert admission.state.status == "decided"
    assert _clock(admission.state, "rejection_notice", 122)["status"] == "running"


def test_a_rules_decision_may_not_pay_less_than_was_paid() -> None:
    state = make_admitted(make_decided(), make_payment("3648.40", kind="final"))
    lapsed = adm.amendment(state, {"policy": {"status": "lapsed"}}, at=at(150), actor=ADJUSTER)
    state = make_admitted(
        state, ClaimReopened(reason="policy lapse found", at=at(149), actor=ADJUSTER)
    )
    state = make_admitted(state, lapsed)
    with pytest.raises(PaymentError, match="already paid"):
        _admit(state, make_rules_decision(state, hours=151, decision_id="dec-3"))


# ---- overrides -----------------------------------------------------------------------------


def test_an_override_within_the_threshold_needs_no_second_person() -> None:
    state = make_decided()
    proposal = make_override(
        state, total="3700.00", config=adm.LifecycleConfig(approval_threshold=Decimal("100.00"))
    )
    admission = _admit(state, proposal, approval_threshold=Decimal("100.00"))
    assert [e.kind for e in admission.events][:2] == ["override_proposed", "override_effective"]
    assert admission.state.payable == Decimal("3700.00")


def test_the_author_cannot_approve_or_reject_their_own_override() -> None:
    state = make_admitted(make_decided(), make_override(make_decided(), total="5000.00"))
    for event in (
        OverrideApproved(override_id="ov-1", at=at(122), actor=ADJUSTER),
        OverrideRejected(override_id="ov-1", reason="no", at=at(122), actor=ADJUSTER),
    ):
        with pytest.raises(SelfApprovalError) as caught:
            _admit(state, event)
        assert caught.value.code == "self-approval" and caught.value.override_id == "ov-1"
    rejected = _admit(
        state,
        OverrideRejected(override_id="ov-1", reason="not shown", at=at(122), actor=SUPERVISOR),
    )
    assert rejected.state.status == "awaiting_payment"
    assert rejected.state.overrides[0].status == "rejected"
    with pytest.raises(ApprovalError, match="not waiting"):
        _admit(rejected.state, OverrideApproved(override_id="ov-1", at=at(123), actor=SUPERVISOR))


def test_one_override_waits_at_a_time_and_a_new_rules_decision_supersedes_it() -> None:
    state = make_admitted(make_decided(), make_override(make_decided(), total="5000.00"))
    with pytest.raises(AdmissionError, match="waits for approval"):
        _admit(state, make_override(state, override_id="ov-2", total="4000.00"))
    with pytest.raises(AdmissionError, match="waits for approval"):
        _admit(state, ClaimClosed(reason="withdrawn", at=at(125), actor=ADJUSTER))
    state = make_admitted(state, make_rules_decision(state, hours=125, decision_id="dec-3"))
    assert state.overrides[0].status == "superseded" and state.status == "awaiting_payment"
    with pytest.raises(ApprovalError):
        _admit(state, OverrideApproved(override_id="ov-1", at=at(126), actor=SUPERVISOR))


def test_an_override_names_the_current_decision() -> None:
    state = make_decided()
    with pytest.raises(StaleDecisionError) as caught:
        make_override(state, total="100.00", overrides="dec-0")
    assert (caught.value.named, caught.value.current, caught.value.code) == (
        "dec-0",
        "dec-1",
        "stale-decision",
    )
    proposal = make_override(state, total="100.00")
    newer = make_admitted(state, make_rules_decision(state, hours=121, decision_id="dec-2"))
    with pytest.raises(StaleDecisionError):
        _admit(newer, proposal)


def test_an_override_is_effective_only_through_the_engine() -> None:
    state = make_decided()
    with pytest.raises(AdmissionError, match="approve the override"):
        _admit(state, OverrideEffective(override_id="ov-1", at=at(121), actor=SUPERVISOR))
    proposal = make_override(state, total="5000.00")
    forged = proposal.model_copy(
        update={"override": proposal.override.model_copy(update={"needs_approval": False})}
    )
    with pytest.raises(AdmissionError, match="plan"):
        _admit(state, forged)


def test_an_override_after_payments_pays_at_least_what_was_paid() -> None:
    state = make_admitted(make_decided(), make_payment("3000.00"))
    with pytest.raises(LifecycleError, match="already paid"):
        make_override(state, total="2000.00")
    pending = make_admitted(state, make_override(state, total="5000.00"))
    assert pending.status == "awaiting_approval"
    paid_more = make_admitted(pending, make_payment("648.40", hours=131, payment_id="pay-2"))
    assert paid_more.paid == Decimal("3648.40")


# ---- appeals, reopening, closing -----------------------------------------------------------


def test_an_appeal_needs_a_determination_and_reopens_a_closed_claim() -> None:
    with pytest.raises(AdmissionError, match="no determination"):
        _admit(make_received(), AppealReceived(reason="x", at=at(40), actor="member:M-1001"))
    closed = make_admitted(
        make_decided(), ClaimClosed(reason="settled", at=at(130), actor=ADJUSTER)
    )
    assert closed.status == "closed"
    with pytest.raises(AdmissionError, match="closed"):
        _admit(closed, make_payment("10.00", hours=131))
    appealed = make_admitted(
        closed, AppealReceived(reason="more", at=at(140), actor="member:M-1001")
    )
    assert appealed.status == "appealed" and not appealed.closed
    with pytest.raises(AdmissionError, match="already open"):
        _admit(appealed, AppealReceived(reason="more", at=at(141), actor="member:M-1001"))
    decided_again = _admit(appealed, make_rules_decision(appealed, hours=150, decision_id="dec-9"))
    # After an appeal the decision determines the claim anew, amount included.
    assert [kind for kind, _ in _implied(decided_again)] == ["claim_decided", "amount_agreed"]
    assert decided_again.state.status == "awaiting_payment"


def test_reopening_waits_for_a_new_decision() -> None:
    with pytest.raises(AdmissionError, match="waits for a decision"):
        _admit(make_received(), ClaimReopened(reason="x", at=at(40), actor=ADJUSTER))
    reopened = make_admitted(
        make_decided(), ClaimReopened(reason="new bill", at=at(130), actor=ADJUSTER)
    )
    assert reopened.status == "received"
    with pytest.raises(AdmissionError, match="waits for a decision"):
        _admit(reopened, ClaimReopened(reason="again", at=at(131), actor=ADJUSTER))
    with pytest.raises(AdmissionError, match="no determination"):
        _admit(reopened, AppealReceived(reason="x", at=at(131), actor="member:M-1001"))


def test_documents_received_in_the_future_are_refused() -> None:
    arrival = make_summary_arrival(hours=200)
    early = arrival.model_copy(update={"at": at(100)})
    with pytest.raises(AdmissionError, match="after it is recorded"):
        _admit(make_received(), early)
