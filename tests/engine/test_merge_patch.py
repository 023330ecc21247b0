"""RFC 7396 JSON Merge Patch: the RFC's own examples, and the laws that hold."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.merge_patch import apply_merge_patch, merge_patch_between

# RFC 7396 appendix A: (target, patch, result), copied from the RFC.
RFC_EXAMPLES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "result"), RFC_EXAMPLES)
def test_the_rfc_examples(target: Any, patch: Any, result: Any) -> None:
    assert apply_merge_patch(target, patch) == result


SCALARS = st.one_of(
    st.booleans(),
    st.integers(-5, 5),
    st.text(max_size=3),
    st.floats(allow_nan=False, allow_infinity=False),
)
KEYS = st.sampled_from(["a", "b", "c", "d"])


def documents(*, null_members: bool) -> st.SearchStrategy[Any]:
    """JSON documents; lists may hold null, object members only with ``null_members``."""

    def extend(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        member = st.one_of(inner, st.none()) if null_members else inner
        return st.one_of(
            st.lists(st.one_of(inner, st.none()), max_size=3),
            st.dictionaries(KEYS, member, max_size=4),
        )

    return st.recursive(SCALARS, extend, max_leaves=12)


WITHOUT_NULL = documents(null_members=False)  # RFC 7396 cannot set a member to null
ANY = st.one_of(st.none(), documents(null_members=True))
OBJECTS = st.dictionaries(KEYS, WITHOUT_NULL, max_size=4)


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


@settings(max_examples=300)
@given(source=OBJECTS, target=OBJECTS)
def test_the_patch_between_two_documents_turns_one_into_the_other(source: Any, target: Any) -> None:
    assert _same(apply_merge_patch(source, merge_patch_between(source, target)), target)


@settings(max_examples=300)
@given(target=ANY, patch=ANY)
def test_applying_a_patch_twice_is_applying_it_once(target: Any, patch: Any) -> None:
    once = apply_merge_patch(target, patch)
    assert _same(apply_merge_patch(once, patch), once)


@given(target=OBJECTS, key=KEYS)
def test_null_deletes_and_the_empty_patch_changes_nothing(target: Any, key: str) -> None:
    assert key not in apply_merge_patch(target, {key: None})
    assert _same(apply_merge_patch(target, {}), target)
    assert merge_patch_between(target, copy.deepcopy(target)) == {}


@given(target=ANY, patch=ANY)
def test_neither_argument_is_modified(target: Any, patch: Any) -> None:
    kept = copy.deepcopy((target, patch))
    result = apply_merge_patch(target, patch)
    if isinstance(result, dict | list):
        result.clear()  # nothing the caller holds is shared with the result
    assert _same((target, patch), kept)


def test_a_change_of_type_is_a_change() -> None:
    assert merge_patch_between({"a": 1}, {"a": True}) == {"a": True}
    assert merge_patch_between({"a": [1]}, {"a": [1.0]}) == {"a": [1.0]}
