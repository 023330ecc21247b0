"""Line-level adjudication: run the ruleset's cost-sharing steps over the payable lines.

Amounts follow FHIR ExplanationOfBenefit: per line ``submitted``, ``eligible``,
``deductible``, ``copay`` (the member's share after the deductible, including anything over a
limit) and ``payable``. Invariants, whatever the YAML says (HIM art. 5, 25: indemnity):

- ``0 <= eligible <= submitted - social_insurance_paid - other_insurance_paid``
- ``eligible == deductible + copay + payable`` and every amount is ``>= 0``
- a denied line has eligible = deductible = copay = payable = 0

Steps run in declared order on each line, lines in ``line_id`` order; ``deductible`` and
``limit`` steps with ``per: claim`` share one accumulator across the claim's lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from engine.errors import EvaluationError
from engine.expression.native import Compiled
from engine.program import Facts
from engine.ruleset.ir import BenefitStep

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: Any) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class LineAmounts:
    line_id: int
    submitted: Decimal
    eligible: Decimal = ZERO
    deductible: Decimal = ZERO
    copay: Decimal = ZERO
    payable: Decimal = ZERO

    def as_dict(self) -> dict[str, str]:
        return {
            k: f"{getattr(self, k):.2f}"
            for k in ("submitted", "eligible", "deductible", "copay", "payable")
        }


@dataclass
class StepHit:
    step: BenefitStep
    line_id: int
    facts: dict[str, str]


@dataclass
class Adjudication:
    lines: list[LineAmounts]
    hits: list[StepHit] = field(default_factory=list)
    balances: dict[str, Decimal] = field(default_factory=dict)  # remaining after this claim


def adjudicate(
    steps: list[tuple[BenefitStep, Compiled]], lines: list[Facts], denied: set[int]
) -> Adjudication:
    result = Adjudication([])
    accumulators: dict[str, Decimal] = {}
    for target in sorted(lines, key=lambda f: f["line"]["line_id"]):
        line = target["line"]
        amounts = LineAmounts(line["line_id"], money(line["amount"]))
        result.lines.append(amounts)
        if amounts.line_id in denied:
            continue
        cap = max(
            ZERO,
            amounts.submitted
            - money(line["social_insurance_paid"])
            - money(line["other_insurance_paid"]),
        )
        amounts.eligible = cap
        amounts.payable = cap
        for step, fn in steps:
            _apply(step, fn, target, amounts, cap, accumulators, result)
    for step, _ in steps:
        if step.per == "claim" and step.id in accumulators:
            result.balances[step.id] = accumulators[step.id]
    return result


def _value(step: BenefitStep, fn: Compiled, target: Facts) -> Decimal:
    value = fn(target, None)
    if value is None:
        raise EvaluationError(f"benefit step '{step.id}' produced no value", rule_id=step.id)
    return Decimal(value)


def _apply(
    step: BenefitStep,
    fn: Compiled,
    target: Facts,
    amounts: LineAmounts,
    cap: Decimal,
    accumulators: dict[str, Decimal],
    result: Adjudication,
) -> None:
    if step.kind == "eligible":
        amounts.eligible = min(cap, max(ZERO, money(_value(step, fn, target))))
        amounts.deductible, amounts.copay, amounts.payable = ZERO, ZERO, amounts.eligible
        return
    if step.kind == "coinsurance":
        rate = _value(step, fn, target)
        if not ZERO <= rate <= 1:
            raise EvaluationError(
                f"coinsurance rate {rate} is not between 0 and 1", rule_id=step.id
            )
        paid = money(amounts.payable * rate)
        amounts.copay += amounts.payable - paid
        amounts.payable = paid
        return
    remaining = _remaining(step, fn, target, accumulators)
    if step.kind == "deductible":
        taken = min(remaining, amounts.payable)
        amounts.deductible += taken
        amounts.payable -= taken
        _consume(step, accumulators, remaining - taken)
        return
    over = amounts.payable - remaining  # kind == "limit"
    if over > 0:
        amounts.copay += over
        amounts.payable = remaining
        result.hits.append(
            StepHit(
                step,
                amounts.line_id,
                {"limit_remaining": f"{remaining:.2f}", "over_limit": f"{over:.2f}"},
            )
        )
    _consume(step, accumulators, remaining - amounts.payable)


def _remaining(
    step: BenefitStep, fn: Compiled, target: Facts, accumulators: dict[str, Decimal]
) -> Decimal:
    if step.per == "claim" and step.id in accumulators:
        return accumulators[step.id]
    return max(ZERO, money(_value(step, fn, target)))


def _consume(step: BenefitStep, accumulators: dict[str, Decimal], left: Decimal) -> None:
    if step.per == "claim":
        accumulators[step.id] = left
