"""The strict JSON loader: valid JSON is read as json.loads reads it; NaN and repeated keys
are refused at any depth, with an error naming what was refused."""

from __future__ import annotations

import json

import pytest

from engine.strict_json import StrictJsonError, loads_strict


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "b": [1.5, -2e3, null, true, "NaN"], "c": {"a": {"b": 2}}}',
        '[{"k": 1}, {"k": 2}]',
        '"Infinity"',
        "0",
        "{}",
    ],
)
def test_valid_json_reads_as_json_loads_reads_it(text: str) -> None:
    assert loads_strict(text) == json.loads(text)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('{"a": 1, "a": 2}', "a"),
        ('{"outer": [{"inner": {"x": 1, "y": 2, "x": 3}}]}', "x"),
        ('[[[{"ok": 1}, {"é": 1, "é": 1}]]]', "é"),
    ],
)
def test_a_repeated_key_is_refused_at_any_depth(text: str, key: str) -> None:
    with pytest.raises(StrictJsonError) as caught:
        loads_strict(text)
    assert (caught.value.kind, caught.value.token) == ("duplicate_key", key)
    assert str(caught.value) == f"duplicate key {key!r}"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_constants_are_refused(constant: str) -> None:
    with pytest.raises(StrictJsonError) as caught:
        loads_strict(f'{{"a": [1, {{"b": {constant}}}]}}')
    assert (caught.value.kind, caught.value.token) == ("constant", constant)
    assert str(caught.value) == f"{constant} is not allowed"


def test_the_refusal_is_a_value_error_and_malformed_text_stays_a_decode_error() -> None:
    # Callers catch ValueError for every json.loads failure; both must stay inside it.
    assert issubclass(StrictJsonError, ValueError)
    with pytest.raises(json.JSONDecodeError):
        loads_strict('{"a": 1,}')
