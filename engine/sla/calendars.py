"""Working-day calendars for SLA clocks.

``CN``: the PRC public-holiday calendar including make-up working days (调休), from the
maintained ``chinese-calendar`` package (the State Council publishes each year's schedule in
the autumn before; the package covers the years it has data for). ``weekdays``: Monday to
Friday, for jurisdictions whose deadlines do not skip public holidays.

Outside the years a calendar knows, the behaviour is explicit, never a silent guess:
``beyond: error`` raises :class:`CalendarError`; ``beyond: weekdays`` counts Monday–Friday
and every clock that used such a day reports ``calendar_estimated: true``.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from importlib.metadata import version

import chinese_calendar

from engine.errors import EngineError

CALENDARS = ("CN", "weekdays")
# Read once: package metadata lookups cost ~0.1 ms each, and every clock names its calendar.
_CN_SOURCE = f"chinese-calendar {version('chinese-calendar')}"


@functools.lru_cache(maxsize=8192)
def _cn_workday(day: dt.date) -> bool:
    """chinese-calendar's answer, cached: it is pure and costs ~13 µs per call."""
    return bool(chinese_calendar.is_workday(day))


BEYOND = ("error", "weekdays")


class CalendarError(EngineError):
    def __init__(self, calendar: str, day: dt.date, known: str) -> None:
        self.calendar = calendar
        self.day = day
        super().__init__(
            f"calendar {calendar} has no holiday data for {day.isoformat()} ({known}); "
            "update chinese-calendar, or set `calendar: {name: CN, beyond: weekdays}` in the "
            "ruleset to count Monday-Friday (clocks are then marked calendar_estimated)"
        )


@dataclass(frozen=True)
class WorkingCalendar:
    name: str = "CN"
    beyond: str = "error"

    @property
    def source(self) -> str:
        return _CN_SOURCE if self.name == "CN" else "weekdays (Mon-Fri)"

    def is_workday(self, day: dt.date) -> tuple[bool, bool]:
        """(is a working day, whether that answer is the documented weekday estimate)."""
        if self.name == "weekdays":
            return day.weekday() < 5, False
        try:
            return _cn_workday(day), False
        except NotImplementedError as exc:
            if self.beyond != "weekdays":
                raise CalendarError(self.name, day, str(exc)) from exc
            return day.weekday() < 5, True
