"""Assemble a Decision from matches, the benefit result and the ruleset: the engine's output.

Outcome precedence (several rules hit): a claim-scope ``deny`` > ``refer`` > ``pend`` >
``partial`` > ``approve``. Line-scope hits decide the line: a denied line pays nothing, and
the claim is ``partial`` when other lines still pay, ``deny`` when no line is left.
``refer``/``pend``/``partial`` on a line count for the whole claim. ``payable`` is released
only for ``approve``/``partial``; for ``pend``/``refer`` the assessed amounts are shown with
payable 0.00, and a denied claim is re-adjudicated with every line denied (all amounts but
``submitted`` are 0.00). Each line carries its own outcome: ``deny`` if denied, the claim's
outcome while the claim is held (``pend``/``refer``), else ``partial`` if a reason reduced
that line and ``approve`` if not.

Under ``hit_policy: first`` only the first matching rule (by priority, then file order) of
each scope (per line for line rules) applies; the trace still lists every rule evaluated.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine.backends.base import Matches
from engine.benefit import ZERO, Adjudication
from engine.explain import Labels, render
from engine.program import Facts, Program, trace_values
from engine.ruleset.ir import OUTCOME_RANK, Explanation

ADVERSE = ("deny", "partial")
HUMAN_REVIEW = Explanation(
    zh="本结果由系统依据规则自动作出，您有权要求人工说明并复核。",
    en="This result was made automatically by our rules; you may ask for a person to explain "
    "it and review it.",
)
HUMAN_REVIEW_BASIS = ("PIPL art. 24",)


@dataclass(frozen=True)
class Applied:
    rule_id: str
    code: str
    outcome: str
    scope: str
    line_id: int | None
    legal_basis: tuple[str, ...]
    explanation: Explanation
    facts: Facts
    codes: tuple[tuple[str, str], ...] = ()


def applied_rules(
    program: Program, matches: Matches, facts: Facts, lines: list[Facts]
) -> tuple[list[dict[str, Any]], list[Applied]]:
    """The trace of every evaluation and the rules that apply under the hit policy."""
    trace: list[dict[str, Any]] = []
    applied: list[Applied] = []
    taken: set[tuple[str, int | None]] = set()  # (scope, line) already decided under `first`
    by_line = {f["line"]["line_id"]: f for f in lines}
    for compiled in program.rules:
        rule = compiled.rule
        ids: list[int | None] = list(by_line) if rule.scope == "line" else [None]
        for line_id in ids:
            target = facts if line_id is None else by_line[line_id]
            matched = matches[(rule.id, line_id)]
            trace.append(
                {
                    "rule_id": rule.id,
                    "line_id": line_id,
                    "matched": matched,
                    "facts": trace_values(compiled.trace_keys, target),
                }
            )
            slot = line_id if rule.scope == "line" else None
            if not matched or (program.ir.hit_policy == "first" and (rule.scope, slot) in taken):
                continue
            taken.add((rule.scope, slot))
            applied.append(
                Applied(
                    rule.id,
                    rule.reason_code,
                    rule.outcome,
                    rule.scope,
                    line_id,
                    rule.legal_basis,
                    rule.explain,
                    target,
                    rule.codes,
                )
            )
    return trace, applied


def claim_outcome(applied: list[Applied], adjudication: Adjudication, denied: set[int]) -> str:
    claim_level = [
        # A line's partial counts like a benefit step's partial: else the member would get an
        # "approve" (and no PIPL art. 24 notice) next to a reason that reduces a line.
        a.outcome
        for a in applied
        if a.scope == "claim" or a.outcome in ("refer", "pend", "partial")
    ]
    claim_level += [h.step.reason.outcome for h in adjudication.hits if h.step.reason]
    top = max(claim_level, key=OUTCOME_RANK.__getitem__, default="approve")
    if top in ("deny", "refer", "pend"):
        return top
    all_lines = {line.line_id for line in adjudication.lines}
    if denied and denied >= all_lines:
        return "deny"
    if denied or top == "partial":
        return "partial"
    return "approve"


def reason_entry(a: Applied, currency: str, labels: Labels | None = None) -> dict[str, Any]:
    return {
        "rule_id": a.rule_id,
        "code": a.code,
        "outcome": a.outcome,
        "scope": a.scope,
        "line_id": a.line_id,
        "legal_basis": list(a.legal_basis),
        "codes": dict(a.codes),
        "explanation": {
            "zh": render(a.explanation.zh, a.facts, "zh", currency, labels),
            "en": render(a.explanation.en, a.facts, "en", currency, labels),
        },
    }


def step_reasons(adjudication: Adjudication, lines: list[Facts], currency: str) -> list[Applied]:
    by_line = {f["line"]["line_id"]: f for f in lines}
    out = []
    for hit in adjudication.hits:
        reason = hit.step.reason
        if reason is None:
            continue
        facts = {**by_line[hit.line_id], "step": {k: Decimal(v) for k, v in hit.facts.items()}}
        out.append(
            Applied(
                hit.step.id,
                reason.code,
                reason.outcome,
                "line",
                hit.line_id,
                reason.legal_basis,
                reason.explain,
                facts,
            )
        )
    return out


def totals(adjudication: Adjudication, release: bool) -> tuple[dict[str, str], list[Any]]:
    keys = ("submitted", "eligible", "deductible", "copay", "payable")
    sums = dict.fromkeys(keys, ZERO)
    for line in adjudication.lines:
        if not release:
            line.payable = ZERO
        for k in keys:
            sums[k] += getattr(line, k)
    return {k: f"{v:.2f}" for k, v in sums.items()}, adjudication.lines


def canonical_json(value: Any) -> str:
    """Canonical text of a decision: sorted keys, no spaces, UTF-8 kept (hash this)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def as_of_text(as_of: dt.datetime) -> str:
    return as_of.isoformat()
