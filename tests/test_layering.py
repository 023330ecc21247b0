"""The one direction of imports (shared/DESIGN.md, "Parts and the one direction of imports").

``engine`` is the pure domain: no web framework, ORM, LLM library, nor any sibling package.
``audit`` and ``llm_assist`` may import ``engine`` but never each other, never ``api``.
``api`` wires everything and may import anything.

The checker parses every ``.py`` file with :mod:`ast` (nothing is imported or executed), so it
also sees imports inside functions and ``if TYPE_CHECKING:`` blocks, relative imports
(resolved against the file's package) and literal ``importlib.import_module("x")`` /
``__import__("x")`` calls.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

WEB_DB_LLM = frozenset(
    {
        "fastapi",
        "starlette",
        "sqlmodel",
        "sqlalchemy",
        "langchain",
        "langchain_core",
        "langchain_openai",
        "langchain_ollama",
        "alembic",
        "uvicorn",
    }
)

# package -> top-level module names it must never import
FORBIDDEN: Mapping[str, frozenset[str]] = {
    "engine": WEB_DB_LLM | {"audit", "llm_assist", "api"},
    "audit": frozenset({"llm_assist", "api"}),
    "llm_assist": frozenset({"audit", "api"}),
    "api": frozenset(),
}


@dataclass(frozen=True)
class Import:
    lineno: int
    module: str  # absolute dotted name, relative imports resolved
    lazy: bool = False  # inside a function: runs when called, not when the module loads

    @property
    def top(self) -> str:
        return self.module.split(".", 1)[0]


@dataclass(frozen=True)
class Violation:
    file: str  # path relative to the scanned root
    lineno: int
    package: str
    module: str
    top: str

    def __str__(self) -> str:
        return (
            f"{self.file}:{self.lineno}: package '{self.package}' must not import "
            f"'{self.top}' (found import of '{self.module}')"
        )


def _file_package(path: Path, root: Path) -> list[str]:
    """Dotted package (as parts) that ``path`` belongs to, relative to ``root``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    # a module's package is its directory; a package's __init__ *is* the package
    return parts[:-1]


def _resolve_relative(package: list[str], level: int, module: str | None) -> list[str]:
    """Absolute parts of ``from <level dots><module> import ...`` inside ``package``."""
    if level - 1 > len(package):
        # beyond the top-level package: Python would refuse it; keep what can be named
        base: list[str] = []
    else:
        base = package[: len(package) - (level - 1)]
    return base + (module.split(".") if module else [])


def iter_imports(path: Path, root: Path) -> Iterator[Import]:
    """Every module that ``path`` imports, as absolute dotted names."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _file_package(path, root)
    in_functions = {
        id(inner)
        for func in ast.walk(tree)
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for inner in ast.walk(func)
        if inner is not func
    }
    for node in ast.walk(tree):
        lazy = id(node) in in_functions
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(node.lineno, alias.name, lazy)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                assert node.module is not None
                yield Import(node.lineno, node.module, lazy)
                # `from api.cli import common`: the imported names may themselves be modules
                for alias in node.names:
                    if alias.name != "*":
                        yield Import(node.lineno, f"{node.module}.{alias.name}", lazy)
                continue
            parts = _resolve_relative(package, node.level, node.module)
            if parts:
                yield Import(node.lineno, ".".join(parts), lazy)
            # `from .. import audit`: the imported names may themselves be modules
            for alias in node.names:
                if alias.name != "*":
                    yield Import(node.lineno, ".".join([*parts, alias.name]), lazy)
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func) and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                yield Import(node.lineno, arg.value, lazy)


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in {"__import__", "import_module"}
    if isinstance(func, ast.Attribute):
        return func.attr == "import_module"
    return False


def check_layering(
    root: Path, rules: Mapping[str, frozenset[str]] = FORBIDDEN
) -> tuple[list[Violation], int]:
    """Scan the packages named in ``rules`` under ``root``.

    Returns the violations found and the number of files scanned.
    """
    violations: list[Violation] = []
    scanned = 0
    for package, forbidden in rules.items():
        pkg_dir = root / package
        if not pkg_dir.is_dir():
            continue
        for path in sorted(pkg_dir.rglob("*.py")):
            scanned += 1
            seen: set[tuple[int, str]] = set()
            for imp in iter_imports(path, root):
                if imp.top in forbidden and (imp.lineno, imp.module) not in seen:
                    seen.add((imp.lineno, imp.module))
                    violations.append(
                        Violation(
                            file=path.relative_to(root).as_posix(),
                            lineno=imp.lineno,
                            package=package,
                            module=imp.module,
                            top=imp.top,
                        )
                    )
    return violations, scanned


# ---------------------------------------------------------------------------------------------
# the real check
# ---------------------------------------------------------------------------------------------


def test_imports_go_one_way() -> None:
    violations, scanned = check_layering(REPO_ROOT)
    assert scanned > 0, f"no Python files found under {sorted(FORBIDDEN)} in {REPO_ROOT}"
    assert not violations, "layering broken (see shared/DESIGN.md):\n" + "\n".join(
        str(v) for v in violations
    )


# ---------------------------------------------------------------------------------------------
# the checker itself must catch violations
# ---------------------------------------------------------------------------------------------


def _write(root: Path, rel: str, source: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source), encoding="utf-8")


@pytest.fixture
def bad_tree(tmp_path: Path) -> Path:
    for pkg in ("engine", "engine/sub", "audit", "llm_assist", "api"):
        _write(tmp_path, f"{pkg}/__init__.py", "")
    _write(
        tmp_path,
        "engine/clean.py",
        """
        import json
        from decimal import Decimal

        from engine.errors import EngineError
        from . import errors
        from .sub import helpers
        """,
    )
    _write(tmp_path, "engine/web.py", "import fastapi.routing\n")
    _write(tmp_path, "engine/orm.py", "from sqlmodel import SQLModel\n")
    _write(
        tmp_path,
        "engine/lazy.py",
        """
        def f():
            import langchain_core.messages
            return langchain_core.messages
        """,
    )
    _write(tmp_path, "engine/rel_up.py", "from .. import audit\n")
    _write(tmp_path, "engine/sub/deep.py", "from ...llm_assist.prompts import PROMPT\n")
    _write(
        tmp_path,
        "engine/dyn.py",
        """
        import importlib
        uvicorn = importlib.import_module("uvicorn")
        """,
    )
    _write(tmp_path, "audit/store.py", "from llm_assist import redact\nimport engine\n")
    _write(tmp_path, "llm_assist/notes.py", "import api.cli\nfrom engine import errors\n")
    _write(tmp_path, "api/app.py", "import audit, llm_assist, engine, fastapi\n")
    return tmp_path


EXPECTED = {
    ("engine/web.py", "fastapi.routing"),
    ("engine/orm.py", "sqlmodel"),
    ("engine/lazy.py", "langchain_core.messages"),
    ("engine/rel_up.py", "audit"),
    ("engine/sub/deep.py", "llm_assist.prompts"),
    ("engine/dyn.py", "uvicorn"),
    ("audit/store.py", "llm_assist"),
    ("llm_assist/notes.py", "api.cli"),
}


def test_checker_finds_every_planted_violation(bad_tree: Path) -> None:
    violations, scanned = check_layering(bad_tree)
    assert scanned == 15
    found = {(v.file, v.module) for v in violations}
    assert found >= EXPECTED, f"missed: {sorted(EXPECTED - found)}"
    # `engine/sub/deep.py` also yields `llm_assist.prompts.PROMPT` as a possible submodule;
    # apart from such by-products nothing clean may be reported.
    assert {f for f, _ in found} == {f for f, _ in EXPECTED}


def test_checker_message_names_file_and_import(bad_tree: Path) -> None:
    violations, _ = check_layering(bad_tree)
    web = next(v for v in violations if v.file == "engine/web.py")
    assert str(web) == (
        "engine/web.py:1: package 'engine' must not import 'fastapi' "
        "(found import of 'fastapi.routing')"
    )


def test_clean_tree_passes(tmp_path: Path) -> None:
    _write(tmp_path, "engine/__init__.py", "from .errors import EngineError\n")
    _write(tmp_path, "audit/__init__.py", "from engine import EngineError\n")
    _write(tmp_path, "llm_assist/__init__.py", "import engine.errors\n")
    _write(tmp_path, "api/__init__.py", "import audit, llm_assist, fastapi\n")
    assert check_layering(tmp_path) == ([], 4)


@pytest.mark.parametrize(
    ("package", "level", "module", "expected"),
    [
        (["engine"], 1, "errors", ["engine", "errors"]),
        (["engine"], 1, None, ["engine"]),
        (["engine", "sub"], 2, "errors", ["engine", "errors"]),
        (["engine"], 2, None, []),
        (["engine", "sub"], 3, "audit", ["audit"]),
    ],
)
def test_resolve_relative(
    package: list[str], level: int, module: str | None, expected: list[str]
) -> None:
    assert _resolve_relative(package, level, module) == expected
