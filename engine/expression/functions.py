"""The whitelist of functions a condition may call, with their typing and implementation.

Adding a function is a code review, not a YAML change: rule authors get a fixed, documented
vocabulary, and nothing in YAML can reach arbitrary Python. Each entry declares how its
result type follows from its argument types, so the checker rejects misuse at compile time.

Item functions (``any``, ``all``, ``count``, ``sum``, ``min``/``max`` over a list, ``map``)
take a list and an item expression written with ``.field`` paths.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine.claim import id_number_checksum_valid
from engine.expression.numbers import quantize
from engine.expression.types import ANY, BOOL, DATE, NUMBER, STRING, T, TypeIssue, list_of

TypeRule = Callable[[list[T], int], T]


@dataclass(frozen=True)
class Function:
    name: str
    min_args: int
    max_args: int  # -1: variadic
    type_rule: TypeRule
    impl: Callable[..., Any]
    item_arg: bool = False  # 2nd argument is an item expression over the 1st (a list)
    doc: str = ""


def _want(types: list[T], index: int, kinds: Sequence[str], col: int, fn: str) -> T:
    t = types[index]
    if t.kind not in (*kinds, "any"):
        raise TypeIssue(f"{fn}() argument {index + 1} must be {' or '.join(kinds)}, not {t}", col)
    if t.optional:
        raise TypeIssue(
            f"{fn}() argument {index + 1} may be missing",
            col,
            "wrap it in coalesce(value, default)",
            "E-NULLABLE",
        )
    return t


def _days_between(a: dt.date, b: dt.date) -> int:
    return (b - a).days


def _age_at(birth: dt.date, on: dt.date) -> int:
    before_birthday = (on.month, on.day) < (birth.month, birth.day)
    return on.year - birth.year - (1 if before_birthday else 0)


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _items(values: list[Any], fn: Callable[[Any], Any] | None) -> list[Any]:
    return [fn(v) for v in values] if fn else list(values)


def _sum(values: list[Any], fn: Callable[[Any], Any] | None = None) -> Any:
    total: Any = 0
    for v in _items(values, fn):
        total = total + v
    return quantize(total)


def _count(values: list[Any], fn: Callable[[Any], Any] | None = None) -> int:
    return sum(1 for v in values if fn is None or fn(v) is True)


def _extreme(pick: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any) -> Any:
        if len(args) == 2 and isinstance(args[0], list) and callable(args[1]):
            values = [args[1](v) for v in args[0]]
            return pick(values) if values else None
        if len(args) == 1 and isinstance(args[0], list):
            return pick(args[0]) if args[0] else None
        return pick(args)

    return run


def _round(value: Decimal, places: int = 0) -> Decimal:
    return Decimal(quantize(Decimal(value).quantize(Decimal(1).scaleb(-int(places)))))


def _difference(a: list[Any], b: list[Any]) -> list[Any]:
    held = set(b)
    return [x for x in a if x not in held]


def _unique(a: list[Any]) -> list[Any]:
    return list(dict.fromkeys(a))


def _coalesce(*args: Any) -> Any:
    return next((a for a in args if a is not None), None)


def _rerequested(events: list[Any], documents: list[Any], required: list[Any]) -> list[str]:
    """Items a later document request asked for that were knowable at the first (IL art. 22).

    Knowable at the first request = required by the claim and not held at that moment. A
    later request may only ask for what that first notice could not have known.
    """
    requests = sorted(
        (e for e in events if e["type"] == "documents_requested"), key=lambda e: e["at"]
    )
    if len(requests) < 2:
        return []
    first = requests[0]
    held = {d["type"] for d in documents if d["received_at"] <= first["at"]}
    knowable = {str(r) for r in required} - held
    asked_first = {str(m) for m in (first.get("detail") or {}).get("missing", [])}
    late: set[str] = set()
    for later in requests[1:]:
        asked = {str(m) for m in (later.get("detail") or {}).get("missing", [])}
        late |= (asked & knowable) - asked_first
    return sorted(late)


def _invoice_paid(prior_claims: list[Any], invoice_no: Any) -> Decimal:
    """What earlier claims actually paid on one invoice (HIM art. 5).

    Only money paid reduces a later line: a refused claim, or one whose payment is not
    recorded, paid nothing that can be counted here (rules send the unknown case to a person).
    """
    same = (p.get("paid") for p in prior_claims if p["invoice_no"] == invoice_no)
    return Decimal(quantize(sum((p for p in same if p is not None), Decimal(0))))


# ---- typing rules -------------------------------------------------------------------------


def _t_dates_to_number(name: str) -> TypeRule:
    def rule(ts: list[T], col: int) -> T:
        _want(ts, 0, ["date"], col, name)
        _want(ts, 1, ["date"], col, name)
        return NUMBER

    return rule


def _t_add_days(ts: list[T], col: int) -> T:
    _want(ts, 0, ["date"], col, "add_days")
    _want(ts, 1, ["number"], col, "add_days")
    return DATE


def _t_date(ts: list[T], col: int) -> T:
    _want(ts, 0, ["string"], col, "date")
    return DATE


def _t_year(ts: list[T], col: int) -> T:
    _want(ts, 0, ["date"], col, "year")
    return NUMBER


def _t_list_bool(name: str) -> TypeRule:
    def rule(ts: list[T], col: int) -> T:
        _want(ts, 0, ["list"], col, name)
        if len(ts) > 1:
            _want(ts, 1, ["bool"], col, name)
        return BOOL if name != "count" else NUMBER

    return rule


def _t_sum(ts: list[T], col: int) -> T:
    t = _want(ts, 0, ["list"], col, "sum")
    value = ts[1] if len(ts) > 1 else (t.elem or ANY)
    if value.kind not in ("number", "any"):
        raise TypeIssue(f"sum() adds numbers, not {value}", col)
    return NUMBER


def _t_extreme(name: str) -> TypeRule:
    def rule(ts: list[T], col: int) -> T:
        if ts[0].kind == "list":
            value = ts[1] if len(ts) > 1 else (ts[0].elem or ANY)
            return value.nullable()
        kinds = {t.kind for t in ts} - {"any"}
        if len(kinds) > 1 or not kinds <= {"number", "date"}:
            raise TypeIssue(f"{name}() needs numbers or dates of one kind", col)
        for i in range(len(ts)):
            _want(ts, i, ["number", "date"], col, name)
        return ts[0]

    return rule


def _t_map(ts: list[T], col: int) -> T:
    _want(ts, 0, ["list"], col, "map")
    return list_of(ts[1].required())


def _t_number(name: str) -> TypeRule:
    def rule(ts: list[T], col: int) -> T:
        for i in range(len(ts)):
            _want(ts, i, ["number"], col, name)
        return NUMBER

    return rule


def _t_rerequested(ts: list[T], col: int) -> T:
    for i in range(3):
        _want(ts, i, ["list"], col, "rerequested_documents")
    return list_of(STRING)


def _t_invoice_paid(ts: list[T], col: int) -> T:
    _want(ts, 0, ["list"], col, "invoice_paid")
    _want(ts, 1, ["string"], col, "invoice_paid")
    return NUMBER


def _t_left(ts: list[T], col: int) -> T:
    _want(ts, 0, ["string"], col, "left")
    _want(ts, 1, ["number"], col, "left")
    return STRING


def _t_len(ts: list[T], col: int) -> T:
    _want(ts, 0, ["list", "string"], col, "len")
    return NUMBER


def _t_coalesce(ts: list[T], col: int) -> T:
    last = ts[-1]
    if last.optional:
        raise TypeIssue("coalesce() needs a last argument that is never missing", col)
    return last


def _t_exists(ts: list[T], col: int) -> T:
    return BOOL


def _t_lists(name: str) -> TypeRule:
    def rule(ts: list[T], col: int) -> T:
        for i in range(len(ts)):
            _want(ts, i, ["list"], col, name)
        return ts[0]

    return rule


def _t_strings(name: str, result: T) -> TypeRule:
    def rule(ts: list[T], col: int) -> T:
        for i in range(len(ts)):
            _want(ts, i, ["string"], col, name)
        return result

    return rule


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in [
        Function(
            "days_between",
            2,
            2,
            _t_dates_to_number("days_between"),
            _days_between,
            doc="days from the first date to the second (negative if earlier)",
        ),
        Function(
            "age_at", 2, 2, _t_dates_to_number("age_at"), _age_at, doc="full years of age on a date"
        ),
        Function(
            "add_days",
            2,
            2,
            _t_add_days,
            lambda d, n: d + dt.timedelta(days=int(n)),
            doc="a date plus a number of calendar days",
        ),
        Function("date", 1, 1, _t_date, _date, doc='a date literal: date("2025-01-01")'),
        Function("year", 1, 1, _t_year, lambda d: d.year, doc="the year of a date"),
        Function(
            "any",
            2,
            2,
            _t_list_bool("any"),
            lambda v, f: any(f(x) is True for x in v),
            item_arg=True,
            doc="true if the item condition holds for at least one item",
        ),
        Function(
            "all",
            2,
            2,
            _t_list_bool("all"),
            lambda v, f: all(f(x) is True for x in v),
            item_arg=True,
            doc="true if the item condition holds for every item (true for none)",
        ),
        Function(
            "count",
            1,
            2,
            _t_list_bool("count"),
            _count,
            item_arg=True,
            doc="number of items (that satisfy the item condition)",
        ),
        Function(
            "sum", 1, 2, _t_sum, _sum, item_arg=True, doc="sum of numbers or of an item expression"
        ),
        Function(
            "min",
            1,
            -1,
            _t_extreme("min"),
            _extreme(min),
            item_arg=True,
            doc="smallest of the arguments, or of an item expression over a list",
        ),
        Function(
            "max",
            1,
            -1,
            _t_extreme("max"),
            _extreme(max),
            item_arg=True,
            doc="largest of the arguments, or of an item expression over a list",
        ),
        Function(
            "map",
            2,
            2,
            _t_map,
            lambda v, f: [f(x) for x in v],
            item_arg=True,
            doc="the list of an item expression's values",
        ),
        Function("abs", 1, 1, _t_number("abs"), abs, doc="absolute value"),
        Function("round", 1, 2, _t_number("round"), _round, doc="round half-even to N places"),
        Function("len", 1, 1, _t_len, len, doc="length of a list or string"),
        Function("coalesce", 2, -1, _t_coalesce, _coalesce, doc="first argument that is present"),
        Function(
            "exists", 1, 1, _t_exists, lambda v: v is not None, doc="true if a fact is present"
        ),
        Function(
            "difference",
            2,
            2,
            _t_lists("difference"),
            _difference,
            doc="items of the first list not in the second",
        ),
        Function("unique", 1, 1, _t_lists("unique"), _unique, doc="the list without repeats"),
        Function(
            "startswith",
            2,
            2,
            _t_strings("startswith", BOOL),
            lambda s, p: s.startswith(p),
            doc="true if a string starts with a prefix",
        ),
        Function(
            "id_checksum_valid",
            1,
            1,
            _t_strings("id_checksum_valid", BOOL),
            id_number_checksum_valid,
            doc="true if a PRC resident ID number passes its GB 11643 check digit",
        ),
        Function(
            "rerequested_documents",
            3,
            3,
            _t_rerequested,
            _rerequested,
            doc="documents a later request asked for that the first request could have "
            "listed: rerequested_documents(events, documents, required)",
        ),
        Function(
            "invoice_paid",
            2,
            2,
            _t_invoice_paid,
            _invoice_paid,
            doc="what earlier claims paid on an invoice (their recorded `paid`): "
            "invoice_paid(prior_claims, line.invoice_no)",
        ),
        Function(
            "left",
            2,
            2,
            _t_left,
            lambda s, n: s[: int(n)],
            doc="the first n characters of a string: left(line.diagnosis_code, 1)",
        ),
        Function(
            "lower",
            1,
            1,
            _t_strings("lower", STRING),
            lambda s: s.lower(),
            doc="a string in lower case",
        ),
    ]
}
