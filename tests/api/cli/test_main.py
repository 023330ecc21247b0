"""The ``claims`` entry point: ``--version``, shell completion, and a ``--help`` with an
example and the defaults on every command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from importlib.metadata import version

import click
import pytest
from click.testing import CliRunner

from api.cli import main
from engine.backends import available_backends
from engine.semantics import CURRENT
from tests.engine.factories import REPO


def claims_process(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# ---------------------------------------------------------------- --version


def test_version_names_package_semantics_and_backends() -> None:
    result = CliRunner().invoke(main, ["--version"])

    assert result.exit_code == 0, result.output
    package = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = result.stdout.splitlines()
    assert lines[0] == f"claims {package['version']}"
    assert lines[1].startswith(f"engine semantics {CURRENT} ")
    backends = re.match(r"backends: (.*) \(default: (\w+)\)$", lines[2])
    assert backends is not None, lines[2]
    assert [b.split(" ")[0] for b in backends.group(1).split(", ")] == available_backends()
    assert backends.group(2) == available_backends()[0]
    if "durable" in available_backends():
        assert f"durable-rules {version('durable-rules')}" in lines[2]


def test_version_wins_over_a_command() -> None:
    result = CliRunner().invoke(main, ["--version", "rules", "lint", "/nowhere"])

    assert result.exit_code == 0
    assert result.stdout.startswith("claims ")


# ---------------------------------------------------------------- shell completion


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nosort -F _claims_completion claims"),
        ("zsh", "#compdef claims"),
        ("fish", "complete --no-files --command claims"),
    ],
)
def test_completion_script_for_each_shell(shell: str, marker: str) -> None:
    done = claims_process(env={"_CLAIMS_COMPLETE": f"{shell}_source"})

    assert done.returncode == 0, done.stderr
    assert marker in done.stdout
    assert "_CLAIMS_COMPLETE" in done.stdout


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("claims ru", {"rules"}),
        ("claims rules ", {"lint", "test", "check", "schema", "diff", "impact"}),
        ("claims evaluate x.json --format ", {"json", "text"}),
    ],
)
def test_completion_completes_commands_and_choices(words: str, expected: set[str]) -> None:
    parts = words.split(" ")
    env = {
        "_CLAIMS_COMPLETE": "bash_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(parts) - 1),
    }
    done = claims_process(env=env)

    assert done.returncode == 0, done.stderr
    offered = {line.split(",", 1)[1] for line in done.stdout.splitlines()}
    assert expected <= offered


# ---------------------------------------------------------------- --help of every command


def example_lines(help_text: str) -> list[str] | None:
    """The lines of the help's example section, or None when it has none."""
    found = re.search(r"^\s*Example:\n((?:\s+\S.*\n?)*)", help_text, re.MULTILINE)
    if found is None:
        return None
    return [line.strip() for line in found.group(1).splitlines() if line.strip()]


def every_command() -> Iterator[tuple[list[str], click.Command]]:
    def walk(command: click.Command, path: list[str]) -> Iterator[tuple[list[str], click.Command]]:
        yield path, command
        if isinstance(command, click.Group):
            for name in sorted(command.commands):
                yield from walk(command.commands[name], [*path, name])

    yield from walk(main, [])


COMMANDS = list(every_command())


def contexts(path: list[str]) -> click.Context:
    """The context ``claims PATH`` runs in (settings inherited as on the command line)."""
    ctx = main.make_context("claims", ["--help"], resilient_parsing=True)
    command: click.Command = main
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
        ctx = command.context_class(command, info_name=name, parent=ctx, **command.context_settings)
    return ctx


def options_without_a_stated_default(path: list[str], command: click.Command) -> list[str]:
    ctx = contexts(path)
    missing = []
    for param in command.params:
        if not isinstance(param, click.Option) or param.name == "help" or param.required:
            continue
        default = param.get_default(ctx)
        if param.is_flag and not param.secondary_opts and default is False:
            continue  # an off switch: its absence is its default
        if param.multiple and not default:
            continue  # a repeatable option: none unless given
        record = param.get_help_record(ctx)
        if record is None or "default" not in record[1].lower():
            missing.append("/".join(param.opts))
    return missing


@pytest.mark.parametrize(
    ("path", "command"), COMMANDS, ids=[" ".join(["claims", *p]) for p, _ in COMMANDS]
)
def test_help_shows_an_example_and_every_default(path: list[str], command: click.Command) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])

    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    lines = example_lines(result.stdout)
    assert lines is not None, f"no example in `claims {' '.join(path)} --help`"
    assert lines, "an empty example section"
    invocation = " ".join(["claims", *path])
    assert all(invocation in line for line in lines), lines
    assert options_without_a_stated_default(path, command) == []


def test_the_help_checker_sees_a_missing_default_and_a_missing_example() -> None:
    @click.group("claims", context_settings={"show_default": True})
    def group() -> None:
        """A group."""

    @group.command("bare")
    @click.option("--mode", default=None, help="how")
    @click.option("--level", default=3, help="how much")
    @click.option("--quiet", is_flag=True, help="no output")
    def bare(mode: str | None, level: int, quiet: bool) -> None:
        """No example."""

    ctx = group.make_context("claims", ["--help"], resilient_parsing=True)
    child = click.Context(bare, info_name="bare", parent=ctx)
    records = {p.name: p.get_help_record(child) for p in bare.params}

    assert "default" not in records["mode"][1]  # type: ignore[index]
    assert "[default: 3]" in records["level"][1]  # type: ignore[index]
    assert example_lines(CliRunner().invoke(group, ["bare", "--help"]).stdout) is None


RUNNABLE = ("evaluate", "evaluate-dir", "sla", "rules lint", "rules check", "rules test")


@pytest.mark.parametrize("name", RUNNABLE)
def test_examples_of_local_commands_run(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The examples a rule author copies work, from the repository's root."""
    monkeypatch.chdir(REPO)
    help_text = CliRunner().invoke(main, [*name.split(), "--help"]).stdout
    for line in example_lines(help_text) or []:
        args = line.split()[1:]  # without `claims`
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, (line, result.output)
