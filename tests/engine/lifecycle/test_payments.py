"""Payments: never above the payable; advances add up; a final payment settles the claim."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from engine.lifecycle.errors import PaymentError, TimelineRuleError
from engine.lifecycle.events import TimelineEventAdded
from engine.lifecycle.payments import check_payment
from tests.engine.lifecycle.factories import (
    ADJUSTER,
    at,
    make_admitted,
    make_decided,
    make_event,
    make_payment,
    make_received,
    make_rules_decision,
)

SKEW = dt.timedelta(minutes=5)


def _check(state, event) -> bool:  # type: ignore[no-untyped-def]
    return check_payment(state, event.payment, recorded_at=event.at, skew=SKEW)


def test_advances_add_up_and_the_last_one_pays_in_full() -> None:
    state = make_decided()  # payable 3648.40
    assert _check(state, make_payment("1000.00")) is False
    state = make_admitted(state, make_payment("1000.00"))
    state = make_admitted(state, make_payment("2000.00", hours=131, payment_id="pay-2"))
    assert state.paid == Decimal("3000.00") and state.status == "awaiting_payment"
    assert _check(state, make_payment("648.40", hours=132, payment_id="pay-3")) is True


def test_paying_above_the_payable_is_refused_with_what_is_left() -> None:
    state = make_admitted(make_decided(), make_payment("3000.00"))
    with pytest.raises(PaymentError) as caught:
        _check(state, make_payment("648.41", hours=131, payment_id="pay-2"))
    error = caught.value
    assert (error.amount, error.payable, error.paid) == (
        Decimal("648.41"),
        Decimal("3648.40"),
        Decimal("3000.00"),
    )
    assert error.suggestion == "pay at most 648.40" and error.code == "payment"


def test_a_final_payment_pays_exactly_what_is_left() -> None:
    with pytest.raises(PaymentError, match=r"648\.40 is left to pay") as caught:
        _check(
            make_admitted(make_decided(), make_payment("3000.00")),
            make_payment("600.00", kind="final", hours=131, payment_id="p2"),
        )
    assert "advance" in caught.value.suggestion


def test_nothing_is_payable_before_a_paying_decision() -> None:
    with pytest.raises(PaymentError, match="none yet"):
        _check(make_received(), make_payment("1.00"))
    held = make_admitted(make_received(), make_rules_decision(make_received(), hours=31))
    with pytest.raises(PaymentError, match="current decision is pend"):
        _check(held, make_payment("1.00"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": Decimal("0.00")}, "more than 0.00"),
        ({"payment_id": "pay-1", "reference": "TX-new"}, "already recorded"),
        ({"payment_id": "pay-9", "reference": "TX-pay-1"}, "already recorded"),
        ({"paid_at": at(200)}, "after it is recorded"),
    ],
)
def test_a_payment_is_real_once_and_not_in_the_future(
    change: dict[str, object], message: str
) -> None:
    state = make_admitted(make_decided(), make_payment("10.00"))
    event = make_payment("20.00", hours=131, payment_id="pay-2")
    payment = event.payment.model_copy(update=change)
    with pytest.raises(PaymentError, match=message):
        check_payment(state, payment, recorded_at=event.at, skew=SKEW)


def test_a_payment_recorded_late_is_backdated_on_the_timeline() -> None:
    state = make_decided(hours=120)
    assert state.claim is not None
    request = make_event("documents_requested", 126, missing=["bank_account"])
    added = TimelineEventAdded(
        index=len(state.claim.events), event=request, at=at(126), actor=ADJUSTER
    )
    state = make_admitted(state, added)
    late = make_payment("3648.40", kind="final", hours=123).model_copy(update={"at": at(127)})
    after = make_admitted(state, late)
    assert after.claim is not None
    paid = after.claim.events[-1]
    assert paid.type == "paid" and paid.at == at(123)
    assert paid.backdated is not None and "recorded later" in paid.backdated.reason


def test_a_payment_before_the_amount_was_agreed_is_refused() -> None:
    early = make_payment("3648.40", kind="final", hours=119.5).model_copy(update={"at": at(125)})
    with pytest.raises(TimelineRuleError) as caught:
        make_admitted(make_decided(hours=120), early)
    assert caught.value.rule_id == "paid_needs_amount"
