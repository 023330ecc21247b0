"""Health and ruleset answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from api.schemas.common import ANSWER

__all__ = ["Health", "ReloadReport", "ReloadTests"]


class Health(BaseModel):
    model_config = ANSWER

    status: Literal["ok"]


class ReloadTests(BaseModel):
    model_config = ANSWER

    passed: int
    failed: int


class ReloadReport(BaseModel):
    """What a ruleset reload found (swapped only when lint, compile and tests all passed)."""

    model_config = ANSWER

    ruleset: str
    swapped: bool
    content_hash: str | None
    previous_hash: str | None
    diagnostics: list[str]
    tests: ReloadTests
    failures: list[str]
