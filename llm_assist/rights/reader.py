"""Reading rights YAML (entries and test cases), every problem at its file:line:column.

References to rulesets, reason codes and SLA nodes are checked against the ruleset folders
beside the knowledge base; without any (a bare folder in a test) only their shape is checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from engine.errors import DiagnosticBag
from engine.expression.types import suggest
from engine.ruleset.source import RULESET_FILE, Where, key_where, node_where, value_where
from llm_assist.rights.entries import (
    CONDITION_KEYS,
    DECIDED_BY,
    OUTCOMES,
    SLA_STATUSES,
    Condition,
    DecisionFacts,
    RightsBase,
    RightsEntry,
    RightsTestResult,
    key_numbers,
)

__all__ = ["CASE_KEYS", "ENTRY_KEYS", "Known", "Reader", "known_references"]

ENTRY_KEYS = ("id", "zh", "en", "source", "applies_when")
CASE_KEYS = ("name", "decision", "decided_by", "expect")
_SNAKE = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class Known:
    """What the rulesets beside the knowledge base define (empty: nothing to check against)."""

    rulesets: tuple[str, ...] = ()
    reason_codes: tuple[str, ...] = ()
    sla_nodes: tuple[str, ...] = ()


@dataclass
class Reader:
    """Reads one YAML file into entries or cases, reporting every problem at its position."""

    file: str
    bag: DiagnosticBag
    known: Known = field(default_factory=Known)

    def err(self, code: str, message: str, where: Where, suggestion: str = "") -> None:
        self.bag.error(code, message, **where.kw(), suggestion=suggestion)

    def at(self, container: Any, key: Any) -> Where:
        return value_where(self.file, container, key)

    def node(self, data: Any) -> Where:
        return node_where(self.file, data)

    def entry_maps(self, data: Any) -> Iterator[CommentedMap]:
        if not isinstance(data, CommentedMap):
            self.err(
                "E-SCHEMA",
                "a rights file must be a mapping with an 'entries' list",
                self.node(data),
            )
            return
        self.unknown_keys(data, ("entries",), "a rights file")
        entries = data.get("entries")
        if not isinstance(entries, CommentedSeq):
            where = self.at(data, "entries") if "entries" in data else self.node(data)
            self.err("E-SCHEMA", "'entries' must be a list of entries", where)
            return
        for index, item in enumerate(entries):
            if isinstance(item, CommentedMap):
                yield item
            else:
                self.err("E-SCHEMA", f"entries[{index}] must be a mapping", self.at(entries, index))

    def entry(self, data: CommentedMap) -> RightsEntry | None:
        before = len(self.bag.items)
        self.unknown_keys(data, ENTRY_KEYS, "an entry")
        for key in (k for k in ENTRY_KEYS if k not in data):
            self.err(
                "E-SCHEMA",
                f"missing '{key}'",
                self.node(data),
                f"every entry needs {', '.join(ENTRY_KEYS)}",
            )
        entry_id, zh, en = (self.text(data, k) for k in ("id", "zh", "en"))
        if entry_id and not _SNAKE.fullmatch(entry_id):
            self.err("E-SCHEMA", f"id '{entry_id}' must be snake_case", self.at(data, "id"))
        sources = self.strings(data, "source") if "source" in data else ()
        numbers = key_numbers(zh)
        if zh and en and numbers != key_numbers(en):
            self.err(
                "E-NUMBERS",
                f"zh states {list(numbers)} but en states {list(key_numbers(en))}",
                self.at(data, "en"),
                "both texts must state the same numbers, in digits",
            )
        conditions = self.conditions(data["applies_when"]) if "applies_when" in data else ()
        if len(self.bag.items) > before:
            return None
        return RightsEntry(entry_id, zh, en, sources, numbers, conditions)

    def text(self, data: CommentedMap, key: str) -> str:
        value = data.get(key)
        if key in data and (not isinstance(value, str) or not value.strip()):
            self.err("E-SCHEMA", f"'{key}' must be non-empty text", self.at(data, key))
            return ""
        return value.strip() if isinstance(value, str) else ""

    def strings(self, data: CommentedMap, key: str) -> tuple[str, ...]:
        """A non-empty string or list of strings (every bad item reported where it is)."""
        value = data[key]
        seq = isinstance(value, CommentedSeq)
        items = list(value) if seq else [value]
        good = tuple(i.strip() for i in items if isinstance(i, str) and i.strip())
        if not items:
            self.err("E-SCHEMA", f"'{key}' must list at least one citation", self.at(data, key))
        for index, item in enumerate(items):
            if not isinstance(item, str) or not item.strip():
                where = self.at(value, index) if seq else self.at(data, key)
                self.err("E-SCHEMA", f"'{key}' must be text or a list of text", where)
        return good if len(good) == len(items) else ()

    def conditions(self, when: Any) -> tuple[Condition, ...]:
        if not isinstance(when, CommentedMap) or not when:
            self.err(
                "E-SCHEMA",
                "'applies_when' must be a non-empty mapping",
                self.node(when),
                "use 'always: true' for a reminder that always applies",
            )
            return ()
        self.unknown_keys(when, CONDITION_KEYS, "applies_when")
        choices = {
            "outcome": OUTCOMES,
            "decided_by": DECIDED_BY,
            "ruleset": self.known.rulesets,
            "reason_codes": self.known.reason_codes,
        }
        out: list[Condition] = []
        for key in (k for k in when if k in CONDITION_KEYS):
            if key in ("always", "automated"):
                out += self.flag(when, key)
            elif key == "sla":
                out += self.sla(when)
            else:
                values = self.enum_list(when, key, choices[key], key)
                out += [Condition(key, values)] if values else []
        return tuple(out)

    def flag(self, when: CommentedMap, key: str) -> list[Condition]:
        value = when[key]
        if isinstance(value, bool) and (value or key != "always"):
            return [Condition(key, (str(value).lower(),))]
        wanted = "true" if key == "always" else "true or false"
        self.err(
            "E-SCHEMA",
            f"'{key}' must be {wanted}",
            self.at(when, key),
            "write always: true" if key == "always" else f"write {key}: true",
        )
        return []

    def sla(self, when: CommentedMap) -> list[Condition]:
        nodes = when["sla"]
        if not isinstance(nodes, CommentedMap) or not nodes:
            self.err(
                "E-SCHEMA",
                "'sla' must map SLA node ids to lists of statuses",
                self.at(when, "sla"),
                "e.g. sla: {limitation_watch: [due_soon, breached]}",
            )
            return []
        out: list[Condition] = []
        for node in nodes:
            if self.known.sla_nodes and node not in self.known.sla_nodes:
                hint = _suggest(str(node), self.known.sla_nodes)
                self.err(
                    "E-REF", f"unknown SLA node '{node}'", key_where(self.file, nodes, node), hint
                )
                continue
            statuses = self.enum_list(nodes, node, SLA_STATUSES, "SLA status")
            out += [Condition("sla", statuses, str(node))] if statuses else []
        return out

    def enum_list(
        self, data: CommentedMap, key: Any, allowed: tuple[str, ...], what: str
    ) -> tuple[str, ...]:
        """A value or a list of values, each in ``allowed`` (unchecked when it is empty)."""
        value = data[key]
        seq = isinstance(value, CommentedSeq)
        items = list(value) if seq else [value]
        if not items:
            self.err("E-SCHEMA", f"'{key}' must not be empty", self.at(data, key))
        good: list[str] = []
        for index, item in enumerate(items):
            where = self.at(value, index) if seq else self.at(data, key)
            if not isinstance(item, str):
                self.err("E-SCHEMA", f"'{key}' values must be text", where)
            elif allowed and item not in allowed:
                code = "E-ENUM" if allowed in (OUTCOMES, DECIDED_BY, SLA_STATUSES) else "E-REF"
                hint = _suggest(item, allowed) or f"one of: {', '.join(allowed)}"
                self.err(code, f"unknown {what} '{item}'", where, hint)
            else:
                good.append(item)
        return tuple(good) if len(good) == len(items) else ()

    def unknown_keys(self, data: CommentedMap, allowed: tuple[str, ...], what: str) -> None:
        for key in (k for k in data if k not in allowed):
            hint = _suggest(str(key), allowed) or f"allowed: {', '.join(allowed)}"
            self.err(
                "E-SCHEMA", f"unknown key '{key}' in {what}", key_where(self.file, data, key), hint
            )

    def case(self, case: Any, base: RightsBase) -> RightsTestResult | None:
        where = self.node(case)
        if not isinstance(case, CommentedMap):
            self.err("E-SCHEMA", "a case must be a mapping", where)
            return None
        before = len(self.bag.items)
        self.unknown_keys(case, CASE_KEYS, "a case")
        for key in (k for k in ("name", "decision", "expect") if k not in case):
            self.err("E-SCHEMA", f"missing '{key}' in a case", where)
        decided_by = case.get("decided_by", "rules")
        if decided_by not in DECIDED_BY:
            self.err(
                "E-ENUM",
                f"unknown decided_by '{decided_by}'",
                self.at(case, "decided_by"),
                f"one of: {', '.join(DECIDED_BY)}",
            )
        if "decision" in case and not isinstance(case["decision"], CommentedMap):
            self.err(
                "E-SCHEMA",
                "'decision' must be a mapping (a partial decision JSON)",
                self.at(case, "decision"),
            )
        expect = case.get("expect")
        if "expect" in case and not isinstance(expect, CommentedSeq):
            self.err(
                "E-SCHEMA",
                "'expect' must be the exact list of selected ids",
                self.at(case, "expect"),
            )
        ids = [e.id for e in base.entries]
        for index, item in enumerate(expect if isinstance(expect, CommentedSeq) else []):
            if item not in ids:
                self.err(
                    "E-REF",
                    f"unknown entry id '{item}'",
                    self.at(expect, index),
                    _suggest(str(item), ids),
                )
        if len(self.bag.items) > before:
            return None
        facts = DecisionFacts.from_case(_plain(case["decision"]))
        selected = base.select(facts, decided_by=str(decided_by))
        expected = tuple(map(str, expect))
        return RightsTestResult(
            str(case["name"]), expected, tuple(e.id for e in selected), self.file, where.line
        )


def _suggest(name: str, candidates: Sequence[str]) -> str:
    """'did you mean' by the longest shared prefix (3+ characters), else by similarity."""

    def shared(candidate: str) -> int:
        pairs = zip(name.lower(), candidate.lower(), strict=False)
        return next((i for i, (a, b) in enumerate(pairs) if a != b), min(len(name), len(candidate)))

    best = max(((shared(c), c) for c in candidates), default=(0, ""))
    return f"did you mean {best[1]}?" if best[0] >= 3 else suggest(name, list(candidates))


def known_references(rulesets_root: Path) -> Known:
    """Ruleset ids, reason codes and SLA node ids of the ruleset folders under ``rulesets_root``."""
    yaml = YAML(typ="safe")
    ids: set[str] = set()
    codes: set[str] = set()
    nodes: set[str] = set()
    for main in sorted(rulesets_root.glob(f"*/{RULESET_FILE}")):
        for path in sorted(main.parent.glob("*.yaml")):
            try:
                data = yaml.load(path.read_text(encoding="utf-8"))
            except Exception:  # the ruleset linter reports its own files; skip them here
                continue
            if path == main and isinstance(data, dict) and isinstance(data.get("ruleset"), str):
                ids.add(data["ruleset"])
            codes.update(
                v for k, v in _walk(data) if k in ("reason_code", "code") and isinstance(v, str)
            )
            sla = data.get("sla") if isinstance(data, dict) else None
            nodes.update(n["id"] for n in sla or [] if isinstance(n, dict) and "id" in n)
    return Known(tuple(sorted(ids)), tuple(sorted(codes)), tuple(sorted(nodes)))


def _walk(data: Any) -> Iterator[tuple[Any, Any]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(data, list):
        for item in data:
            yield from _walk(item)


def _plain(value: Any) -> Any:
    """ruamel's round-trip containers as plain dicts and lists, as the engine emits them."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
