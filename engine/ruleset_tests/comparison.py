"""Comparing a decision with a case's expectations, as readable lines.

Expectations are plain YAML data and are compared with the decision's JSON values (amounts
as their two-place text, lists as lists), so ``"3648.4"`` does not match ``3648.40``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine.decision import Decision, canonical_json


@dataclass
class BackendResult:
    """What one backend made of a case: a decision, or an engine error message."""

    decision: Decision | None
    error: str = ""

    def canonical(self) -> str:
        if self.decision is None:
            return f"error: {self.error}"
        return self.decision.canonical_json(with_engine=False)


def _json(value: object) -> object:
    """A decision value as its JSON form shows it."""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, tuple):
        return list(value)
    return value


# ---------------------------------------------------------------------------- comparing


def compare(outcome: BackendResult, expect: Mapping[str, Any]) -> list[str]:
    """Every way the decision differs from ``expect`` (plain data), as readable lines."""
    if "error" in expect:
        if outcome.decision is not None:
            return [
                f"error: expected an invalid claim ({expect['error']!r}), "
                f"got outcome {outcome.decision.outcome}"
            ]
        if str(expect["error"]) not in outcome.error:
            return [
                f"error: expected a message containing {expect['error']!r}, got: {outcome.error}"
            ]
        return []
    decision = outcome.decision
    if decision is None:
        return [f"the claim could not be evaluated: {outcome.error}"]
    out: list[str] = []
    if "outcome" in expect and expect["outcome"] != decision.outcome:
        out.append(f"outcome: expected {expect['outcome']}, got {decision.outcome}")
    reasons = decision.reasons
    if "reasons" in expect:
        out += _multiset("reasons", expect["reasons"], [r.code for r in reasons])
    applied = decision.applied_rule_ids
    if "fired" in expect:
        want = set(expect["fired"])
        if want != applied:
            out.append(
                f"fired: expected {_listed(want)}, got {_listed(applied)}"
                + _delta(want - applied, applied - want)
            )
    for rule_id in expect.get("not_fired", []):
        if rule_id in applied:
            out.append(f"not_fired: {rule_id} applied")
    for key, want in expect.get("amounts", {}).items():
        got = _json(getattr(decision.amounts, key, None))
        if got != want:
            out.append(f"amounts.{key}: expected {want}, got {got}")
    by_id = {str(line.line_id): line for line in decision.lines}
    for line_id, checks in expect.get("lines", {}).items():
        line = by_id.get(line_id)
        if line is None:
            out.append(f"lines: no line {line_id} in the decision (lines: {', '.join(by_id)})")
            continue
        for key, want in checks.items():
            got = _json(getattr(line, key, None))
            if key == "reason_codes":
                out += _multiset(f"lines.{line_id}.reason_codes", want, list(line.reason_codes))
            elif got != want:
                out.append(f"lines.{line_id}.{key}: expected {want}, got {got}")
    out += _compare_sla(decision, expect.get("sla", {}))
    for lang, texts in expect.get("explanation_contains", {}).items():
        said = [getattr(r.explanation, lang) for r in reasons]
        for text in [texts] if isinstance(texts, str) else texts:
            if not any(text in s for s in said):
                out.append(
                    f"explanation_contains.{lang}: no explanation contains {text!r}"
                    f" (reasons: {_listed(r.code for r in reasons)})"
                )
    return out


def _compare_sla(decision: Decision, expect: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for clock_id, checks in expect.items():
        clock = decision.clock(clock_id)
        if clock is None:
            out.append(f"sla: no clock {clock_id} in the decision")
            continue
        for key, want in checks.items():
            got = _json(getattr(clock, key, None))
            if got != want:
                out.append(f"sla.{clock_id}.{key}: expected {want}, got {got}")
    return out


def _multiset(label: str, want: list[str], got: list[str]) -> list[str]:
    if Counter(want) == Counter(got):
        return []
    missing = list((Counter(want) - Counter(got)).elements())
    extra = list((Counter(got) - Counter(want)).elements())
    return [
        f"{label}: expected {_listed(sorted(want))}, got {_listed(sorted(got))}"
        + _delta(missing, extra)
    ]


def _delta(missing: Iterable[str], extra: Iterable[str]) -> str:
    parts = []
    if missing := sorted(missing):
        parts.append(f"missing {', '.join(missing)}")
    if extra := sorted(extra):
        parts.append(f"unexpected {', '.join(extra)}")
    return f" ({'; '.join(parts)})" if parts else ""


def _listed(values: Iterable[str]) -> str:
    return "[" + ", ".join(sorted(values)) + "]"


def first_difference(a: BackendResult, b: BackendResult) -> str:
    """The first top-level key whose canonical JSON differs, to start the investigation."""
    if a.decision is None or b.decision is None:
        return f"{a.error or 'decision'} vs {b.error or 'decision'}"
    left, right = a.decision.json_form(), b.decision.json_form()
    for key in sorted(set(left) | set(right)):
        if key != "engine" and canonical_json(left.get(key)) != canonical_json(right.get(key)):
            return f"first difference in '{key}'"
    return "no top-level difference"
