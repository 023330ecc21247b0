"""``as_of`` instants from users (CLI flags, query parameters): ISO 8601 with a UTC offset."""

from __future__ import annotations

import datetime as dt

from api.errors import ApiError


class InstantError(ApiError, ValueError):
    """Why a text is not an instant: ``missing_offset`` tells a naive date-time from garbage."""

    def __init__(self, text: str, *, missing_offset: bool) -> None:
        super().__init__(text)
        self.text = text
        self.missing_offset = missing_offset


def parse_instant(value: str | None) -> dt.datetime:
    """The instant ``value`` names, or now (whole seconds, UTC) when it is absent."""
    if value is None:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InstantError(value, missing_offset=False) from None
    if parsed.tzinfo is None:
        raise InstantError(value, missing_offset=True)
    return parsed
