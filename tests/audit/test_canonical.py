"""Canonical JSON (RFC 8785 JCS subset): known answers from the RFC, the strict reader, and a
cross-check against the standard library's encoder where the two must agree."""

from __future__ import annotations

import enum
import hashlib
import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit.canonical import (
    MAX_DEPTH,
    MAX_SAFE_INTEGER,
    _reference,
    canonical_json,
    check_canonical,
    parse_json,
    sha256_hex,
)
from audit.errors import AuditError, CanonicalError

# ---------------------------------------------------------------------------------------------
# RFC 8785 known answers
# ---------------------------------------------------------------------------------------------


def test_rfc8785_3_2_3_property_sorting() -> None:
    # RFC 8785 §3.2.3: names sorted by UTF-16 code units. U+1F600 is D83D DE00 in UTF-16,
    # so it sorts before U+FB33 although its code point is larger.
    value = json.loads(
        r"""{
          "\u20ac": "Euro Sign",
          "\r": "Carriage Return",
          "\ufb33": "Hebrew Letter Dalet With Dagesh",
          "1": "One",
          "\ud83d\ude00": "Emoji: Grinning Face",
          "\u0080": "Control",
          "\u00f6": "Latin Small Letter O With Diaeresis"
        }"""
    )
    assert canonical_json(value) == (
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
        '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
        '"\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    )


def test_rfc8785_reference_weird_json() -> None:
    # "weird.json" of the RFC's reference implementation (cyberphone/json-canonicalization).
    value = json.loads(
        r"""{
          "\u20ac": "Euro Sign",
          "\r": "Carriage Return",
          "\u000a": "Newline",
          "1": "One",
          "\u0080": "Control\u007f",
          "\ud83d\ude02": "Smiley",
          "\u00f6": "Latin Small Letter O With Diaeresis",
          "\ufb33": "Hebrew Letter Dalet With Dagesh",
          "</script>": "Browser Challenge"
        }"""
    )
    assert canonical_json(value) == (
        '{"\\n":"Newline","\\r":"Carriage Return","1":"One","</script>":"Browser Challenge",'
        '"\u0080":"Control\u007f","\u00f6":"Latin Small Letter O With Diaeresis",'
        '"\u20ac":"Euro Sign","\U0001f602":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    )


def test_rfc8785_3_2_2_strings_and_literals() -> None:
    # RFC 8785 §3.2.2 sample input, without its "numbers" member: we forbid floats.
    value = json.loads(
        r"""{
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }"""
    )
    assert canonical_json(value) == (
        '{"literals":[null,true,false],"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )


def test_rfc8785_output_is_utf8_without_escaping_non_ascii() -> None:
    text = canonical_json({"名称": "理赔 €5 😀"})
    assert text == '{"名称":"理赔 €5 😀"}'
    assert sha256_hex(text) == hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize("code", range(0x20))
def test_control_characters_are_escaped(code: int) -> None:
    short = {0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"}
    expected = short.get(code, f"\\u{code:04x}")
    assert canonical_json(chr(code)) == f'"{expected}"'


@pytest.mark.parametrize(
    ("char", "expected"),
    [
        ('"', '"\\""'),
        ("\\", '"\\\\"'),
        ("/", '"/"'),  # solidus is not escaped
        ("\x7f", '"\x7f"'),  # DEL is not a control character in JSON
        ("\u2028", '"\u2028"'),  # line/paragraph separators are written as is
        ("\u2029", '"\u2029"'),
        ("\u00e9", '"\u00e9"'),
        ("\U0001f600", '"\U0001f600"'),
    ],
)
def test_only_quote_backslash_and_controls_are_escaped(char: str, expected: str) -> None:
    assert canonical_json(char) == expected


def test_escapes_use_lowercase_hex() -> None:
    assert canonical_json("\x1f\x0b") == '"\\u001f\\u000b"'


def test_nesting_and_no_whitespace() -> None:
    value = {"b": [3, {"z": 1, "a": [2, None]}, True], "a": {"y": None, "x": False}, "": ""}
    assert canonical_json(value) == (
        '{"":"","a":{"x":false,"y":null},"b":[3,{"a":[2,null],"z":1},true]}'
    )


def test_empty_containers() -> None:
    assert canonical_json({}) == "{}"
    assert canonical_json([]) == "[]"
    assert canonical_json({"a": {}, "b": []}) == '{"a":{},"b":[]}'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0"),
        (-1, "-1"),
        (1234567890, "1234567890"),
        (MAX_SAFE_INTEGER, "9007199254740991"),
        (-MAX_SAFE_INTEGER, "-9007199254740991"),
    ],
)
def test_integers(value: int, expected: str) -> None:
    assert canonical_json(value) == expected


@pytest.mark.parametrize("value", [MAX_SAFE_INTEGER + 1, -MAX_SAFE_INTEGER - 1, 10**30])
def test_integers_beyond_2_53_are_rejected(value: int) -> None:
    with pytest.raises(CanonicalError, match=r"2\*\*53"):
        canonical_json({"n": value})


def test_bool_is_not_an_integer() -> None:
    assert canonical_json([True, False, 1, 0]) == "[true,false,1,0]"


# ---------------------------------------------------------------------------------------------
# Rejections, with the path of the offending value
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [1.0, 0.5, -0.0, float("nan"), float("inf"), float("-inf")])
def test_floats_are_rejected(value: float) -> None:
    with pytest.raises(CanonicalError, match="floats are not allowed") as info:
        canonical_json({"lines": [{"amount": value}]})
    assert info.value.path == "$.lines[0].amount"


def test_decimal_must_be_passed_as_string() -> None:
    with pytest.raises(CanonicalError, match="Decimal must be passed as a string") as info:
        canonical_json({"payable": Decimal("10.00")})
    assert info.value.path == "$.payable"
    assert canonical_json({"payable": str(Decimal("10.00"))}) == '{"payable":"10.00"}'


@pytest.mark.parametrize(
    "value",
    [(1, 2), {1, 2}, b"bytes", object(), frozenset(), range(3)],
    ids=["tuple", "set", "bytes", "object", "frozenset", "range"],
)
def test_non_json_types_are_rejected(value: object) -> None:
    with pytest.raises(CanonicalError, match="is not a JSON value") as info:
        canonical_json({"x": [value]})
    assert info.value.path == "$.x[0]"


def test_non_string_keys_are_rejected() -> None:
    with pytest.raises(CanonicalError, match="not a string"):
        canonical_json({1: "one"})


def test_paths_quote_non_identifier_keys() -> None:
    with pytest.raises(CanonicalError) as info:
        canonical_json({"a b": {"金额": 1.5}})
    assert info.value.path == '$["a b"].金额'
    assert str(info.value).startswith('$["a b"].金额: ')


@pytest.mark.parametrize("value", ["\ud800", "a\udfffb", {"\ud83d": 1}])
def test_lone_surrogates_are_rejected(value: object) -> None:
    with pytest.raises(CanonicalError, match="lone surrogate"):
        canonical_json(value)


def test_nesting_limit() -> None:
    value: object = []
    for _ in range(MAX_DEPTH):
        value = [value]
    with pytest.raises(CanonicalError, match="nesting deeper"):
        canonical_json(value)
    ok: object = []
    for _ in range(MAX_DEPTH - 1):
        ok = [ok]
    assert canonical_json(ok) == "[" * MAX_DEPTH + "]" * MAX_DEPTH


def test_errors_are_audit_errors() -> None:
    assert issubclass(CanonicalError, AuditError)


# ---------------------------------------------------------------------------------------------
# Subclasses of str and int encode as their value
# ---------------------------------------------------------------------------------------------


class Outcome(enum.StrEnum):
    DENY = "deny"


class LegacyOutcome(str, enum.Enum):  # noqa: UP042  (the pre-3.11 idiom, on purpose)
    REFER = "refer"


class Level(enum.IntEnum):
    HIGH = 3


def test_enum_members_encode_as_their_values() -> None:
    value = {Outcome.DENY: LegacyOutcome.REFER, "level": Level.HIGH, "o": Outcome.DENY}
    assert canonical_json(value) == '{"deny":"refer","level":3,"o":"deny"}'


# ---------------------------------------------------------------------------------------------
# sha256_hex
# ---------------------------------------------------------------------------------------------


def test_sha256_hex_known_answers() -> None:
    assert sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert sha256_hex("abc") == ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    # UTF-8 bytes of the text: "€" is e2 82 ac.
    assert sha256_hex("€") == hashlib.sha256(b"\xe2\x82\xac").hexdigest()


# ---------------------------------------------------------------------------------------------
# Strict reader
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("1.0", "floats are not allowed"),
        ('{"a":1e3}', "floats are not allowed"),
        ("[-0.5]", "floats are not allowed"),
        ("NaN", "not valid JSON"),
        ("[Infinity]", "not valid JSON"),
        ('{"a":1,"a":2}', "duplicate object key"),
        ("9007199254740992", "outside"),
        ("{", "not valid JSON"),
        ("", "not valid JSON"),
        ('{"a":1} x', "not valid JSON"),
    ],
)
def test_parse_json_rejects(text: str, match: str) -> None:
    with pytest.raises(CanonicalError, match=match):
        parse_json(text)


def test_parse_json_accepts_the_data_model() -> None:
    assert parse_json(' { "b" : [1, "x", null, true] , "a" : {} } ') == {
        "b": [1, "x", None, True],
        "a": {},
    }


def test_check_canonical() -> None:
    text = canonical_json({"b": 1, "a": ["€", None]})
    assert check_canonical(text) == {"a": ["€", None], "b": 1}
    unsorted, spaced, escaped = (
        '{"b":1,"a":["€",null]}',
        '{"a": ["€",null],"b":1}',
        '{"a":["\\u20ac",null],"b":1}',
    )
    for bad in (unsorted, spaced, escaped):
        with pytest.raises(CanonicalError, match="not in canonical"):
            check_canonical(bad)


def test_parse_then_canonicalise_rejects_escaped_lone_surrogate() -> None:
    value = parse_json('"\\ud800"')
    with pytest.raises(CanonicalError, match="lone surrogate"):
        canonical_json(value)


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
    | st.text()
)


def _json_values(keys: st.SearchStrategy[str]) -> st.SearchStrategy[object]:
    return st.recursive(
        _scalars,
        lambda children: (
            st.lists(children, max_size=5) | st.dictionaries(keys, children, max_size=5)
        ),
        max_leaves=25,
    )


@given(_json_values(st.text()))
def test_canonical_form_is_a_fixed_point(value: object) -> None:
    text = canonical_json(value)
    assert parse_json(text) == value
    assert check_canonical(text) == value


# Below U+D800 code point order and UTF-16 code unit order agree, and json.dumps escapes
# exactly what JCS escapes (with lowercase hex), so the standard library is an independent
# oracle there.
_low_bmp_keys = st.text(alphabet=st.characters(max_codepoint=0xD7FF))


@given(_json_values(_low_bmp_keys))
def test_agrees_with_json_dumps_where_orders_coincide(value: object) -> None:
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    assert canonical_json(value) == expected


@given(st.dictionaries(st.text(), st.integers(0, 9), min_size=2, max_size=8))
def test_keys_sorted_by_utf16_code_units(value: dict[str, int]) -> None:
    keys = list(json.loads(canonical_json(value)))
    assert keys == sorted(value, key=lambda k: k.encode("utf-16-be"))
    assert len(keys) == len(value)


# The fast path (orjson behind a type check) must agree with the reference encoder on
# every value: the same text, or the same error with the same path. The strategy mixes in
# everything the fast path hands over (floats, tuples, Decimals, non-string and astral keys,
# lone surrogates, integer subclasses and integers beyond 2**53).
class _Colour(enum.IntEnum):
    RED = 1


_awkward_scalars = (
    _scalars
    | st.floats(allow_nan=True)
    | st.integers()
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.just(_Colour.RED)
    | st.text(alphabet=st.characters(categories=("Co", "Lo", "So", "Cc")))
    | st.text(alphabet="\ud800\udfffa\U0001f600\x00\x7f\u2028", max_size=4)
)
_awkward_keys = st.text() | st.text(alphabet="\ud800\U0001f600\ue000a", max_size=3)


def _awkward_values() -> st.SearchStrategy[object]:
    return st.recursive(
        _awkward_scalars,
        lambda children: (
            st.lists(children, max_size=4)
            | st.lists(children, max_size=3).map(tuple)
            | st.dictionaries(_awkward_keys | st.integers(0, 3), children, max_size=4)
        ),
        max_leaves=20,
    )


def _outcome(encode: object, value: object) -> tuple[str, str | None]:
    assert callable(encode)
    try:
        return ("text", encode(value))
    except CanonicalError as exc:
        return (f"error: {exc.reason}", exc.path)


_tricky_text = st.text(alphabet='\ud800\udfffa\U0001f600\ue000\x00\x7f\u2028"\\', max_size=4)


@given(_awkward_values() | _json_values(_tricky_text) | st.lists(_tricky_text))
def test_fast_path_agrees_with_the_reference_encoder(value: object) -> None:
    assert _outcome(canonical_json, value) == _outcome(_reference, value)


def test_fast_path_declines_deep_nesting_lone_surrogates_and_astral_keys() -> None:
    deep: object = 0
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    assert _outcome(canonical_json, deep) == _outcome(_reference, deep)
    assert _outcome(canonical_json, deep)[0].startswith("error: nesting deeper")
    for bad, reason in (
        (["ok", "\udc00"], "lone surrogate"),
        ({"\ud800": 1}, "lone surrogate"),
        ({"a": [MAX_SAFE_INTEGER + 1]}, "outside"),
        ([-MAX_SAFE_INTEGER - 1], "outside"),
        ({"a": (1, 2)}, "tuple"),
        ({1: "a"}, "not a string"),
    ):
        assert _outcome(canonical_json, bad) == _outcome(_reference, bad)
        assert reason in _outcome(canonical_json, bad)[0]
    astral = {"\U0001f600": 1, "\uffff": 2}
    assert canonical_json(astral) == '{"\U0001f600":1,"\uffff":2}'
