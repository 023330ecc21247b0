"""Files of a git revision: resolve a revision, write a folder as it was there to a temp dir;
the revision a folder is at (``git_revision``, recorded in every decision's ``ruleset`` block).

Only plain ``git`` subprocess calls (``rev-parse``, ``ls-tree``, ``cat-file``), never a shell:
the engine stays pure and reads the materialised folder like any other. ``WORKTREE`` names the
working tree (files on disk, committed or not) wherever a revision is expected.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from api.errors import ApiError

WORKTREE = "WORKTREE"
_TIMEOUT = 60


class GitError(ApiError):
    """git is missing or failed, or a revision or path does not exist: a user-fixable error."""


def _git(cwd: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, check=False, timeout=_TIMEOUT
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed (or not on PATH)") from exc
    except (OSError, subprocess.SubprocessError) as exc:
        raise GitError(f"git {args[0]} failed: {exc}") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {message[-1] if message else done.returncode}")
    return done.stdout


@dataclass(frozen=True)
class Repo:
    root: Path  # the working tree's top folder, resolved

    @classmethod
    def containing(cls, path: Path | str) -> Repo:
        """The repository holding ``path`` (which need not exist any more in the worktree)."""
        probe = Path(os.path.realpath(path))
        while not probe.is_dir():
            probe = probe.parent
        try:
            top = _git(probe, "rev-parse", "--show-toplevel").decode().strip()
        except GitError as exc:
            raise GitError(f"{path} is not inside a git repository") from exc
        return cls(Path(os.path.realpath(top)))

    def relative(self, path: Path | str) -> str:
        """``path`` as a repository path (POSIX, relative to the root; "" for the root)."""
        full = Path(os.path.realpath(path))
        try:
            rel = full.relative_to(self.root)
        except ValueError as exc:
            raise GitError(f"{path} is outside the repository at {self.root}") from exc
        return PurePosixPath(*rel.parts).as_posix() if rel.parts else ""

    def resolve(self, rev: str) -> str:
        """The commit id a revision names; GitError if there is none."""
        if not rev or rev.startswith("-"):
            raise GitError(f"'{rev}' is not a revision")
        try:
            out = _git(self.root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        except GitError as exc:
            raise GitError(f"unknown revision '{rev}' (no such commit, branch or tag)") from exc
        return out.decode().strip()

    def export(self, commit: str, path: str, dest: Path) -> Path:
        """Write the files under ``path`` at ``commit`` below ``dest``; returns ``dest/path``."""
        spec = ["--", path] if path else []
        listing = _git(self.root, "ls-tree", "-r", "-z", "--full-tree", commit, *spec)
        written = 0
        for entry in listing.split(b"\0"):
            if not entry:
                continue
            meta, name = entry.split(b"\t", 1)
            mode, kind, obj = meta.decode().split()
            if kind != "blob" or mode == "120000":  # submodules and symlinks are not rulesets
                continue
            target = dest.joinpath(*PurePosixPath(name.decode()).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(_git(self.root, "cat-file", "blob", obj))
            written += 1
        if not written:
            raise GitError(f"'{path or '.'}' does not exist at {commit[:12]}")
        return dest.joinpath(*PurePosixPath(path).parts)


def git_revision(path: Path) -> str:
    """The commit that last touched ``path`` (plus ``-dirty`` if it has local edits); ""
    outside a repository or without git."""
    try:
        rev = _git(path, "log", "-1", "--format=%H", "--", ".").decode().strip()
        dirty = _git(path, "status", "--porcelain", "--", ".").decode()
    except GitError:
        return ""
    return f"{rev}-dirty" if rev and dirty.strip() else rev
