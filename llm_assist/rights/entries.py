"""The knowledge base's entries, their ``applies_when`` conditions and the selection.

Conditions read :class:`DecisionFacts`: the few facts of a decision ``applies_when`` can name,
taken from a typed :class:`~engine.decision.Decision`, or from the partial decision JSON a
selection test case writes (``rulesets/rights/tests/cases.yaml``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.decision import CLOCK_STATUSES, Decision
from engine.outcome import OUTCOMES

__all__ = [
    "CONDITION_KEYS", "DECIDED_BY", "OUTCOMES", "SLA_STATUSES", "Condition", "DecisionFacts",
    "RightsBase", "RightsEntry", "RightsTestResult", "key_numbers",
]  # fmt: skip

DECIDED_BY = ("rules", "person")
SLA_STATUSES = CLOCK_STATUSES
CONDITION_KEYS = ("always", "outcome", "decided_by", "automated", "ruleset", "reason_codes", "sla")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def key_numbers(text: str) -> tuple[str, ...]:
    """The numbers a text states (full-width digits too), unique, in numeric order."""
    found = set(_NUMBER.findall(unicodedata.normalize("NFKC", text)))
    return tuple(sorted(found, key=lambda n: (float(n), n)))


@dataclass(frozen=True)
class DecisionFacts:
    """What ``applies_when`` can read of a decision: its outcome, whether rules alone made
    it, the ruleset, the reason codes and each clock's status (by clock id)."""

    outcome: str | None = None
    automated: bool = False
    ruleset: str | None = None
    reason_codes: frozenset[str] = frozenset()
    clocks: tuple[tuple[str, str], ...] = ()  # (clock id, status)

    @classmethod
    def of(cls, decision: Decision) -> DecisionFacts:
        return cls(
            outcome=decision.outcome,
            automated=decision.automated,
            ruleset=decision.ruleset.id,
            reason_codes=frozenset(r.code for r in decision.reasons),
            clocks=tuple((c.id, c.status) for c in decision.sla),
        )

    @classmethod
    def from_case(cls, decision: Mapping[str, Any]) -> DecisionFacts:
        """The facts of a selection test case's partial decision JSON (only the keys
        ``applies_when`` reads; any may be left out, and what is not of the expected kind
        counts as absent: the case then simply selects less)."""
        ruleset = decision.get("ruleset")
        return cls(
            outcome=_text(decision.get("outcome")),
            automated=decision.get("automated") is True,
            ruleset=_text(ruleset.get("id")) if isinstance(ruleset, Mapping) else None,
            reason_codes=frozenset(
                code for r in _mappings(decision.get("reasons")) if (code := _text(r.get("code")))
            ),
            clocks=tuple(
                (str(c.get("id")), str(c.get("status"))) for c in _mappings(decision.get("sla"))
            ),
        )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _mappings(value: object) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, list | tuple):
        yield from (item for item in value if isinstance(item, Mapping))


@dataclass(frozen=True)
class Condition:
    """One ``applies_when`` key: ``values`` OR-ed; for ``sla``, ``node`` names the clock."""

    key: str
    values: tuple[str, ...]
    node: str = ""

    def holds(self, facts: DecisionFacts, decided_by: str) -> bool:
        if self.key == "always":
            return True
        if self.key == "decided_by":
            return decided_by in self.values
        if self.key == "outcome":
            return facts.outcome in self.values
        if self.key == "automated":
            return str(facts.automated).lower() in self.values
        if self.key == "ruleset":
            return facts.ruleset in self.values
        if self.key == "reason_codes":
            return not facts.reason_codes.isdisjoint(self.values)
        return any(i == self.node and status in self.values for i, status in facts.clocks)


@dataclass(frozen=True)
class RightsEntry:
    """One reminder: bilingual text stating the same ``key_numbers``, its sources, and when."""

    id: str
    zh: str
    en: str
    source: tuple[str, ...]
    key_numbers: tuple[str, ...]
    conditions: tuple[Condition, ...] = field(default=(), repr=False)

    def applies(self, facts: DecisionFacts, *, decided_by: str = "rules") -> bool:
        return all(c.holds(facts, decided_by) for c in self.conditions)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for the API and prompts (the conditions stay internal)."""
        return {
            "id": self.id,
            "zh": self.zh,
            "en": self.en,
            "source": list(self.source),
            "key_numbers": list(self.key_numbers),
        }


@dataclass(frozen=True)
class RightsBase:
    entries: tuple[RightsEntry, ...]

    def select(
        self, decision: Decision | DecisionFacts, *, decided_by: str = "rules"
    ) -> list[RightsEntry]:
        """The entries that apply to ``decision``, in file order (deterministic)."""
        facts = decision if isinstance(decision, DecisionFacts) else DecisionFacts.of(decision)
        return [e for e in self.entries if e.applies(facts, decided_by=decided_by)]

    def get(self, entry_id: str) -> RightsEntry:
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        raise KeyError(entry_id)


@dataclass(frozen=True)
class RightsTestResult:
    """One case of ``tests/cases.yaml``: the ids selected against the exact ids expected."""

    name: str
    expected: tuple[str, ...]
    selected: tuple[str, ...]
    file: str
    line: int

    @property
    def passed(self) -> bool:
        return self.expected == self.selected
