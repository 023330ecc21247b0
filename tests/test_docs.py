"""README.md and CONTRIBUTING.md stay true: the repository paths they name exist, and every
``claims`` command line in their code blocks names a real command with real options."""

from __future__ import annotations

import re
from collections.abc import Iterator

import click
import pytest

from api.cli import main
from tests.engine.factories import REPO

DOCS = ("README.md", "CONTRIBUTING.md")
# var/ (keys, the SQLite file) is made at run time and git-ignored: not a repository path
TOP_LEVEL = {p.name for p in REPO.iterdir() if p.name not in {".git", ".venv", "var"}}


def named_paths(text: str) -> list[str]:
    """`code` spans that look like repository paths (first part a top-level entry)."""
    spans = re.findall(r"`([^`\s]+)`", text)
    return sorted(
        {
            s
            for s in spans
            if "/" in s and re.fullmatch(r"[\w.\-/*]+", s) and s.split("/")[0] in TOP_LEVEL
        }
    )


def exists(path: str) -> bool:
    """At the repository root, or (`tests/*.yaml`) inside a ruleset folder."""
    bases = [REPO, *sorted(p.parent for p in REPO.glob("rulesets/*/ruleset.yaml"))]
    return any(list(base.glob(path)) if "*" in path else (base / path).exists() for base in bases)


@pytest.mark.parametrize("doc", DOCS)
def test_every_path_a_document_names_exists(doc: str) -> None:
    paths = named_paths((REPO / doc).read_text(encoding="utf-8"))

    assert paths
    assert [p for p in paths if not exists(p)] == []


def shell_blocks(text: str) -> Iterator[str]:
    """The fenced code blocks marked ``sh`` or ``text`` (also indented, inside lists)."""
    block: list[str] | None = None
    keep = False
    for line in text.splitlines():
        fence = re.match(r"^\s*```(\w*)", line)
        if fence and block is None:
            block, keep = [], fence.group(1) in ("sh", "text")
        elif fence and block is not None:
            if keep:
                yield "\n".join(block)
            block = None
        elif block is not None:
            block.append(line)


def command_lines(text: str) -> Iterator[str]:
    """``claims ...`` lines of the shell blocks (continuations joined, comments cut)."""
    for block in shell_blocks(text):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = re.sub(r"^\$ ", "", line.strip())
            line = re.sub(r"^(\w+=\S+ )+", "", line)  # VAR=value claims ...
            line = line.split("  #", 1)[0].split(" > ", 1)[0]
            if line.startswith("claims "):
                yield line


def check_line(line: str) -> list[str]:
    """What in one documented command line does not exist in the CLI."""
    words = line.split()[1:]
    command: click.Command = main
    while isinstance(command, click.Group) and words and words[0] in command.commands:
        command = command.commands[words.pop(0)]
    if isinstance(command, click.Group) and words and not words[0].startswith("-"):
        return [f"no command '{words[0]}' in `{line}`"]
    known = {opt for param in command.params for opt in param.opts + param.secondary_opts}
    mentioned = set(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", " ".join(words)))
    return [f"no option {opt} in `{line}`" for opt in sorted(mentioned - known - {"-h"})]


@pytest.mark.parametrize("doc", DOCS)
def test_every_documented_command_line_exists(doc: str) -> None:
    lines = list(command_lines((REPO / doc).read_text(encoding="utf-8")))

    assert len(lines) >= 3
    assert [problem for line in lines for problem in check_line(line)] == []


@pytest.mark.parametrize(
    "line",
    [
        "claims evaluat CLAIM.json",
        "claims rules lnt rulesets",
        "claims rules test rulesets --coverag",
        "claims evaluate CLAIM.json --ruleset DIR --explan X",
    ],
)
def test_the_command_checker_sees_what_does_not_exist(line: str) -> None:
    assert check_line(line)


def test_the_path_checker_sees_a_missing_path() -> None:
    assert named_paths("see `engine/ruleset_tests.py` and `https://x/y`") == [
        "engine/ruleset_tests.py"
    ]
    assert not exists("engine/ruleset_tests.py")
    assert exists("engine/ruleset_tests/__init__.py")
