"""`claims rules lint`: one broken-ruleset fixture per diagnostic code, each reporting exactly
its code at its line and column; the bundled rulesets lint clean."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from api.cli import main
from engine.ruleset.lint import lint_ruleset

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "lint"
CASES = sorted(p for p in FIXTURES.iterdir() if p.is_dir())


def expected_of(folder: Path) -> list[tuple[str, str, int, int]]:
    rows = YAML(typ="safe").load((folder / "expected.yaml").read_text(encoding="utf-8"))
    return [(r["code"], r["file"], r["line"], r["column"]) for r in rows]


def test_there_is_a_fixture_for_every_code_documented_for_rulesets() -> None:
    from tests.engine.test_diagnostics import documented

    for_rulesets = {code for code, where in documented().items() if "ruleset" in where}
    assert len(CASES) >= 15
    assert for_rulesets == {p.name for p in CASES}


@pytest.mark.parametrize("folder", CASES, ids=[p.name for p in CASES])
def test_fixture_reports_exactly_its_code_at_its_position(folder: Path) -> None:
    shown = f"tests/fixtures/lint/{folder.name}"
    found = lint_ruleset(folder, display=shown)

    got = [(d.code, Path(d.file).name, d.line, d.column) for d in found]
    assert got == expected_of(folder), "\n".join(str(d) for d in found)
    assert {d.code for d in found} == {folder.name}
    assert all(d.message and d.file.startswith(shown) for d in found)


def test_bundled_rulesets_lint_clean_and_json_is_for_tools() -> None:
    result = CliRunner().invoke(main, ["rules", "lint", str(REPO / "rulesets"), "--format", "json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == []


def test_lint_exits_1_on_errors_with_file_line_column_and_suggestion() -> None:
    folder = FIXTURES / "E-SCHEMA"
    result = CliRunner().invoke(main, ["rules", "lint", str(folder)])

    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert re.match(r".*/E-SCHEMA/ruleset\.yaml:14:5: error E-SCHEMA: unknown key 'prority'", first)
    assert "(did you mean priority?)" in first
    assert result.output.splitlines()[-1] == "1 ruleset(s): 1 error(s), 0 warning(s)"


def test_warnings_alone_do_not_fail_lint() -> None:
    result = CliRunner().invoke(main, ["rules", "lint", str(FIXTURES / "W-TABLE-GAP")])

    assert result.exit_code == 0
    assert "warning W-TABLE-GAP: no row of table 't' matches level=other" in result.output


def test_files_are_mapped_to_the_ruleset_that_owns_them_for_pre_commit() -> None:
    touched = [
        str(REPO / "rulesets/cn-health/tests/cases.yaml"),
        str(REPO / "rulesets/cn-health/sla.yaml"),
        str(REPO / "rulesets/us-erisa/ruleset.yaml"),
    ]
    result = CliRunner().invoke(main, ["rules", "lint", *touched])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "2 ruleset(s): 0 error(s), 0 warning(s)"
