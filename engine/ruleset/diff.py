"""Semantic diff of compiled rulesets: what a change to the YAML changes in the rules.

Works on two :class:`~engine.ruleset.ir.RulesetIR` (or two maps of them, by ruleset folder),
never on text: reformatting, comments, reordering sections or moving a rule to an included
file change nothing here; a new threshold in a ``when`` does. Each element (derived fact,
table, rule, benefit step, SLA node, label) is reduced to a flat map of the fields an author
reviews, JSON-ready (expressions as whitespace-normalised source text, dates ISO, numbers as
text); two versions are compared field by field. Elements are matched by id (derived facts
by name, ``line.<name>`` for line facts), so a renamed rule shows as removed and added.

Pure: no git and no files; ``api.cli.rules_revisions`` materialises the revisions.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.ruleset.ir import (
    BenefitStep,
    CellTest,
    Derive,
    Explanation,
    Expr,
    Lifecycle,
    LifecycleRule,
    Rule,
    RulesetIR,
    SlaNode,
    Table,
    TableRow,
)
from engine.ruleset.schema import STEP_KINDS

Fields = dict[str, Any]
ADDED, REMOVED, CHANGED, UNCHANGED = "added", "removed", "changed", "unchanged"
_MARK = {ADDED: "+", REMOVED: "-", CHANGED: "~", UNCHANGED: "="}
_INLINE = 50  # longer values are shown as -/+ lines


@dataclass(frozen=True)
class Change:
    """One field whose value differs; ``None`` stands for "not set"."""

    field: str
    old: Any
    new: Any

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class ElementDiff:
    kind: str  # derive | table | rule | benefit_step | sla | lifecycle_rule | label
    id: str
    status: str  # added | removed | changed
    changes: tuple[Change, ...] = ()  # changed: the fields that differ
    value: Fields = field(default_factory=dict)  # added/removed: every field of the element

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "id": self.id, "status": self.status}
        if self.status == CHANGED:
            out["changes"] = [c.to_dict() for c in self.changes]
        else:
            out["value"] = self.value
        return out


@dataclass(frozen=True)
class RulesetDiff:
    name: str  # the ruleset's folder
    status: str  # added | removed | changed | unchanged
    old_version: str | None
    new_version: str | None
    changes: tuple[Change, ...] = ()  # ruleset-level fields: version, timezone, events ...
    elements: tuple[ElementDiff, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "ruleset": self.name,
            "status": self.status,
            "old_version": self.old_version,
            "new_version": self.new_version,
            "changes": [c.to_dict() for c in self.changes],
            "elements": [e.to_dict() for e in self.elements],
        }


@dataclass(frozen=True)
class RulesetsDiff:
    old_label: str
    new_label: str
    rulesets: tuple[RulesetDiff, ...]

    @property
    def changed(self) -> bool:
        return any(r.status != UNCHANGED for r in self.rulesets)

    def counts(self) -> dict[str, int]:
        statuses = [r.status for r in self.rulesets]
        elements = [e.status for r in self.rulesets for e in r.elements]
        return {
            **{f"rulesets_{s}": statuses.count(s) for s in (ADDED, REMOVED, CHANGED, UNCHANGED)},
            **{f"elements_{s}": elements.count(s) for s in (ADDED, REMOVED, CHANGED)},
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old_label,
            "new": self.new_label,
            "rulesets": [r.to_dict() for r in self.rulesets],
            "summary": self.counts(),
        }

    def lines(self) -> list[str]:
        out = [f"ruleset diff {self.old_label} → {self.new_label}"]
        for ruleset in self.rulesets:
            out += _ruleset_lines(ruleset)
        c = self.counts()
        out.append(
            f"{len(self.rulesets)} ruleset(s): {c['rulesets_changed']} changed, "
            f"{c['rulesets_added']} added, {c['rulesets_removed']} removed, "
            f"{c['rulesets_unchanged']} unchanged; elements: {c['elements_changed']} changed, "
            f"{c['elements_added']} added, {c['elements_removed']} removed"
        )
        return out


# ---------------------------------------------------------------------------------------------
# comparing
# ---------------------------------------------------------------------------------------------


def diff_rulesets(
    old: Mapping[str, RulesetIR],
    new: Mapping[str, RulesetIR],
    *,
    old_label: str = "old",
    new_label: str = "new",
) -> RulesetsDiff:
    """Compare two sets of rulesets keyed by folder name (added, removed, changed ones)."""
    names = sorted(set(old) | set(new))
    return RulesetsDiff(
        old_label, new_label, tuple(diff_ruleset(n, old.get(n), new.get(n)) for n in names)
    )


def diff_ruleset(name: str, old: RulesetIR | None, new: RulesetIR | None) -> RulesetDiff:
    old_version = old.identity.version if old else None
    new_version = new.identity.version if new else None
    if old is None or new is None:
        return RulesetDiff(name, ADDED if old is None else REMOVED, old_version, new_version)
    changes = _changes(header_fields(old), header_fields(new))
    elements = tuple(
        e for kind, extract in ELEMENTS for e in diff_elements(kind, extract(old), extract(new))
    )
    status = CHANGED if changes or elements else UNCHANGED
    return RulesetDiff(name, status, old_version, new_version, changes, elements)


def diff_elements(
    kind: str, old: Mapping[str, Fields], new: Mapping[str, Fields]
) -> list[ElementDiff]:
    """Elements of one kind: those added (in new order), changed, then removed (old order)."""
    out: list[ElementDiff] = []
    for key, fields in new.items():
        if key not in old:
            out.append(ElementDiff(kind, key, ADDED, value=_set(fields)))
        elif changes := _changes(old[key], fields):
            out.append(ElementDiff(kind, key, CHANGED, changes))
    out += [ElementDiff(kind, k, REMOVED, value=_set(f)) for k, f in old.items() if k not in new]
    return out


def _changes(old: Fields, new: Fields) -> tuple[Change, ...]:
    keys = [*old, *(k for k in new if k not in old)]
    return tuple(Change(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k))


def _set(fields: Fields) -> Fields:
    return {k: v for k, v in fields.items() if v not in (None, [], {})}


# ---------------------------------------------------------------------------------------------
# the fields of each element, as an author reviews them
# ---------------------------------------------------------------------------------------------


def _expr(expr: Expr | None) -> str | None:
    return " ".join(expr.source.split()) if expr is not None else None


def _explain(explain: Explanation, prefix: str = "") -> Fields:
    return {f"{prefix}explain.zh": explain.zh, f"{prefix}explain.en": explain.en}


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def header_fields(ir: RulesetIR) -> Fields:
    return {
        "id": ir.identity.id,
        "version": ir.identity.version,
        "title": ir.title,
        "jurisdiction": ir.jurisdiction,
        "timezone": ir.timezone,
        "hit_policy": ir.hit_policy,
        "calendar": {"name": ir.calendar.name, "beyond": ir.calendar.beyond},
        "events": list(ir.event_types),
        "lifecycle": _lifecycle(ir.lifecycle),
    }


def _lifecycle(lifecycle: Lifecycle | None) -> Fields | None:
    if lifecycle is None:
        return None
    return {
        "received": lifecycle.received,
        "before_received": list(lifecycle.before_received),
        "records": dict(lifecycle.records),
        "payment_clock": lifecycle.payment_clock,
    }


def lifecycle_rule_fields(r: LifecycleRule) -> Fields:
    checks = {"after": list(r.after), "open": list(r.open), "detail": list(r.detail)}
    return {"event": list(r.events), **checks, "once": r.once, "title": r.title or None}


def derive_fields(d: Derive) -> Fields:
    return {"scope": d.scope, "expr": _expr(d.expr), "description": d.description or None}


def rule_fields(r: Rule) -> Fields:
    return {
        "title": r.title,
        "when": _expr(r.when),
        "outcome": r.outcome,
        "reason_code": r.reason_code,
        "priority": r.priority,
        "scope": r.scope,
        "effective_from": r.effective_from.isoformat() if r.effective_from else None,
        "effective_to": r.effective_to.isoformat() if r.effective_to else None,
        "legal_basis": list(r.legal_basis),
        **_explain(r.explain),
        "codes": dict(r.codes),
    }


def cell_text(test: CellTest) -> str:
    if test.op == "in":
        return "in [" + ", ".join(_value(v) for v in test.value) + "]"
    if test.op == "==":
        return "= " + _value(test.value)
    return test.text


def row_text(table: Table, row: TableRow) -> str:
    cells = [
        f"{i.name} {cell_text(t)}"
        for i, t in zip(table.inputs, row.tests, strict=True)
        if t.op != "any"
    ]
    return f"{', '.join(cells) or 'any'} → {_outputs_text(table, row.outputs)}"


def _outputs_text(table: Table, values: tuple[Any, ...]) -> str:
    pairs = zip(table.outputs, values, strict=True)
    return ", ".join(f"{name} = {_value(v)}" for (name, _), v in pairs)


def table_fields(t: Table) -> Fields:
    return {
        "hit_policy": t.hit_policy,
        "inputs": [f"{i.name}: {_expr(i.expr)}" for i in t.inputs],
        "outputs": [f"{name}: {type_}" for name, type_ in t.outputs],
        "rows": [row_text(t, r) for r in t.rows],
        "default": _outputs_text(t, t.default) if t.default is not None else None,
    }


def step_fields(s: BenefitStep) -> Fields:
    reason = s.reason
    return {
        "kind": s.kind,
        "title": s.title or None,
        STEP_KINDS.get(s.kind, "expr"): _expr(s.expr),
        "per": s.per,
        "reason.code": reason.code if reason else None,
        "reason.outcome": reason.outcome if reason else None,
        "reason.legal_basis": list(reason.legal_basis) if reason else None,
        **(_explain(reason.explain, "reason.") if reason else {}),
    }


def _span(seconds: int) -> str | None:
    if not seconds:
        return None
    return f"{seconds // 86400}d" if seconds % 86400 == 0 else f"{seconds // 3600}h"


def sla_fields(n: SlaNode) -> Fields:
    ext = n.extension
    return {
        "title": n.title,
        "start_event": list(n.start_events),
        "start_where": _expr(n.start_where),
        "start_fact": _expr(n.start_fact),
        "start_rule": n.start_rule,
        "restart_event": list(n.restart_events),
        "stop_event": list(n.stop_events),
        "pause_events": [f"{pause} → {resume}" for pause, resume in n.pauses],
        "duration": n.duration,
        "unit": n.unit,
        "roll_to_working_day": n.roll_to_working_day,
        "extension": (
            {
                "event": ext.event,
                "max": ext.max,
                "requires_approval": ext.requires_approval,
                "requires_notice": ext.requires_notice,
            }
            if ext
            else None
        ),
        "applies_when": _expr(n.applies_when),
        "due_soon": _span(n.due_soon_seconds),
        "breach_action": n.breach_action,
        "legal_basis": list(n.legal_basis),
        **_explain(n.explain),
    }


def _derives(ir: RulesetIR) -> dict[str, Fields]:
    return {
        (f"line.{d.name}" if d.scope == "line" else d.name): derive_fields(d) for d in ir.derives
    }


ELEMENTS: tuple[tuple[str, Callable[[RulesetIR], dict[str, Fields]]], ...] = (
    ("derive", _derives),
    ("table", lambda ir: {t.id: table_fields(t) for t in ir.tables}),
    ("rule", lambda ir: {r.id: rule_fields(r) for r in ir.rules}),
    ("benefit_step", lambda ir: {s.id: step_fields(s) for s in ir.benefit}),
    ("sla", lambda ir: {n.id: sla_fields(n) for n in ir.sla}),
    (
        "lifecycle_rule",
        lambda ir: (
            {r.id: lifecycle_rule_fields(r) for r in ir.lifecycle.rules} if ir.lifecycle else {}
        ),
    ),
    ("label", lambda ir: {code: dict(words) for code, words in ir.labels.items()}),
)


# ---------------------------------------------------------------------------------------------
# text
# ---------------------------------------------------------------------------------------------


def _ruleset_lines(r: RulesetDiff) -> list[str]:
    if r.status == ADDED:
        return [f"+ ruleset {r.name} (version {r.new_version})"]
    if r.status == REMOVED:
        return [f"- ruleset {r.name} (version {r.old_version})"]
    if r.status == UNCHANGED:
        return [f"= ruleset {r.name} (version {r.new_version}): no semantic change"]
    out = [f"~ ruleset {r.name}"]
    out += [f"    {line}" for c in r.changes for line in change_lines(c)]
    for e in r.elements:
        out.append(f"  {_MARK[e.status]} {e.kind} {e.id}")
        if e.status == CHANGED:
            out += [f"      {line}" for c in e.changes for line in change_lines(c)]
        elif e.status == ADDED:
            out += [f"      {line}" for k, v in e.value.items() for line in _value_lines(k, v)]
    return out


def change_lines(c: Change) -> list[str]:
    """``field: old → new``, or -/+ lines for lists and long text."""
    if isinstance(c.old, list) or isinstance(c.new, list):
        return [f"{c.field}:", *(f"  {line}" for line in _list_delta(c.old, c.new))]
    old, new = _show(c.old), _show(c.new)
    if len(old) + len(new) <= _INLINE * 2 and len(old) <= _INLINE and len(new) <= _INLINE:
        return [f"{c.field}: {old} → {new}"]
    return [f"{c.field}:", f"  - {old}", f"  + {new}"]


def _list_delta(old: Any, new: Any) -> Iterator[str]:
    a = [_show(v) for v in old] if isinstance(old, list) else []
    b = [_show(v) for v in new] if isinstance(new, list) else []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag in ("delete", "replace"):
            yield from (f"- {v}" for v in a[i1:i2])
        if tag in ("insert", "replace"):
            yield from (f"+ {v}" for v in b[j1:j2])


def _value_lines(key: str, value: Any) -> list[str]:
    if isinstance(value, list):
        return [f"{key}:", *(f"  {_show(v)}" for v in value)]
    return [f"{key}: {_show(value)}"]


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    return _value(value)
