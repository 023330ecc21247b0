"""Exact number semantics shared by every backend.

Numbers are ``int`` or ``Decimal``. Every arithmetic result is rounded half-even to
``PLACES`` decimal places. Why: the durable-rules backend compares numbers as scaled
integers (its own numbers are doubles), and it can only agree with the native backend
byte for byte if every number a rule can see has a bounded, known scale.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

PLACES = 6
SCALE = 10**PLACES
_QUANTUM = Decimal(1).scaleb(-PLACES)
# Doubles represent integers exactly up to 2**53; scaled numbers must stay inside.
MAX_SCALED = 2**53


def quantize(value: Any) -> Any:
    """Round a Decimal to PLACES; ints and other values pass through unchanged."""
    if isinstance(value, Decimal):
        rounded = value.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)
        return rounded
    return value


def too_precise(value: Decimal) -> bool:
    exponent = value.as_tuple().exponent
    return isinstance(exponent, int) and exponent < -PLACES


def canonical_number(value: int | Decimal) -> int | str:
    """JSON form: ints stay numbers; Decimals become strings with at least 2 places."""
    if isinstance(value, bool | int):
        return value
    text = format(value.normalize(), "f") if value == value.to_integral_value() else None
    if text is not None:
        return f"{int(value)}.00" if "." not in text else text
    places = max(2, -int(value.normalize().as_tuple().exponent))
    return format(value.quantize(Decimal(1).scaleb(-places)), "f")
