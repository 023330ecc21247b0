"""Rulesets as they are at a git revision (or in the working tree), compiled.

``claims rules diff`` and ``claims rules impact`` compare two such sets. A revision's folder is
written to a temp dir (``api.git_revisions``) and compiled there like any folder; diagnostics
name the revision, e.g. ``HEAD~1:rulesets/cn-health/ruleset.yaml:41:11: error E-EXPR: ...``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from api.errors import ApiError
from api.git_revisions import WORKTREE, GitError, Repo
from engine.errors import Diagnostic
from engine.ruleset.compiler import compile_with_diagnostics
from engine.ruleset.ir import RulesetIR
from engine.ruleset.source import RULESET_FILE


class RulesetLoadError(ApiError):
    """A ruleset could not be found or compiled at a revision; ``diagnostics`` lists why."""

    def __init__(self, message: str, diagnostics: Iterable[Diagnostic] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.diagnostics = tuple(diagnostics)


@contextmanager
def checkout(repo: Repo, rev: str, path: Path | str) -> Iterator[tuple[Path, str, str]]:
    """``path`` as it is at ``rev``: (folder on disk, its name in messages, commit id)."""
    if rev == WORKTREE:
        if not Path(path).exists():
            raise GitError(f"'{path}' does not exist in the working tree")
        yield Path(path), str(path).rstrip("/") or ".", ""
        return
    commit = repo.resolve(rev)
    rel = repo.relative(path)
    with tempfile.TemporaryDirectory(prefix="claims-rev-") as tmp:
        yield repo.export(commit, rel, Path(tmp)), f"{rev}:{rel or '.'}", commit


def ruleset_folders(root: Path) -> dict[str, Path]:
    """``root`` itself if it is a ruleset folder, else each folder below it holding one."""
    if (root / RULESET_FILE).is_file():
        return {root.resolve().name: root}
    return {p.parent.name: p.parent for p in sorted(root.glob(f"*/{RULESET_FILE}"))}


def load_rulesets(
    repo: Repo, rev: str, path: Path | str, names: Iterable[str] | None = None
) -> dict[str, RulesetIR]:
    """Compile every ruleset under ``path`` at ``rev`` (only ``names`` if given)."""
    with checkout(repo, rev, path) as (folder, shown, commit):
        found = ruleset_folders(folder)
        if names is not None:
            wanted = sorted(set(names))
            missing = [n for n in wanted if n not in found]
            if missing:
                raise RulesetLoadError(f"no ruleset {', '.join(missing)} under {path}")
            found = {n: found[n] for n in wanted}
        single = (folder / RULESET_FILE).is_file()
        return compile_all(found, shown, commit, single)


def compile_all(
    folders: dict[str, Path], shown: str, revision: str, single: bool = False
) -> dict[str, RulesetIR]:
    """Compile each folder; RulesetLoadError with every error if any fails."""
    out: dict[str, RulesetIR] = {}
    errors: list[Diagnostic] = []
    failed: list[str] = []
    for name, folder in folders.items():
        display = shown if single else f"{shown}/{name}"
        ir, bag = compile_with_diagnostics(folder, revision=revision, display=display)
        if ir is None:
            failed.append(name)
            errors += [d for d in bag.items if d.severity == "error"]
        else:
            out[name] = ir
    if failed:
        raise RulesetLoadError(f"ruleset {', '.join(failed)} does not compile", errors)
    return out
