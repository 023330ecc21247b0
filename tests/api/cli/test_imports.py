"""Commands that neither serve HTTP, touch a database nor draft with an LLM load none of the
libraries that do: they start faster and run where those are broken or absent.

Each command runs in a fresh interpreter through a driver that records ``sys.modules`` from an
``atexit`` hook registered before anything else, so it sees every module loaded until the
process ends (also after click's ``sys.exit``). The same driver must see the libraries when a
command does use them (``db upgrade``) or when they are loaded on purpose (``--preload``):
the check cannot pass because nothing was recorded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.engine.factories import REPO

AS_OF = "2025-07-01T09:00:00+08:00"
HEAVY = ("fastapi", "starlette", "sqlalchemy", "sqlmodel", "alembic", "langchain", "uvicorn")

DRIVER = """
import atexit, json, sys

out, preload, *args = sys.argv[1:]

def record():
    with open(out, "w", encoding="utf-8") as f:
        json.dump(sorted(sys.modules), f)

atexit.register(record)
for name in filter(None, preload.split(",")):
    __import__(name)
sys.argv = ["claims", *args]
from api.cli import main
main(prog_name="claims")
"""


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    modules: frozenset[str]

    def heavy(self) -> list[str]:
        return sorted(m for m in self.modules if m.split(".")[0].startswith(HEAVY))


def run_claims(tmp_path: Path, *args: str, preload: Sequence[str] = ()) -> Run:
    out = tmp_path / "modules.json"
    env = {**os.environ, "CLAIMS_DATABASE_URL": f"sqlite:///{tmp_path / 'claims.db'}"}
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, str(out), ",".join(preload), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    modules = json.loads(out.read_text(encoding="utf-8"))
    return Run(done.returncode, done.stdout, done.stderr, frozenset(modules))


def claim_folder(tmp_path: Path) -> str:
    folder = tmp_path / "claims"
    folder.mkdir()
    for name in ("01-approve-reference.json", "04-deny-waiting-period.json"):
        shutil.copy(REPO / "examples" / "claims" / name, folder / name)
    return str(folder)


LIGHT = {
    "evaluate": (
        ["evaluate", "examples/claim.json", "--ruleset", "rulesets/cn-health", "--as-of", AS_OF,
         "--format", "text", "--explain", "waiting_period"],
        "engine.rule_explanation",
    ),
    "evaluate-json": (
        ["evaluate", "examples/claim.json", "--ruleset", "rulesets/cn-health", "--as-of", AS_OF],
        "engine.evaluate",
    ),
    "evaluate-dir": (["evaluate-dir", "{claims}", "--as-of", AS_OF], "api.routing"),
    "sla": (
        ["sla", "examples/claim.json", "--ruleset", "rulesets/cn-health", "--as-of", AS_OF],
        "engine.sla",
    ),
    "rules lint": (["rules", "lint", "rulesets"], "engine.ruleset.lint"),
    "rules test": (["rules", "test", "rulesets/cn-complaints", "--coverage"], "engine.coverage"),
    "rules check": (["rules", "check", "rulesets"], "engine.ruleset.compiler"),
    "rules schema": (["rules", "schema", "--check"], "engine.ruleset.jsonschema"),
    "rules diff": (["rules", "diff", "HEAD", "WORKTREE", "rulesets"], "engine.ruleset.diff"),
    "rules backend-report": (
        ["rules", "backend-report", "rulesets/cn-health", "--claims", "{claims}", "--as-of", AS_OF],
        "engine.backends.placement",
    ),
}  # fmt: skip


@pytest.mark.parametrize("command", sorted(LIGHT))
def test_light_command_loads_no_web_database_or_llm_library(tmp_path: Path, command: str) -> None:
    args, used = LIGHT[command]
    args = [a.replace("{claims}", claim_folder(tmp_path)) if "{" in a else a for a in args]

    run = run_claims(tmp_path, *args)

    assert run.code == 0, run.stderr
    assert run.stdout.strip()
    assert used in run.modules  # the command did its work in the process observed
    assert run.heavy() == []


def test_the_recorder_sees_libraries_a_command_loads(tmp_path: Path) -> None:
    run = run_claims(tmp_path, "db", "upgrade")

    assert run.code == 0, run.stderr
    assert {"sqlalchemy", "alembic"} <= {m.split(".")[0] for m in run.heavy()}


def test_the_recorder_sees_libraries_loaded_before_the_command(tmp_path: Path) -> None:
    run = run_claims(tmp_path, "rules", "schema", "--check", preload=["fastapi"])

    assert run.code == 0, run.stderr
    assert "fastapi" in run.heavy()


def test_settings_routing_and_the_cli_import_without_web_or_database(tmp_path: Path) -> None:
    out = tmp_path / "modules.json"
    code = (
        "import json, sys; import api.settings, api.routing, api.roles, api.cli; "
        f"json.dump(sorted(sys.modules), open({str(out)!r}, 'w'))"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=120)
    modules = json.loads(out.read_text(encoding="utf-8"))

    assert "api.settings" in modules
    assert [m for m in modules if m.split(".")[0].startswith(HEAVY)] == []
