"""Checking YAML read with positions against a JSON Schema, each problem at its file:line:col.

Why our own walker and not the ``jsonschema`` package: the lint path must start fast and
report ruamel positions, did-you-mean suggestions and our diagnostic codes, and the schemas we
write (``schemas/*.schema.json`` for test files and the rights file) use a small subset of the
language. Supported: ``type`` (a name or a list), ``enum``, ``properties``,
``additionalProperties`` (false or a schema), ``required``, ``items``, ``minItems``,
``minProperties``, ``minLength``, ``pattern``, ``anyOf`` and local ``$ref``
(``#/$defs/name``); other keywords (``description``, ``title``, ``examples``) are ignored.
``tests/engine/test_schema_check.py`` checks that this walker and ``jsonschema`` agree on
whether a document is valid.

Kinds as a YAML editor sees them: a YAML date or date-time is text (``string``), a boolean is
never an integer. Codes: ``E-ENUM`` for a value outside an ``enum``, ``E-SCHEMA`` otherwise.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine.diagnostics import DiagnosticCode
from engine.errors import Diagnostic
from engine.expression.types import suggest
from engine.ruleset.source import Where, key_where, node_where, value_where

__all__ = ["check_schema"]

Schema = Mapping[str, Any]

_KINDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


def check_schema(data: Any, schema: Schema, file: str) -> list[Diagnostic]:
    """Every way ``data`` (ruamel round-trip data) breaks ``schema``, in document order."""
    walker = _Walker(schema, file)
    walker.check(data, schema, "", node_where(file, data))
    return sorted(walker.found, key=lambda d: (d.line, d.column))


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float | Decimal):
        return "number"
    if isinstance(value, str | dt.date):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return "unknown"


def _kind_fits(value: Any, kind: str) -> bool:
    found = _kind_of(value)
    return found == kind or (kind == "number" and found == "integer")


@dataclass
class _Walker:
    root: Schema
    file: str

    def __post_init__(self) -> None:
        self.found: list[Diagnostic] = []

    def error(self, code: DiagnosticCode, message: str, where: Where, suggestion: str = "") -> None:
        self.found.append(
            Diagnostic("error", code, message, where.file, where.line, where.column, suggestion)
        )

    def resolve(self, schema: Schema) -> Schema:
        while "$ref" in schema:
            name = str(schema["$ref"]).removeprefix("#/$defs/")
            schema = self.root["$defs"][name]
        return schema

    def check(self, value: Any, schema: Schema, path: str, where: Where) -> None:
        schema = self.resolve(schema)
        if "anyOf" in schema:
            self.any_of(value, schema, path, where)
            return
        kinds = schema.get("type")
        wanted = [kinds] if isinstance(kinds, str) else list(kinds or [])
        if wanted and not any(_kind_fits(value, k) for k in wanted):
            shown = " or ".join(_KINDS.get(k, k) for k in wanted)
            hint = str(schema.get("description", ""))
            found = _KINDS.get(_kind_of(value), "this")
            self.error(
                DiagnosticCode.SCHEMA,
                f"'{path or 'the file'}' must be {shown}, not {found}",
                where,
                hint,
            )
            return
        self.scalar(value, schema, path, where)
        if isinstance(value, Mapping):
            self.mapping(value, schema, path, where)
        elif isinstance(value, list):
            self.sequence(value, schema, path, where)

    def any_of(self, value: Any, schema: Schema, path: str, where: Where) -> None:
        options = [self.resolve(s) for s in schema["anyOf"]]
        trials = []
        for option in options:
            probe = _Walker(self.root, self.file)
            probe.check(value, option, path, where)
            if not probe.found:
                return
            trials.append((option, probe.found))
        # report the alternative of the value's kind: its errors say most
        same_kind = [
            found
            for option, found in trials
            if "type" in option and _kind_fits(value, str(option["type"]))
        ]
        if same_kind:
            self.found += same_kind[0]
            return
        hint = str(schema.get("description", ""))
        self.error(DiagnosticCode.SCHEMA, f"'{path}' has the wrong kind of value", where, hint)

    def scalar(self, value: Any, schema: Schema, path: str, where: Where) -> None:
        if "enum" in schema and value not in schema["enum"]:
            allowed = [str(v) for v in schema["enum"]]
            self.error(
                DiagnosticCode.ENUM,
                f"'{path}': '{value}' is not one of {', '.join(allowed)}",
                where,
                suggest(str(value), allowed),
            )
        if not isinstance(value, str):
            return
        if len(value) < int(schema.get("minLength", 0)):
            self.error(DiagnosticCode.SCHEMA, f"'{path}' must not be empty", where)
        pattern = schema.get("pattern")
        if pattern is not None and not re.search(str(pattern), value):
            hint = str(schema.get("description", ""))
            self.error(DiagnosticCode.SCHEMA, f"'{path}': '{value}' is not valid here", where, hint)

    def mapping(self, value: Mapping[Any, Any], schema: Schema, path: str, where: Where) -> None:
        properties: Mapping[str, Schema] = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        shown = path or "the file"
        for name in schema.get("required", []):
            if name not in value:
                hint = str(properties.get(name, {}).get("description", ""))
                self.error(DiagnosticCode.SCHEMA, f"missing '{name}' in {shown}", where, hint)
        if len(value) < int(schema.get("minProperties", 0)):
            self.error(DiagnosticCode.SCHEMA, f"'{shown}' must not be empty", where)
        for key in value:
            inner = f"{path}.{key}" if path else str(key)
            at = value_where(self.file, value, key)
            if key in properties:
                self.check(value[key], properties[key], inner, at)
            elif extra is False:
                hint = suggest(str(key), list(properties)) or f"allowed: {', '.join(properties)}"
                self.error(
                    DiagnosticCode.SCHEMA,
                    f"unknown key '{key}' in {shown}",
                    key_where(self.file, value, key),
                    hint,
                )
            elif isinstance(extra, Mapping):
                self.check(value[key], extra, inner, at)

    def sequence(self, value: list[Any], schema: Schema, path: str, where: Where) -> None:
        if len(value) < int(schema.get("minItems", 0)):
            self.error(DiagnosticCode.SCHEMA, f"'{path}' must not be empty", where)
        items = schema.get("items")
        if isinstance(items, Mapping):
            for index, item in enumerate(value):
                at = value_where(self.file, value, index)
                self.check(item, items, f"{path}[{index}]", at)
