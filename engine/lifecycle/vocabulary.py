"""A claim's vocabulary: what its ruleset calls the things its life records, fixed at intake.

The fold reads a claim's timeline by role (which event requests documents, which one means
decided) without the ruleset: the roles are taken from the ruleset's ``lifecycle`` when the
claim is received and kept in the intake event, so the state folded from the audit trail
never depends on the ruleset in use at the time of folding.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from engine.ruleset.ir import RulesetIR

__all__ = ["ENGINE_ROLES", "Role", "Vocabulary"]

# The roles of engine.ruleset.ir.LIFECYCLE_ROLES (a test keeps the two lists equal).
Role = Literal[
    "decided",
    "amount_agreed",
    "documents_requested",
    "document_received",
    "documents_completed",
    "advance_paid",
    "paid",
    "appeal_received",
]

#: Roles the engine writes itself: a person cannot add or void events of these types, since
#: the claim's state (decision, documents, payments, appeal) stands behind them.
ENGINE_ROLES: tuple[Role, ...] = (
    "decided",
    "amount_agreed",
    "document_received",
    "advance_paid",
    "paid",
    "appeal_received",
)


class Vocabulary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ruleset: str
    timezone: str
    received: str | None = None
    records: dict[Role, str] = {}
    payment_clock: str | None = None

    @classmethod
    def of(cls, ir: RulesetIR) -> Vocabulary:
        lifecycle = ir.lifecycle
        if lifecycle is None:
            return cls(ruleset=ir.identity.id, timezone=ir.timezone)
        return cls.model_validate(
            {
                "ruleset": ir.identity.id,
                "timezone": ir.timezone,
                "received": lifecycle.received,
                "records": dict(lifecycle.records),
                "payment_clock": lifecycle.payment_clock,
            }
        )

    def type_of(self, role: Role) -> str | None:
        """The event type recorded for ``role`` (``None``: the ruleset records none)."""
        return self.records.get(role)

    def role_of(self, event_type: str) -> Role | None:
        return next((role for role, kind in self.records.items() if kind == event_type), None)
