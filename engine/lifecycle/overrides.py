"""Overrides, bounded and four-eyed: a person's decision, resolved against the claim.

Bound (HIM art. 5, 25: never pay above actual cost): each line pays at most its amount, minus
what others paid for it (social insurance, other insurers), minus what we already paid for the
same invoice under an earlier claim. Above it → :class:`OverrideBoundError` naming the line.

A total instead of per-line amounts is spread over the lines pro rata to their bounds (the most
each may pay), in whole fen: each line gets the fen below its exact share, and the fen left
over go one each to the lines with the largest remainders (ties: the lower line id). The shares
add up to the total exactly, and none exceeds its bound.

Four eyes: an override waits for a second person when it pays more than the rules' payable (of
the latest rules decision) by more than ``LifecycleConfig.approval_threshold``, or turns a
refusal into a payment: the rules said deny, pend or refer and it pays, or it pays a line the
rules denied.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_FLOOR, Decimal

from engine.claim import Claim
from engine.lifecycle.config import LifecycleConfig
from engine.lifecycle.decisions import PAYING, DecisionSummary
from engine.lifecycle.errors import (
    AdmissionError,
    OverrideBoundError,
    OverrideError,
    StaleDecisionError,
)
from engine.lifecycle.events import LinePayable, OverridePlan, OverrideRequest
from engine.lifecycle.state import ClaimState

__all__ = ["approval_reasons", "line_bounds", "paid_before", "plan_override", "spread"]

_FEN = Decimal("0.01")
_REFUSALS = ("deny", "pend", "refer")


def paid_before(claim: Claim) -> dict[int, Decimal]:
    """What we already paid for each line's invoice under earlier claims, as far as the
    claim says: a prior claim on the same invoice that was approved or partly approved counts
    with its whole amount (the claim does not say how much of it was paid, so the bound errs
    on the side of never paying twice)."""
    out: dict[int, Decimal] = {}
    for item in claim.items:
        out[item.line_id] = sum(
            (p.amount for p in claim.prior_claims
             if p.invoice_no == item.invoice_no and p.outcome in PAYING),
            Decimal("0.00"),
        )  # fmt: skip
    return out


def line_bounds(
    claim: Claim, *, already_paid: Mapping[int, Decimal] | None = None
) -> dict[int, Decimal]:
    """The most each line may pay (never below 0.00); ``already_paid`` defaults to
    :func:`paid_before`."""
    before = paid_before(claim) if already_paid is None else already_paid
    return {
        item.line_id: max(
            item.amount
            - item.social_insurance_paid
            - item.other_insurance_paid
            - before.get(item.line_id, Decimal("0.00")),
            Decimal("0.00"),
        )
        for item in claim.items
    }


def spread(total: Decimal, bounds: Mapping[int, Decimal]) -> dict[int, Decimal]:
    """``total`` over the lines pro rata to ``bounds``, in fen, adding up exactly."""
    room = sum(bounds.values(), Decimal("0.00"))
    if total > room:
        raise OverrideError(
            f"a total of {total:.2f} is above what the lines may pay together ({room:.2f})",
            suggestion=f"pay at most {room:.2f}",
        )
    fen = int(total / _FEN)
    weights = {line: int(bound / _FEN) for line, bound in bounds.items()}
    whole = sum(weights.values())
    if whole == 0:
        return dict.fromkeys(bounds, Decimal("0.00"))
    shares = {line: fen * w // whole for line, w in weights.items()}
    left = fen - sum(shares.values())
    by_remainder = sorted(weights, key=lambda line: (-(fen * weights[line] % whole), line))
    for line in by_remainder[:left]:
        shares[line] += 1
    return {line: (Decimal(n) * _FEN).quantize(_FEN, ROUND_FLOOR) for line, n in shares.items()}


def plan_override(
    state: ClaimState,
    request: OverrideRequest,
    *,
    override_id: str,
    config: LifecycleConfig,
) -> OverridePlan:
    """The override resolved: every line's payable, checked against its bound, and whether a
    second person must approve it. Raises ``StaleDecisionError`` when ``request.overrides``
    is not the current decision, ``OverrideBoundError`` for a line above its bound and
    ``OverrideError`` for anything else malformed."""
    claim, current = state.claim, state.decision
    if claim is None:
        raise AdmissionError("there is no claim to override a decision of")
    if current is None or current.decision_id != request.overrides:
        raise StaleDecisionError(
            named=request.overrides, current=current.decision_id if current else None
        )
    bounds = line_bounds(claim)
    lines = _resolved(request, bounds)
    payable = sum(lines.values(), Decimal("0.00"))
    if request.outcome not in PAYING and payable > 0:
        raise OverrideError(
            f"a '{request.outcome}' override pays nothing, yet it gives {payable:.2f}",
            suggestion="use approve or partial to pay",
        )
    if payable < state.paid:
        raise OverrideError(
            f"{state.paid:.2f} is already paid; the override pays {payable:.2f}",
            suggestion=f"an override pays at least what was paid ({state.paid:.2f})",
        )
    reasons = approval_reasons(lines, state.rules_decision, config)
    return OverridePlan(
        override_id=override_id,
        request=request,
        lines=tuple(LinePayable(line_id=i, payable=p) for i, p in sorted(lines.items())),
        payable=payable,
        needs_approval=bool(reasons),
        approval_reasons=reasons,
    )


def _resolved(request: OverrideRequest, bounds: Mapping[int, Decimal]) -> dict[int, Decimal]:
    if request.total is not None:
        return spread(request.total, bounds)
    given = {line.line_id: line.payable for line in request.lines or ()}
    unknown = sorted(set(given) - set(bounds))
    if unknown:
        raise OverrideError(
            f"the claim has no line {unknown[0]}",
            suggestion=f"its lines are {', '.join(map(str, sorted(bounds)))}",
        )
    if request.lines is None and request.outcome in PAYING:
        raise OverrideError(
            f"an '{request.outcome}' override says what it pays",
            suggestion="give per-line amounts (lines) or a total",
        )
    for line_id, amount in sorted(given.items()):
        if amount > bounds[line_id]:
            raise OverrideBoundError(line_id=line_id, asked=amount, bound=bounds[line_id])
    return {line_id: given.get(line_id, Decimal("0.00")) for line_id in sorted(bounds)}


def approval_reasons(
    lines: Mapping[int, Decimal], rules: DecisionSummary | None, config: LifecycleConfig
) -> tuple[str, ...]:
    """Why an override paying ``lines`` needs a second person (empty: it does not)."""
    payable = sum(lines.values(), Decimal("0.00"))
    rules_payable = rules.payable if rules is not None else Decimal("0.00")
    reasons = []
    if payable - rules_payable > config.approval_threshold:
        reasons.append(
            f"pays {payable:.2f}, {payable - rules_payable:.2f} more than the rules' "
            f"{rules_payable:.2f} (more than {config.approval_threshold:.2f} needs a second person)"
        )
    refused = rules.outcome if rules is not None else "pend"
    if payable > 0 and refused in _REFUSALS:
        reasons.append(f"turns the rules' {refused} into a payment")
    elif rules is not None:
        denied = {line.line_id for line in rules.lines if line.outcome == "deny"}
        for line_id in sorted(denied):
            if lines.get(line_id, Decimal("0.00")) > 0:
                reasons.append(f"pays line {line_id}, which the rules denied")
    return tuple(reasons)
