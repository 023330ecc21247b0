"""The member-rights knowledge base (``rulesets/rights/``) and its rule-based selection.

Why a knowledge base and not the model: what a member may rely on is law, so the texts, their
sources and when they apply are reviewed YAML; a model may only rephrase a selected entry, and
the grounding guard checks that the entry id and its ``key_numbers`` survive the rephrasing.
Selection is deterministic: the entries whose ``applies_when`` matches, in file order.

``applies_when`` is a small mapping over the engine's decision JSON, AND across keys and OR
within a list: ``always``, ``outcome``, ``decided_by``, ``automated``, ``ruleset``,
``reason_codes`` and ``sla: {node_id: [status, ...]}`` (every named clock must have one of
its statuses). Rulesets, reason codes and SLA nodes are checked against the rulesets beside
the folder, so a typo is a load error with a suggestion rather than an entry that never fires.

Modules::

    entries.py   RightsEntry, its Conditions, RightsBase.select, key_numbers
    reader.py    YAML -> entries and test cases, each problem as a Diagnostic (file:line:col)
"""

from __future__ import annotations

import functools
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from engine.errors import DiagnosticBag
from engine.ruleset.source import Where, load_yaml
from llm_assist.errors import RightsError
from llm_assist.rights.entries import (
    CONDITION_KEYS,
    OUTCOMES,
    SLA_STATUSES,
    Condition,
    DecisionFacts,
    RightsBase,
    RightsEntry,
    RightsTestResult,
    key_numbers,
)
from llm_assist.rights.reader import Reader, known_references

__all__ = [
    "CONDITION_KEYS", "DEFAULT_RIGHTS_DIR", "OUTCOMES", "SLA_STATUSES", "Condition",
    "DecisionFacts", "RightsBase", "RightsEntry", "RightsTestResult", "key_numbers",
    "load_rights", "run_rights_tests",
]  # fmt: skip

DEFAULT_RIGHTS_DIR = Path(__file__).resolve().parents[2] / "rulesets" / "rights"
_CASES_FILE = Path("tests") / "cases.yaml"


def load_rights(folder: Path | str = DEFAULT_RIGHTS_DIR) -> RightsBase:
    """Load every ``*.yaml`` directly in ``folder`` (name order); RightsError lists all problems.

    Cached on the files' sizes and modification times (the rulesets beside included), so
    callers may load per request and an edited file is still read again.
    """
    root = Path(folder)
    files = sorted(root.glob("*.y*ml")) + sorted(root.parent.glob("*/*.y*ml"))
    return _load(root, tuple(_stamp(p) for p in files))


def _stamp(path: Path) -> tuple[str, int, int]:
    try:
        stat = path.stat()
    except OSError:  # vanished meanwhile: the load itself reports what is missing
        return (str(path), -1, -1)
    return (str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _load(root: Path, stamps: tuple[tuple[str, int, int], ...]) -> RightsBase:
    """The uncached load; ``stamps`` is only the cache key."""
    bag = DiagnosticBag()
    files = sorted(p for p in root.glob("*.y*ml") if p.suffix in (".yaml", ".yml"))
    if not files:
        where = Where(str(root), 1, 1)
        Reader(where.file, bag).err(
            "E-FILE", f"no rights YAML in {root}", where, "add rights.yaml with an 'entries' list"
        )
    known = known_references(root.parent)
    entries: list[RightsEntry] = []
    seen: dict[str, Where] = {}
    for path in files:
        source = load_yaml(path, str(path), bag)
        if source is None:
            continue
        reader = Reader(source.path, bag, known)
        for data in reader.entry_maps(source.data):
            entry_id = data.get("id")
            if isinstance(entry_id, str) and entry_id in seen:
                first = seen[entry_id]
                reader.err(
                    "E-DUP",
                    f"duplicate id '{entry_id}' (first at {first.line}:{first.column} of "
                    f"{first.file})",
                    reader.at(data, "id"),
                    "ids must be unique across the folder",
                )
            elif isinstance(entry_id, str):
                seen[entry_id] = reader.at(data, "id")
            entry = reader.entry(data)
            entries += [entry] if entry is not None else []
    if bag.has_errors:
        raise RightsError(list(bag.items))
    return RightsBase(tuple(entries))


def run_rights_tests(folder: Path | str = DEFAULT_RIGHTS_DIR) -> list[RightsTestResult]:
    """Run ``folder/tests/cases.yaml``; RightsError if the base or the cases are invalid."""
    root = Path(folder)
    base = load_rights(root)
    bag = DiagnosticBag()
    path = root / _CASES_FILE
    source = load_yaml(path, str(path), bag)
    results: list[RightsTestResult] = []
    if source is not None:
        reader = Reader(source.path, bag)
        cases = source.data.get("cases") if isinstance(source.data, CommentedMap) else None
        if not isinstance(cases, CommentedSeq):
            reader.err(
                "E-SCHEMA",
                "the tests file must be a mapping with a 'cases' list",
                reader.node(source.data),
            )
        for case in cases or []:
            result = reader.case(case, base)
            results += [result] if result is not None else []
    if bag.has_errors:
        raise RightsError(list(bag.items))
    return results
