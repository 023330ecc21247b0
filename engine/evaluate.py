"""The engine's front door: load a ruleset once, evaluate claims into decisions.

``evaluate`` is deterministic: the same claim, ruleset content, ``as_of`` and engine
semantics give the same canonical decision JSON on either backend (only the ``engine`` block
names the backend). It returns a :class:`~engine.decision.Decision`; ``clocks`` and
``portfolio_sweep`` return the SLA clocks alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.backends import get_backend
from engine.benefit import adjudicate
from engine.claim import Claim, load_claim
from engine.decision import ClaimClock, Clock, Decision
from engine.decision.assembly import applied_rules, assemble, claim_outcome, step_reasons
from engine.program import Program, line_facts
from engine.ruleset.compiler import compile_ruleset
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
) -> Decision:
    """Evaluate one claim into its decision.

    ``semantics`` is the engine semantics version to decide under (:mod:`engine.semantics`;
    default: the current one); replay passes the version the decision was made with.
    """
    if not isinstance(claim, Claim):
        claim = load_claim(claim)
    chosen = get_backend(backend)
    meaning = Semantics.of(semantics)
    facts = program.facts(claim, as_of, semantics=meaning)
    lines = line_facts(facts)
    matches = chosen.match(program, facts, lines)
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
    applied += step_reasons(adjudication, lines)
    sla = claim_clocks(program.ir, program.sla, facts, as_of, program.tz, claim.currency)
    return assemble(
        program,
        claim_id=claim.claim_id,
        currency=claim.currency,
        as_of=as_of,
        outcome=outcome,
        adjudication=adjudication,
        applied=applied,
        trace=trace,
        sla=sla,
        backend=chosen,
        semantics=meaning,
    )


def clocks(
    program: Program,
    claim: Claim | Mapping[str, Any] | str | bytes,
    *,
    as_of: dt.datetime,
    semantics: str | None = None,
) -> list[Clock]:
    """Only the SLA clocks of a claim (no rule evaluation): ``claims sla``."""
    if not isinstance(claim, Claim):
        claim = load_claim(claim)
    facts = program.facts(claim, as_of, semantics=Semantics.of(semantics))
    return claim_clocks(program.ir, program.sla, facts, as_of, program.tz, claim.currency)


def portfolio_sweep(
    program: Program, claims: list[Claim], *, as_of: dt.datetime
) -> list[ClaimClock]:
    """Breached and due-soon clocks across many claims, most urgent first."""
    return sweep((c.claim_id, clocks(program, c, as_of=as_of)) for c in claims)
