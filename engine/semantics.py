"""Engine semantics versions: what the ``engine.version`` of a decision promises.

A decision is deterministic for (claim, ruleset content, ``as_of``, engine semantics): replay
of an audited decision must evaluate under the semantics the decision was made with, years
after the engine has moved on. So a change that would alter the decision of an *unchanged*
ruleset (a fact read as of ``as_of`` that was read whole before, a notice that moved from
engine code into ruleset YAML, a period counted another way) is not simply made: it gets a
flag here, true from the semantics version that introduced it, and the code asks the flag.
Older versions keep their meaning forever; :data:`KNOWN` lists every version ever written
into a decision.

``engine.version`` in a decision reads ``<semantics>+<backend>.<backend version>``, e.g.
``0.1.0+native.0.1.0``; :func:`semantics_of_engine_version` reads the first part back.

Why not the package version: a release that changes nothing a decision depends on must not
break the replay of every decision made before it.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import EngineError

__all__ = [
    "CURRENT",
    "KNOWN",
    "Semantics",
    "UnknownSemanticsError",
    "semantics_of_engine_version",
]

#: Every semantics version a decision may carry, oldest first.
KNOWN: tuple[str, ...] = ("0.1.0", "0.2.0")
#: What new decisions are made with.
CURRENT = KNOWN[-1]


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


class UnknownSemanticsError(EngineError):
    """A decision names an engine semantics version this engine does not know."""

    def __init__(self, version: str) -> None:
        self.version = version
        super().__init__(
            f"engine semantics {version!r} is unknown here (known: {', '.join(KNOWN)}); "
            "replay it with the engine release that made it"
        )


@dataclass(frozen=True, slots=True)
class Semantics:
    """One semantics version; flags are properties asking :meth:`since`."""

    version: str = CURRENT

    def __post_init__(self) -> None:
        if self.version not in KNOWN:
            raise UnknownSemanticsError(self.version)

    def since(self, version: str) -> bool:
        """True when this semantics includes the change introduced in ``version``."""
        return _key(self.version) >= _key(version)

    @property
    def reads_as_of(self) -> bool:
        """0.2.0: rules, derived facts and clocks see only the events dated at or before
        ``as_of`` and the documents received by then; before, ``events`` and ``documents``
        were read whole (a document that arrived later erased a missed one-time notice)."""
        return self.since("0.2.0")

    @classmethod
    def of(cls, version: str | None) -> Semantics:
        """The semantics named ``version`` (``None``: the current one)."""
        return cls(version or CURRENT)


def semantics_of_engine_version(engine_version: str) -> str:
    """``"0.1.0+native.0.1.0"`` -> ``"0.1.0"``; unknown versions raise
    :class:`UnknownSemanticsError`."""
    version = engine_version.split("+", 1)[0]
    if version not in KNOWN:
        raise UnknownSemanticsError(version)
    return version
