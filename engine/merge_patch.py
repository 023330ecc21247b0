"""JSON Merge Patch (RFC 7396): apply one, and compute the one that turns a document into another.

A merge patch is a JSON document shaped like its target: an object merges key by key, ``null``
deletes a key, anything else (a list, a string, a number) replaces the value whole. It cannot
set a value to ``null`` nor edit a list in place; that is the format's design, kept here.

Laws (property-tested): ``apply(a, diff(a, b)) == b`` for documents whose object members are
never ``null``; ``apply(apply(a, p), p) == apply(a, p)``; ``apply(a, {}) == a``; neither
argument is modified.
"""

from __future__ import annotations

import copy
import json

from pydantic import JsonValue

__all__ = ["apply_merge_patch", "merge_patch_between"]


def apply_merge_patch(target: JsonValue, patch: JsonValue) -> JsonValue:
    """``target`` with ``patch`` applied (RFC 7396 section 2), as a new document."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = apply_merge_patch(out.get(key), value)
    return out


def merge_patch_between(source: JsonValue, target: JsonValue) -> JsonValue:
    """The smallest merge patch turning ``source`` into ``target``: only changed keys, nested
    objects patched key by key, everything else replaced."""
    if not isinstance(source, dict) or not isinstance(target, dict):
        return copy.deepcopy(target)
    patch: dict[str, JsonValue] = {key: None for key in source if key not in target}
    for key, value in target.items():
        if key not in source:
            patch[key] = copy.deepcopy(value)
        elif not _same(source[key], value):
            patch[key] = merge_patch_between(source[key], value)
    return patch


def _same(a: JsonValue, b: JsonValue) -> bool:
    """Equal as JSON text: Python's ``1 == 1.0 == True`` would hide a change of type."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
