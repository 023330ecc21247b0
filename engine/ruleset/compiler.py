"""Compile a ruleset folder: YAML (with positions) → checked, typed IR.

Every stage collects diagnostics and keeps going, so an author sees all problems of a
ruleset in one run (like zen/GoRules and Regal). Only when no error was found is the IR
returned; otherwise :class:`RulesetError` carries every diagnostic.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, cast

from engine import outcome
from engine.claim import Claim, Item
from engine.errors import Diagnostic, DiagnosticBag, RulesetError
from engine.expression.nodes import BoolOp, Compare, Literal, Node
from engine.expression.nodes import Path as FactPath
from engine.expression.types import ANY, DATE, DATETIME, Scope, T, list_of, model_type
from engine.ruleset.benefit_compile import compile_steps
from engine.ruleset.context import CompileContext
from engine.ruleset.ir import Derive, Expr, Rule, RulesetIdentity, RulesetIR, Table
from engine.ruleset.lifecycle_compile import compile_lifecycle
from engine.ruleset.placeholders import check_placeholders
from engine.ruleset.schema import DERIVE, EXPLAIN, INCLUDED, RULE, TOP
from engine.ruleset.sla_compile import compile_calendar, compile_event_types, compile_sla
from engine.ruleset.source import SourceFile, node_where, read_ruleset
from engine.ruleset.table_analysis import analyze_table
from engine.ruleset.tables import compile_table, table_type

# The date a rule's effective window is checked against, by scope.
EFFECTIVE_DATE = {"claim": ("incident", "onset_date"), "line": ("line", "service_date")}


def base_scope() -> tuple[T, T]:
    """Fact types every ruleset starts from: the claim, ``as_of`` and ``today``."""
    facts = model_type(Claim).with_field("as_of", DATETIME).with_field("today", DATE)
    return facts, model_type(Item)


def compile_ruleset(
    root: Path | str,
    *,
    revision: str = "",
    display: str | None = None,
) -> RulesetIR:
    """Load, validate and type-check a ruleset folder. Raises RulesetError with all problems."""
    ir, bag = compile_with_diagnostics(root, revision=revision, display=display)
    if ir is None:
        raise RulesetError(bag.items)
    return ir


def compile_with_diagnostics(
    root: Path | str, *, revision: str = "", display: str | None = None
) -> tuple[RulesetIR | None, DiagnosticBag]:
    root = Path(root)
    ctx = CompileContext(DiagnosticBag())
    source = read_ruleset(root, ctx.bag, display if display is not None else str(root))
    if not source.files:
        return None, ctx.bag
    ctx.texts = {f.path: f.text for f in source.files}
    try:
        ir = _Compiler(ctx).run(source.files, source.content_hash, revision)
    except Exception:
        # Only ever after a reported error: a value of the wrong kind the checks flagged but a
        # later step still read. The author gets the diagnostics, not a traceback; with
        # nothing reported it is a compiler bug and must surface.
        if not ctx.bag.has_errors:
            raise
        return None, ctx.bag
    if ctx.bag.has_errors:
        return None, ctx.bag
    return ir, ctx.bag


class _Compiler:
    def __init__(self, ctx: CompileContext) -> None:
        self.ctx = ctx
        self.facts, self.line = base_scope()
        self.tables: dict[str, T] = {}

    def scope(self, with_line: bool) -> Scope:
        facts = self.facts.with_field("line", self.line) if with_line else self.facts
        return Scope(facts, [], self.tables)

    def run(self, files: list[SourceFile], content_hash: str, revision: str) -> RulesetIR | None:
        main = files[0]
        self.ctx.file = main.path
        if not self.ctx.check_keys(main.data, TOP, "ruleset", node_where(main.path, main.data)):
            return None
        sections = self._sections(files)
        tables = self._tables(sections["tables"])
        derives = self._derives(sections["derive"])
        rules = self._rules(sections["rules"], str(main.data.get("hit_policy", "collect")))
        steps = compile_steps(self.ctx, sections["benefit"], self.scope(True))
        data = main.data
        self.ctx.file = main.path
        identity = RulesetIdentity(
            str(data.get("ruleset", "")), str(data.get("version", "")), content_hash, revision
        )
        self._check_timezone(data)
        event_types = compile_event_types(self.ctx, sections["events"])
        self.ctx.file = main.path
        calendar = compile_calendar(self.ctx, data)
        sla = compile_sla(self.ctx, sections["sla"], self.scope(False), event_types)
        lifecycle = compile_lifecycle(
            self.ctx,
            [(f.path, f.data) for f in files if isinstance(f.data, dict) and "lifecycle" in f.data],
            event_types,
            tuple(n.id for n in sla),
        )
        return RulesetIR(
            identity=identity,
            title=str(data.get("title", "")),
            jurisdiction=str(data.get("jurisdiction", "")),
            timezone=str(data.get("timezone", "UTC")),
            hit_policy=str(data.get("hit_policy", "collect")),
            derives=tuple(derives),
            tables=tuple(tables),
            rules=tuple(rules),
            benefit=tuple(steps),
            facts_type=self.facts,
            line_type=self.line,
            sla=tuple(sla),
            calendar=calendar,
            event_types=event_types,
            labels=self._labels(data),
            lifecycle=lifecycle,
            extra={"files": [f.path for f in files]},
        )

    def _labels(self, data: Any) -> dict[str, dict[str, str]]:
        raw = data.get("labels") or {}
        out: dict[str, dict[str, str]] = {}
        for code, words in raw.items() if isinstance(raw, dict) else []:
            if self.ctx.check_keys(words, EXPLAIN, f"label '{code}'", self.ctx.at(raw, code)):
                out[str(code)] = {k: str(v) for k, v in words.items()}
        return out

    def _check_timezone(self, data: Any) -> None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(str(data.get("timezone", "UTC")))
        except (ZoneInfoNotFoundError, ValueError):
            self.ctx.bag.error(
                "E-SCHEMA",
                f"unknown time zone '{data.get('timezone')}'",
                **self.ctx.at(data, "timezone").kw(),
                suggestion="use an IANA name such as Asia/Shanghai",
            )

    def _sections(self, files: list[SourceFile]) -> dict[str, list[tuple[str, Any, int, Any]]]:
        """Each section's entries as (file, entry, index, containing list), in include order."""
        out: dict[str, list[tuple[str, Any, int, Any]]] = {k: [] for k in INCLUDED}
        for number, f in enumerate(files):
            if number > 0:
                self.ctx.file = f.path
                if not self.ctx.check_keys(
                    f.data, INCLUDED, "included file", node_where(f.path, f.data)
                ):
                    continue
            for key in INCLUDED:
                entries = f.data.get(key) or []
                if not isinstance(entries, list):
                    continue
                out[key].extend((f.path, e, i, entries) for i, e in enumerate(entries))
        return out

    def _tables(self, entries: list[tuple[str, Any, int, Any]]) -> list[Table]:
        tables: list[Table] = []
        for file, data, index, container in entries:
            self.ctx.file = file
            before = len(self.ctx.bag.items)
            table = compile_table(self.ctx, data, index, self.scope(True), container)
            clean = len(self.ctx.bag.items) == before  # analyse only what compiled cleanly
            if table is None:
                continue
            if table.id in self.tables:
                self._duplicate("table", table.id, data, "id")
                continue
            self.tables[table.id] = table_type(table)
            tables.append(table)
            if clean:
                self._table_findings(table)
        return tables

    def _table_findings(self, table: Table) -> None:
        for finding in analyze_table(table):
            where = finding.where or table.where
            self.ctx.bag.add(
                Diagnostic(
                    finding.severity,  # type: ignore[arg-type]
                    finding.code,
                    finding.message,
                    **(where.kw() if where else {}),
                    suggestion=finding.suggestion,
                )
            )

    def _derives(self, entries: list[tuple[str, Any, int, Any]]) -> list[Derive]:
        out: list[Derive] = []
        for file, data, index, container in entries:
            self.ctx.file = file
            what = f"derived fact #{index + 1}"
            if not self.ctx.check_keys(data, DERIVE, what, self.ctx.at(container, index)):
                continue
            if "name" not in data or "expr" not in data:
                continue
            name, scope = str(data["name"]), str(data.get("scope", "claim"))
            taken = self.line if scope == "line" else self.facts
            if taken.field(name) is not None:
                self._duplicate("fact", name, data, "name")
                continue
            expr = self.ctx.expression(data, "expr", self.scope(scope == "line"))
            if expr is None:
                self._add_fact(name, scope, ANY)  # already reported: don't cascade
                continue
            self._add_fact(name, scope, expr.type)
            out.append(Derive(name, scope, expr, str(data.get("description", ""))))
        return out

    def _add_fact(self, name: str, scope: str, t: T) -> None:
        if scope == "line":
            self.line = self.line.with_field(name, t)
            self.facts = self.facts.with_field("items", list_of(self.line))
        else:
            self.facts = self.facts.with_field(name, t)

    def _rules(self, entries: list[tuple[str, Any, int, Any]], hit_policy: str) -> list[Rule]:
        rules: list[Rule] = []
        seen: set[str] = set()
        for order, (file, data, index, container) in enumerate(entries):
            self.ctx.file = file
            rule = self._rule(data, order, self.ctx.at(container, index))
            # Why by the raw id: a first rule with its own error must still claim its id,
            # or its duplicate would only be reported after that error is fixed.
            rule_id = str(data["id"]) if isinstance(data, dict) and "id" in data else None
            if rule_id is not None and rule_id in seen:
                self._duplicate("rule", rule_id, data, "id")
                continue
            if rule_id is not None:
                seen.add(rule_id)
            if rule is None:
                continue
            rules.append(rule)
        if hit_policy == "first":
            self._unreachable(rules)
        return rules

    def _unreachable(self, rules: list[Rule]) -> None:
        """Under ``first``, a rule behind an always-true or identical condition never applies."""
        ordered = sorted(rules, key=lambda r: (-r.priority, r.order))
        for n, rule in enumerate(ordered):
            for earlier in ordered[:n]:
                if earlier.scope != rule.scope or not _shadows(earlier, rule):
                    continue
                where = rule.where.kw() if rule.where else {}
                self.ctx.bag.add(
                    Diagnostic(
                        "warning",
                        "W-UNREACHABLE",
                        f"rule '{rule.id}' can never apply: under hit_policy first, rule "
                        f"'{earlier.id}' comes before it and matches whenever it does",
                        **where,
                        suggestion="raise its priority, or remove it",
                        rule_id=rule.id,
                    )
                )
                break

    def _rule(self, data: Any, order: int, where: Any) -> Rule | None:
        label = f"rule '{data.get('id')}'" if isinstance(data, dict) else "rule"
        reported = len(self.ctx.bag.items)
        if not self.ctx.check_keys(data, RULE, label, where):
            return None
        # a key of the wrong kind (``priority: high``) is reported; building the rule from it
        # would crash, so the rule is left out once its problems are listed
        bad_keys = any(d.severity == "error" for d in self.ctx.bag.items[reported:])
        scope = str(data.get("scope", "claim"))
        when = (
            self.ctx.expression(data, "when", self.scope(scope == "line"), want="bool")
            if "when" in data
            else None
        )
        explain = self.ctx.explanation(data, label) if "explain" in data else None
        if explain is not None:
            self._placeholders(data["explain"], scope == "line", label)
        if (
            bad_keys
            or when is None
            or explain is None
            or not all(k in data for k in ("id", "outcome", "reason_code"))
        ):
            return None
        start, end = _date(data.get("effective_from")), _date(data.get("effective_to"))
        basis = tuple(str(b) for b in data.get("legal_basis") or [])
        if not basis and "legal_basis" in data:  # a missing key is already an E-SCHEMA error
            self.ctx.bag.error(
                "E-LEGAL",
                f"{label} has an empty legal_basis",
                **self.ctx.at(data, "legal_basis").kw(),
                suggestion="cite the law or policy clause the rule applies",
            )
        codes = tuple((str(k), str(v)) for k, v in (data.get("codes") or {}).items())
        return Rule(
            str(data["id"]),
            str(data.get("title", "")),
            when,
            _with_window(when, scope, start, end),
            # checked against the vocabulary by check_keys: a wrong one is already an error
            cast(outcome.Outcome, str(data["outcome"])),
            str(data["reason_code"]),
            cast(outcome.Scope, scope),
            int(data.get("priority", 0)),
            order,
            basis,
            explain,
            start,
            end,
            codes,
            where,
        )

    def _placeholders(self, explain: Any, with_line: bool, label: str) -> None:
        check_placeholders(self.ctx, explain, self.scope(with_line), label)

    def _duplicate(self, what: str, name: str, data: Any, key: str) -> None:
        self.ctx.bag.error(
            "E-DUP",
            f"duplicate {what} '{name}'",
            **self.ctx.at(data, key).kw(),
            suggestion=f"{what} names must be unique in a ruleset",
        )


def _shadows(earlier: Rule, later: Rule) -> bool:
    window = (earlier.effective_from, earlier.effective_to)
    if window != (None, None) and window != (later.effective_from, later.effective_to):
        return False
    if isinstance(earlier.when.node, Literal) and earlier.when.node.value is True:
        return True
    return " ".join(earlier.when.source.split()) == " ".join(later.when.source.split())


def _date(value: Any) -> dt.date | None:
    return value if isinstance(value, dt.date) else None


def _with_window(when: Expr, scope: str, start: dt.date | None, end: dt.date | None) -> Expr:
    """Fold the effective-date window into the condition both backends evaluate."""
    if start is None and end is None:
        return when
    path = FactPath(EFFECTIVE_DATE[scope], col=0)
    parts: list[Node] = []
    if start is not None:
        parts.append(Compare(">=", path, Literal(start)))
    if end is not None:
        parts.append(Compare("<=", path, Literal(end)))
    return Expr(when.source, BoolOp("and", (*parts, when.node)), when.type, when.where)
