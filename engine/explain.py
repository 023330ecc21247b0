"""Fill explanation templates for members: ``{fact.path}`` or ``{fact.path:format}``.

Formats: ``money`` (``1,234.50元`` / ``CNY 1,234.50``), ``percent`` (``80%``), ``date``
(``2025年6月12日`` / ``12 June 2025``), ``number``, ``text``. Without a format the value's
kind decides: decimals are money, dates are dates, lists are joined. A missing value shows as
``—`` rather than breaking the sentence. A string value the ruleset's ``labels`` section names
(``discharge_summary: {zh: 出院小结, en: discharge summary}``) is shown in words.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from engine.expression.native import lookup
from engine.money import format_date, format_money
from engine.ruleset.placeholders import PLACEHOLDER

MISSING = "—"


Labels = Mapping[str, Mapping[str, str]]


def render(
    template: str, facts: Any, lang: str, currency: str = "CNY", labels: Labels | None = None
) -> str:
    literals, holes = _parsed(template)
    if not holes:
        return template
    out = [literals[0]]
    for (path, fmt), literal in zip(holes, literals[1:], strict=True):
        out.append(format_value(lookup(facts, path), fmt, lang, currency, labels))
        out.append(literal)
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def _parsed(template: str) -> tuple[tuple[str, ...], tuple[tuple[tuple[str, ...], str], ...]]:
    """The template cut at its placeholders, once per template text (a few per ruleset).

    ``literals`` has one more item than ``holes``: the text before, between and after them.
    """
    literals: list[str] = []
    holes: list[tuple[tuple[str, ...], str]] = []
    end = 0
    for match in PLACEHOLDER.finditer(template):
        literals.append(template[end : match.start()])
        holes.append((tuple(match.group(1).split(".")), match.group(2) or ""))
        end = match.end()
    literals.append(template[end:])
    return tuple(literals), tuple(holes)


def format_value(
    value: Any, fmt: str, lang: str, currency: str = "CNY", labels: Labels | None = None
) -> str:
    if value is None:
        return MISSING
    if isinstance(value, list):
        sep = "、" if lang == "zh" else ", "
        return sep.join(format_value(v, fmt, lang, currency, labels) for v in value) or MISSING
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if fmt == "percent" and isinstance(value, int | Decimal):
        return f"{(Decimal(value) * 100).normalize():f}%"
    if isinstance(value, dt.datetime):
        return format_date(value.date(), lang) + value.strftime(" %H:%M")
    if isinstance(value, dt.date):
        return format_date(value, lang)
    if isinstance(value, Decimal) and fmt in ("", "money"):
        return format_money(value, lang, currency)
    if isinstance(value, int) and fmt == "money":
        return format_money(Decimal(value), lang, currency)
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if labels and isinstance(value, str) and value in labels:
        return labels[value].get(lang, value)  # codes such as discharge_summary, in words
    return str(value)
