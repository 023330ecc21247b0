"""The decision and its parts other than the clocks (:mod:`engine.decision.clock`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from engine.decision.clock import Clock
from engine.decision.values import (
    FROZEN,
    Amount,
    Explanation,
    Instant,
    Scope,
    canonical_json,
    optional_field,
)
from engine.money import Currency
from engine.outcome import Outcome

__all__ = [
    "Amounts",
    "Decision",
    "EngineRef",
    "Fallback",
    "Line",
    "Notice",
    "Reason",
    "RulesetRef",
    "TraceEntry",
]


class Amounts(BaseModel):
    """Totals over the claim's lines (in the manner of FHIR ExplanationOfBenefit)."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "submitted": "23860.50",
                    "eligible": "14560.50",
                    "deductible": "10000.00",
                    "copay": "912.10",
                    "payable": "3648.40",
                }
            ]
        },
    )

    submitted: Amount = Field(description="what the invoices ask for")
    eligible: Amount = Field(
        description="what the plan covers: never above the cost less what others paid"
    )
    deductible: Amount = Field(description="the part the deductible takes")
    copay: Amount = Field(
        description="the member's share after the deductible (coinsurance, anything above a limit)"
    )
    payable: Amount = Field(description="what is paid: 0.00 unless the outcome pays")


class Line(BaseModel):
    """One invoice line, adjudicated; when it pays, ``eligible = deductible + copay +
    payable``."""

    model_config = FROZEN

    line_id: int = Field(description="the claim item's line_id")
    submitted: Amount
    eligible: Amount
    deductible: Amount
    copay: Amount
    payable: Amount
    outcome: Outcome = Field(description="the line's own outcome")
    reason_codes: tuple[str, ...] = Field(description="codes of the reasons that apply to it")


class Reason(BaseModel):
    """Why: a rule (or a benefit step) that applies, its legal basis and its explanation."""

    model_config = FROZEN

    rule_id: str = Field(description="the rule or benefit step id in the ruleset")
    code: str = Field(description="the reason code, e.g. ELIG-WAITING")
    outcome: Outcome
    scope: Scope = Field(description="claim: the whole claim; line: the line named by line_id")
    line_id: int | None = Field(description="the line of a line-scope reason; else null")
    legal_basis: tuple[str, ...] = Field(description="the provisions the rule rests on")
    codes: dict[str, str] = Field(
        description="the reason in external code systems, e.g. {hcx: ELIG-009}"
    )
    explanation: Explanation


class Notice(BaseModel):
    """What the member must be told, e.g. the right to a human review (PIPL art. 24)."""

    model_config = FROZEN

    id: str = Field(description="e.g. human_review")
    legal_basis: tuple[str, ...]
    zh: str
    en: str


class TraceEntry(BaseModel):
    """One rule evaluated (once per line for a line rule), with the facts it read."""

    model_config = FROZEN

    rule_id: str
    line_id: int | None = Field(description="the line, for a line rule; else null")
    matched: bool = Field(description="whether the condition held")
    facts: dict[str, JsonValue] = Field(
        description="the values the condition read, personal data masked"
    )
    fallback: str | None = optional_field(
        description="why the durable backend handed this evaluation to the native closure "
        "(a value beyond what durable-rules compares exactly); absent when Rete decided it"
    )


class RulesetRef(BaseModel):
    """The exact ruleset a decision was made with."""

    model_config = FROZEN

    id: str
    version: str
    content_hash: str = Field(description="SHA-256 of the ruleset's files, sha256:<hex>")
    revision: str = Field(description="the git revision the ruleset was read at, or empty")


class Fallback(BaseModel):
    """One rule evaluation the durable backend could not decide inside durable-rules."""

    model_config = FROZEN

    rule_id: str
    line_id: int | None = Field(description="the line, for a line rule; else null")
    reason: str = Field(description="why, e.g. a number too large to compare exactly")


class EngineRef(BaseModel):
    """The engine that decided: ``version`` is ``<semantics>+<backend>.<backend version>``
    (:mod:`engine.semantics`)."""

    model_config = FROZEN

    backend: str = Field(description="native or durable")
    version: str = Field(examples=["0.1.0+native.1"])
    fallbacks: tuple[Fallback, ...] | None = optional_field(
        description="the rule evaluations the durable backend handed to the native closure, "
        "in trace order; absent when there was none"
    )


class Decision(BaseModel):
    """What the rules decided for one claim at ``as_of``, why, and with which ruleset."""

    model_config = FROZEN

    claim_id: str
    outcome: Outcome
    automated: bool = Field(description="made by the rules alone (true for every rule decision)")
    currency: Currency
    amounts: Amounts
    lines: tuple[Line, ...]
    reasons: tuple[Reason, ...]
    benefit_balance: dict[str, Amount] = Field(
        description="what is left of each claim-wide deductible and limit after this claim, "
        "by benefit step id"
    )
    notices: tuple[Notice, ...]
    sla: tuple[Clock, ...]
    trace: tuple[TraceEntry, ...]
    ruleset: RulesetRef
    as_of: Instant
    engine: EngineRef

    def json_form(self) -> dict[str, JsonValue]:
        """The JSON-ready form (the README's contract): what is stored and sent."""
        return self.model_dump(mode="json")

    def canonical_json(self, *, with_engine: bool = True) -> str:
        """The canonical text (hash this). ``with_engine=False`` leaves out the ``engine``
        block, the one part in which the two backends' decisions differ."""
        exclude = None if with_engine else {"engine"}
        return canonical_json(self.model_dump(mode="json", exclude=exclude))

    @property
    def applied_rule_ids(self) -> frozenset[str]:
        """The rules and benefit steps that gave a reason."""
        return frozenset(r.rule_id for r in self.reasons)

    def clock(self, clock_id: str) -> Clock | None:
        """The SLA clock ``clock_id``, if the decision has it."""
        return next((c for c in self.sla if c.id == clock_id), None)
