"""The value types of a decision, how a part is built, and the canonical JSON text.

Values keep their JSON form where a richer type would not round-trip byte for byte: instants
and dates are the ISO 8601 text the engine wrote (in the ruleset's time zone, with the offset
it had: ``+00:00``, never ``Z``; an offset with seconds, as old dates in some zones have, is
kept too), while amounts are ``Decimal`` with exactly two places, written as strings.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from engine.outcome import Scope

__all__ = [
    "FROZEN",
    "Amount",
    "Day",
    "Explanation",
    "Instant",
    "Scope",
    "canonical_json",
    "optional_field",
    "trusted",
]

_AMOUNT_TEXT = re.compile(r"(?:0|[1-9][0-9]*)\.[0-9]{2}")
_AMOUNT_PATTERN = f"^{_AMOUNT_TEXT.pattern}$"
_INSTANT_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
    r"[+-][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?$"
)
_DAY_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _amount(value: object) -> Decimal:
    """An amount as the engine writes it: two places, never negative, never a float."""
    if isinstance(value, str) and _AMOUNT_TEXT.fullmatch(value):
        return Decimal(value)
    if (
        isinstance(value, Decimal)
        and value.is_finite()
        and value.as_tuple().exponent == -2
        and not value.is_signed()
    ):
        return value
    raise PydanticCustomError(
        "decision_amount",
        "must be a non-negative amount with exactly two decimal places, as a string "
        '(e.g. "3648.40")',
    )


def _amount_text(value: Decimal) -> str:
    return f"{value:.2f}"


Amount = Annotated[
    Decimal,
    BeforeValidator(_amount),
    PlainSerializer(_amount_text, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": _AMOUNT_PATTERN, "examples": ["3648.40"]}),
]
"""Money in a decision: a ``Decimal`` with two places; JSON form ``"3648.40"``."""

Instant = Annotated[
    str,
    StringConstraints(pattern=_INSTANT_PATTERN),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": _INSTANT_PATTERN,
            "examples": ["2025-07-01T09:00:00+08:00"],
        }
    ),
]
"""An ISO 8601 date-time with its UTC offset, exactly as the engine wrote it."""

Day = Annotated[
    str,
    StringConstraints(pattern=_DAY_PATTERN),
    WithJsonSchema(
        {"type": "string", "format": "date", "pattern": _DAY_PATTERN, "examples": ["2025-07-23"]}
    ),
]
"""An ISO 8601 calendar date (``YYYY-MM-DD``)."""

#: Every part of a decision is immutable and refuses unknown keys (reading one back is lossless).
FROZEN = ConfigDict(frozen=True, extra="forbid")


class Explanation(BaseModel):
    """A sentence for the member, in Chinese and in English, with the facts filled in."""

    model_config = FROZEN

    zh: str = Field(description="Chinese (简体中文)")
    en: str = Field(description="English")


def _unset(value: object) -> bool:
    return value is None


def optional_field(*, description: str) -> Any:
    """A field added after decisions were first written: ``None`` by default and absent from
    the JSON form while ``None`` (:mod:`engine.decision`), so older decisions keep their
    bytes."""
    return Field(default=None, exclude_if=_unset, description=description)


_M = TypeVar("_M", bound=BaseModel)


class _Shape:
    """What :func:`trusted` needs of a model class, worked out once per class."""

    __slots__ = ("count", "defaults", "names", "order")

    def __init__(self, cls: type[BaseModel]) -> None:
        fields = cls.__pydantic_fields__
        self.defaults = {
            name: field.get_default(call_default_factory=True)
            for name, field in fields.items()
            if not field.is_required()
        }
        self.order = tuple(fields)
        self.count = len(fields)
        # Every field is set, so one set of names serves every instance: these models are
        # frozen (pydantic adds to the set only on assignment, which they refuse), and
        # model_copy copies the set before adding to it.
        self.names = set(fields)


_SHAPES: dict[type[BaseModel], _Shape] = {}
# What model_construct sets besides __dict__, as the slot setters of BaseModel (the cheapest
# way to set them: these models are frozen, so their own __setattr__ refuses).
_new = object.__new__
_set_dict = object.__setattr__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def trusted(cls: type[_M], /, **values: Any) -> _M:
    """``cls.model_construct(**values)`` for values the engine made itself: every required
    field given under its own name and of its declared type (tuples for sequences), in the
    order of the fields (a dump follows it), nothing else; defaults filled in. Nothing is
    validated (:mod:`engine.decision` says why); it costs ~0.5 µs where ``model_construct``
    costs ~2 µs."""
    shape = _SHAPES.get(cls)
    if shape is None:
        shape = _SHAPES[cls] = _Shape(cls)
    if len(values) < shape.count:  # defaults filled in field order: a dump follows it
        values = {name: values.get(name, shape.defaults.get(name)) for name in shape.order}
    model = _new(cls)
    _set_dict(model, "__dict__", values)
    _set_fields_set(model, shape.names)
    _set_extra(model, None)
    _set_private(model, None)
    return model


def _json_default(value: object) -> object:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"{type(value).__name__} is not JSON")


def canonical_json(value: object) -> str:
    """Canonical text of a decision (or of any JSON value, models included): sorted keys,
    no spaces, UTF-8 kept. Hash this."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    )
