"""Shared state of one compile: diagnostics, current file, and the structural checks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

from engine.errors import DiagnosticBag
from engine.expression.checker import Checker
from engine.expression.nodes import Node
from engine.expression.parser import ExpressionSyntaxError, parse_expression
from engine.expression.types import Scope, T, TypeIssue, suggest
from engine.ruleset.ir import Explanation, Expr
from engine.ruleset.schema import EXPLAIN, Key, kind_ok
from engine.ruleset.source import Where, expression_where, key_where, node_where, value_where

KIND_NAMES = {
    "str": "text",
    "int": "a whole number",
    "list": "a list",
    "map": "a mapping",
    "bool": "true or false",
    "number": "a number",
    "expr": "an expression",
}


@dataclass
class CompileContext:
    bag: DiagnosticBag = field(default_factory=DiagnosticBag)
    file: str = ""
    texts: dict[str, str] = field(default_factory=dict)  # file -> source, for block scalars

    def locate(self, start: Where, value: Any, col: int) -> Where:
        """Where offset ``col`` of an expression lands, also inside ``>``/``|`` block scalars."""
        if not isinstance(value, FoldedScalarString | LiteralScalarString):
            return start.shift(col)
        lines = self.texts.get(start.file, "").splitlines()
        offset, number = col, start.line  # block content begins on the line after ``>-``
        while number < len(lines):
            line = lines[number]
            content = line.lstrip()
            if content and offset <= len(content):
                return Where(start.file, number + 1, len(line) - len(content) + offset + 1)
            offset -= len(content) + 1 if content else 0
            number += 1
        return start.shift(col)

    def at(self, container: Any, key: Any) -> Where:
        return value_where(self.file, container, key)

    def check_keys(self, data: Any, spec: dict[str, Key], what: str, where: Where) -> bool:
        """Structural check of one mapping; returns False if it is not a mapping at all."""
        if not isinstance(data, dict):
            self.bag.error("E-SCHEMA", f"{what} must be a mapping of keys to values", **where.kw())
            return False
        for key in data:
            if key not in spec:
                hint = suggest(str(key), list(spec)) or f"allowed keys: {', '.join(spec)}"
                self.bag.error(
                    "E-SCHEMA",
                    f"unknown key '{key}' in {what}",
                    **key_where(self.file, data, key).kw(),
                    suggestion=hint,
                )
        for key, rule in spec.items():
            if key not in data:
                if rule.required:
                    self.bag.error(
                        rule.missing,
                        f"{what} is missing required key '{key}'",
                        **where.kw(),
                        suggestion=rule.doc,
                    )
                continue
            self._check_value(data, key, rule, what)
        return True

    def _check_value(self, data: Any, key: str, rule: Key, what: str) -> None:
        value = data[key]
        where = self.at(data, key)
        if not kind_ok(rule.kind, value):
            self.bag.error(
                "E-SCHEMA",
                f"'{key}' in {what} must be {KIND_NAMES.get(rule.kind, rule.kind)}",
                **where.kw(),
                suggestion=rule.doc,
            )
        elif rule.enum and str(value) not in rule.enum:
            self.bag.error(
                "E-SCHEMA",
                f"'{key}' must be one of {', '.join(rule.enum)}, not '{value}'",
                **where.kw(),
                suggestion=suggest(str(value), list(rule.enum)),
            )
        elif rule.kind == "date" and not isinstance(value, dt.date):
            self.bag.error("E-SCHEMA", f"'{key}' must be a date (YYYY-MM-DD)", **where.kw())

    def expression(self, data: Any, key: str, scope: Scope, *, want: str = "") -> Expr | None:
        """Parse and type-check ``data[key]``; report problems at their exact column."""
        text = str(data[key])
        start = expression_where(self.file, data, key)
        try:
            node: Node = parse_expression(text)
        except ExpressionSyntaxError as exc:
            self.bag.error(
                "E-EXPR",
                exc.message,
                **self.locate(start, data[key], exc.col).kw(),
                suggestion=_indexed_hint(exc, scope),
            )
            return None
        checker = Checker(scope)
        if want == "bool":
            checker.expect_bool(node)
            result_type = T("bool")
        else:
            result_type = checker.check(node)
            if want and result_type.kind not in (want, "any"):
                checker.issues.append(TypeIssue(f"'{key}' must be a {want}, not {result_type}", 0))
        for issue in checker.issues:
            self.bag.error(
                issue.code,
                issue.message,
                **self.locate(start, data[key], issue.col).kw(),
                suggestion=issue.suggestion,
            )
        if checker.issues:
            return None
        return Expr(text, node, result_type, start)

    def explanation(self, data: Any, what: str) -> Explanation | None:
        where = self.at(data, "explain") if "explain" in data else node_where(self.file, data)
        explain = data.get("explain")
        if not self.check_keys(explain, EXPLAIN, f"{what} explain", where):
            return None
        for lang in ("zh", "en"):
            if lang in explain and not str(explain[lang]).strip():
                self.bag.error(
                    "E-EXPLAIN",
                    f"{what} has an empty '{lang}' explanation",
                    **self.at(explain, lang).kw(),
                    suggestion="write a sentence a member understands",
                )
        if "zh" not in explain or "en" not in explain:
            return None
        return Explanation(str(explain["zh"]), str(explain["en"]))


def _indexed_hint(exc: ExpressionSyntaxError, scope: Scope) -> str:
    """``item[0]``: name the list fact the author probably meant, then how to read a list."""
    if not exc.indexed:
        return exc.suggestion
    lists = [path for path in scope.all_paths() if _is_list(scope, path)]
    name = ".".join(exc.indexed)
    guess = name if name in lists else suggest(name, lists).removeprefix("did you mean ")
    guess = guess.removesuffix("?")
    if not guess:
        return exc.suggestion
    lead = "" if guess == name else f"did you mean {guess}? "
    return f"{lead}read a list with any({guess}, .field == ...), all(...), count(...) or sum(...)"


def _is_list(scope: Scope, path: str) -> bool:
    node = scope.facts
    for part in path.split("."):
        found = node.field(part) if node.kind == "record" else None
        if found is None:
            return False
        node = found
    return node.kind == "list"
