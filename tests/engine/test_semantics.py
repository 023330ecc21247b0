"""Engine semantics versions: decisions name the semantics they were made under, and an
unknown version is refused rather than replayed under other rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from engine.errors import EngineError
from engine.evaluate import evaluate, load_program
from engine.semantics import (
    CURRENT,
    KNOWN,
    Semantics,
    UnknownSemanticsError,
    semantics_of_engine_version,
)

CLAIM = Path("examples/claim.json")
AS_OF = dt.datetime(2025, 7, 1, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _claim() -> bytes:
    return CLAIM.read_bytes()


def test_decisions_carry_the_current_semantics() -> None:
    program = load_program("rulesets/cn-health")
    decision = evaluate(program, _claim(), as_of=AS_OF, backend="native")
    assert semantics_of_engine_version(decision.engine.version) == CURRENT


@pytest.mark.parametrize("version", KNOWN)
def test_every_known_version_evaluates(version: str) -> None:
    program = load_program("rulesets/cn-health")
    decision = evaluate(program, _claim(), as_of=AS_OF, semantics=version)
    assert decision.engine.version.startswith(f"{version}+")


def test_an_unknown_version_is_refused_not_guessed() -> None:
    program = load_program("rulesets/cn-health")
    with pytest.raises(UnknownSemanticsError) as caught:
        evaluate(program, _claim(), as_of=AS_OF, semantics="9.9.9")
    assert isinstance(caught.value, EngineError)
    assert "9.9.9" in str(caught.value)
    with pytest.raises(UnknownSemanticsError):
        semantics_of_engine_version("0.0.1+native.0.1.0")


def test_since_includes_its_own_version_and_every_earlier_one() -> None:
    for later, version in enumerate(KNOWN):
        assert Semantics(version).since(version)
        assert all(Semantics(version).since(earlier) for earlier in KNOWN[:later])
        assert not any(Semantics(version).since(newer) for newer in KNOWN[later + 1 :])
