"""Ruleset snapshots: the exact source a decision was made with, addressed by its content.

A snapshot is the list of a ruleset's YAML files (``ruleset.yaml`` first, then its includes,
in include order), each as its path relative to the ruleset folder and its text as the engine
read it. Its address is the engine's own ``content_hash`` of those files
(:attr:`engine.ruleset.source.RulesetSource.content_hash`, ``sha256:...``), the same value
every decision carries in ``ruleset.content_hash``; so the snapshot of a decision is found by
that value, and a snapshot whose files do not hash to its address is rejected.

:func:`snapshot_ruleset` reads a folder and compiles the program **from the snapshot** (the
files written to a temporary folder), so the program that makes a decision and the snapshot
stored beside it cannot differ even if the folder changes meanwhile. :meth:`compile` is what
replay uses years later. The ruleset's ``tests/`` are not part of a snapshot: they do not
take part in evaluation.
"""

from __future__ import annotations

import posixpath
import tempfile
from dataclasses import dataclass
from pathlib import Path

from audit.canonical import JsonValue, canonical_json, parse_json
from audit.errors import CanonicalError, SnapshotError
from engine.errors import DiagnosticBag, RulesetError
from engine.evaluate import load_program
from engine.program import Program
from engine.ruleset.source import RulesetSource, SourceFile, read_ruleset

__all__ = ["RulesetSnapshot", "SnapshotFile", "snapshot_ruleset"]


@dataclass(frozen=True, slots=True)
class SnapshotFile:
    """One file of a ruleset: ``path`` relative to the folder (POSIX), ``text`` as read."""

    path: str
    text: str


def _relative(path: str) -> str:
    normal = posixpath.normpath(path.replace("\\", "/"))
    if normal.startswith(("/", "../")) or normal in ("..", "."):
        raise ValueError(f"ruleset file {path!r} is outside its folder")
    return normal


def content_hash_of(files: tuple[SnapshotFile, ...]) -> str:
    """The engine's content hash of these files (``sha256:`` + hex)."""
    source = RulesetSource(Path("."), [SourceFile(f.path, f.text, None) for f in files])
    return source.content_hash


@dataclass(frozen=True, slots=True)
class RulesetSnapshot:
    """The files of one ruleset version and their content address."""

    content_hash: str
    ruleset_id: str
    version: str
    files: tuple[SnapshotFile, ...]

    @classmethod
    def from_stored(
        cls, *, content_hash: str, ruleset_id: str, version: str, files_json: str
    ) -> RulesetSnapshot:
        """Rebuild a stored snapshot, checking that its files hash to ``content_hash``."""
        try:
            raw = parse_json(files_json)
        except CanonicalError as exc:
            raise SnapshotError(content_hash, f"stored files are not valid JSON: {exc}") from None
        if not isinstance(raw, list) or not raw:
            raise SnapshotError(content_hash, "stored files must be a non-empty list")
        files: list[SnapshotFile] = []
        for item in raw:
            if not (
                isinstance(item, dict)
                and set(item) == {"path", "text"}
                and isinstance(item["path"], str)
                and isinstance(item["text"], str)
            ):
                raise SnapshotError(content_hash, "each stored file must be {path, text}")
            try:
                files.append(SnapshotFile(_relative(item["path"]), item["text"]))
            except ValueError as exc:
                raise SnapshotError(content_hash, str(exc)) from None
        snapshot = cls(content_hash, ruleset_id, version, tuple(files))
        actual = content_hash_of(snapshot.files)
        if actual != content_hash:
            raise SnapshotError(content_hash, f"files hash to {actual}: the snapshot was changed")
        return snapshot

    def files_json(self) -> str:
        """Canonical JSON of the file list, as stored."""
        files: list[JsonValue] = [{"path": f.path, "text": f.text} for f in self.files]
        return canonical_json(files)

    def materialize(self, folder: Path) -> None:
        """Write the files under ``folder`` (which must exist)."""
        base = folder.resolve()
        for f in self.files:
            target = (base / _relative(f.path)).resolve()
            if base not in target.parents:
                raise SnapshotError(self.content_hash, f"file {f.path!r} escapes the folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("w", encoding="utf-8", newline="") as out:
                out.write(f.text)

    def compile(self, *, revision: str = "", display: str | None = None) -> Program:
        """Compile this exact source into a program (raises ``RulesetError`` if invalid)."""
        with tempfile.TemporaryDirectory(prefix="claims-ruleset-") as tmp:
            self.materialize(Path(tmp))
            program = load_program(
                tmp, revision=revision, display=display or f"snapshot:{self.content_hash}"
            )
        if program.ir.identity.content_hash != self.content_hash:
            raise SnapshotError(
                self.content_hash,
                f"compiles to content hash {program.ir.identity.content_hash}",
            )
        return program


def snapshot_ruleset(
    root: Path | str, *, revision: str = "", display: str | None = None
) -> tuple[RulesetSnapshot, Program]:
    """Read a ruleset folder into a snapshot and compile the program from that snapshot.

    Raises :class:`engine.errors.RulesetError` (with every diagnostic) when the folder is not
    a valid ruleset.
    """
    root = Path(root)
    shown = (display if display is not None else str(root)).rstrip("/")
    bag = DiagnosticBag()
    source = read_ruleset(root, bag, shown)
    if bag.has_errors or not source.files:
        raise RulesetError(list(bag.items))
    prefix = f"{shown}/"
    files: list[SnapshotFile] = []
    for f in source.files:
        if not f.path.startswith(prefix):  # pragma: no cover - read_ruleset always prefixes
            raise ValueError(f"unexpected ruleset file path {f.path!r}")
        files.append(SnapshotFile(_relative(f.path[len(prefix) :]), f.text))
    frozen = tuple(files)
    content_hash = content_hash_of(frozen)
    if content_hash != source.content_hash:  # pragma: no cover - same formula
        raise ValueError("snapshot and engine disagree on the content hash")
    draft = RulesetSnapshot(content_hash, "", "", frozen)
    program = draft.compile(revision=revision, display=shown)
    identity = program.ir.identity
    return RulesetSnapshot(content_hash, identity.id, identity.version, frozen), program
