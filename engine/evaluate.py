"""The engine's front door: load a ruleset once, evaluate claims into decisions.

``evaluate`` is deterministic: the same claim, ruleset content and ``as_of`` give the same
canonical decision JSON on either backend (only the ``engine`` block names the backend).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.backends import get_backend
from engine.benefit import adjudicate
from engine.claim import Claim, load_claim
from engine.decision import (
    ADVERSE,
    HUMAN_REVIEW,
    HUMAN_REVIEW_BASIS,
    applied_rules,
    claim_outcome,
    reason_entry,
    step_reasons,
    totals,
)
from engine.errors import EvaluationError
from engine.program import Program, line_facts
from engine.ruleset.compiler import compile_ruleset
from engine.ruleset.ir import OUTCOME_RANK
from engine.semantics import Semantics
from engine.sla import claim_clocks, sweep


def load_program(root: Path | str, *, revision: str = "", display: str | None = None) -> Program:
    return Program(compile_ruleset(root, revision=revision, display=display))


def evaluate(
    program: Program,
    claim: Claim | Mapping[str, Any] | str | bytes,
    *,
    as_of: dt.datetime,
    backend: str | None = None,
    semantics: str | None = None,
) -> dict[str, Any]:
    """Evaluate one claim; returns the decision as a JSON-ready dict.

    ``semantics`` is the engine semantics version to decide under (:mod:`engine.semantics`;
    default: the current one); replay passes the version the decision was made with.
    """
    if not isinstance(claim, Claim):
        claim = load_claim(claim)
    chosen = get_backend(backend)
    meaning = Semantics.of(semantics)
    facts = program.facts(claim, as_of, semantics=meaning)
    lines = line_facts(facts)
    try:
        matches = chosen.match(program, facts, lines)
    except EvaluationError:
        raise
    trace, applied = applied_rules(program, matches, facts, lines)
    denied = {
        a.line_id
        for a in applied
        if a.scope == "line" and a.outcome == "deny" and a.line_id is not None
    }
    adjudication = adjudicate(program.steps, lines, denied)
    outcome = claim_outcome(applied, adjudication, denied)
    if outcome == "deny":
        denied = {line.line_id for line in adjudication.lines}
        adjudication = adjudicate(program.steps, lines, denied)
    applied += step_reasons(adjudication, lines, claim.currency)
    amounts, amount_lines = totals(adjudication, outcome in ("approve", "partial"))
    sla = claim_clocks(program.ir, program.sla, facts, as_of, program.tz, claim.currency)
    return _decision(
        program,
        sla,
        claim,
        as_of,
        chosen,
        outcome,
        amounts,
        amount_lines,
        applied,
        trace,
        adjudication.balances,
        meaning,
    )


def _decision(
    program: Program,
    sla: list[dict[str, Any]],
    claim: Claim,
    as_of: dt.datetime,
    backend: Any,
    outcome: str,
    amounts: dict[str, str],
    amount_lines: list[Any],
    applied: list[Any],
    trace: list[dict[str, Any]],
    balances: dict[str, Any],
    semantics: Semantics,
) -> dict[str, Any]:
    reasons = [reason_entry(a, claim.currency, program.ir.labels) for a in applied]
    line_codes: dict[int, list[str]] = {}
    line_worst: dict[int, str] = {}
    for a in applied:
        if a.line_id is not None:
            line_codes.setdefault(a.line_id, []).append(a.code)
            if OUTCOME_RANK[a.outcome] > OUTCOME_RANK[line_worst.get(a.line_id, "approve")]:
                line_worst[a.line_id] = a.outcome
    lines = [
        {
            "line_id": line.line_id,
            **line.as_dict(),
            "outcome": line_outcome(outcome, line_worst.get(line.line_id, "approve")),
            "reason_codes": line_codes.get(line.line_id, []),
        }
        for line in amount_lines
    ]
    notices = []
    if outcome in ADVERSE:
        notices.append(
            {
                "id": "human_review",
                "legal_basis": list(HUMAN_REVIEW_BASIS),
                "zh": HUMAN_REVIEW.zh,
                "en": HUMAN_REVIEW.en,
            }
        )
    return {
        "claim_id": claim.claim_id,
        "outcome": outcome,
        "automated": True,
        "currency": claim.currency,
        "amounts": amounts,
        "lines": lines,
        "reasons": reasons,
        "benefit_balance": {k: f"{v:.2f}" for k, v in sorted(balances.items())},
        "notices": notices,
        "sla": sla,
        "trace": trace,
        "ruleset": program.ir.identity.to_dict(),
        "as_of": as_of.isoformat(),
        "engine": {
            "backend": backend.name,
            "version": f"{semantics.version}+{backend.name}.{backend.version}",
        },
    }


def line_outcome(claim: str, worst_on_line: str) -> str:
    """A line's own outcome: denied lines stay denied, held claims hold every line."""
    if claim == "deny" or worst_on_line == "deny":
        return "deny"
    if claim in ("pend", "refer"):
        return claim
    return "partial" if worst_on_line == "partial" else "approve"


def clocks(
    program: Program,
    claim: Claim | Mapping[str, Any] | str | bytes,
    *,
    as_of: dt.datetime,
    semantics: str | None = None,
) -> list[dict[str, Any]]:
    """Only the SLA clocks of a claim (no rule evaluation): ``claims sla``."""
    if not isinstance(claim, Claim):
        claim = load_claim(claim)
    facts = program.facts(claim, as_of, semantics=Semantics.of(semantics))
    return claim_clocks(program.ir, program.sla, facts, as_of, program.tz, claim.currency)


def portfolio_sweep(
    program: Program, claims: list[Claim], *, as_of: dt.datetime
) -> list[dict[str, Any]]:
    """Breached and due-soon clocks across many claims, most urgent first."""
    return sweep({"claim_id": c.claim_id, "sla": clocks(program, c, as_of=as_of)} for c in claims)
