"""The JSON Schema of ruleset YAML: generated from the key tables, committed, and matching
every bundled ruleset file (main and included files alike)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

from engine.outcome import OUTCOMES
from engine.ruleset import schema as spec
from engine.ruleset.jsonschema import SCHEMA_PATH, render_schema, ruleset_schema
from tests.engine.factories import REPO, RULESET_HEADER

COMMITTED = REPO / SCHEMA_PATH
MODELINE = "# yaml-language-server: $schema=../../schemas/ruleset.schema.json"
RULESET_FILES = sorted(
    p for p in (REPO / "rulesets").glob("*/*.yaml") if (p.parent / "ruleset.yaml").is_file()
)  # rulesets/rights/ is the member-rights knowledge base, not a ruleset


def as_json(value: Any) -> Any:
    """What a YAML editor sees: dates stay text (YAML 1.2 has no timestamp type)."""
    if isinstance(value, dict):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def load(text: str) -> Any:
    return as_json(YAML(typ="safe", pure=True).load(io.StringIO(text)))


def problems(document: Any) -> list[str]:
    validator = Draft202012Validator(ruleset_schema())
    return sorted(
        f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in validator.iter_errors(document)
    )


RULE = """\
rules:
  - id: r1
    title: A rule
    when: claim_type == "medical_expense"
    outcome: deny
    reason_code: X-1
    legal_basis: ["Policy contract"]
    explain: {zh: 中文, en: English}
"""


def test_the_committed_schema_is_the_generated_one() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render_schema(), (
        "schemas/ruleset.schema.json is stale: run "
        "`claims rules schema --output schemas/ruleset.schema.json`"
    )


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = ruleset_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_rendering_is_stable() -> None:
    text = render_schema()
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert '\n  "$defs": {\n' in text  # sorted keys, 2-space indent
    assert render_schema() == text


def test_every_section_key_of_the_tables_is_in_the_schema() -> None:
    schema = ruleset_schema()
    assert set(schema["properties"]) == set(spec.TOP)
    defs = schema["$defs"]
    for name, table in [("rule", spec.RULE), ("sla", spec.SLA), ("table_row", spec.TABLE_ROW)]:
        assert set(defs[name]["properties"]) == set(table)
        assert defs[name]["required"] == [k for k, key in table.items() if key.required]
        assert defs[name]["additionalProperties"] is False
    assert defs["rule"]["properties"]["outcome"]["enum"] == list(OUTCOMES)
    assert defs["rule"]["properties"]["when"]["description"] == spec.RULE["when"].doc


def _loose(node: Any, path: str = "") -> list[str]:
    """Arrays without ``items`` and objects without (additional) properties: shapes forgotten."""
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "array" and "items" not in node:
            found.append(path)
        if node.get("type") == "object" and not {"properties", "additionalProperties"} & set(node):
            found.append(path)
        for key, value in node.items():
            found += _loose(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _loose(value, f"{path}/{index}")
    return found


def test_every_list_and_map_key_has_a_declared_shape() -> None:
    assert _loose(ruleset_schema()) == []


@pytest.mark.parametrize("path", RULESET_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_bundled_ruleset_file_validates(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == MODELINE
    assert problems(load(text)) == []


def test_bundled_files_cover_main_and_included_files() -> None:
    names = {p.name for p in RULESET_FILES}
    assert {"ruleset.yaml", "sla.yaml", "tables.yaml", "benefit.yaml"} <= names


def test_a_complete_main_file_validates() -> None:
    assert problems(load(RULESET_HEADER + RULE)) == []


def test_an_unknown_key_fails() -> None:
    found = problems(
        load(RULESET_HEADER + RULE.replace("    outcome:", "    outcom: deny\n    outcome:"))
    )
    assert found == ["rules/0: Additional properties are not allowed ('outcom' was unexpected)"]


def test_an_unknown_top_level_key_fails() -> None:
    assert problems(load(RULESET_HEADER + "hitpolicy: first\n")) == [
        ": Additional properties are not allowed ('hitpolicy' was unexpected)"
    ]


def test_a_bad_enum_fails() -> None:
    found = problems(load(RULESET_HEADER + RULE.replace("outcome: deny", "outcome: reject")))
    assert len(found) == 1 and found[0].startswith("rules/0/outcome: 'reject' is not one of")


def test_a_bad_sla_unit_fails() -> None:
    sla = """\
sla:
  - id: s
    title: S
    start_event: claim_received
    stop_event: [claim_decided]
    duration: 30
    unit: days
    breach_action: escalate
    legal_basis: [x]
    explain: {zh: 中文, en: English}
"""
    found = problems(load(sla))
    assert len(found) == 1 and found[0].startswith("sla/0/unit: 'days' is not one of")


def test_a_missing_required_key_fails() -> None:
    found = problems(load(RULESET_HEADER + RULE.replace("    reason_code: X-1\n", "")))
    assert found == ["rules/0: 'reason_code' is a required property"]


def test_an_included_file_needs_no_header() -> None:
    assert problems(load(RULE)) == []


def test_a_header_key_makes_the_file_a_main_file() -> None:
    found = problems(load("version: 1.0.0\n" + RULE))
    assert found == [
        ": 'jurisdiction' is a required property",
        ": 'ruleset' is a required property",
        ": 'timezone' is a required property",
    ]


def test_a_benefit_step_needs_the_key_of_its_kind() -> None:
    step = "benefit:\n  - {id: e, kind: eligible, remaining: line.amount}\n"
    assert problems(load(step)) == ["benefit/0: 'amount' is a required property"]


def test_empty_legal_basis_and_empty_explanation_fail() -> None:
    bad = RULE.replace('["Policy contract"]', "[]").replace("en: English", "en: ' '")
    found = problems(load(RULESET_HEADER + bad))
    assert [f.split(":")[0] for f in found] == ["rules/0/explain/en", "rules/0/legal_basis"]


def test_a_lifecycle_rule_checks_something_and_records_only_known_roles() -> None:
    lifecycle = """\
lifecycle:
  received: claim_received
  records: {decided: claim_decided, refunded: refund}
  rules:
    - {id: r, event: claim_decided}
"""
    found = problems(load(lifecycle))
    assert found == [
        "lifecycle/records: Additional properties are not allowed ('refunded' was unexpected)",
        "lifecycle/rules/0: {'id': 'r', 'event': 'claim_decided'} is not valid under any of the "
        "given schemas",
    ]
