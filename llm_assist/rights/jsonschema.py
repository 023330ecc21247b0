"""JSON Schemas of the rights knowledge base (``rights.yaml``) and its tests (``tests/cases.yaml``).

For editors: committed as ``schemas/rights.schema.json`` and ``schemas/rights-tests.schema.json``
(``claims rules schema --check`` keeps them current) and named by the
``# yaml-language-server: $schema=...`` line of the bundled files. Built from the reader's own
key tuples, so a key the loader accepts is a key the editor completes. The loader
(:mod:`llm_assist.rights.reader`) stays the authority: what a schema cannot know (that a reason
code or SLA node exists, that ``zh`` and ``en`` state the same numbers, unique ids) it checks,
and ``claims rules lint`` reports its diagnostics.
"""

from __future__ import annotations

import json
from typing import Any

from engine.ruleset.jsonschema import DIALECT
from llm_assist.rights.entries import CONDITION_KEYS, DECIDED_BY, OUTCOMES, SLA_STATUSES
from llm_assist.rights.reader import CASE_KEYS, ENTRY_KEYS

__all__ = [
    "RIGHTS_SCHEMA_PATH",
    "RIGHTS_TESTS_SCHEMA_PATH",
    "render_rights_schema",
    "render_rights_tests_schema",
    "rights_schema",
    "rights_tests_schema",
]

RIGHTS_SCHEMA_PATH = "schemas/rights.schema.json"
RIGHTS_TESTS_SCHEMA_PATH = "schemas/rights-tests.schema.json"

Schema = dict[str, Any]

_SNAKE = "^[a-z][a-z0-9_]*$"


def _keys(names: tuple[str, ...], described: dict[str, Schema]) -> dict[str, Schema]:
    """The reader's keys, in its order; a key without a schema here is a KeyError at once."""
    return {name: described[name] for name in names}


def _one_or_many(item: Schema, doc: str) -> Schema:
    return {
        "anyOf": [item, {"type": "array", "items": item, "minItems": 1}],
        "description": doc,
    }


def _closed(properties: dict[str, Schema], doc: str, **extra: Any) -> Schema:
    return {
        "type": "object",
        "description": doc,
        "properties": properties,
        "additionalProperties": False,
        **extra,
    }


def _text(doc: str) -> Schema:
    return {"type": "string", "minLength": 1, "description": doc}


def _conditions() -> Schema:
    statuses = {"enum": list(SLA_STATUSES), "description": "a clock status"}
    described = {
        "always": {"enum": [True], "description": "the reminder always applies"},
        "outcome": _one_or_many(
            {"enum": list(OUTCOMES), "description": "an outcome"}, "the decision's outcome(s)"
        ),
        "decided_by": _one_or_many(
            {"enum": list(DECIDED_BY), "description": "who decided"}, "rules or person"
        ),
        "automated": {"type": "boolean", "description": "the decision was made by rules alone"},
        "ruleset": _one_or_many(_text("a ruleset id"), "the ruleset id(s) of the decision"),
        "reason_codes": _one_or_many(_text("a reason code"), "any of these reason codes"),
        "sla": {
            "type": "object",
            "minProperties": 1,
            "description": "SLA node id -> its statuses, e.g. {limitation_watch: [due_soon]}",
            "additionalProperties": _one_or_many(statuses, "the clock's statuses"),
        },
    }
    return _closed(
        _keys(CONDITION_KEYS, described),
        "when the reminder applies: AND across keys, OR within a list",
        minProperties=1,
    )


def rights_schema() -> Schema:
    """The JSON Schema of a rights file (``rulesets/rights/*.yaml``), as a dict."""
    entry = _keys(
        ENTRY_KEYS,
        {
            "id": {"type": "string", "pattern": _SNAKE, "description": "a snake_case id"},
            "zh": _text("the reminder in Chinese; numbers in digits, the same as in en"),
            "en": _text("the reminder in English; numbers in digits, the same as in zh"),
            "source": _one_or_many(_text("a citation"), "the law or clause it rests on"),
            "applies_when": {"$ref": "#/$defs/applies_when"},
        },
    )
    return {
        "$schema": DIALECT,
        "title": "Member-rights knowledge base",
        "description": (
            "Member-rights reminders (rulesets/rights/rights.yaml). Generated from "
            "llm_assist/rights/jsonschema.py by `claims rules schema`; do not edit by hand."
        ),
        **_closed(
            {"entries": {"type": "array", "items": {"$ref": "#/$defs/entry"}}},
            "the entries, in the order they are shown",
            required=["entries"],
        ),
        "$defs": {
            "entry": _closed(entry, "one reminder", required=list(ENTRY_KEYS)),
            "applies_when": _conditions(),
        },
    }


def rights_tests_schema() -> Schema:
    """The JSON Schema of the rights selection tests (``rulesets/rights/tests/cases.yaml``)."""
    case = _keys(
        CASE_KEYS,
        {
            "name": _text("what the case shows"),
            "decision": {
                "type": "object",
                "description": "a partial decision JSON: outcome, automated, ruleset, reasons, sla",
            },
            "decided_by": {"enum": list(DECIDED_BY), "description": "rules (default) or person"},
            "expect": {
                "type": "array",
                "items": {"type": "string"},
                "description": "the exact list of entry ids selected, in file order",
            },
        },
    )
    return {
        "$schema": DIALECT,
        "title": "Member-rights selection tests",
        "description": (
            "Selection tests of the rights knowledge base. Generated from "
            "llm_assist/rights/jsonschema.py by `claims rules schema`; do not edit by hand."
        ),
        **_closed(
            {"cases": {"type": "array", "items": {"$ref": "#/$defs/case"}}},
            "the cases",
            required=["cases"],
        ),
        "$defs": {"case": _closed(case, "one case", required=["name", "decision", "expect"])},
    }


def _render(schema: Schema) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_rights_schema() -> str:
    return _render(rights_schema())


def render_rights_tests_schema() -> str:
    return _render(rights_tests_schema())
