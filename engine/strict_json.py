"""Strict JSON loading: text Python's :mod:`json` accepts but we still refuse.

``NaN``/``Infinity`` and repeated object keys parse in Python, yet other parsers refuse the
constants or keep another copy of a repeated key, so a replay or a second reader could see
another document than the one we decided on. :func:`loads_strict` refuses both with a
:class:`StrictJsonError` that names what it refused; each caller words that for its own users.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from engine.errors import EngineError

__all__ = ["Refusal", "StrictJsonError", "loads_strict"]

#: Why valid JSON syntax was refused: a non-finite constant, or a key given twice in one object.
Refusal = Literal["constant", "duplicate_key"]


class StrictJsonError(EngineError, ValueError):
    """Valid JSON syntax that is refused; ``token`` is the constant or the repeated key.

    A ``ValueError`` like :class:`json.JSONDecodeError`, so callers that already turn every
    ``ValueError`` from :func:`json.loads` into a message keep catching it.
    """

    def __init__(self, kind: Refusal, token: str) -> None:
        self.kind: Refusal = kind
        self.token = token
        reason = f"{token} is not allowed" if kind == "constant" else f"duplicate key {token!r}"
        super().__init__(reason)


def loads_strict(text: str) -> Any:
    """:func:`json.loads`, refusing ``NaN``/``Infinity``/``-Infinity`` and repeated keys.

    Malformed text still raises :class:`json.JSONDecodeError` (and a too-long integer or too
    deep nesting whatever :func:`json.loads` raises); refused text raises
    :class:`StrictJsonError` for the first offence met while reading.
    """
    return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)


def _reject_constant(name: str) -> object:
    raise StrictJsonError("constant", name)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Parsers disagree on which copy of a repeated key wins; refuse rather than pick one."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise StrictJsonError("duplicate_key", key)
        result[key] = value
    return result
