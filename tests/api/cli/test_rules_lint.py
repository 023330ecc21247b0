"""`claims rules lint rulesets` covers everything a rule author writes: rulesets, their test
files and the member-rights knowledge base, each problem as file:line:col, code, suggestion."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from api.cli import main
from tests.engine.factories import REPO


def copy_rulesets(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "rulesets", tmp_path / "rulesets")
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    return tmp_path / "rulesets"


def lint(*args: str) -> tuple[int, list[dict[str, object]]]:
    result = CliRunner().invoke(main, ["rules", "lint", *args, "--format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.stdout)


def test_rights_problems_are_reported_by_lint_with_their_position(tmp_path: Path) -> None:
    root = copy_rulesets(tmp_path)
    rights = root / "rights" / "rights.yaml"
    text = rights.read_text(encoding="utf-8")
    text = text.replace(
        "within 30 days; we pay within 10 days", "within 31 days; we pay within 10 days"
    )
    text = text.replace("      outcome: [deny, partial]", "      outcom: [deny, partial]", 1)
    rights.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    en_line = next(i for i, t in enumerate(lines, 1) if "within 31 days" in t)
    key_line = next(i for i, t in enumerate(lines, 1) if "outcom: [deny" in t)

    code, found = lint(str(root))

    assert code == 1
    got = [(d["code"], d["line"], d["column"]) for d in found]
    assert got == [("E-NUMBERS", en_line, 9), ("E-SCHEMA", key_line, 7)]
    assert all(str(d["file"]).endswith("rights/rights.yaml") for d in found)
    assert found[1]["suggestion"] == "did you mean outcome?"


def test_rights_test_cases_are_linted_too(tmp_path: Path) -> None:
    root = copy_rulesets(tmp_path)
    cases = root / "rights" / "tests" / "cases.yaml"
    text = cases.read_text(encoding="utf-8").replace("regulator_hotline]", "regulator_hotlin]", 1)
    cases.write_text(text, encoding="utf-8")

    code, found = lint(str(root / "rights"))

    assert code == 1
    assert [(d["code"], d["suggestion"]) for d in found] == [
        ("E-REF", "did you mean regulator_hotline?")
    ]
    assert str(found[0]["file"]).endswith("rights/tests/cases.yaml") and found[0]["line"] > 1


def test_a_file_inside_the_rights_folder_lints_the_folder(tmp_path: Path) -> None:
    """pre-commit passes the files a commit touches."""
    root = copy_rulesets(tmp_path)
    result = CliRunner().invoke(main, ["rules", "lint", str(root / "rights" / "rights.yaml")])

    assert result.exit_code == 0, result.output
    assert result.output.endswith("0 ruleset(s) and 1 rights folder(s): 0 error(s), 0 warning(s)\n")


def test_a_broken_test_file_fails_lint_in_text_form(tmp_path: Path) -> None:
    root = copy_rulesets(tmp_path)
    broken = root / "us-erisa" / "tests" / "cases.yaml"
    text = broken.read_text(encoding="utf-8").replace("outcome:", "outcom:", 1)
    broken.write_text(text, encoding="utf-8")

    result = CliRunner().invoke(main, ["rules", "lint", str(root)])

    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert "/us-erisa/tests/cases.yaml:" in first
    assert "error E-SCHEMA: unknown key 'outcom'" in first and "(did you mean outcome?)" in first
