"""Decisions, SLA clocks and rule explanations as text for a terminal (``--format text``).

Renderers read the decision's JSON document (the README's contract), so what a person reads
is what the JSON says. Labels are English; the member-facing texts (reasons, notices, clock
explanations) are shown in one language, ``zh`` or ``en``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.rule_explanation import ConditionResult, OperandResult, RuleExplanation

__all__ = [
    "render_clocks",
    "render_decision",
    "render_explanation",
    "render_summary_line",
]

Document = dict[str, Any]

_LINE_COLUMNS = (
    ("line", "line_id"),
    ("outcome", "outcome"),
    ("submitted", "submitted"),
    ("eligible", "eligible"),
    ("deductible", "deductible"),
    ("member share", "copay"),
    ("payable", "payable"),
)


def render_decision(d: Document, language: str) -> str:
    """Outcome and totals, the amounts per line, the reasons, notices and SLA clocks."""
    a = d["amounts"]
    out = [
        f"Claim {d['claim_id']}: {d['outcome'].upper()}{' (automated)' if d['automated'] else ''}",
        f"  submitted {a['submitted']}  eligible {a['eligible']}  deductible {a['deductible']}"
        f"  member share {a['copay']}  payable {a['payable']} {d['currency']}",
        "",
        *_indent(_lines_table(d["lines"])),
    ]
    if d["reasons"]:
        out += ["", "Reasons:"]
    for r in d["reasons"]:
        where = f" (line {r['line_id']})" if r["line_id"] is not None else ""
        out.append(f"  - [{r['code']}] {r['rule_id']}{where}: {r['explanation'][language]}")
        out.append(f"    basis: {'; '.join(r['legal_basis'])}")
    if d["notices"]:
        out += ["", "Notices:", *(f"  * {n[language]}" for n in d["notices"])]
    if d["sla"]:
        out += ["", "SLA clocks:", *_indent(_clock_rows(d["sla"], detailed=False))]
        out += [f"  {c['id']}: {c['explanation'][language]}" for c in d["sla"]]
    rs = d["ruleset"]
    out += [
        "",
        f"ruleset {rs['id']} {rs['version']} {rs['content_hash'][:19]}  "
        f"as of {d['as_of']}  backend {d['engine']['backend']}",
    ]
    return "\n".join(out)


def render_summary_line(d: Document) -> str:
    """One line per claim (``evaluate-dir``): id, ruleset, outcome, payable, reason codes."""
    codes = ",".join(r["code"] for r in d["reasons"]) or "-"
    return (
        f"{d['claim_id']:<18} {d['ruleset']['id']:<13} "
        f"{d['outcome']:<8} payable {d['amounts']['payable']:>12}  {codes}"
    )


def render_clocks(found: Sequence[Document], tz: str) -> str:
    """The clocks of ``claims sla`` as a table, times in the ruleset's time zone."""
    rows = _clock_rows(found, detailed=True)
    return "\n".join([*rows, f"(times in {tz}; remaining is negative when overdue)"])


def render_explanation(explanation: RuleExplanation, decision: Document) -> str:
    """Which operand of the rule's condition held or failed, per claim or per line."""
    applied = {r["line_id"] for r in decision["reasons"] if r["rule_id"] == explanation.rule_id}
    out = [
        f"Rule {explanation.rule_id} ({explanation.scope} scope, outcome {explanation.outcome}):"
        f" {explanation.title}",
        f"  when: {explanation.when}",
    ]
    if explanation.effective_from or explanation.effective_to:
        start = explanation.effective_from or "any date"
        end = explanation.effective_to or "no end"
        out.append(f"  effective from {start} to {end} (checked first, as operands [0]...)")
    if not explanation.results:
        out.append("  not evaluated: the claim has no lines")
    for result in explanation.results:
        out += _result(result, result.line_id in applied)
    return "\n".join(out)


def _result(result: ConditionResult, applied: bool) -> list[str]:
    target = "claim" if result.line_id is None else f"line {result.line_id}"
    verdict = "HELD" if result.held else "FAILED"
    if result.held:
        verdict += ": the rule applies" if applied else ": not applied (hit policy first)"
    out = [f"  {target}: condition {verdict} ({_combination(result.combined_by)})"]
    for operand in result.operands:
        out += _operand(operand, depth=2)
    return out


def _combination(op: str) -> str:
    return "and: all must hold" if op == "and" else "or: one must hold"


def _operand(operand: OperandResult, depth: int) -> list[str]:
    pad = "  " * depth
    out = [f"{pad}[{operand.key}] {_verdict(operand.results):<13} {operand.text}"]
    if operand.combined_by is not None:
        out.append(f"{pad}  ({_combination(operand.combined_by)})")
        for inner in operand.operands:
            out += _operand(inner, depth + 1)
        return out
    for name, value in operand.facts.items():  # the facts a leaf read (its parts show theirs)
        out.append(f"{pad}      {name} = {_value(value)}")
    return out


def _verdict(results: Sequence[bool]) -> str:
    if not results:
        return "not evaluated"
    if len(results) == 1:
        return "true" if results[0] else "false"
    held = sum(results)
    return f"true {held}/{len(results)}"


def _value(value: Any) -> str:
    if value is None:
        return "null (missing)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return str(value)


def _lines_table(lines: Sequence[Document]) -> list[str]:
    header = [label for label, _ in _LINE_COLUMNS] + ["reasons"]
    rows = [
        [str(line[key]) for _, key in _LINE_COLUMNS] + [", ".join(line["reason_codes"]) or "-"]
        for line in lines
    ]
    return _table([header, *rows], right={0, 2, 3, 4, 5, 6})


def _clock_rows(found: Sequence[Document], *, detailed: bool) -> list[str]:
    if detailed:
        header = ["clock", "status", "started", "due date", "due", "stopped", "remaining", "action"]
    else:
        header = ["clock", "status", "due date", "remaining", "action"]
    rows = [header]
    for c in found:
        cells = {
            "clock": c["id"],
            "status": c["status"],
            "started": _short(c["started_at"]),
            "due date": c["due_date"] or "-",
            "due": _short(c["due_at"]),
            "stopped": _short(c["stopped_at"]),
            "remaining": _span(c["remaining_seconds"]),
            "action": c["breach_action"],
        }
        rows.append([cells[name] for name in header])
    return _table(rows, right=set())


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            v.rjust(w) if i in right else v.ljust(w)
            for i, (v, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in rows
    ]


def _indent(lines: list[str]) -> list[str]:
    return [f"  {line}" for line in lines]


def _short(value: str | None) -> str:
    return value[:16].replace("T", " ") if value else "-"


def _span(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    sign = "-" if seconds < 0 else ""
    days, rest = divmod(abs(seconds), 86400)
    return f"{sign}{days}d {rest // 3600}h"
