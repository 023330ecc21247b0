"""A refusal never overrules a legal protection (issue 14), on random claims against cn-health.

Each check reads the protection from the claim itself, not from the rules under test: a
waiting period is void past day 180 (HIM 27); cover is judged on the loss date (IL 14); a
clause that cuts payment needs proof it was explained at sale (IL 17; SPC-II 9-13); emergency
care is not refused for its provider; only what was paid on an invoice makes it a duplicate
(HIM 5); and every cut between submitted and payable carries a reason the member can read.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import given

from engine.decision import Decision
from tests.engine.factories import CN_HEALTH, bundled_program, decide
from tests.engine.test_backends import PROPERTY, claims, for_ruleset

ZERO = Decimal(0)
PAYING = ("approve", "partial")


def _proven(claim: dict[str, Any], clause: str, category: str | None = None) -> bool:
    return any(
        c["clause"] == clause and (category is None or c.get("category") == category)
        for c in claim["policy"].get("explained_clauses") or []
    )


def _refused(decision: Decision, code: str) -> set[int | None]:
    """The lines (None: the claim) refused with ``code``."""
    return {r.line_id for r in decision.reasons if r.code == code and r.outcome == "deny"}


def _line(claim: dict[str, Any], line_id: int | None) -> dict[str, Any]:
    return next(item for item in claim["items"] if item["line_id"] == line_id)


def _check_waiting_period(claim: dict[str, Any], decision: Decision) -> None:
    if not _refused(decision, "ELIG-WAITING"):
        return
    policy, incident = claim["policy"], claim["incident"]
    day = (
        dt.date.fromisoformat(incident["onset_date"]) - dt.date.fromisoformat(policy["start_date"])
    ).days
    assert day < min(policy["waiting_period_days"], 180), "refused past the lawful waiting period"
    assert not incident["is_accident"]
    assert _proven(claim, "waiting_period"), "refused on a waiting period never explained"


def _check_cover_on_loss_date(claim: dict[str, Any], decision: Decision) -> None:
    if not _refused(decision, "ELIG-STATUS"):
        return
    took_effect = claim["policy"].get("status_effective_date")
    assert took_effect is not None, "refused on today's status, not the loss date's"
    assert took_effect <= claim["incident"]["onset_date"], "refused for a later lapse"


def _check_line_refusals(claim: dict[str, Any], decision: Decision) -> None:
    for line_id in _refused(decision, "COV-EXCLUDED"):
        assert _proven(claim, "exclusion", _line(claim, line_id)["category"])
    for line_id in _refused(decision, "COV-PROVIDER"):
        assert _line(claim, line_id)["category"] != "emergency"
        assert _proven(claim, "designated_providers")
    for line_id in _refused(decision, "DUP-INVOICE"):
        line = _line(claim, line_id)
        paid = sum(
            (
                Decimal(p["paid"])
                for p in claim["prior_claims"]
                if p["invoice_no"] == line["invoice_no"] and "paid" in p
            ),
            ZERO,
        )
        net = (
            Decimal(line["amount"])
            - Decimal(line["social_insurance_paid"])
            - Decimal(line["other_insurance_paid"])
        )
        assert paid > ZERO and paid >= net, "a line refused as a duplicate of money never paid"


def _check_no_silent_cut(claim: dict[str, Any], decision: Decision) -> None:
    if decision.outcome not in PAYING:
        return
    claim_codes = {r.code for r in decision.reasons if r.scope == "claim"}
    for line in decision.lines:
        if line.outcome == "deny":
            assert line.reason_codes, f"line {line.line_id} refused without a reason"
            continue
        codes = set(line.reason_codes)
        if line.eligible < line.submitted:
            assert codes & {"COST-OFFSET", "DUP-PART-PAID"}, f"line {line.line_id}: silent cut"
        if line.deductible > ZERO:
            assert "COST-DEDUCTIBLE" in claim_codes and _proven(claim, "deductible")
        if line.copay > ZERO:
            assert codes & {"COST-COINSURANCE", "LIMIT-ANNUAL", "LIMIT-PER-VISIT"}, (
                f"line {line.line_id}: member share without a reason"
            )
        if "COST-COINSURANCE" in codes:
            assert _proven(claim, "coinsurance"), "a payment ratio applied without proof"


@PROPERTY
@given(case=claims())
def test_no_refusal_overrules_a_legal_protection(case: tuple[dict[str, Any], dt.datetime]) -> None:
    program = bundled_program(CN_HEALTH)
    claim, as_of = case
    claim = for_ruleset(program, claim)
    if claim["claim_type"] != "medical_expense":
        claim = {**claim, "claim_type": "medical_expense"}
    decision = decide(program, claim, backend="native", as_of=as_of)
    _check_waiting_period(claim, decision)
    _check_cover_on_loss_date(claim, decision)
    _check_line_refusals(claim, decision)
    _check_no_silent_cut(claim, decision)
