"""Exact money and rate types for claims, plus the display helpers decisions use.

Why Decimal and strings: binary floats cannot hold 0.10 exactly, and a claim decision must be
byte-identical on replay, so amounts are parsed once into ``Decimal`` with exactly two places
and written back to JSON as strings (``"23000.00"``), never as JSON numbers.

Why reject instead of round on input: an invoice amount such as ``1.005`` is a data error
(the payer would silently gain or lose a fen); only values that already fit are accepted.
``quantize_money`` is for amounts the engine *computes* (e.g. 860.50 x 0.80).
"""

from __future__ import annotations

import math
import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Literal

from pydantic import BeforeValidator, PlainSerializer
from pydantic_core import PydanticCustomError

__all__ = [
    "MONEY_MAX",
    "Currency",
    "Money",
    "Rate",
    "format_date",
    "format_money",
    "quantize_money",
]

CENT = Decimal("0.01")
_RATE_QUANTUM = Decimal("0.0001")
# Why a ceiling: unbounded input can overflow Decimal's context (quantize raises) and the
# rule backends compare numbers as doubles scaled by 10**6, exact only below 2**53 (~9e9).
MONEY_MAX = Decimal("999999999.99")
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_EXAMPLE = 'such as "23000.00"'
_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_CURRENCY_ZH = {"CNY": "元", "USD": "美元"}


def _fail(reason: str) -> PydanticCustomError:
    """A pydantic error whose message is exactly ``reason``, so it reaches users unchanged."""
    return PydanticCustomError("claim_value", "{reason}", {"reason": reason})


def _from_text(text: str) -> Decimal:
    """Only plain decimals: exponents, underscores, spaces and non-ASCII digits are typos."""
    if _PLAIN_DECIMAL.fullmatch(text):
        return Decimal(text)
    try:
        parsed = Decimal(text.strip())
    except InvalidOperation:
        parsed = Decimal(0)
    if not parsed.is_finite():
        raise _fail("must be a finite number (NaN and Infinity are not allowed)")
    raise _fail(f"must be a plain decimal number {_EXAMPLE}")


def _to_decimal(value: object) -> Decimal:
    """Accept str, int, float (via ``str()``, so 0.1 stays 0.1) and Decimal; never bool."""
    if isinstance(value, bool):
        raise _fail(f"must be a number {_EXAMPLE}, not true/false")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        # Why clamp: str() of a huge int raises; any value this large fails the range checks.
        sign = 1 if value > 0 else -1
        result = Decimal(value) if abs(value) <= 10**20 else Decimal(sign).scaleb(21)
    elif isinstance(value, float):
        result = Decimal(str(value)) if math.isfinite(value) else Decimal("NaN")
    elif isinstance(value, str):
        result = _from_text(value)
    else:
        raise _fail(f"must be a number or a decimal string {_EXAMPLE}")
    if not result.is_finite():
        raise _fail("must be a finite number (NaN and Infinity are not allowed)")
    return result


def _has_places(value: Decimal, quantum: Decimal) -> bool:
    """True when ``value`` loses nothing at ``quantum`` (1.500 fits 0.01, 1.005 does not)."""
    return value.quantize(quantum, rounding=ROUND_HALF_UP) == value


def _parse_money(value: object) -> Decimal:
    """Validate an amount and return it with exactly two decimal places."""
    amount = _to_decimal(value)
    if amount < 0:
        raise _fail("must be >= 0")
    if amount > MONEY_MAX:
        raise _fail(f"must be at most {MONEY_MAX:,}")
    if not _has_places(amount, CENT):
        raise _fail("must have at most 2 decimal places")
    return quantize_money(amount) if amount != 0 else Decimal("0.00")


def _parse_rate(value: object) -> Decimal:
    """Validate a share in [0, 1]; canonical form keeps 2 to 4 places ("0.8" -> "0.80")."""
    rate = _to_decimal(value)
    if not 0 <= rate <= 1:
        raise _fail("must be between 0 and 1")
    if not _has_places(rate, _RATE_QUANTUM):
        raise _fail("must have at most 4 decimal places")
    if rate == 0:
        return Decimal("0.00")
    reduced = rate.quantize(_RATE_QUANTUM).normalize()
    exponent = reduced.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        return reduced.quantize(CENT)
    return reduced


def _money_text(value: Decimal) -> str:
    return format(value, ".2f")


def _rate_text(value: Decimal) -> str:
    return format(value, "f")


Currency = Literal["CNY", "USD"]
"""The currencies claims (and so decisions) are in: ISO 4217 codes."""

Money = Annotated[
    Decimal,
    BeforeValidator(_parse_money),
    PlainSerializer(_money_text, return_type=str, when_used="json"),
]
"""A non-negative amount with exactly two decimals; JSON form is a string ("23000.00")."""

Rate = Annotated[
    Decimal,
    BeforeValidator(_parse_rate),
    PlainSerializer(_rate_text, return_type=str, when_used="json"),
]
"""A share between 0 and 1 with at most four decimals; JSON form is a string ("0.80")."""


def quantize_money(d: Decimal) -> Decimal:
    """Round a computed amount to the fen, half up (the convention on Chinese invoices)."""
    return d.quantize(CENT, rounding=ROUND_HALF_UP)


def _language(lang: str) -> str:
    """Primary subtag of a language tag: "zh-CN" -> "zh"; only zh and en are supported."""
    primary = lang.replace("_", "-").split("-", 1)[0].lower()
    if primary not in ("zh", "en"):
        raise ValueError(f"unsupported language {lang!r}: use 'zh' or 'en'")
    return primary


def format_money(d: Decimal, lang: str, currency: str = "CNY") -> str:
    """Amount for member-facing text: zh "1,234.50元", en "CNY 1,234.50"."""
    text = f"{quantize_money(d):,.2f}"
    if _language(lang) == "zh":
        return f"{text}{_CURRENCY_ZH.get(currency, currency)}"
    return f"{currency} {text}"


def format_date(d: date, lang: str) -> str:
    """Date for member-facing text without locale state: zh "2025年6月12日", en "12 June 2025"."""
    if _language(lang) == "zh":
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d.day} {_MONTHS_EN[d.month - 1]} {d.year}"
