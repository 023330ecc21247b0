"""Parser of the condition language: Python's ``ast`` behind a strict node whitelist.

The language is a small, documented subset of Python expression syntax (see
``docs``/README "Writing rules"): literals, fact paths, comparisons, ``and``/``or``/``not``,
``in``/``not in``, ``+ - * /``, calls of whitelisted functions, and item-relative paths
``.field`` inside quantifiers (``any(items, .category == "inpatient")``).

Why ``ast`` and not ``eval``: we only borrow the parser. The tree is converted node by node
into our own IR and anything outside the whitelist is a diagnostic. Nothing is ever executed.

``.field`` is not Python, so before parsing each such dot gets an ``_`` prefix (``_`` is the
reserved name of the current item); column offsets are mapped back to the author's text.
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from engine.errors import EngineError
from engine.expression.nodes import (
    Arith,
    BoolOp,
    Call,
    Compare,
    In,
    ListLit,
    Literal,
    Neg,
    Node,
    Not,
    Path,
)

ITEM_NAME = "_"
KEYWORD_LITERALS = {"true": True, "false": False, "null": None, "True": True, "False": False}
_CMP = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_NO_PREFIX_BEFORE = {tokenize.NAME, tokenize.NUMBER, tokenize.STRING}


class ExpressionSyntaxError(EngineError):
    """An expression that is not in the language; ``col`` is 0-based in the source."""

    def __init__(
        self, message: str, col: int, suggestion: str = "", *, indexed: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        self.col = col
        self.suggestion = suggestion
        # the dotted path a subscript was applied to (``item[0]`` -> ("item",)), so the caller,
        # who knows the facts, can name the list the author meant
        self.indexed = indexed


@dataclass(frozen=True)
class _Source:
    original: str
    rewritten: str
    inserts: tuple[int, ...]  # positions in ``rewritten`` where an ``_`` was inserted
    line_starts: tuple[int, ...]

    def col(self, node: ast.AST) -> int:
        lineno = getattr(node, "lineno", 1)
        byte_col = getattr(node, "col_offset", 0)
        line = self.rewritten.splitlines()[lineno - 1] if self.rewritten else ""
        char_col = len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))
        pos = self.line_starts[lineno - 1] + char_col
        return pos - sum(1 for i in self.inserts if i < pos)

    def segment(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.rewritten, node) or ""


def _rewrite_item_dots(source: str) -> tuple[str, tuple[int, ...]]:
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError) as exc:
        raise ExpressionSyntaxError(f"cannot read expression: {exc}", 0) from exc
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    positions: list[int] = []
    prev: tokenize.TokenInfo | None = None
    depth = 0
    significant = [
        t for t in tokens if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT)
    ]
    for index, tok in enumerate(significant):
        offset = starts[tok.start[0] - 1] + tok.start[1]
        if tok.type == tokenize.OP:
            depth += (tok.string in "([{") - (tok.string in ")]}")
            keyword = index >= 2 and significant[index - 2].string in ("(", ",") and depth > 0
            if not (tok.string == "=" and keyword):  # f(key=1): refused as a keyword argument
                _mistaken_operator(tok, offset, depth, prev, significant[index + 1 :])
        if tok.type == tokenize.OP and tok.string == "." and not _follows_value(prev):
            positions.append(offset)
        prev = tok
    out = source
    for pos in reversed(positions):
        out = out[:pos] + ITEM_NAME + out[pos:]
    shifted = tuple(p + i for i, p in enumerate(positions))
    return out, shifted


def _mistaken_operator(
    tok: tokenize.TokenInfo,
    offset: int,
    depth: int,
    prev: tokenize.TokenInfo | None,
    following: list[tokenize.TokenInfo],
) -> None:
    """What authors write from other languages: ``=`` for ``==``, ``50,000`` for 50000."""
    if tok.string == "=":
        raise ExpressionSyntaxError("'=' is not a comparison", offset, "did you mean '=='?")
    if tok.string != "," or depth != 0:
        return
    if prev is not None and prev.type == tokenize.NUMBER and prev.end == tok.start:
        groups = _comma_groups(tok, following)
        start = offset - len(prev.string)
        if (
            groups
            and all(len(g.partition(".")[0]) == 3 for g in groups)
            and "." not in "".join(groups[:-1])
        ):
            written = ",".join((prev.string, *groups))
            raise ExpressionSyntaxError(
                f"'{written}': numbers have no thousands separator",
                start,
                f"write {written.replace(',', '')}",
            )
        if groups:
            raise ExpressionSyntaxError(
                f"'{prev.string},{groups[0]}': numbers use a decimal point",
                start,
                f"write {prev.string}.{groups[0]}",
            )
    raise ExpressionSyntaxError(
        "',' outside a function call or list", offset, "join conditions with 'and' or 'or'"
    )


def _comma_groups(comma: tokenize.TokenInfo, following: list[tokenize.TokenInfo]) -> list[str]:
    """The digit groups glued to ``comma`` and the commas after it (``50,000,000``)."""
    groups: list[str] = []
    rest = following
    while rest and rest[0].type == tokenize.NUMBER and rest[0].start == comma.end:
        groups.append(rest[0].string)
        if len(rest) < 2 or rest[1].string != "," or rest[1].start != rest[0].end:
            break
        comma, rest = rest[1], rest[2:]
    return groups


def _follows_value(prev: tokenize.TokenInfo | None) -> bool:
    if prev is None:
        return False
    if prev.type in _NO_PREFIX_BEFORE:
        return prev.string not in {"and", "or", "not", "in"}
    return prev.type == tokenize.OP and prev.string in {")", "]"}


def parse_expression(source: str) -> Node:
    """Parse ``source`` into IR; raises :class:`ExpressionSyntaxError`."""
    if not source or not source.strip():
        raise ExpressionSyntaxError("expression is empty", 0, "write a condition, e.g. amount > 0")
    rewritten, inserts = _rewrite_item_dots(source.strip())
    try:
        tree = ast.parse(rewritten, mode="eval")
    except SyntaxError as exc:
        col = max((exc.offset or 1) - 1, 0)
        col -= sum(1 for i in inserts if i < col)
        raise ExpressionSyntaxError(f"syntax error: {exc.msg}", col) from exc
    starts = [0]
    for line in rewritten.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    src = _Source(source.strip(), rewritten, inserts, tuple(starts))
    return _Converter(src).convert(tree.body)


class _Converter:
    def __init__(self, src: _Source) -> None:
        self.src = src

    def fail(self, node: ast.AST, message: str, suggestion: str = "") -> ExpressionSyntaxError:
        return ExpressionSyntaxError(message, self.src.col(node), suggestion)

    def convert(self, node: ast.AST) -> Node:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise self.fail(
                node,
                f"'{self.src.segment(node)}' is not allowed in a condition",
                "see the README section 'The condition language'",
            )
        result: Node = method(node)
        return result

    def _BoolOp(self, node: ast.BoolOp) -> Node:
        op = "and" if isinstance(node.op, ast.And) else "or"
        return BoolOp(op, tuple(self.convert(v) for v in node.values), col=self.src.col(node))

    def _UnaryOp(self, node: ast.UnaryOp) -> Node:
        col = self.src.col(node)
        if isinstance(node.op, ast.Not):
            return Not(self.convert(node.operand), col=col)
        if isinstance(node.op, ast.USub):
            inner = self.convert(node.operand)
            if (
                isinstance(inner, Literal)
                and isinstance(inner.value, int | Decimal)
                and not isinstance(inner.value, bool)
            ):
                return Literal(-inner.value, col=col)
            return Neg(inner, col=col)
        if isinstance(node.op, ast.UAdd):
            return self.convert(node.operand)
        raise self.fail(node, "operator '~' is not allowed", "use 'not'")

    def _BinOp(self, node: ast.BinOp) -> Node:
        op = _ARITH.get(type(node.op))
        if op is None:
            raise self.fail(
                node,
                f"operator in '{self.src.segment(node)}' is not allowed",
                "only + - * / are supported",
            )
        return Arith(op, self.convert(node.left), self.convert(node.right), col=self.src.col(node))

    def _Compare(self, node: ast.Compare) -> Node:
        col = self.src.col(node)
        parts: list[Node] = []
        left = self.convert(node.left)
        for op, right_ast in zip(node.ops, node.comparators, strict=True):
            right = self.convert(right_ast)
            if isinstance(op, ast.In | ast.NotIn):
                parts.append(In(left, right, isinstance(op, ast.NotIn), col=col))
            elif type(op) in _CMP:
                parts.append(Compare(_CMP[type(op)], left, right, col=col))
            else:
                raise self.fail(node, "'is' comparisons are not allowed", "use == null or != null")
            left = right
        return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts), col=col)

    def _Subscript(self, node: ast.Subscript) -> Node:
        base: ast.AST = node.value
        parts: list[str] = []
        while isinstance(base, ast.Attribute):
            parts.append(base.attr)
            base = base.value
        if isinstance(base, ast.Name):
            parts.append(base.id)
        raise ExpressionSyntaxError(
            f"'{self.src.segment(node)}': a condition cannot pick a list element by index",
            self.src.col(node),
            "read a list with any(items, .field == ...), all(...), count(...) or sum(...)",
            indexed=tuple(reversed(parts)),
        )

    def _Call(self, node: ast.Call) -> Node:
        if not isinstance(node.func, ast.Name):
            raise self.fail(node, "only named functions can be called", "e.g. days_between(a, b)")
        if node.keywords:
            raise self.fail(node, "keyword arguments are not allowed")
        args = tuple(self.convert(a) for a in node.args)
        return Call(node.func.id, args, col=self.src.col(node))

    def _Name(self, node: ast.Name) -> Node:
        col = self.src.col(node)
        if node.id in KEYWORD_LITERALS:
            return Literal(KEYWORD_LITERALS[node.id], col=col)
        if node.id == ITEM_NAME:
            raise self.fail(node, "'_' is reserved", "write .field for the current item")
        return Path((node.id,), col=col)

    def _Attribute(self, node: ast.Attribute) -> Node:
        parts: list[str] = [node.attr]
        base: ast.AST = node.value
        while isinstance(base, ast.Attribute):
            parts.append(base.attr)
            base = base.value
        if isinstance(base, ast.Subscript):
            return self.convert(base)  # raises: say why indexing is not allowed
        if not isinstance(base, ast.Name):
            raise self.fail(
                node,
                f"'{self.src.segment(node)}' is not a fact path",
                "write a dotted path such as policy.start_date",
            )
        relative = base.id == ITEM_NAME
        if not relative:
            parts.append(base.id)
        col = self.src.col(node)
        return Path(tuple(reversed(parts)), relative, col=col)

    def _Constant(self, node: ast.Constant) -> Node:
        col = self.src.col(node)
        value = node.value
        if isinstance(value, bool) or value is None:
            return Literal(value, col=col)
        if isinstance(value, str):
            return Literal(value, col=col)
        if isinstance(value, int | float):
            text = self.src.segment(node).replace("_", "")
            if text.isdigit():
                return Literal(int(text), col=col)
            try:
                return Literal(Decimal(text), col=col)
            except InvalidOperation as exc:
                raise self.fail(node, f"'{text}' is not a decimal number") from exc
        raise self.fail(node, f"literal {value!r} is not allowed")

    def _List(self, node: ast.List) -> Node:
        return ListLit(tuple(self.convert(e) for e in node.elts), col=self.src.col(node))

    _Tuple = _List
