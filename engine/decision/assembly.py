"""Assemble a :class:`~engine.decision.Decision` from matches, the benefit result and the
ruleset: the engine's output.

Outcome precedence (several rules hit, :mod:`engine.outcome`): a claim-scope ``deny`` >
``refer`` > ``pend`` > ``partial`` > ``approve``. Line-scope hits decide the line: a denied
line pays nothing, and the claim is ``partial`` when other lines still pay, ``deny`` when no
line is left. ``refer``/``pend``/``partial`` on a line count for the whole claim. ``payable``
is released only for ``approve``/``partial``; for ``pend``/``refer`` the assessed amounts are
shown with payable 0.00, and a denied claim is re-adjudicated with every line denied (all
amounts but ``submitted`` are 0.00). Each line carries its own outcome: ``deny`` if denied,
the claim's outcome while the claim is held (``pend``/``refer``), else ``partial`` if a reason
reduced that line and ``approve`` if not.

Under ``hit_policy: first`` only the first matching rule (by priority, then file order) of
each scope (per line for line rules) applies; the trace still lists every rule evaluated.

The parts are built with :func:`engine.decision.trusted` from values made here (the
package docstring says why); frozen parts that never vary (the human-review notice, the
ruleset and engine references) are built once and shared.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from engine.backends.base import Backend, Matches
from engine.benefit import ZERO, Adjudication, LineAmounts
from engine.decision.clock import Clock
from engine.decision.model import (
    Amounts,
    Decision,
    EngineRef,
    Fallback,
    Line,
    Notice,
    Reason,
    RulesetRef,
    TraceEntry,
)
from engine.decision.values import Explanation, trusted
from engine.explain import Labels, render
from engine.outcome import ADVERSE, HELD, OUTCOME_RANK, PAYING, Outcome, Scope, most_severe
from engine.program import Facts, Program, trace_values
from engine.ruleset import ir
from engine.ruleset.ir import RulesetIdentity
from engine.semantics import Semantics

__all__ = ["HUMAN_REVIEW", "Applied", "applied_rules", "assemble", "claim_outcome"]

HUMAN_REVIEW: Notice = trusted(
    Notice,
    id="human_review",
    legal_basis=("PIPL art. 24",),
    zh="本结果由系统依据规则自动作出，您有权要求人工说明并复核。",
    en="This result was made automatically by our rules; you may ask for a person to explain "
    "it and review it.",
)
_AMOUNT_KEYS = ("submitted", "eligible", "deductible", "copay", "payable")


@dataclass(frozen=True)
class Applied:
    """A rule (or benefit step) that applies, with the facts its explanation is filled from."""

    rule_id: str
    code: str
    outcome: Outcome
    scope: Scope
    line_id: int | None
    legal_basis: tuple[str, ...]
    explanation: ir.Explanation
    facts: Facts
    codes: tuple[tuple[str, str], ...] = ()


def applied_rules(
    program: Program, matches: Matches, facts: Facts, lines: list[Facts]
) -> tuple[list[TraceEntry], list[Applied]]:
    """The trace of every evaluation and the rules that apply under the hit policy."""
    trace: list[TraceEntry] = []
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
                trusted(
                    TraceEntry,
                    rule_id=rule.id,
                    line_id=line_id,
                    matched=matched,
                    facts=trace_values(compiled.trace_keys, target),
                    fallback=matches.fallbacks.get((rule.id, line_id)),
                )
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


def claim_outcome(applied: list[Applied], adjudication: Adjudication, denied: set[int]) -> Outcome:
    claim_level: list[Outcome] = [
        # A line's partial counts like a benefit step's partial: else the member would get an
        # "approve" (and no PIPL art. 24 notice) next to a reason that reduces a line.
        a.outcome
        for a in applied
        if a.scope == "claim" or a.outcome in ("refer", "pend", "partial")
    ]
    claim_level += [h.step.reason.outcome for h in adjudication.hits if h.step.reason]
    top = most_severe(claim_level)
    if top in ("deny", "refer", "pend"):
        return top
    all_lines = {line.line_id for line in adjudication.lines}
    if denied and denied >= all_lines:
        return "deny"
    if denied or top == "partial":
        return "partial"
    return "approve"


def step_reasons(adjudication: Adjudication, lines: list[Facts]) -> list[Applied]:
    """The reasons given by benefit steps (a limit reached), as applied rules of the line."""
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


def assemble(
    program: Program,
    *,
    claim_id: str,
    currency: str,
    as_of: dt.datetime,
    outcome: Outcome,
    adjudication: Adjudication,
    applied: Sequence[Applied],
    trace: Sequence[TraceEntry],
    sla: Sequence[Clock],
    backend: Backend,
    semantics: Semantics,
) -> Decision:
    """The decision (module docstring); ``applied`` includes the benefit steps' reasons."""
    labels = program.ir.labels
    amounts = _totals(adjudication.lines, release=outcome in PAYING)  # before the lines: it
    # sets their payable to 0.00 when the claim does not pay
    return trusted(
        Decision,
        claim_id=claim_id,
        outcome=outcome,
        automated=True,
        currency=currency,
        amounts=amounts,
        lines=_lines(outcome, adjudication.lines, applied),
        reasons=tuple(_reason(a, currency, labels) for a in applied),
        benefit_balance=dict(sorted(adjudication.balances.items())),
        notices=(HUMAN_REVIEW,) if outcome in ADVERSE else (),
        sla=tuple(sla),
        trace=tuple(trace),
        ruleset=_ruleset_ref(program.ir.identity),
        as_of=as_of.isoformat(),
        engine=_engine(backend, semantics, trace),
    )


def _engine(backend: Backend, semantics: Semantics, trace: Sequence[TraceEntry]) -> EngineRef:
    ref = _engine_ref(backend.name, backend.version, semantics.version)
    fallbacks = tuple(
        trusted(Fallback, rule_id=t.rule_id, line_id=t.line_id, reason=t.fallback)
        for t in trace
        if t.fallback is not None
    )
    if not fallbacks:
        return ref
    return trusted(EngineRef, backend=ref.backend, version=ref.version, fallbacks=fallbacks)


def _totals(lines: list[LineAmounts], *, release: bool) -> Amounts:
    """The claim's totals; a claim that does not pay has every line's payable set to 0.00."""
    sums = dict.fromkeys(_AMOUNT_KEYS, ZERO)
    for line in lines:
        if not release:
            line.payable = ZERO
        for key in _AMOUNT_KEYS:
            sums[key] += getattr(line, key)
    return trusted(Amounts, **sums)


def _lines(
    outcome: Outcome, amounts: list[LineAmounts], applied: Sequence[Applied]
) -> tuple[Line, ...]:
    codes: dict[int, list[str]] = {}
    worst: dict[int, Outcome] = {}
    for a in applied:
        if a.line_id is not None:
            codes.setdefault(a.line_id, []).append(a.code)
            if OUTCOME_RANK[a.outcome] > OUTCOME_RANK[worst.get(a.line_id, "approve")]:
                worst[a.line_id] = a.outcome
    return tuple(
        trusted(
            Line,
            line_id=line.line_id,
            submitted=line.submitted,
            eligible=line.eligible,
            deductible=line.deductible,
            copay=line.copay,
            payable=line.payable,
            outcome=line_outcome(outcome, worst.get(line.line_id, "approve")),
            reason_codes=tuple(codes.get(line.line_id, ())),
        )
        for line in amounts
    )


def line_outcome(claim: Outcome, worst_on_line: Outcome) -> Outcome:
    """A line's own outcome: denied lines stay denied, held claims hold every line."""
    if claim == "deny" or worst_on_line == "deny":
        return "deny"
    if claim in HELD:
        return claim
    return "partial" if worst_on_line == "partial" else "approve"


def _reason(a: Applied, currency: str, labels: Labels | None) -> Reason:
    return trusted(
        Reason,
        rule_id=a.rule_id,
        code=a.code,
        outcome=a.outcome,
        scope=a.scope,
        line_id=a.line_id,
        legal_basis=a.legal_basis,
        codes=dict(a.codes),
        explanation=trusted(
            Explanation,
            zh=render(a.explanation.zh, a.facts, "zh", currency, labels),
            en=render(a.explanation.en, a.facts, "en", currency, labels),
        ),
    )


@functools.lru_cache(maxsize=256)
def _ruleset_ref(identity: RulesetIdentity) -> RulesetRef:
    return trusted(
        RulesetRef,
        id=identity.id,
        version=identity.version,
        content_hash=identity.content_hash,
        revision=identity.revision,
    )


@functools.lru_cache(maxsize=16)
def _engine_ref(backend: str, backend_version: str, semantics: str) -> EngineRef:
    return trusted(EngineRef, backend=backend, version=f"{semantics}+{backend}.{backend_version}")
