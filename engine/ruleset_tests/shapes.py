"""The shape of ruleset test files: keys, value kinds, and located problems."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarbool import ScalarBoolean

from engine.decision import CLOCK_STATUSES
from engine.errors import EngineError
from engine.expression.types import suggest
from engine.outcome import OUTCOMES
from engine.ruleset.source import Where, key_where, value_where

TESTS_DIR = "tests"
FILE_KEYS = ("base", "as_of", "cases")
CASE_KEYS = ("name", "base", "patch", "set", "as_of", "add", "void", "expect")
EXPECT_KEYS = (
    "outcome",
    "reasons",
    "fired",
    "not_fired",
    "amounts",
    "lines",
    "explanation_contains",
    "sla",
    "error",
    "timeline",
)
SLA_STATUSES = CLOCK_STATUSES
SLA_KEYS = ("status", "started_at", "due_at", "due_date", "stopped_at", "extended_by")
AMOUNT_KEYS = ("submitted", "eligible", "deductible", "copay", "payable")
LINE_KEYS = ("outcome", "reason_codes", *AMOUNT_KEYS)
LANGUAGES = ("zh", "en")


class RulesetTestError(EngineError):
    """One problem in a test file; ``where`` points at the offending YAML."""

    def __init__(self, where: Where, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{location(where)}: {message}")


def location(where: Where) -> str:
    return f"{where.file}:{where.line}:{where.column}"


def check_line(display: str, lines: CommentedMap, line_id: Any) -> list[str]:
    line = want_map(display, lines, line_id)
    problems = unknown_keys(display, line, LINE_KEYS, f"lines.{line_id}")
    for key in line:
        if key == "outcome":
            problems += collect(partial(want_outcome, display, line, key))
        elif key == "reason_codes":
            problems += collect(partial(want_str_list, display, line, key))
        elif key in AMOUNT_KEYS:
            problems += collect(partial(want_amount, display, line, key))
    return problems


def case_name(case: Any, index: int) -> str:
    if isinstance(case, Mapping) and isinstance(case.get("name"), str) and case["name"].strip():
        return str(case["name"])
    return f"case #{index + 1}"


def collect(check: Callable[[], object]) -> list[str]:
    try:
        check()
    except RulesetTestError as exc:
        return [str(exc)]
    return []


# ---------------------------------------------------------------------------- structure


def unknown_keys(display: str, data: Any, allowed: tuple[str, ...], what: str) -> list[str]:
    """One problem per key of ``data`` that is not ``allowed``, with a did-you-mean."""
    out = []
    for key in data:
        if key not in allowed:
            hint = suggest(str(key), list(allowed)) or f"allowed: {', '.join(allowed)}"
            where = key_where(display, data, key)
            out.append(f"{location(where)}: unknown key '{key}' in {what} ({hint})")
    return out


def want_map(display: str, data: Any, key: Any) -> CommentedMap:
    value = data[key]
    if not isinstance(value, CommentedMap):
        raise RulesetTestError(value_where(display, data, key), f"'{key}' must be a mapping")
    return value


def want_str(display: str, data: Any, key: Any) -> None:
    if not isinstance(data[key], str):
        raise RulesetTestError(value_where(display, data, key), f"'{key}' must be text")


def want_str_list(display: str, data: Any, key: Any) -> None:
    value = data[key]
    if not isinstance(value, CommentedSeq) or not all(isinstance(v, str) for v in value):
        raise RulesetTestError(value_where(display, data, key), f"'{key}' must be a list of text")


def want_outcome(display: str, data: Any, key: Any) -> None:
    value = data[key]
    if value not in OUTCOMES:
        hint = suggest(str(value), list(OUTCOMES)) or f"one of {', '.join(OUTCOMES)}"
        raise RulesetTestError(
            value_where(display, data, key), f"'{key}': unknown outcome '{value}' ({hint})"
        )


def want_amount(display: str, data: Any, key: Any) -> None:
    value = data[key]
    if not isinstance(value, str):
        raise RulesetTestError(
            value_where(display, data, key),
            f"'{key}' must be a quoted amount such as \"3648.40\", not {value!r}",
        )


def parse_as_of(where: Where, value: Any) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise RulesetTestError(where, f"as_of '{value}' is not an ISO 8601 date-time") from None
    if not isinstance(value, dt.datetime):
        raise RulesetTestError(where, "as_of must be a date-time such as 2025-07-01T09:00:00+08:00")
    if value.tzinfo is None:
        raise RulesetTestError(where, "as_of needs a UTC offset, e.g. 2025-07-01T09:00:00+08:00")
    return dt.datetime.fromisoformat(value.isoformat())  # a plain datetime, not ruamel's


def plain(value: Any) -> Any:
    """YAML round-trip values as plain JSON-like data (dates as ISO text)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, ScalarBoolean):
        return bool(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
