"""The claim as the engine sees it: strict pydantic models and ``load_claim``.

Why so strict: a claim is money and personal data; a silently coerced value (``"true"`` as a
bool, a timestamp int as a date, a naive datetime) would change a decision without anyone
noticing. Every rejection becomes a :class:`~engine.errors.Problem` with a JSON path such as
``items[1].amount`` so the sender can fix every problem in one pass.

What is *not* rejected here: business facts the rules decide on (a bad GB 11643 checksum pends
the claim, a Luhn-failing bank card is only a warning). Those are exposed as helpers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError

from engine.errors import ClaimValidationError, Problem
from engine.money import Currency, Money, Rate
from engine.outcome import Outcome
from engine.strict_json import loads_strict

__all__ = [
    "Backdating", "Claim", "Document", "DocumentType", "Event", "ExplainedClause", "Incident",
    "Item", "Member", "Policy", "PriorClaim", "Voiding", "claim_to_json_dict", "id_check_digit",
    "id_number_checksum_valid", "load_claim", "luhn_valid", "problems_from_validation_error",
]  # fmt: skip

_DATE_REASON = "must be a date in ISO 8601 form (YYYY-MM-DD)"
_OFFSET_REASON = "must include a UTC offset, e.g. 2025-06-20T09:12:00+08:00"
_DATETIME_REASON = (
    "must be a date-time in ISO 8601 form with a UTC offset, e.g. 2025-06-20T09:12:00+08:00"
)
_ID_REASON = "must be 18 characters: 17 digits and a check digit"
_OBJECT_REASON = "must be an object"
# ASCII classes on purpose: Python's \d also matches Arabic-Indic and full-width digits.
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_DATETIME_START = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ]")
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9Xx]")
_ICD10 = re.compile(r"[A-Z][0-9]{2}(\.[0-9]{1,4})?")
_SNAKE = re.compile(r"[a-z][a-z0-9_]*")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"

Loc = tuple[str | int, ...]


def id_check_digit(prefix: str) -> str:
    """GB 11643-1999 (ISO 7064 MOD 11-2) check character for a 17-digit prefix."""
    if len(prefix) != 17 or not prefix.isascii() or not prefix.isdigit():
        raise ValueError("prefix must be 17 ASCII digits")
    total = sum(int(ch) * w for ch, w in zip(prefix, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def id_number_checksum_valid(s: str) -> bool:
    """True when a PRC resident ID number has the right shape and check character."""
    if not _ID_SHAPE.fullmatch(s):
        return False
    return id_check_digit(s[:17]) == s[17].upper()


def luhn_valid(s: str) -> bool:
    """Luhn check for bank cards; a warning signal only, as some PRC cards fail it."""
    if len(s) < 2 or not s.isascii() or not s.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(s)):
        digit = int(ch) * (2 if i % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


def _fail(reason: str) -> PydanticCustomError:
    """A pydantic error whose message is exactly ``reason``."""
    return PydanticCustomError("claim_value", "{reason}", {"reason": reason})


def _iso_date(value: object) -> object:
    """Dates only as YYYY-MM-DD (or date objects): lax pydantic would take unix timestamps."""
    if isinstance(value, datetime):
        raise _fail(_DATE_REASON)
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise _fail(_DATE_REASON)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail("is not a real calendar date") from None


def _iso_datetime(value: object) -> object:
    """Date-times only as ISO 8601 text (or datetime objects), never numeric timestamps."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATETIME_START.match(value):
        return value
    raise _fail(_DATETIME_REASON)


def _non_empty(value: str) -> str:
    if not value.strip():
        raise _fail("must not be empty")
    return value


def _matching(pattern: re.Pattern[str], reason: str) -> AfterValidator:
    """Validator for a whole-string pattern that fails with a plain reason, not the regex."""

    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise _fail(reason)
        return value

    return AfterValidator(check)


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_datetime)]
NonEmptyStr = Annotated[str, AfterValidator(_non_empty)]
StrictBool = Annotated[bool, Field(strict=True)]

_FROZEN = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def _absent(value: object) -> bool:
    return value is None


# Why left out of dumps when unset: claims written before these fields existed keep their
# exact JSON text (stored bodies, content hashes and the facts rules see stay the same).
def _omitted_when_unset() -> Any:
    return Field(default=None, exclude_if=_absent)


class Member(BaseModel):
    """The insured person; ``id_number`` is stored with an upper-case X."""

    model_config = _FROZEN

    member_id: NonEmptyStr
    name: str
    # Shape only: a bad checksum is a pend reason for the rules, not a parse error.
    id_number: Annotated[str, _matching(_ID_SHAPE, _ID_REASON), AfterValidator(str.upper)]
    phone: str | None = None
    birth_date: IsoDate
    bank_card: str | None = None

    @property
    def id_checksum_valid(self) -> bool:
        """Plain property, not a computed field, so dumps stay loadable (extra="forbid")."""
        return id_number_checksum_valid(self.id_number)


ClauseKind = Literal[
    "exclusion", "deductible", "coinsurance", "designated_providers", "waiting_period",
]  # fmt: skip


class ExplainedClause(BaseModel):
    """Evidence that one payment-cutting clause was flagged and explained at sale (IL art. 17;
    SPC-II arts. 9-13: the insurer bears the burden of proof). ``sales_record`` points to the
    sales recording or signed acknowledgement (销售可回溯); ``category`` names the excluded
    service category for an ``exclusion`` clause."""

    model_config = _FROZEN

    clause: ClauseKind
    sales_record: NonEmptyStr
    category: str | None = _omitted_when_unset()
    explained_on: IsoDate | None = _omitted_when_unset()


class Policy(BaseModel):
    model_config = _FROZEN

    policy_id: NonEmptyStr
    product: NonEmptyStr
    status: Literal["in_force", "lapsed", "cancelled", "suspended", "expired"]
    start_date: IsoDate
    end_date: IsoDate
    waiting_period_days: Annotated[int, Field(strict=True, ge=0, le=3650)]
    deductible: Money
    deductible_used: Money
    coinsurance: Rate
    annual_limit: Money
    annual_used: Money
    exclusions: list[str] = Field(default_factory=list)
    exclusions_explained_at_sale: StrictBool
    designated_providers_only: StrictBool = False
    designated_providers: list[str] = Field(default_factory=list)
    # When the insurer learned of a possible non-disclosure at application (IL art. 16):
    # only a person may act on it, within 30 days, and never 2 years after the contract.
    nondisclosure_learned_date: IsoDate | None = None
    # The day the current ``status`` took effect: cover is judged by the status on the loss
    # date (IL art. 14), so a policy that lapsed after the loss still covers it.
    status_effective_date: IsoDate | None = _omitted_when_unset()
    # Clause-by-clause proof of explanation at sale; a clause without it is never applied.
    explained_clauses: list[ExplainedClause] | None = _omitted_when_unset()

    @field_validator("end_date")
    @classmethod
    def _end_not_before_start(cls, value: date, info: ValidationInfo) -> date:
        """A field validator (not a model one) so the error sits at ``policy.end_date``."""
        start = info.data.get("start_date")
        if isinstance(start, date) and value < start:
            raise _fail("must be on or after policy.start_date")
        return value


class Incident(BaseModel):
    model_config = _FROZEN

    onset_date: IsoDate
    is_accident: StrictBool = False
    loss_notice_date: IsoDate | None = None
    knew_date: IsoDate | None = None
    description: str = ""


class Item(BaseModel):
    """One invoice line. Field order matters: the paid-by-others checks read earlier fields."""

    model_config = _FROZEN

    line_id: Annotated[int, Field(strict=True, ge=1)]
    service_date: IsoDate
    provider_id: NonEmptyStr
    provider_level: Literal["grade1", "grade2", "grade3", "other"]
    diagnosis_code: Annotated[str, _matching(_ICD10, "must be an ICD-10 code such as K35.8")]
    category: Literal[
        "inpatient", "outpatient", "pharmacy", "dental",
        "cosmetic", "emergency", "maternity", "other",
    ]  # fmt: skip
    amount: Money
    social_insurance_paid: Money = Decimal("0.00")
    other_insurance_paid: Money = Decimal("0.00")
    invoice_no: NonEmptyStr

    @field_validator("social_insurance_paid")
    @classmethod
    def _social_within_amount(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        """Never pay above actual cost (HIM 5, 25): reported on the field that overshoots."""
        amount = info.data.get("amount")
        if isinstance(amount, Decimal) and value > amount:
            raise _fail("paid by others exceeds amount")
        return value

    @field_validator("other_insurance_paid")
    @classmethod
    def _others_within_amount(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        amount = info.data.get("amount")
        social = info.data.get("social_insurance_paid")
        if not isinstance(amount, Decimal) or not isinstance(social, Decimal):
            return value  # an earlier field is invalid and already reported
        if social + value > amount:
            raise _fail("paid by others exceeds amount")
        return value


DocumentType = Literal[
    "claim_form", "id_copy", "invoice", "itemized_bill", "discharge_summary",
    "medical_record", "diagnosis_certificate", "bank_account", "police_report", "other",
]  # fmt: skip


class Document(BaseModel):
    """A document the insurer holds. Under engine semantics 0.2.0 a rule sees it only from
    ``received_at`` on (:mod:`engine.semantics`)."""

    model_config = _FROZEN

    type: DocumentType
    received_at: IsoDateTime
    reference: NonEmptyStr | None = _omitted_when_unset()


class Voiding(BaseModel):
    """Why, by whom and when a timeline event was voided: it stays on record, and no rule,
    derived fact or clock counts it."""

    model_config = _FROZEN

    reason: NonEmptyStr
    by: NonEmptyStr
    at: IsoDateTime


class Backdating(BaseModel):
    """Why an event is dated before the latest event already on the timeline."""

    model_config = _FROZEN

    reason: NonEmptyStr


class Event(BaseModel):
    model_config = _FROZEN

    type: Annotated[str, _matching(_SNAKE, "must be snake_case such as claim_received")]
    at: IsoDateTime
    detail: dict[str, Any] = Field(default_factory=dict)
    backdated: Backdating | None = _omitted_when_unset()
    void: Voiding | None = _omitted_when_unset()


class PriorClaim(BaseModel):
    model_config = _FROZEN

    claim_id: NonEmptyStr
    invoice_no: NonEmptyStr
    service_date: IsoDate
    amount: Money
    outcome: Outcome
    # What that claim actually paid on the invoice: only that reduces a later line (HIM 5).
    paid: Money | None = _omitted_when_unset()


class Claim(BaseModel):
    model_config = _FROZEN

    claim_id: NonEmptyStr
    claim_type: Literal["medical_expense", "property", "complaint"]
    jurisdiction: NonEmptyStr
    currency: Currency
    member: Member
    policy: Policy
    incident: Incident
    items: Annotated[list[Item], Field(min_length=1)]
    documents: list[Document] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    prior_claims: list[PriorClaim] = Field(default_factory=list)

    @field_validator("items", mode="wrap")
    @classmethod
    def _unique_line_ids(cls, value: object, handler: ValidatorFunctionWrapHandler) -> Any:
        """Lines are adjudicated by id. Checked on the raw lines as well, so a repeated id is
        reported together with any other line errors instead of in a second pass."""
        duplicates = _duplicate_line_ids(value)
        try:
            items = handler(value)
        except ValidationError as exc:
            if not duplicates:
                raise
            raise _with_problems(exc.errors(), duplicates) from None
        if duplicates:
            raise _with_problems([], duplicates)
        return items


def _duplicate_line_ids(lines: object) -> list[tuple[Loc, str, object]]:
    """(loc, reason, input) for every line whose integer line_id already appeared."""
    if not isinstance(lines, list):
        return []
    seen: set[int] = set()
    found: list[tuple[Loc, str, object]] = []
    for index, line in enumerate(lines):
        line_id = line.get("line_id") if isinstance(line, Mapping) else getattr(line, "line_id", 0)
        if not isinstance(line_id, int) or isinstance(line_id, bool):
            continue
        if line_id in seen:
            found.append(((index, "line_id"), f"duplicate line_id {line_id}", line_id))
        seen.add(line_id)
    return found


def _with_problems(
    errors: list[ErrorDetails], extra: list[tuple[Loc, str, object]]
) -> ValidationError:
    """Pydantic's errors plus our own, in line order; pydantic-core re-prefixes the locs."""
    details: list[InitErrorDetails] = [_carry(error) for error in errors]
    details += [{"type": _fail(reason), "loc": loc, "input": raw} for loc, reason, raw in extra]
    details.sort(key=lambda d: d["loc"][0] if d["loc"] and isinstance(d["loc"][0], int) else -1)
    return ValidationError.from_exception_data("items", details)


def _carry(error: ErrorDetails) -> InitErrorDetails:
    """Re-raise an existing error unchanged in type, message and context."""
    ctx = error.get("ctx")
    return {
        "type": PydanticCustomError(error["type"], error["msg"], ctx),
        "loc": tuple(error["loc"]),
        "input": error["input"],
    }


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_FIXED_REASONS = {
    "missing": "is required",
    "extra_forbidden": "unknown field (not allowed)",
    "timezone_aware": _OFFSET_REASON,
    "string_type": "must be text",
    "string_too_short": "must not be empty",
    "list_type": "must be a list",
    **dict.fromkeys(("int_type", "int_parsing", "int_from_float"), "must be a whole number"),
    **dict.fromkeys(("bool_type", "bool_parsing"), "must be true or false"),
    **dict.fromkeys(("dict_type", "model_type", "model_attributes_type"), _OBJECT_REASON),
}
_CTX_REASONS: dict[str, Callable[[dict[str, Any]], str]] = {
    "literal_error": lambda ctx: f"must be one of {ctx['expected']}",
    "greater_than_equal": lambda ctx: f"must be >= {ctx['ge']}",
    "less_than_equal": lambda ctx: f"must be <= {ctx['le']}",
    "too_short": lambda ctx: (
        f"must contain at least {ctx['min_length']} item" + ("" if ctx["min_length"] == 1 else "s")
    ),
}


def _format_path(loc: Sequence[str | int]) -> str:
    """``("items", 1, "amount")`` -> ``items[1].amount``; odd keys as ``detail["a b"]``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _KEY.fullmatch(part):
            path += f".{part}" if path else part
        else:
            path += f"[{json.dumps(part, ensure_ascii=False)}]"
    return path


def _reason(error: ErrorDetails) -> str:
    """Plain-language reason for one pydantic error."""
    kind, ctx = error["type"], error.get("ctx", {})
    if kind in _FIXED_REASONS:
        return _FIXED_REASONS[kind]
    if kind in _CTX_REASONS:
        return _CTX_REASONS[kind](ctx)
    if kind.startswith("datetime"):
        return _DATETIME_REASON
    if kind.startswith("date"):
        return _DATE_REASON
    return error["msg"].removeprefix("Value error, ")


def problems_from_validation_error(err: ValidationError) -> list[Problem]:
    """Every pydantic error as a Problem, in document order, with a precise JSON path."""
    return [Problem(_format_path(e["loc"]), _reason(e)) for e in err.errors()]


def _parse_json(text: str | bytes) -> Any:
    """Parse JSON text, turning every failure into a ClaimValidationError at path ""."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
        return loads_strict(text)
    except json.JSONDecodeError as exc:
        reason = f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    except UnicodeDecodeError:
        reason = "not UTF-8 text"
    except RecursionError:
        reason = "nested too deeply"
    except ValueError as exc:  # StrictJsonError, or an integer with too many digits
        reason = str(exc)
    raise ClaimValidationError([Problem("", f"not valid JSON: {reason}")])


def load_claim(data: str | bytes | Mapping[str, Any]) -> Claim:
    """Parse and validate a claim, raising ClaimValidationError listing every problem."""
    if isinstance(data, str | bytes):
        parsed = _parse_json(data)
    elif isinstance(data, Mapping):
        parsed = dict(data)
    else:
        raise TypeError(f"load_claim expects JSON text or a mapping, not {type(data).__name__}")
    try:
        return Claim.model_validate(parsed)
    except ValidationError as exc:
        raise ClaimValidationError(problems_from_validation_error(exc)) from None


def claim_to_json_dict(claim: Claim) -> dict[str, Any]:
    """JSON-ready dict (amounts as "23000.00" strings); ``load_claim`` accepts it back."""
    return claim.model_dump(mode="json")
