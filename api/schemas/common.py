"""What every answer model shares."""

from __future__ import annotations

from pydantic import ConfigDict

__all__ = ["ANSWER"]

#: Answers state every member they have (no extra), and are built once (frozen).
ANSWER = ConfigDict(extra="forbid", frozen=True)
