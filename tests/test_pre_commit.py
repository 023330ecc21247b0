"""The rule author's commit hooks: ``.pre-commit-config.yaml`` (this repository's local hooks)
and ``.pre-commit-hooks.yaml`` (offered to repositories that keep rulesets) are valid, and
their ``claims`` entries, run as pre-commit runs them (the entry plus the files a commit
touches), pass on a clean ruleset and stop a broken one with file:line:col."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.engine.factories import REPO

CONFIG = REPO / ".pre-commit-config.yaml"
MANIFEST = REPO / ".pre-commit-hooks.yaml"


def pre_commit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def claims_hooks() -> list[tuple[str, dict[str, Any]]]:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    local = [h for repo in config["repos"] if repo["repo"] == "local" for h in repo["hooks"]]
    offered = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    hooks = [("config", h) for h in local] + [("manifest", h) for h in offered]
    return [(f"{where}:{h['id']}", h) for where, h in hooks if h["entry"].startswith("claims ")]


HOOKS = claims_hooks()


def test_config_and_manifest_are_valid() -> None:
    config = pre_commit("validate-config", str(CONFIG))
    manifest = pre_commit("validate-manifest", str(MANIFEST))

    assert config.returncode == 0, config.stdout + config.stderr
    assert manifest.returncode == 0, manifest.stdout + manifest.stderr


def test_the_config_hooks_need_no_network() -> None:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))

    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    assert {h["language"] for repo in config["repos"] for h in repo["hooks"]} == {"system"}


def run_hook(hook: dict[str, Any], folder: Path, files: list[str]) -> subprocess.CompletedProcess:
    entry = shlex.split(hook["entry"])
    assert entry[0] == "claims"
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *entry[1:], *files],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(("name", "hook"), HOOKS, ids=[n for n, _ in HOOKS])
def test_hook_passes_a_clean_ruleset_and_stops_a_broken_one(
    tmp_path: Path, name: str, hook: dict[str, Any]
) -> None:
    shutil.copytree(REPO / "rulesets" / "cn-complaints", tmp_path / "rulesets" / "cn-complaints")
    touched = ["rulesets/cn-complaints/ruleset.yaml", "rulesets/cn-complaints/tests/cases.yaml"]
    assert all(re.search(hook["files"], f) for f in touched)

    clean = run_hook(hook, tmp_path, touched)
    rules = tmp_path / touched[0]
    rules.write_text(
        rules.read_text(encoding="utf-8").replace("when: ", "when: claim_typo and ", 1),
        encoding="utf-8",
    )
    broken = run_hook(hook, tmp_path, touched)

    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert broken.returncode in (1, 2)
    assert "rulesets/cn-complaints/ruleset.yaml:" in broken.stdout + broken.stderr
    assert "Traceback" not in broken.stderr


def test_pre_commit_install_works_after_make_venv(tmp_path: Path) -> None:
    """CONTRIBUTING's `pre-commit install`: the dev extras bring pre-commit, and installing
    the hooks into a clone needs nothing else (no download)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    clone = tmp_path / "clone"
    subprocess.run(["git", "init", "-q", str(clone)], check=True)
    shutil.copy(CONFIG, clone / ".pre-commit-config.yaml")
    env = {"PATH": os.environ.get("PATH", ""), "PRE_COMMIT_HOME": str(tmp_path / "store")}

    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"],
        cwd=clone,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    hook = clone / ".git" / "hooks" / "pre-commit"
    assert hook.is_file() and "pre-commit" in hook.read_text(encoding="utf-8")
