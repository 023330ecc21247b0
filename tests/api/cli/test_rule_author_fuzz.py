"""Never a traceback for a rule author: whatever is done to a bundled ruleset, test file or the
rights file, `claims rules lint` and `claims rules test` answer with diagnostics at
file:line:col and exit 0, 1 or 2, never a Python traceback.

A Hypothesis property mutates a copy of the bundled files in a temporary directory (delete a
key, give a value the wrong kind, swap two values, break the indentation, an unknown function
or ``=`` for ``==`` in a condition); the named mistakes of the issue are also checked one by one
with their exact exit status. In-process through click's CliRunner, examples kept few: each
example lints and tests one ruleset.
"""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from api.cli import main
from tests.engine.factories import REPO

FILES = sorted(
    str(p.relative_to(REPO / "rulesets"))
    for p in (REPO / "rulesets").rglob("*.yaml")
    if "claims" not in p.parts
)
LOCATED = re.compile(r"^\S+\.yaml:\d+:\d+: (error|warning) [EW]-[A-Z-]+: ", re.MULTILINE)
PROBLEM = re.compile(r"\S+\.yaml:\d+:\d+: ", re.MULTILINE)
JUNK: list[Any] = ["high", 3, -1, 4.5, True, None, [], {}, ["x"], {"k": 1}, "", "x = 1"]


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def rulesets(self) -> Path:
        return self.root / "rulesets"

    def folder_of(self, relative: str) -> Path:
        return self.rulesets / relative.split("/")[0]


def make_workspace(base: Path) -> Workspace:
    """The bundled rulesets and the examples their tests read, as laid out in the repository."""
    shutil.rmtree(base, ignore_errors=True)
    shutil.copytree(REPO / "rulesets", base / "rulesets")
    shutil.copytree(REPO / "examples", base / "examples")
    return Workspace(base)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, ["rules", *args])


def assert_answered_like_a_tool(result: Result, *, located: re.Pattern[str]) -> None:
    """Exit 0/1/2 on purpose (click's SystemExit), no traceback, every failure located."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{result.exception!r}\n{result.output}"
    )
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code:
        assert located.search(result.output), result.output


def lint_and_test(space: Workspace, relative: str) -> tuple[Result, Result | None]:
    linted = invoke("lint", str(space.rulesets))
    assert_answered_like_a_tool(linted, located=LOCATED)
    folder = space.folder_of(relative)
    if not (folder / "ruleset.yaml").is_file():  # the rights folder has no ruleset tests
        return linted, None
    tested = invoke("test", str(folder))
    assert_answered_like_a_tool(tested, located=PROBLEM)
    return linted, tested


# ------------------------------------------------------------------------------- mutations


def _containers(value: Any, found: list[Any]) -> list[Any]:
    if isinstance(value, dict | list):
        found.append(value)
        for child in value.values() if isinstance(value, dict) else value:
            _containers(child, found)
    return found


def mutate_data(draw: st.DrawFn, text: str) -> str:
    yaml = YAML()
    yaml.preserve_quotes = True
    data = yaml.load(text)
    containers = [c for c in _containers(data, []) if c]
    if not containers:
        return text + "\n: broken"
    target = draw(st.sampled_from(containers))
    keys = list(target) if isinstance(target, dict) else list(range(len(target)))
    key = draw(st.sampled_from(keys))
    action = draw(st.sampled_from(["delete", "junk", "swap"]))
    if action == "delete":
        del target[key]
    elif action == "junk":
        target[key] = draw(st.sampled_from(JUNK))
    else:
        other = draw(st.sampled_from(keys))
        target[key], target[other] = target[other], target[key]
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def mutate_text(draw: st.DrawFn, text: str) -> str:
    lines = text.splitlines()
    conditions = [i for i, line in enumerate(lines) if re.match(r"\s*-?\s*when:", line)]
    action = draw(st.sampled_from(["indent", "dedent", "assign", "function"]))
    if action in ("assign", "function") and conditions:
        i = draw(st.sampled_from(conditions))
        if action == "assign" and "==" in lines[i]:
            lines[i] = lines[i].replace("==", "=", 1)
        else:
            lines[i] = re.sub(r"(when:\s*[>|-]*\s*)", r"\1no_such_function(1) and ", lines[i])
        return "\n".join(lines) + "\n"
    content = [
        i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")
    ]
    i = draw(st.sampled_from(content))
    width = draw(st.integers(1, 3))
    lines[i] = " " * width + lines[i] if action != "dedent" else lines[i][width:]
    return "\n".join(lines) + "\n"


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.data())
def test_a_mutated_file_never_makes_a_traceback(tmp_path: Path, data: st.DataObject) -> None:
    space = make_workspace(tmp_path / "space")
    relative = data.draw(st.sampled_from(FILES), label="file")
    how = data.draw(st.sampled_from([mutate_data, mutate_text]), label="mutation")
    path = space.rulesets / relative
    original = path.read_text(encoding="utf-8")
    try:
        changed = how(data.draw, original)
    except Exception:  # ruamel cannot round-trip this file: mutate its text instead
        changed = mutate_text(data.draw, original)
    path.write_text(changed, encoding="utf-8")

    lint_and_test(space, relative)


# ----------------------------------------------------------------- the named mistakes


def _first_priority(text: str) -> str:
    return re.sub(r"priority: \d+", "priority: high", text, count=1)


def _assign(text: str) -> str:
    return re.sub(r"(when: [^\n]*?)==", r"\1=", text, count=1)


def _unknown_function(text: str) -> str:
    return re.sub(r"when: ", "when: frobnicate(policy) and ", text, count=1)


def _bad_indent(text: str) -> str:
    return text.replace("\n  - id:", "\n   - id:", 1)


def _no_when(text: str) -> str:
    return re.sub(r"\n    when: [^\n]*", "", text, count=1)


@pytest.mark.parametrize(
    ("relative", "change", "lint_exit", "test_exit"),
    [
        ("cn-health/ruleset.yaml", _first_priority, 1, 2),
        ("cn-health/ruleset.yaml", _assign, 1, 2),
        ("cn-health/ruleset.yaml", _unknown_function, 1, 2),
        ("cn-health/ruleset.yaml", _bad_indent, 1, 2),
        ("us-erisa/ruleset.yaml", _no_when, 1, 2),
        ("cn-health/tests/cases.yaml", lambda t: t.replace("outcome:", "outcome: [", 1), 1, 1),
        ("us-erisa/tests/cases.yaml", lambda t: t.replace("expect:", "expected:", 1), 1, 1),
        ("rights/rights.yaml", lambda t: t.replace("    zh:", "    zh: [", 1), 1, None),
        ("rights/rights.yaml", lambda t: t.replace("applies_when:", "applies_when: 3", 1), 1, None),
    ],
)
def test_each_named_mistake_is_a_located_diagnostic(
    tmp_path: Path,
    relative: str,
    change: Callable[[str], str],
    lint_exit: int,
    test_exit: int | None,
) -> None:
    space = make_workspace(tmp_path / "space")
    path = space.rulesets / relative
    original = path.read_text(encoding="utf-8")
    path.write_text(change(original), encoding="utf-8")
    assert path.read_text(encoding="utf-8") != original

    linted, tested = lint_and_test(space, relative)

    assert linted.exit_code == lint_exit, linted.output
    assert f"/{relative}:" in linted.output
    if test_exit is not None:
        assert tested is not None and tested.exit_code == test_exit, tested and tested.output
