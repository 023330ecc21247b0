"""Static analysis of decision tables: overlaps (an error in a ``unique`` table) and gaps.

Each input gets a finite set of probe values that stands for every equivalence class the
cells can tell apart: the enum values (or the literals named plus one value named nowhere)
for strings, true/false for booleans, and for numbers every boundary a cell names plus the
points just below and above it (numbers have at most 6 decimal places, so ±0.000001 is the
nearest other value). Every combination of probes is matched against the rows; with at
most ``MAX_POINTS`` combinations this is exhaustive over the classes, not a sample.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine.expression.numbers import PLACES
from engine.expression.types import T
from engine.ruleset.ir import CellTest, Table
from engine.ruleset.source import Where
from engine.ruleset.tables import cell_matches

MAX_POINTS = 20_000
STEP = Decimal(1).scaleb(-PLACES)
_OTHER = "\x00a value no cell names"


@dataclass(frozen=True)
class Finding:
    severity: str
    code: str
    message: str
    where: Where | None
    suggestion: str = ""


def analyze_table(table: Table) -> list[Finding]:
    probes = [
        _probes(i.expr.type, [row.tests[n] for row in table.rows])
        for n, i in enumerate(table.inputs)
    ]
    if any(p is None for p in probes) or _size(probes) > MAX_POINTS:
        return []
    findings: list[Finding] = []
    overlaps: set[tuple[int, int]] = set()
    gap_reported = False
    for point in itertools.product(*[p for p in probes if p is not None]):
        hits = [
            n
            for n, row in enumerate(table.rows)
            if all(cell_matches(t, v) for t, v in zip(row.tests, point, strict=True))
        ]
        if table.hit_policy == "unique" and len(hits) > 1 and (hits[0], hits[1]) not in overlaps:
            overlaps.add((hits[0], hits[1]))
            findings.append(
                Finding(
                    "error",
                    "E-TABLE-OVERLAP",
                    f"rows #{hits[0] + 1} and #{hits[1] + 1} of unique table '{table.id}' both "
                    f"match {_show(table, point)}",
                    table.rows[hits[1]].where,
                    "make the rows exclusive, or use hit_policy: first",
                )
            )
        if (
            not hits
            and not gap_reported
            and table.default is None
            and table.hit_policy != "collect"
        ):
            gap_reported = True
            findings.append(
                Finding(
                    "warning",
                    "W-TABLE-GAP",
                    f"no row of table '{table.id}' matches {_show(table, point)}",
                    table.where,
                    "add a row for it, or a default",
                )
            )
    return findings


def _size(probes: list[list[Any] | None]) -> int:
    size = 1
    for p in probes:
        size *= len(p or [1])
    return size


def _probes(t: T, tests: list[CellTest]) -> list[Any] | None:
    values = [v for test in tests for v in _values(test)]
    if t.kind == "bool":
        return [True, False]
    if t.kind == "string":
        if t.enum:
            return list(t.enum)
        named = sorted({v for v in values if isinstance(v, str)})
        return [*named, _OTHER]
    if t.kind == "number":
        bounds = sorted({v for v in values if isinstance(v, Decimal)})
        points = {p for b in bounds for p in (b - STEP, b, b + STEP)}
        return sorted(points) or [Decimal(0)]
    return None


def _values(test: CellTest) -> list[Any]:
    if test.op == "any":
        return []
    if test.op in ("in", "range"):
        return list(test.value)
    return [test.value]


def _show(table: Table, point: tuple[Any, ...]) -> str:
    shown = []
    for table_input, value in zip(table.inputs, point, strict=True):
        text = (
            "another value"
            if value == _OTHER
            else (str(value).lower() if isinstance(value, bool) else str(value))
        )
        shown.append(f"{table_input.name}={text}")
    return ", ".join(shown)
