"""The ``native`` backend: runs each rule's compiled closure over the facts."""

from __future__ import annotations

from engine.backends.base import Matches
from engine.errors import EvaluationError
from engine.program import Facts, Program


class NativeBackend:
    name = "native"
    version = "1"

    def match(self, program: Program, facts: Facts, lines: list[Facts]) -> Matches:
        out = Matches()
        for compiled in program.rules:
            rule = compiled.rule
            targets = (
                [(f, f["line"]["line_id"]) for f in lines]
                if rule.scope == "line"
                else [(facts, None)]
            )
            for target, line_id in targets:
                try:
                    out[(rule.id, line_id)] = compiled.test(target, None) is True
                except EvaluationError as exc:
                    raise EvaluationError(exc.reason, rule_id=rule.id) from exc
        return out
