"""The knowledge base's entries, their ``applies_when`` conditions and the selection."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CONDITION_KEYS", "DECIDED_BY", "OUTCOMES", "SLA_STATUSES", "Condition", "RightsBase",
    "RightsEntry", "RightsTestResult", "key_numbers",
]  # fmt: skip

OUTCOMES = ("approve", "partial", "deny", "pend", "refer")
DECIDED_BY = ("rules", "person")
# engine/sla/clock.py sets exactly these
SLA_STATUSES = ("not_applicable", "not_started", "running", "paused", "due_soon", "met", "breached")
CONDITION_KEYS = ("always", "outcome", "decided_by", "automated", "ruleset", "reason_codes", "sla")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def key_numbers(text: str) -> tuple[str, ...]:
    """The numbers a text states (full-width digits too), unique, in numeric order."""
    found = set(_NUMBER.findall(unicodedata.normalize("NFKC", text)))
    return tuple(sorted(found, key=lambda n: (float(n), n)))


@dataclass(frozen=True)
class Condition:
    """One ``applies_when`` key: ``values`` OR-ed; for ``sla``, ``node`` names the clock."""

    key: str
    values: tuple[str, ...]
    node: str = ""

    def holds(self, decision: Mapping[str, Any], decided_by: str) -> bool:
        if self.key == "always":
            return True
        if self.key == "decided_by":
            return decided_by in self.values
        if self.key == "outcome":
            return decision.get("outcome") in self.values
        if self.key == "automated":
            return str(decision.get("automated") is True).lower() in self.values
        if self.key == "ruleset":
            ruleset = decision.get("ruleset")
            return isinstance(ruleset, Mapping) and ruleset.get("id") in self.values
        if self.key == "reason_codes":
            return any(r.get("code") in self.values for r in _mappings(decision.get("reasons")))
        return any(
            c.get("id") == self.node and c.get("status") in self.values
            for c in _mappings(decision.get("sla"))
        )


def _mappings(value: Any) -> Iterator[Mapping[str, Any]]:
    """The mappings of a decision list, tolerating a partial or malformed decision."""
    if isinstance(value, list | tuple):
        yield from (item for item in value if isinstance(item, Mapping))


@dataclass(frozen=True)
class RightsEntry:
    """One reminder: bilingual text stating the same ``key_numbers``, its sources, and when."""

    id: str
    zh: str
    en: str
    source: tuple[str, ...]
    key_numbers: tuple[str, ...]
    conditions: tuple[Condition, ...] = field(default=(), repr=False)

    def applies(self, decision: Mapping[str, Any], *, decided_by: str = "rules") -> bool:
        return all(c.holds(decision, decided_by) for c in self.conditions)

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
        self, decision: Mapping[str, Any], *, decided_by: str = "rules"
    ) -> list[RightsEntry]:
        """The entries that apply to ``decision``, in file order (deterministic)."""
        return [e for e in self.entries if e.applies(decision, decided_by=decided_by)]

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
