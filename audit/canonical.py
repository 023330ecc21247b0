"""Canonical JSON for the audit trail: RFC 8785 (JCS) restricted to the data we store.

Every audited event is stored as the text :func:`canonical_json` returns, and hashed over
exactly that stored text (:func:`sha256_hex` of its UTF-8 bytes). Two equal values always give
byte-identical text, so a decision can be replayed and compared byte for byte.

The encoding is RFC 8785 ("JSON Canonicalization Scheme") on a strict subset of the JSON data
model. Accepted values:

- ``dict`` with ``str`` keys: members sorted by the UTF-16 code units of the keys (RFC 8785
  §3.2.3), no whitespace anywhere;
- ``list``;
- ``str``: only ``"`` and ``\\`` and the control characters U+0000..U+001F are escaped
  (``\\b \\t \\n \\f \\r`` in their short forms, the others as ``\\u00xx`` with lowercase hex);
  everything else, non-ASCII included, is written as itself and the text is UTF-8;
  a lone surrogate (not valid Unicode) is rejected;
- ``True``/``False``/``None`` as ``true``/``false``/``null``;
- ``int`` with magnitude at most 2**53 - 1 (I-JSON, RFC 7493 §2.2): within that range the
  ES6 number serialisation JCS mandates is just the decimal digits, so every JCS
  implementation agrees with us. Larger integers are rejected.

Deliberately rejected (``CanonicalError`` with the JSON path of the value):

- ``float`` of any kind, finite or not. JCS would serialise finite doubles with the ES6
  shortest round-trip algorithm, but binary floating point has no place in an insurer's
  audit trail: **money and every other fractional quantity are decimal strings**
  (``"1234.50"``), produced by the caller with ``str(Decimal)`` after quantising. This also
  removes the one part of JCS that is hard to implement identically everywhere.
- ``decimal.Decimal``: convert it to a string yourself, so that the scale (``"10.00"`` vs
  ``"10"``) is an explicit decision of the caller, not ours.
- anything else (tuples, sets, dates, bytes, pydantic models...): dump models with
  ``model_dump(mode="json")`` first, and render dates/datetimes as ISO 8601 strings.

Subclasses of ``str`` and ``int`` (e.g. ``StrEnum`` members) are encoded as their underlying
``str``/``int`` value. Nesting deeper than :data:`MAX_DEPTH` is rejected.

:func:`parse_json` is the matching strict reader (no floats, no ``NaN``, no duplicate keys,
integers in range) and :func:`check_canonical` asserts that a stored text is exactly the
canonical form of what it parses to.
"""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal
from typing import Any, TypeAlias

import orjson

from audit.errors import CanonicalError

__all__ = [
    "MAX_DEPTH",
    "MAX_SAFE_INTEGER",
    "JsonValue",
    "canonical_json",
    "check_canonical",
    "parse_json",
    "sha256_hex",
]

JsonValue: TypeAlias = "bool | int | str | list[JsonValue] | dict[str, JsonValue] | None"

#: Largest integer magnitude accepted (I-JSON / ES6 ``Number.MAX_SAFE_INTEGER``).
MAX_SAFE_INTEGER = 2**53 - 1

#: Deepest nesting of arrays/objects accepted.
MAX_DEPTH = 128

_ESCAPED = re.compile(r'[\x00-\x1f"\\]')
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _escape_char(match: re.Match[str]) -> str:
    ch = match.group()
    return _SHORT_ESCAPES.get(ch) or f"\\u{ord(ch):04x}"


def _encode_string(s: str, path: str) -> str:
    if _SURROGATE.search(s):
        raise CanonicalError("string contains a lone surrogate (not valid Unicode)", path)
    return '"' + _ESCAPED.sub(_escape_char, s) + '"'


def _member_path(path: str, key: str) -> str:
    if key.isidentifier():
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _encode(value: object, path: str, depth: int, out: list[str]) -> None:
    # bool before int: bool is a subclass of int.
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_encode_string(str.__str__(value), path))
    elif isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise CanonicalError(
                "integer outside ±(2**53 - 1) cannot be represented exactly; encode it as a string",
                path,
            )
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        raise CanonicalError(
            "floats are not allowed in audited JSON; encode amounts and other fractional "
            "values as decimal strings",
            path,
        )
    elif isinstance(value, Decimal):
        raise CanonicalError(
            "Decimal must be passed as a string (e.g. str(amount)) so that its scale is explicit",
            path,
        )
    elif isinstance(value, dict):
        if depth >= MAX_DEPTH:
            raise CanonicalError(f"nesting deeper than {MAX_DEPTH}", path)
        members: list[tuple[bytes, str, object]] = []
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalError(
                    f"object key {key!r} is a {type(key).__name__}, not a string", path
                )
            plain = str.__str__(key)
            if _SURROGATE.search(plain):
                raise CanonicalError(
                    "object key contains a lone surrogate (not valid Unicode)", path
                )
            members.append((plain.encode("utf-16-be"), plain, item))
        # UTF-16BE bytes compare exactly as the sequences of UTF-16 code units do.
        members.sort(key=lambda member: member[0])
        out.append("{")
        for i, (_, plain, item) in enumerate(members):
            if i:
                out.append(",")
            out.append(_encode_string(plain, path))
            out.append(":")
            _encode(item, _member_path(path, plain), depth + 1, out)
        out.append("}")
    elif isinstance(value, list):
        if depth >= MAX_DEPTH:
            raise CanonicalError(f"nesting deeper than {MAX_DEPTH}", path)
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, f"{path}[{i}]", depth + 1, out)
        out.append("]")
    else:
        raise CanonicalError(
            f"a {type(value).__name__} is not a JSON value; convert it first "
            "(pydantic: model_dump(mode='json'); dates: isoformat())",
            path,
        )


# The fast path. On the common case (exact dict/list/str/int/bool/None, string keys, integers
# in range, nesting within bounds, every key without astral characters) orjson (Rust; about
# six times the speed of the ``json`` module's C encoder on a decision) writes exactly the
# RFC 8785 text: members sorted by code point (the same
# order as by UTF-16 code units when no key has a character above U+FFFF), only ``"``, ``\``
# and U+0000..U+001F escaped, the short escapes and lowercase ``\u00xx`` otherwise, integers
# as their digits. ``_plain`` only *checks* that case (no path strings, no text built) and
# anything else (floats, subclasses, tuples, deep nesting...) takes the reference encoder
# above, which also produces the error with its JSON path. tests/audit/test_canonical.py
# checks both paths agree on generated values.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _fast(value: object) -> str | None:
    """orjson's text of a value :func:`_plain` accepted; ``None`` where orjson refuses it (a
    lone surrogate, which is not UTF-8, or nesting past its own limit): the reference encoder
    then decides."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode("utf-8")
    except orjson.JSONEncodeError:
        return None


def _plain_key(key: object) -> bool:
    return type(key) is str and (key.isascii() or _ASTRAL.search(key) is None)


def _plain(value: object, depth: int) -> bool:
    """True when ``value`` is in the fast path's case (see above); no exceptions raised.

    A loop over an explicit stack with the member checks inlined, not recursion: on a 13 KB
    decision payload this check, not the encoding, is most of the cost of
    :func:`canonical_json`.
    """
    stack: list[tuple[Any, int]] = [([value], depth - 1)]
    while stack:
        node, level = stack.pop()
        if level >= MAX_DEPTH:
            return False
        if type(node) is dict:
            if not all(map(_plain_key, node)):
                return False
            members: Any = node.values()
        else:
            members = node
        for item in members:
            kind = type(item)
            if kind is str or kind is bool or item is None:
                continue
            if kind is int:
                if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                    return False
            elif kind is dict or kind is list:
                stack.append((item, level + 1))
            else:
                return False
    return True


def canonical_json(value: object) -> str:
    """Return the RFC 8785 canonical JSON text of ``value``.

    Raises :class:`~audit.errors.CanonicalError` (with the JSON path) for anything outside
    the accepted data model described in the module docstring.
    """
    if _plain(value, 0):
        text = _fast(value)
        if text is not None:
            return text
    return _reference(value)


def _reference(value: object) -> str:
    """The canonical text by the reference encoder (and its errors, with their paths)."""
    out: list[str] = []
    _encode(value, "$", 0, out)
    return "".join(out)


def sha256_hex(text: str) -> str:
    """Lowercase hex SHA-256 of the UTF-8 bytes of ``text`` (the stored canonical text)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _reject_float(literal: str) -> Any:
    raise CanonicalError(f"number {literal} is not an integer: floats are not allowed")


def _reject_constant(literal: str) -> Any:
    raise CanonicalError(f"{literal} is not valid JSON")


def _parse_int(literal: str) -> int:
    value = int(literal)
    if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise CanonicalError(f"integer {literal} is outside ±(2**53 - 1)")
    return value


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise CanonicalError(f"duplicate object key {key!r}")
        obj[key] = value
    return obj


def parse_json(text: str) -> JsonValue:
    """Parse JSON text strictly into the data model :func:`canonical_json` accepts.

    Rejects floats (any number with a fraction or exponent), ``NaN``/``Infinity``,
    integers outside ±(2**53 - 1), duplicate object keys and malformed text, raising
    :class:`~audit.errors.CanonicalError`. Lone surrogates written as ``\\ud800`` escapes are
    parsed but will be rejected by :func:`canonical_json`.
    """
    try:
        value: JsonValue = json.loads(
            text,
            parse_float=_reject_float,
            parse_int=_parse_int,
            parse_constant=_reject_constant,
            object_pairs_hook=_no_duplicates,
        )
    except json.JSONDecodeError as exc:
        raise CanonicalError(f"not valid JSON: {exc}") from None
    except RecursionError:
        raise CanonicalError("JSON nested too deeply") from None
    return value


def check_canonical(text: str) -> JsonValue:
    """Parse ``text`` and check it is byte-for-byte its own canonical form.

    Returns the parsed value; raises :class:`~audit.errors.CanonicalError` otherwise.
    """
    value = parse_json(text)
    if canonical_json(value) != text:
        raise CanonicalError("text is valid JSON but not in canonical (RFC 8785) form")
    return value
