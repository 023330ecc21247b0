"""`claims rules lint` reports a ruleset's test files as it reports the ruleset: each problem at
its file:line:col with a code and a suggestion, without running a case; and the schema editors
use for test files says the same as the linter (checked against the ``jsonschema`` package)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

from engine.ruleset.lint import lint_ruleset
from engine.ruleset.schema_check import check_schema
from engine.ruleset.yaml_loader import load_round_trip
from engine.ruleset_tests.jsonschema import TESTS_SCHEMA_PATH
from engine.ruleset_tests.jsonschema import tests_schema as schema_of_tests
from engine.ruleset_tests.lint import BUILT_IN_RULES
from engine.ruleset_tests.shapes import CASE_KEYS, EXPECT_KEYS, FILE_KEYS
from tests.engine.factories import REPO

TEST_FILES = sorted((REPO / "rulesets").glob("*/tests/*.yaml"))
RULESET_TEST_FILES = [p for p in TEST_FILES if (p.parents[1] / "ruleset.yaml").is_file()]
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")

BROKEN = """\
base: claims/outpatient.json
as_of: 2025-07-01T09:00:00
cases:
  - name: one
    expect:
      outcom: approve
      fired: [small_claim_fast_trak]
      amounts: {payable: 448.40}
  - name: two
    base: claims/missing.json
    set: {"items[x]": 1}
    expect: {outcome: approved, sla: {determinaton: {status: running}}}
  - expect: {}
"""


def copy_ruleset(tmp_path: Path, name: str = "cn-health") -> Path:
    """A copy laid out as in the repository, so ``../../../examples`` bases resolve."""
    root = tmp_path / "rulesets" / name
    shutil.copytree(REPO / "rulesets" / name, root)
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    return root


def test_a_broken_test_file_is_reported_problem_by_problem_at_its_position(
    tmp_path: Path,
) -> None:
    root = copy_ruleset(tmp_path)
    (root / "tests" / "broken.yaml").write_text(BROKEN, encoding="utf-8")

    found = [d for d in lint_ruleset(root, display="r") if d.file == "r/tests/broken.yaml"]

    assert [(d.line, d.column, d.code) for d in found] == [
        (2, 8, "E-SCHEMA"),
        (6, 7, "E-SCHEMA"),
        (7, 15, "E-REF"),
        (8, 26, "E-SCHEMA"),
        (10, 11, "E-FILE"),
        (11, 11, "E-SCHEMA"),
        (12, 23, "E-ENUM"),
        (12, 39, "E-REF"),
        (13, 13, "E-SCHEMA"),
    ]
    said = [f"{d.message} | {d.suggestion}" for d in found]
    assert said[0] == "as_of needs a UTC offset, e.g. 2025-07-01T09:00:00+08:00 | "
    assert said[1] == "unknown key 'outcom' in cases[0].expect | did you mean outcome?"
    assert said[2].endswith(
        "'small_claim_fast_trak' does not exist | did you mean small_claim_fast_track?"
    )
    assert said[3].startswith("'cases[0].expect.amounts.payable' must be text, not a number")
    assert "claims/missing.json" in said[4]
    assert "'items[x]' is not a path" in said[5]
    assert said[6].endswith("| did you mean approve?")
    assert said[7] == "sla: clock 'determinaton' does not exist | did you mean determination?"
    assert said[8].startswith("'cases[2].expect' must not be empty")
    assert all(d.severity == "error" for d in found)


def test_lint_names_the_missing_base_and_as_of_of_a_case(tmp_path: Path) -> None:
    root = copy_ruleset(tmp_path)
    text = "cases:\n  - name: x\n    expect: {outcome: deny}\n"
    (root / "tests" / "bare.yaml").write_text(text, encoding="utf-8")

    found = [d for d in lint_ruleset(root, display="r") if d.file == "r/tests/bare.yaml"]

    assert [(d.line, d.column, d.code, d.message) for d in found] == [
        (2, 5, "E-SCHEMA", "no base: set 'base' in the file or the case"),
        (2, 5, "E-SCHEMA", "no as_of: set 'as_of' in the file or the case"),
    ]


def test_invalid_yaml_in_a_test_file_is_one_diagnostic(tmp_path: Path) -> None:
    root = copy_ruleset(tmp_path)
    (root / "tests" / "bad.yaml").write_text("cases:\n  - name: [x\n", encoding="utf-8")

    found = [d for d in lint_ruleset(root, display="r") if d.file == "r/tests/bad.yaml"]

    assert [d.code for d in found] == ["E-YAML"]
    assert found[0].line >= 2


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_bundled_test_file_names_its_schema_for_editors(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    match = MODELINE.match(first)
    assert match, f"{path}: first line must be the yaml-language-server $schema line"
    assert (path.parent / match.group(1)).resolve().is_file()
    if path in RULESET_TEST_FILES:
        assert (path.parent / match.group(1)).resolve() == REPO / TESTS_SCHEMA_PATH


def as_json(value: Any) -> Any:
    """What a YAML editor sees: dates stay text."""
    if isinstance(value, dict):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def test_the_schema_is_valid_and_every_bundled_test_file_matches_it() -> None:
    Draft202012Validator.check_schema(schema_of_tests())
    validator = Draft202012Validator(schema_of_tests())
    for path in RULESET_TEST_FILES:
        data = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
        assert list(validator.iter_errors(as_json(data))) == [], path


def test_lint_knows_the_engine_s_built_in_timeline_rules() -> None:
    from engine.ruleset_tests.timeline_cases import BUILT_IN

    assert frozenset(BUILT_IN) == BUILT_IN_RULES


def test_the_schema_knows_every_key_the_runner_accepts() -> None:
    schema = schema_of_tests()
    assert set(schema["properties"]) == set(FILE_KEYS)
    assert set(schema["$defs"]["case"]["properties"]) == set(CASE_KEYS)
    assert set(schema["$defs"]["expect"]["properties"]) == set(EXPECT_KEYS)


# Mutations of a real test file's data: the walker and jsonschema must agree on validity.
SAMPLE = YAML(typ="safe", pure=True).load(
    (REPO / "rulesets" / "cn-health" / "tests" / "small-claims.yaml").read_text(encoding="utf-8")
)
JUNK = st.sampled_from(["high", 3, 4.5, True, None, [], {}, ["x"], {"k": 1}, "approve", ""])
KEYS = st.sampled_from([*FILE_KEYS, *CASE_KEYS, *EXPECT_KEYS, "outcom", "fird", "amounts"])


def _containers(value: Any, found: list[Any]) -> list[Any]:
    if isinstance(value, dict | list):
        found.append(value)
        for child in value.values() if isinstance(value, dict) else value:
            _containers(child, found)
    return found


def _junk(draw: st.DrawFn) -> Any:
    # a copy: a later mutation must never change the list or dict JUNK itself holds
    return json.loads(json.dumps(draw(JUNK)))


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    data = json.loads(json.dumps(as_json(SAMPLE)))
    for _ in range(draw(st.integers(1, 3))):
        target = draw(st.sampled_from(_containers(data, [])))
        if isinstance(target, dict) and target and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(target)))
            if draw(st.booleans()):
                del target[key]
            else:
                target[key] = _junk(draw)
        elif isinstance(target, dict):
            target[draw(KEYS)] = _junk(draw)
        elif target:
            target[draw(st.integers(0, len(target) - 1))] = _junk(draw)
    return data


@settings(max_examples=60, deadline=None)
@given(mutated())
def test_the_linter_and_jsonschema_agree_on_what_is_valid(data: Any) -> None:
    buffer = io.StringIO()
    YAML().dump(data, buffer)
    loaded = load_round_trip(buffer.getvalue())

    ours = check_schema(loaded, schema_of_tests(), "t.yaml")
    theirs = list(Draft202012Validator(schema_of_tests()).iter_errors(as_json(data)))

    assert bool(ours) == bool(theirs), ([str(d) for d in ours], [e.message for e in theirs])
    assert all(d.line >= 1 and d.column >= 1 and d.code in ("E-SCHEMA", "E-ENUM") for d in ours)
