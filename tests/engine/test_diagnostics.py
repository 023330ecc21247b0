"""One diagnostics vocabulary: the DiagnosticCode enum, the docs table and every code emitted
agree, and a code nobody declared cannot be emitted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.diagnostics import DiagnosticCode, UnknownDiagnosticCodeError
from engine.errors import Diagnostic, DiagnosticBag

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" / "diagnostics.md"
CODE = re.compile(r"""["']([EW]-[A-Z][A-Z-]*[A-Z])["']""")
ROW = re.compile(r"^\| ([EW]-[A-Z][A-Z-]*[A-Z]) \| ([a-z, ]+) \|", re.MULTILINE)


def documented() -> dict[str, set[str]]:
    """Code -> what it applies to (ruleset, tests, rights), from the docs table."""
    rows = ROW.findall(DOCS.read_text(encoding="utf-8"))
    table = {code: {part.strip() for part in where.split(",")} for code, where in rows}
    assert len(table) == len(rows), "a code is listed twice in docs/diagnostics.md"
    return table


def emitted_in_source() -> set[str]:
    """Every code string written in the packages (the compiler, linters, the rights loader)."""
    found: set[str] = set()
    for package in ("engine", "llm_assist", "api"):
        for path in (REPO / package).rglob("*.py"):
            found |= set(CODE.findall(path.read_text(encoding="utf-8")))
    return found


def test_the_docs_table_lists_exactly_the_codes_of_the_enum() -> None:
    table = documented()
    assert set(table) == {c.value for c in DiagnosticCode}
    assert all(where <= {"ruleset", "tests", "rights"} and where for where in table.values())


def test_every_code_emitted_anywhere_is_declared_and_documented() -> None:
    emitted = emitted_in_source()
    assert {"E-PATH", "E-SCHEMA", "E-REF", "E-NUMBERS", "W-TABLE-GAP"} <= emitted
    assert emitted <= {c.value for c in DiagnosticCode}
    assert emitted <= set(documented())


def test_code_strings_are_a_contract() -> None:
    assert DiagnosticCode.PATH == "E-PATH"
    assert DiagnosticCode.LIFECYCLE_CYCLE.value == "E-LIFECYCLE-CYCLE"
    assert DiagnosticCode.TABLE_GAP.value == "W-TABLE-GAP"


def test_a_diagnostic_stores_its_code_as_the_enum_and_prints_the_same_text() -> None:
    found = Diagnostic("error", "E-PATH", "unknown fact 'x'", "r.yaml", 3, 7, "did you mean y?")

    assert found.code is DiagnosticCode.PATH
    assert str(found) == "r.yaml:3:7: error E-PATH: unknown fact 'x' (did you mean y?)"
    assert found.to_dict()["code"] == "E-PATH"
    assert type(found.to_dict()["code"]) is str


def test_an_undeclared_code_cannot_be_emitted() -> None:
    bag = DiagnosticBag()
    with pytest.raises(UnknownDiagnosticCodeError, match=r"E-NOPE.*docs/diagnostics\.md"):
        bag.error("E-NOPE", "something", file="r.yaml", line=1, column=1)
    assert bag.items == []
