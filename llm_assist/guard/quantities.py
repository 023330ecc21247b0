"""Amounts, durations, dates and line references stated in a text, and the ones a decision holds.

Why kinds: "30 days" and "CNY 30.00" are different claims about a case, so a money amount
must be one of the decision's amounts and a duration one of its durations (or a number its
own explanations state). Values are compared as numbers, so ``3,648.40``, ``3648.4`` and
``¥3648.40`` are the same amount, and ``2.3万元`` is 23000. Approximations ("about 24,000")
are not grounded on purpose: a note restates the decision's figures exactly or not at all.

Dates are matched as calendar dates in any of the forms the engine and models write
(``2025-07-23``, ``2025年7月23日``, ``23 July 2025``, ``July 23, 2025``); a date without
a year (``7月23日``) must match the month and day of a decision date.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Literal

from pydantic import JsonValue

from engine.decision import Amounts, Decision, Line

__all__ = ["Grounds", "Quantity", "decision_grounds", "quantities", "text_grounds"]

Kind = Literal["money", "duration", "date", "month_day", "year_month", "line"]

_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９．", "0123456789.")
_NUM = r"(?<![0-9.,])([0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)(?![0-9])"
_ANY_NUMBER = re.compile(_NUM)
_DIGIT = re.compile(r"[0-9]")
_ISO_VALUE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:$|[T ][0-9:.]+(?:Z|[+-][0-9:]+)?$)")
_MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
# Capitalised month names only: "item 1 may ..." is not the first of May.
_MONTH = (
    r"(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_ORD = r"(?:st|nd|rd|th)?"
_I = re.IGNORECASE

# (kind, pattern, how the groups read): dates first, so their parts are not read as numbers
_DATES: tuple[tuple[Kind, re.Pattern[str], str], ...] = (
    ("date", re.compile(r"(?<![0-9])([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?![0-9])"), "ymd"),
    ("date", re.compile(r"(?<![0-9])([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})(?![0-9])"), "ymd"),
    ("date", re.compile(r"([0-9]{4})\s*年\s*([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*[日号]"), "ymd"),
    ("date", re.compile(rf"\b([0-9]{{1,2}}){_ORD}\s+(?:of\s+)?{_MONTH},?\s+([0-9]{{4}})\b"), "dmy"),
    ("date", re.compile(rf"\b{_MONTH}\s+([0-9]{{1,2}}){_ORD},?\s+([0-9]{{4}})\b"), "mdy"),
    ("year_month", re.compile(r"([0-9]{4})\s*年\s*([0-9]{1,2})\s*月(?!\s*[0-9])"), "ym"),
    ("year_month", re.compile(rf"\b{_MONTH}\s+([0-9]{{4}})\b"), "my"),
    ("month_day", re.compile(r"(?<![0-9])([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*[日号]"), "md"),
    ("month_day", re.compile(rf"\b([0-9]{{1,2}}){_ORD}\s+(?:of\s+)?{_MONTH}\b"), "dm"),
    ("month_day", re.compile(rf"\b{_MONTH}\s+([0-9]{{1,2}}){_ORD}\b(?![:0-9])"), "mdm"),
)
_CUR_PRE = r"(?:¥|￥|CNY|RMB|USD|US\$|\$)"
_CUR_SUF = r"(?:元|美元|块钱|(?:CNY|RMB|USD|yuan|dollars?)\b)"
_MONEY = (
    re.compile(rf"{_CUR_PRE}\s*{_NUM}(\s*万)?"),
    re.compile(rf"{_NUM}(\s*万)?\s*{_CUR_SUF}", _I),
    # money-shaped without a currency: grouped thousands or exactly two decimals
    re.compile(r"(?<![0-9.,])([0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+\.[0-9]{2})(?![0-9])"),
)
_UNITS_ZH = r"(?:个工作日|工作日|个自然日|自然日|日历日|天|日|个小时|小时|个月|周|年)"
_UNITS_EN = r"(?:(?:working|business|calendar)[ -]days?|days?|hours?|months?|weeks?|years?)\b"
_DURATIONS = (
    re.compile(rf"{_NUM}\s*{_UNITS_ZH}"),
    re.compile(rf"{_NUM}[ -]?{_UNITS_EN}", _I),
    re.compile(rf"\bday\s+{_NUM}", _I),
)
_LINES = (
    re.compile(r"第\s*([0-9]+)\s*(?:项|行|笔)"),
    re.compile(r"\b(?:item|line)\s*(?:no\.?\s*|#\s*)?([0-9]+)\b(?![.,][0-9])", _I),
)
_MONEY_KEYS = ("submitted", "eligible", "deductible", "copay", "payable")


@dataclass(frozen=True)
class Quantity:
    """One stated quantity: ``value`` is canonical (a Decimal's text, or an ISO date part)."""

    kind: Kind
    value: str
    text: str


@dataclass(frozen=True)
class Grounds:
    """What a text may state: per kind, the canonical values found in the decision."""

    money: frozenset[Decimal] = frozenset()
    durations: frozenset[Decimal] = frozenset()
    dates: frozenset[str] = frozenset()  # "2025-07-23"
    lines: frozenset[int] = frozenset()

    def __or__(self, other: Grounds) -> Grounds:
        return Grounds(
            self.money | other.money,
            self.durations | other.durations,
            self.dates | other.dates,
            self.lines | other.lines,
        )

    def holds(self, quantity: Quantity) -> bool:
        kind, value = quantity.kind, quantity.value
        if kind == "money":
            return Decimal(value) in self.money
        if kind == "duration":
            return Decimal(value) in self.durations
        if kind == "line":
            return int(value) in self.lines
        if kind == "date":
            return value in self.dates
        if kind == "year_month":
            return any(d.startswith(value + "-") for d in self.dates)
        return any(d.endswith("-" + value) for d in self.dates)  # month_day "07-23"


@lru_cache(maxsize=8192)
def quantities(text: str) -> tuple[Quantity, ...]:
    """Every date, amount, duration and line reference in ``text``, in that order of kinds.

    Cached: decisions repeat the same explanation texts claim after claim.
    """
    work = text.translate(_FULL_WIDTH_DIGITS)
    found: list[Quantity] = []
    if not _DIGIT.search(work):
        return ()
    work = _dates(work, found)
    for pattern in _MONEY:
        work = _take(work, pattern, found, _money)
    for pattern in _DURATIONS:
        work = _take(work, pattern, found, lambda m: _number("duration", m.group(1), m))
    for pattern in _LINES:
        work = _take(work, pattern, found, lambda m: _number("line", m.group(1), m))
    return tuple(found)


def _dates(work: str, found: list[Quantity]) -> str:
    for kind, pattern, order in _DATES:
        work = _take(work, pattern, found, lambda m, k=kind, o=order: _date(k, m, o))
    return work


@lru_cache(maxsize=8192)
def _full_dates(text: str) -> frozenset[str]:
    """The complete dates of a decision string (ISO values take the fast path)."""
    if _ISO_VALUE.match(text):
        return frozenset({text[:10]}) if _valid_iso(text[:10]) else frozenset()
    if not _DIGIT.search(text):
        return frozenset()
    found: list[Quantity] = []
    _dates(text.translate(_FULL_WIDTH_DIGITS), found)
    return frozenset(q.value for q in found if q.kind == "date")


def _valid_iso(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _take(text: str, pattern: re.Pattern[str], out: list[Quantity], read: Any) -> str:
    """Append what ``pattern`` reads and blank the matches, so no digit is read twice."""
    spans: list[tuple[int, int]] = []
    for match in pattern.finditer(text):
        quantity = read(match)
        if quantity is not None:
            out.append(quantity)
            spans.append(match.span())
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def _month(name: str) -> int:
    key = name.lower().rstrip(".")[:3]
    return next(i for i, m in enumerate(_MONTHS, start=1) if m.startswith(key))


def _date(kind: Kind, match: re.Match[str], order: str) -> Quantity | None:
    g = match.groups()
    parts: dict[str, int]
    if order == "ymd":
        parts = {"y": int(g[0]), "m": int(g[1]), "d": int(g[2])}
    elif order == "dmy":
        parts = {"d": int(g[0]), "m": _month(g[1]), "y": int(g[2])}
    elif order == "mdy":
        parts = {"m": _month(g[0]), "d": int(g[1]), "y": int(g[2])}
    elif order == "ym":
        parts = {"y": int(g[0]), "m": int(g[1])}
    elif order == "my":
        parts = {"m": _month(g[0]), "y": int(g[1])}
    elif order in ("md", "mdm"):
        parts = {"m": int(g[0]) if order == "md" else _month(g[0]), "d": int(g[1])}
    else:  # "dm"
        parts = {"d": int(g[0]), "m": _month(g[1])}
    try:  # an impossible date (2025-02-30) stays a date, which no decision holds
        dt.date(parts.get("y", 2000), parts["m"], parts.get("d", 1))
    except ValueError:
        return Quantity(kind, "invalid", match.group())
    if kind == "date":
        value = f"{parts['y']:04d}-{parts['m']:02d}-{parts['d']:02d}"
    elif kind == "year_month":
        value = f"{parts['y']:04d}-{parts['m']:02d}"
    else:
        value = f"{parts['m']:02d}-{parts['d']:02d}"
    return Quantity(kind, value, match.group())


def _money(match: re.Match[str]) -> Quantity | None:
    groups = match.groups()
    ten_thousands = len(groups) > 1 and bool(groups[1])
    return _number("money", groups[0], match, 10_000 if ten_thousands else 1)


def _number(kind: Kind, digits: str, match: re.Match[str], scale: int = 1) -> Quantity | None:
    value = _decimal(digits)
    if value is None:
        return None
    return Quantity(kind, _canonical(value * scale), match.group())


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _canonical(value: Decimal) -> str:
    return f"{value.normalize():f}"


# ------------------------------------------------------------------------------- grounds


def decision_grounds(decision: Decision) -> Grounds:
    """The amounts, durations, dates and line ids a decision states (module docstring).

    Money: the totals, every line's amounts, the benefit balance, the usual differences a
    reader computes (submitted - payable, deductible + copay, ...), amount-like trace facts
    and every number in the reasons' and notices' texts. Durations: the clocks' durations
    and extensions, integer trace facts and every number in the reasons', notices' and
    clocks' texts (titles too). Days left or overdue are not grounded on purpose: they
    change with the clock, so a note states the due date instead. Dates: every date written
    anywhere in the decision's JSON form.
    """
    money: set[Decimal] = set()
    durations: set[Decimal] = set()
    rows: list[Amounts | Line] = [decision.amounts, *decision.lines]
    for row in rows:
        money |= _amount_set(row)
    money |= set(decision.benefit_balance.values())
    texts = [t for r in decision.reasons for t in (r.explanation.zh, r.explanation.en)]
    texts += [t for n in decision.notices for t in (n.zh, n.en)]
    stated = {d for t in texts for d in _numbers_in(t)}
    money |= stated
    durations |= stated
    for entry in decision.trace:
        facts = _values(entry.facts)
        money |= _decimals(f for f in facts if not isinstance(f, int))
        durations |= {Decimal(f) for f in facts if isinstance(f, int) and not isinstance(f, bool)}
    for clock in decision.sla:
        durations |= {Decimal(clock.duration), Decimal(clock.extended_by)}
        durations.add(Decimal(clock.duration + clock.extended_by))
        for text in (clock.explanation.zh, clock.explanation.en, clock.title):
            durations |= set(_numbers_in(text))
    lines = {line.line_id for line in decision.lines}
    return Grounds(
        frozenset(money), frozenset(durations), _dates_in(decision.json_form()), frozenset(lines)
    )


def text_grounds(texts: Iterable[str], numbers: Iterable[str] = ()) -> Grounds:
    """Grounds of extra texts (the selected rights entries and their key numbers)."""
    found: set[Decimal] = set()
    dates: set[str] = set()
    for text in texts:
        found |= set(_numbers_in(text))
        dates |= {q.value for q in quantities(text) if q.kind == "date"}
    found |= {d for n in numbers for d in _numbers_in(n)}
    return Grounds(frozenset(found), frozenset(found), frozenset(dates))


def _amount_set(row: Amounts | Line) -> set[Decimal]:
    out = {row.submitted, row.eligible, row.deductible, row.copay, row.payable}
    out |= {row.submitted - row.payable, row.submitted - row.eligible, row.eligible - row.payable}
    out.add(row.deductible + row.copay)
    return out


def _numbers_in(text: str) -> Iterator[Decimal]:
    """Every number of a decision text, dates excepted (a due date's day is not a period)."""
    for match in _ANY_NUMBER.finditer(_dates(text.translate(_FULL_WIDTH_DIGITS), [])):
        value = _decimal(match.group(1))
        if value is not None:
            yield value


def _dates_in(value: JsonValue) -> frozenset[str]:
    """Every date in a decision's JSON form, except a clock's exclusive ``due_at`` boundary
    (midnight after the due date): "due 24 July" for a clock due on 23 July is a wrong date.
    The JSON form is walked whole on purpose: a date anywhere in the decision (trace facts,
    timeline events, clocks) is one it states."""
    out: set[str] = set()
    for text in _strings(value):
        out |= _full_dates(text)
    return frozenset(out)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        skip = "due_at" if isinstance(value.get("due_date"), str) else None
        for key, item in value.items():
            if key != skip:
                yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _values(facts: Mapping[str, JsonValue]) -> list[JsonValue]:
    """The values a trace entry read (lists flattened one level)."""
    out: list[JsonValue] = []
    for item in facts.values():
        out.extend(item if isinstance(item, list) else [item])
    return out


def _decimals(values: Iterable[Any]) -> set[Decimal]:
    out: set[Decimal] = set()
    for value in values:
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float | Decimal) or (
            isinstance(value, str) and re.fullmatch(r"-?[0-9]+(?:\.[0-9]+)?", value)
        ):
            parsed = _decimal(str(value))
            if parsed is not None:
                out.add(parsed)
    return out
