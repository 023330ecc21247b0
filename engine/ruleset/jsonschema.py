"""The JSON Schema (draft 2020-12) of ruleset YAML, generated from :mod:`engine.ruleset.schema`.

The key tables there (``TOP``, ``RULE``, ``SLA`` ...) are the one description of the language:
the compiler checks files against them and this module turns them into the schema editors use
(``schemas/ruleset.schema.json``, named by the ``# yaml-language-server: $schema=...`` line at
the top of every ruleset file). Nothing here lists a key: every key, its kind, enum, required
flag and description comes from a :class:`~engine.ruleset.schema.Key`. What the tables cannot
say is declared once below: which section a list or map holds (``_SHAPES``) and the few value
constraints the compiler enforces in code (a non-empty ``legal_basis``, a positive duration).

Mapping of kinds: ``str`` → string or number (the compiler reads ``version: 1.0`` as text),
``int`` → integer, ``number`` → number, ``bool`` → boolean, ``expr`` → string, ``date`` → a
``YYYY-MM-DD`` string (YAML editors see dates as text), ``list``/``map`` → array/object of the
declared shape, ``any`` → anything. Every object is closed (``additionalProperties: false``)
so a misspelt key is flagged in the editor as it is by the compiler.

Main file and included files. ``ruleset.yaml`` holds the header (``ruleset``, ``version`` ...)
and may ``include:`` files holding only the ``INCLUDED`` sections (``rules``, ``tables`` ...).
Editors cannot know which kind a file is, so the root is a single object with every top-level
key, whose header keys become required as soon as the file has any key only a main file may
hold (``if`` one of them is present ``then`` require ``ruleset``, ``version`` ...). We chose
this over ``anyOf: [main, included]``: completion and hover read the root's ``properties``
directly, and an error names the missing key instead of "matches none of the alternatives".
What the schema cannot see (a ``ruleset.yaml`` holding only sections, an included file carrying a
complete header) the compiler reports.

Only keywords common to draft-07 and 2020-12 are used (``$defs`` is reached through plain JSON
pointers), because the YAML language server validates with a draft-07 engine. Pure: stdlib only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from engine.ruleset import schema as spec
from engine.ruleset.schema import Key

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_PATH = "schemas/ruleset.schema.json"

Schema = dict[str, Any]

# $defs name -> (key table, description of the object)
SECTIONS: dict[str, tuple[Mapping[str, Key], str]] = {
    "derive": (spec.DERIVE, "a derived fact, computed once per claim (or per line)"),
    "rule": (spec.RULE, "a compliance rule: when it applies, its outcome and its reason"),
    "table": (spec.TABLE, "a decision table (DMN hit policies unique, first, collect)"),
    "table_input": (spec.TABLE_INPUT, "an input column of a decision table"),
    "table_output": (spec.TABLE_OUTPUT, "an output column of a decision table"),
    "table_row": (spec.TABLE_ROW, "a row: input cells (omitted inputs match anything), outputs"),
    "benefit_step": (spec.STEP, "a cost-sharing step, applied to each payable line in order"),
    "step_reason": (spec.STEP_REASON, "the reason given when a step reduces what is paid"),
    "sla": (spec.SLA, "an SLA clock: a legal deadline counted on the claim's event timeline"),
    "sla_pause": (spec.SLA_PAUSE, "a pair of event types that pause and resume the clock"),
    "sla_extension": (spec.SLA_EXTENSION, "the event that extends the deadline, and its limit"),
    "calendar": (spec.CALENDAR, "the working-day calendar of the ruleset"),
    "event_type": (spec.EVENT_TYPE, "an event type a claim's timeline may carry"),
    "explain": (spec.EXPLAIN, "text for the member in Chinese and English"),
    "lifecycle": (spec.LIFECYCLE, "the claim's life: which timeline events may follow which"),
    "lifecycle_records": (
        spec.LIFECYCLE_RECORDS,
        "the event types the engine records on the timeline as the claim lives",
    ),
    "lifecycle_rule": (spec.LIFECYCLE_RULE, "what an event needs from the events before it"),
}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/$defs/{name}"}


def _array(items: Schema, **extra: Any) -> Schema:
    return {"type": "array", "items": items, **extra}


def _map(values: Schema) -> Schema:
    return {"type": "object", "additionalProperties": values}


_TEXT: Schema = {"type": ["string", "number"]}
_EVENTS: Schema = {"anyOf": [{"type": "string"}, _array({"type": "string"}, minItems=1)]}
_CITATIONS: Schema = _array({"type": "string", "minLength": 1}, minItems=1)
_ANYTHING: Schema = {}

# (section, key) -> the shape of its value where the kind alone does not say it. Section "ruleset"
# is the root (TOP); keys of the included files are the same keys, so they share these shapes.
_SHAPES: dict[tuple[str, str], Schema] = {
    ("ruleset", "include"): _array({"type": "string", "pattern": r"\.ya?ml$"}),
    ("ruleset", "derive"): _array(_ref("derive")),
    ("ruleset", "tables"): _array(_ref("table")),
    ("ruleset", "rules"): _array(_ref("rule")),
    ("ruleset", "benefit"): _array(_ref("benefit_step")),
    ("ruleset", "sla"): _array(_ref("sla")),
    ("ruleset", "events"): _array(_ref("event_type")),
    ("ruleset", "labels"): _map(_ref("explain")),
    ("ruleset", "calendar"): _ref("calendar"),
    ("rule", "codes"): _map(_TEXT),
    ("rule", "legal_basis"): _CITATIONS,
    ("rule", "explain"): _ref("explain"),
    ("table", "inputs"): _array(_ref("table_input"), minItems=1),
    ("table", "outputs"): _array(_ref("table_output"), minItems=1),
    ("table", "rows"): _array(_ref("table_row")),
    ("table", "default"): _map(_ANYTHING),
    ("table_row", "when"): _map(_ANYTHING),
    ("table_row", "then"): _map(_ANYTHING),
    ("benefit_step", "reason"): _ref("step_reason"),
    ("step_reason", "codes"): _map(_TEXT),
    ("step_reason", "legal_basis"): _CITATIONS,
    ("step_reason", "explain"): _ref("explain"),
    ("sla", "start_event"): _EVENTS,
    ("sla", "stop_event"): _EVENTS,
    ("sla", "restart_event"): _EVENTS,
    ("sla", "pause_events"): _array(_ref("sla_pause")),
    ("sla", "extension"): _ref("sla_extension"),
    ("sla", "duration"): {"type": "integer", "minimum": 1},
    ("sla", "due_soon"): {"type": "string", "pattern": r"^\s*\d+\s*[hd]\s*$"},
    ("sla", "legal_basis"): _CITATIONS,
    ("sla", "explain"): _ref("explain"),
    ("ruleset", "lifecycle"): _ref("lifecycle"),
    ("lifecycle", "before_received"): _array({"type": "string"}),
    ("lifecycle", "records"): _ref("lifecycle_records"),
    ("lifecycle", "rules"): _array(_ref("lifecycle_rule")),
    ("lifecycle_rule", "event"): _EVENTS,
    ("lifecycle_rule", "after"): _EVENTS,
    ("lifecycle_rule", "open"): _EVENTS,
    ("lifecycle_rule", "detail"): _array({"type": "string"}, minItems=1),
    ("explain", "zh"): {"type": "string", "pattern": r"\S"},
    ("explain", "en"): {"type": "string", "pattern": r"\S"},
}

_KINDS: dict[str, Schema] = {
    "str": _TEXT,
    "int": {"type": "integer"},
    "number": {"type": "number"},
    "bool": {"type": "boolean"},
    "expr": {"type": "string", "minLength": 1},
    "date": {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
    "list": {"type": "array"},
    "map": {"type": "object"},
    "any": _ANYTHING,
}


def value_schema(section: str, name: str, key: Key) -> Schema:
    """The schema of one key's value: its declared shape, else its kind; enum and doc added."""
    out = dict(_SHAPES.get((section, name), _KINDS[key.kind]))
    if key.enum:
        out = {"type": "string", "enum": list(key.enum)}
    if key.doc:
        out["description"] = key.doc
    return out


def object_schema(section: str, keys: Mapping[str, Key], description: str = "") -> Schema:
    """A closed object: every key of the table, the required ones required."""
    out: Schema = {
        "type": "object",
        "properties": {name: value_schema(section, name, key) for name, key in keys.items()},
        "additionalProperties": False,
    }
    required = [name for name, key in keys.items() if key.required]
    if required:
        out["required"] = required
    if description:
        out["description"] = description
    return out


def _step_requirements() -> list[Schema]:
    """A benefit step needs the key its kind reads (eligible → amount ...)."""
    return [
        {
            "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
            "then": {"required": [needed]},
        }
        for kind, needed in spec.STEP_KINDS.items()
    ]


def _root() -> Schema:
    """TOP with its header required only in a main file (see the module docstring)."""
    root = object_schema("ruleset", spec.TOP)
    header = root.pop("required", [])
    main_only = [name for name in spec.TOP if name not in spec.INCLUDED]
    root["if"] = {"anyOf": [{"required": [name]} for name in main_only]}
    root["then"] = {"required": header}
    return root


def ruleset_schema() -> Schema:
    """The whole JSON Schema as a dict."""
    defs = {name: object_schema(name, keys, doc) for name, (keys, doc) in SECTIONS.items()}
    defs["benefit_step"]["allOf"] = _step_requirements()
    # A lifecycle rule checks something: at least one of its check keys.
    defs["lifecycle_rule"]["anyOf"] = [{"required": [k]} for k in spec.LIFECYCLE_CHECKS]
    return {
        "$schema": DIALECT,
        "title": "Claims engine ruleset",
        "description": (
            "A ruleset file: ruleset.yaml (header and sections) or a file it includes "
            f"(only {', '.join(spec.INCLUDED)}). Generated from engine/ruleset/schema.py by "
            "`claims rules schema`; do not edit by hand."
        ),
        **_root(),
        "$defs": defs,
    }


def render_schema() -> str:
    """The committed form: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(ruleset_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
