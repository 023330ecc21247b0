"""Decision tables (DMN semantics): compile cells into unary tests, evaluate a hit policy.

Cell syntax (a YAML value in a row's ``when``): ``-`` or an omitted input matches anything;
a plain value tests equality; a list tests membership; a string starting with an operator
(``"< 100"``, ``">= 0.5"``, ``"!= grade3"``) compares; ``"[0..100)"`` tests a range with
``[``/``]`` inclusive and ``(``/``)`` exclusive bounds.

Hit policies: ``unique`` (exactly one row may match; two is an error), ``first`` (the first
matching row in order), ``collect`` (a list of every matching row's outputs). No match
yields ``default`` if declared, otherwise an evaluation error naming the inputs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.errors import EvaluationError
from engine.expression.native import Compiled, NativeCompiler
from engine.expression.types import BOOL, NUMBER, STRING, Scope, T, list_of, record, suggest
from engine.ruleset.context import CompileContext
from engine.ruleset.ir import CellTest, Table, TableInput, TableRow
from engine.ruleset.schema import TABLE, TABLE_INPUT, TABLE_OUTPUT, TABLE_ROW

_RANGE = re.compile(r"^\s*([\[\(])\s*(\S+)\s*\.\.\s*(\S+)\s*([\]\)])\s*$")
_OPERATOR = re.compile(r"^\s*(<=|>=|!=|==|<|>)\s*(.+?)\s*$")
OUTPUT_TYPES = {"number": NUMBER, "string": STRING, "bool": BOOL}


def _scalar(text: str) -> Any:
    try:
        return Decimal(text)
    except InvalidOperation:
        return text.strip("\"'")


def parse_cell(value: Any) -> CellTest | None:
    """Unary test of one cell; ``None`` if the cell cannot be understood."""
    if value is None or value == "-":
        return CellTest("any")
    if isinstance(value, bool):
        return CellTest("==", value, text=str(value).lower())
    if isinstance(value, int | float):
        return CellTest("==", Decimal(str(value)), text=str(value))
    if isinstance(value, list):
        return CellTest("in", tuple(_normal(v) for v in value), text=str(list(value)))
    text = str(value)
    if m := _RANGE.match(text):
        low, high = _scalar(m.group(2)), _scalar(m.group(3))
        if not isinstance(low, Decimal) or not isinstance(high, Decimal):
            return None
        return CellTest("range", (low, high), m.group(1) == "[", m.group(4) == "]", text)
    if m := _OPERATOR.match(text):
        return CellTest(m.group(1), _scalar(m.group(2)), text=text)
    return CellTest("==", text, text=text)


def _normal(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    return value


def _cell_values(test: CellTest) -> list[Any]:
    if test.op == "any":
        return []
    if test.op in ("in", "range"):
        return list(test.value)
    return [test.value]


def cell_type_problem(test: CellTest, input_type: T) -> str:
    """Why a cell can never match its input's type ("" if it can)."""
    for value in _cell_values(test):
        kind = (
            "bool"
            if isinstance(value, bool)
            else ("number" if isinstance(value, Decimal) else "string")
        )
        if input_type.kind not in (kind, "any"):
            return f"'{test.text}' is a {kind} but the input is a {input_type.kind}"
        if input_type.enum and kind == "string" and value not in input_type.enum:
            return (
                f"'{value}' is never a value of this input (one of: {', '.join(input_type.enum)})"
            )
    if test.op in ("<", "<=", ">", ">=", "range") and input_type.kind not in ("number", "any"):
        return f"'{test.text}' compares order, but the input is a {input_type.kind}"
    return ""


def cell_matches(test: CellTest, value: Any) -> bool:
    if test.op == "any":
        return True
    if value is None:
        return False
    if test.op == "in":
        return bool(value in test.value)
    if test.op == "range":
        low, high = test.value
        above = value >= low if test.low_inclusive else value > low
        below = value <= high if test.high_inclusive else value < high
        return bool(above and below)
    try:
        return bool(_OPS[test.op](value, test.value))
    except TypeError:
        return False


_OPS: dict[str, Any] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def compile_table(
    ctx: CompileContext, data: Any, index: int, scope: Scope, where_list: Any
) -> Table | None:
    where = ctx.at(where_list, index)
    if not ctx.check_keys(data, TABLE, f"table #{index + 1}", where):
        return None
    inputs = _inputs(ctx, data.get("inputs"), scope)
    outputs = _outputs(ctx, data.get("outputs"))
    if inputs is None or outputs is None or "hit_policy" not in data:
        return None
    rows = _rows(ctx, data.get("rows"), inputs, outputs, str(data.get("id")))
    default = None
    if isinstance(data.get("default"), dict):
        default = tuple(_normal(data["default"].get(name)) for name, _ in outputs)
    return Table(
        str(data["id"]),
        str(data["hit_policy"]),
        tuple(inputs),
        tuple(outputs),
        tuple(rows),
        default,
        where,
    )


def _inputs(ctx: CompileContext, raw: Any, scope: Scope) -> list[TableInput] | None:
    if not isinstance(raw, list):
        return None
    out = []
    for i, item in enumerate(raw):
        if (
            ctx.check_keys(item, TABLE_INPUT, f"table input #{i + 1}", ctx.at(raw, i))
            and "name" in item
            and "expr" in item
        ):
            expr = ctx.expression(item, "expr", scope)
            if expr is not None:
                out.append(TableInput(str(item["name"]), expr))
    return out if len(out) == len(raw) else None


def _outputs(ctx: CompileContext, raw: Any) -> list[tuple[str, T]] | None:
    if not isinstance(raw, list) or not raw:
        return None
    out = []
    for i, item in enumerate(raw):
        if (
            ctx.check_keys(item, TABLE_OUTPUT, f"table output #{i + 1}", ctx.at(raw, i))
            and "name" in item
            and str(item.get("type")) in OUTPUT_TYPES
        ):
            out.append((str(item["name"]), OUTPUT_TYPES[str(item["type"])]))
    return out if len(out) == len(raw) else None


def _rows(
    ctx: CompileContext,
    raw: Any,
    inputs: list[TableInput],
    outputs: list[tuple[str, T]],
    table_id: str,
) -> list[TableRow]:
    rows: list[TableRow] = []
    names = [i.name for i in inputs]
    for i, row in enumerate(raw if isinstance(raw, list) else []):
        where = ctx.at(raw, i)
        if not ctx.check_keys(row, TABLE_ROW, f"row #{i + 1} of table {table_id}", where):
            continue
        cells = row.get("when") or {}
        tests = []
        for name in cells:
            if name not in names:
                ctx.bag.error(
                    "E-TABLE",
                    f"row #{i + 1} tests unknown input '{name}'",
                    **ctx.at(cells, name).kw(),
                    suggestion=f"inputs: {', '.join(names)}",
                )
        for name, table_input in zip(names, inputs, strict=True):
            test = parse_cell(cells.get(name))
            if test is not None and (problem := cell_type_problem(test, table_input.expr.type)):
                ctx.bag.error(
                    "E-TABLE",
                    f"row #{i + 1}, input '{name}': {problem}",
                    **ctx.at(cells, name).kw(),
                    suggestion=suggest(str(test.value), list(table_input.expr.type.enum)),
                )
                test = CellTest("any")
            if test is None:
                ctx.bag.error(
                    "E-TABLE",
                    f"cannot read cell '{cells.get(name)}'",
                    **ctx.at(cells, name).kw(),
                    suggestion='write a value, "-", "< 10" or "[1..5]"',
                )
                test = CellTest("any")
            tests.append(test)
        then = row.get("then") or {}
        missing = [n for n, _ in outputs if n not in then]
        if missing:
            ctx.bag.error(
                "E-TABLE", f"row #{i + 1} has no value for output(s) {missing}", **where.kw()
            )
        rows.append(TableRow(tuple(tests), tuple(_normal(then.get(n)) for n, _ in outputs), where))
    return rows


def table_type(table: Table) -> T:
    single = table.outputs[0][1] if len(table.outputs) == 1 else record(dict(table.outputs))
    return list_of(single) if table.hit_policy == "collect" else single


def table_function(table: Table, compiler: NativeCompiler) -> Compiled:
    """The runtime of one table: evaluate inputs in the caller's context, apply hit policy."""
    inputs = [compiler.compile(i.expr.node) for i in table.inputs]
    single = len(table.outputs) == 1
    names = [n for n, _ in table.outputs]

    def shape(outputs: tuple[Any, ...]) -> Any:
        return outputs[0] if single else dict(zip(names, outputs, strict=True))

    def run(facts: Mapping[str, Any], item: Any) -> Any:
        values = [f(facts, item) for f in inputs]
        hits = [
            r
            for r in table.rows
            if all(cell_matches(t, v) for t, v in zip(r.tests, values, strict=True))
        ]
        if table.hit_policy == "collect":
            return [shape(r.outputs) for r in hits]
        if table.hit_policy == "unique" and len(hits) > 1:
            raise EvaluationError(
                f"table {table.id}: {len(hits)} rows match inputs "
                f"{_show(table, values)} but hit policy is unique"
            )
        if hits:
            return shape(hits[0].outputs)
        if table.default is not None:
            return shape(table.default)
        raise EvaluationError(f"table {table.id}: no row matches inputs {_show(table, values)}")

    return run


def _show(table: Table, values: list[Any]) -> str:
    return ", ".join(f"{i.name}={v}" for i, v in zip(table.inputs, values, strict=True))
