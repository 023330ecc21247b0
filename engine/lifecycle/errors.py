"""Typed errors of the claim's life: each says what was refused, where, and what to do.

Every one leaves the claim as it was (the functions that raise them are pure). ``code`` is a
stable slug the API can map to a problem type and status (given in brackets: the status the
issue asks for; the mapping itself is the API's)::

    EngineError                              (engine.errors)
    ├── TimelineError                        (engine.errors) an event's index and why
    │   └── TimelineRuleError                lifecycle-rule         a new, voided or intake
    │                                        [422]                  event breaks the lifecycle:
    │                                                               every Violation (rule id,
    │                                                               event index, reason, what
    │                                                               to do)
    └── LifecycleError                       the claim's life refuses an operation
        ├── ClaimPatchError                  claim-patch [422]      a patch that cannot apply:
        │                                                           its JSON path and why
        ├── StaleDecisionError               stale-decision [409]   names a decision that is
        │                                                           not the current one
        ├── OverrideError                    override [422]         a malformed override
        │   └── OverrideBoundError           override-bound [422]   a line above its bound
        ├── ApprovalError                    approval [409]         nothing pending to approve
        │   └── SelfApprovalError            self-approval [403]    the author approving
        ├── PaymentError                     payment [422]          above the payable, or a
        │                                                           final payment that does not
        │                                                           settle it
        ├── VoidError                        void [422]             no such event, already
        │                                                           void, or written by the
        │                                                           engine
        └── AdmissionError                   admission [409]        an event that does not fit
                                                                    the claim's state (e.g. a
                                                                    second intake)

An invalid patched claim raises :class:`engine.errors.ClaimValidationError`, exactly as at
intake.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from engine.errors import EngineError, TimelineError

__all__ = [
    "AdmissionError",
    "ApprovalError",
    "ClaimPatchError",
    "LifecycleError",
    "OverrideBoundError",
    "OverrideError",
    "PaymentError",
    "SelfApprovalError",
    "StaleDecisionError",
    "TimelineRuleError",
    "Violation",
    "VoidError",
]


class Violation(BaseModel):
    """One lifecycle rule an event breaks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule_id: str
    index: int  # the event's position on the claim's timeline
    reason: str
    suggestion: str

    def __str__(self) -> str:
        where = f"events[{self.index}]: lifecycle rule '{self.rule_id}'"
        return f"{where}: {self.reason} ({self.suggestion})"


class TimelineRuleError(TimelineError):
    """``index``, ``rule_id``, ``reason`` and ``suggestion`` are the first violation's;
    ``str()`` lists every one, a line each."""

    code: ClassVar[str] = "lifecycle-rule"

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = tuple(violations)
        first = self.violations[0]
        self.rule_id = first.rule_id
        self.suggestion = first.suggestion
        super().__init__(first.index, f"lifecycle rule '{first.rule_id}': {first.reason}")

    def __str__(self) -> str:
        return "\n".join(str(v) for v in self.violations)


class LifecycleError(EngineError):
    """Base of the refusals below; ``suggestion`` says what to do instead."""

    code: ClassVar[str] = "lifecycle"

    def __init__(self, message: str, *, suggestion: str = "") -> None:
        self.message = message
        self.suggestion = suggestion
        super().__init__(f"{message} ({suggestion})" if suggestion else message)


class ClaimPatchError(LifecycleError):
    code: ClassVar[str] = "claim-patch"

    def __init__(self, path: str, reason: str, *, suggestion: str = "") -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path or '<patch>'}: {reason}", suggestion=suggestion)


class StaleDecisionError(LifecycleError):
    code: ClassVar[str] = "stale-decision"

    def __init__(self, *, named: str, current: str | None) -> None:
        self.named = named
        self.current = current
        super().__init__(
            f"decision {named!r} is not the current decision ({current or 'none yet'})",
            suggestion="read the claim again and decide on the current decision",
        )


class OverrideError(LifecycleError):
    code: ClassVar[str] = "override"


class OverrideBoundError(OverrideError):
    code: ClassVar[str] = "override-bound"

    def __init__(self, *, line_id: int, asked: Decimal, bound: Decimal) -> None:
        self.line_id = line_id
        self.asked = asked
        self.bound = bound
        super().__init__(
            f"line {line_id}: payable {asked:.2f} is above its bound {bound:.2f} (actual cost "
            "minus what others paid and what was already paid for it)",
            suggestion=f"pay at most {bound:.2f} on line {line_id}",
        )


class ApprovalError(LifecycleError):
    code: ClassVar[str] = "approval"


class SelfApprovalError(ApprovalError):
    code: ClassVar[str] = "self-approval"

    def __init__(self, *, override_id: str, actor: str) -> None:
        self.override_id = override_id
        self.actor = actor
        super().__init__(
            f"{actor} proposed override {override_id!r} and cannot also approve or reject it",
            suggestion="a second person decides on it",
        )


class PaymentError(LifecycleError):
    code: ClassVar[str] = "payment"

    def __init__(
        self, message: str, *, amount: Decimal, payable: Decimal, paid: Decimal, suggestion: str
    ) -> None:
        self.amount = amount
        self.payable = payable
        self.paid = paid
        super().__init__(message, suggestion=suggestion)


class VoidError(LifecycleError):
    code: ClassVar[str] = "void"

    def __init__(self, index: int, reason: str, *, suggestion: str = "") -> None:
        self.index = index
        self.reason = reason
        super().__init__(f"events[{index}]: {reason}", suggestion=suggestion)


class AdmissionError(LifecycleError):
    code: ClassVar[str] = "admission"
