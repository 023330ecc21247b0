"""The JSON Schema of ruleset test files (``rulesets/<id>/tests/*.yaml``), for editors and lint.

Built from the key tuples of :mod:`engine.ruleset_tests.shapes` (the runner's own vocabulary),
so a key the runner accepts is a key the schema completes. Committed as
``schemas/ruleset-tests.schema.json`` (``claims rules schema --check`` keeps it current) and
named by the ``# yaml-language-server: $schema=...`` line of every bundled test file;
``claims rules lint`` checks test files against it (:mod:`engine.ruleset_tests.lint`).

What a schema cannot know (that a rule id in ``fired`` exists, that the base claim file is
there, that ``as_of`` has a UTC offset) the linter checks beside it. Same dialect notes as
:mod:`engine.ruleset.jsonschema`: only keywords common to draft-07 and 2020-12.
"""

from __future__ import annotations

import json
from typing import Any

from engine.outcome import OUTCOMES
from engine.ruleset.jsonschema import DIALECT
from engine.ruleset_tests.shapes import (
    AMOUNT_KEYS,
    CASE_KEYS,
    EXPECT_KEYS,
    FILE_KEYS,
    LANGUAGES,
    SLA_KEYS,
    SLA_STATUSES,
)

__all__ = ["TESTS_SCHEMA_PATH", "render_tests_schema", "tests_schema"]

TESTS_SCHEMA_PATH = "schemas/ruleset-tests.schema.json"

Schema = dict[str, Any]

_DATE_TIME = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$"
_AMOUNT = r"^-?\d+(\.\d+)?$"


def _text(doc: str, **extra: Any) -> Schema:
    return {"type": "string", "description": doc, **extra}


def _texts(doc: str) -> Schema:
    return {"type": "array", "items": {"type": "string"}, "description": doc}


def _closed(properties: dict[str, Schema], doc: str, **extra: Any) -> Schema:
    return {
        "type": "object",
        "description": doc,
        "properties": properties,
        "additionalProperties": False,
        **extra,
    }


def _amount(name: str) -> Schema:
    return _text(f'{name}, a quoted amount such as "3648.40"', pattern=_AMOUNT)


def _as_of(doc: str) -> Schema:
    return _text(doc + ", with a UTC offset: 2025-07-01T09:00:00+08:00", pattern=_DATE_TIME)


def _keys(names: tuple[str, ...], described: dict[str, Schema]) -> dict[str, Schema]:
    """The runner's keys, in its order; a key without a schema here is a KeyError at once."""
    return {name: described[name] for name in names}


def _defs() -> dict[str, Schema]:
    amounts = {name: _amount(name) for name in AMOUNT_KEYS}
    outcome = {"enum": list(OUTCOMES), "description": "approve, partial, deny, pend or refer"}
    clock = _keys(
        SLA_KEYS,
        {
            "status": {"enum": list(SLA_STATUSES), "description": "the clock's status"},
            "started_at": {"type": ["string", "null"], "description": "an instant, quoted"},
            "due_at": {"type": ["string", "null"], "description": "an instant, quoted"},
            "due_date": _text("the due date, YYYY-MM-DD"),
            "stopped_at": {"type": ["string", "null"], "description": "an instant, quoted"},
            "extended_by": {"type": "integer", "description": "days of extension taken"},
        },
    )
    timeline = {
        "anyOf": [
            {"enum": ["accepted"], "description": "the change is accepted"},
            _closed(
                {
                    "refused": _text("the lifecycle rule id that refuses the change"),
                    "index": {"type": "integer", "description": "the refused event's position"},
                },
                "the change is refused by this lifecycle rule",
                required=["refused"],
            ),
        ],
        "description": "accepted, or {refused: RULE_ID, index: N}",
    }
    expect = _keys(
        EXPECT_KEYS,
        {
            "outcome": outcome,
            "reasons": _texts("the exact multiset of reason codes, order-insensitive"),
            "fired": _texts("the exact set of rule and benefit-step ids that applied"),
            "not_fired": _texts("rule ids that must not apply"),
            "amounts": _closed(amounts, "a subset of decision.amounts, as quoted strings"),
            "lines": {
                "type": "object",
                "description": "per line id: outcome, reason_codes and amounts",
                "additionalProperties": {"$ref": "#/$defs/line"},
            },
            "explanation_contains": _closed(
                {lang: {"anyOf": [_text("a text"), _texts("texts")]} for lang in LANGUAGES},
                "texts each reason's explanation must contain, per language",
            ),
            "sla": {
                "type": "object",
                "description": "per SLA clock id: status, due_date, extended_by and instants",
                "additionalProperties": _closed(clock, "checks of one SLA clock"),
            },
            "error": _text("the claim must be rejected with a message containing this"),
            "timeline": timeline,
        },
    )
    case = _keys(
        CASE_KEYS,
        {
            "name": _text("what the case shows", minLength=1),
            "base": _text("another base claim JSON for this case, relative to the test file"),
            "patch": {"type": "object", "description": "an RFC 7396 merge patch of the base claim"},
            "set": {
                "type": "object",
                "description": 'path assignments such as "items[1].category": dental',
            },
            "as_of": _as_of("overrides the file's as_of"),
            "add": _closed(
                {
                    "type": _text("the event type"),
                    "at": _as_of("when it happened"),
                    "detail": {"type": "object", "description": "the event's detail"},
                    "backdated": {"type": "object", "description": "a backdated event's record"},
                    "void": {"type": "object", "description": "a voiding event's record"},
                },
                "an event added to the claim's timeline (checked by expect.timeline)",
                required=["type", "at"],
            ),
            "void": {"type": "integer", "description": "the position of an event to void"},
            "expect": {"$ref": "#/$defs/expect"},
        },
    )
    line = {"outcome": outcome, "reason_codes": _texts("the line's reason codes"), **amounts}
    return {
        "case": _closed(
            case, "one case: a base claim, its changes and what to expect", required=["expect"]
        ),
        "expect": _closed(expect, "at least one check", minProperties=1),
        "line": _closed(line, "checks of one line"),
    }


def tests_schema() -> Schema:
    """The whole JSON Schema of a ruleset test file, as a dict."""
    root = _keys(
        FILE_KEYS,
        {
            "base": _text("the base claim JSON, relative to this test file", minLength=1),
            "as_of": _as_of("the cases' default evaluation time"),
            "cases": {"type": "array", "items": {"$ref": "#/$defs/case"}, "minItems": 1},
        },
    )
    return {
        "$schema": DIALECT,
        "title": "Claims engine ruleset tests",
        "description": (
            "A ruleset test file (rulesets/<id>/tests/*.yaml), run by `claims rules test`. "
            "Generated from engine/ruleset_tests/jsonschema.py by `claims rules schema`; do "
            "not edit by hand."
        ),
        **_closed(root, "base, as_of and the cases", required=["cases"]),
        "$defs": _defs(),
    }


def render_tests_schema() -> str:
    """The committed form: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(tests_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
