"""Impact of a ruleset change on a claim corpus: which decisions change, and how.

Each claim is evaluated under two versions of its ruleset at the same ``as_of`` and the two
decisions are reduced to a digest (outcome, payable amount, reason codes, SLA due dates per
clock id); digests that differ make a :class:`ClaimImpact`, and :class:`ImpactReport` adds
them up (by kind of change, outcome transitions such as ``approve → partial``). Pure: the
caller (``claims rules impact``) loads the rulesets of each revision and the claims, and
picks each claim's ruleset (``api.routing.ruleset_for_claim``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.claim import Claim
from engine.decision import Decision
from engine.errors import EngineError
from engine.evaluate import evaluate
from engine.program import Program

Digest = dict[str, Any]
KINDS = ("outcome", "payable", "reasons", "sla", "error")
KIND_TITLES = {
    "outcome": "outcome",
    "payable": "payable amount",
    "reasons": "reason codes",
    "sla": "SLA due dates",
    "error": "evaluation error",
}


def digest(decision: Decision) -> Digest:
    """What the impact report compares of a decision (JSON values: amounts as text)."""
    reasons = [
        f"{r.code}[line {r.line_id}]" if r.line_id is not None else r.code for r in decision.reasons
    ]
    return {
        "outcome": decision.outcome,
        "payable": f"{decision.amounts.payable:.2f}",
        "currency": decision.currency,
        "reasons": sorted(reasons),
        "sla": {c.id: {"due_at": c.due_at, "status": c.status} for c in decision.sla},
    }


def evaluate_digest(
    program: Program, claim: Claim, as_of: dt.datetime, backend: str | None = None
) -> Digest:
    """The digest of a claim's decision, or ``{"error": ...}`` if it cannot be evaluated."""
    try:
        return digest(evaluate(program, claim, as_of=as_of, backend=backend))
    except EngineError as exc:
        return {"error": str(exc)}


def compare(old: Digest, new: Digest) -> dict[str, Any]:
    """Kind of change → {old, new} (reasons also list added/removed; sla is per clock id)."""
    if "error" in old or "error" in new:
        if old.get("error") == new.get("error"):
            return {}
        return {"error": {"old": old.get("error"), "new": new.get("error")}}
    out: dict[str, Any] = {}
    for kind in ("outcome", "payable"):
        if old[kind] != new[kind]:
            out[kind] = {"old": old[kind], "new": new[kind]}
    if old["reasons"] != new["reasons"]:
        out["reasons"] = {
            "old": old["reasons"],
            "new": new["reasons"],
            "added": sorted((Counter(new["reasons"]) - Counter(old["reasons"])).elements()),
            "removed": sorted((Counter(old["reasons"]) - Counter(new["reasons"])).elements()),
        }
    clocks = {
        clock: {"old": old["sla"].get(clock), "new": new["sla"].get(clock)}
        for clock in sorted(set(old["sla"]) | set(new["sla"]))
        if old["sla"].get(clock) != new["sla"].get(clock)
    }
    if clocks:
        out["sla"] = clocks
    return out


@dataclass(frozen=True)
class ClaimImpact:
    claim_id: str
    file: str
    ruleset: str
    currency: str
    changes: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "claim_id": self.claim_id,
            "file": self.file,
            "ruleset": self.ruleset,
            "changes": self.changes,
        }

    def lines(self) -> list[str]:
        out = [f"{self.claim_id}  ({self.file}, ruleset {self.ruleset})"]
        c = self.changes
        if "error" in c:
            out.append(f"  error: {_none(c['error']['old'])} → {_none(c['error']['new'])}")
        if "outcome" in c:
            out.append(f"  outcome: {c['outcome']['old']} → {c['outcome']['new']}")
        if "payable" in c:
            p = c["payable"]
            out.append(f"  payable: {p['old']} → {p['new']} {self.currency}")
        if "reasons" in c:
            r = c["reasons"]
            delta = [f"+{code}" for code in r["added"]] + [f"-{code}" for code in r["removed"]]
            out.append(f"  reasons: {' '.join(delta)}")
        for clock, change in c.get("sla", {}).items():
            out.append(f"  sla {clock}: {_clock(change['old'])} → {_clock(change['new'])}")
        return out


def _none(value: Any) -> str:
    return "(none)" if value is None else str(value)


def _clock(value: Mapping[str, Any] | None) -> str:
    if value is None:
        return "(no clock)"
    return f"due {value['due_at'] or '-'} ({value['status']})"


@dataclass
class ImpactReport:
    base: str  # the base revision, as given
    head: str  # what it is compared with (the working tree)
    as_of: str  # the one instant both sides were evaluated at
    evaluated: int = 0
    impacts: list[ClaimImpact] = field(default_factory=list)
    transitions: Counter[str] = field(default_factory=Counter)

    def add(self, claim: Claim, file: str, ruleset: str, old: Digest, new: Digest) -> None:
        self.evaluated += 1
        changes = compare(old, new)
        if not changes:
            return
        self.impacts.append(ClaimImpact(claim.claim_id, file, ruleset, claim.currency, changes))
        if "outcome" in changes:
            self.transitions[f"{changes['outcome']['old']} → {changes['outcome']['new']}"] += 1

    def summary(self) -> dict[str, Any]:
        by_kind = {k: sum(1 for i in self.impacts if k in i.changes) for k in KINDS}
        return {
            "evaluated": self.evaluated,
            "changed": len(self.impacts),
            "by_kind": by_kind,
            "outcome_transitions": dict(sorted(self.transitions.items())),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "head": self.head,
            "as_of": self.as_of,
            "claims": [i.to_dict() for i in self.impacts],
            "summary": self.summary(),
        }

    def lines(self) -> list[str]:
        out = [f"impact of {self.head} against {self.base}, as of {self.as_of}", ""]
        for impact in self.impacts:
            out += [*impact.lines(), ""]
        if not self.impacts:
            out += ["no decision changes", ""]
        return out + self.summary_table()

    def summary_table(self) -> list[str]:
        s = self.summary()
        rows = [("claims evaluated", s["evaluated"]), ("claims changed", s["changed"])]
        rows += [(f"  {KIND_TITLES[k]}", n) for k, n in s["by_kind"].items()]
        rows += [("outcome transitions", "")]
        rows += [(f"  {t}", n) for t, n in s["outcome_transitions"].items()] or [("  none", "")]
        width = max(len(label) for label, _ in rows) + 2
        return ["summary", *(f"{label:<{width}}{count!s:>6}".rstrip() for label, count in rows)]
