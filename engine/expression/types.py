"""Static types of facts and expressions.

Fact types are derived from the pydantic ``Claim`` model (never written twice by hand), then
extended with the ruleset's derived facts. The checker uses them to reject, at compile time,
a date compared with a number, an unknown path (with a "did you mean"), a string compared
with a value outside its enum, or an optional fact used without ``exists``/``coalesce``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import types
import typing
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from engine.errors import EngineError


@dataclass(frozen=True)
class T:
    kind: str  # number | date | datetime | string | bool | list | record | null | any
    elem: T | None = None
    fields: tuple[tuple[str, T], ...] = ()
    optional: bool = False
    enum: tuple[str, ...] = ()
    open: bool = False  # a record whose keys are not known (free-form ``detail``)

    def field(self, name: str) -> T | None:
        for key, value in self.fields:
            if key == name:
                return value
        return ANY if self.open else None

    def with_field(self, name: str, value: T) -> T:
        kept = tuple((k, v) for k, v in self.fields if k != name)
        return T(self.kind, self.elem, (*kept, (name, value)), self.optional, self.enum, self.open)

    def required(self) -> T:
        return T(self.kind, self.elem, self.fields, False, self.enum, self.open)

    def nullable(self) -> T:
        return T(self.kind, self.elem, self.fields, True, self.enum, self.open)

    def __str__(self) -> str:
        base = f"list of {self.elem}" if self.kind == "list" and self.elem else self.kind
        return f"optional {base}" if self.optional else base


NUMBER = T("number")
DATE = T("date")
DATETIME = T("datetime")
STRING = T("string")
BOOL = T("bool")
NULL = T("null")
ANY = T("any")


def list_of(elem: T) -> T:
    return T("list", elem=elem)


def record(fields: dict[str, T]) -> T:
    return T("record", fields=tuple(fields.items()))


def compatible(a: T, b: T) -> bool:
    """Whether values of the two types may be compared with each other."""
    if "any" in (a.kind, b.kind) or "null" in (a.kind, b.kind):
        return True
    if a.kind == "list" and b.kind == "list":
        return a.elem is None or b.elem is None or compatible(a.elem, b.elem)
    return a.kind == b.kind


def type_of_annotation(annotation: Any) -> T:
    """Map a pydantic field annotation to a fact type."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_of_annotation(args[0])
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        base = type_of_annotation(inner[0]) if len(inner) == 1 else ANY
        return base.nullable() if type(None) in args else base
    if origin is typing.Literal:
        return T("string", enum=tuple(str(a) for a in args))
    if origin in (list, tuple, typing.Sequence):
        return list_of(type_of_annotation(args[0]) if args else ANY)
    if origin in (dict, typing.Mapping):
        return T("record", open=True)
    return _type_of_class(annotation)


def _type_of_class(cls: Any) -> T:
    if cls is bool:
        return BOOL
    if cls in (int, float, Decimal):
        return NUMBER
    if cls is dt.datetime:
        return DATETIME
    if cls is dt.date:
        return DATE
    if cls is str:
        return STRING
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        return model_type(cls)
    if getattr(cls, "__name__", "") == "AwareDatetime":
        return DATETIME
    return ANY


def model_type(model: type[BaseModel]) -> T:
    fields = {
        name: type_of_annotation(info.annotation) for name, info in model.model_fields.items()
    }
    return record(fields)


def suggest(name: str, candidates: list[str]) -> str:
    match = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f"did you mean {match[0]}?" if match else ""


@dataclass
class TypeIssue(EngineError):
    message: str
    col: int
    suggestion: str = ""
    code: str = "E-TYPE"


@dataclass
class Scope:
    """What names an expression can see: facts, the quantifier item stack, tables."""

    facts: T
    items: list[T] = field(default_factory=list)
    tables: dict[str, T] = field(default_factory=dict)

    def all_paths(self, base: T | None = None, prefix: str = "") -> list[str]:
        node = base or self.facts
        out: list[str] = []
        for key, value in node.fields:
            path = f"{prefix}{key}"
            out.append(path)
            if value.kind == "record":
                out.extend(self.all_paths(value, path + "."))
        return out
