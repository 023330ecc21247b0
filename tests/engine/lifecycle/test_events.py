"""Domain events: every kind survives its JSON form; the discriminator names bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from engine.claim import Event
from engine.evaluate import evaluate
from engine.lifecycle import admission as adm
from engine.lifecycle.decisions import summarize_clocks, summarize_decision
from engine.lifecycle.events import (
    AppealReceived,
    ClaimClosed,
    ClaimReopened,
    OverrideApproved,
    OverrideEffective,
    OverrideRejected,
    TimelineEventAdded,
    TimelineEventVoided,
    parse_event,
)
from engine.lifecycle.vocabulary import Role, Vocabulary
from engine.ruleset.ir import LIFECYCLE_ROLES
from tests.engine.lifecycle.factories import (
    ADJUSTER,
    at,
    cn_health,
    make_claim,
    make_decided,
    make_override,
    make_payment,
    make_received,
    make_rules_decision,
    make_summary_arrival,
)


def _every_kind() -> list[object]:
    state = make_decided()
    when = at(200)
    return [
        adm.intake(make_claim(), ir=cn_health().ir, at=when, actor=ADJUSTER),
        adm.amendment(state, {"incident": {"description": "x"}}, at=when, actor=ADJUSTER),
        make_summary_arrival(),
        TimelineEventAdded(
            index=4,
            event=Event(type="paid", at=when, detail={"a": [1, 2.5]}),
            at=when,
            actor=ADJUSTER,
        ),
        TimelineEventVoided(index=1, reason="x", at=when, actor=ADJUSTER),
        make_rules_decision(make_received(), hours=31),
        make_override(state, total="5000.00"),
        OverrideApproved(override_id="o", at=when, actor=ADJUSTER),
        OverrideRejected(override_id="o", reason="x", at=when, actor=ADJUSTER),
        OverrideEffective(override_id="o", at=when, actor=ADJUSTER, ref="audit-event-1"),
        make_payment("1.00"),
        AppealReceived(reason="x", at=when, actor=ADJUSTER),
        ClaimReopened(reason="x", at=when, actor=ADJUSTER),
        ClaimClosed(reason="x", at=when, actor=ADJUSTER),
    ]


def test_every_kind_of_event_parses_back_from_its_json_form() -> None:
    events = _every_kind()
    assert len({e.kind for e in events}) == 14  # type: ignore[attr-defined]
    for event in events:
        assert parse_event(event.model_dump(mode="json")) == event  # type: ignore[attr-defined]


def test_bad_events_are_refused_with_their_field() -> None:
    with pytest.raises(ValidationError, match="kind"):
        parse_event({"kind": "claim_paid", "at": "2025-06-20T09:00:00+08:00", "actor": "x"})
    with pytest.raises(ValidationError, match="reason"):
        parse_event(
            {"kind": "claim_closed", "at": "2025-06-20T09:00:00+08:00", "actor": "x", "reason": " "}
        )
    with pytest.raises(ValidationError, match="at"):
        parse_event(
            {"kind": "claim_closed", "at": "2025-06-20T09:00:00", "actor": "x", "reason": "y"}
        )


def test_the_roles_are_the_irs() -> None:
    assert Role.__args__ == LIFECYCLE_ROLES  # type: ignore[attr-defined]


def test_a_vocabulary_is_the_rulesets_at_intake() -> None:
    vocabulary = Vocabulary.of(cn_health().ir)
    assert vocabulary.received == "claim_received" and vocabulary.payment_clock == "payment"
    assert vocabulary.type_of("document_received") == "documents_received"
    assert vocabulary.role_of("claim_decided") == "decided" and vocabulary.role_of("x") is None


def test_the_decision_adapter_reads_what_the_lifecycle_keeps() -> None:
    decision = evaluate(cn_health(), make_claim(), as_of=at(300), backend="native")
    summary = summarize_decision(decision, decision_id="dec-9")
    assert (summary.outcome, str(summary.payable), str(summary.eligible)) == (
        "approve",
        "3648.40",
        "14560.50",
    )
    assert [(li.line_id, str(li.payable), li.outcome) for li in summary.lines] == [
        (1, "3200.00", "approve"),
        (2, "448.40", "approve"),
    ]
    assert summary.ruleset.id == "cn-health" and summary.engine_version.startswith("0.2.0+")
    clocks = {c.id: c for c in summarize_clocks(decision.sla)}
    assert clocks["determination"].status == decision.sla[3].status
    assert clocks["determination"].due_date == dt.date.fromisoformat(decision.sla[3].due_date or "")
