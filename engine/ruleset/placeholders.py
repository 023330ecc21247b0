"""``{fact.path}`` / ``{fact.path:format}`` placeholders in explanations, checked when compiling."""

from __future__ import annotations

import re
from typing import Any

from engine.expression.checker import Checker
from engine.expression.nodes import Path
from engine.expression.types import Scope
from engine.ruleset.context import CompileContext

PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w.]*)(?::(\w+))?\}")
FORMATS = ("money", "percent", "date", "number", "text")


def check_placeholders(ctx: CompileContext, explain: Any, scope: Scope, label: str) -> None:
    """Every placeholder must name a known fact (a missing optional value renders as —)."""
    for lang in ("zh", "en"):
        where = ctx.at(explain, lang)
        for match in PLACEHOLDER.finditer(str(explain.get(lang, ""))):
            checker = Checker(scope)
            checker.check(Path(tuple(match.group(1).split("."))))
            for issue in checker.issues:
                if issue.code == "E-NULLABLE":
                    continue
                ctx.bag.error(
                    "E-PLACEHOLDER",
                    f"{label} {lang} explanation: {issue.message}",
                    **where.kw(),
                    suggestion=issue.suggestion,
                )
            if match.group(2) and match.group(2) not in FORMATS:
                ctx.bag.error(
                    "E-PLACEHOLDER",
                    f"unknown format '{match.group(2)}'",
                    **where.kw(),
                    suggestion=f"one of {', '.join(FORMATS)}",
                )
