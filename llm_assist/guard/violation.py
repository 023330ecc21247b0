"""One reason a draft is rejected."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Violation", "quote_id"]


@dataclass(frozen=True)
class Violation:
    """``code`` (see :data:`llm_assist.guard.CODES`), where (``summary``, ``findings[1].text``)
    and what to do. ``message`` never contains personal data: it quotes only lexicon phrases,
    slot texts and numbers too short to be personal data."""

    code: str
    path: str
    message: str


def quote_id(value: str) -> str:
    """An id in a message only when it cannot hold personal data."""
    digits = sum(c.isdigit() for c in value)
    if len(value) <= 64 and value.isascii() and value.isprintable() and digits <= 4:
        return f"'{value}'"
    return "the given id"
