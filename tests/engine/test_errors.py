"""Every exception the engine defines sits under ``EngineError`` and is drawn in the tree of
``engine/errors.py`` (or ``engine/lifecycle/errors.py``), so a caller that catches
``EngineError`` catches everything the engine raises on purpose."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import engine
import engine.errors
import engine.lifecycle.errors
from engine.errors import EngineError


def _engine_exceptions() -> list[type[BaseException]]:
    found: list[type[BaseException]] = []
    for info in pkgutil.walk_packages(engine.__path__, prefix="engine."):
        module = importlib.import_module(info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == module.__name__:
                found.append(value)
    return found


def test_the_walk_finds_the_engine_s_exceptions() -> None:
    names = {cls.__name__ for cls in _engine_exceptions()}
    # a walk that finds nothing would pass the tests below vacuously
    assert {"ClaimValidationError", "TypeIssue", "CalendarError", "StrictJsonError"} <= names


def test_every_public_engine_exception_is_an_engine_error() -> None:
    outside = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _engine_exceptions()
        if not cls.__name__.startswith("_") and not issubclass(cls, EngineError)
    ]
    assert outside == [], f"derive these from engine.errors.EngineError: {outside}"


def test_every_engine_exception_is_drawn_in_an_errors_docstring() -> None:
    trees = (engine.errors.__doc__ or "") + (engine.lifecycle.errors.__doc__ or "")
    missing = [
        cls.__name__
        for cls in _engine_exceptions()
        if not cls.__name__.startswith("_") and cls.__name__ not in trees
    ]
    assert missing == [], f"draw these in engine/errors.py's hierarchy: {missing}"
