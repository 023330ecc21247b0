"""The shape of ruleset YAML: allowed keys, required keys and value kinds per section.

One declarative table drives three things: the compiler's structural checks (with "did you
mean" for unknown keys), the JSON Schema editors use, and the README's reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.outcome import OUTCOMES
from engine.ruleset.ir import LIFECYCLE_ROLES


@dataclass(frozen=True)
class Key:
    kind: str  # str | int | date | expr | list | map | bool | number | any
    required: bool = False
    enum: tuple[str, ...] = ()
    doc: str = ""
    missing: str = "E-SCHEMA"  # diagnostic code when a required key is absent


EXPLAIN = {
    "zh": Key(
        "str",
        True,
        doc="Chinese text for the member; {fact.path} placeholders",
        missing="E-EXPLAIN",
    ),
    "en": Key(
        "str",
        True,
        doc="English text for the member; {fact.path} placeholders",
        missing="E-EXPLAIN",
    ),
}

TOP = {
    "ruleset": Key("str", True, doc="ruleset id, e.g. cn-health"),
    "version": Key("str", True, doc="version of this ruleset, e.g. 1.4.0"),
    "title": Key("str", doc="human title"),
    "description": Key("str"),
    "jurisdiction": Key("str", True, doc="CN, US ..."),
    "timezone": Key("str", True, doc="IANA zone in which dates and deadlines are counted"),
    "hit_policy": Key(
        "str",
        enum=("collect", "first"),
        doc="collect: every matching rule applies; first: only the first by priority",
    ),
    "include": Key("list", doc="other YAML files of this folder holding more sections"),
    "derive": Key("list", doc="derived facts computed once per claim (or per line)"),
    "tables": Key("list", doc="decision tables"),
    "rules": Key("list", doc="compliance rules"),
    "benefit": Key("list", doc="cost-sharing steps, applied per line in order"),
    "sla": Key("list", doc="SLA clock nodes"),
    "events": Key("list", doc="the event types a claim timeline may carry"),
    "labels": Key("map", doc="words for codes in explanations: {code: {zh: ..., en: ...}}"),
    "calendar": Key("map", doc="working-day calendar: {name: CN|weekdays, beyond: error|weekdays}"),
    "lifecycle": Key("map", doc="the claim's life: which timeline events may follow which"),
}

INCLUDED = {
    k: TOP[k] for k in ("derive", "tables", "rules", "benefit", "sla", "events", "lifecycle")
}

DERIVE = {
    "name": Key("str", True, doc="fact name; line-scope facts are read as line.<name>"),
    "expr": Key("expr", True),
    "scope": Key("str", enum=("claim", "line")),
    "description": Key("str"),
}

RULE = {
    "id": Key("str", True, doc="stable rule id, snake_case"),
    "title": Key("str", True),
    "description": Key("str"),
    "when": Key("expr", True, doc="condition under which the rule applies"),
    "outcome": Key("str", True, enum=OUTCOMES),
    "reason_code": Key("str", True, doc="our reason code, e.g. ELIG-INACTIVE"),
    "codes": Key("map", doc="the same reason in other code systems: {hcx: ..., carc: ...}"),
    "scope": Key("str", enum=("claim", "line")),
    "priority": Key("int", doc="higher is considered first (default 0)"),
    "effective_from": Key("date", doc="first loss/service date the rule applies to"),
    "effective_to": Key("date", doc="last loss/service date the rule applies to"),
    "legal_basis": Key(
        "list", True, doc="citations, e.g. 'PRC Insurance Law art. 22'", missing="E-LEGAL"
    ),
    "explain": Key("map", True, doc="zh and en text for the member", missing="E-EXPLAIN"),
}

TABLE = {
    "id": Key("str", True),
    "description": Key("str"),
    "hit_policy": Key("str", True, enum=("unique", "first", "collect")),
    "inputs": Key("list", True),
    "outputs": Key("list", True),
    "rows": Key("list", True),
    "default": Key("map", doc="outputs when no row matches"),
}

TABLE_INPUT = {"name": Key("str", True), "expr": Key("expr", True)}
TABLE_OUTPUT = {
    "name": Key("str", True),
    "type": Key("str", True, enum=("number", "string", "bool")),
}
TABLE_ROW = {"when": Key("map"), "then": Key("map", True), "note": Key("str")}

STEP_KINDS = {
    "eligible": "amount",
    "deductible": "remaining",
    "coinsurance": "rate",
    "limit": "remaining",
}
STEP = {
    "id": Key("str", True),
    "title": Key("str"),
    "kind": Key("str", True, enum=tuple(STEP_KINDS)),
    "amount": Key("expr", doc="eligible: the eligible amount of a line"),
    "remaining": Key("expr", doc="deductible/limit: amount left at the start of the claim"),
    "rate": Key("expr", doc="coinsurance: share the plan pays, 0..1"),
    "per": Key(
        "str",
        enum=("claim", "line"),
        doc="limit/deductible: shared by the claim's lines (claim) or per line",
    ),
    "reason": Key("map", doc="reason given when this step reduces what is paid"),
}

STEP_REASON = {
    "code": Key("str", True),
    "outcome": Key("str", True, enum=OUTCOMES),
    "legal_basis": Key("list", True, doc="citations of the law or clause", missing="E-LEGAL"),
    "explain": Key("map", True, doc="zh and en text for the member", missing="E-EXPLAIN"),
    "codes": Key("map"),
}

KIND_CHECK: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "list": (list,),
    "map": (dict,),
    "bool": (bool,),
    "number": (int, float),
    "expr": (str, bool, int, float),  # `when: true` and `amount: 0` are expressions too
}


def kind_ok(kind: str, value: Any) -> bool:
    if kind in ("any", "date"):
        return True
    if kind in ("int", "number") and isinstance(value, bool):
        return False
    if kind == "str" and isinstance(value, int | float) and not isinstance(value, bool):
        return True  # version: 1.0 is fine as text
    return isinstance(value, KIND_CHECK[kind])


CALENDAR = {
    "name": Key("str", True, enum=("CN", "weekdays")),
    "beyond": Key(
        "str",
        enum=("error", "weekdays"),
        doc="years the calendar has no data for: fail, or count Monday-Friday",
    ),
}

EVENT_TYPE = {"type": Key("str", True), "description": Key("str")}

SLA_UNITS = ("calendar_days", "working_days", "hours")
SLA = {
    "id": Key("str", True),
    "title": Key("str", True),
    "description": Key("str"),
    "start_event": Key("any", doc="event type (or list) whose first occurrence starts the clock"),
    "start_where": Key("expr", doc="condition on the start event, e.g. .detail.outcome == 'deny'"),
    "start_fact": Key("expr", doc="alternatively: a date fact that starts the clock"),
    "start_rule": Key(
        "str",
        enum=("next_day", "same_day"),
        doc="day units: count from the day after the start (default) or the same day",
    ),
    "restart_event": Key("any", doc="event type (or list) that starts the clock afresh"),
    "stop_event": Key("any", True, doc="event type (or list) that stops the clock"),
    "duration": Key("int", True),
    "unit": Key("str", True, enum=SLA_UNITS),
    "roll_to_working_day": Key("bool", doc="a deadline on a non-working day moves to the next one"),
    "pause_events": Key("list", doc="[{pause: type, resume: type}]"),
    "extension": Key("map", doc="{event, max, requires_approval, requires_notice}"),
    "applies_when": Key("expr"),
    "due_soon": Key("str", doc="warning threshold before the deadline: 48h or 2d"),
    "breach_action": Key("str", True, doc="escalate, advance_payment_due, ..."),
    "legal_basis": Key("list", True, doc="citations of the law or clause", missing="E-LEGAL"),
    "explain": Key("map", True, doc="zh and en text for the member", missing="E-EXPLAIN"),
}

SLA_PAUSE = {"pause": Key("str", True), "resume": Key("str", True)}
SLA_EXTENSION = {
    "event": Key("str", True),
    "max": Key("int", True, doc="most units the clock can be extended by, in total"),
    "requires_approval": Key("bool", doc="the event's detail must name approved_by"),
    "requires_notice": Key("bool", doc="the event's detail must carry notice_at"),
}

LIFECYCLE = {
    "received": Key(
        "str",
        True,
        doc="event type that marks the claim received; only before_received types precede it",
        missing="E-LIFECYCLE",
    ),
    "before_received": Key(
        "list", doc="event types that may come, and be dated, before the claim is received"
    ),
    "records": Key(
        "map", doc="event types the engine records for the claim's life: {decided: claim_decided}"
    ),
    "payment_clock": Key("str", doc="SLA id whose deadline a member sees as 'payment due by'"),
    "rules": Key("list", doc="what an event of a type needs from the events before it"),
}

_RECORD_DOCS = {
    "decided": "a determination (approve, partial, deny) by the rules or a person",
    "amount_agreed": "the amount a determination pays (starts the payment clock)",
    "documents_requested": "a request for documents (written by people; detail.missing)",
    "document_received": "one document arrived",
    "documents_completed": "the last requested document arrived",
    "advance_paid": "a payment that leaves part of the payable to pay",
    "paid": "the payable is paid in full",
    "appeal_received": "the claimant disputes the determination",
}
LIFECYCLE_RECORDS = {role: Key("str", doc=_RECORD_DOCS[role]) for role in LIFECYCLE_ROLES}

LIFECYCLE_RULE = {
    "id": Key("str", True, doc="stable id of the lifecycle rule, snake_case"),
    "title": Key("str"),
    "event": Key("any", True, doc="event type (or list) the rule governs"),
    "after": Key("any", doc="needs an earlier event of this type (or one of these)"),
    "open": Key(
        "any",
        doc="needs an earlier event of this type (or one of these) not yet closed by one of "
        "the rule's own event types",
    ),
    "once": Key("bool", doc="no other current event of the same type"),
    "detail": Key("list", doc="keys the event's detail must carry, non-empty"),
    "suggestion": Key("str", doc="what to do when the rule is broken"),
}
#: Keys of a lifecycle rule that check something (a rule needs at least one).
LIFECYCLE_CHECKS = ("after", "open", "once", "detail")
