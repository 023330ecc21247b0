"""Compile the ``benefit`` section: cost-sharing steps declared in YAML."""

from __future__ import annotations

from typing import Any, cast

from engine.expression.types import Scope
from engine.outcome import Outcome
from engine.ruleset.context import CompileContext
from engine.ruleset.ir import BenefitStep, StepReason
from engine.ruleset.schema import STEP, STEP_KINDS, STEP_REASON


def compile_steps(
    ctx: CompileContext, entries: list[tuple[str, Any, int, Any]], scope: Scope
) -> list[BenefitStep]:
    steps: list[BenefitStep] = []
    kinds_seen: list[str] = []
    for file, data, index, container in entries:
        ctx.file = file
        where = ctx.at(container, index)
        if not ctx.check_keys(data, STEP, f"benefit step #{index + 1}", where):
            continue
        kind = str(data.get("kind", ""))
        key = STEP_KINDS.get(kind)
        if key is None or "id" not in data:
            continue
        if key not in data:
            ctx.bag.error(
                "E-SCHEMA", f"benefit step '{data['id']}' ({kind}) needs '{key}'", **where.kw()
            )
            continue
        expr = ctx.expression(data, key, scope, want="number")
        reason = _reason(ctx, data, str(data["id"]))
        if expr is None:
            continue
        kinds_seen.append(kind)
        steps.append(
            BenefitStep(
                str(data["id"]),
                kind,
                expr,
                str(data.get("per", "claim")),
                reason,
                str(data.get("title", "")),
                where,
            )
        )
    if entries and "eligible" not in kinds_seen and not ctx.bag.has_errors:
        file, _, _, container = entries[0]
        ctx.file = file
        ctx.bag.error(
            "E-BENEFIT",
            "the benefit section needs an 'eligible' step",
            **ctx.at(container, 0).kw(),
            suggestion="start with kind: eligible, amount: line.amount - ...",
        )
    return steps


def _reason(ctx: CompileContext, data: Any, step_id: str) -> StepReason | None:
    raw = data.get("reason")
    if raw is None:
        return None
    what = f"reason of benefit step '{step_id}'"
    if not ctx.check_keys(raw, STEP_REASON, what, ctx.at(data, "reason")):
        return None
    explain = ctx.explanation(raw, what)
    if explain is None or not all(k in raw for k in ("code", "outcome", "legal_basis")):
        return None
    return StepReason(
        str(raw["code"]),
        cast(Outcome, str(raw["outcome"])),  # checked by check_keys: a wrong one is an error
        tuple(str(b) for b in raw["legal_basis"]),
        explain,
    )
