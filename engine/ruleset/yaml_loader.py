"""Round-trip YAML loading at C speed: libyaml parses, ruamel.yaml resolves and constructs.

Every ruleset, ruleset test and rights file is read with ruamel.yaml's round-trip loader,
which keeps the line and column of every key and value (``engine.ruleset.source``). Its
scanner and parser are pure Python and were most of the time a rule author waits for
``claims rules lint`` and ``claims rules test`` (about 150 KB/s). Here libyaml (PyYAML's C
parser) produces the parse events; they become ruamel.yaml nodes, resolved with ruamel's own
YAML 1.2 resolver and constructed by ruamel's round-trip constructor, so the data is the same
``CommentedMap``/``CommentedSeq`` with the same positions and scalar types (comments, which
nothing reads, are not kept).

Anything unusual goes to ruamel.yaml alone, which then also reports the error exactly as
before: an explicit tag or a ``%YAML``/``%TAG`` directive, any parse or construction error
(duplicate keys, bad indentation...), or PyYAML built without libyaml.
``tests/engine/test_yaml_loader.py`` checks that both give equal data and positions.
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import StreamMark
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode


def _c_parser() -> Any:
    try:
        from yaml.cyaml import CParser
    except ImportError:  # pragma: no cover - PyYAML is a dependency; only its C part may lack
        return None
    return CParser


_CParser = _c_parser()

__all__ = ["load_round_trip", "new_round_trip_yaml"]

# Characters the two parsers treat differently: NEL, LINE and PARAGRAPH SEPARATOR (line
# breaks to libyaml, YAML 1.1; not to ruamel), a byte order mark inside the text (libyaml
# counts a column for it) and tabs (ruamel refuses some that libyaml reads as spaces).
_DIFFERENT = ("\x85", "\u2028", "\u2029", "\ufeff", "\t")


class _Unsupported(Exception):
    """The document uses something only ruamel.yaml's own parser handles."""


def new_round_trip_yaml() -> YAML:
    """ruamel.yaml's round-trip loader as the engine configures it."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    yaml.preserve_quotes = True
    return yaml


def load_round_trip(text: str) -> Any:
    """What ``new_round_trip_yaml().load(text)`` returns (positions included), fast."""
    if _CParser is not None:
        try:
            return _fast(text)
        except Exception:  # any doubt: the reference loader decides, errors included
            pass
    return new_round_trip_yaml().load(text)


_HEADER_THEN_COMMENT = re.compile(r"[|>][0-9+-]{0,2}#")


def _fast(text: str) -> Any:
    if any(c in text for c in _DIFFERENT):
        raise _Unsupported("a character the parsers treat differently")
    if _HEADER_THEN_COMMENT.search(text):
        # libyaml takes "|#..." as a block scalar whose header ends in a comment; ruamel.yaml
        # wants a space before the "#" and refuses it: the reference loader decides
        raise _Unsupported("a block scalar header followed by '#'")
    yaml = new_round_trip_yaml()
    parser = _CParser(text)
    try:
        root = _Composer(parser, yaml.resolver).document()
    finally:
        parser.dispose()
    return None if root is None else yaml.constructor.construct_document(root)


class _Composer:
    """ruamel.yaml's composer (``ruamel.yaml.composer``) over libyaml's events."""

    def __init__(self, parser: Any, resolver: Any) -> None:
        self.parser = parser
        self.resolver = resolver
        self.anchors: dict[str, Node] = {}

    def document(self) -> Node | None:
        self._expect("StreamStartEvent")
        if self._next_is("StreamEndEvent"):
            return None
        start = self.parser.get_event()
        if type(start).__name__ != "DocumentStartEvent" or start.version or start.tags:
            raise _Unsupported("directives")
        root = self.node()
        self._expect("DocumentEndEvent")
        self._expect("StreamEndEvent")  # a second document: ruamel reports it
        return root

    def node(self) -> Node:
        event = self.parser.get_event()
        kind = type(event).__name__
        if kind == "AliasEvent":
            return self.anchors[event.anchor]
        if getattr(event, "tag", None) not in (None, "!"):
            raise _Unsupported("explicit tag")
        mark = _mark(event.start_mark)
        node: Node
        if kind == "ScalarEvent":
            style = event.style or None  # libyaml's plain style is "", ruamel's None
            if event.value == "" and style is None:
                # ruamel places an empty value elsewhere than libyaml: let it decide
                raise _Unsupported("empty plain scalar")
            tag = self.resolver.resolve(ScalarNode, event.value, event.implicit)
            node = ScalarNode(tag, event.value, mark, mark, style=style)
        elif kind == "SequenceStartEvent":
            tag = self.resolver.resolve(SequenceNode, None, event.implicit)
            node = SequenceNode(tag, [], mark, None, flow_style=event.flow_style)
            self._anchor(event, node)
            while not self._next_is("SequenceEndEvent"):
                node.value.append(self.node())
            self.parser.get_event()
        elif kind == "MappingStartEvent":
            tag = self.resolver.resolve(MappingNode, None, event.implicit)
            node = MappingNode(tag, [], mark, None, flow_style=event.flow_style)
            self._anchor(event, node)
            while not self._next_is("MappingEndEvent"):
                key = self.node()
                node.value.append((key, self.node()))
            self.parser.get_event()
        else:
            raise _Unsupported(kind)
        self._anchor(event, node)
        return node

    def _anchor(self, event: Any, node: Node) -> None:
        if event.anchor is not None and self.anchors.get(event.anchor, node) is not node:
            raise _Unsupported("an anchor defined twice (ruamel warns)")
        if event.anchor is not None:
            node.anchor = event.anchor
            self.anchors[event.anchor] = node

    def _next_is(self, kind: str) -> bool:
        return type(self.parser.peek_event()).__name__ == kind

    def _expect(self, kind: str) -> None:
        if type(self.parser.get_event()).__name__ != kind:
            raise _Unsupported(f"expected {kind}")


def _mark(mark: Any) -> StreamMark:
    return StreamMark(mark.name, mark.index, mark.line, mark.column)
