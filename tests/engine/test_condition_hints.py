"""Condition errors say what to do, at the exact line and column of the mistake: what authors
bring from spreadsheets and other languages (``=``, ``50,000``, ``item[0]``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.ruleset.lint import lint_ruleset
from tests.engine.factories import REPO

FIXTURE = REPO / "tests" / "fixtures" / "lint" / "E-EXPR"
WHEN = "policy.deductible ** 2 > 1"  # line 9 of the fixture; the expression starts at col 11


def lint_when(tmp_path: Path, expression: str) -> list[tuple[str, int, int, str, str]]:
    root = tmp_path / "r"
    shutil.copytree(FIXTURE, root)
    path = root / "ruleset.yaml"
    text = path.read_text(encoding="utf-8")
    assert WHEN in text
    path.write_text(text.replace(WHEN, expression), encoding="utf-8")
    found = [d for d in lint_ruleset(root, display="r") if d.file == "r/ruleset.yaml"]
    return [(d.code, d.line, d.column, d.message, d.suggestion) for d in found]


@pytest.mark.parametrize(
    ("expression", "column", "message", "suggestion"),
    [
        ('claim_type = "inpatient"', 22, "'=' is not a comparison", "did you mean '=='?"),
        (
            'claim_type == "inpatient" and policy.status = "in_force"',
            55,
            "'=' is not a comparison",
            "did you mean '=='?",
        ),
        (
            "claimed_total > 50,000",
            27,
            "'50,000': numbers have no thousands separator",
            "write 50000",
        ),
        (
            "claimed_total > 1,250,000.50",
            27,
            "'1,250,000.50': numbers have no thousands separator",
            "write 1250000.50",
        ),
        ("claimed_total > 0,5", 27, "'0,5': numbers use a decimal point", "write 0.5"),
        (
            "item[0].amount > 100",
            11,
            "'item[0]': a condition cannot pick a list element by index",
            "did you mean items? read a list with any(items, .field == ...), all(...), count(...)"
            " or sum(...)",
        ),
        (
            "items[1].amount > 100",
            11,
            "'items[1]': a condition cannot pick a list element by index",
            "read a list with any(items, .field == ...), all(...), count(...) or sum(...)",
        ),
    ],
)
def test_a_condition_mistake_is_reported_where_it_is_with_what_to_write(
    tmp_path: Path, expression: str, column: int, message: str, suggestion: str
) -> None:
    assert lint_when(tmp_path, expression) == [("E-EXPR", 9, column, message, suggestion)]


def test_commas_inside_lists_and_calls_stay_what_they_are(tmp_path: Path) -> None:
    found = lint_when(tmp_path, 'claim_type in ["medical_expense","property"] and max(1,2) > 0')
    # W-HOISTED (the durable backend computes max() in Python) is not about the commas
    assert [f for f in found if f[0] != "W-HOISTED"] == []
