"""Where the durable backend evaluates each condition test: ``claims rules backend-report``.

A *test* is a leaf of a rule's ``and``/``or``/``not`` structure (a comparison, a membership,
``exists``, a quantifier, a bool fact). Each runs in one of three places:

- ``rete-claim``: inside durable-rules, on claim fields (and ``today``/``as_of``);
- ``rete-derived``: inside durable-rules, on at least one derived fact the ruleset declares
  (``derive:``; computed once per claim by the fact stage, then compared by Rete);
- ``python``: hoisted, i.e. computed by the native evaluator and only its 0/1 result compared
  in Rete (:mod:`engine.backends.durable_lowering` lists what can't be lowered), or, for one
  claim, a whole rule handed to the native closure (a *fallback*, marked in the decision).

Placement is static (from the lowering, no durable-rules needed); the shares over a corpus
weight it by how often each rule is evaluated (a line rule once per line) and count every
test of a fallen-back evaluation as ``python``, read from the decisions' traces.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from engine.backends.durable_lowering import Leaf, Lowered, Lowering, type_resolver
from engine.decision import Decision
from engine.expression.text import expression_text
from engine.program import Program

Place = Literal["rete-claim", "rete-derived", "python"]
PLACES: tuple[Place, ...] = ("rete-claim", "rete-derived", "python")
PLACE_TEXT = {
    "rete-claim": "Rete, claim fields",
    "rete-derived": "Rete, derived facts",
    "python": "Python",
}


@dataclass(frozen=True)
class PlacedTest:
    text: str
    place: Place


@dataclass(frozen=True)
class RulePlacement:
    rule_id: str
    scope: str
    tests: tuple[PlacedTest, ...]

    @property
    def all_python(self) -> bool:
        return all(t.place == "python" for t in self.tests)


@dataclass
class Tally:
    """Test evaluations over a corpus, by place."""

    claims: int = 0
    evaluations: int = 0  # rule evaluations (a line rule once per line)
    fallbacks: int = 0  # of which handed to the native closure
    tests: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PLACES, 0))

    @property
    def total(self) -> int:
        return sum(self.tests.values())

    def share(self, place: Place) -> float:
        return self.tests[place] / self.total if self.total else 0.0

    @property
    def in_rete(self) -> float:
        return self.share("rete-claim") + self.share("rete-derived")


def lowerings(program: Program) -> list[Lowered]:
    """Each rule's condition lowered (in ``program.rules`` order), exactly as the durable
    backend registers it."""
    type_of = type_resolver(program.ir.facts_type)
    return [
        Lowering(f"h{i + 1}_", type_of).lower(compiled.rule.condition.node)
        for i, compiled in enumerate(program.rules)
    ]


def placements(program: Program) -> list[RulePlacement]:
    claim_derived = {d.name for d in program.ir.derives if d.scope != "line"}
    line_derived = {d.name for d in program.ir.derives if d.scope == "line"}

    def place(test: Leaf) -> Place:
        if test.where == "python":
            return "python"
        derived = any(
            p[0] in claim_derived or (p[0] == "line" and p[1:2] and p[1] in line_derived)
            for p in test.paths
        )
        return "rete-derived" if derived else "rete-claim"

    return [
        RulePlacement(
            c.rule.id,
            c.rule.scope,
            tuple(PlacedTest(expression_text(t.node), place(t)) for t in lowered.tests),
        )
        for c, lowered in zip(program.rules, lowerings(program), strict=True)
    ]


def tally(rules: list[RulePlacement], decisions: Iterable[Decision]) -> Tally:
    """Weight each rule's tests by the evaluations in the decisions' traces."""
    by_id = {r.rule_id: r for r in rules}
    out = Tally()
    for decision in decisions:
        out.claims += 1
        for entry in decision.trace:
            rule = by_id.get(entry.rule_id)
            if rule is None:
                continue
            out.evaluations += 1
            fell_back = entry.fallback is not None
            out.fallbacks += fell_back
            for test in rule.tests:
                out.tests["python" if fell_back else test.place] += 1
    return out
