"""How each part of a note is read: the stances, figures and topics it may state.

The guard reads the decision once (:class:`Facts`) and derives one :class:`Scope` per part of
the note: the summary, a finding (by the ids it cites), missing_information and next_steps
(the listings) and a reminder (by its knowledge-base entry). See the package docstring for
why each scope allows what it allows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from engine.decision import Clock, Reason
from engine.outcome import Outcome
from llm_assist.context import DraftContext
from llm_assist.guard.quantities import Grounds, decision_grounds, text_grounds
from llm_assist.guard.topics import backed_topics, topics
from llm_assist.guard.wording import Stance, clauses, sentences, stances
from llm_assist.rights import RightsEntry

__all__ = ["PART_STANCES", "Facts", "Scope", "clauses_of"]

# What the claim's outcome lets any sentence say.
_CLAIM_STANCES: Mapping[Outcome, frozenset[Stance]] = {
    "approve": frozenset({"PAY", "FULL_PAY", "FINAL"}),
    "partial": frozenset({"PAY", "PARTIAL", "REFUSE", "FINAL"}),
    "deny": frozenset({"REFUSE", "FULL_REFUSE", "NO_PAY", "FINAL"}),
    "pend": frozenset({"HOLD", "NO_PAY"}),
    "refer": frozenset({"REFER", "HOLD", "NO_PAY"}),
}
# What a cited rule, or a named line, adds: its own outcome, never for the whole claim
# (an informational ``approve`` rule adds nothing).
PART_STANCES: Mapping[Outcome, frozenset[Stance]] = {
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
        self.outcome: Outcome = context.outcome
        self.reasons = decision.reasons
        self.clocks = {c.id: c for c in decision.sla}
        self.trace = decision.trace
        self.lines: dict[int, Outcome] = {line.line_id: line.outcome for line in decision.lines}
        self.decision_grounds = decision_grounds(decision)
        reminders = context.reminders
        self.all_grounds = self.decision_grounds | text_grounds(
            [t for e in reminders for t in (e.zh, e.en)],
            [n for e in reminders for n in e.key_numbers],
        )
        base = set(_CLAIM_STANCES[self.outcome])
        if decision.amounts.payable == 0:
            base.add("NO_PAY")
        self.base = frozenset(base)

    # ---- scopes
    def summary(self) -> Scope:
        texts, keys = _reason_texts(self.reasons)
        return Scope(self.base, self.decision_grounds, frozenset(backed_topics(texts, keys)))

    def finding(self, rule_ids: Sequence[str]) -> Scope:
        cited = set(rule_ids)
        reasons = [r for r in self.reasons if r.rule_id in cited]
        texts, keys = _reason_texts(reasons)
        for rid in cited & set(self.clocks):
            texts += _clock_texts(self.clocks[rid])
        keys += list(cited)
        for entry in self.trace:
            if entry.rule_id in cited:
                keys += list(entry.facts)
        allowed = set(self.base)
        for reason in reasons:
            allowed |= PART_STANCES[reason.outcome]
            if reason.line_id is not None and reason.line_id in self.lines:
                allowed |= PART_STANCES[self.lines[reason.line_id]]
        return Scope(
            frozenset(allowed),
            self.decision_grounds,
            frozenset(backed_topics(texts, keys)) if cited else None,  # CITE-MISSING says it
            "CITE-MISMATCH",
            "the rules and clocks this finding cites",
        )

    def listing(self, *, missing: bool) -> Scope:
        texts, keys = _reason_texts(self.reasons)
        texts += [t for n in self.context.decision.notices for t in (n.zh, n.en)]
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
                allowed |= PART_STANCES[reason.outcome]
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


def _reason_texts(reasons: Iterable[Reason]) -> tuple[list[str], list[str]]:
    texts: list[str] = []
    keys: list[str] = []
    for reason in reasons:
        texts += [reason.explanation.zh, reason.explanation.en, *reason.legal_basis]
        keys += [reason.rule_id, reason.code]
    return texts, keys


def _clock_texts(clock: Clock) -> list[str]:
    return [clock.title, clock.explanation.zh, clock.explanation.en, *clock.legal_basis]
