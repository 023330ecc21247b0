"""``claims --version``: what a bug report needs to reproduce a decision.

The package version, the engine semantics version new decisions are made under (the first
part of a decision's ``engine.version``, :mod:`engine.semantics`) and the rule backends
installed here, the default first.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import click

from engine.backends import available_backends
from engine.semantics import CURRENT, KNOWN

DISTRIBUTION = "claims-engine"


def version_lines() -> list[str]:
    backends = [_backend_label(name) for name in available_backends()]
    return [
        f"claims {_installed(DISTRIBUTION) or 'unknown (not installed as a package)'}",
        f"engine semantics {CURRENT} (replays: {', '.join(KNOWN)})",
        f"backends: {', '.join(backends)} (default: {available_backends()[0]})",
    ]


def print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """The eager ``--version`` callback: print and exit before any command runs."""
    if not value or ctx.resilient_parsing:
        return
    click.echo("\n".join(version_lines()))
    ctx.exit()


def _backend_label(name: str) -> str:
    if name == "durable":
        return f"durable (durable-rules {_installed('durable-rules') or 'unknown'})"
    return name


def _installed(distribution: str) -> str | None:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return None
