"""Payments: what was paid never exceeds the current decision's payable.

A payment pays part (``advance``) or the rest (``final``) of the current decision's payable:
payments add up, a ``final`` one must bring the total to exactly the payable, and no payment
may take it above. Only a current decision that approves (or partly approves) something is
payable; an advance under IL art. 25 therefore needs a decision paying the determinable part
first (a person's ``partial`` override). A payment is dated when it was made (``paid_at``),
not after it is recorded, and its ``payment_id`` and bank ``reference`` are recorded once.
"""

from __future__ import annotations

import datetime as dt

from engine.lifecycle.decisions import PAYING
from engine.lifecycle.errors import PaymentError
from engine.lifecycle.events import Payment
from engine.lifecycle.state import ClaimState

__all__ = ["check_payment"]


def check_payment(
    state: ClaimState, payment: Payment, *, recorded_at: dt.datetime, skew: dt.timedelta
) -> bool:
    """Refuse a payment that does not fit; ``True`` when it pays the payable in full."""
    decision = state.decision
    payable = state.payable
    amount = payment.amount

    def refuse(message: str, suggestion: str) -> PaymentError:
        return PaymentError(
            message, amount=amount, payable=payable, paid=state.paid, suggestion=suggestion
        )

    if decision is None or decision.outcome not in PAYING or payable <= 0:
        outcome = decision.outcome if decision is not None else "none yet"
        raise refuse(
            f"nothing is payable: the current decision is {outcome}",
            "a decision that approves an amount comes first",
        )
    if amount <= 0:
        raise refuse("a payment pays more than 0.00", "record the amount paid")
    for earlier in state.payments:
        if earlier.payment_id == payment.payment_id or earlier.reference == payment.reference:
            raise refuse(
                f"payment {earlier.payment_id} ({earlier.reference}) is already recorded",
                "record each payment once",
            )
    if payment.paid_at > recorded_at + skew:
        raise refuse(
            f"paid_at {payment.paid_at.isoformat()} is after it is recorded",
            "record a payment once it is made",
        )
    left = payable - state.paid
    if amount > left:
        raise refuse(
            f"paying {amount:.2f} would bring what was paid to {state.paid + amount:.2f}, above "
            f"the payable {payable:.2f}",
            f"pay at most {left:.2f}",
        )
    if payment.kind == "final" and amount < left:
        raise refuse(
            f"a final payment settles the claim: {left:.2f} is left to pay, not {amount:.2f}",
            f"pay {left:.2f}, or record this one as an advance",
        )
    return amount == left
