"""The member's status sentence follows the state: "paid" only once a payment exists."""

from __future__ import annotations

from engine.evaluate import clocks
from engine.lifecycle.decisions import summarize_clocks
from engine.lifecycle.events import AppealReceived, ClaimClosed, OverrideApproved
from engine.lifecycle.wording import status_sentence
from tests.engine.lifecycle.factories import (
    ADJUSTER,
    SUPERVISOR,
    at,
    cn_health,
    make_admitted,
    make_claim,
    make_decided,
    make_override,
    make_payment,
    make_received,
)


def test_awaiting_documents_lists_them_in_words() -> None:
    sentence = status_sentence(make_received())
    assert sentence.status == "awaiting_documents"
    assert "出院小结" in sentence.zh and "hospital discharge summary" in sentence.en
    labelled = status_sentence(
        make_received(), labels={"discharge_summary": {"zh": "出院记录", "en": "discharge note"}}
    )
    assert "出院记录" in labelled.zh and "discharge note" in labelled.en


def test_approved_says_the_amount_and_the_payment_deadline() -> None:
    state = make_decided(hours=120)  # 2025-06-25 09:12: amount agreed, 10 days to pay
    assert state.claim is not None
    found = summarize_clocks(clocks(cn_health(), state.claim, as_of=at(121)))
    sentence = status_sentence(state, clocks=found)
    assert sentence.zh == "您的理赔申请已核定赔付，应付3,648.40元，我们将于2025年7月5日前付款。"
    assert sentence.en == "Your claim is approved: CNY 3,648.40 is payable, due by 5 July 2025."
    assert "已获赔付" not in sentence.zh
    undated = status_sentence(state)
    assert undated.en.endswith("we will pay it soon.")


def test_a_part_paid_says_what_is_left() -> None:
    state = make_admitted(make_decided(), make_payment("1000.00"))
    sentence = status_sentence(state)
    assert sentence.status == "awaiting_payment"
    assert "已先行支付1,000.00元，尚余2,648.40元" in sentence.zh
    assert "CNY 1,000.00 is paid and CNY 2,648.40 is still to pay" in sentence.en


def test_paid_only_once_paid_with_the_date_and_amount() -> None:
    state = make_admitted(
        make_decided(), make_payment("3648.40", kind="final", hours=130)
    )  # 06-25 21:12
    sentence = status_sentence(state)
    assert sentence.status == "paid"
    assert sentence.zh == "已获赔付：我们已支付3,648.40元（最近一笔于2025年6月25日）。"
    assert sentence.en == "Paid: we have paid CNY 3,648.40 (last payment on 25 June 2025)."


def test_a_partial_approval_and_a_refusal_are_worded_as_such() -> None:
    state = make_decided()
    partial = make_admitted(state, make_override(state, outcome="partial", total="100.00"))
    assert (
        "部分赔付" in status_sentence(partial).zh
        and "partly approved" in status_sentence(partial).en
    )
    denied = make_admitted(state, make_override(state, outcome="deny"))
    assert (
        status_sentence(denied).en
        == "We have decided not to pay your claim; we will explain why in writing."
    )
    nothing = make_admitted(state, make_override(state, outcome="approve", total="0.00"))
    assert (
        status_sentence(nothing).en == "We have decided your claim: there is nothing to pay on it."
    )


def test_every_other_status_has_its_sentence() -> None:
    state = make_decided()
    waiting = make_admitted(state, make_override(state, total="5000.00"))
    assert status_sentence(waiting).status == "awaiting_approval"
    assert "第二位审核人员" in status_sentence(waiting).zh
    effective = make_admitted(
        waiting, OverrideApproved(override_id="ov-1", at=at(122), actor=SUPERVISOR)
    )
    appealed = make_admitted(
        effective, AppealReceived(reason="x", at=at(123), actor="member:M-1001")
    )
    assert (
        status_sentence(appealed).en
        == "We have received your appeal and are reviewing your claim again."
    )
    closed = make_admitted(state, ClaimClosed(reason="withdrawn", at=at(123), actor=ADJUSTER))
    assert status_sentence(closed).zh == "您的理赔申请已结案。"
    complete = make_received(make_claim(), hours=119)
    assert status_sentence(complete).en == "We have received your claim and are reviewing it."
