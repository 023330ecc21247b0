"""Typed intermediate representation of a compiled ruleset.

The IR is what both backends compile from; it holds parsed, type-checked expressions and
no YAML. Every element remembers where it was written (for runtime errors and the linter).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from engine.expression.nodes import Node
from engine.expression.types import T
from engine.outcome import Outcome, Scope
from engine.ruleset.source import Where


@dataclass(frozen=True)
class Expr:
    """A parsed, checked expression with its source text, type and position."""

    source: str
    node: Node
    type: T
    where: Where


@dataclass(frozen=True)
class Explanation:
    zh: str
    en: str


@dataclass(frozen=True)
class Derive:
    name: str
    scope: str  # claim | line
    expr: Expr
    description: str = ""


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    when: Expr  # the author's condition
    condition: Expr  # ``when`` and the effective-date window: what backends evaluate
    outcome: Outcome
    reason_code: str
    scope: Scope
    priority: int
    order: int  # position in the files, the tie-breaker after priority
    legal_basis: tuple[str, ...]
    explain: Explanation
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    codes: tuple[tuple[str, str], ...] = ()  # external code systems: (system, code)
    where: Where | None = None


@dataclass(frozen=True)
class CellTest:
    """One unary test of a decision-table cell: ``op`` against ``value`` (``any`` matches all)."""

    op: str  # any | == | != | < | <= | > | >= | in | range
    value: Any = None
    low_inclusive: bool = True
    high_inclusive: bool = True
    text: str = "-"


@dataclass(frozen=True)
class TableRow:
    tests: tuple[CellTest, ...]
    outputs: tuple[Any, ...]
    where: Where | None = None


@dataclass(frozen=True)
class TableInput:
    name: str
    expr: Expr


@dataclass(frozen=True)
class Table:
    id: str
    hit_policy: str  # unique | first | collect
    inputs: tuple[TableInput, ...]
    outputs: tuple[tuple[str, T], ...]
    rows: tuple[TableRow, ...]
    default: tuple[Any, ...] | None = None
    where: Where | None = None


@dataclass(frozen=True)
class StepReason:
    code: str
    outcome: Outcome
    legal_basis: tuple[str, ...]
    explain: Explanation


@dataclass(frozen=True)
class BenefitStep:
    id: str
    kind: str  # eligible | deductible | coinsurance | limit
    expr: Expr  # eligible: amount; deductible/limit: remaining; coinsurance: plan share rate
    per: str = "claim"  # limit/deductible accumulate across the claim's lines, or reset per line
    reason: StepReason | None = None
    title: str = ""
    where: Where | None = None


@dataclass(frozen=True)
class SlaExtension:
    event: str
    max: int
    requires_approval: bool = True
    requires_notice: bool = True


@dataclass(frozen=True)
class SlaNode:
    id: str
    title: str
    start_events: tuple[str, ...]
    stop_events: tuple[str, ...]
    duration: int
    unit: str  # calendar_days | working_days | hours
    breach_action: str
    legal_basis: tuple[str, ...]
    explain: Explanation
    start_where: Expr | None = None
    start_fact: Expr | None = None
    restart_events: tuple[str, ...] = ()
    start_rule: str = "next_day"
    roll_to_working_day: bool = False
    pauses: tuple[tuple[str, str], ...] = ()
    extension: SlaExtension | None = None
    applies_when: Expr | None = None
    due_soon_seconds: int = 0
    where: Where | None = None


#: What the engine records on a claim's timeline as the claim lives (engine.lifecycle), each
#: under the event type a ruleset names for it in ``lifecycle.records``.
LIFECYCLE_ROLES = (
    "decided",  # a determination (approve, partial, deny) by the rules or a person
    "amount_agreed",  # the payable amount of a determination that pays
    "documents_requested",  # written by people; detail.missing lists the documents
    "document_received",  # one document arrived
    "documents_completed",  # the last requested document arrived
    "advance_paid",  # a payment that leaves part of the payable to pay
    "paid",  # the payable is paid in full
    "appeal_received",  # the claimant disputes the determination
)


@dataclass(frozen=True)
class LifecycleRule:
    """What an event of one of ``events`` needs from the current events dated before it."""

    id: str
    events: tuple[str, ...]
    after: tuple[str, ...] = ()  # an earlier event of one of these types
    open: tuple[str, ...] = ()  # an earlier one of these not yet closed by one of ``events``
    once: bool = False  # no other current event of its type
    detail: tuple[str, ...] = ()  # keys its detail must carry, non-empty
    title: str = ""
    suggestion: str = ""  # what to do when broken (default: said from the checks)
    where: Where | None = None


@dataclass(frozen=True)
class Lifecycle:
    """The claim's life in a ruleset: which timeline events may follow which."""

    received: str  # the event type that marks the claim received
    before_received: tuple[str, ...] = ()  # the only types that may come (or be dated) before it
    records: tuple[tuple[str, str], ...] = ()  # (role, event type), roles in LIFECYCLE_ROLES order
    payment_clock: str | None = None  # SLA id whose deadline members see as "payment due by"
    rules: tuple[LifecycleRule, ...] = ()
    where: Where | None = None

    def record(self, role: str) -> str | None:
        """The event type recorded for ``role``, if the ruleset records it."""
        return dict(self.records).get(role)


@dataclass(frozen=True)
class CalendarConfig:
    name: str = "CN"
    beyond: str = "error"


@dataclass(frozen=True)
class RulesetIdentity:
    id: str
    version: str
    content_hash: str
    revision: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "id": self.id,
            "version": self.version,
            "content_hash": self.content_hash,
            "revision": self.revision,
        }


@dataclass(frozen=True)
class RulesetIR:
    identity: RulesetIdentity
    title: str
    jurisdiction: str
    timezone: str
    hit_policy: str  # collect | first
    derives: tuple[Derive, ...]
    tables: tuple[Table, ...]
    rules: tuple[Rule, ...]
    benefit: tuple[BenefitStep, ...]
    facts_type: T  # claim facts + derived facts, for placeholders and tooling
    line_type: T
    sla: tuple[SlaNode, ...] = ()
    calendar: CalendarConfig = CalendarConfig()
    event_types: tuple[str, ...] = ()
    labels: dict[str, dict[str, str]] = field(default_factory=dict)  # code -> {zh, en}
    lifecycle: Lifecycle | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # sections later stages read (sla...)

    def rules_in_order(self) -> list[Rule]:
        return sorted(self.rules, key=lambda r: (-r.priority, r.order))
