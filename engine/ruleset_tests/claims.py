"""Building a case's claim: the base claim, a JSON merge patch, then ``set`` paths."""

from __future__ import annotations

import copy
import re
from typing import Any

from ruamel.yaml.comments import CommentedMap

from engine.errors import EngineError
from engine.merge_patch import apply_merge_patch
from engine.ruleset.source import key_where, value_where
from engine.ruleset_tests.shapes import location, plain

_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[[0-9]+\])*)")
_INDEX = re.compile(r"\[([0-9]+)\]")

# ---------------------------------------------------------------------------- building claims


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch: objects merge, ``null`` deletes, anything else replaces."""
    return apply_merge_patch(target, patch)


class SetPathError(EngineError, ValueError):
    pass


def parse_set_path(text: str) -> list[str | int]:
    """``items[1].category`` -> ``["items", 1, "category"]``."""
    parts: list[str | int] = []
    for segment in text.split("."):
        match = _SEGMENT.fullmatch(segment)
        if match is None:
            raise SetPathError(f"'{text}' is not a path such as policy.status or items[0].amount")
        parts.append(match.group(1))
        parts += [int(i) for i in _INDEX.findall(match.group(2))]
    return parts


def set_path(data: Any, text: str, value: Any) -> None:
    """Assign ``value`` at ``text``; every step but a final object key must already exist."""
    parts = parse_set_path(text)
    node = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        shown = _shown(parts[:depth]) or "the claim"
        if isinstance(part, int):
            if not isinstance(node, list):
                raise SetPathError(f"{shown} is not a list, so [{part}] cannot index it")
            if part >= len(node):
                raise SetPathError(f"{shown} has {len(node)} element(s): no index {part}")
        elif not isinstance(node, dict):
            raise SetPathError(f"{shown} is not an object, so it has no field '{part}'")
        elif part not in node and not last:
            raise SetPathError(f"{_shown(parts[: depth + 1])} does not exist in the claim")
        if last:
            node[part] = copy.deepcopy(value)
        else:
            node = node[part]


def _shown(parts: list[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def apply_sets(display: str, case: CommentedMap, claim_data: Any) -> list[str]:
    """Apply ``set`` in place; one problem per path that cannot be assigned."""
    sets = case["set"]
    if not isinstance(sets, CommentedMap):
        at = value_where(display, case, "set")
        return [f"{location(at)}: 'set' must map paths to values"]
    problems = []
    for key, value in sets.items():
        try:
            set_path(claim_data, str(key), plain(value))
        except SetPathError as exc:
            problems.append(f"{location(key_where(display, sets, key))}: set '{key}': {exc}")
    return problems
