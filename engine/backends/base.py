"""Backend protocol and selection.

``durable`` (the durable-rules Rete engine) is the default where it is installed (Python <=
3.12); ``native`` (compiled closures) everywhere else. Both must give identical matches: the
property tests compare whole decisions byte for byte.
"""

from __future__ import annotations

import importlib.util
from typing import Protocol

from engine.errors import EngineError
from engine.program import Facts, Program

#: (rule id, line id or None for claim scope)
Slot = tuple[str, int | None]


class Matches(dict[Slot, bool]):
    """Slot -> matched, and ``fallbacks``: the slots a backend could not decide itself and
    handed to the native closure, each with why. Only the durable backend ever fills it; the
    decision shows it (trace entry and ``engine`` block) and leaves it out while empty, so
    decisions without a fallback keep their bytes."""

    __slots__ = ("fallbacks",)

    def __init__(self) -> None:
        super().__init__()
        self.fallbacks: dict[Slot, str] = {}


class Backend(Protocol):
    name: str
    version: str

    def match(self, program: Program, facts: Facts, lines: list[Facts]) -> Matches: ...


def durable_installed() -> bool:
    return importlib.util.find_spec("durable") is not None


def available_backends() -> list[str]:
    return ["durable", "native"] if durable_installed() else ["native"]


def default_backend() -> str:
    return available_backends()[0]


_INSTANCES: dict[str, Backend] = {}


def get_backend(name: str | None = None) -> Backend:
    """The process-wide backend instance (durable-rules allows one host per process)."""
    chosen = name or default_backend()
    if chosen not in ("durable", "native"):
        raise EngineError(f"unknown backend '{chosen}' (choose durable or native)")
    if chosen == "durable" and not durable_installed():
        raise EngineError(
            "backend 'durable' needs durable-rules, which builds only on "
            "Python <= 3.12; use --backend native"
        )
    if chosen not in _INSTANCES:
        if chosen == "durable":
            from engine.backends.durable import DurableBackend

            _INSTANCES[chosen] = DurableBackend()
        else:
            from engine.backends.native import NativeBackend

            _INSTANCES[chosen] = NativeBackend()
    return _INSTANCES[chosen]
