"""Overrides: bounded per line (never above actual cost), a total spread exactly, and a second
person when an override pays more than the rules allow or turns a refusal into a payment."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.lifecycle.config import LifecycleConfig
from engine.lifecycle.decisions import DecisionSummary, LineSummary, RulesetRef
from engine.lifecycle.errors import OverrideBoundError, OverrideError
from engine.lifecycle.overrides import approval_reasons, line_bounds, paid_before, spread
from tests.engine.lifecycle.factories import at, make_claim, make_decided, make_override

FEN = Decimal("0.01")


def test_a_line_pays_at_most_its_cost_less_what_others_paid() -> None:
    # Line 1: 23000.00 of which social insurance paid 9000.00; line 2: 860.50 less 300.00.
    assert line_bounds(make_claim()) == {1: Decimal("14000.00"), 2: Decimal("560.50")}


def test_an_earlier_claim_on_the_same_invoice_counts_as_paid() -> None:
    on_line_2 = {"invoice_no": "INV-33-001204", "service_date": "2025-06-18"}
    prior = [
        {"claim_id": "C-1", **on_line_2, "amount": "200.00", "outcome": "approve"},
        {"claim_id": "C-2", **on_line_2, "amount": "999.00", "outcome": "deny"},  # paid nothing
    ]
    claim = make_claim(prior_claims=prior)
    assert paid_before(claim) == {1: Decimal("0.00"), 2: Decimal("200.00")}
    assert line_bounds(claim)[2] == Decimal("360.50")
    assert line_bounds(claim, already_paid={2: Decimal("600.00")})[2] == Decimal("0.00")


def test_a_line_above_its_bound_is_refused_naming_the_line() -> None:
    state = make_decided()
    with pytest.raises(OverrideBoundError) as caught:
        make_override(
            state, lines=[{"line_id": 1, "payable": "100.00"}, {"line_id": 2, "payable": "560.51"}]
        )
    error = caught.value
    assert (error.line_id, error.asked, error.bound, error.code) == (
        2,
        Decimal("560.51"),
        Decimal("560.50"),
        "override-bound",
    )
    assert "line 2" in str(error) and "560.50" in error.suggestion


def test_per_line_amounts_pay_what_they_say_and_unlisted_lines_nothing() -> None:
    plan = make_override(make_decided(), lines=[{"line_id": 2, "payable": "560.50"}]).override
    assert [(li.line_id, li.payable) for li in plan.lines] == [
        (1, Decimal("0.00")),
        (2, Decimal("560.50")),
    ]
    assert plan.payable == Decimal("560.50") and plan.needs_approval is False


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"lines": [{"line_id": 3, "payable": "1.00"}]}, "no line 3"),
        ({"outcome": "deny", "total": "1.00"}, "pays nothing"),
        ({"outcome": "approve"}, "says what it pays"),
        ({"total": "14560.51"}, "above what the lines may pay together"),
    ],
)
def test_malformed_overrides_are_refused(request_: dict[str, object], message: str) -> None:
    with pytest.raises(OverrideError, match=message):
        make_override(make_decided(), **request_)


def test_a_request_says_amounts_one_way() -> None:
    with pytest.raises(ValueError, match="not both"):
        make_override(make_decided(), total="1.00", lines=[{"line_id": 1, "payable": "1.00"}])
    with pytest.raises(ValueError, match="once"):
        make_override(make_decided(), lines=[{"line_id": 1, "payable": "1.00"}] * 2)


# ---- spreading a total ---------------------------------------------------------------------

BOUNDS = st.dictionaries(
    st.integers(1, 30), st.decimals(min_value=0, max_value=100000, places=2), min_size=1, max_size=8
)


@settings(max_examples=400)
@given(bounds=BOUNDS, share=st.fractions(0, 1))
def test_a_spread_adds_up_exactly_and_stays_within_every_bound(
    bounds: dict[int, Decimal], share: object
) -> None:
    room = sum(bounds.values(), Decimal("0.00"))
    total = (room * Decimal(share.numerator) / Decimal(share.denominator)).quantize(
        FEN, "ROUND_FLOOR"
    )  # type: ignore[attr-defined]

    shares = spread(total, bounds)

    assert sum(shares.values(), Decimal("0.00")) == total
    assert set(shares) == set(bounds)
    for line, amount in shares.items():
        assert Decimal("0.00") <= amount <= bounds[line]
        assert amount == amount.quantize(FEN)
        if room:  # pro rata: within a fen of the exact share
            assert abs(amount - total * bounds[line] / room) < FEN
    assert spread(total, bounds) == shares  # the same every time


def test_a_spread_gives_left_over_fen_to_the_largest_remainders_then_the_lower_line() -> None:
    even = {1: Decimal("1.00"), 2: Decimal("1.00"), 3: Decimal("1.00")}
    assert spread(Decimal("0.02"), even) == {
        1: Decimal("0.01"), 2: Decimal("0.01"), 3: Decimal("0.00"),
    }  # fmt: skip
    # 0.10 over 1:2 is 0.0333... and 0.0666...: the fen left goes to line 2's larger remainder.
    assert spread(Decimal("0.10"), {1: Decimal("1.00"), 2: Decimal("2.00")}) == {
        1: Decimal("0.03"), 2: Decimal("0.07"),
    }  # fmt: skip
    assert spread(Decimal("0.00"), {1: Decimal("0.00")}) == {1: Decimal("0.00")}


def test_the_reference_total_is_spread_on_the_two_lines() -> None:
    plan = make_override(make_decided(), total="5000.00").override
    assert [(li.line_id, li.payable) for li in plan.lines] == [
        (1, Decimal("4807.53")),
        (2, Decimal("192.47")),
    ]


# ---- four eyes -----------------------------------------------------------------------------


def _rules(outcome: str, payable: str, denied: tuple[int, ...] = ()) -> DecisionSummary:
    lines = tuple(
        LineSummary(
            line_id=i,
            submitted="100.00",
            eligible="100.00",
            payable="0.00",
            outcome="deny" if i in denied else outcome,
        )  # type: ignore[arg-type]
        for i in (1, 2)
    )
    return DecisionSummary.model_validate(
        {
            "decision_id": "d", "outcome": outcome, "submitted": "200.00", "eligible": "200.00",
            "payable": payable, "lines": lines, "as_of": at(0), "engine_version": "0.2.0+native.1",
            "ruleset": RulesetRef(id="r", version="1", content_hash="h"),
        }
    )  # fmt: skip


THRESHOLD = LifecycleConfig(approval_threshold=Decimal("100.00"))


def test_paying_more_than_the_rules_by_more_than_the_threshold_needs_a_second_person() -> None:
    rules = _rules("approve", "500.00")
    assert approval_reasons({1: Decimal("600.00")}, rules, THRESHOLD) == ()
    [reason] = approval_reasons({1: Decimal("600.01")}, rules, THRESHOLD)
    assert "100.01 more than the rules' 500.00" in reason
    assert approval_reasons({1: Decimal("0.01")}, rules, LifecycleConfig()) == ()


@pytest.mark.parametrize("refusal", ["deny", "pend", "refer"])
def test_turning_a_refusal_into_a_payment_needs_a_second_person(refusal: str) -> None:
    rules = _rules(refusal, "0.00")
    reasons = approval_reasons({1: Decimal("50.00")}, rules, THRESHOLD)
    assert reasons == (f"turns the rules' {refusal} into a payment",)
    assert approval_reasons({1: Decimal("0.00")}, rules, THRESHOLD) == ()


def test_paying_a_line_the_rules_denied_needs_a_second_person() -> None:
    rules = _rules("partial", "80.00", denied=(2,))
    assert approval_reasons({1: Decimal("80.00"), 2: Decimal("0.00")}, rules, THRESHOLD) == ()
    assert approval_reasons({1: Decimal("0.00"), 2: Decimal("50.00")}, rules, THRESHOLD) == (
        "pays line 2, which the rules denied",
    )
