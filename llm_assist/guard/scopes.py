"""How each part of a note is read: the stances, figures and topics it may state.

The guard reads the decision once (:class:`Facts`) and derives one :class:`Scope` per part of
the note: the summary, a finding (by the ids it cites), missing_information and next_steps
(the listings) and a reminder (by its knowledge-base entry). See the package docstring for
why each scope allows what it allows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from llm_assist.context import DraftContext
from llm_assist.guard.quantities import Grounds, decision_grounds, text_grounds
from llm_assist.guard.topics import backed_topics, topics
from llm_assist.guard.wording import Stance, clauses, sentences, stances
from llm_assist.rights import RightsEntry

__all__ = ["PART_STANCES", "Facts", "Scope", "clauses_of"]

# What the claim's outcome lets any sentence say.
_CLAIM_STANCES: dict[str, frozenset[Stance]] = {
    "approve": frozenset({"PAY", "FULL_PAY", "FINAL"}),
    "partial": frozenset({"PAY", "PARTIAL", "REFUSE", "FINAL"}),
    "deny": frozenset({"REFUSE", "FULL_REFUSE", "NO_PAY", "FINAL"}),
    "pend": frozenset({"HOLD", "NO_PAY"}),
    "refer": frozenset({"REFER", "HOLD", "NO_PAY"}),
}
# What a cited rule, or a named line, adds: its own outcome, never for the whole claim
# (an informational ``approve`` rule adds nothing).
PART_STANCES: dict[str, frozenset[Stance]] = {
    "approve": frozenset(),
    "partial": frozenset({"REFUSE", "PARTIAL"}),
    "deny": frozenset({"REFUSE", "NO_PAY"}),
    "pend": frozenset({"HOLD"}),
    "refer": frozenset({"REFER", "HOLD"}),
}


@dataclass(frozen=True)
class Scope:
    """How one part of the note is read: allowed stances, numbers and topics."""

    stances: frozenset[Stance]
    grounds: Grounds
    topics: frozenset[str] | None  # None: topics are not checked here
    topic_code: str = "UNCITED"
    what: str = "the decision's applied rules"


class Facts:
    """The decision, indexed once per check."""

    def __init__(self, context: DraftContext) -> None:
        decision = context.decision
        self.context = context
        self.outcome = str(context.outcome)
        self.reasons = list(_mappings(decision.get("reasons")))
        self.clocks = {str(c.get("id")): c for c in _mappings(decision.get("sla"))}
        self.trace = list(_mappings(decision.get("trace")))
        self.lines = {
            line.get("line_id"): str(line.get("outcome"))
            for line in _mappings(decision.get("lines"))
        }
        self.decision_grounds = decision_grounds(decision)
        reminders = context.reminders
        self.all_grounds = self.decision_grounds | text_grounds(
            [t for e in reminders for t in (e.zh, e.en)],
            [n for e in reminders for n in e.key_numbers],
        )
        base = set(_CLAIM_STANCES.get(self.outcome, frozenset()))
        amounts = decision.get("amounts")
        payable = amounts.get("payable") if isinstance(amounts, Mapping) else None
        if _is_zero(payable):
            base.add("NO_PAY")
        self.base = frozenset(base)

    # ---- scopes
    def summary(self) -> Scope:
        texts, keys = _reason_texts(self.reasons)
        return Scope(self.base, self.decision_grounds, frozenset(backed_topics(texts, keys)))

    def finding(self, rule_ids: Sequence[str]) -> Scope:
        cited = set(rule_ids)
        reasons = [r for r in self.reasons if r.get("rule_id") in cited]
        texts, keys = _reason_texts(reasons)
        for rid in cited & set(self.clocks):
            texts += _clock_texts(self.clocks[rid])
        keys += list(cited)
        for entry in self.trace:
            if entry.get("rule_id") in cited and isinstance(entry.get("facts"), Mapping):
                keys += [str(k) for k in entry["facts"]]
        allowed = set(self.base)
        for reason in reasons:
            allowed |= PART_STANCES.get(str(reason.get("outcome")), frozenset())
            if reason.get("line_id") in self.lines:
                allowed |= PART_STANCES.get(self.lines[reason.get("line_id")], frozenset())
        return Scope(
            frozenset(allowed),
            self.decision_grounds,
            frozenset(backed_topics(texts, keys)) if cited else None,  # CITE-MISSING says it
            "CITE-MISMATCH",
            "the rules and clocks this finding cites",
        )

    def listing(self, *, missing: bool) -> Scope:
        texts, keys = _reason_texts(self.reasons)
        texts += [str(n.get(lang, "")) for n in _mappings(self.context.decision.get("notices"))
                  for lang in ("zh", "en")]  # fmt: skip
        for clock in self.clocks.values():
            texts += _clock_texts(clock)
        keys += list(self.clocks)
        texts += [t for e in self.context.reminders for t in (e.zh, e.en)]
        backed = backed_topics(texts, keys)
        if self.context.outstanding_documents:
            backed |= topics("documents")
        allowed = set(self.base)
        if missing:  # what is missing is what holds a reason: its stance may be restated
            for reason in self.reasons:
                allowed |= PART_STANCES.get(str(reason.get("outcome")), frozenset())
        return Scope(
            frozenset(allowed),
            self.all_grounds,
            frozenset(backed),
            what="the decision or the selected reminders",
        )

    def reminder(self, entry: RightsEntry | None) -> Scope:
        own: set[Stance] = set()
        if entry is not None:
            own = {
                h.stance for t in (entry.zh, entry.en) for c in clauses_of(t) for h in stances(c)
            }
        return Scope(self.base | own, self.all_grounds, None)


def clauses_of(text: str) -> Iterator[str]:
    for sentence in sentences(text):
        yield from clauses(sentence)


def _reason_texts(reasons: Iterable[Mapping[str, Any]]) -> tuple[list[str], list[str]]:
    texts: list[str] = []
    keys: list[str] = []
    for reason in reasons:
        explanation = reason.get("explanation")
        if isinstance(explanation, Mapping):
            texts += [str(v) for v in explanation.values()]
        texts += [str(b) for b in reason.get("legal_basis") or []]
        keys += [str(reason.get("rule_id")), str(reason.get("code"))]
    return texts, keys


def _clock_texts(clock: Mapping[str, Any]) -> list[str]:
    texts = [str(clock.get("title") or "")]
    explanation = clock.get("explanation")
    if isinstance(explanation, Mapping):
        texts += [str(v) for v in explanation.values()]
    texts += [str(b) for b in clock.get("legal_basis") or []]
    return texts


def _is_zero(value: Any) -> bool:
    try:
        return Decimal(str(value)) == 0
    except ArithmeticError:
        return False


def _mappings(value: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, list | tuple):
        yield from (item for item in value if isinstance(item, Mapping))
