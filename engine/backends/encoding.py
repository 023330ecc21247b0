"""Exact encoding of fact values for durable-rules, which stores numbers as doubles.

Numbers become integers scaled by 10**6 (every number a rule sees has at most 6 places, see
``engine.expression.numbers``), dates their proleptic ordinal, datetimes epoch microseconds,
booleans 1/0. Doubles hold integers exactly up to 2**53; a value beyond that is refused with
a BackendError instead of being silently rounded.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from engine.errors import BackendError
from engine.expression.numbers import MAX_SCALED, SCALE

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def encode(value: Any) -> Any:
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, int | Decimal):
        return _scaled(value)
    if isinstance(value, dt.datetime):
        return (value - _EPOCH) // dt.timedelta(microseconds=1)
    if isinstance(value, dt.date):
        return value.toordinal()
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items() if v is not None}
    return value


def _scaled(value: int | Decimal) -> int:
    scaled: int | Decimal = value * SCALE
    if isinstance(scaled, Decimal):
        if scaled != scaled.to_integral_value():
            raise BackendError("durable", f"number {value} has more than 6 decimal places")
        scaled = int(scaled)
    if abs(scaled) >= MAX_SCALED:
        raise BackendError("durable", f"number {value} is too large to compare exactly")
    return scaled
