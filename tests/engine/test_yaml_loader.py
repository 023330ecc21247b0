"""The libyaml-backed round-trip loader reads exactly what ruamel.yaml alone reads.

Every diagnostic a rule author sees points at a line and column taken from the loaded YAML,
so "the same" means: equal values of the same types (``CommentedMap``, ``CommentedSeq``,
quoted scalar strings, timestamps ...) at the same positions, for every key, value and item;
and for text ruamel refuses, the same error.
"""

from __future__ import annotations

import datetime as dt
import io
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from engine.ruleset import yaml_loader
from engine.ruleset.yaml_loader import load_round_trip, new_round_trip_yaml
from tests.engine.factories import REPO

BUNDLED = sorted((REPO / "rulesets").rglob("*.yaml"))
FIXTURES = sorted((REPO / "tests" / "fixtures").rglob("*.yaml"))


def shape(value: Any) -> Any:
    """Value, type and position of everything in a loaded document."""
    if isinstance(value, CommentedMap):
        return (
            "map", value.lc.line, value.lc.col,
            [(shape(k), value.lc.key(k), value.lc.value(k), shape(v)) for k, v in value.items()],
        )  # fmt: skip
    if isinstance(value, CommentedSeq):
        return (
            "seq", value.lc.line, value.lc.col,
            [(value.lc.item(i), shape(v)) for i, v in enumerate(value)],
        )  # fmt: skip
    if type(value).__name__ == "TaggedScalar":
        return ("tagged", str(value.tag), value.value)
    return (type(value).__name__, value)


def outcome(load: Any, text: str) -> Any:
    """What a loader makes of ``text``: the document's shape, or the error it raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return shape(load(text))
        except Exception as exc:
            return ("error", type(exc).__name__, str(exc))


def reference(text: str) -> Any:
    return new_round_trip_yaml().load(text)


def assert_same(text: str) -> None:
    assert outcome(load_round_trip, text) == outcome(reference, text)


@pytest.mark.parametrize("path", BUNDLED + FIXTURES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_yaml_file_of_the_repository_loads_the_same(path: Path) -> None:
    text = path.read_text(encoding="utf-8")

    assert_same(text)
    assert_same(text.replace("\n", "\r\n"))


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: str(p.relative_to(REPO)))
def test_bundled_yaml_is_parsed_by_libyaml(path: Path) -> None:
    # the speed rule authors rely on: no bundled file falls back to the pure-Python parser
    assert shape(yaml_loader._fast(path.read_text(encoding="utf-8"))) == shape(
        reference(path.read_text(encoding="utf-8"))
    )


TRICKY = {
    "explicit tag": "a: !!str 12\nb: !custom x\n",
    "version directive": "%YAML 1.1\n---\na: yes\n",
    "yaml 1.1 booleans stay strings": "a: yes\nb: on\nc: 0o17\nd: 017\n",
    "empty values": "a:\nb: 1\nc:\n  -\n  - 2\nd:",
    "tab": "a: 1\nb:\tx y\n",
    "next line": "a: 'x\x85y'\nb: 2\n",
    "line separator": "a: x\u2028y\nb: 2\n",
    "byte order mark": "\ufeffa: 1\nb: '\ufeff'\n",
    "anchors, aliases and merge": "base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\nlist: [*b]\n",
    "anchor twice": "a: &x 1\nb: &x 2\nc: *x\n",
    "undefined alias": "a: *nowhere\n",
    "duplicate key": "a: 1\nb: 2\na: 3\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "empty": "",
    "only a comment": "# nothing\n",
    "quoted styles": "a: 'x'\nb: \"y\"\nc: |\n  z\n  w\nd: >-\n  folded\n  text\n",
    "dates and times": "a: 2025-07-01\nb: 2025-07-01T09:00:00+08:00\nc: 2025-07-01 09:00\n",
    "numbers": "a: 0.80\nb: 1_000\nc: 1e3\nd: .inf\ne: -0\nf: 0x1F\n",
    "bad indentation": "a:\n  b: 1\n c: 2\n",
    "unclosed quote": 'a: "open\nb: 1\n',
    "chinese text": "zh: 您的疾病在保单生效后第{days}天发生\nk: {a: 第一, b: [二, 三]}\n",
    "deep flow": "a: [[[[{b: [1, {c: d}]}]]]]\n",
}


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_tricky_documents_load_the_same(name: str) -> None:
    assert_same(TRICKY[name])


EDITS = [
    ":", "-", '"', "'", "\t", "\n", " ", "#", "{", "}", "[", "]", ",", "&a ", "*a",
    "!", "|", ">", "?", "%", "@", "`", "\\", "\r\n", "\x85", "\ufeff", "...", "---", "~",
]  # fmt: skip
TEXTS = [p.read_text(encoding="utf-8") for p in BUNDLED]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A few lines of a bundled file with characters inserted, deleted or spaced out."""
    lines = draw(st.sampled_from(TEXTS)).splitlines(keepends=True)
    start = draw(st.integers(0, len(lines) - 1))
    chunk = "".join(lines[start : start + draw(st.integers(1, 15))])
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(chunk)))
        kind = draw(st.sampled_from(["insert", "delete", "spaces"]))
        if kind == "insert":
            chunk = chunk[:at] + draw(st.sampled_from(EDITS)) + chunk[at:]
        elif kind == "delete":
            chunk = chunk[:at] + chunk[at + draw(st.integers(1, 3)) :]
        else:
            chunk = chunk[:at] + " " * draw(st.integers(1, 3)) + chunk[at:]
    return chunk


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_rulesets_load_the_same_or_fail_the_same(text: str) -> None:
    assert_same(text)


scalars = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=12),
    st.integers(-(10**12), 10**12),
    st.booleans(),
    st.none(),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
    st.decimals(allow_nan=False, allow_infinity=False, places=2).map(float),
)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(documents, st.sampled_from([None, True, False]))
def test_generated_documents_load_the_same(data: Any, flow: bool | None) -> None:
    writer = new_round_trip_yaml()
    writer.default_flow_style = flow
    out = io.StringIO()
    writer.dump({"doc": data}, out)

    assert_same(out.getvalue())
