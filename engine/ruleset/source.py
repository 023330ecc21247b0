"""Reading ruleset YAML with the position of every key and value.

ruamel.yaml's round-trip loader keeps line/column for each mapping key and value (parsed by
libyaml where it can: ``engine.ruleset.yaml_loader``); we wrap lookups so every diagnostic
can say ``rulesets/cn-health/ruleset.yaml:41:11``. Positions are reported 1-based, as
editors show them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from engine.errors import Diagnostic, DiagnosticBag
from engine.ruleset.yaml_loader import load_round_trip

RULESET_FILE = "ruleset.yaml"


@dataclass(frozen=True)
class Where:
    file: str
    line: int
    column: int

    def shift(self, col: int) -> Where:
        return Where(self.file, self.line, self.column + col)

    def kw(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column}


@dataclass
class SourceFile:
    path: str
    text: str
    data: Any


@dataclass
class RulesetSource:
    """The files of one ruleset, in include order; ``content_hash`` identifies them."""

    root: Path
    files: list[SourceFile] = field(default_factory=list)

    @property
    def content_hash(self) -> str:
        digest = hashlib.sha256()
        for f in self.files:
            digest.update(Path(f.path).name.encode() + b"\0" + f.text.encode() + b"\0")
        return "sha256:" + digest.hexdigest()

    @property
    def main(self) -> SourceFile:
        return self.files[0]


def value_where(file: str, container: Any, key: Any) -> Where:
    """Position of ``container[key]``'s value (mapping key or sequence index)."""
    try:
        if isinstance(container, CommentedMap):
            line, col = container.lc.value(key)
        elif isinstance(container, CommentedSeq):
            line, col = container.lc.item(key)
        else:
            return node_where(file, container)
        return Where(file, line + 1, col + 1)
    except (KeyError, AttributeError, TypeError, IndexError):
        return node_where(file, container)


def key_where(file: str, container: Any, key: Any) -> Where:
    try:
        line, col = container.lc.key(key)
        return Where(file, line + 1, col + 1)
    except (KeyError, AttributeError, TypeError):
        return node_where(file, container)


def node_where(file: str, node: Any) -> Where:
    lc = getattr(node, "lc", None)
    if lc is not None and lc.line is not None:
        return Where(file, lc.line + 1, lc.col + 1)
    return Where(file, 1, 1)


def expression_where(file: str, container: Any, key: Any) -> Where:
    """Where an expression string starts; a quoted scalar's text starts one column later."""
    where = value_where(file, container, key)
    if isinstance(container[key], SingleQuotedScalarString | DoubleQuotedScalarString):
        return where.shift(1)
    return where


def load_yaml(path: Path, display: str, bag: DiagnosticBag) -> SourceFile | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        bag.error(
            "E-FILE",
            f"file not found: {display}",
            file=display,
            line=1,
            column=1,
            suggestion="a ruleset folder needs a ruleset.yaml",
        )
        return None
    except (OSError, UnicodeDecodeError) as exc:
        bag.error("E-FILE", f"cannot read {display}: {exc}", file=display, line=1, column=1)
        return None
    try:
        data = load_round_trip(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        bag.add(
            Diagnostic(
                "error",
                "E-YAML",
                f"invalid YAML: {problem}",
                display,
                line,
                col,
                "check indentation and quoting around this position",
            )
        )
        return None
    except Exception as exc:  # ruamel raises several unrelated types for bad input
        bag.error("E-YAML", f"invalid YAML: {exc}", file=display, line=1, column=1)
        return None
    return SourceFile(display, text, data)


def read_ruleset(root: Path, bag: DiagnosticBag, display_root: str | None = None) -> RulesetSource:
    """Read ``root/ruleset.yaml`` and the files it includes (one level, in order)."""
    shown = display_root if display_root is not None else str(root)
    source = RulesetSource(root)
    main = load_yaml(root / RULESET_FILE, f"{shown}/{RULESET_FILE}", bag)
    if main is None:
        return source
    source.files.append(main)
    includes = main.data.get("include", []) if isinstance(main.data, CommentedMap) else []
    if not isinstance(includes, list):
        where = value_where(main.path, main.data, "include")
        bag.error("E-SCHEMA", "include must be a list of file names", **where.kw())
        return source
    for index, name in enumerate(includes):
        where = value_where(main.path, includes, index)
        target = (root / str(name)).resolve()
        if not str(name).endswith((".yaml", ".yml")) or root.resolve() not in target.parents:
            bag.error(
                "E-INCLUDE",
                f"cannot include '{name}'",
                **where.kw(),
                suggestion="include YAML files inside the ruleset folder",
            )
            continue
        included = load_yaml(target, f"{shown}/{name}", bag)
        if included is not None:
            source.files.append(included)
    return source
